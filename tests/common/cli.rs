//! The Terraform and OpenTofu CLIs the end-to-end tests run under.
//!
//! Every real-CLI test runs under each CLI this machine has: `terraform` and `tofu` on
//! PATH, and the pinned builds in `../shared/tools/` (Terraform 1.14.9 for actions,
//! `terraform query` and identity; OpenTofu 1.12.6). `TF_TEST_BINARY` names one CLI
//! instead. Where none exists the tests print a SKIPPED line and pass.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Which program a CLI is: they differ in registry host and features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Terraform,
    OpenTofu,
}

/// One CLI binary and its version.
#[derive(Debug, Clone)]
pub struct Cli {
    pub path: PathBuf,
    pub flavor: Flavor,
    pub version: (u32, u32, u32),
}

impl Cli {
    /// Terraform at `major.minor` or newer (OpenTofu has no actions or query).
    pub fn is_terraform_at_least(&self, major: u32, minor: u32) -> bool {
        self.flavor == Flavor::Terraform && (self.version.0, self.version.1) >= (major, minor)
    }

    /// A short name for messages, e.g. `terraform 1.14.9`.
    pub fn label(&self) -> String {
        let (a, b, c) = self.version;
        let name = match self.flavor {
            Flavor::Terraform => "terraform",
            Flavor::OpenTofu => "tofu",
        };
        format!("{name} {a}.{b}.{c}")
    }
}

/// Every CLI available here, each once (same version found twice counts once).
pub fn available() -> &'static [Cli] {
    static CLIS: OnceLock<Vec<Cli>> = OnceLock::new();
    CLIS.get_or_init(discover)
}

/// The CLIs for which `wanted` holds; prints a SKIPPED line naming `what` when none.
pub fn matching(what: &str, wanted: impl Fn(&Cli) -> bool) -> Vec<Cli> {
    let clis: Vec<Cli> = available().iter().filter(|c| wanted(c)).cloned().collect();
    if clis.is_empty() {
        eprintln!("SKIPPED: no CLI here for {what}; end-to-end test not run");
    }
    clis
}

fn discover() -> Vec<Cli> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(explicit) = std::env::var("TF_TEST_BINARY") {
        candidates.push(PathBuf::from(explicit));
    } else {
        if let Some(path) = std::env::var_os("PATH") {
            for name in ["terraform", "tofu"] {
                if let Some(found) = std::env::split_paths(&path)
                    .map(|dir| dir.join(name))
                    .find(|candidate| candidate.is_file())
                {
                    candidates.push(found);
                }
            }
        }
        let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools");
        for name in ["terraform-1.14.9", "tofu-1.12.6"] {
            let candidate = tools.join(name);
            if candidate.is_file() {
                candidates.push(candidate);
            }
        }
    }
    let mut clis: Vec<Cli> = Vec::new();
    for path in candidates {
        let Some(cli) = identify(&path) else {
            eprintln!(
                "note: {} does not answer `version -json`; not used",
                path.display()
            );
            continue;
        };
        if !clis
            .iter()
            .any(|c| c.flavor == cli.flavor && c.version == cli.version)
        {
            clis.push(cli);
        }
    }
    clis
}

/// Runs `CLI version`, whose output names the program and its version
/// (`Terraform v1.11.4`, `OpenTofu v1.12.6`).
fn identify(path: &Path) -> Option<Cli> {
    let output = std::process::Command::new(path)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_CLI_CONFIG_FILE")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let (flavor, rest) = [
        ("Terraform v", Flavor::Terraform),
        ("OpenTofu v", Flavor::OpenTofu),
    ]
    .into_iter()
    .find_map(|(prefix, flavor)| text.split_once(prefix).map(|(_, rest)| (flavor, rest)))?;
    let number = rest.split_whitespace().next()?;
    let mut parts = number.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    Some(Cli {
        path: path.to_path_buf(),
        flavor,
        version,
    })
}
