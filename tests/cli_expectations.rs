//! A run that expects real CLIs fails without them, and a run that has none says so
//! past libtest's capture and in the skip log `.ci/run` prints. Each test runs one
//! real-CLI test of this very binary as a child process, with no CLI to be found.

use std::process::{Command, Output};

use crate::common::cli::EXPECT_ENV;
use crate::common::skip::SKIP_LOG_ENV;

/// A real-CLI test that does nothing else when no CLI is here.
const REAL_CLI_TEST: &str = "terraform_discovery::for_each_over_the_data_source_pauses_every_task";

/// This test binary running [`REAL_CLI_TEST`] alone where no CLI exists (output
/// captured, as `cargo test` runs it), with `env` set.
fn run_without_clis(env: &[(&str, &std::ffi::OsStr)]) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("this test binary"));
    command
        .args(["--exact", REAL_CLI_TEST, "--test-threads", "1"])
        .env("TF_TEST_BINARY", "/nonexistent/terraform")
        .env_remove(EXPECT_ENV)
        .env_remove(SKIP_LOG_ENV)
        .env_remove("RUST_TEST_NOCAPTURE");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run the test binary")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_missing_expected_cli_fails_the_real_cli_tests_naming_it() {
    let output = run_without_clis(&[(EXPECT_ENV, "terraform 1.14,tofu 1.12".as_ref())]);
    let said = text(&output);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("1 failed"), "{said}");
    assert!(
        said.contains("TF_EXPECT_CLIS expects terraform 1.14, tofu 1.12 but this machine has no such CLI (found: none)"),
        "{said}"
    );
}

#[test]
fn a_skipped_test_says_so_past_the_capture_and_in_the_skip_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("skipped.log");
    let output = run_without_clis(&[(SKIP_LOG_ENV, log.as_os_str())]);
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    let line = format!("SKIPPED {REAL_CLI_TEST}: no CLI here for the data source with for_each");
    // A passing test's `eprintln!` is swallowed; this line is not.
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(&line),
        "{said}"
    );
    let logged = std::fs::read_to_string(&log).expect("the skip log");
    assert_eq!(logged.lines().count(), 1, "{logged}");
    assert!(logged.starts_with(&line), "{logged}");
}
