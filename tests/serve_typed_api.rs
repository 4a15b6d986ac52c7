//! `serve` with the typed Replication API, the built binary as an operator runs it: the
//! API over TLS with a bearer token and over mutual TLS (off loopback), refused without
//! the token while health stays open, reflection behind the same check, the server's
//! credentials from --api-config or (only with --credentials-from-env) its environment,
//! refusal of exposed plaintext, and the graceful stop that lets a short call finish
//! and reports a long one as uncertain with its job ID.

use crate::common;

use common::pki::{self, Ca};
use common::process::{self, HANG_GUARD, Process};
use common::typed::*;
use common::*;
use taurusdb_grpc::proto::replication::v1 as rpb;
use taurusdb_grpc::proto::replication::v1::replication_client::ReplicationClient;
use taurusdb_sim::{JobOutcome, JobPlan, SimHandle};
use tonic::Code;
use tonic::transport::Channel;

/// Writes `--api-config` for `sim` into `dir`.
fn api_config_file(dir: &std::path::Path, sim: &SimHandle) -> String {
    let path = pki::write(dir, "api.json", &api_config_json(sim, ""));
    path.to_str().expect("utf-8 path").to_string()
}

/// `serve` with `args` and `env`, its address once it listens.
fn serve(args: &[&str], env: &[(&str, &str)]) -> (Process, String) {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    let mut process = process::spawn(process::command(&all, env));
    let addr = process.serving_addr();
    (process, addr)
}

/// `serve` on a unix socket in `dir` (where the server's own credentials may be
/// served without client authentication: only its owner reaches it), its socket.
fn serve_unix(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Process, std::path::PathBuf) {
    let listen = format!("unix:{}", dir.join("serve.sock").display());
    let mut all = vec!["--listen", listen.as_str()];
    all.extend_from_slice(args);
    let (process, addr) = serve(&all, env);
    (process, process::unix_path(&addr))
}

async fn unix_client(socket: &std::path::Path) -> ReplicationClient<Channel> {
    ReplicationClient::new(unix_channel(socket.to_path_buf()).await)
}

/// The loopback address of a server listening on all interfaces.
fn loopback(addr: &str) -> String {
    format!("127.0.0.1:{}", addr.rsplit(':').next().expect("port"))
}

fn bearer(
    value: String,
) -> impl FnMut(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> + Clone {
    move |mut request| {
        request
            .metadata_mut()
            .insert("authorization", value.parse().expect("header value"));
        Ok(request)
    }
}

async fn plain_client(addr: &str) -> ReplicationClient<Channel> {
    ReplicationClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_every_typed_call_needs_the_bearer_token_and_health_stays_open() {
    const SECRET: &str = "typed-bearer-0b5e27";
    let sim = start_sim().await;
    let ca = Ca::new("typed API CA");
    let server = ca.server();
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = pki::write(dir.path(), "server.pem", &server.cert_pem);
    let key = pki::write(dir.path(), "server.key", &server.key_pem);
    let token = pki::write(dir.path(), "token", &format!("{SECRET}\n"));
    let config = api_config_file(dir.path(), &sim);
    // Off loopback, as an operator runs it: TLS and a token make that allowed.
    let (serve, addr) = serve(
        &[
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            cert.to_str().expect("path"),
            "--tls-key",
            key.to_str().expect("path"),
            "--auth-token-file",
            token.to_str().expect("path"),
            "--api-config",
            &config,
        ],
        &[("TF_LOG", "trace")],
    );
    let channel = pki::tls_channel(&loopback(&addr), &ca, None)
        .await
        .expect("TLS connect");

    let mut anonymous = ReplicationClient::new(channel.clone());
    let refused = anonymous.pause(demo_request()).await.expect_err("no token");
    assert_eq!(refused.code(), Code::Unauthenticated);
    let wrong = ReplicationClient::with_interceptor(channel.clone(), bearer("Bearer nope".into()))
        .list_tasks(rpb::ListTasksRequest {
            instance_id: INSTANCE.into(),
            ..Default::default()
        })
        .await
        .expect_err("wrong token");
    assert_eq!(wrong.code(), Code::Unauthenticated);
    let reflection =
        tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient::new(
            channel.clone(),
        )
        .server_reflection_info(tokio_stream::iter(vec![
            tonic_reflection::pb::v1::ServerReflectionRequest {
                host: String::new(),
                message_request: Some(
                    tonic_reflection::pb::v1::server_reflection_request::MessageRequest::ListServices(
                        String::new(),
                    ),
                ),
            },
        ]))
        .await;
    let reflection_refused = match reflection {
        Err(status) => status.code() == Code::Unauthenticated,
        Ok(response) => matches!(
            response.into_inner().message().await,
            Err(status) if status.code() == Code::Unauthenticated
        ),
    };
    assert!(reflection_refused, "reflection needs the token too");
    assert!(sim.requests().is_empty(), "nothing reached TaurusDB");

    let health = tonic_health::pb::health_client::HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: "taurusdb.replication.v1.Replication".into(),
        })
        .await
        .expect("health needs no token")
        .into_inner();
    assert_eq!(health.status, 1, "SERVING");

    let mut client =
        ReplicationClient::with_interceptor(channel, bearer(format!("Bearer {SECRET}")));
    let paused = client
        .pause(demo_request())
        .await
        .expect("the right token")
        .into_inner();
    assert_eq!(paused.stage, "Paused");
    assert!(sim.job(&paused.job_id).is_some());
    let stderr = serve.stderr();
    assert!(!stderr.contains(SECRET), "the bearer token is never logged");
    assert!(!stderr.contains(TOKEN), "the API token is never logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_mutual_tls_only_certified_clients_reach_the_typed_api() {
    let sim = start_sim().await;
    let ca = Ca::new("typed API CA");
    let server = ca.server();
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = pki::write(dir.path(), "server.pem", &server.cert_pem);
    let key = pki::write(dir.path(), "server.key", &server.key_pem);
    let client_ca = pki::write(dir.path(), "clients.pem", &ca.pem());
    let config = api_config_file(dir.path(), &sim);
    let (_serve, addr) = serve(
        &[
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            cert.to_str().expect("path"),
            "--tls-key",
            key.to_str().expect("path"),
            "--client-ca",
            client_ca.to_str().expect("path"),
            "--api-config",
            &config,
        ],
        &[],
    );
    let addr = loopback(&addr);
    let good = ca.client();
    let channel = pki::tls_channel(&addr, &ca, Some(&good))
        .await
        .expect("mTLS connect");
    let tasks = ReplicationClient::new(channel)
        .list_tasks(rpb::ListTasksRequest {
            instance_id: INSTANCE.into(),
            ..Default::default()
        })
        .await
        .expect("a certified client")
        .into_inner()
        .tasks;
    assert_eq!(tasks.len(), 3);

    let anonymous_refused = match pki::tls_channel(&addr, &ca, None).await {
        Ok(channel) => ReplicationClient::new(channel)
            .pause(demo_request())
            .await
            .is_err(),
        Err(_) => true,
    };
    assert!(
        anonymous_refused,
        "a client without a certificate is refused"
    );
    assert!(sim.jobs().is_empty(), "and paused nothing");
}

#[test]
fn an_exposed_plaintext_typed_api_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = pki::write(
        dir.path(),
        "api.json",
        r#"{"endpoint": "http://127.0.0.1:9", "auth_token": "t0k3n-value"}"#,
    );
    let (status, stderr) = process::run_to_exit(process::command(
        &[
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--api-config",
            config.to_str().expect("path"),
        ],
        &[],
    ));
    assert!(!status.success());
    assert!(
        stderr.contains("not a loopback address")
            && stderr.contains("this server's credentials")
            && stderr.contains("--client-ca"),
        "{stderr}"
    );
    assert!(!stderr.contains("t0k3n-value"), "{stderr}");
}

#[test]
fn an_unusable_api_config_is_refused_at_start_without_repeating_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A unix socket: a file with credentials may be served there without client
    // authentication, so what is refused is the file's contents.
    let listen = format!("unix:{}", dir.path().join("serve.sock").display());
    let run = |contents: &str| {
        let config = pki::write(dir.path(), "api.json", contents);
        process::run_to_exit(process::command(
            &[
                "serve",
                "--listen",
                &listen,
                "--api-config",
                config.to_str().expect("path"),
            ],
            &[],
        ))
    };
    let (status, unknown) = run(r#"{"auth_tokn": "s3cr3t-1"}"#);
    assert!(!status.success());
    assert!(
        unknown.contains("auth_tokn") && unknown.contains("auth_token"),
        "{unknown}"
    );
    let (status, invalid) = run(r#"{"auth_token": "s3cr3t-1", "endpoint": "ftp://x"}"#);
    assert!(!status.success());
    assert!(invalid.contains("endpoint"), "{invalid}");
    for stderr in [unknown, invalid] {
        assert!(!stderr.contains("s3cr3t-1"), "{stderr}");
    }

    let fifo = dir.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let (status, stderr) = process::run_to_exit(process::command(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--api-config",
            fifo.to_str().expect("path"),
        ],
        &[],
    ));
    assert!(!status.success());
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_credentials_serve_the_typed_api_only_with_the_operators_consent() {
    let sim = start_sim().await;
    let endpoint = sim.endpoint();
    let env = [
        ("HW_AUTH_TOKEN", TOKEN),
        ("HW_TAURUSDB_ENDPOINT", endpoint.as_str()),
        ("HW_PROJECT_ID", PROJECT),
    ];
    let (serve_without, addr) = serve(&["--listen", "127.0.0.1:0"], &env);
    let refused = plain_client(&addr)
        .await
        .pause(demo_request())
        .await
        .expect_err("no consent");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains("--credentials-from-env"),
        "says what the operator must add: {refused:?}"
    );
    assert!(sim.requests().is_empty(), "nothing was sent");
    assert!(!serve_without.stderr().contains(TOKEN));
    drop(serve_without);

    let dir = tempfile::tempdir().expect("tempdir");
    let (_serve, socket) = serve_unix(dir.path(), &["--credentials-from-env"], &env);
    let paused = unix_client(&socket)
        .await
        .pause(demo_request())
        .await
        .expect("with consent")
        .into_inner();
    assert!(sim.job(&paused.job_id).is_some());
}

fn never_ending_jobs(sim: &SimHandle) {
    sim.set_job_plan(JobPlan {
        hidden_polls: 0,
        running_polls: 0,
        outcome: JobOutcome::Never,
        duration: None,
    });
}

const STOPPING: &str = "stopping: accepting no new connections";
/// What the job flow logs once the service answered a pause with its job.
const STARTED: &str = "paused replication task";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_call_in_flight_finish_within_the_grace_period() {
    let sim = start_sim().await;
    never_ending_jobs(&sim);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = api_config_file(dir.path(), &sim);
    let (mut serve, socket) = serve_unix(
        dir.path(),
        &["--api-config", &config, "--shutdown-grace", "60s"],
        &[],
    );
    let mut client = unix_client(&socket).await;
    let in_flight = tokio::spawn(async move { client.pause(demo_request()).await });
    // The pause was answered with its job: the call is waiting for the stage.
    tokio::task::block_in_place(|| serve.wait_for_stderr(STARTED));
    serve.signal("TERM");
    tokio::task::block_in_place(|| serve.wait_for_stderr(STOPPING));
    // While the server drains, the pause takes effect; the call sees it and answers.
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let answer = tokio::time::timeout(HANG_GUARD, in_flight)
        .await
        .expect("the call answers")
        .expect("task")
        .expect("the pause ends well")
        .into_inner();
    assert_eq!(answer.stage, "Paused");
    assert!(sim.job(&answer.job_id).is_some());
    let status = tokio::task::block_in_place(|| serve.wait());
    assert!(status.success(), "{}", serve.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_outlasts_the_grace_period_is_reported_uncertain_with_its_job_id() {
    let sim = start_sim().await;
    never_ending_jobs(&sim);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = api_config_file(dir.path(), &sim);
    let (mut serve, socket) = serve_unix(
        dir.path(),
        &["--api-config", &config, "--shutdown-grace", "0s"],
        &[],
    );
    let mut client = unix_client(&socket).await;
    let mut watcher = unix_client(&socket).await;
    let in_flight = tokio::spawn(async move { client.pause(demo_request()).await });
    let mut stream = watcher
        .watch_pause(request_for("users_sync"))
        .await
        .expect("watch")
        .into_inner();
    let Some(rpb::job_event::Event::Started(watched)) = stream
        .message()
        .await
        .expect("an event")
        .and_then(|e| e.event)
    else {
        panic!("started first");
    };
    // Both pauses were answered with their jobs: the calls are waiting for the stage.
    tokio::task::block_in_place(|| serve.wait_for_stderr_times(STARTED, 2));
    serve.signal("TERM");
    let status = tokio::time::timeout(HANG_GUARD, in_flight)
        .await
        .expect("the call answers")
        .expect("task")
        .expect_err("the pause never completed");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        trailer(&status, "taurusdb-outcome").as_deref(),
        Some("uncertain")
    );
    let job_id = trailer(&status, "taurusdb-job-id").expect("the job id");
    assert!(sim.job(&job_id).is_some(), "the job the service started");
    assert_eq!(error_info(&status).0, "SHUTTING_DOWN");
    assert!(status.message().contains("shutting down"), "{status:?}");

    let (_, end) = read_watch(&mut stream).await;
    let end = end.expect("the watch ends with a status");
    assert_eq!(end.code(), Code::Unavailable, "{end:?}");
    assert_eq!(
        trailer(&end, "taurusdb-job-id").as_deref(),
        Some(watched.job_id.as_str())
    );
    assert_eq!(
        trailer(&end, "taurusdb-outcome").as_deref(),
        Some("uncertain")
    );
    let exit = tokio::task::block_in_place(|| serve.wait());
    assert!(exit.success(), "{}", serve.stderr());
}
