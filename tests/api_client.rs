//! The REST client against the simulator over real HTTP: request shapes, AK/SK
//! signatures, IAM tokens, retry rules, waiting, one connection pool.

use crate::common;

use std::time::Duration;

use common::*;
use taurusdb_api::retry::RetryPolicy;
use taurusdb_api::wait::{self, TargetStage, WaitError, WaitPolicy, WaitTarget};
use taurusdb_api::{
    ApiClient, ApiError, ClientConfig, Credentials, Domain, IamPassword, ProjectScope, Secret,
    signer,
};
use taurusdb_sim::{Fault, FaultKind, IamUser, JobOutcome, JobPlan, Seed, SimConfig};
use tokio_util::sync::CancellationToken;

const AK: &str = "SIMACCESSKEY0001";
const SK: &str = "sim-secret-key-0001";

fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

async fn sim_with_all_credentials() -> taurusdb_sim::SimHandle {
    taurusdb_sim::start(
        "127.0.0.1:0".parse().expect("addr"),
        SimConfig {
            auth_token: TOKEN.to_string(),
            access_keys: vec![(AK.to_string(), SK.to_string())],
            iam_users: vec![IamUser {
                name: "ops".into(),
                password: "ops-password-1".into(),
                domain: "acme".into(),
            }],
            ..Default::default()
        },
        Seed::demo(),
    )
    .await
    .expect("simulator")
}

fn client(endpoint: String, credentials: Credentials, retry: RetryPolicy) -> ApiClient {
    let mut config = ClientConfig::new(endpoint, credentials);
    config.retry = retry;
    config.request_timeout = Duration::from_secs(5);
    ApiClient::new(config).expect("client")
}

fn token_client(sim: &taurusdb_sim::SimHandle) -> ApiClient {
    client(
        sim.endpoint(),
        Credentials::Token(Secret::new(TOKEN)),
        fast_retries(5),
    )
}

fn aksk() -> Credentials {
    Credentials::AkSk(signer::AkSk {
        access_key: Secret::new(AK),
        secret_key: Secret::new(SK),
        security_token: None,
    })
}

fn password(sim: &taurusdb_sim::SimHandle, pw: &str) -> Credentials {
    Credentials::Password(IamPassword {
        user: taurusdb_api::IamUser::Name {
            name: "ops".into(),
            domain: Domain::Name("acme".into()),
        },
        password: Secret::new(pw),
        auth_url: format!("{}/v3", sim.endpoint()),
        scope: ProjectScope::Id(PROJECT.into()),
        token: Default::default(),
    })
}

fn never() -> CancellationToken {
    CancellationToken::new()
}

#[tokio::test]
async fn every_call_has_the_documented_shape() {
    let sim = sim_with_all_credentials().await;
    let api = token_client(&sim);
    let job = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause");
    let resumed = api
        .resume_replication(&SEEDED, &never())
        .await
        .expect("resume");
    let tasks = api
        .list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list");
    let shown = api
        .show_job(PROJECT, &job.job_id, &never())
        .await
        .expect("job");
    assert_eq!(tasks.len(), 3);
    assert_eq!(shown.expect("known job").id, job.job_id);
    assert_ne!(job.job_id, resumed.job_id);

    let requests = sim.requests();
    let base = format!("/v3/{PROJECT}/instances/{INSTANCE}/starrocks/databases/replication");
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, format!("{base}/pause"));
    assert_eq!(requests[1].path, format!("{base}/resume"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&requests[1].body).expect("json"),
        serde_json::json!({"task_name": TASK})
    );
    assert_eq!(requests[2].method, "GET");
    assert_eq!(requests[2].path, base);
    assert_eq!(requests[2].query.as_deref(), Some("limit=100&offset=0"));
    assert_eq!(requests[3].path, format!("/v3/{PROJECT}/jobs"));
    assert_eq!(
        requests[3].query.as_deref(),
        Some(format!("id={}", job.job_id).as_str())
    );
    for request in &requests {
        assert_eq!(request.header("x-auth-token"), Some(TOKEN));
        assert_eq!(request.header("accept"), Some("application/json"));
    }
    assert!(
        requests[0]
            .header("content-type")
            .unwrap_or("")
            .starts_with("application/json")
    );
    assert_eq!(
        requests[2].header("content-type"),
        None,
        "GETs have no body"
    );
}

#[tokio::test]
async fn aksk_requests_are_signed_and_accepted() {
    let sim = sim_with_all_credentials().await;
    let api = client(sim.endpoint(), aksk(), fast_retries(0));
    api.pause_replication(&SEEDED, &never())
        .await
        .expect("signed pause");
    api.list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("signed list");
    for request in sim.requests() {
        let auth = request
            .header("authorization")
            .expect("Authorization header");
        assert!(
            auth.starts_with("SDK-HMAC-SHA256 Access=SIMACCESSKEY0001, SignedHeaders="),
            "{auth}"
        );
        assert!(request.header("x-sdk-date").is_some());
        assert_eq!(request.header("x-project-id"), Some(PROJECT));
        assert_eq!(request.header("x-auth-token"), None);
        assert!(!auth.contains(SK));
    }
    let signed = taurusdb_sim::signature::parse_authorization(
        sim.requests()[0].header("authorization").unwrap_or(""),
    )
    .expect("parsable");
    assert_eq!(
        signed.signed_headers,
        ["content-type", "host", "x-project-id", "x-sdk-date"]
    );

    let wrong = client(
        sim.endpoint(),
        Credentials::AkSk(signer::AkSk {
            access_key: Secret::new(AK),
            secret_key: Secret::new("not-the-secret"),
            security_token: None,
        }),
        fast_retries(0),
    );
    let err = wrong
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("bad signature");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("APIGW.0301"));
}

#[tokio::test]
async fn a_throttled_pause_is_sent_again_with_a_fresh_signature() {
    let sim = sim_with_all_credentials().await;
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::Throttle {
            retry_after: Some(1),
        },
    ));
    let api = client(sim.endpoint(), aksk(), fast_retries(5));
    api.pause_replication(&SEEDED, &never())
        .await
        .expect("pause after 429");
    let pauses: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/pause"))
        .collect();
    assert_eq!(pauses.len(), 2);
    assert_eq!(pauses[0].status, 429);
    assert_eq!(pauses[1].status, 200);
    assert_ne!(
        pauses[0].header("authorization"),
        pauses[1].header("authorization"),
        "each attempt is signed afresh"
    );
}

#[tokio::test]
async fn a_server_error_on_pause_is_not_retried() {
    let sim = sim_with_all_credentials().await;
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::api_error(500, "DBS.05000001", "Internal error."),
    ));
    let err = token_client(&sim)
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("500");
    assert_eq!(err.status(), Some(500));
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
}

#[tokio::test]
async fn a_pause_whose_answer_was_lost_is_not_retried() {
    let sim = sim_with_all_credentials().await;
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::DropAfterHandling,
    ));
    let err = token_client(&sim)
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("no answer");
    assert!(matches!(err, ApiError::Transport { .. }), "{err:?}");
    assert_eq!(
        sim.count("POST", "/replication/pause"),
        1,
        "never sent twice"
    );
}

#[tokio::test]
async fn a_busy_instance_is_waited_for() {
    let sim = sim_with_all_credentials().await;
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::api_error(409, "DBS.200019", "Another operation is in progress."),
    ));
    token_client(&sim)
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause after 409");
    assert_eq!(sim.count("POST", "/replication/pause"), 2);
}

#[tokio::test]
async fn reads_are_retried_on_server_errors_and_timeouts() {
    let sim = sim_with_all_credentials().await;
    sim.inject(Fault::on(
        "GET",
        "/replication",
        FaultKind::api_error(503, "APIGW.0503", "Service unavailable."),
    ));
    let tasks = token_client(&sim)
        .list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list after 503");
    assert_eq!(tasks.len(), 3);
    assert_eq!(sim.count("GET", "/replication"), 2);

    sim.inject(Fault::on("GET", "/replication", FaultKind::Hang));
    let mut config = ClientConfig::new(sim.endpoint(), Credentials::Token(Secret::new(TOKEN)));
    config.retry = fast_retries(2);
    config.request_timeout = Duration::from_millis(300);
    let impatient = ApiClient::new(config).expect("client");
    impatient
        .list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list after a timeout");
    assert_eq!(sim.count("GET", "/replication"), 4);
}

#[tokio::test]
async fn max_retries_is_honoured() {
    let sim = sim_with_all_credentials().await;
    for _ in 0..5 {
        sim.inject(Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::Throttle {
                retry_after: Some(0),
            },
        ));
    }
    let api = client(
        sim.endpoint(),
        Credentials::Token(Secret::new(TOKEN)),
        fast_retries(2),
    );
    let err = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("still throttled");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.code(), Some("APIGW.0308"));
    assert_eq!(
        sim.count("POST", "/replication/pause"),
        3,
        "1 try + 2 retries"
    );
}

#[tokio::test]
async fn refused_connections_are_retried_then_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let api = client(
        format!("http://127.0.0.1:{port}"),
        Credentials::Token(Secret::new(TOKEN)),
        fast_retries(2),
    );
    let err = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("refused");
    let ApiError::Connect { attempts, .. } = &err else {
        panic!("a connect error expected, got {err:?}");
    };
    assert_eq!(*attempts, 3, "1 try + 2 retries: {err}");
    assert!(err.to_string().contains("(3 attempts over "), "{err}");
}

/// A listener that never accepts, its accept queue full: Linux drops every further SYN,
/// so a connection to it never completes (as to a firewalled endpoint). Returns its
/// address and what keeps the queue full.
fn black_hole() -> (
    std::net::SocketAddr,
    Vec<std::net::TcpStream>,
    std::os::fd::OwnedFd,
) {
    use std::os::fd::{AsRawFd as _, FromRawFd as _};
    // SAFETY: plain socket calls on a descriptor this function owns.
    let fd = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "socket");
        std::os::fd::OwnedFd::from_raw_fd(fd)
    };
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `addr` is a valid sockaddr_in of `len` bytes.
    unsafe {
        let raw = (&raw const addr).cast::<libc::sockaddr>();
        assert_eq!(libc::bind(fd.as_raw_fd(), raw, len), 0, "bind");
        assert_eq!(libc::listen(fd.as_raw_fd(), 0), 0, "listen");
        let mut bound: libc::sockaddr_in = std::mem::zeroed();
        let mut bound_len = len;
        let raw = (&raw mut bound).cast::<libc::sockaddr>();
        assert_eq!(libc::getsockname(fd.as_raw_fd(), raw, &mut bound_len), 0);
        addr.sin_port = bound.sin_port;
    }
    let at =
        std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, u16::from_be(addr.sin_port)));
    // Fill the accept queue: connections complete until it is full, then hang.
    let mut held = Vec::new();
    while let Ok(stream) = std::net::TcpStream::connect_timeout(&at, Duration::from_millis(500)) {
        held.push(stream);
        assert!(held.len() < 64, "the accept queue never filled");
    }
    (at, held, fd)
}

#[tokio::test]
async fn a_connection_that_times_out_never_carried_the_request() {
    let (at, _held, _listener) = black_hole();
    let mut config = ClientConfig::new(
        format!("http://{at}"),
        Credentials::Token(Secret::new(TOKEN)),
    );
    config.retry = fast_retries(1);
    config.connect_timeout = Duration::from_millis(200);
    let api = ApiClient::new(config).expect("client");
    let err = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("no connection");
    // Not "no answer within": the POST never left, so it was retried and proves that
    // nothing happened.
    let ApiError::Connect {
        detail, attempts, ..
    } = &err
    else {
        panic!("a connect error expected, got {err:?}");
    };
    assert!(detail.starts_with("no connection within 200ms"), "{detail}");
    assert_eq!(*attempts, 2, "1 try + 1 retry: {err}");
    assert!(err.proves_not_processed(), "{err:?}");
}

#[tokio::test]
async fn one_iam_token_serves_concurrent_calls_and_is_renewed_once() {
    let sim = sim_with_all_credentials().await;
    let api = client(
        sim.endpoint(),
        password(&sim, "ops-password-1"),
        fast_retries(0),
    );
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move { api.list_replications(PROJECT, INSTANCE, &never()).await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("list with IAM token");
    }
    assert_eq!(sim.issued_tokens(), 1, "one token request for all");
    let token_request = sim
        .requests()
        .into_iter()
        .find(|r| r.path == "/v3/auth/tokens")
        .expect("token request");
    let body: serde_json::Value = serde_json::from_str(&token_request.body).expect("json");
    assert_eq!(body["auth"]["scope"]["project"]["id"], PROJECT);

    sim.revoke_issued_tokens();
    api.list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("renewed");
    assert_eq!(sim.issued_tokens(), 2, "renewed exactly once");
}

#[tokio::test]
async fn a_wrong_password_is_an_iam_error() {
    let sim = sim_with_all_credentials().await;
    let api = client(sim.endpoint(), password(&sim, "wrong"), fast_retries(0));
    let err = api
        .list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect_err("rejected");
    assert!(matches!(err, ApiError::IamToken(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("The username or password is wrong."),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong\""));
}

#[tokio::test]
async fn sequential_calls_share_one_pooled_connection() {
    let sim = sim_with_all_credentials().await;
    let api = token_client(&sim);
    for _ in 0..5 {
        api.list_replications(PROJECT, INSTANCE, &never())
            .await
            .expect("list");
    }
    assert_eq!(sim.connections(), 1);
}

fn target<'a>(job_id: &'a str, stage: TargetStage) -> WaitTarget<'a> {
    WaitTarget {
        task: &SEEDED,
        job_id,
        stage,
    }
}

/// Waits with quick polls and no cancellation.
async fn wait_on(
    api: &ApiClient,
    job_id: &str,
    stage: TargetStage,
    deadline: tokio::time::Instant,
) -> Result<wait::Waited, WaitError> {
    wait::wait_for(api, target(job_id, stage), deadline, fast_waits(), &never()).await
}

fn in_secs(secs: u64) -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(secs)
}

#[tokio::test]
async fn waiting_sees_a_hidden_then_running_job_through_to_paused() {
    let sim = sim_with_all_credentials().await;
    sim.set_job_plan(JobPlan {
        hidden_polls: 1,
        running_polls: 2,
        outcome: JobOutcome::Complete,
        duration: None,
    });
    let api = token_client(&sim);
    let job = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause");
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Incremental")
    );
    let stage = wait_on(&api, &job.job_id, TargetStage::Paused, in_secs(30))
        .await
        .expect("paused");
    assert_eq!(stage.stage, "Paused");
    assert!(stage.job_unreadable.is_none());
    assert_eq!(
        sim.count("GET", "/jobs"),
        4,
        "hidden, running, running, completed"
    );
}

#[tokio::test]
async fn a_failed_job_ends_the_wait_with_its_reason() {
    let sim = sim_with_all_credentials().await;
    sim.set_job_plan(JobPlan {
        hidden_polls: 0,
        running_polls: 1,
        outcome: JobOutcome::Fail("source database unreachable".into()),
        duration: None,
    });
    let api = token_client(&sim);
    let job = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause");
    let err = wait_on(&api, &job.job_id, TargetStage::Paused, in_secs(3600))
        .await
        .expect_err("failed");
    let WaitError::JobFailed { reason, .. } = err else {
        panic!("JobFailed expected, got {err:?}");
    };
    assert_eq!(reason, "source database unreachable");
}

#[tokio::test]
async fn a_job_that_never_ends_times_out_and_cancellation_stops_the_wait() {
    let sim = sim_with_all_credentials().await;
    sim.set_job_plan(JobPlan {
        hidden_polls: 0,
        running_polls: 0,
        outcome: JobOutcome::Never,
        duration: None,
    });
    let api = token_client(&sim);
    let job = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause");
    let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
    let err = wait::wait_for(
        &api,
        target(&job.job_id, TargetStage::Paused),
        deadline,
        fast_waits(),
        &never(),
    )
    .await
    .expect_err("timeout");
    assert!(matches!(err, WaitError::TimedOut { .. }), "{err:?}");
    assert!(err.to_string().contains(&job.job_id));

    let cancel = CancellationToken::new();
    let waiter = {
        let api = api.clone();
        let cancel = cancel.clone();
        let job_id = job.job_id.clone();
        tokio::spawn(async move {
            wait::wait_for(
                &api,
                target(&job_id, TargetStage::Paused),
                in_secs(3600),
                fast_waits(),
                &cancel,
            )
            .await
        })
    };
    let before = sim.requests().len();
    sim.wait_for_requests(before + 2).await;
    assert!(
        sim.count("GET", "/replication") >= 2,
        "the waiter is polling the stage"
    );
    cancel.cancel();
    let err = waiter.await.expect("task").expect_err("cancelled");
    assert!(matches!(err, WaitError::Cancelled), "{err:?}");
}

#[tokio::test]
async fn a_job_the_jobs_api_never_lists_ends_well_once_the_task_reads_paused() {
    let sim = sim_with_all_credentials().await;
    // The job runs 200 ms of wall time, but the jobs API never knows it.
    sim.set_job_plan(JobPlan {
        hidden_polls: u32::MAX,
        running_polls: 0,
        outcome: JobOutcome::Complete,
        duration: Some(Duration::from_millis(200)),
    });
    let api = token_client(&sim);
    let job = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause");
    let policy = WaitPolicy {
        not_found_grace: Duration::from_millis(50),
        ..fast_waits()
    };
    let waited = wait::wait_for(
        &api,
        target(&job.job_id, TargetStage::Paused),
        in_secs(3600),
        policy,
        &never(),
    )
    .await
    .expect("the stage decides");
    assert_eq!(waited.stage, "Paused");
    assert!(waited.job_unreadable.is_none());
    assert!(sim.count("GET", "/jobs") >= 1, "the jobs API was asked");
}

#[tokio::test]
async fn the_stage_ends_the_wait_even_while_the_job_still_reads_running() {
    let sim = sim_with_all_credentials().await;
    sim.set_job_plan(JobPlan {
        hidden_polls: 0,
        running_polls: 0,
        outcome: JobOutcome::Never,
        duration: None,
    });
    let api = token_client(&sim);
    let job = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause");
    // The service paused the task; its jobs API still says Running.
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let waited = wait_on(&api, &job.job_id, TargetStage::Paused, in_secs(3600))
        .await
        .expect("paused");
    assert_eq!(waited.stage, "Paused");
}

#[tokio::test]
async fn waiting_for_a_resume_and_for_a_vanished_task() {
    let sim = sim_with_all_credentials().await;
    let api = token_client(&sim);
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let resumed = api
        .resume_replication(&SEEDED, &never())
        .await
        .expect("resume");
    let stage = wait_on(&api, &resumed.job_id, TargetStage::Replicating, in_secs(30))
        .await
        .expect("replicating");
    assert!(wait::is_replicating(&stage.stage), "{}", stage.stage);

    sim.set_job_plan(JobPlan {
        hidden_polls: 0,
        running_polls: 1,
        outcome: JobOutcome::Complete,
        duration: None,
    });
    let job = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause");
    sim.remove_task(PROJECT, INSTANCE, TASK);
    let err = wait_on(&api, &job.job_id, TargetStage::Paused, in_secs(30))
        .await
        .expect_err("gone");
    assert!(matches!(err, WaitError::TaskGone { .. }), "{err:?}");
}

/// Waits for a resume of `job_id` on its own task, sending each stage it sees to the
/// returned channel.
fn observed_resume_wait(
    api: &ApiClient,
    job_id: &str,
) -> (
    tokio::task::JoinHandle<Result<wait::Waited, WaitError>>,
    tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let (seen, stages) = tokio::sync::mpsc::unbounded_channel();
    let api = api.clone();
    let job_id = job_id.to_string();
    let waiter = tokio::spawn(async move {
        let observer = move |event: wait::WaitEvent| {
            if let wait::WaitEvent::Stage(stage) = event {
                let _ = seen.send(stage);
            }
        };
        wait::wait_observed(
            &api,
            target(&job_id, TargetStage::Replicating),
            in_secs(3600),
            fast_waits(),
            &never(),
            &observer,
        )
        .await
    });
    (waiter, stages)
}

#[tokio::test]
async fn a_resume_waits_through_wait_until_full_and_fails_when_cancelled() {
    let sim = sim_with_all_credentials().await;
    // The job never completes: the stages the test sets are all the wait sees.
    sim.set_job_plan(JobPlan {
        hidden_polls: 0,
        running_polls: 0,
        outcome: JobOutcome::Never,
        duration: None,
    });
    let api = token_client(&sim);
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let resumed = api
        .resume_replication(&SEEDED, &never())
        .await
        .expect("resume");

    sim.set_task_stage(PROJECT, INSTANCE, TASK, "WAIT");
    let (waiter, mut stages) = observed_resume_wait(&api, &resumed.job_id);
    assert_eq!(stages.recv().await.as_deref(), Some("WAIT"));
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "full");
    let waited = waiter.await.expect("task").expect("replicating");
    assert_eq!(waited.stage, "full");

    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Wait");
    let (waiter, mut stages) = observed_resume_wait(&api, &resumed.job_id);
    assert_eq!(stages.recv().await.as_deref(), Some("Wait"));
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Cancelled");
    let err = waiter.await.expect("task").expect_err("cancelled task");
    let WaitError::TaskCancelled { task_name, stage } = &err else {
        panic!("{err:?}");
    };
    assert_eq!((task_name.as_str(), stage.as_str()), (TASK, "Cancelled"));
}

#[tokio::test]
async fn concurrent_lists_of_one_instance_share_a_single_request() {
    let sim = sim_with_all_credentials().await;
    // Hold the first list long enough for every other reader to arrive while it is in
    // flight (the readers start within microseconds; the margin is seconds).
    sim.inject(Fault::on(
        "GET",
        "/replication",
        FaultKind::Delay(Duration::from_secs(2)),
    ));
    let api = token_client(&sim);
    let first = {
        let api = api.clone();
        tokio::spawn(async move { api.list_replications(PROJECT, INSTANCE, &never()).await })
    };
    sim.wait_for_requests(1).await;
    let others: Vec<_> = (0..7)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move { api.find_replication(&SEEDED, &never()).await })
        })
        .collect();
    assert_eq!(first.await.expect("task").expect("list").len(), 3);
    for other in others {
        let task = other
            .await
            .expect("task")
            .expect("find")
            .expect("orders_sync exists");
        assert_eq!(task.task_name, TASK);
    }
    assert_eq!(
        sim.count("GET", "/replication"),
        1,
        "one request for eight readers"
    );

    // Once it has answered, the next reader asks again (no stale cache).
    api.list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list");
    assert_eq!(sim.count("GET", "/replication"), 2);
}

#[tokio::test]
async fn long_task_lists_are_read_page_by_page() {
    let sim = sim_with_all_credentials().await;
    for n in 0..230 {
        sim.add_task(PROJECT, INSTANCE, &format!("extra_task_{n:03}"));
    }
    let api = token_client(&sim);
    let tasks = api
        .list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list");
    assert_eq!(tasks.len(), 233, "3 seeded + 230 added");
    let last = api
        .find_replication(&task_on_instance("extra_task_229"), &never())
        .await
        .expect("find");
    assert!(last.is_some(), "a task on the last page is found");
    let offsets: Vec<String> = sim.requests().into_iter().filter_map(|r| r.query).collect();
    assert_eq!(
        &offsets[..3],
        [
            "limit=100&offset=0",
            "limit=100&offset=100",
            "limit=100&offset=200"
        ]
    );
}

#[tokio::test]
async fn a_server_that_ignores_offset_does_not_loop_forever() {
    let sim = sim_with_all_credentials().await;
    let page: Vec<serde_json::Value> = (0..100)
        .map(|n| serde_json::json!({"task_name": format!("t{n:03}"), "stage": "Paused"}))
        .collect();
    let body = serde_json::json!({"total_count": "5000", "replications": page});
    // Every page answers the same 100 tasks.
    sim.inject_many(
        Fault::on("GET", "/replication", FaultKind::json(200, &body)),
        5,
    );
    let tasks = token_client(&sim)
        .list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list");
    assert_eq!(tasks.len(), 100);
    assert_eq!(
        sim.count("GET", "/replication"),
        2,
        "stops at the page with nothing new"
    );
}

#[tokio::test]
async fn a_refused_jobs_api_leaves_the_stage_to_decide() {
    let sim = sim_with_all_credentials().await;
    sim.set_job_plan(JobPlan {
        hidden_polls: 0,
        running_polls: 0,
        outcome: JobOutcome::Never,
        duration: None,
    });
    let api = token_client(&sim);
    let job = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause");
    sim.inject(Fault::on(
        "GET",
        "/jobs",
        FaultKind::api_error(
            403,
            "APIGW.0302",
            "The IAM user is not authorized to access the API.",
        ),
    ));
    let waiter = {
        let api = api.clone();
        let job_id = job.job_id.clone();
        tokio::spawn(async move { wait_on(&api, &job_id, TargetStage::Paused, in_secs(30)).await })
    };
    // Once the jobs API has refused, the service finishes the pause.
    while sim.count("GET", "/jobs") == 0 {
        sim.wait_for_requests(sim.requests().len() + 1).await;
    }
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let waited = waiter
        .await
        .expect("task")
        .expect("paused per the task list");
    assert_eq!(waited.stage, "Paused");
    assert_eq!(waited.job_unreadable.and_then(|e| e.status()), Some(403));
    assert_eq!(
        sim.count("GET", "/jobs"),
        1,
        "the jobs API is not asked again"
    );
}

/// A second simulator that counts what reaches it: where redirects point.
async fn redirect_target() -> taurusdb_sim::SimHandle {
    sim_with_all_credentials().await
}

/// `http://thief:stolen@HOST:PORT/collect?token=abc` on the target: userinfo and a query
/// that must never appear in an error.
fn hostile_location(target: &taurusdb_sim::SimHandle) -> String {
    format!("http://thief:stolen@{}/collect?token=abc", target.addr())
}

fn assert_names_location_safely(err: &ApiError, target: &taurusdb_sim::SimHandle) {
    let text = err.to_string();
    assert!(
        text.contains(&format!("http://{}/collect", target.addr())),
        "the error names the Location: {text}"
    );
    for hidden in ["thief", "stolen", "token=abc"] {
        assert!(!text.contains(hidden), "{hidden:?} in {text}");
    }
}

#[tokio::test]
async fn a_redirected_pause_is_not_followed() {
    let sim = sim_with_all_credentials().await;
    let target = redirect_target().await;
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::redirect(hostile_location(&target)),
    ));
    let err = token_client(&sim)
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("a redirect is not an answer");
    assert_names_location_safely(&err, &target);
    assert!(
        err.may_have_been_processed(),
        "a redirected POST is an unknown answer: {err:?}"
    );
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
    assert_eq!(
        target.connections(),
        0,
        "nothing reached the redirect target"
    );
    assert!(target.requests().is_empty());
}

#[tokio::test]
async fn a_redirected_iam_token_request_never_sends_the_password_on() {
    let sim = sim_with_all_credentials().await;
    let target = redirect_target().await;
    sim.inject(Fault::on(
        "POST",
        "/auth/tokens",
        FaultKind::redirect(hostile_location(&target)),
    ));
    let api = client(
        sim.endpoint(),
        password(&sim, "ops-password-1"),
        fast_retries(3),
    );
    let err = api
        .list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect_err("no token");
    assert!(matches!(err, ApiError::IamToken(_)), "{err:?}");
    assert_names_location_safely(&err, &target);
    assert!(!err.to_string().contains("ops-password-1"));
    assert_eq!(sim.count("POST", "/auth/tokens"), 1, "not retried");
    assert_eq!(
        target.connections(),
        0,
        "the password never left for the target"
    );
    assert_eq!(
        sim.count("GET", "/replication"),
        0,
        "no call without a token"
    );
}

#[tokio::test]
async fn a_redirect_loop_sends_one_pause() {
    let sim = sim_with_all_credentials().await;
    let own_pause = format!(
        "{}/v3/{PROJECT}/instances/{INSTANCE}/starrocks/databases/replication/pause",
        sim.endpoint()
    );
    sim.inject_many(
        Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::redirect(own_pause.clone()),
        ),
        20,
    );
    let err = token_client(&sim)
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("redirected");
    assert!(err.to_string().contains(&own_pause), "{err}");
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
    assert!(sim.jobs().is_empty());
}

#[tokio::test]
async fn a_relative_redirect_is_named_against_the_request_url() {
    let sim = sim_with_all_credentials().await;
    sim.inject(Fault::on(
        "GET",
        "/replication",
        FaultKind::redirect("/moved?session=s3cr3t"),
    ));
    let err = token_client(&sim)
        .list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect_err("redirected read");
    let text = err.to_string();
    assert!(
        text.contains(&format!("{}/moved", sim.endpoint())),
        "{text}"
    );
    assert!(!text.contains("s3cr3t"), "{text}");
    assert_eq!(sim.count("GET", "/moved"), 0);
}

#[tokio::test]
async fn userinfo_in_endpoint_or_auth_url_is_refused_by_the_client() {
    let sim = sim_with_all_credentials().await;
    let with_userinfo = sim.endpoint().replace("http://", "http://admin:Pa55word@");
    let err = ApiClient::new(ClientConfig::new(
        with_userinfo.clone(),
        Credentials::Token(Secret::new(TOKEN)),
    ))
    .expect_err("userinfo in the endpoint");
    assert!(err.to_string().contains("endpoint"), "{err}");
    assert!(!err.to_string().contains("Pa55word"), "{err}");

    let err = ApiClient::new(ClientConfig::new(
        sim.endpoint(),
        Credentials::Password(IamPassword {
            user: taurusdb_api::IamUser::Name {
                name: "ops".into(),
                domain: Domain::Name("acme".into()),
            },
            password: Secret::new("ops-password-1"),
            auth_url: format!("{with_userinfo}/v3"),
            scope: ProjectScope::Id(PROJECT.into()),
            token: Default::default(),
        }),
    ))
    .expect_err("userinfo in auth_url");
    assert!(err.to_string().contains("auth_url"), "{err}");
    assert!(!err.to_string().contains("Pa55word"), "{err}");
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn a_gateway_error_after_the_pause_was_processed_is_an_unknown_answer() {
    let sim = sim_with_all_credentials().await;
    for status in [502, 504] {
        sim.inject(Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::gateway_error_after_handling(status),
        ));
        let err = token_client(&sim)
            .pause_replication(&SEEDED, &never())
            .await
            .expect_err("gateway error");
        assert_eq!(err.status(), Some(status));
        assert!(
            err.may_have_been_processed(),
            "HTTP {status} does not prove the pause was not processed"
        );
        sim.set_task_stage(PROJECT, INSTANCE, TASK, "Incremental");
    }
    assert_eq!(sim.jobs().len(), 2, "the service did the work both times");
    assert_eq!(sim.count("POST", "/replication/pause"), 2, "never re-sent");

    // What does prove it: a 4xx refusal, and throttling.
    sim.inject(Fault::on(
        "POST",
        "/replication/pause",
        FaultKind::api_error(400, "DBS.200001", "Invalid parameter."),
    ));
    let err = token_client(&sim)
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("refused");
    assert!(!err.may_have_been_processed(), "{err:?}");
}

/// A page of 100 task names, each about `name_bytes` long and never seen before.
fn page_of_new_names(page: usize, name_bytes: usize) -> serde_json::Value {
    let filler = "x".repeat(name_bytes);
    let tasks: Vec<serde_json::Value> = (0..100)
        .map(|n| {
            let task_name = format!("p{page:04}_{n:03}_{filler}");
            serde_json::json!({"task_name": task_name, "stage": "Paused"})
        })
        .collect();
    serde_json::json!({"total_count": "100000", "replications": tasks})
}

#[tokio::test]
async fn a_listing_of_endless_big_pages_stops_at_its_byte_budget() {
    let sim = sim_with_all_credentials().await;
    // 24 pages of about 2 MB of new names each (48 MB in all): beyond the 32 MiB a listing
    // may read. The real (3-task) list follows, so a client without a budget ends "well".
    const PAGES: usize = 24;
    let page_bytes = page_of_new_names(0, 20_000).to_string().len();
    for page in 0..PAGES {
        sim.inject(Fault::on(
            "GET",
            "/replication",
            FaultKind::json(200, &page_of_new_names(page, 20_000)),
        ));
    }
    let listed = token_client(&sim)
        .list_replications(PROJECT, INSTANCE, &never())
        .await;
    let text = match listed {
        Ok(tasks) => panic!("read {} tasks without a budget", tasks.len()),
        Err(err) => err.to_string(),
    };
    assert!(
        text.contains("32 MiB"),
        "the error names the budget: {text}"
    );
    let budget_pages = (32 << 20) / page_bytes + 1;
    assert!(
        sim.count("GET", "/replication") <= budget_pages,
        "read {} pages of {page_bytes} bytes; the budget allows {budget_pages}",
        sim.count("GET", "/replication")
    );
}

#[tokio::test]
async fn a_caller_stops_waiting_for_an_iam_token_someone_else_is_fetching() {
    let sim = sim_with_all_credentials().await;
    // IAM never answers: the first caller's token request hangs.
    sim.inject(Fault::on("POST", "/auth/tokens", FaultKind::Hang));
    let api = client(
        sim.endpoint(),
        password(&sim, "ops-password-1"),
        fast_retries(0),
    );
    let first = {
        let api = api.clone();
        tokio::spawn(async move { api.list_replications(PROJECT, INSTANCE, &never()).await })
    };
    sim.wait_for_requests(1).await;
    // A second caller whose time is up (its deadline or StopProvider) must not wait for
    // the first caller's token.
    let cancelled = CancellationToken::new();
    cancelled.cancel();
    let second = api.pause_replication(&SEEDED, &cancelled);
    let err = tokio::time::timeout(Duration::from_secs(60), second)
        .await
        .expect("the cancelled caller returns (before the fix it waited for IAM)")
        .expect_err("cancelled");
    assert!(matches!(err, ApiError::Cancelled), "{err:?}");
    assert_eq!(sim.count("POST", "/pause"), 0, "nothing was sent");
    first.abort();
}

#[tokio::test]
async fn a_task_whose_name_is_not_a_string_is_left_out_not_the_listing() {
    let sim = sim_with_all_credentials().await;
    let canned = || {
        Fault::on(
            "GET",
            "/replication",
            FaultKind::json(200, &page_with_unreadable_names()),
        )
    };
    sim.inject(canned());
    sim.inject(canned());
    let api = token_client(&sim);
    let whole = api
        .list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("the listing survives");
    let names: Vec<_> = whole.iter().map(|t| t.task_name.as_str()).collect();
    assert_eq!(names, [TASK, "users_sync"]);
    assert_eq!(whole.unreadable.count, 2);
    assert!(
        whole
            .unreadable
            .to_string()
            .starts_with(UNREADABLE_NAMES_WARNING),
        "{}",
        whole.unreadable
    );
    let mut pages = api.task_pages(PROJECT, INSTANCE);
    let page = pages
        .next_page(&never())
        .await
        .expect("the page survives")
        .expect("a page");
    assert_eq!(page.tasks.len(), 2);
    assert!(
        page.unreadable
            .to_string()
            .starts_with(UNREADABLE_NAMES_WARNING)
    );
    assert!(pages.next_page(&never()).await.expect("end").is_none());
}

#[tokio::test]
async fn a_left_out_task_still_counts_for_the_next_pages_offset() {
    let sim = sim_with_all_credentials().await;
    let mut first: Vec<serde_json::Value> = (0..99)
        .map(|n| serde_json::json!({"task_name": format!("t{n:03}")}))
        .collect();
    first.insert(50, serde_json::json!({"task_name": null}));
    let pages = [
        serde_json::json!({"total_count": 101, "replications": first}),
        serde_json::json!({"total_count": 101, "replications": [{"task_name": "last_one"}]}),
    ];
    for page in &pages {
        sim.inject(Fault::on("GET", "/replication", FaultKind::json(200, page)));
    }
    let tasks = token_client(&sim)
        .list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list");
    assert_eq!(tasks.len(), 100, "99 + 1 named tasks");
    assert_eq!(tasks.unreadable.examples[0].position, 51);
    let offsets: Vec<String> = sim.requests().into_iter().filter_map(|r| r.query).collect();
    assert_eq!(offsets, ["limit=100&offset=0", "limit=100&offset=100"]);
}

#[tokio::test]
async fn a_wait_reads_past_a_task_whose_name_is_not_a_string() {
    let sim = sim_with_all_credentials().await;
    let api = token_client(&sim);
    let job = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause");
    // The next list read: the task Paused, beside two tasks without a usable name.
    sim.inject(Fault::on(
        "GET",
        "/replication",
        FaultKind::json(200, &page_with_unreadable_names()),
    ));
    let waited = wait_on(&api, &job.job_id, TargetStage::Paused, in_secs(30))
        .await
        .expect("the wait ends well");
    assert_eq!(waited.stage, "Paused");
}

/// A page of `tasks` tiny tasks, as a server that ignores `limit` answers.
fn oversize_page(tasks: usize) -> serde_json::Value {
    let tasks: Vec<serde_json::Value> = (0..tasks)
        .map(|n| serde_json::json!({"task_name": format!("t{n:07}")}))
        .collect();
    serde_json::json!({"replications": tasks})
}

#[tokio::test]
async fn a_page_with_more_tasks_than_asked_for_is_refused() {
    let sim = sim_with_all_credentials().await;
    // 20,000 tasks of ~25 bytes each in one 500 kB page: 200 times what was asked for.
    for _ in 0..2 {
        sim.inject(Fault::on(
            "GET",
            "/replication",
            FaultKind::json(200, &oversize_page(20_000)),
        ));
    }
    let api = token_client(&sim);
    let whole = api.list_replications(PROJECT, INSTANCE, &never()).await;
    let mut pages = api.task_pages(PROJECT, INSTANCE);
    let paged = pages.next_page(&never()).await;
    for (how, listed) in [
        ("whole", whole.map(|t| t.len())),
        ("paged", paged.map(|p| p.map_or(0, |t| t.tasks.len()))),
    ] {
        match listed {
            Ok(tasks) => panic!("{how}: accepted a page of {tasks} tasks"),
            Err(err) => {
                assert!(
                    matches!(err, ApiError::InvalidResponse { .. }),
                    "{how}: {err:?}"
                );
                assert!(
                    err.to_string()
                        .contains("more than the 100 tasks asked for"),
                    "{how}: {err}"
                );
            }
        }
    }
}

#[tokio::test]
async fn an_endless_list_ends_at_the_task_cap_with_an_error() {
    let sim = sim_with_all_credentials().await;
    sim.make_endless(PROJECT, "endless");
    let listed = token_client(&sim)
        .list_replications(PROJECT, "endless", &never())
        .await;
    let err = match listed {
        Ok(tasks) => panic!("an endless list ended 'well' with {} tasks", tasks.len()),
        Err(err) => err,
    };
    assert!(matches!(err, ApiError::ListTooLarge { .. }), "{err:?}");
    assert!(
        err.to_string().contains("100000 tasks"),
        "the error names the cap: {err}"
    );
    assert_eq!(
        sim.count("GET", "/replication"),
        1000,
        "no page past the cap"
    );
}

#[tokio::test]
async fn text_fields_of_listed_tasks_are_cut_at_one_kib() {
    let sim = sim_with_all_credentials().await;
    let huge = format!("Paused{}", "\u{1b}[2J".repeat(100_000));
    sim.set_task_stage(PROJECT, INSTANCE, TASK, &huge);
    let task = token_client(&sim)
        .find_replication(&task_on_instance(TASK), &never())
        .await
        .expect("list")
        .expect("the task");
    let stage = task.stage.expect("a stage");
    assert!(
        stage.len() <= 1024 + '…'.len_utf8() && stage.ends_with('…'),
        "a {} byte stage was kept",
        stage.len()
    );
    assert!(stage.starts_with("Paused\u{1b}[2J"));
}

#[tokio::test]
async fn a_listing_slower_than_its_deadline_ends_with_a_clear_error() {
    let sim = sim_with_all_credentials().await;
    for n in 0..230 {
        sim.add_task(PROJECT, INSTANCE, &format!("extra_task_{n:03}"));
    }
    // Each of the three pages answers well within the request timeout, but three of them
    // take longer than the listing may.
    sim.inject_many(
        Fault::on(
            "GET",
            "/replication",
            FaultKind::Delay(Duration::from_millis(700)),
        ),
        3,
    );
    let mut config = ClientConfig::new(sim.endpoint(), Credentials::Token(Secret::new(TOKEN)));
    config.list_deadline = Duration::from_secs(1);
    let api = ApiClient::new(config).expect("client");
    let listed = api.list_replications(PROJECT, INSTANCE, &never()).await;
    let err = match listed {
        Ok(tasks) => panic!(
            "a listing past its deadline ended well: {} tasks",
            tasks.len()
        ),
        Err(err) => err,
    };
    assert!(matches!(err, ApiError::ListTooSlow { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("longer than the 1s one listing may take"),
        "the error names the deadline: {text}"
    );
    assert_eq!(
        sim.count("GET", "/replication"),
        2,
        "no page after the deadline"
    );
}
