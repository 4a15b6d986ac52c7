#!/usr/bin/env bash
# Lays out a filesystem mirror of a release for air-gapped installs, for Terraform and
# OpenTofu alike:
#
#   MIRROR_DIR/registry.terraform.io/taurusdb/taurusdb/terraform-provider-taurusdb_VERSION_OS_ARCH.zip
#   MIRROR_DIR/registry.opentofu.org/taurusdb/taurusdb/terraform-provider-taurusdb_VERSION_OS_ARCH.zip
#   MIRROR_DIR/terraform-provider-taurusdb_VERSION.lock.hcl
#
# Nothing is installed until the release's SHA256SUMS is shown to be the publisher's, in one
# of two ways:
#   - its .sig is a good signature by the key you pinned, checked with gpg's status output in
#     a temporary keyring holding that key alone (your own keyring is neither trusted nor
#     changed); a revoked or expired key is refused; or
#   - SHA256SUMS has the SHA-256 digest you got out of band (--sha256sums-digest).
# Then every zip is checked against SHA256SUMS (the copy in the mirror too). The .lock.hcl
# holds a dependency-lock entry for each host with the zips' `zh:` hashes: copy it to a
# configuration's .terraform.lock.hcl (or merge it) and `terraform init` installs only a
# package that matches the verified sums. Filesystem mirrors alone give Terraform no way to
# learn those hashes.
#
# Usage: scripts/install-mirror.sh [OPTIONS] DIST_DIR MIRROR_DIR
#   --key-file FILE              the release's public key (armored or binary); without
#                                RELEASE_KEY_FINGERPRINT it must hold exactly one key
#   --sha256sums-digest HEX      the SHA-256 of ..._SHA256SUMS, obtained out of band
#   --insecure-skip-verification install whatever DIST_DIR holds, unverified (warns, and
#                                writes no lock file: it would pin unverified hashes)
# Environment:
#   RELEASE_KEY_FINGERPRINT  the release key's full fingerprint. Without --key-file the key
#                            is copied from your keyring (GNUPGHOME, else ~/.gnupg).
# Then point the CLI at it (see docs/guides/releases.md):
#   provider_installation { filesystem_mirror { path = "MIRROR_DIR" } }
set -euo pipefail
name=terraform-provider-taurusdb

usage() {
  cat >&2 <<EOF
usage: $0 [--key-file FILE | --sha256sums-digest HEX | --insecure-skip-verification] DIST_DIR MIRROR_DIR
  RELEASE_KEY_FINGERPRINT=<full fingerprint> pins the release key; see the top of this script.
EOF
  exit 2
}
fail() {
  echo "install-mirror: $*" >&2
  exit 1
}

key_file=""
digest=""
insecure=false
positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --key-file) [ $# -ge 2 ] || usage; key_file=$2; shift 2 ;;
    --key-file=*) key_file=${1#*=}; shift ;;
    --sha256sums-digest) [ $# -ge 2 ] || usage; digest=$2; shift 2 ;;
    --sha256sums-digest=*) digest=${1#*=}; shift ;;
    --insecure-skip-verification) insecure=true; shift ;;
    --) shift; positional+=("$@"); break ;;
    -*) echo "install-mirror: unknown option $1" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ ${#positional[@]} -eq 2 ] || usage

pinned=${RELEASE_KEY_FINGERPRINT:-}
pinned=${pinned//[[:space:]]/}
pinned=${pinned^^}
if [ -n "$pinned" ] && ! [[ "$pinned" =~ ^([0-9A-F]{40}|[0-9A-F]{64})$ ]]; then
  fail "RELEASE_KEY_FINGERPRINT must be a full fingerprint (40 or 64 hex digits), not \"$RELEASE_KEY_FINGERPRINT\": a short key ID can be forged"
fi
digest=${digest,,}
if [ -n "$digest" ] && ! [[ "$digest" =~ ^[0-9a-f]{64}$ ]]; then
  fail "--sha256sums-digest must be a SHA-256 digest (64 hex digits)"
fi
if [ -n "$key_file" ] && [ ! -f "$key_file" ]; then
  fail "--key-file $key_file is not a file"
fi
verify_key=false
{ [ -n "$pinned" ] || [ -n "$key_file" ]; } && verify_key=true
if $insecure && { $verify_key || [ -n "$digest" ]; }; then
  fail "--insecure-skip-verification contradicts RELEASE_KEY_FINGERPRINT, --key-file and --sha256sums-digest; drop it to verify"
fi
if ! $insecure && ! $verify_key && [ -z "$digest" ]; then
  cat >&2 <<EOF
install-mirror: refusing to install: nothing says who made this release.
  Verify its SHA256SUMS in one of these ways:
    RELEASE_KEY_FINGERPRINT=<fingerprint> install-mirror.sh ...   the release key, from your keyring
    install-mirror.sh --key-file release-key.asc ...              the release key, as published
    install-mirror.sh --sha256sums-digest <sha256> ...            SHA256SUMS's digest, obtained out of band
  or, for a release you built yourself and nothing else: --insecure-skip-verification
EOF
  exit 1
fi

dist=$(cd "${positional[0]}" && pwd)
shopt -s nullglob
sums_files=("$dist/${name}_"*_SHA256SUMS)
if [ ${#sums_files[@]} -ne 1 ]; then
  echo "install-mirror: expected exactly one ${name}_VERSION_SHA256SUMS in $dist, found ${#sums_files[@]}" >&2
  exit 2
fi
sums_name=$(basename "${sums_files[0]}")
version=${sums_name#"${name}_"}
version=${version%_SHA256SUMS}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Everything below reads these copies, so what was verified is what is used.
cp "$dist/$sums_name" "$work/sums"
[ -f "$dist/$sums_name.sig" ] && cp "$dist/$sums_name.sig" "$work/sums.sig"

echo "==> verifying $sums_name"
if [ -n "$digest" ]; then
  actual=$(sha256sum < "$work/sums" | cut -d' ' -f1)
  if [ "$actual" != "$digest" ]; then
    fail "$sums_name has SHA-256 $actual, not the $digest given: this is not the release you were told about"
  fi
  echo "    SHA-256 matches the digest given ($digest)"
fi

if $verify_key; then
  command -v gpg >/dev/null || fail "gpg is needed to check $sums_name.sig against the pinned key; install gnupg"
  [ -f "$work/sums.sig" ] || fail "$sums_name.sig is missing: the release is unsigned, or the signature was removed"
  # Two private keyrings: one to read the key file (or the user's key) from, one holding
  # only the pinned key for the check. Never the user's trust settings.
  gpg_in() { local home=$1; shift; gpg --homedir "$home" --no-options --no-autostart --batch "$@"; }
  mkdir -m 700 "$work/keys" "$work/verify"
  if [ -n "$key_file" ]; then
    gpg_in "$work/keys" --quiet --import "$key_file" 2>"$work/import.err" ||
      fail "--key-file $key_file holds no OpenPGP public key: $(tr '\n' ' ' < "$work/import.err")"
    primaries=$(gpg_in "$work/keys" --with-colons --list-keys | awk -F: '$1 == "pub" { want = 1 } $1 == "fpr" && want { print $10; want = 0 }')
    if [ -z "$pinned" ]; then
      count=$(grep -c . <<<"$primaries" || true)
      [ "$count" -eq 1 ] || fail "--key-file $key_file holds $count keys; set RELEASE_KEY_FINGERPRINT to the release key's"
      pinned=$primaries
    fi
    source_home=$work/keys
    source_desc="--key-file $key_file"
  else
    source_home=${GNUPGHOME:-$HOME/.gnupg}
    [ -d "$source_home" ] || fail "no keyring at $source_home to take key $pinned from; pass the published key with --key-file"
    source_desc="your keyring ($source_home)"
  fi
  # gpg --export of the user's keyring only reads it.
  gpg --homedir "$source_home" --no-autostart --batch --export "$pinned" > "$work/pinned.gpg" 2>/dev/null || true
  [ -s "$work/pinned.gpg" ] || fail "key $pinned is not in $source_desc; import the release key or pass it with --key-file"
  gpg_in "$work/verify" --quiet --import "$work/pinned.gpg" 2>/dev/null || fail "could not import key $pinned"

  # The trust decision is the pin; gpg's trust model must not add or remove any.
  rc=0
  gpg_in "$work/verify" --trust-model always --status-fd 1 \
    --verify "$work/sums.sig" "$work/sums" > "$work/status" 2>"$work/verify.err" || rc=$?
  status() { awk -v k="$1" '$1 == "[GNUPG:]" && $2 == k' "$work/status"; }
  if [ -n "$(status REVKEYSIG)$(status KEYREVOKED)" ]; then
    fail "$sums_name.sig is made by key $pinned, which is REVOKED: refused (ask the publisher for the current key)"
  fi
  if [ -n "$(status EXPKEYSIG)" ]; then
    fail "$sums_name.sig is made by key $pinned, which has EXPIRED: refused (ask the publisher for the current key)"
  fi
  if [ -n "$(status EXPSIG)" ]; then
    fail "$sums_name.sig has EXPIRED: refused"
  fi
  if [ -n "$(status BADSIG)" ]; then
    fail "$sums_name.sig is a BAD signature: $sums_name was changed after it was signed"
  fi
  if [ -n "$(status ERRSIG)" ]; then
    fail "$sums_name.sig carries a signature by key ID $(status ERRSIG | awk '{ print $3; exit }'), which is not the pinned key $pinned"
  fi
  # VALIDSIG <signing key fingerprint> ... <primary key fingerprint>
  signers=$(status VALIDSIG | awk '{ print $3; print $NF }')
  if [ "$rc" -ne 0 ] || [ -z "$(status GOODSIG)" ] || ! grep -qx -- "$pinned" <<<"$signers"; then
    fail "$sums_name.sig does not verify with the pinned key $pinned (gpg exit $rc): $(tr '\n' ' ' < "$work/verify.err")"
  fi
  echo "    signature good, by the pinned key $pinned (from $source_desc)"
fi

if $insecure; then
  cat >&2 <<EOF
install-mirror: WARNING: --insecure-skip-verification: NOTHING checks who made $sums_name.
install-mirror: WARNING: anyone who could write to $dist chose what gets installed.
install-mirror: WARNING: no lock file is written, since it would pin unverified hashes.
EOF
fi

zips=()
while read -r hash file; do
  case "$file" in
    */* | .*) fail "$sums_name names a file outside its directory: $file" ;;
    "${name}_${version}_"*.zip) zips+=("$hash $file") ;;
  esac
  [[ "$hash" =~ ^[0-9a-f]{64}$ ]] || fail "$sums_name has a malformed line for $file"
done < "$work/sums"
if [ ${#zips[@]} -eq 0 ]; then
  echo "install-mirror: $sums_name lists no ${name}_${version}_OS_ARCH.zip" >&2
  exit 2
fi
(cd "$dist" && sha256sum --check --strict --quiet "$work/sums") ||
  fail "files in $dist do not match $sums_name: refused"

mirror_arg=${positional[1]}
mkdir -p "$mirror_arg"
mirror=$(cd "$mirror_arg" && pwd)
lock="$mirror/${name}_${version}.lock.hcl"
: > "$work/lock"
for host in registry.terraform.io registry.opentofu.org; do
  dir="$mirror/$host/taurusdb/taurusdb"
  mkdir -p "$dir"
  {
    printf 'provider "%s/taurusdb/taurusdb" {\n' "$host"
    printf '  version     = "%s"\n' "$version"
    printf '  constraints = "%s"\n' "$version"
    printf '  hashes = [\n'
  } >> "$work/lock"
  for entry in "${zips[@]}"; do
    hash=${entry%% *}
    file=${entry#* }
    # Copy, check the copy, then rename: the mirror holds only what matched.
    partial="$dir/.$file.partial"
    cp "$dist/$file" "$partial"
    if [ "$(sha256sum < "$partial" | cut -d' ' -f1)" != "$hash" ]; then
      rm -f "$partial"
      fail "$file changed while it was copied: refused"
    fi
    mv -f "$partial" "$dir/$file"
    printf '    "zh:%s",\n' "$hash" >> "$work/lock"
    echo "    $host/taurusdb/taurusdb/$file"
  done
  printf '  ]\n}\n\n' >> "$work/lock"
done
if $insecure; then
  echo "==> no lock entries written (unverified release)"
else
  cp "$work/lock" "$lock.partial"
  mv -f "$lock.partial" "$lock"
  echo "==> lock entries: $lock"
fi
