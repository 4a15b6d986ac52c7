#!/usr/bin/env bash
# Lays out a filesystem mirror of a release for air-gapped installs, for Terraform and
# OpenTofu alike:
#
#   MIRROR_DIR/registry.terraform.io/taurusdb/taurusdb/terraform-provider-taurusdb_VERSION_OS_ARCH.zip
#   MIRROR_DIR/registry.opentofu.org/taurusdb/taurusdb/terraform-provider-taurusdb_VERSION_OS_ARCH.zip
#   MIRROR_DIR/terraform-provider-taurusdb_VERSION.lock.hcl
#
# The zips are the release's own archives (Terraform's "packed" mirror layout), checked
# against the release's SHA256SUMS first, and against its .sig when one is there and gpg
# knows the key. The .lock.hcl holds a dependency-lock entry for each host with the zips'
# `zh:` hashes from SHA256SUMS: copy it to a configuration's .terraform.lock.hcl (or
# merge it) and `terraform init` installs only a package that matches the signed sums.
# Filesystem mirrors alone give Terraform no way to learn those hashes.
#
# Usage: scripts/install-mirror.sh DIST_DIR MIRROR_DIR
# Environment:
#   RELEASE_KEY_FINGERPRINT  the release key's fingerprint: the .sig must then exist and be
#                            made by exactly that key (any key gpg knows is not enough)
# Then point the CLI at it (see README "Install"):
#   provider_installation { filesystem_mirror { path = "MIRROR_DIR" } }
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 DIST_DIR MIRROR_DIR" >&2
  exit 2
fi
dist=$(cd "$1" && pwd)
mkdir -p "$2"
mirror=$(cd "$2" && pwd)
name=terraform-provider-taurusdb

shopt -s nullglob
sums_files=("$dist/${name}_"*_SHA256SUMS)
if [ ${#sums_files[@]} -ne 1 ]; then
  echo "install-mirror: expected exactly one ${name}_VERSION_SHA256SUMS in $dist, found ${#sums_files[@]}" >&2
  exit 2
fi
sums=${sums_files[0]}
version=$(basename "$sums")
version=${version#"${name}_"}
version=${version%_SHA256SUMS}

echo "==> checking $(basename "$sums")"
pinned=${RELEASE_KEY_FINGERPRINT:-}
pinned=${pinned//[[:space:]]/}
pinned=${pinned^^}
if [ -n "$pinned" ] && [ ! -f "$sums.sig" ]; then
  echo "install-mirror: RELEASE_KEY_FINGERPRINT is set but $(basename "$sums").sig is missing" >&2
  exit 1
fi
if [ -f "$sums.sig" ]; then
  # VALIDSIG <fingerprint> ... <primary key fingerprint>: a good signature, and by whom.
  signers=$(gpg --batch --status-fd 1 --verify "$sums.sig" "$sums" 2>/dev/null | awk '$2 == "VALIDSIG" { print $3; print $NF }') || true
  if [ -z "$signers" ]; then
    echo "install-mirror: $(basename "$sums").sig does not verify with gpg's keys; import the release key first" >&2
    exit 1
  fi
  if [ -n "$pinned" ] && ! grep -qx -- "$pinned" <<<"$signers"; then
    echo "install-mirror: $(basename "$sums").sig is signed by $(head -n 1 <<<"$signers"), not by RELEASE_KEY_FINGERPRINT $pinned" >&2
    exit 1
  fi
  echo "    signature good, key $(tail -n 1 <<<"$signers")"
fi
(cd "$dist" && sha256sum --check --strict --quiet "$(basename "$sums")")

zips=()
while read -r hash file; do
  case "$file" in
    */* | .*) echo "install-mirror: $(basename "$sums") names a file outside its directory: $file" >&2; exit 2 ;;
    "${name}_${version}_"*.zip) zips+=("$hash $file") ;;
  esac
done < "$sums"
if [ ${#zips[@]} -eq 0 ]; then
  echo "install-mirror: $(basename "$sums") lists no ${name}_${version}_OS_ARCH.zip" >&2
  exit 2
fi

lock="$mirror/${name}_${version}.lock.hcl"
: > "$lock"
for host in registry.terraform.io registry.opentofu.org; do
  dir="$mirror/$host/taurusdb/taurusdb"
  mkdir -p "$dir"
  {
    printf 'provider "%s/taurusdb/taurusdb" {\n' "$host"
    printf '  version     = "%s"\n' "$version"
    printf '  constraints = "%s"\n' "$version"
    printf '  hashes = [\n'
  } >> "$lock"
  for entry in "${zips[@]}"; do
    hash=${entry%% *}
    file=${entry#* }
    cp "$dist/$file" "$dir/$file"
    printf '    "zh:%s",\n' "$hash" >> "$lock"
    echo "    $host/taurusdb/taurusdb/$file"
  done
  printf '  ]\n}\n\n' >> "$lock"
done
echo "==> lock entries: $lock"
