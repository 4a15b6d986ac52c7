//! `scripts/cross-setup.sh` owns one tool directory and touches nothing else: a file of
//! someone else's where one of its links goes, or a tool directory that is a file, is
//! refused before anything is created or changed. Run with `CROSS_NO_INSTALL=1`, so no
//! package is installed (the refusals come before the toolchain is looked at).

use std::path::Path;
use std::process::{Command, Output};

fn cross_setup(cross_dir: &Path) -> Output {
    Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/cross-setup.sh"))
        .env("CROSS_DIR", cross_dir)
        .env("CROSS_NO_INSTALL", "1")
        .output()
        .expect("bash runs the script")
}

#[test]
fn a_file_where_a_link_goes_is_refused_and_nothing_is_touched() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin/ made");
    std::fs::write(bin.join("cargo"), "someone else's cargo").expect("a file of someone else's");

    let out = cross_setup(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("bin/cargo exists and is not a symlink: left alone"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(bin.join("cargo")).expect("still there"),
        "someone else's cargo"
    );
    let entries: Vec<_> = std::fs::read_dir(&bin)
        .expect("bin/ readable")
        .map(|entry| entry.expect("an entry").file_name())
        .collect();
    assert_eq!(entries, ["cargo"], "nothing else was created");
    assert!(out.stdout.is_empty(), "no export lines after a refusal");
}

#[test]
fn a_tool_directory_that_is_a_file_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let not_a_dir = dir.path().join("cross");
    std::fs::write(&not_a_dir, "a file").expect("a file where the directory goes");

    let out = cross_setup(&not_a_dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("exists and is not a directory"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&not_a_dir).expect("still a file"),
        "a file"
    );
}
