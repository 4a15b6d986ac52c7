//! The replication actions through tonic clients, the simulator behind: both listed in
//! GetMetadata and GetProviderSchema; validation at the attribute; a plan that calls
//! nothing but says what is missing; the invoke stream (progress as it happens, exactly
//! one Completed, last), its failure and "may or may not have happened" paths; and
//! cancellation by StopProvider and by a client that drops the stream.

use crate::common;

use common::process::{self, HANG_GUARD};
use common::*;
use taurusdb_api::job::JobKind;
use taurusdb_provider::taurusdb::action::model::{self, PAUSE_TYPE_NAME, RESUME_TYPE_NAME};
use taurusdb_sim::{Fault, FaultKind, JobOutcome, JobPlan};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tfplugin::tf::types::Type;
use tfplugin::tf::value::Value;
use tonic::transport::Channel;

const UNKNOWN_INSTANCE: &str = "0000000000000000000000000000000in07";

fn action_type() -> Type {
    // Both actions share one configuration shape.
    model::schema(JobKind::Pause).value_type().clone()
}

/// An action configuration for the seeded task, with `extra` set and the rest null.
fn action_config(extra: &[(&str, Value)]) -> Value {
    let Type::Object(fields) = action_type() else {
        panic!("object type expected")
    };
    let mut values: std::collections::BTreeMap<String, Value> =
        fields.keys().map(|k| (k.clone(), Value::Null)).collect();
    values.insert("instance_id".into(), Value::string(INSTANCE));
    values.insert("task_name".into(), Value::string(TASK));
    for (k, v) in extra {
        assert!(values.contains_key(*k), "no attribute {k}");
        values.insert(k.to_string(), v.clone());
    }
    Value::Object(values)
}

async fn validate(
    client: &mut ProviderClient<Channel>,
    type_name: &str,
    config: &Value,
) -> Vec<pb::Diagnostic> {
    client
        .validate_action_config(pb::validate_action_config::Request {
            type_name: type_name.into(),
            config: Some(dv(config, &action_type())),
        })
        .await
        .expect("rpc")
        .into_inner()
        .diagnostics
}

async fn plan_action(
    client: &mut ProviderClient<Channel>,
    type_name: &str,
    config: &Value,
) -> Vec<pb::Diagnostic> {
    client
        .plan_action(pb::plan_action::Request {
            action_type: type_name.into(),
            config: Some(dv(config, &action_type())),
            client_capabilities: None,
        })
        .await
        .expect("rpc")
        .into_inner()
        .diagnostics
}

async fn start_invoke(
    client: &mut ProviderClient<Channel>,
    type_name: &str,
    config: &Value,
) -> tonic::Streaming<pb::invoke_action::Event> {
    client
        .invoke_action(pb::invoke_action::Request {
            action_type: type_name.into(),
            config: Some(dv(config, &action_type())),
            client_capabilities: None,
        })
        .await
        .expect("rpc")
        .into_inner()
}

/// What a client sees on the stream.
#[derive(Debug, Clone)]
enum Seen {
    Progress(String),
    Completed(Vec<pb::Diagnostic>),
}

fn seen(event: pb::invoke_action::Event) -> Seen {
    use pb::invoke_action::event::Type as E;
    match event.r#type.expect("an event has a type") {
        E::Progress(p) => Seen::Progress(p.message),
        E::Completed(c) => Seen::Completed(c.diagnostics),
    }
}

/// The next event, within the hang guard.
async fn next(stream: &mut tonic::Streaming<pb::invoke_action::Event>) -> Option<Seen> {
    tokio::time::timeout(HANG_GUARD, stream.message())
        .await
        .expect("the stream moves on")
        .expect("no stream error")
        .map(seen)
}

/// Every event up to the stream's end.
async fn read_to_end(stream: &mut tonic::Streaming<pb::invoke_action::Event>) -> Vec<Seen> {
    let mut events = Vec::new();
    while let Some(event) = next(stream).await {
        events.push(event);
    }
    events
}

/// Invokes and reads the whole stream: the progress lines and the diagnostics of the
/// one Completed, which must be the last event.
async fn invoke(
    client: &mut ProviderClient<Channel>,
    type_name: &str,
    config: &Value,
) -> (Vec<String>, Vec<pb::Diagnostic>) {
    let mut stream = start_invoke(client, type_name, config).await;
    split(read_to_end(&mut stream).await)
}

/// Progress lines and the diagnostics of exactly one Completed, last.
fn split(events: Vec<Seen>) -> (Vec<String>, Vec<pb::Diagnostic>) {
    let completed = events
        .iter()
        .filter(|e| matches!(e, Seen::Completed(_)))
        .count();
    assert_eq!(completed, 1, "exactly one Completed: {events:?}");
    let Some(Seen::Completed(diagnostics)) = events.last().cloned() else {
        panic!("Completed is not last: {events:?}")
    };
    let lines = events
        .into_iter()
        .filter_map(|e| match e {
            Seen::Progress(line) => Some(line),
            Seen::Completed(_) => None,
        })
        .collect();
    (lines, diagnostics)
}

fn warnings(diags: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    diags.iter().filter(|d| d.severity == 2).collect()
}

fn job_plan(outcome: JobOutcome, running_polls: u32) -> JobPlan {
    JobPlan {
        hidden_polls: 0,
        running_polls,
        outcome,
        duration: None,
    }
}

fn only_job(sim: &taurusdb_sim::SimHandle) -> String {
    let jobs = sim.jobs();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs[0].id.clone()
}

#[tokio::test]
async fn both_actions_are_listed_in_metadata_and_schema() {
    let mut p = start_provider(&[]).await;
    let metadata = p
        .client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("rpc")
        .into_inner();
    let mut names: Vec<_> = metadata
        .actions
        .iter()
        .map(|a| a.type_name.clone())
        .collect();
    names.sort();
    assert_eq!(names, [PAUSE_TYPE_NAME, RESUME_TYPE_NAME]);
    let schema = p
        .client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("rpc")
        .into_inner();
    for name in [PAUSE_TYPE_NAME, RESUME_TYPE_NAME] {
        let block = schema.action_schemas[name]
            .schema
            .as_ref()
            .and_then(|s| s.block.as_ref())
            .expect("a schema block");
        let attr = |n: &str| {
            block
                .attributes
                .iter()
                .find(|a| a.name == n)
                .unwrap_or_else(|| panic!("{name} has {n}"))
        };
        assert!(attr("instance_id").required && attr("task_name").required);
        for optional in ["project_id", "wait_for_completion", "timeout"] {
            assert!(attr(optional).optional, "{name}.{optional}");
        }
        assert!(
            block.attributes.iter().all(|a| !a.computed),
            "an action's configuration has nothing computed"
        );
    }
    // The resource is still there, unchanged.
    assert!(schema.resource_schemas.contains_key(RESOURCE_TYPE));
}

#[tokio::test]
async fn validation_points_at_the_attribute_and_unknowns_pass() {
    let mut p = start_provider(&[]).await;
    for type_name in [PAUSE_TYPE_NAME, RESUME_TYPE_NAME] {
        let diags = validate(
            &mut p.client,
            type_name,
            &action_config(&[
                ("task_name", Value::string("bad-name!")),
                ("timeout", Value::string("half an hour")),
                ("project_id", Value::string("a/b")),
            ]),
        )
        .await;
        let found: Vec<(String, Vec<String>)> = errors(&diags)
            .iter()
            .map(|d| (d.summary.clone(), path_of(d)))
            .collect();
        let expected = [
            ("Invalid task_name", "task_name"),
            ("Invalid project_id", "project_id"),
            ("Invalid timeout", "timeout"),
        ]
        .map(|(s, p)| (s.to_string(), vec![p.to_string()]));
        assert_eq!(found, expected, "{diags:?}");
        let later = action_config(&[
            ("instance_id", Value::Unknown),
            ("task_name", Value::Unknown),
            ("timeout", Value::Unknown),
        ]);
        assert!(validate(&mut p.client, type_name, &later).await.is_empty());
        assert!(
            validate(&mut p.client, type_name, &action_config(&[]))
                .await
                .is_empty()
        );
    }
    let unknown = validate(&mut p.client, "taurusdb_nothing", &action_config(&[])).await;
    assert_eq!(errors(&unknown)[0].summary, "Unknown action");
    let (lines, diags) = invoke(&mut p.client, "taurusdb_nothing", &action_config(&[])).await;
    assert!(lines.is_empty());
    assert_eq!(errors(&diags)[0].summary, "Unknown action");
}

#[tokio::test]
async fn a_zero_timeout_is_refused_before_any_request() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let zero = action_config(&[("timeout", Value::string("0s"))]);
    for type_name in [PAUSE_TYPE_NAME, RESUME_TYPE_NAME] {
        let diags = validate(&mut p.client, type_name, &zero).await;
        let found: Vec<(String, Vec<String>)> = errors(&diags)
            .iter()
            .map(|d| (d.summary.clone(), path_of(d)))
            .collect();
        assert_eq!(
            found,
            vec![("Invalid timeout".to_string(), vec!["timeout".to_string()])],
            "{diags:?}"
        );
        // Invoked anyway: the same error, not a pause that "may or may not have happened".
        let (lines, diags) = invoke(&mut p.client, type_name, &zero).await;
        assert!(lines.is_empty(), "{lines:?}");
        let errs = errors(&diags);
        assert_eq!(errs.len(), 1, "{diags:?}");
        assert_eq!(errs[0].summary, "Invalid timeout", "{diags:?}");
    }
    assert!(sim.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn plan_calls_no_api_and_says_what_is_missing() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    for type_name in [PAUSE_TYPE_NAME, RESUME_TYPE_NAME] {
        let diags = plan_action(&mut p.client, type_name, &action_config(&[])).await;
        assert!(diags.is_empty(), "{diags:?}");
        // Values not known until apply are fine at plan.
        let later = action_config(&[("instance_id", Value::Unknown)]);
        assert!(
            plan_action(&mut p.client, type_name, &later)
                .await
                .is_empty()
        );
        let bad = action_config(&[("task_name", Value::string("x"))]);
        let diags = plan_action(&mut p.client, type_name, &bad).await;
        assert_eq!(path_of(errors(&diags)[0]), ["task_name"]);
    }
    assert!(sim.requests().is_empty(), "plan called the API");

    // No credentials: said at plan, as for a create.
    let mut bare = start_provider(&[]).await;
    let diags = configure(
        &mut bare,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string(PROJECT)),
        ]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    let diags = plan_action(&mut bare.client, PAUSE_TYPE_NAME, &action_config(&[])).await;
    assert_eq!(
        errors(&diags)[0].summary,
        "Missing TaurusDB credentials",
        "{diags:?}"
    );

    // No project anywhere: at project_id.
    let mut no_project = start_provider(&[]).await;
    let diags = configure(
        &mut no_project,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("auth_token", Value::string(TOKEN)),
        ]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    let diags = plan_action(&mut no_project.client, PAUSE_TYPE_NAME, &action_config(&[])).await;
    assert_eq!(path_of(errors(&diags)[0]), ["project_id"], "{diags:?}");
    let own_project = action_config(&[("project_id", Value::string(PROJECT))]);
    assert!(
        plan_action(&mut no_project.client, PAUSE_TYPE_NAME, &own_project)
            .await
            .is_empty()
    );
    assert!(sim.requests().is_empty(), "plan called the API");
}

#[tokio::test]
async fn invoke_streams_progress_as_it_happens_then_one_completed() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Complete, 2));
    let mut p = configured_provider(&sim).await;
    let (lines, diags) = invoke(&mut p.client, PAUSE_TYPE_NAME, &action_config(&[])).await;
    assert!(diags.is_empty(), "{diags:?}");
    let job = only_job(&sim);
    assert_eq!(lines[0], format!("pause requested, job {job}"), "{lines:?}");
    // The job's status and progress, each change once, in order.
    let job_lines: Vec<&String> = lines.iter().filter(|l| l.starts_with("job ")).collect();
    assert_eq!(
        job_lines,
        ["Running 33%", "Running 66%", "Completed 100%"]
            .map(|s| format!("job {job} {s}"))
            .iter()
            .collect::<Vec<_>>(),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"task stage Incremental".to_string()),
        "{lines:?}"
    );
    assert_eq!(lines.last().map(String::as_str), Some("task stage Paused"));
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Paused")
    );
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
}

#[tokio::test]
async fn the_resume_action_resumes_a_paused_task() {
    let sim = start_sim().await;
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let mut p = configured_provider(&sim).await;
    let (lines, diags) = invoke(&mut p.client, RESUME_TYPE_NAME, &action_config(&[])).await;
    assert!(diags.is_empty(), "{diags:?}");
    let job = only_job(&sim);
    assert_eq!(lines[0], format!("resume requested, job {job}"));
    assert_eq!(
        lines.last().map(String::as_str),
        Some("task stage Incremental")
    );
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Incremental")
    );
    assert_eq!(sim.count("POST", "/replication/resume"), 1);
}

#[tokio::test]
async fn an_already_paused_task_completes_with_a_warning() {
    let sim = start_sim().await;
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let mut p = configured_provider(&sim).await;
    let (lines, diags) = invoke(&mut p.client, PAUSE_TYPE_NAME, &action_config(&[])).await;
    assert_eq!(lines, ["task already paused (stage Paused)"]);
    assert!(errors(&diags).is_empty(), "{diags:?}");
    assert!(warnings(&diags)[0].summary.contains("already paused"));
    assert!(sim.jobs().is_empty());
}

#[tokio::test]
async fn without_waiting_the_invoke_ends_once_the_job_started() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    let mut p = configured_provider(&sim).await;
    let config = action_config(&[("wait_for_completion", Value::Bool(false))]);
    let (lines, diags) = invoke(&mut p.client, PAUSE_TYPE_NAME, &config).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(lines, [format!("pause requested, job {}", only_job(&sim))]);
    assert_eq!(sim.requests().len(), 1, "only the pause");
}

#[tokio::test]
async fn an_unknown_instance_completes_with_the_api_error_at_instance_id() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let config = action_config(&[("instance_id", Value::string(UNKNOWN_INSTANCE))]);
    let (lines, diags) = invoke(&mut p.client, PAUSE_TYPE_NAME, &config).await;
    assert!(lines.is_empty(), "{lines:?}");
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert_eq!(path_of(errs[0]), ["instance_id"]);
    for part in ["HTTP 400", "DBS.200022", "Instance not found."] {
        assert!(errs[0].detail.contains(part), "{part}: {:?}", errs[0]);
    }
    assert!(sim.jobs().is_empty());
}

#[tokio::test]
async fn an_answer_lost_after_the_pause_completes_saying_it_may_or_may_not_have_happened() {
    let sim = start_sim().await;
    // The gateway answers 502 after the service paused the task.
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::gateway_error_after_handling(502),
    ));
    let mut p = configured_provider(&sim).await;
    let (lines, diags) = invoke(&mut p.client, PAUSE_TYPE_NAME, &action_config(&[])).await;
    assert!(lines.is_empty(), "no job ID was seen: {lines:?}");
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert!(
        errs[0].summary.contains("may or may not have happened"),
        "{:?}",
        errs[0]
    );
    assert!(errs[0].detail.contains("502"), "{:?}", errs[0]);
    assert!(
        errs[0].detail.contains("invoke the action again"),
        "{:?}",
        errs[0]
    );
    assert_eq!(sim.jobs().len(), 1, "the service did pause the task");
    assert_eq!(sim.count("POST", "/replication/pause"), 1, "not re-sent");
}

#[tokio::test]
async fn stop_provider_ends_the_invoke_with_a_completed_saying_so() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    let mut p = configured_provider(&sim).await;
    let mut stream = start_invoke(&mut p.client, PAUSE_TYPE_NAME, &action_config(&[])).await;
    let Some(Seen::Progress(first)) = next(&mut stream).await else {
        panic!("a progress event first")
    };
    let job = only_job(&sim);
    assert_eq!(first, format!("pause requested, job {job}"));
    p.client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("stop");
    let (_, diags) = split(read_to_end(&mut stream).await);
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert!(errs[0].summary.contains("Stopped waiting"), "{:?}", errs[0]);
    assert!(
        errs[0].detail.contains(&job),
        "the job ID is kept: {:?}",
        errs[0]
    );
    assert!(errs[0].detail.contains("may or may not have happened"));
    assert_eq!(sim.count("POST", "/replication/pause"), 1);

    // The provider serves the next invoke as usual.
    sim.set_job_plan(JobPlan::default());
    let resume = invoke(&mut p.client, RESUME_TYPE_NAME, &action_config(&[])).await;
    assert!(errors(&resume.1).is_empty(), "{:?}", resume.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_cancels_the_work() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    // The built binary, so its log shows how the invoke ended.
    let command = process::command(
        &["serve", "--listen", "127.0.0.1:0"],
        &[("TF_LOG_PROVIDER", "debug")],
    );
    let mut serve = process::spawn(command);
    let addr = serve.serving_addr();
    let mut client = tcp_client(&addr).await;
    let diags = configure_with(
        &mut client,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string(PROJECT)),
            ("auth_token", Value::string(TOKEN)),
        ]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    let mut stream = start_invoke(&mut client, PAUSE_TYPE_NAME, &action_config(&[])).await;
    let Some(Seen::Progress(first)) = next(&mut stream).await else {
        panic!("a progress event first")
    };
    assert!(first.starts_with("pause requested, job "), "{first}");
    // The client goes away (as Terraform does when interrupted twice).
    drop(stream);
    // The job never ends and the timeout is 30 minutes: only the cancellation can end
    // the invoke, and its log says how it ended.
    let ended = tokio::task::block_in_place(|| {
        serve.stderr_line_with("Stopped waiting for the pause of task")
    });
    assert!(ended.contains("\"tf_rpc\":\"InvokeAction\""), "{ended}");
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
}
