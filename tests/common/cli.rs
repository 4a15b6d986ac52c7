//! The Terraform and OpenTofu CLIs the end-to-end tests run under.
//!
//! Every real-CLI test runs under each CLI this machine has: `terraform` and `tofu` on
//! PATH, and the pinned builds in `../shared/tools/` (Terraform 1.14.9 for actions,
//! `terraform query` and identity; OpenTofu 1.12.6). `TF_TEST_BINARY` names one CLI
//! instead. Where none exists the tests report a SKIPPED line ([`super::skip`]: seen
//! whatever libtest captures, and listed at the end of `.ci/run`) and pass.
//!
//! Unless the run expects CLIs: [`EXPECT_ENV`] (`TF_EXPECT_CLIS`, set by `.ci/run` to
//! what CI machines have) lists them, e.g. `terraform 1.11,terraform 1.14,tofu 1.12`,
//! and every real-CLI test fails, naming what is missing, when one of them is not here.

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

/// The CLIs a run expects, e.g. `terraform 1.11,terraform 1.14,tofu 1.12`: a program
/// (`terraform` or `tofu`) and a version, whole or its leading parts, each.
pub const EXPECT_ENV: &str = "TF_EXPECT_CLIS";

/// Every CLI available here, each once (same version found twice counts once). Panics,
/// naming what is missing, when [`EXPECT_ENV`] expects a CLI that is not here.
pub fn available() -> &'static [Cli] {
    static CLIS: OnceLock<Vec<Cli>> = OnceLock::new();
    let clis = CLIS.get_or_init(discover);
    if let Some(expected) = std::env::var(EXPECT_ENV)
        .ok()
        .filter(|e| !e.trim().is_empty())
        && let Err(problem) = check_expected(&expected, clis)
    {
        panic!("{problem}");
    }
    clis
}

/// The CLIs for which `wanted` holds; reports a SKIPPED line naming `what` when none.
pub fn matching(what: &str, wanted: impl Fn(&Cli) -> bool) -> Vec<Cli> {
    let clis: Vec<Cli> = available().iter().filter(|c| wanted(c)).cloned().collect();
    if clis.is_empty() {
        super::skip::skipped(&format!("no CLI here for {what}; end-to-end test not run"));
    }
    clis
}

/// One expected CLI: a program and the leading parts of its version.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    flavor: Flavor,
    version: Vec<u32>,
    text: String,
}

impl Expected {
    fn parse(entry: &str) -> Result<Self, String> {
        let text = entry.trim().to_string();
        let bad = || format!("{EXPECT_ENV}: {text:?} is not `terraform X.Y[.Z]` or `tofu X.Y[.Z]`");
        let (name, version) = text.split_once(' ').ok_or_else(bad)?;
        let flavor = match name {
            "terraform" => Flavor::Terraform,
            "tofu" => Flavor::OpenTofu,
            _ => return Err(bad()),
        };
        let version: Vec<u32> = version
            .trim()
            .split('.')
            .map(|part| part.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        if version.is_empty() || version.len() > 3 {
            return Err(bad());
        }
        Ok(Self {
            flavor,
            version,
            text,
        })
    }

    fn met_by(&self, cli: &Cli) -> bool {
        let (a, b, c) = cli.version;
        cli.flavor == self.flavor && self.version.iter().zip([a, b, c]).all(|(e, v)| *e == v)
    }
}

/// Whether every CLI `expected` lists is among `clis`; else what is missing, what was
/// found and where to look.
fn check_expected(expected: &str, clis: &[Cli]) -> Result<(), String> {
    let expected: Vec<Expected> = expected
        .split(',')
        .filter(|entry| !entry.trim().is_empty())
        .map(Expected::parse)
        .collect::<Result<_, _>>()?;
    let missing: Vec<&str> = expected
        .iter()
        .filter(|e| !clis.iter().any(|cli| e.met_by(cli)))
        .map(|e| e.text.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let found: Vec<String> = clis.iter().map(Cli::label).collect();
    Err(format!(
        "{EXPECT_ENV} expects {} but this machine has no such CLI (found: {}). The \
         real-CLI tests look for `terraform` and `tofu` on PATH and for the pinned builds \
         in ../shared/tools/ beside the repository (see its README.md), or use \
         TF_TEST_BINARY alone. Install what is missing, or change {EXPECT_ENV} (empty: \
         expect nothing, and let those tests skip).",
        missing.join(", "),
        if found.is_empty() {
            "none".to_string()
        } else {
            found.join(", ")
        }
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(flavor: Flavor, version: (u32, u32, u32)) -> Cli {
        Cli {
            path: PathBuf::from("/x"),
            flavor,
            version,
        }
    }

    #[test]
    fn expected_clis_match_by_program_and_leading_version_parts() {
        let here = [
            cli(Flavor::Terraform, (1, 11, 4)),
            cli(Flavor::Terraform, (1, 14, 9)),
            cli(Flavor::OpenTofu, (1, 12, 6)),
        ];
        let ci = "terraform 1.11,terraform 1.14,tofu 1.12";
        assert_eq!(check_expected(ci, &here), Ok(()));
        assert_eq!(check_expected("terraform 1.14.9, tofu 1", &here), Ok(()));
        let problem = check_expected(ci, &here[..1]).expect_err("two missing");
        assert!(
            problem.contains("expects terraform 1.14, tofu 1.12 but")
                && problem.contains("(found: terraform 1.11.4)")
                && problem.contains("../shared/tools/"),
            "{problem}"
        );
        let problem = check_expected("tofu 1.12", &[]).expect_err("none here");
        assert!(problem.contains("(found: none)"), "{problem}");
        // A tofu build does not stand in for terraform, nor 1.1 for 1.11.
        assert!(check_expected("terraform 1.12", &here[2..]).is_err());
        assert!(check_expected("terraform 1.1", &here[..1]).is_err());
    }

    #[test]
    fn a_malformed_expectation_is_refused_naming_it() {
        for bad in [
            "terraform",
            "opentofu 1.12",
            "terraform 1.x",
            "tofu 1.2.3.4",
        ] {
            let problem = check_expected(bad, &[]).expect_err(bad);
            assert!(problem.contains(&format!("{bad:?}")), "{problem}");
        }
    }
}
