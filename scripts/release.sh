#!/usr/bin/env bash
# Builds the release binary for this machine's OS/arch and writes the files a Terraform
# registry (or a filesystem mirror, see scripts/install-mirror.sh) takes, in dist/:
#
#   terraform-provider-taurusdb_VERSION_OS_ARCH.zip       holding terraform-provider-taurusdb_vVERSION
#   terraform-provider-taurusdb_VERSION_manifest.json     protocol_versions ["6.0"]
#   terraform-provider-taurusdb_VERSION_SHA256SUMS        the zips and the manifest
#   terraform-provider-taurusdb_VERSION_SHA256SUMS.sig    a detached signature, whenever a key is configured
#
# Usage: scripts/release.sh [VERSION]
#   VERSION defaults to Cargo.toml's and must equal it when given (the binary's
#   `version` subcommand prints the same number).
# Environment:
#   DIST_DIR             where to write (default: dist/ in the repository)
#   RELEASE_SIGNING_KEY  sign SHA256SUMS with this gpg key (GPG_KEY_ID is read too); without
#                        either, gpg.conf's default-key. With no key it says so and does not sign.
#   RELEASE_BINARY       package this already-built binary instead of running cargo (tests)
#   CARGO_TARGET         build for this Rust target (e.g. aarch64-unknown-linux-gnu); OS/arch
#                        in the file names follow it. See docs/guides/releases.md for cross-builds.
#                        Without it (or equal to the host's) the host build is used, no --target.
# cargo is asked where it put the binary, so CARGO_TARGET_DIR and build.target-dir count.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=terraform-provider-taurusdb

cargo_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
version=${1:-$cargo_version}
if [ "$version" != "$cargo_version" ]; then
  echo "release: VERSION $version differs from Cargo.toml's $cargo_version; bump Cargo.toml first" >&2
  exit 2
fi

# The OS/arch pair in Terraform's naming, from a Rust target triple.
host=$(cd "$root" && rustc -vV | sed -n 's/^host: //p')
target=${CARGO_TARGET:-$host}
case "$target" in
  x86_64-*) arch=amd64 ;;
  aarch64-*) arch=arm64 ;;
  i686-*) arch=386 ;;
  *) echo "release: unsupported target $target" >&2; exit 2 ;;
esac
case "$target" in
  *-linux-*) os=linux ;;
  *-apple-darwin) os=darwin ;;
  *-windows-*) os=windows ;;
  *-freebsd) os=freebsd ;;
  *) echo "release: unsupported target $target" >&2; exit 2 ;;
esac
exe=""
[ "$os" = windows ] && exe=".exe"

if [ -n "${RELEASE_BINARY:-}" ]; then
  binary=$RELEASE_BINARY
else
  build=(build --release --locked --bin "$name" --manifest-path "$root/Cargo.toml" --message-format=json-render-diagnostics)
  if [ "$target" = "$host" ]; then
    echo "==> building for this machine ($host), without --target: a current host build is reused"
  else
    build+=(--target "$target")
    echo "==> building for $target (not this machine's $host)"
  fi
  echo "==> cargo ${build[*]}"
  # stdout: one JSON message per line; the artifact message names the executable wherever
  # the target directory is (CARGO_TARGET_DIR, build.target-dir, or target/).
  messages=$(cargo "${build[@]}")
  binary=$(sed -n '/"reason":"compiler-artifact"/{/"name":"'"$name"'"/{/"kind":\["bin"\]/{s/.*"executable":"\([^"]*\)".*/\1/p}}}' <<<"$messages" | tail -n 1)
  if [ -z "$binary" ] || [ ! -f "$binary" ]; then
    echo "release: cargo reported no executable for $name (got \"$binary\")" >&2
    exit 2
  fi
  echo "    cargo built $binary"
fi
if [ "$target" = "$host" ] || [ -n "${RELEASE_BINARY:-}" ]; then
  built=$("$binary" version)
  if [ "$built" != "$name $version" ]; then
    echo "release: $binary says \"$built\", expected \"$name $version\"" >&2
    exit 2
  fi
else
  echo "    (a $target binary does not run here: its version is Cargo.toml's, $version)"
fi

dist=${DIST_DIR:-$root/dist}
mkdir -p "$dist"
# Absolute: zip runs inside the staging directory.
dist=$(cd "$dist" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

zip_name="${name}_${version}_${os}_${arch}.zip"
cp "$binary" "$stage/${name}_v${version}${exe}"
chmod 0755 "$stage/${name}_v${version}${exe}"
# Reproducible archives: a fixed timestamp and no extra attributes.
touch -d "@${SOURCE_DATE_EPOCH:-315532800}" "$stage/${name}_v${version}${exe}"
rm -f "$dist/$zip_name"
(cd "$stage" && zip -q -X -9 "$dist/$zip_name" "${name}_v${version}${exe}")

manifest="${name}_${version}_manifest.json"
printf '{\n  "version": 1,\n  "metadata": {\n    "protocol_versions": ["6.0"]\n  }\n}\n' > "$dist/$manifest"

sums="${name}_${version}_SHA256SUMS"
# A .sig from an earlier run would not match the new sums: it is ours to remove.
rm -f "$dist/$sums.sig"
(cd "$dist" && sha256sum "${name}_${version}"_*.zip "$manifest" > "$sums")

signing_key=${RELEASE_SIGNING_KEY:-${GPG_KEY_ID:-}}
key_source="RELEASE_SIGNING_KEY"
[ -z "${RELEASE_SIGNING_KEY:-}" ] && key_source="GPG_KEY_ID"
if [ -z "$signing_key" ]; then
  gpg_conf="${GNUPGHOME:-$HOME/.gnupg}/gpg.conf"
  if [ -f "$gpg_conf" ]; then
    signing_key=$(sed -n 's/^[[:space:]]*default-key[[:space:]]\{1,\}\([^[:space:]#]*\).*/\1/p' "$gpg_conf" | tail -n 1)
    key_source="default-key in $gpg_conf"
  fi
fi
if [ -n "$signing_key" ]; then
  command -v gpg >/dev/null || { echo "release: a signing key is configured ($key_source) but gpg is not installed" >&2; exit 2; }
  echo "==> signing $sums with $signing_key ($key_source)"
  gpg --batch --yes --local-user "$signing_key" --output "$dist/$sums.sig" --detach-sign "$dist/$sums"
  # Check what was written, and name the key users must pin.
  signer=$(gpg --batch --status-fd 1 --verify "$dist/$sums.sig" "$dist/$sums" 2>/dev/null | awk '$2 == "VALIDSIG" { print $NF; exit }') || true
  if [ -z "$signer" ]; then
    rm -f "$dist/$sums.sig"
    echo "release: the signature just made does not verify; no .sig written" >&2
    exit 2
  fi
  echo "    signed by key $signer; users install with RELEASE_KEY_FINGERPRINT=$signer scripts/install-mirror.sh"
else
  cat >&2 <<EOF
release: NOT SIGNING $sums: no key configured (RELEASE_SIGNING_KEY, GPG_KEY_ID, or default-key in gpg.conf).
release: scripts/install-mirror.sh refuses an unsigned release unless given the SHA-256 of $sums
release: (--sha256sums-digest, printed below; publish it where users can check it) or --insecure-skip-verification.
EOF
fi

echo "==> $dist"
(cd "$dist" && ls -1 "${name}_${version}"_*)
echo "==> SHA-256 of $sums: $(sha256sum < "$dist/$sums" | cut -d' ' -f1)"
