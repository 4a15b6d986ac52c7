//! tfplugin's own end-to-end test: the example provider (`examples/hello.rs`, the one
//! README.md shows) applied by every real Terraform CLI this machine has, through
//! go-plugin's handshake, AutoMTLS and the protocol 6 service.
//!
//! The CLIs: `terraform` and `tofu` on PATH, and the pinned builds in `../shared/tools/`
//! beside the workspace. With none, the test says SKIPPED (and appends to the file
//! `TF_SKIPPED_LOG` names, which CI prints).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The example's binary, built by cargo into this test's target directory (`cargo test`
/// builds examples as tests, not as the program Terraform starts).
fn example_binary() -> PathBuf {
    let test_exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let target_dir = profile_dir.parent().expect("target/<profile>");
    // `--workspace`, not `--package tfplugin`: features then resolve as for the test
    // build that ran this test (every member selected), so cargo links the example
    // against what it already built instead of rebuilding tokio and the rest.
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--quiet", "--workspace", "--example", "hello"]);
    build.arg("--target-dir").arg(target_dir);
    if profile_dir
        .file_name()
        .is_some_and(|name| name == "release")
    {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "cargo build --example hello failed");
    let binary = profile_dir.join("examples").join("hello");
    assert!(binary.is_file(), "{} is not built", binary.display());
    binary
}

/// Every CLI found: (name shown, command).
fn clis() -> Vec<(String, PathBuf)> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared_tools = manifest.join("../../../shared/tools");
    let mut found = Vec::new();
    for name in ["terraform", "tofu"] {
        let on_path = Command::new(name).arg("version").output();
        if on_path.is_ok_and(|out| out.status.success()) {
            found.push((name.to_string(), PathBuf::from(name)));
        }
    }
    for pinned in ["terraform-1.14.9", "tofu-1.12.6"] {
        let path = shared_tools.join(pinned);
        if path.is_file() {
            found.push((pinned.to_string(), path));
        }
    }
    found
}

const CONFIG: &str = r#"
terraform {
  required_providers {
    hello = { source = "example.com/demo/hello" }
  }
}

resource "hello_greeting" "world" {
  name = "world"
}

output "message" {
  value = hello_greeting.world.message
}
"#;

#[test]
fn every_cli_applies_the_example_provider() {
    let clis = clis();
    if clis.is_empty() {
        let line = "SKIPPED tfplugin hello_provider: no terraform or tofu CLI found\n";
        eprint!("{line}");
        if let Some(log) = std::env::var_os("TF_SKIPPED_LOG") {
            use std::io::Write as _;
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(log);
            let _ = file.as_mut().map(|f| f.write_all(line.as_bytes()));
        }
        return;
    }
    let overrides = tempfile::tempdir().expect("a temporary directory");
    std::os::unix::fs::symlink(
        example_binary(),
        overrides.path().join("terraform-provider-hello"),
    )
    .expect("the provider linked into the overrides directory");
    let rc = overrides.path().join("cli.tfrc");
    let rc_text = format!(
        "provider_installation {{\n  dev_overrides {{\n    \"example.com/demo/hello\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
        overrides.path().display()
    );
    std::fs::write(&rc, rc_text).expect("the CLI configuration written");
    for (name, cli) in clis {
        let work = tempfile::tempdir().expect("a working directory");
        std::fs::write(work.path().join("main.tf"), CONFIG).expect("main.tf written");
        let run = |args: &[&str]| {
            let out = Command::new(&cli)
                .args(args)
                .current_dir(work.path())
                .env("TF_CLI_CONFIG_FILE", &rc)
                .env("TF_IN_AUTOMATION", "1")
                .env("CHECKPOINT_DISABLE", "1")
                .output()
                .expect("the CLI runs");
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{name} {args:?} failed:\n{text}");
            text
        };
        run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let message = run(&["output", "-raw", "message"]);
        assert!(message.starts_with("Hello, world!"), "{name}: {message}");
        eprintln!("{name}: applied, output {message:?}");
        run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    }
}
