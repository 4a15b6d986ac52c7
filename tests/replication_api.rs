//! The typed `taurusdb.replication.v1.Replication` API, as a direct gRPC client sees it:
//! tonic clients against `serve`'s routes in-process (real unix socket, the simulator
//! behind): pause and resume with and without waiting, a watch stream's event order,
//! listing with every page and filters, jobs, every error code with its details and
//! trailers, a server without credentials, and reflection and health for each service.

use crate::common;

use common::typed::*;
use common::*;
use taurusdb_grpc::ServerApi;
use taurusdb_grpc::proto::replication::v1 as rpb;
use taurusdb_sim::{Fault, FaultKind, JobOutcome, JobPlan};
use tonic::Code;
use tonic_types::StatusExt as _;

use rpb::job_event::Event;

fn job_plan(outcome: JobOutcome, running_polls: u32) -> JobPlan {
    JobPlan {
        hidden_polls: 0,
        running_polls,
        outcome,
        duration: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_wait_until_the_stage_shows_it() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Complete, 2));
    let mut server = typed_for(&sim, "").await;

    let paused = server
        .client
        .pause(demo_request())
        .await
        .expect("pause")
        .into_inner();
    assert!(sim.job(&paused.job_id).is_some(), "{paused:?}");
    assert_eq!(paused.stage, "Paused");
    assert!(!paused.already_there && paused.warnings.is_empty());
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Paused")
    );

    let resumed = server
        .client
        .resume(demo_request())
        .await
        .expect("resume")
        .into_inner();
    assert!(sim.job(&resumed.job_id).is_some());
    assert_ne!(resumed.job_id, paused.job_id);
    assert_eq!(resumed.stage, "Incremental");
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
    assert_eq!(sim.count("POST", "/replication/resume"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_wait_the_answer_comes_once_the_job_started() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    let mut server = typed_for(&sim, "").await;
    let mut request = demo_request();
    request.wait = Some(false);
    let started = server
        .client
        .pause(request)
        .await
        .expect("pause")
        .into_inner();
    assert!(sim.job(&started.job_id).is_some());
    assert_eq!(started.stage, "", "nothing was waited for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_is_already_paused_ends_well_without_a_job() {
    let sim = start_sim().await;
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let mut server = typed_for(&sim, "").await;
    let result = server
        .client
        .pause(demo_request())
        .await
        .expect("pause")
        .into_inner();
    assert!(result.already_there, "{result:?}");
    assert_eq!(result.job_id, "");
    assert_eq!(result.stage, "Paused");
    assert_eq!(result.warnings.len(), 1, "{result:?}");
    assert!(sim.jobs().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_streams_started_first_the_stage_last_and_one_completed() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Complete, 3));
    let mut server = typed_for(&sim, "").await;
    let mut stream = server
        .client
        .watch_pause(demo_request())
        .await
        .expect("watch")
        .into_inner();
    let (events, error) = read_watch(&mut stream).await;
    assert!(error.is_none(), "{error:?}");
    let Some(Event::Started(started)) = events.first() else {
        panic!("started first: {events:?}");
    };
    assert!(sim.job(&started.job_id).is_some());
    let completed: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, Event::Completed(_)))
        .collect();
    assert_eq!(completed.len(), 1, "{events:?}");
    let Some(Event::Completed(result)) = events.last() else {
        panic!("completed last: {events:?}");
    };
    assert_eq!(result.job_id, started.job_id);
    assert_eq!(result.stage, "Paused");
    assert!(
        matches!(&events[events.len() - 2], Event::Stage(s) if s.stage == "Paused"),
        "the stage reaching Paused comes right before the end: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Job(j) if j.status == "Running")),
        "job progress is told: {events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_watch_ends_with_its_status_and_no_completed_event() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Fail("disk full".into()), 1));
    let mut server = typed_for(&sim, "").await;
    let mut stream = server
        .client
        .watch_pause(demo_request())
        .await
        .expect("watch")
        .into_inner();
    let (events, error) = read_watch(&mut stream).await;
    let status = error.expect("an error status ends the stream");
    assert!(
        !events.iter().any(|e| matches!(e, Event::Completed(_))),
        "{events:?}"
    );
    let Some(Event::Started(started)) = events.first() else {
        panic!("started first: {events:?}");
    };
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    assert!(status.message().contains("disk full"), "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-outcome").as_deref(),
        Some("uncertain")
    );
    assert_eq!(
        trailer(&status, "taurusdb-job-id").as_deref(),
        Some(started.job_id.as_str())
    );
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "JOB_FAILED");
    assert_eq!(metadata.get("job_id"), Some(&started.job_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_tasks_reads_every_page_and_filters() {
    let sim = start_sim().await;
    for n in 0..230 {
        sim.add_task(PROJECT, INSTANCE, &format!("bulk_{n:03}_sync"));
    }
    sim.set_task_stage(PROJECT, INSTANCE, "bulk_105_sync", "Paused");
    sim.set_task_stage(PROJECT, INSTANCE, "users_sync", "Paused");
    let mut server = typed_for(&sim, "").await;
    let list = |name_regex: &str, stage: &str| rpb::ListTasksRequest {
        project_id: PROJECT.into(),
        instance_id: INSTANCE.into(),
        name_regex: name_regex.into(),
        stage: stage.into(),
    };
    let all = server
        .client
        .list_tasks(list("", ""))
        .await
        .expect("list")
        .into_inner()
        .tasks;
    assert_eq!(all.len(), 233, "three seeded tasks and 230 more");
    assert!(
        sim.count("GET", "/starrocks/databases/replication") >= 3,
        "three pages of 100"
    );
    let orders = &all[0];
    assert_eq!(orders.task_name, TASK);
    assert_eq!(orders.source_database, "orders");
    assert_eq!(orders.target_database, "orders");
    assert_eq!(orders.status, "Yes");
    assert_eq!(orders.stage, "Incremental");
    assert_eq!(orders.percentage, "100");
    assert_eq!(orders.catchup_stage, "-");
    assert_eq!(orders.catchup_percentage, "100");
    assert_eq!(orders.is_main_task, Some(true));
    assert_eq!(orders.is_need_repair, Some(false));

    let names =
        |tasks: Vec<rpb::Task>| -> Vec<String> { tasks.into_iter().map(|t| t.task_name).collect() };
    let paused = server
        .client
        .list_tasks(list("", "PAUSED"))
        .await
        .expect("list");
    assert_eq!(
        names(paused.into_inner().tasks),
        vec!["users_sync".to_string(), "bulk_105_sync".to_string()]
    );
    let tens = server
        .client
        .list_tasks(list("^bulk_1[0-9]0_", ""))
        .await
        .expect("list");
    assert_eq!(names(tens.into_inner().tasks).len(), 10);
    let both = server
        .client
        .list_tasks(list("^bulk_", "paused"))
        .await
        .expect("list");
    assert_eq!(
        names(both.into_inner().tasks),
        vec!["bulk_105_sync".to_string()]
    );

    let bad = server
        .client
        .list_tasks(list("(unclosed", ""))
        .await
        .expect_err("a bad regex");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(
        trailer(&bad, "taurusdb-field").as_deref(),
        Some("name_regex")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_tasks_leaves_out_a_task_whose_name_is_not_a_string_with_a_warning() {
    let sim = start_sim().await;
    sim.inject(Fault::on(
        "GET",
        "/starrocks/databases/replication",
        FaultKind::json(200, &page_with_unreadable_names()),
    ));
    let mut server = typed_for(&sim, "").await;
    let listed = server
        .client
        .list_tasks(rpb::ListTasksRequest {
            project_id: PROJECT.into(),
            instance_id: INSTANCE.into(),
            ..Default::default()
        })
        .await
        .expect("the listing survives")
        .into_inner();
    let names: Vec<_> = listed.tasks.iter().map(|t| t.task_name.as_str()).collect();
    assert_eq!(names, [TASK, "users_sync"]);
    let [warning] = listed.warnings.as_slice() else {
        panic!("one warning: {listed:?}");
    };
    assert!(warning.starts_with(UNREADABLE_NAMES_WARNING), "{warning}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_job_reads_the_jobs_api() {
    let sim = start_sim().await;
    let mut server = typed_for(&sim, "").await;
    let paused = server
        .client
        .pause(demo_request())
        .await
        .expect("pause")
        .into_inner();
    let job = server
        .client
        .get_job(rpb::GetJobRequest {
            project_id: String::new(),
            job_id: paused.job_id.clone(),
        })
        .await
        .expect("job")
        .into_inner();
    assert_eq!(job.id, paused.job_id);
    assert_eq!(job.status, "Completed");
    assert_eq!(job.progress, "100%");

    let unknown = server
        .client
        .get_job(rpb::GetJobRequest {
            project_id: String::new(),
            job_id: "no-such-job".into(),
        })
        .await
        .expect_err("unknown job");
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(error_info(&unknown).0, "JOB_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_invalid_argument_naming_the_field_and_sends_nothing() {
    let sim = start_sim().await;
    let mut server = typed_for(&sim, "").await;
    let cases: [(rpb::JobRequest, &str); 3] = [
        (request_for("orders-sync"), "task_name"),
        (
            rpb::JobRequest {
                instance_id: "a/b".into(),
                ..demo_request()
            },
            "instance_id",
        ),
        (
            rpb::JobRequest {
                timeout: Some(prost_types::Duration {
                    seconds: -5,
                    nanos: 0,
                }),
                ..demo_request()
            },
            "timeout",
        ),
    ];
    for (request, field) in cases {
        let status = server.client.pause(request).await.expect_err(field);
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains(field), "{status:?}");
        assert_eq!(trailer(&status, "taurusdb-field").as_deref(), Some(field));
        let details = status.get_error_details();
        let violation = &details.bad_request().expect("BadRequest").field_violations[0];
        assert_eq!(violation.field, field);
        assert_eq!(error_info(&status).0, "INVALID_ARGUMENT");
    }
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_the_apis_code_message_and_request_id() {
    let sim = start_sim().await;
    let mut server = typed_for(&sim, "").await;

    // An unknown instance: NOT_FOUND, certainly not done.
    let status = server
        .client
        .pause(rpb::JobRequest {
            instance_id: "0000000000000000000000000000000in17".into(),
            ..demo_request()
        })
        .await
        .expect_err("unknown instance");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-error-code").as_deref(),
        Some("DBS.200022")
    );
    assert_eq!(
        trailer(&status, "taurusdb-outcome").as_deref(),
        Some("not-done")
    );
    assert_eq!(
        trailer(&status, "taurusdb-http-status").as_deref(),
        Some("400")
    );
    let request_id = trailer(&status, "taurusdb-request-id").expect("request id");
    assert!(
        sim.requests().iter().any(|r| r.request_id == request_id),
        "the simulator's own request id"
    );
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "DBS.200022");
    assert_eq!(
        metadata.get("error_msg").map(String::as_str),
        Some("Instance not found.")
    );
    assert_eq!(metadata.get("request_id"), Some(&request_id));
    let details = status.get_error_details();
    assert_eq!(
        details.request_info().expect("RequestInfo").request_id,
        request_id
    );

    // The same for a listing.
    let listed = server
        .client
        .list_tasks(rpb::ListTasksRequest {
            project_id: String::new(),
            instance_id: "0000000000000000000000000000000in17".into(),
            name_regex: String::new(),
            stage: String::new(),
        })
        .await
        .expect_err("unknown instance");
    assert_eq!(listed.code(), Code::NotFound);
    assert_eq!(
        trailer(&listed, "taurusdb-outcome"),
        None,
        "a read has no outcome"
    );

    // Credentials the gateway refuses to let act: PERMISSION_DENIED.
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::api_error(
            403,
            "APIGW.0302",
            "The IAM user is forbidden in the currently selected region.",
        ),
    ));
    let status = server.client.pause(demo_request()).await.expect_err("403");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-error-code").as_deref(),
        Some("APIGW.0302")
    );
    assert_eq!(
        trailer(&status, "taurusdb-outcome").as_deref(),
        Some("not-done")
    );
    assert!(sim.jobs().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_instance_not_found_code_is_not_found_even_as_a_403() {
    let sim = start_sim().await;
    let mut server = typed_for(&sim, "").await;
    for (status, code) in [(400, "DBS.05000044"), (403, "DBS.2000044")] {
        sim.inject(Fault::on(
            "POST",
            "/replication/resume",
            FaultKind::api_error(status, code, "The DB instance does not exist."),
        ));
        let refused = server
            .client
            .resume(demo_request())
            .await
            .expect_err("unknown instance");
        assert_eq!(refused.code(), Code::NotFound, "{code}: {refused:?}");
        assert_eq!(error_info(&refused).0, code);
        assert_eq!(
            trailer(&refused, "taurusdb-http-status"),
            Some(status.to_string())
        );
        assert_eq!(
            trailer(&refused, "taurusdb-outcome").as_deref(),
            Some("not-done"),
            "{code}"
        );
        assert!(
            refused.message().contains("No StarRocks instance"),
            "{code}: {refused:?}"
        );
    }
    assert!(sim.jobs().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_credentials_are_unauthenticated() {
    let sim = start_sim().await;
    let json = format!(
        r#"{{"endpoint": "{}", "project_id": "{PROJECT}", "auth_token": "wrong-token"}}"#,
        sim.endpoint()
    );
    let mut server = start_typed(server_api(&json).await).await;
    let status = server.client.pause(demo_request()).await.expect_err("401");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-http-status").as_deref(),
        Some("401")
    );
    assert!(!status.message().contains("wrong-token"), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_that_outlasts_the_retries_is_resource_exhausted() {
    let sim = start_sim().await;
    let mut server = typed_for(&sim, r#""max_retries": 1"#).await;
    sim.inject_many(
        Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::Throttle {
                retry_after: Some(0),
            },
        ),
        2,
    );
    let status = server.client.pause(demo_request()).await.expect_err("429");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-error-code").as_deref(),
        Some("APIGW.0308")
    );
    assert_eq!(
        trailer(&status, "taurusdb-outcome").as_deref(),
        Some("not-done")
    );
    assert!(status.get_error_details().retry_info().is_some());
    assert_eq!(
        sim.count("POST", "/replication/pause"),
        2,
        "one try, one retry"
    );
    assert!(sim.jobs().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_error_after_the_pause_was_processed_is_unknown_and_uncertain() {
    let sim = start_sim().await;
    let mut server = typed_for(&sim, "").await;
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::gateway_error_after_handling(502),
    ));
    let status = server.client.pause(demo_request()).await.expect_err("502");
    assert_eq!(status.code(), Code::Unknown, "{status:?}");
    assert!(
        status.message().contains("may or may not have happened"),
        "{status:?}"
    );
    assert_eq!(
        trailer(&status, "taurusdb-outcome").as_deref(),
        Some("uncertain")
    );
    assert_eq!(
        trailer(&status, "taurusdb-http-status").as_deref(),
        Some("502")
    );
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "HTTP_502");
    assert_eq!(
        metadata.get("outcome").map(String::as_str),
        Some("uncertain")
    );
    assert_eq!(sim.jobs().len(), 1, "the pause did happen");
    assert_eq!(
        sim.count("POST", "/replication/pause"),
        1,
        "and was not re-sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_deadline_exceeded_with_the_job_id() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    let mut server = typed_for(&sim, "").await;
    let status = server
        .client
        .pause(rpb::JobRequest {
            timeout: Some(prost_types::Duration {
                seconds: 2,
                nanos: 0,
            }),
            ..demo_request()
        })
        .await
        .expect_err("never paused");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-outcome").as_deref(),
        Some("uncertain")
    );
    let job_id = trailer(&status, "taurusdb-job-id").expect("the job id");
    assert!(sim.job(&job_id).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_before_the_calls_own_deadline_with_the_job_id() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    let mut server = typed_for(&sim, "").await;
    // No timeout field: the call's gRPC deadline bounds the job, and the server's own
    // answer (with the job ID) comes just before it, not the deadline's bare error.
    let mut request = tonic::Request::new(demo_request());
    request.set_timeout(std::time::Duration::from_secs(3));
    let status = server
        .client
        .pause(request)
        .await
        .expect_err("never paused");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-outcome").as_deref(),
        Some("uncertain")
    );
    let job_id = trailer(&status, "taurusdb-job-id").expect("the server's answer, job id");
    assert!(sim.job(&job_id).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_too_short_for_one_request_is_refused_before_sending() {
    let sim = start_sim().await;
    let mut server = typed_for(&sim, "").await;
    // Under a second once the server keeps its margin for the answer: not enough for a
    // pause request and its answer, so nothing may be sent.
    let mut request = tonic::Request::new(demo_request());
    request.set_timeout(std::time::Duration::from_millis(900));
    let status = server.client.pause(request).await.expect_err("refused");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-outcome").as_deref(),
        Some("not-done"),
        "{status:?}"
    );
    assert_eq!(trailer(&status, "taurusdb-job-id"), None);
    assert!(status.message().contains("nothing was sent"), "{status:?}");
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "DEADLINE_TOO_SHORT");
    assert_eq!(
        metadata.get("outcome").map(String::as_str),
        Some("not-done")
    );
    assert_eq!(sim.count("POST", "/replication/pause"), 0, "nothing sent");

    // A timeout field under the same floor is an invalid argument, also before sending.
    let status = server
        .client
        .pause(rpb::JobRequest {
            timeout: Some(prost_types::Duration {
                seconds: 0,
                nanos: 1_000_000,
            }),
            ..demo_request()
        })
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-field").as_deref(),
        Some("timeout")
    );
    assert_eq!(sim.count("POST", "/replication/pause"), 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_service_is_unavailable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let json = format!(
        r#"{{"endpoint": "{endpoint}", "project_id": "{PROJECT}", "auth_token": "t", "max_retries": 0}}"#
    );
    let mut server = start_typed(server_api(&json).await).await;
    let status = server
        .client
        .list_tasks(rpb::ListTasksRequest {
            instance_id: INSTANCE.into(),
            ..Default::default()
        })
        .await
        .expect_err("nothing listens");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(error_info(&status).0, "UNREACHABLE");
    let status = server
        .client
        .pause(demo_request())
        .await
        .expect_err("nothing listens");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-outcome").as_deref(),
        Some("not-done")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_credentials_is_failed_precondition_saying_what_to_set() {
    let sim = start_sim().await;
    let api = ServerApi::unconfigured("This server has no TaurusDB configuration to act with.");
    let mut server = start_typed(api).await;
    let pause = server
        .client
        .pause(demo_request())
        .await
        .expect_err("unconfigured");
    let list = server
        .client
        .list_tasks(rpb::ListTasksRequest {
            instance_id: INSTANCE.into(),
            ..Default::default()
        })
        .await
        .expect_err("unconfigured");
    let job = server
        .client
        .get_job(rpb::GetJobRequest {
            project_id: String::new(),
            job_id: "x".into(),
        })
        .await
        .expect_err("unconfigured");
    let watch = server
        .client
        .watch_pause(demo_request())
        .await
        .expect_err("unconfigured");
    for status in [pause, list, job, watch] {
        assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
        assert_eq!(error_info(&status).0, "NOT_CONFIGURED");
        assert!(
            status.message().contains("no TaurusDB configuration"),
            "{status:?}"
        );
    }
    // Resolved from nothing: the message names what to set.
    let resolved = taurusdb_provider::taurusdb::typed_api_setup::resolve(
        Default::default(),
        std::sync::Arc::new(|_: &str| None),
    )
    .await
    .expect("serves");
    let reason = resolved.access().err().expect("unconfigured").to_string();
    assert!(
        reason.contains("--api-config") && reason.contains("HW_AUTH_TOKEN"),
        "{reason}"
    );
    assert!(sim.requests().is_empty());
    let health = health_of(&server, "taurusdb.replication.v1.Replication").await;
    assert_eq!(health, ServingStatus::NotServing as i32);
}

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

async fn health_of(server: &TypedServer, service: &str) -> i32 {
    HealthClient::new(server.channel.clone())
        .check(HealthCheckRequest {
            service: service.to_string(),
        })
        .await
        .expect("health check")
        .into_inner()
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_each_service() {
    let sim = start_sim().await;
    let server = typed_for(&sim, "").await;
    for service in [
        "",
        "plugin",
        "tfplugin6.Provider",
        "taurusdb.replication.v1.Replication",
    ] {
        assert_eq!(
            health_of(&server, service).await,
            ServingStatus::Serving as i32,
            "{service:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_and_describes_both_services() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let sim = start_sim().await;
    let server = typed_for(&sim, "").await;
    let mut client = ServerReflectionClient::new(server.channel.clone());
    let ask = |request: MessageRequest| ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let requests = vec![
        ask(MessageRequest::ListServices(String::new())),
        ask(MessageRequest::FileContainingSymbol(
            "taurusdb.replication.v1.Replication".into(),
        )),
    ];
    let mut answers = client
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .expect("reflection")
        .into_inner();
    let listed = answers.message().await.expect("answer").expect("one");
    let Some(MessageResponse::ListServicesResponse(list)) = listed.message_response else {
        panic!("a service list: {listed:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "tfplugin6.Provider",
        "taurusdb.replication.v1.Replication",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    // go-plugin's host services are not `serve`'s to offer.
    assert!(!names.iter().any(|n| n.starts_with("plugin.")), "{names:?}");
    let described = answers.message().await.expect("answer").expect("two");
    let Some(MessageResponse::FileDescriptorResponse(files)) = described.message_response else {
        panic!("a descriptor: {described:?}");
    };
    assert!(!files.file_descriptor_proto.is_empty());
}

/// A watch whose client stops reading while the service reports ever-new 64 KiB stages:
/// the server keeps a bounded backlog of events (the oldest progress gives way), every
/// stage cut to 1 KiB, and the outcome still comes last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_nobody_reads_keeps_a_bounded_backlog_and_its_outcome() {
    use futures_util::StreamExt as _;
    use std::time::Duration;
    use taurusdb_api::job::JobKind;
    use taurusdb_api::poll_schedule::PollSchedule;
    use taurusdb_api::wait::WaitPolicy;
    use taurusdb_api::{ApiClient, ClientConfig, Credentials, Secret};
    use taurusdb_grpc::access::Access;
    use taurusdb_grpc::request::JobCall;
    use taurusdb_grpc::run::{self, JobSpec};

    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    const STAGE_BYTES: usize = 64 << 10;
    sim.churn_stage(PROJECT, INSTANCE, TASK, Some(STAGE_BYTES));
    let client = ApiClient::new(ClientConfig::new(
        sim.endpoint(),
        Credentials::Token(Secret::new(TOKEN)),
    ))
    .expect("client");
    let quick = PollSchedule {
        min_interval: Duration::from_millis(1),
        max_interval: Duration::from_millis(2),
        growth: 0.5,
    };
    let spec = JobSpec {
        kind: JobKind::Pause,
        call: JobCall {
            task: task_on_instance(TASK),
            wait: true,
            timeout: Duration::from_secs(120),
        },
        access: Access {
            client,
            default_project: taurusdb_api::DefaultProject::Unavailable,
            wait_policy: WaitPolicy {
                stage_polls: quick,
                job_polls: PollSchedule::JOB,
                not_found_grace: Duration::from_secs(30),
            },
        },
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    let hang_guard = Duration::from_secs(120);
    let stream = run::spawn_watched(spec, &shutdown);
    // Nobody reads while the wait sees 300 new stages.
    const STAGES: usize = 300;
    tokio::time::timeout(hang_guard, async {
        let mut seen = 0;
        while sim.count("GET", "/replication") < STAGES {
            seen += 1;
            sim.wait_for_requests(seen).await;
        }
    })
    .await
    .expect("the wait keeps reading the list");
    sim.churn_stage(PROJECT, INSTANCE, TASK, None);
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let items: Vec<_> = tokio::time::timeout(hang_guard, stream.collect())
        .await
        .expect("the stream ends");
    let events: Vec<Event> = items
        .iter()
        .filter_map(|item| item.as_ref().ok()?.event.clone())
        .collect();
    assert!(
        events.len() <= 20,
        "{} events were kept for a client that did not read",
        events.len()
    );
    assert!(
        matches!(events.first(), Some(Event::Started(_))),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(Event::Completed(done)) if done.stage == "Paused"),
        "the outcome comes last"
    );
    for event in &events {
        if let Event::Stage(stage) = event {
            assert!(
                stage.stage.len() <= 1024 + '…'.len_utf8(),
                "a {} byte stage was sent",
                stage.stage.len()
            );
        }
    }
}

mod one_job_per_task {
    //! Identical Pause calls for one task at the same time join one job; a caller that
    //! leaves leaves alone; a resume while a pause is in flight is refused, unsent.
    //! Each test uses a task of its own: the count of joined callers is per task.

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

    /// A task of the demo instance no other test uses, whose pause job never ends: the
    /// stage, set by the test, ends the wait.
    fn endless_task(sim: &taurusdb_sim::SimHandle, name: &str) {
        sim.add_task(PROJECT, INSTANCE, name);
        sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn twenty_concurrent_pauses_of_one_task_send_one_post() {
        const CALLS: usize = 20;
        const NAME: &str = "joined_twenty";
        let sim = start_sim().await;
        endless_task(&sim, NAME);
        let server = typed_for(&sim, "").await;
        let calls: Vec<_> = (0..CALLS)
            .map(|_| {
                let mut client = server.client.clone();
                tokio::spawn(async move { client.pause(request_for(NAME)).await })
            })
            .collect();
        callers(&task_on_instance(NAME), |n| n == CALLS).await;
        // The pause answered (the wait's first read follows it), then the stage ends it.
        sim.wait_for_requests(2).await;
        sim.set_task_stage(PROJECT, INSTANCE, NAME, "Paused");
        let mut job_ids = std::collections::BTreeSet::new();
        for call in calls {
            let result = call.await.expect("task").expect("paused").into_inner();
            assert_eq!(result.stage, "Paused", "{result:?}");
            assert!(!result.already_there, "{result:?}");
            job_ids.insert(result.job_id);
        }
        assert_eq!(job_ids.len(), 1, "one job for every caller: {job_ids:?}");
        assert_eq!(sim.count("POST", "/replication/pause"), 1);
        assert_eq!(sim.jobs().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_leaves_does_not_cancel_the_others() {
        const NAME: &str = "joined_one_leaves";
        let sim = start_sim().await;
        endless_task(&sim, NAME);
        let server = typed_for(&sim, "").await;
        let task = task_on_instance(NAME);
        let mut first = server.client.clone();
        let leaving = tokio::spawn(async move { first.pause(request_for(NAME)).await });
        let mut second = server.client.clone();
        let staying = tokio::spawn(async move { second.pause(request_for(NAME)).await });
        callers(&task, |n| n == 2).await;
        // The client goes away: its stream is reset, the server drops its call.
        leaving.abort();
        assert!(leaving.await.expect_err("aborted").is_cancelled());
        callers(&task, |n| n == 1).await;
        sim.wait_for_requests(2).await;
        sim.set_task_stage(PROJECT, INSTANCE, NAME, "Paused");
        let result = staying
            .await
            .expect("task")
            .expect("the job ran on for the caller still there")
            .into_inner();
        assert_eq!(result.stage, "Paused");
        assert!(sim.job(&result.job_id).is_some(), "{result:?}");
        assert_eq!(sim.count("POST", "/replication/pause"), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_resume_while_a_pause_is_in_flight_is_refused_unsent() {
        const NAME: &str = "joined_contradicted";
        let sim = start_sim().await;
        endless_task(&sim, NAME);
        let mut server = typed_for(&sim, "").await;
        let mut pausing = server.client.clone();
        let pause = tokio::spawn(async move { pausing.pause(request_for(NAME)).await });
        callers(&task_on_instance(NAME), |n| n == 1).await;
        let status = server
            .client
            .resume(request_for(NAME))
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::Aborted, "{status:?}");
        assert_eq!(error_info(&status).0, "TASK_BUSY", "{status:?}");
        assert_eq!(
            trailer(&status, "taurusdb-outcome").as_deref(),
            Some("not-done")
        );
        assert!(status.message().contains("being paused"), "{status:?}");
        assert_eq!(sim.count("POST", "/replication/resume"), 0);
        sim.set_task_stage(PROJECT, INSTANCE, NAME, "Paused");
        let paused = pause.await.expect("task").expect("paused").into_inner();
        assert_eq!(paused.stage, "Paused");
    }
}
