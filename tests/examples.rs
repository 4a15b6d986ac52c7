//! Every configuration in `examples/*/` runs as it is, with the real CLIs, against the
//! simulator: apply, a re-plan that must find nothing to change (`plan
//! -detailed-exitcode` exits 0), what else the example is for (`apply -invoke`,
//! `terraform query`), destroy. The test sets only what a user sets: the endpoint, token
//! and project in the environment, and the examples' `instance_id` variable
//! (`TF_VAR_instance_id`); the files are copied unedited.
//!
//! The folders are enumerated, so a new example cannot be forgotten: one without an entry
//! in [`EXAMPLES`] fails the test until it says how it runs. Examples that need
//! Terraform 1.14 (actions, `terraform query`) run under Terraform 1.14+ only; the others
//! under every CLI available (see `common::cli`), each printing a SKIPPED line where no
//! CLI fits. (`examples/*.rs` are cargo examples, not configurations.)

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::cli::{self, Cli};
use common::workspace::{APPLY, DESTROY, PLAN, Run, Workspace};
use common::*;
use taurusdb_sim::SimHandle;

/// The CLIs an example can run under.
#[derive(Debug, Clone, Copy)]
enum Needs {
    /// Terraform and OpenTofu, any version here.
    AnyCli,
    /// Terraform 1.14 or newer: actions, `terraform query`.
    Terraform114,
}

/// A task's stage after a step: (task name on [`INSTANCE`], stage).
type Stages = &'static [(&'static str, &'static str)];

/// What an example does beyond apply and re-plan, before it is destroyed.
#[derive(Debug, Clone, Copy)]
enum Extra {
    /// `apply -invoke=<action>`; then the tasks read `then`.
    Invoke { action: &'static str, then: Stages },
    /// `terraform query`, whose output holds each of `lists`.
    Query { lists: &'static [&'static str] },
}

/// How one folder of `examples/` runs, and what a user would see it do.
struct Example {
    name: &'static str,
    needs: Needs,
    after_apply: Stages,
    /// Whether the example only reads (no POST reaches the API in any step).
    reads_only: bool,
    extra: &'static [Extra],
    after_destroy: Stages,
}

const EXAMPLES: &[Example] = &[
    Example {
        name: "basic",
        needs: Needs::AnyCli,
        after_apply: &[("orders_sync", "Paused")],
        reads_only: false,
        extra: &[],
        // Destroy only forgets the pause.
        after_destroy: &[("orders_sync", "Paused")],
    },
    Example {
        name: "lifecycle",
        needs: Needs::AnyCli,
        after_apply: &[("orders_sync", "Paused")],
        reads_only: false,
        extra: &[],
        // resume_on_destroy = true.
        after_destroy: &[("orders_sync", "Incremental")],
    },
    Example {
        name: "provider",
        needs: Needs::AnyCli,
        after_apply: &[("orders_sync", "Incremental")],
        reads_only: true,
        extra: &[],
        after_destroy: &[("orders_sync", "Incremental")],
    },
    Example {
        name: "tasks",
        needs: Needs::AnyCli,
        after_apply: &[
            ("orders_sync", "Paused"),
            ("users_sync", "Paused"),
            ("payments_sync", "Paused"),
        ],
        reads_only: false,
        extra: &[],
        after_destroy: &[("orders_sync", "Paused")],
    },
    Example {
        name: "actions",
        needs: Needs::Terraform114,
        // The action_trigger paused the task before the migration ran.
        after_apply: &[("orders_sync", "Paused")],
        reads_only: false,
        extra: &[
            Extra::Invoke {
                action: "action.taurusdb_replication_resume.after_migration",
                then: &[("orders_sync", "Incremental")],
            },
            Extra::Invoke {
                action: "action.taurusdb_replication_pause.before_migration",
                then: &[("orders_sync", "Paused")],
            },
        ],
        after_destroy: &[("orders_sync", "Paused")],
    },
    Example {
        name: "query",
        needs: Needs::Terraform114,
        after_apply: &[("orders_sync", "Incremental")],
        reads_only: true,
        extra: &[Extra::Query {
            lists: &[
                "list.taurusdb_replication_pause.all",
                "orders_sync (Incremental)",
                "users_sync (Incremental)",
                "payments_sync (Incremental)",
            ],
        }],
        after_destroy: &[("orders_sync", "Incremental")],
    },
];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The folders of `examples/`: each one is a configuration.
fn example_folders() -> BTreeSet<String> {
    std::fs::read_dir(examples_dir())
        .expect("examples/")
        .map(|entry| entry.expect("entry"))
        .filter(|entry| entry.file_type().expect("file type").is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_example_folder_says_how_it_runs() {
    let folders = example_folders();
    let listed: BTreeSet<String> = EXAMPLES.iter().map(|e| e.name.to_string()).collect();
    let unlisted: Vec<String> = folders
        .difference(&listed)
        .map(|name| format!("examples/{name}"))
        .collect();
    assert!(
        unlisted.is_empty(),
        "{} not in EXAMPLES of tests/examples.rs: add how each runs (which CLIs, what a \
         user sees it do)",
        unlisted.join(", ")
    );
    let gone: Vec<_> = listed.difference(&folders).collect();
    assert!(
        gone.is_empty(),
        "EXAMPLES names folders that are gone: {gone:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_applies_replans_clean_and_destroys() {
    for name in example_folders() {
        let Some(example) = EXAMPLES.iter().find(|e| e.name == name) else {
            panic!("examples/{name} is not in EXAMPLES of tests/examples.rs");
        };
        let clis = match example.needs {
            Needs::AnyCli => cli::matching(&format!("examples/{name}"), |_| true),
            Needs::Terraform114 => {
                cli::matching(&format!("examples/{name} (Terraform 1.14+)"), |c| {
                    c.is_terraform_at_least(1, 14)
                })
            }
        };
        for cli in clis {
            run_example(example, &cli).await;
        }
    }
}

/// One example under one CLI, each step checked against what the user would see.
async fn run_example(example: &Example, cli: &Cli) {
    let context = format!("examples/{} under {}", example.name, cli.label());
    eprintln!("-- {context}");
    let sim = start_sim().await;
    let mut ws = Workspace::new(cli.path.clone(), &sim);
    ws.set_env("TF_VAR_instance_id", Some(INSTANCE));
    copy_example(example.name, ws.dir.path());

    step(&ws, &context, APPLY).await;
    expect_stages(&sim, &context, "apply", example.after_apply);

    let replan = ws.run(PLAN, &[]).await;
    assert_eq!(
        replan.status,
        Some(0),
        "{context}: the plan after apply must find no changes (exit 0, not 2):\n{}",
        replan.all()
    );

    for extra in example.extra {
        match extra {
            Extra::Invoke { action, then } => {
                let invoke = format!("-invoke={action}");
                step(&ws, &context, &[APPLY, &[invoke.as_str()]].concat()).await;
                expect_stages(&sim, &context, &invoke, then);
            }
            Extra::Query { lists } => {
                let query = step(&ws, &context, &["query", "-no-color"]).await;
                for wanted in *lists {
                    assert!(
                        query.stdout.contains(wanted),
                        "{context}: `query` does not list {wanted:?}:\n{}",
                        query.all()
                    );
                }
            }
        }
    }

    step(&ws, &context, DESTROY).await;
    expect_stages(&sim, &context, "destroy", example.after_destroy);
    if example.reads_only {
        let posts: Vec<_> = sim
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(posts.is_empty(), "{context}: only reads, yet {posts:?}");
    }
}

/// Every file of `examples/<name>`, unedited, into the working directory.
fn copy_example(name: &str, into: &Path) {
    let folder = examples_dir().join(name);
    for entry in std::fs::read_dir(&folder).expect("example folder") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            let file = path.file_name().expect("file name");
            std::fs::copy(&path, into.join(file)).expect("copy example file");
        }
    }
}

/// Runs the CLI with `args`, which must succeed.
async fn step(ws: &Workspace, context: &str, args: &[&str]) -> Run {
    let run = ws.run(args, &[]).await;
    assert_eq!(
        run.status,
        Some(0),
        "{context}: `{}` failed:\n{}",
        args.join(" "),
        run.all()
    );
    run
}

fn expect_stages(sim: &SimHandle, context: &str, after: &str, stages: Stages) {
    for (task, stage) in stages {
        assert_eq!(
            sim.task_stage(PROJECT, INSTANCE, task).as_deref(),
            Some(*stage),
            "{context}: {task} after {after}"
        );
    }
}
