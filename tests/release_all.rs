//! `scripts/release.sh --all`: one dist/ with the five platforms' zips (the windows one
//! holding `terraform-provider-taurusdb_vVERSION.exe`), one SHA256SUMS and one manifest,
//! byte for byte the same on a rerun; each target built the way it needs (cargo zigbuild
//! with the framework stubs and a deployment target for macOS, -Zbuild-std for macOS and
//! Windows, the cross linkers; the host's own as the host-only run builds it, by the
//! toolchain without cross-setup.sh's, so build.rs's link order list fits it); a binary of the wrong OS or architecture refused before
//! anything is written; and, without the cross toolchain, the missing tools named with
//! the command that installs them, before anything is built.
//!
//! A real `--all` build takes the better part of an hour on two cores, so cargo, rustc and
//! the cross tools here are stand-ins that build nothing but answer as the real ones do:
//! cargo puts a binary where it would and names it in its JSON message. The host's binary
//! is the real provider (release.sh runs its `version`); the others are the headers of an
//! executable of their format, which is all release.sh reads of them.
//! `scripts/cross-check.sh` runs the real cross-built binaries (qemu, wine) and inspects
//! the Mach-O ones.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-taurusdb");
const NAME: &str = "terraform-provider-taurusdb";
const VERSION: &str = env!("CARGO_PKG_VERSION");

const TARGETS: [(&str, &str); 5] = [
    ("x86_64-unknown-linux-gnu", "linux_amd64"),
    ("aarch64-unknown-linux-gnu", "linux_arm64"),
    ("x86_64-apple-darwin", "darwin_amd64"),
    ("aarch64-apple-darwin", "darwin_arm64"),
    ("x86_64-pc-windows-gnu", "windows_amd64"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn host() -> String {
    format!("{}-unknown-linux-gnu", std::env::consts::ARCH)
}

/// The stand-in cargo's name for a build: the host's own has no `--target`.
fn build_key(target: &str) -> String {
    if target == host() {
        "native".to_string()
    } else {
        target.to_string()
    }
}

fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write a stand-in");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// The first bytes of an executable for `target`, as its loader would see them.
fn header(target: &str) -> Vec<u8> {
    let mut bytes = vec![0u8; 256];
    let mut put = |at: usize, data: &[u8]| bytes[at..at + data.len()].copy_from_slice(data);
    match target {
        "x86_64-unknown-linux-gnu" => put(0, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0"),
        "aarch64-unknown-linux-gnu" => put(0, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\xb7\0"),
        "x86_64-apple-darwin" => put(0, b"\xcf\xfa\xed\xfe\x07\0\0\x01"),
        "aarch64-apple-darwin" => put(0, b"\xcf\xfa\xed\xfe\x0c\0\0\x01"),
        "x86_64-pc-windows-gnu" => {
            put(0, b"MZ");
            put(0x3c, &[0x40, 0, 0, 0]);
            put(0x40, b"PE\0\0\x64\x86");
        }
        other => panic!("no header for {other}"),
    }
    bytes
}

/// A directory of stand-ins for the cross toolchain: rustc (its sysroot has the std
/// sources and the aarch64 std), cargo (writes `binaries/<target>` where cargo would put
/// the target's binary and logs its arguments and environment to `calls/<target>`), and
/// the tools release.sh looks for.
struct Toolchain {
    dir: PathBuf,
    bin: PathBuf,
}

impl Toolchain {
    fn new(dir: &Path) -> Self {
        let bin = dir.join("bin");
        let sysroot = dir.join("sysroot");
        for sub in [
            "lib/rustlib/src/rust/library",
            "lib/rustlib/aarch64-unknown-linux-gnu/lib",
        ] {
            std::fs::create_dir_all(sysroot.join(sub)).expect("sysroot");
        }
        std::fs::write(
            sysroot.join("lib/rustlib/aarch64-unknown-linux-gnu/lib/libstd-0.rlib"),
            "",
        )
        .expect("std");
        for sub in ["bin", "binaries", "calls"] {
            std::fs::create_dir_all(dir.join(sub)).expect("dirs");
        }
        executable(
            &bin.join("rustc"),
            &format!(
                r#"#!/bin/sh
case "$1" in
  -vV) echo "rustc 1.96.0 (stand-in)"; echo "host: {host}" ;;
  --print) case "$2" in sysroot) echo '{sysroot}' ;; target-libdir) echo '{sysroot}'/lib/rustlib/$4/lib ;; esac ;;
esac
"#,
                host = host(),
                sysroot = sysroot.display()
            ),
        );
        executable(
            &bin.join("cargo"),
            &format!(
                r#"#!/bin/sh
dir='{dir}'
triple=""
for a in "$@"; do [ "$prev" = --target ] && triple=$a; prev=$a; done
key=${{triple:-native}}
{{ printf 'arg %s\n' "$@"; env | grep -E '^(RUSTC_BOOTSTRAP|MACOSX_DEPLOYMENT_TARGET|CARGO_TARGET_.*|CC_.*|AR_.*)=' | sed 's/^/env /'; echo "path $PATH"; }} > "$dir/calls/$key"
exe=""
case "$triple" in *windows*) exe=.exe ;; esac
out="${{CARGO_TARGET_DIR:-$dir/native-target}}/${{triple:+$triple/}}release"
mkdir -p "$out"
cp "$dir/binaries/$key" "$out/{NAME}$exe"
echo '{{"reason":"compiler-artifact","package_id":"{NAME} {VERSION}","target":{{"kind":["bin"],"crate_types":["bin"],"name":"{NAME}"}},"filenames":["'"$out/{NAME}$exe"'"],"executable":"'"$out/{NAME}$exe"'","fresh":false}}'
echo '{{"reason":"build-finished","success":true}}'
"#,
                dir = dir.display()
            ),
        );
        for tool in [
            "cargo-zigbuild",
            "zig",
            "rust-objcopy",
            "aarch64-linux-gnu-gcc",
            "x86_64-w64-mingw32-gcc",
            "nasm",
        ] {
            executable(&bin.join(tool), "#!/bin/sh\nexit 0\n");
        }
        let toolchain = Self {
            dir: dir.to_path_buf(),
            bin,
        };
        for (target, _) in TARGETS {
            if target == host() {
                std::fs::copy(BINARY, toolchain.binary(target)).expect("the real provider");
            } else {
                std::fs::write(toolchain.binary(target), header(target)).expect("a header");
            }
        }
        toolchain
    }

    /// What cargo puts out for `target`.
    fn binary(&self, target: &str) -> PathBuf {
        self.dir.join("binaries").join(build_key(target))
    }

    /// cargo's arguments and the build environment for `target`'s build.
    fn call(&self, target: &str) -> (Vec<String>, BTreeMap<String, String>) {
        let log = std::fs::read_to_string(self.dir.join("calls").join(build_key(target)))
            .unwrap_or_else(|_| panic!("cargo never built {target}"));
        let mut args = Vec::new();
        let mut env = BTreeMap::new();
        for line in log.lines() {
            if let Some(arg) = line.strip_prefix("arg ") {
                args.push(arg.to_string());
            } else if let Some((k, v)) = line.strip_prefix("env ").and_then(|l| l.split_once('=')) {
                env.insert(k.to_string(), v.to_string());
            } else if let Some(path) = line.strip_prefix("path ") {
                env.insert("PATH".to_string(), path.to_string());
            }
        }
        (args, env)
    }

    /// release.sh --all into `dist`, with these stand-ins first in PATH. No signing key:
    /// GNUPGHOME is a folder that does not exist.
    fn release_all(&self, dist: &Path) -> Output {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new("bash");
        command
            .arg(root().join("scripts/release.sh"))
            .arg("--all")
            .env("PATH", path)
            .env("CARGO_TARGET_DIR", self.dir.join("target"))
            .env("DIST_DIR", dist)
            .env("GNUPGHOME", self.dir.join("no-gnupg"))
            // Never the tool directory scripts/cross-setup.sh made on this machine.
            .env("CROSS_DIR", self.dir.join("no-cross-dir"));
        for var in [
            "RELEASE_BINARY",
            "CARGO_TARGET",
            "RELEASE_SIGNING_KEY",
            "GPG_KEY_ID",
            "MACOSX_DEPLOYMENT_TARGET",
            "RUSTC_BOOTSTRAP",
            "SOURCE_DATE_EPOCH",
        ] {
            command.env_remove(var);
        }
        for (target, _) in TARGETS {
            let upper = target.to_uppercase().replace('-', "_");
            command.env_remove(format!("CARGO_TARGET_{upper}_LINKER"));
            command.env_remove(format!("CARGO_TARGET_{upper}_RUSTFLAGS"));
            command.env_remove(format!("CC_{}", target.replace('-', "_")));
            command.env_remove(format!("AR_{}", target.replace('-', "_")));
        }
        command.output().expect("run release.sh")
    }
}

/// Where `tool` is installed (on this test's PATH).
fn installed(tool: &str) -> String {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .expect("sh");
    let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
    assert!(!path.is_empty(), "{tool} is not installed");
    path
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file in `dir`, by name, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("dist")
        .map(|entry| {
            let entry = entry.expect("entry");
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).expect("read"),
            )
        })
        .collect()
}

#[test]
fn all_writes_five_platforms_with_one_sums_file_and_the_same_bytes_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let toolchain = Toolchain::new(dir.path());
    let dist = dir.path().join("dist");
    let output = toolchain.release_all(&dist);
    let out = text(&output);
    assert!(output.status.success(), "release.sh --all failed:\n{out}");

    let written = files(&dist);
    let mut expected: Vec<String> = TARGETS
        .iter()
        .map(|(_, platform)| format!("{NAME}_{VERSION}_{platform}.zip"))
        .collect();
    expected.push(format!("{NAME}_{VERSION}_SHA256SUMS"));
    expected.push(format!("{NAME}_{VERSION}_manifest.json"));
    expected.sort();
    assert_eq!(
        written.keys().cloned().collect::<Vec<_>>(),
        expected,
        "{out}"
    );

    // Each zip holds exactly the versioned binary (.exe on Windows), the one cargo built.
    for (target, platform) in TARGETS {
        let zip = dist.join(format!("{NAME}_{VERSION}_{platform}.zip"));
        let entry = if platform.starts_with("windows") {
            format!("{NAME}_v{VERSION}.exe")
        } else {
            format!("{NAME}_v{VERSION}")
        };
        let listing = Command::new("unzip")
            .arg("-Z1")
            .arg(&zip)
            .output()
            .expect("unzip");
        assert_eq!(String::from_utf8_lossy(&listing.stdout).trim(), entry);
        let content = Command::new("unzip")
            .arg("-p")
            .arg(&zip)
            .output()
            .expect("unzip");
        assert!(
            content.stdout == std::fs::read(toolchain.binary(target)).expect("built"),
            "{platform}'s zip holds another binary than cargo built for {target}"
        );
    }

    // One SHA256SUMS: the five zips and the manifest, each with its digest.
    let sums =
        String::from_utf8(written[&format!("{NAME}_{VERSION}_SHA256SUMS")].clone()).expect("text");
    let mut listed: Vec<&str> = sums.lines().collect();
    listed.sort();
    let mut want: Vec<String> = written
        .iter()
        .filter(|(name, _)| !name.ends_with("SHA256SUMS"))
        .map(|(name, bytes)| format!("{}  {name}", sha256_hex(bytes)))
        .collect();
    want.sort();
    assert_eq!(listed, want);

    // How each target was built.
    for (target, _) in TARGETS {
        let (args, env) = toolchain.call(target);
        let has = |a: &str| args.iter().any(|x| x == a);
        assert!(has("--release") && has("--locked"), "{target}: {args:?}");
        if target == host() {
            // As the host-only run builds it, so build.rs's link order list applies.
            assert!(!has("--target"), "{target}: {args:?}");
            assert_eq!(env.get("RUSTC_BOOTSTRAP"), None, "{target}");
            continue;
        }
        assert!(
            args.windows(2).any(|w| w == ["--target", target]),
            "{target}: {args:?}"
        );
        let upper = target.to_uppercase().replace('-', "_");
        match target {
            "aarch64-apple-darwin" | "x86_64-apple-darwin" => {
                assert_eq!(args[0], "zigbuild", "{target}: {args:?}");
                assert!(has("-Zbuild-std=std,panic_unwind"), "{target}: {args:?}");
                let minos = if target.starts_with("aarch64") {
                    "11.0"
                } else {
                    "10.14"
                };
                assert_eq!(
                    env.get("MACOSX_DEPLOYMENT_TARGET").map(String::as_str),
                    Some(minos)
                );
                let stubs = root().join("cross/macos-frameworks");
                assert_eq!(
                    env.get(&format!("CARGO_TARGET_{upper}_RUSTFLAGS")),
                    Some(&format!("-C link-arg=-F{}", stubs.display())),
                    "{target}"
                );
                for framework in ["Security", "CoreFoundation"] {
                    assert!(
                        stubs
                            .join(format!("{framework}.framework/{framework}.tbd"))
                            .is_file()
                    );
                }
            }
            "x86_64-pc-windows-gnu" => {
                assert_eq!(args[0], "build");
                assert!(has("-Zbuild-std=std,panic_unwind"), "{args:?}");
                assert_eq!(
                    env.get(&format!("CARGO_TARGET_{upper}_LINKER"))
                        .map(String::as_str),
                    Some("x86_64-w64-mingw32-gcc")
                );
            }
            _ => {
                assert_eq!(args[0], "build");
                assert!(!has("-Zbuild-std=std,panic_unwind"), "{target}: {args:?}");
                if target != host() {
                    assert_eq!(
                        env.get(&format!("CARGO_TARGET_{upper}_LINKER"))
                            .map(String::as_str),
                        Some("aarch64-linux-gnu-gcc")
                    );
                }
            }
        }
        assert_eq!(
            env.get("RUSTC_BOOTSTRAP").map(String::as_str),
            Some("1"),
            "{target}: one RUSTC_BOOTSTRAP for all cross builds, so shared build scripts stay fresh"
        );
    }

    // Again into another directory: the same bytes, file for file.
    let again = dir.path().join("again");
    let output = toolchain.release_all(&again);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        files(&again) == written,
        "a rerun wrote other bytes:\n{}",
        text(&output)
    );
}

#[test]
fn all_refuses_a_binary_of_the_wrong_architecture_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let toolchain = Toolchain::new(dir.path());
    // cargo "built" an x86_64 Mach-O where the arm64 one should be.
    std::fs::write(
        toolchain.binary("aarch64-apple-darwin"),
        header("x86_64-apple-darwin"),
    )
    .expect("wrong header");
    let dist = dir.path().join("dist");
    let output = toolchain.release_all(&dist);
    let out = text(&output);
    assert!(!output.status.success(), "packaged a wrong binary:\n{out}");
    assert!(
        out.contains("is macho-x86_64, not the macho-arm64 executable aarch64-apple-darwin needs"),
        "{out}"
    );
    assert!(!dist.exists(), "nothing is written after a refusal");
}

/// A PATH directory with what a machine without the cross toolchain has: these utilities
/// (links to the installed ones), a rustc whose sysroot has neither the std sources nor
/// another target's std, and cargo.
fn host_only_bin(dir: &Path, toolchain: &Toolchain, utilities: &[&str]) -> PathBuf {
    let bin = dir.join("host-only");
    std::fs::create_dir(&bin).expect("bin");
    for tool in utilities {
        std::os::unix::fs::symlink(installed(tool), bin.join(tool)).expect("symlink");
    }
    executable(
        &bin.join("rustc"),
        &format!(
            "#!/bin/sh\ncase \"$1\" in -vV) echo 'host: {}' ;; --print) echo '{}' ;; esac\n",
            host(),
            dir.join("empty-sysroot").display()
        ),
    );
    std::fs::copy(toolchain.bin.join("cargo"), bin.join("cargo")).expect("cargo");
    bin
}

/// release.sh --all with only `path` to find programs in.
fn release_all_with_path(dir: &Path, path: &Path, cross_dir: &Path) -> Output {
    Command::new(installed("bash"))
        .arg(root().join("scripts/release.sh"))
        .arg("--all")
        .env("PATH", path)
        .env("CROSS_DIR", cross_dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("DIST_DIR", dir.join("dist"))
        .env("GNUPGHOME", dir.join("no-gnupg"))
        .env_remove("RELEASE_BINARY")
        .env_remove("CARGO_TARGET")
        .env_remove("RELEASE_SIGNING_KEY")
        .env_remove("GPG_KEY_ID")
        .output()
        .expect("release.sh")
}

#[test]
fn all_without_the_cross_toolchain_names_what_is_missing_and_builds_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let toolchain = Toolchain::new(dir.path());
    // No cross tool at all, and no tool directory of scripts/cross-setup.sh.
    let bin = host_only_bin(dir.path(), &toolchain, &["dirname", "sed", "head", "awk"]);
    let output = release_all_with_path(dir.path(), &bin, &dir.path().join("no-cross-dir"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    for missing in [
        "the cross-build toolchain is missing",
        "aarch64-linux-gnu-gcc",
        "x86_64-w64-mingw32-gcc",
        "nasm",
        "cargo-zigbuild",
        "zig (",
        "rust-objcopy",
        "the standard library's sources for -Zbuild-std",
        "the aarch64-unknown-linux-gnu standard library",
        "eval \"$(scripts/cross-setup.sh)\"",
        "Nothing was built or written",
    ] {
        assert!(stderr.contains(missing), "\"{missing}\" not in:\n{stderr}");
    }
    assert!(
        std::fs::read_dir(dir.path().join("calls"))
            .expect("calls")
            .next()
            .is_none(),
        "cargo ran"
    );
    assert!(!dir.path().join("dist").exists());
}

/// `scripts/cross-setup.sh && scripts/release.sh --all`, without the eval: the tool
/// directory cross-setup.sh laid out is found and used.
#[test]
fn all_uses_the_tool_directory_of_cross_setup_when_path_lacks_the_toolchain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let toolchain = Toolchain::new(dir.path());
    // PATH: a host toolchain and the utilities release.sh and the stand-in cargo use.
    let bin = host_only_bin(
        dir.path(),
        &toolchain,
        &[
            "dirname",
            "sed",
            "head",
            "awk",
            "tr",
            "od",
            "env",
            "grep",
            "mkdir",
            "cp",
            "rm",
            "mktemp",
            "cat",
            "tail",
            "touch",
            "chmod",
            "zip",
            "sha256sum",
            "ls",
            "cut",
        ],
    );
    // The stand-in toolchain's directory is laid out as cross-setup.sh's CROSS_DIR/bin.
    let output = release_all_with_path(dir.path(), &bin, dir.path());
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(
        out.contains(&format!(
            "using scripts/cross-setup.sh's, {}",
            toolchain.bin.display()
        )),
        "{out}"
    );
    // The host's own zip is built by the toolchain without the cross tool directory.
    let (_, env) = toolchain.call(&host());
    let path = env.get("PATH").expect("the host build's PATH");
    assert!(
        !path.split(':').any(|dir| Path::new(dir) == toolchain.bin),
        "the host build ran with the cross tool directory on PATH: {path}"
    );
    for (target, platform) in TARGETS {
        toolchain.call(target);
        assert!(
            dir.path()
                .join("dist")
                .join(format!("{NAME}_{VERSION}_{platform}.zip"))
                .is_file()
        );
    }
}
