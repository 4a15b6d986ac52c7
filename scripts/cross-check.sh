#!/usr/bin/env bash
# Proves that the cross-built release archives work, beyond "it linked" (issue 17, item 4).
# Takes the zips that `scripts/release.sh --all` wrote (checked against their SHA256SUMS
# first) and, on this x86_64 Linux machine:
#
#   all five       scripts/install-mirror.sh lays them out as one filesystem mirror, whose
#                  lock file pins every zip, and `terraform init` installs linux_amd64 from it.
#   linux_arm64    under qemu-aarch64-static: answers `version`; completes go-plugin's
#                  handshake (TF_PLUGIN_MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS=6,
#                  PLUGIN_CLIENT_CERT with a P-521 certificate) with a `unix` line; accepts
#                  that client certificate over mutual TLS and refuses a connection without
#                  it or with another one; and Terraform applies examples/basic against the
#                  simulator (the linux_amd64 archive's `sim`), re-plans with no changes and
#                  destroys, starting the arm64 binary through a wrapper in its dev_overrides
#                  directory that execs qemu-aarch64-static.
#   windows_amd64  a PE32+ x86-64 console exe importing no MinGW runtime DLL; under wine:
#                  answers `version`; prints a handshake line with a `tcp` address on
#                  127.0.0.1; accepts the pinned client certificate and refuses a TLS client
#                  without it or with another one (an attacker's check). wine 8.0 lacks
#                  bcryptprimitives.dll, so a test-only shim (cross/wine-bcryptprimitives.c)
#                  is built with mingw into the scratch directory next to the exe; it is
#                  never shipped.
#   darwin_amd64,  Mach-O executables of the right architecture, built for macOS 10.14 /
#   darwin_arm64   11.0, linking only system libraries (/usr/lib/libSystem.B.dylib,
#                  libiconv, libcharset, the Security and CoreFoundation frameworks); the
#                  arm64 one carries an ad-hoc code signature whose page hashes match.
#                  NOT RUN here: no macOS on this machine. Run `version` and a plan on a Mac.
#
# Usage: scripts/cross-check.sh [DIST_DIR]      (default: dist/ in the repository)
# Needs: qemu-aarch64-static, wine (CROSS_WINE=1 scripts/cross-setup.sh), mingw-w64,
#        llvm-objdump-22 (or llvm-objdump), file, unzip, openssl, python3, and Terraform or
#        OpenTofu (TF_BINARY, default terraform on PATH).
# Everything it makes lives in one scratch directory (removed at the end, with the wine
# prefix in it); the processes it starts are stopped by their process IDs. Prints one
# PASS/FAIL line per check and exits 1 if any failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=terraform-provider-taurusdb
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
dist=$(cd "${1:-$root/dist}" && pwd)
cookie=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2

failed=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
die() { echo "cross-check: $*" >&2; exit 2; }

objdump=$(command -v llvm-objdump-22 || command -v llvm-objdump || true)
tf=${TF_BINARY:-$(command -v terraform || command -v tofu || true)}
for tool in qemu-aarch64-static wine wineserver x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump file unzip openssl python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed: CROSS_WINE=1 scripts/cross-setup.sh installs what this needs"
done
[ -n "$objdump" ] || die "llvm-objdump-22 is not installed (scripts/cross-setup.sh)"
[ -n "$tf" ] || die "no terraform or tofu on PATH (or TF_BINARY)"
tf_version=$("$tf" version 2>/dev/null | head -n 1)
[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "it runs the linux_amd64 zip (the simulator, terraform init): run it on x86_64 Linux"

work=$(mktemp -d)
pids=()
wine_env=(WINEPREFIX="$work/wineprefix" WINEARCH=win64 WINEDEBUG=-all)
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # The wine server of our own prefix only (it outlives its last process by a few seconds).
  [ -d "$work/wineprefix" ] && env "${wine_env[@]}" wineserver -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== release in $dist (version $version)"
sums=${name}_${version}_SHA256SUMS
[ -f "$dist/$sums" ] || die "$dist/$sums missing: scripts/release.sh --all first"
(cd "$dist" && sha256sum --check --quiet "$sums") || die "$dist does not match its $sums"
for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64; do
  zip="$dist/${name}_${version}_${platform}.zip"
  [ -f "$zip" ] || die "$zip missing: scripts/release.sh --all writes it"
  grep -q " ${zip##*/}\$" "$dist/$sums" || die "${zip##*/} is not in $sums"
  mkdir -p "$work/$platform"
  unzip -q "$zip" -d "$work/$platform"
done
pass "SHA256SUMS covers the five zips and matches them"
linux_amd64=$work/linux_amd64/${name}_v${version}
linux_arm64=$work/linux_arm64/${name}_v${version}
windows_exe=$work/windows_amd64/${name}_v${version}.exe

# A Terraform-like client certificate (P-521, SHA-512, CA:TRUE), and another one.
for who in client other; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp521r1 -sha512 -nodes -days 1 \
    -subj "/CN=localhost" -keyout "$work/$who.key" -out "$work/$who.pem" 2>/dev/null
done

# Starts "$@" in plugin mode as Terraform would and reads its handshake line into
# `handshake` (the process ID goes to `pids` and `plugin_pid`).
start_plugin() {
  local out=$work/plugin-$RANDOM
  exec {fd}< <(exec env TF_PLUGIN_MAGIC_COOKIE=$cookie PLUGIN_PROTOCOL_VERSIONS=6 \
    PLUGIN_CLIENT_CERT="$(cat "$work/client.pem")" "$@" 2>"$out.stderr")
  plugin_pid=$!
  pids+=("$plugin_pid")
  handshake=""
  # A bound, not a synchronisation: the line comes when the plugin is ready.
  read -t 120 -r handshake <&"$fd" || true
  handshake=${handshake%$'\r'}
  exec {fd}<&-
  [ -n "$handshake" ] || { echo "    (no handshake line; stderr: $(head -c 400 "$out.stderr"))"; return 1; }
}
stop_plugin() { kill "$plugin_pid" 2>/dev/null || true; }

# The TLS checks on a running plugin: the pinned client certificate is accepted, no
# certificate and another certificate are refused.
tls_checks() { # LABEL
  local label=$1 out
  if out=$(python3 "$root/cross/tls-probe.py" "$handshake" "$work/client.pem" "$work/client.key"); then
    pass "$label: mutual TLS with the PLUGIN_CLIENT_CERT certificate: $out"
  else
    fail "$label: mutual TLS with the PLUGIN_CLIENT_CERT certificate: $out"
  fi
  for attempt in "no" "another"; do
    if [ "$attempt" = no ]; then
      out=$(python3 "$root/cross/tls-probe.py" "$handshake") && res=0 || res=$?
    else
      out=$(python3 "$root/cross/tls-probe.py" "$handshake" "$work/other.pem" "$work/other.key") && res=0 || res=$?
    fi
    if [ "$res" = 1 ]; then
      pass "$label: a TLS client with $attempt client certificate is $out"
    else
      fail "$label: a TLS client with $attempt client certificate: expected refused, got rc $res: $out"
    fi
  done
}

echo "== the five-zip release as a filesystem mirror (scripts/install-mirror.sh, terraform init)"
mirror=$work/mirror
digest=$(sha256sum <"$dist/$sums" | cut -d' ' -f1)
if "$root/scripts/install-mirror.sh" --sha256sums-digest "$digest" "$dist" "$mirror" >"$work/mirror.log" 2>&1; then
  lock=$mirror/${name}_${version}.lock.hcl
  hashes=$(grep -c '"zh:' "$lock" || true)
  mkdir -p "$work/init"
  cp "$root/examples/basic/main.tf" "$work/init/main.tf"
  cp "$lock" "$work/init/.terraform.lock.hcl"
  printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$mirror" >"$work/mirror.rc"
  installed=$work/init/.terraform/providers/registry.terraform.io/taurusdb/taurusdb/$version/linux_amd64/${name}_v${version}
  if (cd "$work/init" && TF_CLI_CONFIG_FILE="$work/mirror.rc" CHECKPOINT_DISABLE=1 "$tf" init -input=false -no-color) >"$work/init.log" 2>&1 &&
    cmp -s "$installed" "$linux_amd64"; then
    pass "mirror: $hashes zh: hashes locked (five zips, two registries); terraform init installed linux_amd64 from it"
  else
    fail "mirror: terraform init from the five-zip mirror: $(tail -n 20 "$work/init.log")"
  fi
else
  fail "mirror: install-mirror.sh: $(tail -n 20 "$work/mirror.log")"
fi

echo "== linux_arm64 (qemu-aarch64-static)"
desc=$(file -b "$linux_arm64")
[[ "$desc" == *"ELF 64-bit LSB"*"ARM aarch64"* ]] && pass "linux_arm64: $desc" || fail "linux_arm64: file says: $desc"
got=$(qemu-aarch64-static "$linux_arm64" version 2>&1 || true)
[ "$got" = "$name $version" ] && pass "linux_arm64: \`version\` under qemu: $got" || fail "linux_arm64: \`version\` under qemu: $got"
if start_plugin qemu-aarch64-static "$linux_arm64" &&
  [[ "$handshake" =~ ^1\|6\|unix\|/[^|]+\|grpc\|[A-Za-z0-9+/]+$ ]]; then
  pass "linux_arm64: handshake under qemu: ${handshake:0:60}..."
  tls_checks linux_arm64
else
  fail "linux_arm64: handshake under qemu: \"${handshake:-}\""
fi
stop_plugin

echo "== linux_arm64: terraform apply examples/basic, the provider under qemu"
overrides=$work/overrides
mkdir -p "$overrides" "$work/tf"
# Terraform runs this like the provider binary; every start is logged.
cat >"$overrides/$name" <<EOF
#!/bin/sh
# Runs the linux_arm64 provider under qemu for Terraform (scripts/cross-check.sh).
echo "started \$*" >>'$work/qemu-starts.log'
exec qemu-aarch64-static '$linux_arm64' "\$@"
EOF
chmod 0755 "$overrides/$name"
token="cross-check-$RANDOM$RANDOM"
exec {sim_fd}< <(SIM_AUTH_TOKEN="$token" exec "$linux_amd64" sim --listen 127.0.0.1:0 --job-duration 2s 2>"$work/sim.log")
pids+=("$!")
banner=""
read -t 60 -r banner <&"$sim_fd" || true
endpoint=$(sed -nE 's/.* on (http[^ ]+).*/\1/p' <<<"$banner")
project_id=$(sed -nE 's/.*project_id=([^ ]+).*/\1/p' <<<"$banner")
instance_id=$(sed -nE 's/.*instance_id=([^ ]+).*/\1/p' <<<"$banner")
[ -n "$endpoint" ] || die "the simulator did not start: ${banner:-no banner}; $(head -c 400 "$work/sim.log")"
cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/taurusdb/taurusdb" = "$overrides"
  }
  direct {}
}
RC
cp "$root/examples/basic/main.tf" "$work/tf/main.tf"
tf_run() {
  (cd "$work/tf" && env TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 \
    HW_TAURUSDB_ENDPOINT="$endpoint" HW_PROJECT_ID="$project_id" HW_AUTH_TOKEN="$token" \
    TF_VAR_instance_id="$instance_id" "$tf" "$@")
}
if tf_run apply -auto-approve -input=false -no-color >"$work/apply.log" 2>&1; then
  job_id=$(tf_run output -no-color -raw job_id 2>/dev/null || true)
  starts=$(wc -l <"$work/qemu-starts.log" 2>/dev/null || echo 0)
  if [ -n "$job_id" ] && [ "$starts" -gt 0 ]; then
    pass "linux_arm64: $tf_version applied examples/basic under qemu (job ID $job_id; provider started $starts times through the wrapper)"
  else
    fail "linux_arm64: apply succeeded but job ID \"$job_id\", wrapper starts $starts"
  fi
  if tf_run plan -detailed-exitcode -input=false -no-color >"$work/plan.log" 2>&1; then
    pass "linux_arm64: re-plan under qemu: no changes"
  else
    fail "linux_arm64: re-plan under qemu is not empty: $(tail -n 20 "$work/plan.log")"
  fi
  if tf_run destroy -auto-approve -input=false -no-color >"$work/destroy.log" 2>&1; then
    pass "linux_arm64: destroy under qemu"
  else
    fail "linux_arm64: destroy under qemu: $(tail -n 20 "$work/destroy.log")"
  fi
else
  fail "linux_arm64: terraform apply under qemu failed: $(tail -n 30 "$work/apply.log")"
fi

echo "== windows_amd64 (wine)"
desc=$(file -b "$windows_exe")
[[ "$desc" == "PE32+ executable (console) x86-64"*"MS Windows"* ]] && pass "windows_amd64: $desc" || fail "windows_amd64: file says: $desc"
dlls=$(x86_64-w64-mingw32-objdump -p "$windows_exe" | sed -n 's/^[[:space:]]*DLL Name: //p' | sort -fu | paste -sd' ' -)
# MinGW's runtime DLLs (libgcc_s_seh-1, libwinpthread-1, libstdc++-6) are not on a
# Windows machine: the exe must not need them.
if grep -qiE '(^| )lib[^ ]*\.dll' <<<"$dlls"; then
  fail "windows_amd64: imports a MinGW runtime DLL: $dlls"
else
  pass "windows_amd64: imports only Windows DLLs: $dlls"
fi
win=$work/wine
mkdir -p "$win"
cp "$windows_exe" "$win/$name.exe"
x86_64-w64-mingw32-gcc -O2 -shared -o "$win/bcryptprimitives.dll" "$root/cross/wine-bcryptprimitives.c" -ladvapi32
got=$(env "${wine_env[@]}" wine "$win/$name.exe" version 2>"$work/wine-version.stderr" | tr -d '\r' || true)
[ "$got" = "$name $version" ] && pass "windows_amd64: \`version\` under $(wine --version 2>/dev/null): $got" ||
  fail "windows_amd64: \`version\` under wine: \"$got\"; $(grep -v wine32 "$work/wine-version.stderr" | head -c 400)"
if start_plugin env "${wine_env[@]}" wine "$win/$name.exe" &&
  [[ "$handshake" =~ ^1\|6\|tcp\|127\.0\.0\.1:[0-9]+\|grpc\|[A-Za-z0-9+/]+$ ]]; then
  pass "windows_amd64: handshake under wine: ${handshake:0:60}..."
  tls_checks windows_amd64
else
  fail "windows_amd64: handshake under wine: \"${handshake:-}\""
fi
stop_plugin

echo "== darwin_amd64, darwin_arm64 (inspected; not run: no macOS here)"
allowed='^(/usr/lib/libSystem\.B\.dylib|/usr/lib/libiconv[.0-9]*\.dylib|/usr/lib/libcharset[.0-9]*\.dylib|/System/Library/Frameworks/(Security|CoreFoundation)\.framework/Versions/A/(Security|CoreFoundation))$'
for platform in darwin_amd64 darwin_arm64; do
  bin=$work/$platform/${name}_v${version}
  case "$platform" in
    darwin_amd64) want="Mach-O 64-bit x86_64 executable" minos="10.14" ;;
    darwin_arm64) want="Mach-O 64-bit arm64 executable" minos="11.0" ;;
  esac
  desc=$(file -b "$bin")
  [[ "$desc" == "$want"* ]] && pass "$platform: $desc" || fail "$platform: file says: $desc"
  dylibs=$("$objdump" --macho --dylibs-used "$bin" | tail -n +2 | sed 's/^[[:space:]]*//; s/ (compatibility.*//')
  others=$(grep -vE "$allowed" <<<"$dylibs" || true)
  if [ -z "$others" ] && [ -n "$dylibs" ]; then
    pass "$platform: links only system libraries: $(paste -sd' ' - <<<"$dylibs")"
  else
    fail "$platform: links non-system libraries: ${others:-none at all}"
  fi
  headers=$("$objdump" --macho --private-headers "$bin")
  got_minos=$(awk '/cmd LC_BUILD_VERSION/ { b = 1 } b && $1 == "minos" { print $2; exit }
                   /cmd LC_VERSION_MIN_MACOSX/ { v = 1 } v && $1 == "version" { print $2; exit }' <<<"$headers")
  [ "$got_minos" = "$minos" ] && pass "$platform: minimum macOS $got_minos" || fail "$platform: minimum macOS \"$got_minos\", expected $minos"
  if [ "$platform" = darwin_arm64 ]; then
    # macOS on Apple silicon runs only signed code; the linker's ad-hoc signature must
    # still match the pages after rustc stripped the binary.
    if out=$(python3 "$root/cross/macho-signature.py" "$bin"); then
      pass "$platform: $out"
    else
      fail "$platform: code signature: $out"
    fi
  fi
done
echo "NOT RUN darwin_amd64, darwin_arm64: executing them needs macOS (no Mac or Darling here): run \`version\` and scripts/demo.sh's apply on one"

echo "== $failed failed"
[ "$failed" = 0 ]
