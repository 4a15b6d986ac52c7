//! The rules of ARCHITECTURE.md that the compiler cannot check, checked on every test run:
//!
//! - the crates depend on each other only in the direction ARCHITECTURE.md draws: the
//!   provider on everything, `taurusdb-grpc` and `taurusdb-sim` on `taurusdb-api`, all
//!   on `stdx`, and
//!   nothing back; `tfplugin` and `taurusdb-api` never on each other or on the
//!   simulator (read from `cargo metadata`, every kind of dependency counted). Within
//!   that, the compiler keeps each crate to what it depends on;
//! - every source file opens with a `//!` comment saying why it exists;
//! - every provider setting is documented: its attribute and environment variable are in
//!   docs/index.md (the top-level attributes, the `endpoints` keys and the attributes of
//!   the `assume_role` and `assume_role_with_oidc` blocks), and README.md links to that
//!   page's authentication section and settings table, both of which exist;
//! - the link order file build.rs hands to lld names symbols as the linker knows them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use taurusdb_provider::taurusdb::config::{Setting, assume_role, attrs, endpoints, oidc};

/// Each workspace crate and the workspace crates it may depend on (any kind).
const ALLOWED: [(&str, &[&str]); 6] = [
    (
        "terraform-provider-taurusdb",
        &[
            "stdx",
            "tfplugin",
            "taurusdb-api",
            "taurusdb-grpc",
            "taurusdb-sim",
        ],
    ),
    ("taurusdb-grpc", &["stdx", "taurusdb-api"]),
    ("taurusdb-sim", &["stdx", "taurusdb-api"]),
    ("taurusdb-api", &["stdx"]),
    ("tfplugin", &["stdx"]),
    ("stdx", &[]),
];

#[test]
fn crates_depend_only_in_the_drawn_direction() {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(crate_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let packages = metadata["packages"].as_array().expect("a package list");
    let members: Vec<&str> = packages
        .iter()
        .filter_map(|package| package["name"].as_str())
        .collect();
    let mut found: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for package in packages {
        let name = package["name"].as_str().expect("a package name");
        let deps = package["dependencies"]
            .as_array()
            .expect("a dependency list");
        let internal = deps
            .iter()
            .filter_map(|dep| dep["name"].as_str())
            .filter(|dep| members.contains(dep))
            .map(str::to_string)
            .collect();
        found.insert(name, internal);
    }
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.into_iter().collect();
    assert_eq!(
        found.keys().copied().collect::<Vec<_>>(),
        allowed.keys().copied().collect::<Vec<_>>(),
        "the workspace's crates are the ones ARCHITECTURE.md draws (add a new one to ALLOWED)"
    );
    let broken: Vec<String> = found
        .iter()
        .flat_map(|(name, deps)| {
            deps.iter()
                .filter(|dep| !allowed[name].contains(&dep.as_str()))
                .map(move |dep| format!("{name} depends on {dep}"))
        })
        .collect();
    assert!(
        broken.is_empty(),
        "dependencies against the drawn direction:\n{}",
        broken.join("\n")
    );
}

#[test]
fn every_source_file_says_why_it_exists() {
    let mut sources = rust_files(&crate_root().join("src"));
    for entry in std::fs::read_dir(crate_root().join("crates")).expect("a crates folder") {
        let krate = entry.expect("directory entry").path();
        sources.extend(rust_files(&krate.join("src")));
        sources.push(krate.join("build.rs"));
    }
    sources.push(crate_root().join("build.rs"));
    let undocumented: Vec<String> = sources
        .into_iter()
        .filter(|file| file.exists())
        .filter(|file| {
            let source = std::fs::read_to_string(file).expect("readable source");
            !source.starts_with("//!")
        })
        .map(|file| relative(&file))
        .collect();
    assert!(
        undocumented.is_empty(),
        "these files do not open with a //! comment: {undocumented:?}"
    );
}

#[test]
fn every_setting_is_documented() {
    let every: Vec<&Setting> = attrs::ALL
        .iter()
        .chain(&endpoints::ALL)
        .chain(&assume_role::ALL)
        .chain(&oidc::ALL)
        .collect();
    let index = std::fs::read_to_string(crate_root().join("docs/index.md")).expect("readable doc");
    let missing: Vec<&str> = every
        .iter()
        .filter(|setting| !index.contains(setting.env) || !index.contains(setting.attr))
        .map(|setting| setting.env)
        .collect();
    assert!(
        missing.is_empty(),
        "docs/index.md does not document {missing:?}"
    );
    // README sends readers there: to sections that exist.
    let readme = std::fs::read_to_string(crate_root().join("README.md")).expect("readable doc");
    for (anchor, heading) in [
        ("authentication", "## Authentication"),
        ("environment-variables", "## Environment Variables"),
    ] {
        assert!(
            readme.contains(&format!("](docs/index.md#{anchor})")),
            "README.md does not link to docs/index.md#{anchor}"
        );
        assert!(
            index.lines().any(|line| line == heading),
            "docs/index.md has no {heading:?} section for README's link"
        );
    }
    // The settings table holds a row per setting, variable beside attribute.
    let table_rows = index
        .lines()
        .filter(|line| line.starts_with("| `"))
        .collect::<Vec<_>>();
    let unlisted: Vec<&str> = every
        .iter()
        .filter(|setting| {
            !table_rows.iter().any(|row| {
                row.contains(&format!("`{}`", setting.env)) && row.contains(setting.attr)
            })
        })
        .map(|setting| setting.env)
        .collect();
    assert!(
        unlisted.is_empty(),
        "docs/index.md's settings table has no row for {unlisted:?}"
    );
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn relative(file: &Path) -> String {
    file.strip_prefix(crate_root())
        .unwrap_or(file)
        .display()
        .to_string()
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable source folder") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// build.rs hands `link/x86_64-unknown-linux-gnu.order` to lld, which matches names
/// exactly: a demangled name (`std::…`) or two on a line would place nothing, silently.
#[test]
fn the_link_order_names_linker_symbols() {
    let path = crate_root().join("link/x86_64-unknown-linux-gnu.order");
    let text = std::fs::read_to_string(&path).expect("the link order file (bench/link_order.py)");
    let names: Vec<&str> = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .collect();
    assert!(
        names.contains(&"_start"),
        "the list does not start from the entry point"
    );
    let malformed: Vec<&&str> = names
        .iter()
        .filter(|name| {
            name.contains(char::is_whitespace)
                || name.contains("::")
                || !name.chars().all(|c| c.is_ascii_graphic())
        })
        .collect();
    assert!(
        malformed.is_empty(),
        "not linker symbol names: {:?}",
        &malformed[..malformed.len().min(5)]
    );
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a name is listed twice");
}
