#!/usr/bin/env bash
# Builds the release binary for this machine's OS/arch (or, with --all, for every platform
# the release ships) and writes the files a Terraform registry (or a filesystem mirror, see
# scripts/install-mirror.sh) takes, in dist/:
#
#   terraform-provider-taurusdb_VERSION_OS_ARCH.zip       holding terraform-provider-taurusdb_vVERSION
#                                                         (..._vVERSION.exe for windows)
#   terraform-provider-taurusdb_VERSION_manifest.json     protocol_versions ["6.0"]
#   terraform-provider-taurusdb_VERSION_SHA256SUMS        the zips and the manifest
#   terraform-provider-taurusdb_VERSION_SHA256SUMS.sig    a detached signature, whenever a key is configured
#
# Usage: scripts/release.sh [--all] [VERSION]
#   VERSION defaults to Cargo.toml's and must equal it when given (the binary's
#   `version` subcommand prints the same number).
#   --all  builds and packages linux_amd64, linux_arm64, darwin_amd64, darwin_arm64 and
#          windows_amd64 into one dist/ with one SHA256SUMS and manifest. Needs the cross
#          toolchain first in PATH: eval "$(scripts/cross-setup.sh)" (Debian's rustc with
#          the std sources, the aarch64 std and gcc, mingw-w64, nasm, zig + cargo-zigbuild,
#          rust-objcopy); without it there, the tool directory cross-setup.sh laid out
#          (CROSS_DIR) is used. It names what is missing before building anything. Every binary
#          is built before any file is written, and each is checked to be an executable of
#          its OS and architecture (the host's also answers `version`).
# Environment:
#   DIST_DIR             where to write (default: dist/ in the repository)
#   RELEASE_SIGNING_KEY  sign SHA256SUMS with this gpg key (GPG_KEY_ID is read too); without
#                        either, gpg.conf's default-key. With no key it says so and does not sign.
#   RELEASE_BINARY       package this already-built binary instead of running cargo (tests;
#                        not with --all)
#   CARGO_TARGET         build for this Rust target (e.g. aarch64-unknown-linux-gnu); OS/arch
#                        in the file names follow it. See docs/guides/releases.md for cross-builds.
#                        Without it (or equal to the host's) the host build is used, no --target.
#                        The Apple and Windows targets are built as --all builds them.
#   SOURCE_DATE_EPOCH    the zip entries' timestamp (default 1980-01-01): zips are byte-for-byte
#                        the same for the same binary.
# cargo is asked where it put the binary, so CARGO_TARGET_DIR and build.target-dir count.
# How --all builds each target (env vars already set are kept):
#   linux_arm64    cargo build --target aarch64-unknown-linux-gnu, linker aarch64-linux-gnu-gcc
#   windows_amd64  cargo build -Zbuild-std=std,panic_unwind --target x86_64-pc-windows-gnu
#                  (RUSTC_BOOTSTRAP=1), linker x86_64-w64-mingw32-gcc
#   darwin_*       cargo zigbuild -Zbuild-std=std,panic_unwind --target {aarch64,x86_64}-apple-darwin,
#                  MACOSX_DEPLOYMENT_TARGET 11.0 (arm64) / 10.14 (amd64), linked against the
#                  framework stubs in cross/macos-frameworks (cross/make-macos-stubs.sh)
#   linux_amd64    (this machine's own platform) built as without --all: by the toolchain
#                  on PATH without cross-setup.sh's tool directory (rustup's: the compiler
#                  the tests, benchmarks and build.rs's link order list were made with), no
#                  --target, in the native target directory. Byte for byte the zip the
#                  host-only run writes, with the link layout of build.rs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=terraform-provider-taurusdb

usage() {
  echo "usage: $0 [--all] [VERSION]   (see the top of this script)" >&2
  exit 2
}
all=false
version_arg=""
while [ $# -gt 0 ]; do
  case "$1" in
    --all) all=true ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) echo "release: unknown option $1" >&2; usage ;;
    *) [ -z "$version_arg" ] || usage; version_arg=$1 ;;
  esac
  shift
done

cargo_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
version=${version_arg:-$cargo_version}
if [ "$version" != "$cargo_version" ]; then
  echo "release: VERSION $version differs from Cargo.toml's $cargo_version; bump Cargo.toml first" >&2
  exit 2
fi

# The OS/arch pair in Terraform's naming, from a Rust target triple: sets os, arch, exe.
platform_of() {
  case "$1" in
    x86_64-*) arch=amd64 ;;
    aarch64-*) arch=arm64 ;;
    i686-*) arch=386 ;;
    *) echo "release: unsupported target $1" >&2; exit 2 ;;
  esac
  case "$1" in
    *-linux-*) os=linux ;;
    *-apple-darwin) os=darwin ;;
    *-windows-*) os=windows ;;
    *-freebsd) os=freebsd ;;
    *) echo "release: unsupported target $1" >&2; exit 2 ;;
  esac
  exe=""
  [ "$os" = windows ] && exe=".exe"
  return 0
}

host=$(cd "$root" && rustc -vV | sed -n 's/^host: //p')
all_targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-gnu)
if $all; then
  [ -z "${RELEASE_BINARY:-}" ] || { echo "release: RELEASE_BINARY names one binary; it does not go with --all" >&2; exit 2; }
  [ -z "${CARGO_TARGET:-}" ] || { echo "release: CARGO_TARGET picks one target; it does not go with --all" >&2; exit 2; }
  targets=("${all_targets[@]}")
else
  targets=("${CARGO_TARGET:-$host}")
fi
for target in "${targets[@]}"; do platform_of "$target"; done

stubs=$root/cross/macos-frameworks
# What building `target` needs beyond what a host build needs, one line per missing tool.
missing_for() {
  local target=$1 sysroot
  [ "$target" != "$host" ] || return 0
  sysroot=$(rustc --print sysroot 2>/dev/null || true)
  case "$target" in
    *-apple-darwin | *-windows-gnu)
      [ -d "$sysroot/lib/rustlib/src/rust/library" ] ||
        echo "the standard library's sources for -Zbuild-std ($sysroot/lib/rustlib/src/rust/library; Debian: rust-web-src): rustc is $(command -v rustc || echo none)"
      ;;
  esac
  case "$target" in
    aarch64-unknown-linux-gnu)
      # Alone (CARGO_TARGET), a Linux target is built as cargo is set up, as before --all.
      $all || return 0
      compgen -G "$(rustc --print target-libdir --target "$target" 2>/dev/null || echo /nonexistent)/libstd-*.rlib" >/dev/null ||
        echo "the aarch64-unknown-linux-gnu standard library for $(command -v rustc || echo rustc) (Debian: libstd-rust-web-dev:arm64)"
      command -v "${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}" >/dev/null ||
        echo "${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}, the linux_arm64 linker (Debian: gcc-aarch64-linux-gnu)"
      ;;
    x86_64-pc-windows-gnu)
      command -v "${CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER:-x86_64-w64-mingw32-gcc}" >/dev/null ||
        echo "${CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER:-x86_64-w64-mingw32-gcc}, the windows_amd64 linker (Debian: mingw-w64)"
      command -v nasm >/dev/null || echo "nasm, for aws-lc's Windows assembly (Debian: nasm)"
      ;;
    *-apple-darwin)
      command -v cargo-zigbuild >/dev/null || echo "cargo-zigbuild, the darwin linker driver (PyPI: cargo-zigbuild)"
      command -v zig >/dev/null || echo "zig (PyPI: ziglang; its zig must be on PATH)"
      command -v rust-objcopy >/dev/null || [ -x "$sysroot/lib/rustlib/$host/bin/rust-objcopy" ] ||
        echo "rust-objcopy, which rustc runs to strip Mach-O binaries (llvm-objcopy; Debian: llvm-22)"
      [ -f "$stubs/Security.framework/Security.tbd" ] && [ -f "$stubs/CoreFoundation.framework/CoreFoundation.tbd" ] ||
        echo "the framework stubs $stubs/*.framework (cross/make-macos-stubs.sh)"
      case "$stubs" in *[[:space:]]*) echo "a checkout path without spaces (the stubs' path goes into RUSTFLAGS: $stubs)" ;; esac
      if [ -n "${RUSTFLAGS:-}${CARGO_ENCODED_RUSTFLAGS:-}" ]; then
        echo "RUSTFLAGS and CARGO_ENCODED_RUSTFLAGS must be unset (cargo would use them instead of the per-target flags that find the framework stubs)"
      fi
      ;;
  esac
}
cross_bin=${CROSS_DIR:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/taurusdb-cross}/bin
# The host's own build, with --all too: PATH without the cross tool directory, and the
# target directory the user chose unless it is the one cross-setup.sh names.
native_path=$(IFS=:; for dir in $PATH; do [ "$dir" = "$cross_bin" ] || printf '%s:' "$dir"; done)
native_path=${native_path%:}
native_target_dir=${CARGO_TARGET_DIR-}
[ "$native_target_dir" != "${cross_bin%/bin}/target" ] || native_target_dir=""
PATH="$native_path" command -v cargo >/dev/null || native_path=$PATH
if [ -z "${RELEASE_BINARY:-}" ]; then
  missing=$(for target in "${targets[@]}"; do missing_for "$target"; done | awk '!seen[$0]++')
  # The toolchain on PATH lacks something, but scripts/cross-setup.sh has laid out its tool
  # directory: use that, as its export lines would (so `scripts/cross-setup.sh &&
  # scripts/release.sh --all` works without the eval), in its own target directory.
  if [ -n "$missing" ] && [ -d "$cross_bin" ] && [[ ":$PATH:" != *":$cross_bin:"* ]]; then
    echo "==> the toolchain on PATH cannot build for ${targets[*]}: using scripts/cross-setup.sh's, $cross_bin"
    export PATH="$cross_bin:$PATH"
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${cross_bin%/bin}/target}"
    missing=$(for target in "${targets[@]}"; do missing_for "$target"; done | awk '!seen[$0]++')
  fi
  if [ -n "$missing" ]; then
    {
      echo "release: cannot build for ${targets[*]}: the cross-build toolchain is missing or incomplete:"
      sed 's/^/release:   - /' <<<"$missing"
      echo "release: install it and put it first in PATH with:"
      echo "release:   eval \"\$(scripts/cross-setup.sh)\""
      echo "release: then run this again. Nothing was built or written."
    } >&2
    exit 2
  fi
fi

# Builds `target` and prints the executable's path (last line of stdout).
build_target() {
  local target=$1 t_upper cargo_cmd=(cargo) extra=() start=$SECONDS messages binary
  local build=(build --release --locked --bin "$name" --manifest-path "$root/Cargo.toml" --message-format=json-render-diagnostics)
  t_upper=$(tr 'a-z-' 'A-Z_' <<<"$target")
  local native=false
  [ "$target" != "$host" ] || native=true
  if $native; then
    echo "==> building for this machine ($host), without --target: a current host build is reused" >&2
    cargo_cmd=(env -u RUSTC_BOOTSTRAP -u CARGO_TARGET_DIR "PATH=$native_path"
      ${native_target_dir:+"CARGO_TARGET_DIR=$native_target_dir"} cargo)
    echo "    with $(PATH="$native_path" command -v cargo) ($(PATH="$native_path" rustc --version 2>/dev/null || echo "rustc unknown"))" >&2
  else
    build+=(--target "$target")
    echo "==> building for $target" >&2
  fi
  local envs=()
  # One setting for every --all build, so the build scripts and proc macros they share
  # stay fresh from one target to the next (-Zbuild-std needs it).
  $all && ! $native && envs+=(RUSTC_BOOTSTRAP=1)
  case "$target" in
    "$host") ;;
    aarch64-unknown-linux-gnu)
      # Alone (CARGO_TARGET), as cargo is set up (as before --all); with --all, the recipe.
      $all && envs+=("CARGO_TARGET_${t_upper}_LINKER=${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}"
        "CC_aarch64_unknown_linux_gnu=${CC_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-gcc}"
        "AR_aarch64_unknown_linux_gnu=${AR_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-ar}")
      ;;
    x86_64-pc-windows-gnu)
      envs+=(RUSTC_BOOTSTRAP=1
        "CARGO_TARGET_${t_upper}_LINKER=${CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER:-x86_64-w64-mingw32-gcc}"
        "CC_x86_64_pc_windows_gnu=${CC_x86_64_pc_windows_gnu:-x86_64-w64-mingw32-gcc}"
        "AR_x86_64_pc_windows_gnu=${AR_x86_64_pc_windows_gnu:-x86_64-w64-mingw32-ar}")
      extra+=("-Zbuild-std=std,panic_unwind")
      ;;
    *-apple-darwin)
      local rustflags_var="CARGO_TARGET_${t_upper}_RUSTFLAGS" minos=11.0
      [ "$target" = x86_64-apple-darwin ] && minos=10.14
      envs+=(RUSTC_BOOTSTRAP=1 "MACOSX_DEPLOYMENT_TARGET=${MACOSX_DEPLOYMENT_TARGET:-$minos}"
        "$rustflags_var=${!rustflags_var:+${!rustflags_var} }-C link-arg=-F$stubs")
      build[0]=zigbuild
      extra+=("-Zbuild-std=std,panic_unwind")
      ;;
  esac
  # `cargo zigbuild` only when linking for Apple; its own warning about xcrun is harmless.
  build=("${build[0]}" "${extra[@]}" "${build[@]:1}")
  echo "==> ${envs[*]:+${envs[*]} }${cargo_cmd[*]} ${build[*]}" >&2
  # stdout: one JSON message per line; the artifact message names the executable wherever
  # the target directory is (CARGO_TARGET_DIR, build.target-dir, or target/).
  if ! messages=$(env "${envs[@]}" "${cargo_cmd[@]}" "${build[@]}"); then
    echo "release: the build for $target failed (see above)" >&2
    [ "$target" = "$host" ] || echo "release: a cross build needs the toolchain of: eval \"\$(scripts/cross-setup.sh)\"" >&2
    exit 2
  fi
  binary=$(sed -n '/"reason":"compiler-artifact"/{/"name":"'"$name"'"/{/"kind":\["bin"\]/{s/.*"executable":"\([^"]*\)".*/\1/p}}}' <<<"$messages" | tail -n 1)
  if [ -z "$binary" ] || [ ! -f "$binary" ]; then
    echo "release: cargo reported no executable for $name (got \"$binary\")" >&2
    exit 2
  fi
  echo "    cargo built $binary ($((SECONDS - start)) s)" >&2
  echo "$binary"
}

# What an executable is, from its header: elf-x86_64, elf-aarch64, macho-x86_64,
# macho-arm64, pe-amd64, pe-arm64, or unknown.
hex_at() { od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }
binary_kind() {
  local f=$1 magic pe
  magic=$(hex_at "$f" 0 4)
  case "$magic" in
    7f454c46)
      case "$(hex_at "$f" 18 2)" in 3e00) echo elf-x86_64 ;; b700) echo elf-aarch64 ;; *) echo unknown ;; esac ;;
    cffaedfe)
      case "$(hex_at "$f" 4 4)" in 07000001) echo macho-x86_64 ;; 0c000001) echo macho-arm64 ;; *) echo unknown ;; esac ;;
    4d5a*)
      pe=$(hex_at "$f" 60 4)
      pe=$((16#${pe:6:2}${pe:4:2}${pe:2:2}${pe:0:2}))
      if [ "$(hex_at "$f" "$pe" 4)" = 50450000 ]; then
        case "$(hex_at "$f" $((pe + 4)) 2)" in 6486) echo pe-amd64 ;; 64aa) echo pe-arm64 ;; *) echo unknown ;; esac
      else
        echo unknown
      fi ;;
    *) echo unknown ;;
  esac
}
expected_kind() {
  platform_of "$1"
  case "$os-$arch" in
    linux-amd64) echo elf-x86_64 ;; linux-arm64) echo elf-aarch64 ;;
    darwin-amd64) echo macho-x86_64 ;; darwin-arm64) echo macho-arm64 ;;
    windows-amd64) echo pe-amd64 ;; windows-arm64) echo pe-arm64 ;; *) echo unknown ;;
  esac
}

# Build (or take) every binary first: a failed build leaves dist/ as it was.
binaries=()
for target in "${targets[@]}"; do
  if [ -n "${RELEASE_BINARY:-}" ]; then
    binary=$RELEASE_BINARY
  else
    binary=$(build_target "$target")
  fi
  if [ "$target" = "$host" ] || [ -n "${RELEASE_BINARY:-}" ]; then
    built=$("$binary" version)
    if [ "$built" != "$name $version" ]; then
      echo "release: $binary says \"$built\", expected \"$name $version\"" >&2
      exit 2
    fi
  else
    echo "    (the $target binary does not run here: its version is Cargo.toml's, $version)"
  fi
  if $all; then
    kind=$(binary_kind "$binary")
    if [ "$kind" != "$(expected_kind "$target")" ]; then
      echo "release: $binary is $kind, not the $(expected_kind "$target") executable $target needs" >&2
      exit 2
    fi
    echo "    $target: $kind"
  fi
  binaries+=("$binary")
done

dist=${DIST_DIR:-$root/dist}
mkdir -p "$dist"
# Absolute: zip runs inside the staging directory.
dist=$(cd "$dist" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for i in "${!targets[@]}"; do
  platform_of "${targets[$i]}"
  zip_name="${name}_${version}_${os}_${arch}.zip"
  entry="${name}_v${version}${exe}"
  rm -rf "${stage:?}/$i"
  mkdir "$stage/$i"
  cp "${binaries[$i]}" "$stage/$i/$entry"
  chmod 0755 "$stage/$i/$entry"
  # Reproducible archives: a fixed timestamp and no extra attributes.
  touch -d "@${SOURCE_DATE_EPOCH:-315532800}" "$stage/$i/$entry"
  rm -f "$dist/$zip_name"
  (cd "$stage/$i" && zip -q -X -9 "$dist/$zip_name" "$entry")
done

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
