//! Discovering tasks with the real CLIs against the simulator: the
//! `taurusdb_replication_tasks` data source driving `for_each` (every CLI), `terraform
//! query` (Terraform 1.14+) and `import { identity = {...} }` (Terraform and OpenTofu
//! 1.12+). The examples in `examples/tasks` and `examples/query` are what run.

use crate::common;

use common::cli::{self, Flavor};
use common::workspace::*;
use common::*;

const TASKS_EXAMPLE: &str = include_str!("../examples/tasks/main.tf");
const QUERY_EXAMPLE_TF: &str = include_str!("../examples/query/main.tf");
const QUERY_EXAMPLE: &str = include_str!("../examples/query/main.tfquery.hcl");

const SEEDED_TASKS: [&str; 3] = ["orders_sync", "users_sync", "payments_sync"];

fn var_instance() -> String {
    format!("instance_id={INSTANCE}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn for_each_over_the_data_source_pauses_every_task() {
    for cli in cli::matching("the data source with for_each", |_| true) {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        // One task is already paused; another is not a match for the example's regex.
        sim.set_task_stage(PROJECT, INSTANCE, "users_sync", "Paused");
        sim.add_task(PROJECT, INSTANCE, "adhoc_copy");
        let ws = Workspace::new(cli.path.clone(), &sim);
        ws.write_file("main.tf", TASKS_EXAMPLE);
        let var = var_instance();
        let apply = ws.ok(&[APPLY, &["-var", &var]].concat()).await;
        for task in SEEDED_TASKS {
            assert_eq!(
                sim.task_stage(PROJECT, INSTANCE, task).as_deref(),
                Some("Paused"),
                "{task}"
            );
        }
        assert_eq!(
            sim.task_stage(PROJECT, INSTANCE, "adhoc_copy").as_deref(),
            Some("Incremental"),
            "filtered out by name_regex"
        );
        assert!(
            apply
                .stdout
                .contains("\"orders_sync\" = \"orders -> orders\""),
            "{}",
            apply.stdout
        );
        let state = ws.state_json().await;
        let pauses: Vec<_> = state["values"]["root_module"]["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .filter(|r| r["type"] == "taurusdb_replication_pause")
            .map(|r| r["index"].as_str().expect("for_each key").to_string())
            .collect();
        assert_eq!(pauses.len(), 3, "{pauses:?}");

        // Paused tasks stay in the data source: the next plan is empty.
        let replan = ws.run(&[PLAN, &["-var", &var]].concat(), &[]).await;
        assert_eq!(replan.status, Some(0), "plan not empty:\n{}", replan.all());

        // A name_regex that is no regular expression fails at plan, at its line.
        ws.write_file(
            "main.tf",
            &TASKS_EXAMPLE.replace("name_regex  = var.name_regex", "name_regex  = \"_sync(\""),
        );
        let bad = ws
            .run(&["plan", "-input=false", "-no-color", "-var", &var], &[])
            .await;
        assert_eq!(bad.status, Some(1), "{}", bad.all());
        assert!(bad.all().contains("Invalid name_regex"), "{}", bad.all());
        assert!(
            bad.all().contains("name_regex  = \"_sync(\""),
            "the config line is shown: {}",
            bad.all()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_query_lists_the_tasks_of_an_instance() {
    for cli in cli::matching("terraform query (Terraform 1.14+)", |c| {
        c.is_terraform_at_least(1, 14)
    }) {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        sim.set_task_stage(PROJECT, INSTANCE, "payments_sync", "PAUSED");
        let ws = Workspace::new(cli.path.clone(), &sim);
        ws.write_file("main.tf", QUERY_EXAMPLE_TF);
        ws.write_file("main.tfquery.hcl", QUERY_EXAMPLE);
        let var = var_instance();

        let query = ws.ok(&["query", "-no-color", "-var", &var]).await;
        for (task, stage) in [
            ("orders_sync", "Incremental"),
            ("users_sync", "Incremental"),
            ("payments_sync", "PAUSED"),
        ] {
            let line = query
                .stdout
                .lines()
                .find(|l| {
                    l.starts_with("list.taurusdb_replication_pause.all ")
                        && l.contains(&format!("task_name={task}"))
                })
                .unwrap_or_else(|| panic!("{task} listed:\n{}", query.stdout));
            assert!(line.contains(&format!("{task} ({stage})")), "{line}");
            assert!(line.contains(&format!("instance_id={INSTANCE}")), "{line}");
            assert!(line.contains(&format!("project_id={PROJECT}")), "{line}");
        }
        let paused: Vec<_> = query
            .stdout
            .lines()
            .filter(|l| l.starts_with("list.taurusdb_replication_pause.paused "))
            .collect();
        assert_eq!(paused.len(), 1, "{}", query.stdout);
        assert!(paused[0].contains("payments_sync (PAUSED)"));

        // -json carries the resource object the paused list asked for.
        let json = ws.ok(&["query", "-json", "-no-color", "-var", &var]).await;
        let found: Vec<serde_json::Value> = json
            .stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["type"] == "list_resource_found")
            .map(|m| m["list_resource_found"].clone())
            .collect();
        assert_eq!(found.len(), 4, "3 + 1 results:\n{}", json.stdout);
        let object = found
            .iter()
            .find(|f| f["address"] == "list.taurusdb_replication_pause.paused")
            .map(|f| f["resource_object"].clone())
            .expect("the paused result");
        assert_eq!(object["stage"], "PAUSED");
        assert_eq!(object["job_id"], serde_json::Value::Null);
        assert_eq!(object["wait_for_completion"], true);
        assert_eq!(object["id"], format!("{INSTANCE}/payments_sync"));
        assert!(
            sim.requests().iter().all(|r| r.method == "GET"),
            "a query only reads"
        );

        // An instance that does not exist is an error naming the API's answer and the line.
        ws.write_file(
            "main.tfquery.hcl",
            &QUERY_EXAMPLE.replacen(
                "instance_id = var.instance_id\n    # project_id",
                "instance_id = \"0000000000000000000000000000000in07\"\n    # project_id",
                1,
            ),
        );
        let failed = ws.run(&["query", "-no-color", "-var", &var], &[]).await;
        assert_eq!(failed.status, Some(1), "{}", failed.all());
        assert!(failed.all().contains("DBS.200022"), "{}", failed.all());
        assert!(
            failed
                .all()
                .contains("instance_id = \"0000000000000000000000000000000in07\""),
            "the config line is shown: {}",
            failed.all()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_by_identity_then_the_plan_is_empty() {
    let with_identity = |c: &cli::Cli| {
        c.is_terraform_at_least(1, 12)
            || (c.flavor == Flavor::OpenTofu && (c.version.0, c.version.1) >= (1, 12))
    };
    for cli in cli::matching(
        "import by identity (Terraform or OpenTofu 1.12+)",
        with_identity,
    ) {
        eprintln!("-- under {}", cli.label());
        let sim = start_sim().await;
        // A task paused earlier (outside Terraform) is adopted as it is.
        sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
        let ws = Workspace::new(cli.path.clone(), &sim);
        ws.write_config(&format!(
            r#"import {{
  to = taurusdb_replication_pause.adopted
  identity = {{
    instance_id = "{INSTANCE}"
    task_name   = "{TASK}"
  }}
}}

{}"#,
            pause_block("adopted", INSTANCE, TASK)
        ));
        let apply = ws.ok(APPLY).await;
        assert!(
            apply.stdout.contains("1 imported, 0 added, 0 changed"),
            "{}",
            apply.stdout
        );
        assert!(
            sim.requests().iter().all(|r| r.method == "GET"),
            "importing a paused task pauses nothing"
        );
        let state = ws.state_json().await;
        let entry = resource_entry(&state);
        assert_eq!(entry["values"]["id"], format!("{INSTANCE}/{TASK}"));
        assert_eq!(entry["values"]["stage"], "Paused");
        let stored: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(ws.dir.path().join("terraform.tfstate")).expect("state"),
        )
        .expect("state JSON");
        let instance = &stored["resources"][0]["instances"][0];
        assert_eq!(
            instance["identity"],
            serde_json::json!({
                "instance_id": INSTANCE,
                "task_name": TASK,
                "project_id": PROJECT,
            }),
            "the identity is stored with the provider's project: {instance}"
        );
        let plan = ws.run(PLAN, &[]).await;
        assert_eq!(plan.status, Some(0), "plan not empty:\n{}", plan.all());
    }
}
