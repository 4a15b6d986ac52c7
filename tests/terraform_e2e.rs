//! The real Terraform and OpenTofu CLIs drive the provider binary (dev_overrides)
//! against the simulator: every test runs under every CLI available (see
//! `common::cli`). Skipped, with a message, only where no CLI exists.

use crate::common;

use std::path::Path;

use common::cli;
use common::workspace::*;
use common::*;
use taurusdb_sim::SimHandle;

/// Every CLI here (see `common::cli`); the suite runs under each of them.
fn every_cli() -> Vec<cli::Cli> {
    cli::matching("the real-CLI suite (no terraform or tofu binary)", |_| true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_replan_replace_and_destroy() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        let ws = Workspace::new(terraform, &sim);
        ws.write_config(&pause_block("nightly", INSTANCE, TASK));

        let apply = ws.ok(APPLY).await;
        assert_eq!(sim.count("POST", "/replication/pause"), 1);
        let state = ws.state_json().await;
        let values = resource_values(&state);
        let job_id = values["job_id"]
            .as_str()
            .expect("job_id in state")
            .to_string();
        assert!(
            sim.job(&job_id).is_some(),
            "the simulator issued job {job_id}"
        );
        assert_eq!(values["id"], format!("{INSTANCE}/{TASK}"));
        assert_eq!(values["project_id"], PROJECT);
        assert!(
            apply.stdout.contains(&job_id),
            "apply prints the job_id output"
        );

        // Re-plan after apply is empty.
        let replan = ws.run(PLAN, &[]).await;
        assert_eq!(replan.status, Some(0), "plan not empty:\n{}", replan.all());
        assert_eq!(
            sim.count("POST", "/replication/pause"),
            1,
            "plan calls no API"
        );

        // Changing task_name plans a replacement and pauses again.
        ws.write_config(&pause_block("nightly", INSTANCE, "users_sync"));
        let plan = ws.run(PLAN, &[]).await;
        assert_eq!(plan.status, Some(2), "{}", plan.all());
        assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
        ws.ok(APPLY).await;
        assert_eq!(sim.count("POST", "/replication/pause"), 2);
        let values = resource_values(&ws.state_json().await);
        assert_ne!(
            values["job_id"].as_str(),
            Some(job_id.as_str()),
            "a new job"
        );
        assert_eq!(
            sim.task_stage(PROJECT, INSTANCE, "users_sync").as_deref(),
            Some("Paused")
        );

        // Destroy pauses or resumes nothing (its refresh only reads) and says why.
        let changes = |sim: &SimHandle| sim.requests().iter().filter(|r| r.method != "GET").count();
        let before = changes(&sim);
        let destroy = ws.ok(DESTROY).await;
        assert_eq!(changes(&sim), before, "destroy changes nothing remotely");
        assert!(
            destroy
                .all()
                .contains("only removes it from Terraform state"),
            "{}",
            destroy.all()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_instance_fails_apply_with_the_api_error() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        let ws = Workspace::new(terraform, &sim);
        ws.write_config(&pause_block(
            "x",
            "0000000000000000000000000000000in07",
            TASK,
        ));
        let run = ws.run(APPLY, &[]).await;
        assert_eq!(run.status, Some(1), "{}", run.all());
        let output = run.all();
        assert!(output.contains("DBS.200022"), "{output}");
        assert!(output.contains("Instance not found."), "{output}");
        assert!(output.contains("instance_id"), "{output}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_task_name_fails_at_plan_naming_the_attribute() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        let ws = Workspace::new(terraform, &sim);
        ws.write_config(&pause_block("x", INSTANCE, "bad-name!"));
        let run = ws.run(&["plan", "-input=false", "-no-color"], &[]).await;
        assert_eq!(run.status, Some(1), "{}", run.all());
        let output = run.all();
        assert!(output.contains("Invalid task_name"), "{output}");
        assert!(
            output.contains("task_name   = \"bad-name!\""),
            "the config line is shown: {output}"
        );
        assert!(sim.requests().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_then_plan_is_empty() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        let ws = Workspace::new(terraform, &sim);
        ws.write_config(&pause_block("imported", INSTANCE, TASK));
        // A task paused earlier (outside Terraform) is adopted as it is.
        sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
        let id = format!("{INSTANCE}/{TASK}");
        ws.ok(&[
            "import",
            "-input=false",
            "-no-color",
            "taurusdb_replication_pause.imported",
            &id,
        ])
        .await;
        let values = resource_values(&ws.state_json().await);
        assert_eq!(values["instance_id"], INSTANCE);
        assert_eq!(values["task_name"], TASK);
        assert_eq!(values["id"], id);
        let plan = ws.run(PLAN, &[]).await;
        assert_eq!(plan.status, Some(0), "{}", plan.all());
        assert!(
            sim.requests().iter().all(|r| r.method == "GET"),
            "import and plan only read"
        );
        assert_eq!(values_of(&ws).await["stage"], "Paused");

        // Importing a task that is running plans a pause (in place).
        ws.write_config(&format!(
            "{}
{}",
            pause_block("imported", INSTANCE, TASK),
            pause_block("running", INSTANCE, "users_sync")
        ));
        ws.ok(&[
            "import",
            "-input=false",
            "-no-color",
            "taurusdb_replication_pause.running",
            &format!("{INSTANCE}/users_sync"),
        ])
        .await;
        let plan = ws.run(PLAN, &[]).await;
        assert_eq!(plan.status, Some(2), "{}", plan.all());
        assert!(
            plan.stdout
                .contains("taurusdb_replication_pause.running will be updated in-place"),
            "{}",
            plan.stdout
        );
    }
}

async fn values_of(ws: &Workspace) -> serde_json::Value {
    resource_values(&ws.state_json().await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_carry_rpc_fields_and_never_the_token() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        let ws = Workspace::new(terraform, &sim);
        ws.write_config(&pause_block("logged", INSTANCE, TASK));
        let run = ws.run(APPLY, &[("TF_LOG", "trace")]).await;
        assert_eq!(run.status, Some(0), "{}", run.all());
        let logs = run.stderr;
        for expected in [
            "tf_rpc=ApplyResourceChange",
            "tf_req_id=",
            "tf_resource_type=taurusdb_replication_pause",
            "TaurusDB API call",
            "http_status=200",
        ] {
            assert!(
                logs.contains(expected),
                "{expected:?} not in the provider's log lines"
            );
        }
        assert!(!logs.contains(TOKEN), "the token leaked into the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aksk_authentication_end_to_end() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        let mut ws = Workspace::new(terraform, &sim);
        ws.set_env("HW_AUTH_TOKEN", None);
        ws.set_env("HW_ACCESS_KEY", Some(ACCESS_KEY));
        ws.set_env("HW_SECRET_KEY", Some(SECRET_KEY));
        ws.write_config(&pause_block("signed", INSTANCE, TASK));
        let run = ws.run(APPLY, &[("TF_LOG", "trace")]).await;
        assert_eq!(run.status, Some(0), "{}", run.stdout);
        assert!(
            run.stderr.contains("TaurusDB API call"),
            "provider lines are logged"
        );
        assert!(!run.all().contains(SECRET_KEY), "the secret key leaked");
        let requests = sim.requests();
        assert!(!requests.is_empty());
        for request in &requests {
            let auth = request.header("authorization").unwrap_or("");
            assert!(
                auth.starts_with("SDK-HMAC-SHA256 Access=SIMACCESSKEY0001"),
                "{auth}"
            );
            assert_eq!(request.status, 200);
        }
        assert_eq!(
            sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
            Some("Paused")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_task_is_paused_again() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        let ws = Workspace::new(terraform, &sim);
        ws.write_config(&pause_block("nightly", INSTANCE, TASK));
        ws.ok(APPLY).await;
        let first_job = resource_values(&ws.state_json().await)["job_id"].clone();

        // Someone resumes the task outside Terraform.
        sim.set_task_stage(PROJECT, INSTANCE, TASK, "Incremental");
        let plan = ws.run(PLAN, &[]).await;
        assert_eq!(plan.status, Some(2), "{}", plan.all());
        assert!(
            plan.stdout.contains("will be updated in-place"),
            "{}",
            plan.stdout
        );
        assert!(
            plan.stdout
                .contains("\"Incremental\" -> (known after apply)"),
            "{}",
            plan.stdout
        );

        ws.ok(APPLY).await;
        assert_eq!(sim.count("POST", "/replication/pause"), 2);
        assert_eq!(
            sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
            Some("Paused")
        );
        let values = resource_values(&ws.state_json().await);
        assert_ne!(values["job_id"], first_job);
        assert_eq!(values["stage"], "Paused");
    }
}

/// Sets the `id` of the one resource in the workspace's `terraform.tfstate`, as a person
/// editing the file by hand (or an older version of the provider) would leave it.
fn edit_stored_id(ws: &Workspace, id: &str) {
    let path = ws.dir.path().join("terraform.tfstate");
    let text = std::fs::read_to_string(&path).expect("terraform.tfstate");
    let mut state: serde_json::Value = serde_json::from_str(&text).expect("state JSON");
    state["resources"][0]["instances"][0]["attributes"]["id"] = id.into();
    std::fs::write(&path, serde_json::to_vec_pretty(&state).expect("JSON")).expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_id_edited_by_hand_plans_and_applies_consistently() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = Workspace::new(cli.path.clone(), &sim);
        ws.write_config(&pause_block("nightly", INSTANCE, TASK));
        ws.ok(APPLY).await;
        edit_stored_id(&ws, "hand-edited");

        // The stored id is derived again as the state is upgraded: nothing to change.
        let plan = ws.run(PLAN, &[]).await;
        assert_eq!(plan.status, Some(0), "plan not empty:\n{}", plan.all());

        // The re-pause (an apply after the POST was sent) agrees with its plan.
        edit_stored_id(&ws, "hand-edited");
        sim.set_task_stage(PROJECT, INSTANCE, TASK, "Incremental");
        let plan = ws.run(PLAN, &[]).await;
        assert_eq!(plan.status, Some(2), "{}", plan.all());
        ws.ok(APPLY).await;
        assert_eq!(sim.count("POST", "/replication/pause"), 2);
        let values = resource_values(&ws.state_json().await);
        assert_eq!(values["id"], format!("{INSTANCE}/{TASK}"));
        assert_eq!(values["stage"], "Paused");
        let replan = ws.run(PLAN, &[]).await;
        assert_eq!(replan.status, Some(0), "plan not empty:\n{}", replan.all());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_on_destroy_resumes_the_task() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        let ws = Workspace::new(terraform, &sim);
        ws.write_config(&format!(
            r#"resource "taurusdb_replication_pause" "window" {{
  instance_id       = "{INSTANCE}"
  task_name         = "{TASK}"
  resume_on_destroy = true
}}
"#
        ));
        ws.ok(APPLY).await;
        assert_eq!(
            sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
            Some("Paused")
        );
        let destroy = ws.ok(DESTROY).await;
        assert_eq!(sim.count("POST", "/replication/resume"), 1);
        assert_eq!(
            sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
            Some("Incremental")
        );
        assert!(!destroy.all().contains("Replication task left paused"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_leaves_a_tainted_resource_with_its_job_id() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        sim.set_job_plan(taurusdb_sim::JobPlan {
            hidden_polls: 0,
            running_polls: 0,
            outcome: taurusdb_sim::JobOutcome::Never,
            duration: None,
        });
        let ws = Workspace::new(terraform, &sim);
        ws.write_config(&format!(
            r#"resource "taurusdb_replication_pause" "slow" {{
  instance_id = "{INSTANCE}"
  task_name   = "{TASK}"
  timeouts {{
    create = "1s"
  }}
}}
"#
        ));
        let run = ws.run(APPLY, &[]).await;
        assert_eq!(run.status, Some(1), "{}", run.all());
        assert!(run.all().contains("Timed out waiting"), "{}", run.all());
        let entry = resource_entry(&ws.state_json().await);
        assert_eq!(entry["tainted"], true, "{entry}");
        let job_id = entry["values"]["job_id"].as_str().expect("job_id kept");
        assert!(sim.job(job_id).is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_timeout_fails_at_plan() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        let ws = Workspace::new(terraform, &sim);
        ws.write_config(&format!(
            r#"resource "taurusdb_replication_pause" "x" {{
  instance_id = "{INSTANCE}"
  task_name   = "{TASK}"
  timeouts {{
    create = "half an hour"
  }}
}}
"#
        ));
        let run = ws.run(&["plan", "-input=false", "-no-color"], &[]).await;
        assert_eq!(run.status, Some(1));
        assert!(
            run.all().contains("Invalid timeouts.create"),
            "{}",
            run.all()
        );
        assert!(
            run.all().contains("create = \"half an hour\""),
            "{}",
            run.all()
        );
        assert!(sim.requests().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_authentication_gets_one_iam_token() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        let mut ws = Workspace::new(terraform, &sim);
        ws.set_env("HW_AUTH_TOKEN", None);
        ws.set_env("HW_USER_NAME", Some(IAM_USER));
        ws.set_env("HW_USER_PASSWORD", Some(IAM_PASSWORD));
        ws.set_env("HW_DOMAIN_NAME", Some(IAM_DOMAIN));
        ws.set_env("HW_AUTH_URL", Some(&format!("{}/v3", sim.endpoint())));
        let blocks: String = ["orders_sync", "users_sync", "payments_sync"]
            .iter()
            .map(|task| pause_block(task, INSTANCE, task))
            .collect();
        ws.write_config(&blocks);
        let run = ws.run(APPLY, &[("TF_LOG_PROVIDER", "debug")]).await;
        assert_eq!(run.status, Some(0), "{}", run.stdout);
        assert_eq!(sim.count("POST", "/replication/pause"), 3);
        assert_eq!(sim.issued_tokens(), 1, "one token for the whole apply");
        assert!(!run.all().contains(IAM_PASSWORD), "the password leaked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uncertain_pause_is_tainted_and_the_next_apply_ends_well() {
    for cli in every_cli() {
        eprintln!("-- under {}", cli.label());
        let terraform = cli.path.clone();
        let sim = start_sim().await;
        // The gateway times out after the service paused the task.
        sim.inject(taurusdb_sim::Fault::on(
            "POST",
            "/replication/pause",
            taurusdb_sim::FaultKind::gateway_error_after_handling(504),
        ));
        let ws = Workspace::new(terraform, &sim);
        ws.write_config(&pause_block("nightly", INSTANCE, TASK));
        let run = ws.run(APPLY, &[]).await;
        assert_eq!(run.status, Some(1), "{}", run.all());
        assert!(
            run.all().contains("may or may not have happened"),
            "{}",
            run.all()
        );
        let entry = resource_entry(&ws.state_json().await);
        assert_eq!(entry["tainted"], true, "{entry}");
        assert_eq!(
            entry["values"]["job_id"],
            serde_json::Value::Null,
            "{entry}"
        );
        assert_eq!(sim.jobs().len(), 1, "the pause did happen");

        // The next apply replaces the tainted resource; the service refuses to pause a paused
        // task, the provider sees it reads Paused, and the apply ends well with a warning.
        let run = ws.ok(APPLY).await;
        assert!(run.all().contains("already paused"), "{}", run.all());
        let entry = resource_entry(&ws.state_json().await);
        assert_ne!(entry["tainted"], true, "{entry}");
        assert_eq!(entry["values"]["stage"], "Paused", "{entry}");
        assert_eq!(sim.count("POST", "/replication/pause"), 2);
        assert_eq!(sim.jobs().len(), 1, "no second job");

        let replan = ws.run(PLAN, &[]).await;
        assert_eq!(replan.status, Some(0), "plan not empty:\n{}", replan.all());
    }
}

/// The CLIs that have actions: Terraform 1.14 and newer.
fn terraform_with_actions() -> Vec<cli::Cli> {
    cli::matching("actions (no Terraform 1.14+)", |c| {
        c.is_terraform_at_least(1, 14)
    })
}

impl Workspace {
    /// The `.tf` files of `examples/<name>` as this workspace's configuration.
    fn use_example(&self, name: &str) {
        let example = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name);
        for entry in std::fs::read_dir(&example).expect("example folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "tf") {
                let file = path.file_name().expect("file name");
                std::fs::copy(&path, self.dir.path().join(file)).expect("copy example");
            }
        }
    }
}

/// `-var instance_id=...` for the examples.
fn instance_var() -> String {
    format!("instance_id={INSTANCE}")
}

/// The line of `output` that contains `needle`, by position.
fn line_index(output: &str, needle: &str) -> usize {
    output
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{output}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_trigger_pauses_replication_before_the_migration() {
    for cli in terraform_with_actions() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = Workspace::new(cli.path.clone(), &sim);
        ws.use_example("actions");
        let var = instance_var();
        let apply = ws.ok(&[APPLY, &["-var", var.as_str()]].concat()).await;
        assert_eq!(
            sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
            Some("Paused")
        );
        let jobs = sim.jobs();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        let output = apply.all();
        // Progress as Terraform shows it, before the migration script runs.
        let requested = line_index(&output, &format!("pause requested, job {}", jobs[0].id));
        let paused = line_index(&output, "task stage Paused");
        let migrated = line_index(
            &output,
            "(local-exec): migrating the warehouse schema to v1",
        );
        assert!(requested < paused && paused < migrated, "{output}");
        assert!(
            output.contains("action.taurusdb_replication_pause.before_migration"),
            "{output}"
        );

        // A new schema version replaces the migration: the action runs first again and
        // ends well on the task that is still paused.
        let again = ws
            .ok(&[APPLY, &["-var", var.as_str(), "-var", "schema_version=v2"]].concat())
            .await;
        let output = again.all();
        let already = line_index(&output, "task already paused (stage Paused)");
        let migrated = line_index(
            &output,
            "(local-exec): migrating the warehouse schema to v2",
        );
        assert!(already < migrated, "{output}");
        assert_eq!(sim.count("POST", "/replication/pause"), 2);
        assert_eq!(sim.jobs().len(), 1, "no second job");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_pauses_and_the_resume_action_resumes() {
    for cli in terraform_with_actions() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = Workspace::new(cli.path.clone(), &sim);
        ws.use_example("actions");
        let var = instance_var();
        let pause = ws
            .ok(&[
                APPLY,
                &[
                    "-var",
                    var.as_str(),
                    "-invoke=action.taurusdb_replication_pause.before_migration",
                ],
            ]
            .concat())
            .await;
        assert_eq!(
            sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
            Some("Paused")
        );
        let output = pause.all();
        assert!(output.contains("pause requested, job "), "{output}");
        assert!(output.contains("task stage Paused"), "{output}");
        assert!(
            !output.contains("migrating the warehouse schema"),
            "-invoke runs the action alone: {output}"
        );
        assert!(
            ws.state_json().await["values"].is_null(),
            "an action leaves nothing in state"
        );

        let resume = ws
            .ok(&[
                APPLY,
                &[
                    "-var",
                    var.as_str(),
                    "-invoke=action.taurusdb_replication_resume.after_migration",
                ],
            ]
            .concat())
            .await;
        assert_eq!(
            sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
            Some("Incremental")
        );
        let output = resume.all();
        assert!(output.contains("resume requested, job "), "{output}");
        assert!(output.contains("task stage Incremental"), "{output}");
        assert_eq!(sim.count("POST", "/replication/resume"), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_task_name_in_an_action_fails_at_plan_naming_the_attribute() {
    for cli in terraform_with_actions() {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        let ws = Workspace::new(cli.path.clone(), &sim);
        ws.write_config(&format!(
            r#"action "taurusdb_replication_pause" "x" {{
  config {{
    instance_id = "{INSTANCE}"
    task_name   = "bad-name!"
  }}
}}
"#
        ));
        for args in [
            &["validate", "-no-color"][..],
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-invoke=action.taurusdb_replication_pause.x",
            ][..],
        ] {
            let run = ws.run(args, &[]).await;
            assert_eq!(run.status, Some(1), "{args:?}: {}", run.all());
            let output = run.all();
            assert!(output.contains("Invalid task_name"), "{output}");
            assert!(
                output.contains("task_name   = \"bad-name!\""),
                "the config line is shown: {output}"
            );
        }
        assert!(sim.requests().is_empty());
    }
}
