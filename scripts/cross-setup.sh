#!/usr/bin/env bash
# Installs what cross-building terraform-provider-taurusdb needs on a Debian 12 x86_64 machine
# (recipe: shared/reference/cross-builds.md) and lays out a tool directory that puts Debian's
# rustc-web toolchain first in PATH. Idempotent: run it again any time.
#
# Installs (as root, via apt-get / pip):
#   Debian: rustc-web cargo-web libstd-rust-web-dev rust-web-src  -> /usr/bin/{cargo,rustc,rustdoc}
#             (rustc 1.96, sysroot /usr, std sources /usr/lib/rustlib/src/rust for -Zbuild-std)
#           libstd-rust-web-dev:arm64 (dpkg --add-architecture arm64) -> aarch64-unknown-linux-gnu std
#           gcc-aarch64-linux-gnu libc6-dev-arm64-cross      aarch64 Linux linker / C compiler
#           mingw-w64 nasm                                   x86_64-pc-windows-gnu linker, aws-lc asm
#           llvm-22                                          llvm-objcopy (as rust-objcopy), llvm-nm
#           qemu-user-static file                            run / inspect aarch64 binaries
#           wine64 wine (only with CROSS_WINE=1)             run the Windows exe
#   PyPI:   ziglang cargo-zigbuild                           Apple (and old-glibc) targets
#
# Owns only one directory, CROSS_DIR (default ${XDG_CACHE_HOME:-~/.cache}/taurusdb-cross), and
# in it bin/ with symlinks: cargo rustc rustdoc zig rust-objcopy cargo-zigbuild. Anything else
# found there is left alone; an existing file is only replaced when it is a symlink (this script
# never overwrites a regular file or a directory). At the end it prints the `export` lines to use
# on stdout (everything else goes to stderr), so `eval "$(scripts/cross-setup.sh)"` works.
#
# Environment:
#   CROSS_DIR    the tool directory (see above)
#   CROSS_WINE   1 to also install wine (large; only needed to run the Windows exe)
#   CROSS_NO_INSTALL  1 to skip apt/pip and only (re)create the symlinks
set -euo pipefail

cross_dir=${CROSS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/taurusdb-cross}
bin=$cross_dir/bin
start=$(date +%s)
say() { echo "cross-setup: $*" >&2; }

if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi

pkg_missing() { # prints the packages of "$@" that are not installed
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

apt_install() {
  local missing
  missing=$(pkg_missing "$@")
  if [ -z "$missing" ]; then
    say "already installed: $*"
    return
  fi
  # shellcheck disable=SC2086
  say "apt-get install $(echo $missing)"
  if [ -z "${apt_updated:-}" ]; then
    "${sudo[@]}" apt-get update -qq >&2
    apt_updated=1
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends $missing >&2
}

if [ "${CROSS_NO_INSTALL:-0}" != 1 ]; then
  apt_install rustc-web cargo-web libstd-rust-web-dev rust-web-src \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static file mingw-w64 nasm llvm-22
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "dpkg --add-architecture arm64"
    "${sudo[@]}" dpkg --add-architecture arm64
    apt_updated=
  fi
  apt_install libstd-rust-web-dev:arm64
  if [ "${CROSS_WINE:-0}" = 1 ]; then
    apt_install wine64 wine
  fi
  if python3 -c 'import ziglang' 2>/dev/null && python3 -m pip show -q cargo-zigbuild >/dev/null 2>&1; then
    say "already installed (pip): ziglang cargo-zigbuild"
  else
    say "pip install ziglang cargo-zigbuild (python: $(command -v python3))"
    python3 -m pip install -q ziglang cargo-zigbuild >&2
  fi
fi

# Where the tools are.
zig=$(python3 -c 'import ziglang,os;print(os.path.join(os.path.dirname(ziglang.__file__),"zig"))' 2>/dev/null || true)
zigbuild=$(python3 -c 'import sys,os;print(os.path.join(os.path.dirname(sys.executable),"cargo-zigbuild"))' 2>/dev/null || true)
[ -x "$zigbuild" ] || zigbuild=$(command -v cargo-zigbuild || true)
declare -A links=(
  [cargo]=/usr/bin/cargo
  [rustc]=/usr/bin/rustc
  [rustdoc]=/usr/bin/rustdoc
  [zig]=$zig
  [rust-objcopy]=/usr/lib/llvm-22/bin/llvm-objcopy
  [cargo-zigbuild]=$zigbuild
)

# The directory: create it, or check that what is there is ours to touch.
if [ -e "$cross_dir" ] && [ ! -d "$cross_dir" ]; then
  say "$cross_dir exists and is not a directory; set CROSS_DIR elsewhere"; exit 1
fi
if [ -e "$bin" ] && [ ! -d "$bin" ]; then
  say "$bin exists and is not a directory; set CROSS_DIR elsewhere"; exit 1
fi
# Verify everything before changing anything: a file of someone else's where a link goes,
# then every tool the links point at.
for name in "${!links[@]}"; do
  dst=$bin/$name
  if [ -e "$dst" ] && [ ! -L "$dst" ]; then
    say "$dst exists and is not a symlink: left alone; remove it or set CROSS_DIR"; exit 1
  fi
done
for name in "${!links[@]}"; do
  src=${links[$name]}
  if [ -z "$src" ] || [ ! -e "$src" ]; then
    say "missing: $name (expected at ${src:-?}); run without CROSS_NO_INSTALL"; exit 1
  fi
done
mkdir -p "$bin"
for name in "${!links[@]}"; do
  src=${links[$name]}
  dst=$bin/$name
  if [ -L "$dst" ] && [ "$(readlink "$dst")" = "$src" ]; then
    continue
  fi
  ln -sfn "$src" "$dst"
  say "linked $dst -> $src"
done

# Verify: Debian's toolchain answers through the directory.
PATH=$bin:$PATH
rustc_v=$(rustc --version)
case "$rustc_v" in
  *rustc\ 1.*) ;;
  *) say "unexpected rustc: $rustc_v"; exit 1 ;;
esac
[ -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ] ||
  { say "std sources missing under $(rustc --print sysroot)/lib/rustlib/src/rust (rust-web-src)"; exit 1; }
say "toolchain: $rustc_v ($(command -v rustc) -> $(readlink -f "$(command -v rustc)")), zig $(zig version)"
say "done in $(($(date +%s) - start)) s; tool directory: $bin"

cat <<EOF
# cross-building terraform-provider-taurusdb (eval "\$(scripts/cross-setup.sh)"):
export PATH="$bin:\$PATH"
export RUSTC_BOOTSTRAP=1   # only for -Zbuild-std (Windows, Apple targets)
export CARGO_TARGET_DIR="\${CARGO_TARGET_DIR:-$cross_dir/target}"   # not the native target/: another rustc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
# then e.g.:
#   cargo check -Zbuild-std=std,panic_unwind --target x86_64-pc-windows-gnu
#   cargo build --target aarch64-unknown-linux-gnu
#   MACOSX_DEPLOYMENT_TARGET=11.0 cargo zigbuild -Zbuild-std=std,panic_unwind --target aarch64-apple-darwin
EOF
