#!/usr/bin/env bash
# Builds the release binary for this machine's OS/arch and writes the files a Terraform
# registry (or a filesystem mirror, see scripts/install-mirror.sh) takes, in dist/:
#
#   terraform-provider-taurusdb_VERSION_OS_ARCH.zip       holding terraform-provider-taurusdb_vVERSION
#   terraform-provider-taurusdb_VERSION_manifest.json     protocol_versions ["6.0"]
#   terraform-provider-taurusdb_VERSION_SHA256SUMS        the zips and the manifest
#   terraform-provider-taurusdb_VERSION_SHA256SUMS.sig    with GPG_KEY_ID set: a detached signature
#
# Usage: scripts/release.sh [VERSION]
#   VERSION defaults to Cargo.toml's and must equal it when given (the binary's
#   `version` subcommand prints the same number).
# Environment:
#   DIST_DIR        where to write (default: dist/ in the repository)
#   GPG_KEY_ID      sign SHA256SUMS with this key (gpg --detach-sign)
#   RELEASE_BINARY  package this already-built binary instead of running cargo (tests)
#   CARGO_TARGET    build for this Rust target (e.g. aarch64-unknown-linux-gnu); OS/arch
#                   in the file names follow it. See README "Releases" for cross-builds.
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
target=${CARGO_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}
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
  echo "==> cargo build --release --locked --target $target"
  cargo build --release --locked --target "$target" --manifest-path "$root/Cargo.toml"
  binary="$root/target/$target/release/$name$exe"
fi
built=$("$binary" version)
if [ "$built" != "$name $version" ]; then
  echo "release: $binary says \"$built\", expected \"$name $version\"" >&2
  exit 2
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
(cd "$dist" && sha256sum "${name}_${version}"_*.zip "$manifest" > "$sums")

if [ -n "${GPG_KEY_ID:-}" ]; then
  rm -f "$dist/$sums.sig"
  gpg --batch --yes --local-user "$GPG_KEY_ID" --output "$dist/$sums.sig" --detach-sign "$dist/$sums"
fi

echo "==> $dist"
(cd "$dist" && ls -1 "${name}_${version}"_*)
