//! The resource's production behaviour through the gRPC service: waiting for the pause,
//! failed and timed-out jobs (state kept), cancellation, AK/SK credentials, triggers,
//! resume_on_destroy, timeouts validation and state upgrades.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use taurusdb_sim::{Fault, FaultKind, JobOutcome, JobPlan, SimHandle};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::tf::value::Value;

fn config(extra: &[(&str, Value)]) -> Value {
    let mut attrs = vec![
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
    ];
    attrs.extend(extra.iter().cloned());
    resource_value(&attrs)
}

fn timeouts(create: &str, delete: Option<&str>) -> (&'static str, Value) {
    (
        "timeouts",
        Value::object([
            ("create", Value::string(create)),
            ("delete", delete.map_or(Value::Null, Value::string)),
        ]),
    )
}

/// Plan then apply a create; returns the new state and the apply diagnostics.
async fn create(p: &mut TestProvider, config: &Value) -> (Value, Vec<pb::Diagnostic>) {
    let applied = plan_and_create(p, config).await;
    (
        undv(&applied.new_state, &resource_type()),
        applied.diagnostics,
    )
}

fn plan_of(outcome: JobOutcome, running_polls: u32) -> JobPlan {
    JobPlan {
        hidden_polls: 1,
        running_polls,
        outcome,
        duration: None,
    }
}

fn job_id_of(state: &Value) -> String {
    attr(state, "job_id")
        .as_str()
        .expect("job_id known")
        .to_string()
}

#[tokio::test]
async fn create_waits_for_the_job_and_the_paused_stage() {
    let sim = start_sim().await;
    sim.set_job_plan(plan_of(JobOutcome::Complete, 2));
    let mut p = configured_provider(&sim).await;
    let (state, diags) = create(&mut p, &config(&[])).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(attr(&state, "stage"), &Value::string("Paused"));
    assert_eq!(attr(&state, "wait_for_completion"), &Value::Bool(true));
    assert_eq!(attr(&state, "resume_on_destroy"), &Value::Bool(false));
    assert_eq!(
        sim.count("GET", "/jobs"),
        4,
        "not found, running x2, completed"
    );
    assert!(
        sim.count("GET", "/replication") >= 1,
        "stage confirmed from the list"
    );
}

#[tokio::test]
async fn a_failed_job_is_reported_with_its_reason_and_the_job_id_is_kept() {
    let sim = start_sim().await;
    sim.set_job_plan(plan_of(JobOutcome::Fail("DRS channel is broken".into()), 1));
    let mut p = configured_provider(&sim).await;
    let (state, diags) = create(&mut p, &config(&[])).await;
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert!(
        errs[0].detail.contains("DRS channel is broken"),
        "{:?}",
        errs[0]
    );
    let job_id = job_id_of(&state);
    assert!(errs[0].detail.contains(&job_id));
    assert_eq!(sim.job(&job_id).expect("job").status, "Failed");
}

#[tokio::test]
async fn a_timeout_returns_the_state_with_the_job_id_and_an_error() {
    let sim = start_sim().await;
    sim.set_job_plan(plan_of(JobOutcome::Never, 0));
    let mut p = configured_provider(&sim).await;
    let (state, diags) = create(&mut p, &config(&[timeouts("300ms", None)])).await;
    let errs = errors(&diags);
    assert!(errs[0].summary.contains("Timed out"), "{:?}", errs[0]);
    assert!(errs[0].detail.contains("timeouts.create"));
    let job_id = job_id_of(&state);
    assert!(sim.job(&job_id).is_some());
    assert_eq!(
        attr(&state, "id"),
        &Value::string(format!("{INSTANCE}/{TASK}"))
    );
}

#[tokio::test]
async fn stop_provider_ends_the_wait_and_keeps_the_job_id() {
    let sim = start_sim().await;
    sim.set_job_plan(plan_of(JobOutcome::Never, 0));
    let mut p = configured_provider(&sim).await;
    let cfg = config(&[]);
    let planned = undv(
        &plan(&mut p, &Value::Null, &cfg).await.planned_state,
        &resource_type(),
    );
    let in_flight = spawn_create_apply(&p, planned, cfg.clone());
    // The pause, then at least two job polls: the provider is waiting.
    sim.wait_for_requests(3).await;
    p.client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("stop");
    let response = in_flight.await.expect("task");
    let errs = errors(&response.diagnostics);
    assert!(errs[0].summary.contains("Stopped waiting"), "{:?}", errs[0]);
    let state = undv(&response.new_state, &resource_type());
    assert!(
        sim.job(&job_id_of(&state)).is_some(),
        "the job ID survives the cancellation"
    );
}

#[tokio::test]
async fn without_waiting_only_the_pause_is_called() {
    let sim = start_sim().await;
    sim.set_job_plan(plan_of(JobOutcome::Never, 0));
    let mut p = configured_provider(&sim).await;
    let (state, diags) = create(
        &mut p,
        &config(&[("wait_for_completion", Value::Bool(false))]),
    )
    .await;
    assert!(diags.is_empty(), "{diags:?}");
    assert!(!job_id_of(&state).is_empty());
    assert_eq!(attr(&state, "stage"), &Value::Null);
    assert_eq!(sim.requests().len(), 1);
}

#[tokio::test]
async fn aksk_credentials_sign_every_call() {
    let sim = start_sim().await;
    let mut p =
        start_provider(&[("HW_ACCESS_KEY", ACCESS_KEY), ("HW_SECRET_KEY", SECRET_KEY)]).await;
    let diags = configure(
        &mut p,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string(PROJECT)),
        ]),
    )
    .await;
    assert!(diags.is_empty(), "{diags:?}");
    let (_, diags) = create(&mut p, &config(&[])).await;
    assert!(diags.is_empty(), "{diags:?}");
    for request in sim.requests() {
        assert!(
            request
                .header("authorization")
                .is_some_and(|a| a.starts_with("SDK-HMAC-SHA256"))
        );
        assert_eq!(request.status, 200, "{} {}", request.method, request.path);
    }
}

#[tokio::test]
async fn half_given_or_rejected_credentials_are_clear() {
    let sim = start_sim().await;
    let mut p = start_provider(&[("HW_ACCESS_KEY", ACCESS_KEY)]).await;
    let diags = configure(
        &mut p,
        provider_config(&[("endpoint", Value::string(sim.endpoint()))]),
    )
    .await;
    let err = errors(&diags)[0];
    assert!(
        err.detail.contains("secret_key") && err.detail.contains("HW_SECRET_KEY"),
        "{err:?}"
    );

    let mut p = start_provider(&[
        ("HW_ACCESS_KEY", ACCESS_KEY),
        ("HW_SECRET_KEY", "wrong-secret"),
    ])
    .await;
    let diags = configure(
        &mut p,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string(PROJECT)),
        ]),
    )
    .await;
    assert!(diags.is_empty());
    let (_, diags) = create(&mut p, &config(&[])).await;
    let err = errors(&diags)[0];
    assert!(
        err.detail.contains("HTTP 401") && err.detail.contains("APIGW.0301"),
        "{err:?}"
    );
    assert!(err.detail.contains("HW_ACCESS_KEY"));
    assert!(!err.detail.contains("wrong-secret"));
}

#[tokio::test]
async fn changing_triggers_pauses_again_in_place_without_resuming() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let triggers = |v: &str| {
        (
            "triggers",
            Value::Map(BTreeMap::from([("release".to_string(), Value::string(v))])),
        )
    };
    let first = config(&[triggers("v1"), ("resume_on_destroy", Value::Bool(true))]);
    let (state, diags) = create(&mut p, &first).await;
    assert!(diags.is_empty(), "{diags:?}");

    let second = config(&[triggers("v2"), ("resume_on_destroy", Value::Bool(true))]);
    let replan = plan(&mut p, &state, &second).await;
    assert!(
        replan.requires_replace.is_empty(),
        "same task: no replacement"
    );
    let planned = undv(&replan.planned_state, &resource_type());
    assert_eq!(attr(&planned, "job_id"), &Value::Unknown);
    assert_eq!(attr(&planned, "id"), attr(&state, "id"));
    let applied = apply(&mut p, &state, &planned, &second).await;
    // The task is still paused, so the service refuses the second pause; the task reads
    // Paused, which is what was asked for: a warning, no new job.
    assert!(
        errors(&applied.diagnostics).is_empty(),
        "{:?}",
        applied.diagnostics
    );
    assert!(
        applied.diagnostics[0].summary.contains("already paused"),
        "{:?}",
        applied.diagnostics
    );
    let updated = undv(&applied.new_state, &resource_type());
    assert_eq!(attr(&updated, "job_id"), &Value::Null);
    assert_eq!(attr(&updated, "stage"), &Value::string("Paused"));
    assert_eq!(attr(&updated, "triggers"), attr(&planned, "triggers"));
    assert_eq!(sim.count("POST", "/replication/pause"), 2);
    assert_eq!(
        sim.count("POST", "/replication/resume"),
        0,
        "resume_on_destroy must not resume between two pauses"
    );
}

#[tokio::test]
async fn changing_only_flags_updates_in_place_without_api_calls() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let (state, _) = create(&mut p, &config(&[])).await;
    let flags = config(&[("resume_on_destroy", Value::Bool(true))]);
    let update = plan(&mut p, &state, &flags).await;
    assert!(update.requires_replace.is_empty());
    let planned = undv(&update.planned_state, &resource_type());
    assert_eq!(attr(&planned, "resume_on_destroy"), &Value::Bool(true));
    assert_eq!(attr(&planned, "job_id"), attr(&state, "job_id"));
    let applied = apply(&mut p, &state, &planned, &flags).await;
    assert_eq!(undv(&applied.new_state, &resource_type()), planned);
    assert_eq!(
        sim.count("POST", "/replication/pause"),
        1,
        "no new pause for a flag"
    );
}

#[tokio::test]
async fn a_failed_re_pause_keeps_the_change_pending() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let (state, _) = create(&mut p, &config(&[])).await;
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Incremental");
    let mut drifted = state.clone();
    if let Value::Object(attrs) = &mut drifted {
        attrs.insert("stage".into(), Value::string("Incremental"));
    }
    sim.set_job_plan(plan_of(JobOutcome::Fail("DRS channel is broken".into()), 0));
    let replan = plan(&mut p, &drifted, &config(&[])).await;
    let planned = undv(&replan.planned_state, &resource_type());
    let applied = apply(&mut p, &drifted, &planned, &config(&[])).await;
    assert!(
        errors(&applied.diagnostics)[0]
            .detail
            .contains("DRS channel is broken")
    );
    let kept = undv(&applied.new_state, &resource_type());
    assert_eq!(
        attr(&kept, "stage"),
        &Value::string("Incremental"),
        "still drifted"
    );
    assert_ne!(
        attr(&kept, "job_id"),
        attr(&state, "job_id"),
        "the new job is recorded"
    );
    let again = plan(&mut p, &kept, &config(&[])).await;
    let again = undv(&again.planned_state, &resource_type());
    assert_eq!(
        attr(&again, "job_id"),
        &Value::Unknown,
        "the next apply pauses again"
    );
}

async fn destroy(p: &mut TestProvider, state: &Value) -> pb::apply_resource_change::Response {
    apply(p, state, &Value::Null, &Value::Null).await
}

#[tokio::test]
async fn resume_on_destroy_resumes_and_waits() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let (state, _) = create(&mut p, &config(&[("resume_on_destroy", Value::Bool(true))])).await;
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Paused")
    );
    sim.set_job_plan(plan_of(JobOutcome::Complete, 1));
    let response = destroy(&mut p, &state).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(undv(&response.new_state, &resource_type()), Value::Null);
    assert_eq!(sim.count("POST", "/replication/resume"), 1);
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Incremental")
    );
}

#[tokio::test]
async fn a_failed_resume_keeps_the_resource() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let (state, _) = create(&mut p, &config(&[("resume_on_destroy", Value::Bool(true))])).await;
    sim.set_job_plan(plan_of(JobOutcome::Fail("instance is frozen".into()), 0));
    let response = destroy(&mut p, &state).await;
    assert!(
        errors(&response.diagnostics)[0]
            .detail
            .contains("instance is frozen")
    );
    assert_eq!(
        undv(&response.new_state, &resource_type()),
        state,
        "still in state"
    );
}

#[tokio::test]
async fn destroy_of_a_vanished_task_with_resume_warns_and_forgets() {
    let sim: SimHandle = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let (state, _) = create(&mut p, &config(&[("resume_on_destroy", Value::Bool(true))])).await;
    sim.remove_task(PROJECT, INSTANCE, TASK);
    let response = destroy(&mut p, &state).await;
    assert!(
        errors(&response.diagnostics).is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(response.diagnostics[0].severity, 2);
    assert_eq!(undv(&response.new_state, &resource_type()), Value::Null);
}

#[tokio::test]
async fn invalid_timeouts_fail_validation_at_the_attribute() {
    let mut p = start_provider(&[]).await;
    let diags = p
        .client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: RESOURCE_TYPE.into(),
            config: Some(dv(
                &config(&[timeouts("30 minutes", Some("1h"))]),
                &resource_type(),
            )),
            client_capabilities: None,
        })
        .await
        .expect("rpc")
        .into_inner()
        .diagnostics;
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert_eq!(
        path_of(errs[0]),
        vec!["timeouts".to_string(), "create".to_string()]
    );
    // No time at all is refused too, for create and delete.
    let diags = p
        .client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: RESOURCE_TYPE.into(),
            config: Some(dv(&config(&[timeouts("0", Some("0s"))]), &resource_type())),
            client_capabilities: None,
        })
        .await
        .expect("rpc")
        .into_inner()
        .diagnostics;
    let paths: Vec<Vec<String>> = errors(&diags).iter().map(|d| path_of(d)).collect();
    assert_eq!(
        paths,
        [["timeouts", "create"], ["timeouts", "delete"]].map(|p| p.map(String::from).to_vec()),
        "{diags:?}"
    );
}

#[tokio::test]
async fn version_0_state_gains_the_new_defaults() {
    let mut p = start_provider(&[]).await;
    let old = serde_json::json!({
        "id": format!("{INSTANCE}/{TASK}"),
        "instance_id": INSTANCE,
        "task_name": TASK,
        "project_id": PROJECT,
        "job_id": "job-0"
    });
    let response = upgrade(&mut p, 0, &old).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = undv(&response.upgraded_state, &resource_type());
    assert_eq!(attr(&state, "job_id"), &Value::string("job-0"));
    assert_eq!(attr(&state, "wait_for_completion"), &Value::Bool(true));
    assert_eq!(attr(&state, "resume_on_destroy"), &Value::Bool(false));
    assert_eq!(attr(&state, "stage"), &Value::Null);
}

#[tokio::test]
async fn triggers_unknown_at_plan_are_carried_and_pause_again() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let known = (
        "triggers",
        Value::Map(BTreeMap::from([(
            "release".to_string(),
            Value::string("v1"),
        )])),
    );
    let (state, diags) = create(&mut p, &config(&[known])).await;
    assert!(diags.is_empty(), "{diags:?}");

    // The new release comes from another resource: unknown until apply.
    let partly_unknown = Value::Map(BTreeMap::from([
        ("release".to_string(), Value::Unknown),
        ("team".to_string(), Value::string("data")),
    ]));
    let response = plan(
        &mut p,
        &state,
        &config(&[("triggers", partly_unknown.clone())]),
    )
    .await;
    assert!(
        errors(&response.diagnostics).is_empty(),
        "{:?}",
        response.diagnostics
    );
    let planned = undv(&response.planned_state, &resource_type());
    assert_eq!(
        attr(&planned, "triggers"),
        &partly_unknown,
        "the plan keeps the config"
    );
    assert!(response.requires_replace.is_empty());
    assert_eq!(attr(&planned, "job_id"), &Value::Unknown, "pauses again");
}

#[tokio::test]
async fn a_pause_whose_answer_was_lost_is_recorded_without_a_job_id() {
    let sim = start_sim().await;
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::DropAfterHandling,
    ));
    let mut p = configured_provider(&sim).await;
    let (state, diags) = create(&mut p, &config(&[])).await;
    let err = errors(&diags)[0];
    assert!(
        err.summary.contains("may or may not have happened"),
        "{err:?}"
    );
    assert_eq!(attr(&state, "job_id"), &Value::Null);
    assert_eq!(
        attr(&state, "id"),
        &Value::string(format!("{INSTANCE}/{TASK}"))
    );
    assert_eq!(sim.count("POST", "/replication/pause"), 1, "not re-sent");
}

#[tokio::test]
async fn timeouts_delete_bounds_a_throttled_resume() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let cfg = config(&[
        ("resume_on_destroy", Value::Bool(true)),
        timeouts("30m", Some("300ms")),
    ]);
    let (state, _) = create(&mut p, &cfg).await;
    // The gateway asks for a minute's patience; the delete timeout is shorter.
    sim.inject(Fault::on(
        "POST",
        "/replication/resume",
        FaultKind::Throttle {
            retry_after: Some(60),
        },
    ));
    let response = destroy(&mut p, &state).await;
    let err = errors(&response.diagnostics)[0];
    assert!(
        err.summary.contains("Timed out before the resume"),
        "{err:?}"
    );
    assert!(err.detail.contains("timeouts.delete"), "{err:?}");
    assert_eq!(undv(&response.new_state, &resource_type()), state, "kept");
    assert_eq!(sim.count("POST", "/replication/resume"), 1);
}

#[tokio::test]
async fn current_version_state_is_read_as_is() {
    let mut p = start_provider(&[]).await;
    let stored = serde_json::json!({
        "id": format!("{INSTANCE}/{TASK}"),
        "instance_id": INSTANCE,
        "task_name": TASK,
        "project_id": PROJECT,
        "job_id": "job-1",
        "stage": "Paused",
        "triggers": {"release": "v1"},
        "wait_for_completion": false,
        "resume_on_destroy": true,
        "timeouts": {"create": "5m", "delete": null}
    });
    let response = upgrade(&mut p, 1, &stored).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = undv(&response.upgraded_state, &resource_type());
    assert_eq!(attr(&state, "wait_for_completion"), &Value::Bool(false));
    assert_eq!(attr(&state, "resume_on_destroy"), &Value::Bool(true));
    assert_eq!(
        attr(attr(&state, "timeouts"), "create"),
        &Value::string("5m")
    );
    assert_eq!(
        attr(&state, "triggers"),
        &Value::Map(BTreeMap::from([(
            "release".to_string(),
            Value::string("v1")
        )]))
    );
}

fn warnings(diags: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    diags.iter().filter(|d| d.severity == 2).collect()
}

#[tokio::test]
async fn a_gateway_timeout_after_the_pause_records_the_resource_without_a_job_id() {
    let sim = start_sim().await;
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::gateway_error_after_handling(504),
    ));
    let mut p = configured_provider(&sim).await;
    let (state, diags) = create(&mut p, &config(&[])).await;
    let err = errors(&diags)[0];
    assert!(
        err.summary.contains("may or may not have happened"),
        "{err:?}"
    );
    assert!(err.detail.contains("504"), "{err:?}");
    assert_ne!(state, Value::Null, "the resource is recorded (tainted)");
    assert_eq!(attr(&state, "job_id"), &Value::Null);
    assert_eq!(
        attr(&state, "id"),
        &Value::string(format!("{INSTANCE}/{TASK}"))
    );
    assert_eq!(sim.jobs().len(), 1, "the service did pause the task");
    assert_eq!(sim.count("POST", "/replication/pause"), 1, "not re-sent");
}

#[tokio::test]
async fn after_an_uncertain_pause_the_next_apply_ends_well_on_the_paused_task() {
    let sim = start_sim().await;
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::gateway_error_after_handling(502),
    ));
    let mut p = configured_provider(&sim).await;
    let (tainted, diags) = create(&mut p, &config(&[])).await;
    assert!(
        errors(&diags)[0].summary.contains("may or may not"),
        "{diags:?}"
    );
    // Terraform replaces a tainted resource: destroy (state only, by default), then create.
    let destroyed = destroy(&mut p, &tainted).await;
    assert!(errors(&destroyed.diagnostics).is_empty());
    let (state, diags) = create(&mut p, &config(&[])).await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    let warned = warnings(&diags);
    assert_eq!(warned.len(), 1, "{diags:?}");
    assert!(
        warned[0].summary.contains("already paused"),
        "{:?}",
        warned[0]
    );
    assert!(warned[0].detail.contains("SIM.270101"), "{:?}", warned[0]);
    assert_eq!(attr(&state, "stage"), &Value::string("Paused"));
    assert_eq!(attr(&state, "job_id"), &Value::Null, "no job was started");
    assert_eq!(sim.count("POST", "/replication/pause"), 2);
    assert_eq!(sim.jobs().len(), 1, "the refused pause started nothing");
}

#[tokio::test]
async fn a_pause_refused_because_the_task_is_already_paused_ends_well() {
    let sim = start_sim().await;
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let mut p = configured_provider(&sim).await;
    let (state, diags) = create(
        &mut p,
        &config(&[("wait_for_completion", Value::Bool(false))]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    assert!(
        warnings(&diags)[0].summary.contains("already paused"),
        "{diags:?}"
    );
    assert_eq!(attr(&state, "stage"), &Value::string("Paused"));
    assert_eq!(attr(&state, "job_id"), &Value::Null);
    assert!(sim.jobs().is_empty());
}

#[tokio::test]
async fn a_refusal_while_the_task_is_not_paused_stays_an_error() {
    let sim = start_sim().await;
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::api_error(400, "DBS.200001", "Invalid parameter."),
    ));
    let mut p = configured_provider(&sim).await;
    let (state, diags) = create(&mut p, &config(&[])).await;
    let err = errors(&diags)[0];
    assert!(err.detail.contains("DBS.200001"), "{err:?}");
    assert_eq!(state, Value::Null, "nothing happened, nothing recorded");
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Incremental")
    );
}

#[tokio::test]
async fn resume_on_destroy_of_a_task_resumed_elsewhere_ends_well_with_a_warning() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let (state, _) = create(&mut p, &config(&[("resume_on_destroy", Value::Bool(true))])).await;
    // Someone resumed it outside Terraform; the service refuses another resume.
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Incremental");
    let response = destroy(&mut p, &state).await;
    assert!(
        errors(&response.diagnostics).is_empty(),
        "{:?}",
        response.diagnostics
    );
    let warned = warnings(&response.diagnostics);
    assert_eq!(warned.len(), 1, "{:?}", response.diagnostics);
    assert!(warned[0].summary.contains("not paused"), "{:?}", warned[0]);
    assert_eq!(undv(&response.new_state, &resource_type()), Value::Null);
    assert_eq!(sim.count("POST", "/replication/resume"), 1);
    assert_eq!(sim.jobs().len(), 1, "only the pause's job");
}

#[tokio::test]
async fn a_gateway_error_after_the_resume_keeps_the_resource_saying_it_may_have_happened() {
    let sim = start_sim().await;
    let mut p = configured_provider(&sim).await;
    let (state, _) = create(&mut p, &config(&[("resume_on_destroy", Value::Bool(true))])).await;
    sim.inject(Fault::on(
        "POST",
        "/replication/resume",
        FaultKind::gateway_error_after_handling(504),
    ));
    let response = destroy(&mut p, &state).await;
    let err = errors(&response.diagnostics)[0];
    assert!(
        err.summary.contains("may or may not have happened"),
        "{err:?}"
    );
    assert_eq!(undv(&response.new_state, &resource_type()), state, "kept");
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Incremental"),
        "the service did resume"
    );
    assert_eq!(sim.count("POST", "/replication/resume"), 1, "not re-sent");
}

#[tokio::test]
async fn a_redirected_pause_is_recorded_as_uncertain_and_nothing_reaches_the_target() {
    let sim = start_sim().await;
    let target = start_sim().await;
    let location = format!("{}/collect", target.endpoint());
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::redirect(location.clone()),
    ));
    let mut p = configured_provider(&sim).await;
    let (state, diags) = create(&mut p, &config(&[])).await;
    let err = errors(&diags)[0];
    assert!(
        err.summary.contains("may or may not have happened"),
        "{err:?}"
    );
    assert!(
        err.detail.contains(&location),
        "names the Location: {err:?}"
    );
    assert_ne!(state, Value::Null);
    assert_eq!(attr(&state, "job_id"), &Value::Null);
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
    assert_eq!(
        target.connections(),
        0,
        "nothing reached the redirect target"
    );
}

mod one_job_per_task {
    //! Within one provider process, resources and actions that pause the same task at
    //! the same time share one job. Each test uses a task of its own.

    use super::*;
    use taurusdb_api::TaskRef;
    use taurusdb_api::job::flight::until_callers;

    /// Until the calls for `task` under way satisfy `enough`; a minute at most, so a
    /// broken fix fails instead of hanging.
    async fn callers(task: &TaskRef, enough: impl Fn(usize) -> bool) {
        tokio::time::timeout(
            std::time::Duration::from_secs(60),
            until_callers(task, enough),
        )
        .await
        .expect("the calls arrive");
    }

    fn config_for(name: &str) -> Value {
        resource_value(&[
            ("instance_id", Value::string(INSTANCE)),
            ("task_name", Value::string(name)),
        ])
    }

    #[tokio::test]
    async fn two_resources_pausing_one_task_in_one_apply_send_one_post() {
        const NAME: &str = "joined_resources";
        let sim = start_sim().await;
        sim.add_task(PROJECT, INSTANCE, NAME);
        sim.set_job_plan(plan_of(JobOutcome::Never, 0));
        let mut p = configured_provider(&sim).await;
        let cfg = config_for(NAME);
        // Two resource blocks naming the same task: two plans, two creates at once.
        let mut creates = Vec::new();
        for _ in 0..2 {
            let planned = undv(
                &plan(&mut p, &Value::Null, &cfg).await.planned_state,
                &resource_type(),
            );
            creates.push(spawn_create_apply(&p, planned, cfg.clone()));
        }
        callers(&task_on_instance(NAME), |n| n == 2).await;
        // The pause answered (the wait's first read follows it), then the stage ends it.
        sim.wait_for_requests(2).await;
        sim.set_task_stage(PROJECT, INSTANCE, NAME, "Paused");
        let mut job_ids = Vec::new();
        for create in creates {
            let response = create.await.expect("task");
            assert!(
                response.diagnostics.is_empty(),
                "{:?}",
                response.diagnostics
            );
            let state = undv(&response.new_state, &resource_type());
            assert_eq!(attr(&state, "stage"), &Value::string("Paused"));
            job_ids.push(job_id_of(&state));
        }
        assert_eq!(job_ids[0], job_ids[1], "both resources record the one job");
        assert_eq!(sim.count("POST", "/replication/pause"), 1);
    }
}

mod replaced_after_an_interrupted_pause {
    //! Ctrl-C during a pause leaves the resource tainted with its job ID; the next apply
    //! (a new provider process) destroys it, then creates its replacement. The destroy
    //! says what is true, and the replacement waits for the recorded job instead of
    //! pausing again. Each test uses a task of its own.

    use super::*;
    use taurusdb_api::TaskRef;
    use taurusdb_api::job::flight::until_callers;

    fn config_for(name: &str) -> Value {
        resource_value(&[
            ("instance_id", Value::string(INSTANCE)),
            ("task_name", Value::string(name)),
        ])
    }

    /// An apply stopped (StopProvider, as Ctrl-C does) while its pause job runs: the
    /// tainted state it leaves, with the job ID.
    async fn interrupted_pause(sim: &SimHandle, cfg: &Value) -> Value {
        let first = configured_provider(sim).await;
        let mut client = first.client.clone();
        let planned = {
            let mut p = first;
            let planned = plan(&mut p, &Value::Null, cfg).await.planned_state;
            let planned = undv(&planned, &resource_type());
            let in_flight = spawn_create_apply(&p, planned, cfg.clone());
            // The pause, then a read of the wait: the provider is waiting.
            sim.wait_for_requests(2).await;
            client
                .stop_provider(pb::stop_provider::Request {})
                .await
                .expect("stop");
            in_flight.await.expect("task")
        };
        assert!(!errors(&planned.diagnostics).is_empty(), "stopped");
        undv(&planned.new_state, &resource_type())
    }

    async fn callers(task: &TaskRef, enough: impl Fn(usize) -> bool) {
        tokio::time::timeout(
            std::time::Duration::from_secs(60),
            until_callers(task, enough),
        )
        .await
        .expect("the calls arrive");
    }

    #[tokio::test]
    async fn the_replacement_waits_for_the_pause_job_its_tainted_predecessor_recorded() {
        const NAME: &str = "replaced_after_stop";
        let sim = start_sim().await;
        sim.add_task(PROJECT, INSTANCE, NAME);
        sim.set_job_plan(JobPlan {
            outcome: JobOutcome::Never,
            ..JobPlan::default()
        });
        let cfg = config_for(NAME);
        let tainted = interrupted_pause(&sim, &cfg).await;
        let job_id = job_id_of(&tainted);

        // The next apply: a new provider process destroys the tainted object...
        let mut next = configured_provider(&sim).await;
        let destroyed = apply(&mut next, &tainted, &Value::Null, &Value::Null).await;
        assert_eq!(undv(&destroyed.new_state, &resource_type()), Value::Null);
        assert_eq!(
            destroyed.diagnostics.len(),
            1,
            "{:?}",
            destroyed.diagnostics
        );
        let warning = &destroyed.diagnostics[0];
        assert_eq!(warning.severity, 2, "{warning:?}");
        assert!(warning.summary.contains("still running"), "{warning:?}");
        assert!(warning.detail.contains(&job_id), "{warning:?}");
        assert!(warning.detail.contains("\"Incremental\""), "{warning:?}");
        assert!(!warning.summary.contains("left paused"), "{warning:?}");

        // ...then creates the replacement, which waits for the recorded job.
        let planned = undv(
            &plan(&mut next, &Value::Null, &cfg).await.planned_state,
            &resource_type(),
        );
        let create = spawn_create_apply(&next, planned, cfg.clone());
        callers(&task_on_instance(NAME), |n| n == 1).await;
        sim.set_task_stage(PROJECT, INSTANCE, NAME, "Paused");
        let response = create.await.expect("task");
        assert!(
            response.diagnostics.is_empty(),
            "{:?}",
            response.diagnostics
        );
        let state = undv(&response.new_state, &resource_type());
        assert_eq!(job_id_of(&state), job_id, "the recorded job, not a new one");
        assert_eq!(attr(&state, "stage"), &Value::string("Paused"));
        assert_eq!(sim.count("POST", "/replication/pause"), 1);
    }

    #[tokio::test]
    async fn a_destroy_after_a_failed_pause_says_nothing_was_paused_and_the_next_pauses() {
        const NAME: &str = "replaced_after_failure";
        let sim = start_sim().await;
        sim.add_task(PROJECT, INSTANCE, NAME);
        sim.set_job_plan(plan_of(JobOutcome::Fail("DRS channel is broken".into()), 0));
        let cfg = config_for(NAME);
        let mut p = configured_provider(&sim).await;
        let (tainted, diags) = create(&mut p, &cfg).await;
        assert_eq!(errors(&diags).len(), 1, "{diags:?}");
        let job_id = job_id_of(&tainted);

        let destroyed = apply(&mut p, &tainted, &Value::Null, &Value::Null).await;
        let warning = &destroyed.diagnostics[0];
        assert_eq!(
            warning.summary, "Replication task not paused",
            "{warning:?}"
        );
        assert!(
            warning.detail.contains("nothing is paused")
                && warning.detail.contains(&job_id)
                && warning.detail.contains("ended Failed"),
            "{warning:?}"
        );

        sim.set_job_plan(JobPlan::default());
        let (state, diags) = create(&mut p, &cfg).await;
        assert!(diags.is_empty(), "{diags:?}");
        assert_ne!(
            job_id_of(&state),
            job_id,
            "a failed job is not waited for again"
        );
        assert_eq!(sim.count("POST", "/replication/pause"), 2);
    }
}
