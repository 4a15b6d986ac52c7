//! A working directory for the real-CLI tests: a CLI config whose dev_overrides point at
//! the built provider, the simulator's endpoint and token in the environment, and helpers
//! to write `main.tf`, run the CLI and read its state.

use std::path::{Path, PathBuf};
use std::process::Output;

use taurusdb_sim::SimHandle;

use super::process::BINARY;
use super::{PROJECT, TOKEN};

/// A working directory with a CLI config whose dev_overrides point at our binary.
pub struct Workspace {
    pub terraform: PathBuf,
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

pub struct Run {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Workspace {
    pub fn new(terraform: PathBuf, sim: &SimHandle) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let provider_dir = Path::new(BINARY).parent().expect("binary dir");
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(
            &cli_config,
            format!(
                r#"provider_installation {{
  dev_overrides {{
    "registry.terraform.io/taurusdb/taurusdb" = "{dir}"
    "registry.opentofu.org/taurusdb/taurusdb" = "{dir}"
  }}
  direct {{}}
}}
"#,
                dir = provider_dir.display()
            ),
        )
        .expect("cli config");
        let env = vec![
            (
                "TF_CLI_CONFIG_FILE".into(),
                cli_config.display().to_string(),
            ),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("HW_AUTH_TOKEN".into(), TOKEN.into()),
            ("HW_TAURUSDB_ENDPOINT".into(), sim.endpoint()),
            ("HW_PROJECT_ID".into(), PROJECT.into()),
            ("HW_METADATA_ENDPOINT".into(), super::NO_METADATA.into()),
        ];
        Self {
            terraform,
            dir,
            env,
        }
    }

    pub fn write_config(&self, resources: &str) {
        self.write_config_with_provider("", resources);
    }

    /// Writes `main.tf` whose provider block holds `provider_body` (HCL attributes and
    /// blocks, e.g. `token = "..."`).
    pub fn write_config_with_provider(&self, provider_body: &str, resources: &str) {
        let main = format!(
            r#"terraform {{
  required_providers {{
    taurusdb = {{ source = "taurusdb/taurusdb" }}
  }}
}}

provider "taurusdb" {{
{provider_body}
}}

{resources}
"#
        );
        std::fs::write(self.dir.path().join("main.tf"), main).expect("main.tf");
    }

    /// Writes another file into the working directory (e.g. `main.tfquery.hcl`).
    pub fn write_file(&self, name: &str, content: &str) {
        std::fs::write(self.dir.path().join(name), content).expect("write file");
    }

    pub async fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Run {
        let mut command = tokio::process::Command::new(&self.terraform);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("TF_LOG_PATH")
            .kill_on_drop(true);
        // The provider's settings come from this workspace only, never from the
        // environment the tests run in (a developer's own credentials or region).
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|k| k.starts_with("HW_")) {
                command.env_remove(key);
            }
        }
        for (k, v) in &self.env {
            command.env(k, v);
        }
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = command.output().await.expect("run terraform");
        Run {
            status: status.code(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    pub async fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args, &[]).await;
        assert_eq!(
            run.status,
            Some(0),
            "terraform {args:?} failed:\n{}",
            run.all()
        );
        run
    }

    pub async fn state_json(&self) -> serde_json::Value {
        let run = self.ok(&["show", "-json", "-no-color"]).await;
        serde_json::from_str(&run.stdout).expect("show -json")
    }
}

pub const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false", "-no-color"];
pub const DESTROY: &[&str] = &["destroy", "-auto-approve", "-input=false", "-no-color"];
/// Exit code 0: no changes, 2: changes.
pub const PLAN: &[&str] = &["plan", "-detailed-exitcode", "-input=false", "-no-color"];

pub fn pause_block(name: &str, instance: &str, task: &str) -> String {
    format!(
        r#"resource "taurusdb_replication_pause" "{name}" {{
  instance_id = "{instance}"
  task_name   = "{task}"
}}

output "{name}_job_id" {{
  value = taurusdb_replication_pause.{name}.job_id
}}
"#
    )
}

pub fn resource_values(state: &serde_json::Value) -> serde_json::Value {
    state["values"]["root_module"]["resources"][0]["values"].clone()
}

impl Workspace {
    /// Replaces an environment variable for later runs (None removes it).
    pub fn set_env(&mut self, key: &str, value: Option<&str>) {
        self.env.retain(|(k, _)| k != key);
        if let Some(value) = value {
            self.env.push((key.to_string(), value.to_string()));
        }
    }
}

pub fn resource_entry(state: &serde_json::Value) -> serde_json::Value {
    state["values"]["root_module"]["resources"][0].clone()
}
