//! Releases and air-gapped installs: scripts/release.sh writes the registry's files,
//! scripts/install-mirror.sh lays them out as a filesystem mirror, and every CLI here
//! installs the provider from that mirror alone (no network, no dev_overrides), pins the
//! signed zip's `zh:` hash in its lock file, refuses a tampered zip, and applies a pause
//! against the simulator.

use crate::common;

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

fn run_script(script: &str, args: &[&Path], env: &[(&str, &Path)]) -> std::process::Output {
    let mut command = Command::new("bash");
    command.arg(root().join("scripts").join(script)).args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("run script");
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// Builds a release of the test binary into `dir/dist` (signed when `gpg_home` is given).
fn release(dir: &Path, gpg: Option<(&Path, &str)>) -> PathBuf {
    let dist = dir.join("dist");
    let binary = packaged_binary(dir);
    let mut command = Command::new("bash");
    command
        .arg(root().join("scripts/release.sh"))
        .env("DIST_DIR", &dist)
        .env("RELEASE_BINARY", &binary);
    if let Some((home, key)) = gpg {
        command.env("GNUPGHOME", home).env("GPG_KEY_ID", key);
    }
    let output = command.output().expect("release.sh");
    assert!(
        output.status.success(),
        "release.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dist
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read");
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn release_writes_the_registry_layout_with_checksums_and_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dist = release(dir.path(), None);
    let zip = dist.join(format!("{NAME}_{VERSION}_{}.zip", platform()));
    let manifest = dist.join(format!("{NAME}_{VERSION}_manifest.json"));
    let sums = dist.join(format!("{NAME}_{VERSION}_SHA256SUMS"));

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
    assert!(
        !dist
            .join(format!("{NAME}_{VERSION}_SHA256SUMS.sig"))
            .exists()
    );

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
    let binary = packaged_binary(dir.path());
    let output = Command::new("bash")
        .arg(root().join("scripts/release.sh"))
        .current_dir(dir.path())
        .env("DIST_DIR", "out")
        .env("RELEASE_BINARY", &binary)
        .output()
        .expect("release.sh");
    assert!(
        output.status.success(),
        "release.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let zip = dir
        .path()
        .join("out")
        .join(format!("{NAME}_{VERSION}_{}.zip", platform()));
    assert!(zip.is_file(), "{} missing", zip.display());
}

#[test]
fn the_mirror_refuses_sums_that_name_files_outside_the_release() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dist = dir.path().join("dist");
    // A release directory whose SHA256SUMS reaches out of it (and a folder that makes
    // the path resolve, as an attacker preparing the ground would).
    let escape = format!("{NAME}_{VERSION}_");
    std::fs::create_dir_all(dist.join(&escape)).expect("dirs");
    let outside = dir.path().join("elsewhere.zip");
    std::fs::write(&outside, b"not a provider").expect("outside file");
    let file = format!("{escape}/../../elsewhere.zip");
    std::fs::write(
        dist.join(format!("{NAME}_{VERSION}_SHA256SUMS")),
        format!("{}  {file}\n", sha256_hex(&outside)),
    )
    .expect("sums");
    let mirror = dir.path().join("mirror");
    let output = Command::new("bash")
        .arg(root().join("scripts/install-mirror.sh"))
        .arg(&dist)
        .arg(&mirror)
        .output()
        .expect("install-mirror.sh");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("outside its directory"), "{stderr}");
}

#[test]
fn a_release_signed_with_gpg_verifies_and_the_mirror_checks_the_signature() {
    if Command::new("gpg").arg("--version").output().is_err() {
        crate::common::skip::skipped("no gpg on PATH; signing not tested");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("gnupg");
    std::fs::create_dir(&home).expect("gnupg home");
    let status = Command::new("gpg")
        .env("GNUPGHOME", &home)
        .args([
            "--batch",
            "--passphrase",
            "",
            "--quick-generate-key",
            "Release Test <release@test.invalid>",
            "ed25519",
            "sign",
            "never",
        ])
        .output()
        .expect("gpg key");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let dist = release(dir.path(), Some((&home, "release@test.invalid")));
    let sums = dist.join(format!("{NAME}_{VERSION}_SHA256SUMS"));
    let sig = dist.join(format!("{NAME}_{VERSION}_SHA256SUMS.sig"));
    let verify = Command::new("gpg")
        .env("GNUPGHOME", &home)
        .args(["--batch", "--verify"])
        .arg(&sig)
        .arg(&sums)
        .output()
        .expect("gpg verify");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // With the release key's fingerprint pinned the mirror installs; a signature by
    // another key gpg also knows is refused, and so is a missing signature.
    let listing = Command::new("gpg")
        .env("GNUPGHOME", &home)
        .args([
            "--batch",
            "--with-colons",
            "--list-keys",
            "release@test.invalid",
        ])
        .output()
        .expect("gpg list");
    let listing = String::from_utf8_lossy(&listing.stdout);
    let fingerprint = listing
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|rest| rest.trim_matches(':').to_string())
        })
        .expect("a fingerprint");
    let mirror_with = |pin: &str, name: &str| {
        Command::new("bash")
            .arg(root().join("scripts/install-mirror.sh"))
            .arg(&dist)
            .arg(dir.path().join(name))
            .env("GNUPGHOME", &home)
            .env("RELEASE_KEY_FINGERPRINT", pin)
            .output()
            .expect("install-mirror.sh")
    };
    let pinned = mirror_with(&fingerprint.to_lowercase(), "pinned");
    assert!(
        pinned.status.success(),
        "{}",
        String::from_utf8_lossy(&pinned.stderr)
    );
    let other_key = "0123456789ABCDEF0123456789ABCDEF01234567";
    let refused = mirror_with(other_key, "other");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("not by RELEASE_KEY_FINGERPRINT"),
        "{stderr}"
    );
    std::fs::rename(&sig, dir.path().join("sig.aside")).expect("remove sig");
    let unsigned = mirror_with(&fingerprint, "unsigned");
    let stderr = String::from_utf8_lossy(&unsigned.stderr);
    assert!(!unsigned.status.success(), "{stderr}");
    assert!(stderr.contains(".sig is missing"), "{stderr}");
    std::fs::rename(dir.path().join("sig.aside"), &sig).expect("restore sig");

    // A SHA256SUMS changed after signing is refused by install-mirror.sh.
    std::fs::write(
        &sums,
        format!("{}\n", std::fs::read_to_string(&sums).expect("sums")),
    )
    .expect("tamper");
    let mirror = dir.path().join("mirror");
    let output = Command::new("bash")
        .arg(root().join("scripts/install-mirror.sh"))
        .arg(&dist)
        .arg(&mirror)
        .env("GNUPGHOME", &home)
        .output()
        .expect("install-mirror.sh");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not verify"));
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
    let dist = release(dir.path(), None);
    let mirror = dir.path().join("mirror");
    run_script("install-mirror.sh", &[&dist, &mirror], &[]);
    let zip_name = format!("{NAME}_{VERSION}_{}.zip", platform());
    let zip_hash = sha256_hex(&dist.join(&zip_name));
    let lock_entries =
        std::fs::read_to_string(mirror.join(format!("{NAME}_{VERSION}.lock.hcl"))).expect("lock");
    assert!(lock_entries.contains(&format!("zh:{zip_hash}")));
    let rc = mirror_only_config(dir.path().join("mirror.rc"), &mirror);

    // A second mirror whose zip was tampered with after the release.
    let tampered = dir.path().join("tampered");
    run_script("install-mirror.sh", &[&dist, &tampered], &[]);
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
