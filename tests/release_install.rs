//! Releases and air-gapped installs: scripts/release.sh writes the registry's files,
//! scripts/install-mirror.sh lays them out as a filesystem mirror, and every CLI here
//! installs the provider from that mirror alone (no network, no dev_overrides), pins the
//! signed zip's `zh:` hash in its lock file, refuses a tampered zip, and applies a pause
//! against the simulator. install-mirror.sh installs only a release whose SHA256SUMS is
//! signed by the pinned key (throwaway gpg keys made here: another key, a revoked or an
//! expired one are refused) or has the digest given out of band, unless told loudly not to
//! verify; release.sh signs whenever a key is configured and finds the binary where cargo
//! put it.

use crate::common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::cli::{self, Cli, Flavor};
use common::*;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-taurusdb");
const NAME: &str = "terraform-provider-taurusdb";
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The test binary, stripped when `strip` exists (the archive is then a fifth the size).
fn packaged_binary(dir: &Path) -> PathBuf {
    let copy = dir.join(NAME);
    std::fs::copy(BINARY, &copy).expect("copy binary");
    let _ = Command::new("strip").arg(&copy).status();
    copy
}

/// Runs install-mirror.sh with `args` (DIST_DIR MIRROR_DIR last), never the caller's
/// keyring or pin: GNUPGHOME and RELEASE_KEY_FINGERPRINT come only from `env`.
fn install_mirror(args: &[&OsStr], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new("bash");
    command
        .arg(root().join("scripts/install-mirror.sh"))
        .args(args)
        .env("GNUPGHOME", "/nonexistent/gnupg-home")
        .env_remove("RELEASE_KEY_FINGERPRINT");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run install-mirror.sh")
}

fn succeeded(output: &std::process::Output, what: &str) -> String {
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{what} failed:\n{text}");
    text
}

/// Asserts install-mirror.sh refused, saying `because`, and wrote nothing into `mirror`.
fn refused(output: &std::process::Output, mirror: &Path, because: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "installed, but must refuse ({because}):\n{}\n{stderr}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        stderr.contains(because),
        "expected \"{because}\" in:\n{stderr}"
    );
    let written: Vec<_> = std::fs::read_dir(mirror)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(written.is_empty(), "a refused install wrote {written:?}");
}

fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// Runs release.sh packaging `binary` into `dir/dist`. No signing key unless `env` gives
/// one: GNUPGHOME is a folder that does not exist (not the caller's keyring).
fn release_with(dir: &Path, binary: &Path, env: &[(&str, &OsStr)]) -> std::process::Output {
    let mut command = Command::new("bash");
    command
        .arg(root().join("scripts/release.sh"))
        .env("DIST_DIR", dir.join("dist"))
        .env("RELEASE_BINARY", binary)
        .env("GNUPGHOME", dir.join("no-gnupg"))
        .env_remove("RELEASE_SIGNING_KEY")
        .env_remove("GPG_KEY_ID");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("release.sh")
}

/// Builds an unsigned release of the test binary into `dir/dist`.
fn release(dir: &Path) -> PathBuf {
    let binary = packaged_binary(dir);
    succeeded(&release_with(dir, &binary, &[]), "release.sh");
    dir.join("dist")
}

/// A stand-in provider that only answers `version`: enough for release.sh and the mirror,
/// and a small zip.
fn version_only_binary(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fake-provider");
    std::fs::write(&path, format!("#!/bin/sh\necho '{NAME} {VERSION}'\n")).expect("fake");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read");
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn sums_path(dist: &Path) -> PathBuf {
    dist.join(format!("{NAME}_{VERSION}_SHA256SUMS"))
}

fn sig_path(dist: &Path) -> PathBuf {
    dist.join(format!("{NAME}_{VERSION}_SHA256SUMS.sig"))
}

fn zip_path(dist: &Path) -> PathBuf {
    dist.join(format!("{NAME}_{VERSION}_{}.zip", platform()))
}

/// What an attacker with write access to the release directory does: replaces the zip,
/// regenerates SHA256SUMS to match, and deletes the signature it cannot forge.
fn tamper_release(dist: &Path) {
    let zip = zip_path(dist);
    let mut bytes = std::fs::read(&zip).expect("zip");
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&zip, bytes).expect("tamper");
    let manifest = dist.join(format!("{NAME}_{VERSION}_manifest.json"));
    let sums: String = [&zip, &manifest]
        .iter()
        .map(|f| {
            let name = f.file_name().and_then(|n| n.to_str()).expect("name");
            format!("{}  {name}\n", sha256_hex(f))
        })
        .collect();
    std::fs::write(sums_path(dist), sums).expect("sums");
    let _ = std::fs::remove_file(sig_path(dist));
}

fn lock_file(mirror: &Path) -> PathBuf {
    mirror.join(format!("{NAME}_{VERSION}.lock.hcl"))
}

/// Asserts `mirror` holds the release's zip for both hosts and a lock file pinning it.
fn installed(dist: &Path, mirror: &Path) {
    let zip = zip_path(dist);
    let name = zip.file_name().expect("name");
    for host in ["registry.terraform.io", "registry.opentofu.org"] {
        let copy = mirror.join(host).join("taurusdb/taurusdb").join(name);
        assert_eq!(
            std::fs::read(&copy).ok(),
            std::fs::read(&zip).ok(),
            "{copy:?}"
        );
    }
    let lock = std::fs::read_to_string(lock_file(mirror)).expect("lock file");
    assert!(lock.contains(&format!("zh:{}", sha256_hex(&zip))), "{lock}");
}

#[test]
fn release_writes_the_registry_layout_with_checksums_and_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dist = release(dir.path());
    let zip = zip_path(&dist);
    let manifest = dist.join(format!("{NAME}_{VERSION}_manifest.json"));
    let sums = sums_path(&dist);

    let listing = Command::new("unzip")
        .arg("-Z1")
        .arg(&zip)
        .output()
        .expect("unzip");
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout).trim(),
        format!("{NAME}_v{VERSION}"),
        "the zip holds exactly the versioned binary"
    );
    let manifest_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).expect("manifest")).expect("json");
    assert_eq!(
        manifest_json["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );

    let sums_text = std::fs::read_to_string(&sums).expect("sums");
    for file in [&zip, &manifest] {
        let line = format!(
            "{}  {}",
            sha256_hex(file),
            file.file_name().and_then(|n| n.to_str()).expect("name")
        );
        assert!(
            sums_text.lines().any(|l| l == line),
            "{line} missing from:\n{sums_text}"
        );
    }
    assert!(!sig_path(&dist).exists());

    // The version comes from Cargo.toml; another one is refused.
    let refused = Command::new("bash")
        .arg(root().join("scripts/release.sh"))
        .arg("99.0.0")
        .env("DIST_DIR", dir.path().join("other"))
        .env("RELEASE_BINARY", BINARY)
        .output()
        .expect("release.sh");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Cargo.toml"));
}

#[test]
fn a_relative_dist_dir_is_relative_to_where_release_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = version_only_binary(dir.path());
    let output = Command::new("bash")
        .arg(root().join("scripts/release.sh"))
        .current_dir(dir.path())
        .env("DIST_DIR", "out")
        .env("RELEASE_BINARY", &binary)
        .env("GNUPGHOME", dir.path().join("no-gnupg"))
        .output()
        .expect("release.sh");
    succeeded(&output, "release.sh");
    let zip = zip_path(&dir.path().join("out"));
    assert!(zip.is_file(), "{} missing", zip.display());
}

/// release.sh asks cargo where the binary is: with CARGO_TARGET_DIR outside the
/// repository, and for this machine without `--target` (a current host build is reused).
/// cargo here is a stand-in that builds nothing but answers as cargo does (a JSON message
/// per artifact on stdout) and puts the binary where cargo would.
#[test]
fn release_finds_the_binary_where_cargo_put_it_and_builds_the_host_without_target() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let target_dir = dir.path().join("shared-target");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    let args_file = dir.path().join("cargo-args");
    let fake_cargo = format!(
        r#"#!/bin/sh
printf '%s\n' "$@" > '{args}'
triple=""
while [ $# -gt 0 ]; do [ "$1" = --target ] && triple=$2/; shift; done
out="$CARGO_TARGET_DIR/${{triple}}release"
mkdir -p "$out"
cp '{binary}' "$out/{NAME}"
echo '{{"reason":"compiler-artifact","package_id":"{NAME} {VERSION}","target":{{"kind":["lib"],"crate_types":["lib"],"name":"taurusdb_provider"}},"filenames":["'"$out"'/libtaurusdb_provider.rlib"],"executable":null,"fresh":true}}'
echo '{{"reason":"compiler-artifact","package_id":"{NAME} {VERSION}","target":{{"kind":["bin"],"crate_types":["bin"],"name":"{NAME}"}},"filenames":["'"$out/{NAME}"'"],"executable":"'"$out/{NAME}"'","fresh":false}}'
echo '{{"reason":"build-finished","success":true}}'
"#,
        args = args_file.display(),
        binary = version_only_binary(dir.path()).display(),
    );
    let cargo = bin.join("cargo");
    std::fs::write(&cargo, fake_cargo).expect("fake cargo");
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let release = |dist: &str, extra: &[(&str, &str)]| {
        let mut command = Command::new("bash");
        command
            .arg(root().join("scripts/release.sh"))
            .env("PATH", &path)
            .env("CARGO_TARGET_DIR", &target_dir)
            .env("DIST_DIR", dir.path().join(dist))
            .env("GNUPGHOME", dir.path().join("no-gnupg"))
            .env_remove("RELEASE_BINARY")
            .env_remove("CARGO_TARGET");
        for (k, v) in extra {
            command.env(k, v);
        }
        command.output().expect("release.sh")
    };

    let text = succeeded(&release("dist", &[]), "release.sh with CARGO_TARGET_DIR");
    let args = std::fs::read_to_string(&args_file).expect("cargo ran");
    let args: Vec<&str> = args.lines().collect();
    assert!(args.contains(&"--release"), "{args:?}");
    assert!(
        !args.contains(&"--target"),
        "the host build is made without --target: {args:?}"
    );
    assert!(
        text.contains(&target_dir.join("release").join(NAME).display().to_string()),
        "says which binary it packaged:\n{text}"
    );
    let listing = Command::new("unzip")
        .arg("-p")
        .arg(zip_path(&dir.path().join("dist")))
        .output()
        .expect("unzip");
    assert_eq!(
        std::fs::read(version_only_binary(dir.path())).expect("binary"),
        listing.stdout,
        "the zip holds the binary cargo reported"
    );
    assert!(
        !root().join("target").join("dist").exists() && !root().join("dist").exists(),
        "nothing written into the repository"
    );

    // Another target is asked for with --target, and found where cargo put it.
    let other = match std::env::consts::ARCH {
        "aarch64" => "x86_64-unknown-linux-gnu",
        _ => "aarch64-unknown-linux-gnu",
    };
    let output = release("cross", &[("CARGO_TARGET", other)]);
    succeeded(&output, "release.sh for another target");
    let args = std::fs::read_to_string(&args_file).expect("cargo ran");
    assert!(
        args.lines()
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w == ["--target", other]),
        "{args}"
    );
    let arch = if other.starts_with("aarch64") {
        "arm64"
    } else {
        "amd64"
    };
    assert!(
        dir.path()
            .join("cross")
            .join(format!("{NAME}_{VERSION}_linux_{arch}.zip"))
            .is_file()
    );
}

#[test]
fn the_mirror_refuses_sums_that_name_files_outside_the_release() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dist = dir.path().join("dist");
    // A release directory whose SHA256SUMS reaches out of it (and a folder that makes
    // the path resolve, as an attacker preparing the ground would). Even a SHA256SUMS
    // whose digest the user was given is refused.
    let escape = format!("{NAME}_{VERSION}_");
    std::fs::create_dir_all(dist.join(&escape)).expect("dirs");
    let outside = dir.path().join("elsewhere.zip");
    std::fs::write(&outside, b"not a provider").expect("outside file");
    let file = format!("{escape}/../../elsewhere.zip");
    std::fs::write(
        sums_path(&dist),
        format!("{}  {file}\n", sha256_hex(&outside)),
    )
    .expect("sums");
    let mirror = dir.path().join("mirror");
    let digest = sha256_hex(&sums_path(&dist));
    let output = install_mirror(
        &[
            "--sha256sums-digest".as_ref(),
            digest.as_ref(),
            dist.as_ref(),
            mirror.as_ref(),
        ],
        &[],
    );
    refused(&output, &mirror, "outside its directory");
}

/// The attack of issue 15: a replaced zip, a regenerated SHA256SUMS, the .sig deleted. With
/// nothing pinned the mirror refuses; only the loudly named opt-out installs it, and then
/// writes no lock file (it would pin a hash nobody verified).
#[test]
fn a_release_nobody_vouches_for_installs_only_with_the_insecure_opt_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = version_only_binary(dir.path());
    succeeded(&release_with(dir.path(), &binary, &[]), "release.sh");
    let dist = dir.path().join("dist");
    tamper_release(&dist);

    let mirror = dir.path().join("mirror");
    let output = install_mirror(&[dist.as_ref(), mirror.as_ref()], &[]);
    refused(&output, &mirror, "refusing to install");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for way in [
        "RELEASE_KEY_FINGERPRINT",
        "--key-file",
        "--sha256sums-digest",
        "--insecure-skip-verification",
    ] {
        assert!(stderr.contains(way), "the refusal names {way}:\n{stderr}");
    }

    let output = install_mirror(
        &[
            "--insecure-skip-verification".as_ref(),
            dist.as_ref(),
            mirror.as_ref(),
        ],
        &[],
    );
    let text = succeeded(&output, "install-mirror.sh --insecure-skip-verification");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("WARNING") && stderr.contains("NOTHING checks"),
        "the opt-out warns:\n{text}"
    );
    assert!(
        mirror
            .join("registry.terraform.io/taurusdb/taurusdb")
            .join(zip_path(&dist).file_name().expect("name"))
            .is_file()
    );
    assert!(
        !lock_file(&mirror).exists(),
        "no lock file pins an unverified hash"
    );
}

#[test]
fn a_digest_given_out_of_band_verifies_an_unsigned_release() {
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = version_only_binary(dir.path());
    let output = release_with(dir.path(), &binary, &[]);
    let text = succeeded(&output, "release.sh");
    let dist = dir.path().join("dist");
    let digest = sha256_hex(&sums_path(&dist));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("NOT SIGNING"),
        "release.sh says it did not sign:\n{text}"
    );
    assert!(
        text.contains(&digest),
        "release.sh prints the digest:\n{text}"
    );

    let mirror = dir.path().join("mirror");
    let with_digest = |digest: &str, mirror: &Path| {
        install_mirror(
            &[
                "--sha256sums-digest".as_ref(),
                digest.as_ref(),
                dist.as_ref(),
                mirror.as_ref(),
            ],
            &[],
        )
    };
    succeeded(
        &with_digest(&digest.to_uppercase(), &mirror),
        "install-mirror.sh",
    );
    installed(&dist, &mirror);

    tamper_release(&dist);
    let tampered = dir.path().join("tampered");
    refused(&with_digest(&digest, &tampered), &tampered, "not the");
}

/// A throwaway gpg home for one test; its agent is stopped when the test ends.
struct Keyring {
    home: PathBuf,
}

impl Keyring {
    /// None (and a SKIPPED line) when gpg is not installed.
    fn new(home: PathBuf) -> Option<Self> {
        if Command::new("gpg").arg("--version").output().is_err() {
            crate::common::skip::skipped("no gpg on PATH; release signatures not tested");
            return None;
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(&home).expect("gnupg home");
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        Some(Keyring { home })
    }

    fn gpg(&self, args: &[&str]) -> String {
        let output = Command::new("gpg")
            .env("GNUPGHOME", &self.home)
            .arg("--batch")
            .args(args)
            .output()
            .expect("gpg");
        assert!(
            output.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A new signing key; `faked_time` makes it as if at that time (gpg's own option).
    fn generate(&self, email: &str, expiry: &str, faked_time: Option<&str>) -> String {
        let uid = format!("Release Test <{email}>");
        let mut args = Vec::new();
        if let Some(time) = faked_time {
            args.extend(["--faked-system-time", time]);
        }
        args.extend([
            "--passphrase",
            "",
            "--quick-generate-key",
            &uid,
            "ed25519",
            "sign",
            expiry,
        ]);
        self.gpg(&args);
        self.fingerprint(email)
    }

    fn fingerprint(&self, email: &str) -> String {
        let listing = self.gpg(&["--with-colons", "--list-keys", email]);
        listing
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|r| r.trim_matches(':').to_string())
            })
            .expect("a fingerprint")
    }

    /// Signs `file` into `file.sig` with `fingerprint`.
    fn sign(&self, fingerprint: &str, file: &Path, faked_time: Option<&str>) {
        let file = file.to_str().expect("utf-8 path");
        let sig = format!("{file}.sig");
        let mut args = Vec::new();
        if let Some(time) = faked_time {
            args.extend(["--faked-system-time", time]);
        }
        args.extend([
            "--yes",
            "--local-user",
            fingerprint,
            "--output",
            &sig,
            "--detach-sign",
            file,
        ]);
        self.gpg(&args);
    }

    /// Revokes the key with the revocation certificate gpg made when it generated it.
    fn revoke(&self, fingerprint: &str) {
        let cert = self
            .home
            .join("openpgp-revocs.d")
            .join(format!("{fingerprint}.rev"));
        let text = std::fs::read_to_string(&cert).expect("revocation certificate");
        // gpg stores it "commented out" so it cannot be imported by accident.
        let armored = text.replace(
            ":-----BEGIN PGP PUBLIC KEY BLOCK",
            "-----BEGIN PGP PUBLIC KEY BLOCK",
        );
        let path = self.home.join("revoke.asc");
        std::fs::write(&path, armored).expect("write");
        self.gpg(&["--import", path.to_str().expect("utf-8 path")]);
    }

    fn export(&self, fingerprint: &str, to: &Path) {
        let to = to.to_str().expect("utf-8 path");
        self.gpg(&["--armor", "--output", to, "--export", fingerprint]);
    }

    /// The keyring's files (sockets and lock files aside), to show nothing changed them.
    fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(&self.home)
            .expect("home")
            .flatten()
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .map(|e| (e.path(), std::fs::read(e.path()).unwrap_or_default()))
            .collect();
        files.sort();
        files
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(&self.home)
            .args(["--kill", "all"])
            .output();
    }
}

/// release.sh signs whenever a key is configured; the mirror installs only a release signed
/// by the pinned key (from the user's keyring or a key file) and refuses one re-signed by
/// another key, even one the user's gpg trusts, or unsigned, or changed after signing.
#[test]
fn the_mirror_installs_only_what_the_pinned_key_signed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(user) = Keyring::new(dir.path().join("gnupg")) else {
        return;
    };
    let release_key = user.generate("release@test.invalid", "never", None);
    let attacker_key = user.generate("attacker@test.invalid", "never", None);
    let home = user.home.to_str().expect("utf-8 path");
    let binary = version_only_binary(dir.path());

    // Signed with the key gpg.conf names as default-key, without any variable.
    std::fs::write(
        user.home.join("gpg.conf"),
        format!("default-key {release_key}\n"),
    )
    .expect("gpg.conf");
    let output = release_with(dir.path(), &binary, &[("GNUPGHOME", home.as_ref())]);
    let text = succeeded(&output, "release.sh with default-key");
    assert!(
        text.contains(&format!("RELEASE_KEY_FINGERPRINT={release_key}")),
        "release.sh names the key to pin:\n{text}"
    );
    std::fs::remove_file(user.home.join("gpg.conf")).expect("gpg.conf");
    // And with RELEASE_SIGNING_KEY.
    let output = release_with(
        dir.path(),
        &binary,
        &[
            ("GNUPGHOME", home.as_ref()),
            ("RELEASE_SIGNING_KEY", "release@test.invalid".as_ref()),
        ],
    );
    succeeded(&output, "release.sh with RELEASE_SIGNING_KEY");
    let dist = dir.path().join("dist");
    assert!(sig_path(&dist).is_file(), "release.sh signed");

    let pin = |fpr| [("GNUPGHOME", home), ("RELEASE_KEY_FINGERPRINT", fpr)];
    let before = user.snapshot();
    let mirror = dir.path().join("pinned");
    let lower = release_key.to_lowercase();
    let output = install_mirror(&[dist.as_ref(), mirror.as_ref()], &pin(&lower));
    let text = succeeded(&output, "install-mirror.sh with the pinned key");
    assert!(text.contains("signature good"), "{text}");
    installed(&dist, &mirror);
    assert!(before == user.snapshot(), "the user's keyring was changed");

    // The published key as a file, with no keyring at all.
    let key_file = dir.path().join("release-key.asc");
    user.export(&release_key, &key_file);
    let from_file = dir.path().join("from-file");
    let output = install_mirror(
        &[
            "--key-file".as_ref(),
            key_file.as_ref(),
            dist.as_ref(),
            from_file.as_ref(),
        ],
        &[],
    );
    succeeded(&output, "install-mirror.sh --key-file");
    installed(&dist, &from_file);

    // Changed after signing.
    let sums = sums_path(&dist);
    let original = std::fs::read(&sums).expect("sums");
    let mut changed = original.clone();
    changed.extend_from_slice(b"\n");
    std::fs::write(&sums, &changed).expect("sums");
    let bad = dir.path().join("bad");
    refused(
        &install_mirror(&[dist.as_ref(), bad.as_ref()], &pin(&release_key)),
        &bad,
        "BAD signature",
    );
    std::fs::write(&sums, &original).expect("sums");

    // The attack: zip replaced, sums regenerated, .sig deleted.
    tamper_release(&dist);
    let unsigned = dir.path().join("unsigned");
    refused(
        &install_mirror(&[dist.as_ref(), unsigned.as_ref()], &pin(&release_key)),
        &unsigned,
        ".sig is missing",
    );
    // Re-signed by another key the user's gpg knows (and trusts ultimately).
    user.sign(&attacker_key, &sums, None);
    let resigned = dir.path().join("resigned");
    refused(
        &install_mirror(&[dist.as_ref(), resigned.as_ref()], &pin(&release_key)),
        &resigned,
        "which is not the pinned key",
    );
    refused(
        &install_mirror(&[dist.as_ref(), resigned.as_ref()], &[("GNUPGHOME", home)]),
        &resigned,
        "refusing to install",
    );
    refused(
        &install_mirror(
            &[
                "--key-file".as_ref(),
                key_file.as_ref(),
                dist.as_ref(),
                resigned.as_ref(),
            ],
            &[],
        ),
        &resigned,
        "which is not the pinned key",
    );
}

/// gpg reports a good signature (VALIDSIG) by a revoked or expired key; the mirror reads
/// REVKEYSIG/EXPKEYSIG and refuses.
#[test]
fn a_release_signed_by_a_revoked_or_expired_key_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(user) = Keyring::new(dir.path().join("gnupg")) else {
        return;
    };
    let home = user.home.to_str().expect("utf-8 path");
    let binary = version_only_binary(dir.path());
    succeeded(&release_with(dir.path(), &binary, &[]), "release.sh");
    let dist = dir.path().join("dist");
    let sums = sums_path(&dist);

    // Revoked after it signed the release.
    let revoked = user.generate("revoked@test.invalid", "never", None);
    user.sign(&revoked, &sums, None);
    user.revoke(&revoked);
    let mirror = dir.path().join("revoked");
    refused(
        &install_mirror(
            &[dist.as_ref(), mirror.as_ref()],
            &[("GNUPGHOME", home), ("RELEASE_KEY_FINGERPRINT", &revoked)],
        ),
        &mirror,
        "REVOKED",
    );
    let key_file = dir.path().join("revoked.asc");
    user.export(&revoked, &key_file);
    refused(
        &install_mirror(
            &[
                "--key-file".as_ref(),
                key_file.as_ref(),
                dist.as_ref(),
                mirror.as_ref(),
            ],
            &[],
        ),
        &mirror,
        "REVOKED",
    );

    // Made in 2020 to last a day, and signed that day (gpg's --faked-system-time).
    let expired = user.generate("expired@test.invalid", "1d", Some("20200101T000000"));
    user.sign(&expired, &sums, Some("20200101T010000"));
    let mirror = dir.path().join("expired");
    refused(
        &install_mirror(
            &[dist.as_ref(), mirror.as_ref()],
            &[("GNUPGHOME", home), ("RELEASE_KEY_FINGERPRINT", &expired)],
        ),
        &mirror,
        "EXPIRED",
    );
}

/// Writes a CLI configuration at `rc` that installs providers from `mirror` only.
fn mirror_only_config(rc: PathBuf, mirror: &Path) -> PathBuf {
    std::fs::write(
        &rc,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("cli config");
    rc
}

fn cli_command(cli: &Cli, workdir: &Path, rc: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(&cli.path);
    command
        .current_dir(workdir)
        .env("TF_CLI_CONFIG_FILE", rc)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env_remove("TF_LOG")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .kill_on_drop(true);
    command
}

async fn run(mut command: tokio::process::Command, args: &[&str]) -> (bool, String) {
    let output = command.args(args).output().await.expect("run cli");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

const CONFIG: &str = "terraform {\n  required_providers {\n    taurusdb = { source = \"taurusdb/taurusdb\", version = \"VERSION\" }\n  }\n}\n\nprovider \"taurusdb\" {}\n\nresource \"taurusdb_replication_pause\" \"p\" {\n  instance_id = \"INSTANCE\"\n  task_name   = \"orders_sync\"\n}\n\noutput \"job_id\" {\n  value = taurusdb_replication_pause.p.job_id\n}\n";

#[tokio::test]
async fn every_cli_installs_from_the_mirror_alone_pins_the_zip_and_applies() {
    let clis = cli::matching("air-gapped installs (no terraform or tofu binary)", |_| {
        true
    });
    if clis.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let dist = release(dir.path());
    // The digest of SHA256SUMS, as a user would get it from the release page.
    let digest = sha256_hex(&sums_path(&dist));
    let mirror_of = |mirror: &Path| {
        let args = [
            "--sha256sums-digest".as_ref(),
            digest.as_ref(),
            dist.as_os_str(),
            mirror.as_os_str(),
        ];
        succeeded(&install_mirror(&args, &[]), "install-mirror.sh");
    };
    let mirror = dir.path().join("mirror");
    mirror_of(&mirror);
    let zip_name = format!("{NAME}_{VERSION}_{}.zip", platform());
    let zip_hash = sha256_hex(&dist.join(&zip_name));
    let lock_entries =
        std::fs::read_to_string(mirror.join(format!("{NAME}_{VERSION}.lock.hcl"))).expect("lock");
    assert!(lock_entries.contains(&format!("zh:{zip_hash}")));
    let rc = mirror_only_config(dir.path().join("mirror.rc"), &mirror);

    // A second mirror whose zip was tampered with after the release.
    let tampered = dir.path().join("tampered");
    mirror_of(&tampered);
    for host in ["registry.terraform.io", "registry.opentofu.org"] {
        let zip = tampered
            .join(host)
            .join("taurusdb/taurusdb")
            .join(&zip_name);
        let mut bytes = std::fs::read(&zip).expect("zip");
        bytes.extend_from_slice(b"tampered");
        std::fs::write(&zip, bytes).expect("tamper");
    }
    let tampered_rc = mirror_only_config(dir.path().join("tampered.rc"), &tampered);

    for cli in clis {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let work = tempfile::tempdir().expect("workdir");
        let config = CONFIG
            .replace("VERSION", VERSION)
            .replace("INSTANCE", INSTANCE);
        std::fs::write(work.path().join("main.tf"), config).expect("main.tf");
        // The lock entries from the release pin the signed zip before anything is installed.
        std::fs::write(work.path().join(".terraform.lock.hcl"), &lock_entries).expect("lock");

        let (ok, text) = run(
            cli_command(&cli, work.path(), &tampered_rc),
            &["init", "-input=false", "-no-color"],
        )
        .await;
        assert!(!ok, "a tampered zip must be refused:\n{text}");
        assert!(text.contains("checksum"), "{text}");
        let _ = std::fs::remove_dir_all(work.path().join(".terraform"));

        let (ok, text) = run(
            cli_command(&cli, work.path(), &rc),
            &["init", "-input=false", "-no-color"],
        )
        .await;
        assert!(ok, "init from the mirror failed:\n{text}");
        let lock = std::fs::read_to_string(work.path().join(".terraform.lock.hcl")).expect("lock");
        let host = match cli.flavor {
            Flavor::Terraform => "registry.terraform.io",
            Flavor::OpenTofu => "registry.opentofu.org",
        };
        let entry = lock
            .split("provider \"")
            .find(|block| block.starts_with(host))
            .unwrap_or_else(|| panic!("no {host} entry in:\n{lock}"));
        assert!(entry.contains(&format!("zh:{zip_hash}")), "{lock}");
        assert!(
            entry.contains("\"h1:"),
            "init adds the package's h1: hash:\n{lock}"
        );

        let mut apply = cli_command(&cli, work.path(), &rc);
        apply
            .env("HW_AUTH_TOKEN", TOKEN)
            .env("HW_TAURUSDB_ENDPOINT", sim.endpoint())
            .env("HW_PROJECT_ID", PROJECT);
        let (ok, text) = run(
            apply,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        )
        .await;
        assert!(ok, "apply with the mirrored provider failed:\n{text}");
        let job_id = sim
            .jobs()
            .first()
            .map(|j| j.id.clone())
            .expect("a pause job");
        assert!(text.contains(&job_id), "the job ID is shown:\n{text}");
    }
}
