//! Stopping and connection limits: Shutdown (or a signal, once `serve`'s grace period is
//! over) during an apply answers the apply with its job ID before the server stops; in
//! `serve` one client's StopProvider cancels only its own work; silent and idle
//! connections are closed, a flood of them cannot lock out a real client, and a long
//! apply is never cut by the idle timeout. Real sockets; the built binary where limits are involved.

use crate::common;

use std::io::Read as _;
use std::net::TcpStream;

use common::h2grpc::raw;
use common::process::{self, HANG_GUARD, Process};
use common::*;
use taurusdb_sim::{JobOutcome, JobPlan};
use tfplugin::proto::plugin::Empty;
use tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::tf::value::Value;

fn job_plan(outcome: JobOutcome, running_polls: u32) -> JobPlan {
    JobPlan {
        hidden_polls: 0,
        running_polls,
        outcome,
        duration: None,
    }
}

fn job_id_of(response: &pb::apply_resource_change::Response) -> String {
    let state = undv(&response.new_state, &resource_type());
    attr(&state, "job_id")
        .as_str()
        .unwrap_or_else(|| panic!("job_id known: {state:?}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_during_an_apply_answers_it_with_the_job_id() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    let mut p = configured_provider(&sim).await;
    let cfg = task_config();
    let planned = undv(
        &plan(&mut p, &Value::Null, &cfg).await.planned_state,
        &resource_type(),
    );
    let in_flight = spawn_create_apply(&p, planned, cfg);
    // The pause, then at least two polls: the apply is waiting for a job that never ends.
    sim.wait_for_requests(3).await;
    GrpcControllerClient::new(p.channel.clone())
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    let response = tokio::time::timeout(HANG_GUARD, in_flight)
        .await
        .expect("the apply answers")
        .expect("task");
    let errs = errors(&response.diagnostics);
    assert!(
        errs.iter().any(|d| d.summary.contains("Stopped waiting")),
        "{:?}",
        response.diagnostics
    );
    assert!(
        sim.job(&job_id_of(&response)).is_some(),
        "the job ID the API returned reaches state"
    );
}

/// `serve` on 127.0.0.1 with extra args, run through `sh` after `setup`.
fn serve(setup: &str, args: &[&str]) -> (Process, String) {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let command = process::command(&all, &[]);
    let mut process = process::spawn(process::under_shell(setup, &command));
    let addr = process.serving_addr();
    (process, addr)
}

async fn configure_for(
    client: &mut pb::provider_client::ProviderClient<tonic::transport::Channel>,
    sim: &taurusdb_sim::SimHandle,
) {
    let diags = configure_with(
        client,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string(PROJECT)),
            ("auth_token", Value::string(TOKEN)),
        ]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_an_apply_answers_it_with_the_job_id() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    // No grace: the apply outlasts it and is cancelled at once (serve drains otherwise).
    let (serve, addr) = serve("true", &["--shutdown-grace", "0s"]);
    let mut client = tcp_client(&addr).await;
    configure_for(&mut client, &sim).await;
    let cfg = task_config();
    let planned = plan_with(&mut client, &Value::Null, &cfg).await;
    let planned = undv(&planned.planned_state, &resource_type());
    let in_flight =
        tokio::spawn(async move { apply_with(&mut client, &Value::Null, &planned, &cfg).await });
    sim.wait_for_requests(2).await;
    serve.signal("TERM");
    let response = tokio::time::timeout(HANG_GUARD, in_flight)
        .await
        .expect("the apply answers")
        .expect("task");
    assert!(sim.job(&job_id_of(&response)).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_does_not_lock_out_a_real_client() {
    // Few file descriptors, as on a busy host: without the cap, idle sockets use them all.
    let (_serve, addr) = serve("ulimit -n 64", &["--max-pending-connections", "8"]);
    let idle: Vec<TcpStream> = (0..150)
        .map(|_| TcpStream::connect(&addr).expect("idle connection"))
        .collect();
    let answered = tokio::time::timeout(HANG_GUARD, async {
        tcp_client(&addr)
            .await
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
    })
    .await;
    assert!(
        matches!(answered, Ok(Ok(_))),
        "a real client must get its answer: {answered:?}"
    );
    drop(idle);
}

/// Reads until the server closes the connection; a reset counts as closed.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(HANG_GUARD))
        .expect("read timeout");
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => return received,
            Err(err) => panic!("the server did not close the connection: {err}"),
        }
    }
}

#[test]
fn a_silent_connection_is_closed_after_the_handshake_timeout() {
    let (_serve, addr) = serve("true", &["--handshake-timeout", "200ms"]);
    let mut silent = TcpStream::connect(&addr).expect("connect");
    let received = read_until_closed(&mut silent);
    assert!(received.is_empty(), "nothing is served before the preface");
}

#[test]
fn an_idle_http2_connection_is_closed_by_the_server() {
    let (_serve, addr) = serve("true", &["--idle-timeout", "200ms"]);
    // A well-behaved client that sends no RPC: the reader acknowledges settings and
    // pings until the server closes the connection.
    let (mut stream, mut reader) = raw::connect(&addr);
    while let Some(frame) = reader.next(&mut stream) {
        if frame.kind == raw::GOAWAY {
            assert_eq!(
                &frame.payload[4..8],
                &[0, 0, 0, 0],
                "closed without a protocol error"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_apply_is_not_cut_by_the_idle_timeout() {
    let sim = start_sim().await;
    // Two running polls with the default backoff: the apply outlasts the idle timeout.
    sim.set_job_plan(job_plan(JobOutcome::Complete, 2));
    let (_serve, addr) = serve("true", &["--idle-timeout", "1s"]);
    let mut client = tcp_client(&addr).await;
    configure_for(&mut client, &sim).await;
    let cfg = task_config();
    let planned = plan_with(&mut client, &Value::Null, &cfg).await;
    let planned = undv(&planned.planned_state, &resource_type());
    let response = tokio::time::timeout(
        HANG_GUARD,
        apply_with(&mut client, &Value::Null, &planned, &cfg),
    )
    .await
    .expect("the apply answers");
    assert!(
        errors(&response.diagnostics).is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = undv(&response.new_state, &resource_type());
    assert_eq!(attr(&state, "stage"), &Value::string("Paused"));
    assert!(sim.job(&job_id_of(&response)).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_serve_mode_stop_provider_cancels_only_the_callers_work() {
    let sim = start_sim().await;
    sim.set_job_plan(job_plan(JobOutcome::Never, 0));
    let server =
        common::typed::start_typed(taurusdb_grpc::ServerApi::unconfigured("not used")).await;
    let mut mine =
        pb::provider_client::ProviderClient::new(unix_channel(server.socket.clone()).await);
    let mut theirs =
        pb::provider_client::ProviderClient::new(unix_channel(server.socket.clone()).await);
    configure_for(&mut mine, &sim).await;
    configure_for(&mut theirs, &sim).await;
    let cfg = task_config();
    let planned = plan_with(&mut mine, &Value::Null, &cfg).await;
    let planned = undv(&planned.planned_state, &resource_type());
    let mut applying = mine.clone();
    let (planned_again, cfg_again) = (planned.clone(), cfg.clone());
    let in_flight = tokio::spawn(async move {
        apply_with(&mut applying, &Value::Null, &planned_again, &cfg_again).await
    });
    // The pause was sent and the apply waits for the stage.
    sim.wait_for_requests(2).await;

    // Another client's Ctrl-C does not touch this apply...
    theirs
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider");
    // ...which ends well once the task reads Paused.
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let response = tokio::time::timeout(HANG_GUARD, in_flight)
        .await
        .expect("the apply answers")
        .expect("task");
    assert!(
        errors(&response.diagnostics).is_empty(),
        "another connection's StopProvider cancelled this apply: {:?}",
        response.diagnostics
    );

    // Its own connection's StopProvider does cancel it.
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Incremental");
    let requests = sim.requests().len();
    let mut applying = mine.clone();
    let in_flight =
        tokio::spawn(async move { apply_with(&mut applying, &Value::Null, &planned, &cfg).await });
    sim.wait_for_requests(requests + 2).await;
    mine.stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider");
    let response = tokio::time::timeout(HANG_GUARD, in_flight)
        .await
        .expect("the apply answers")
        .expect("task");
    assert!(
        errors(&response.diagnostics)
            .iter()
            .any(|d| d.summary.contains("Stopped waiting")),
        "{:?}",
        response.diagnostics
    );
    assert!(sim.job(&job_id_of(&response)).is_some());
}
