//! Waiting on many tasks at once: one task-list poller per instance serves every waiter,
//! job reads stay per job, and throttling slows the poller instead of failing the wait;
//! what a long wait logs at INFO. Real HTTP against the simulator.

use crate::common;

use std::time::Duration;

use common::*;
use taurusdb_api::retry::RetryPolicy;
use taurusdb_api::wait::{self, TargetStage, WaitTarget};
use taurusdb_api::{ApiClient, ClientConfig, Credentials, Secret};
use taurusdb_sim::{Fault, FaultKind, JobOutcome, JobPlan, SimHandle};
use tokio_util::sync::CancellationToken;

fn api(sim: &SimHandle, max_retries: u32) -> ApiClient {
    let mut config = ClientConfig::new(sim.endpoint(), Credentials::Token(Secret::new(TOKEN)));
    config.retry = RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(1),
    };
    ApiClient::new(config).expect("client")
}

fn never_ending_jobs(sim: &SimHandle) {
    sim.set_job_plan(JobPlan {
        hidden_polls: 0,
        running_polls: 0,
        outcome: JobOutcome::Never,
        duration: None,
    });
}

/// Spawns a wait for `task` (whose pause job is `job_id`) with the quick test policy.
fn spawn_wait(
    api: &ApiClient,
    task: String,
    job_id: String,
) -> tokio::task::JoinHandle<Result<wait::Waited, wait::WaitError>> {
    let api = api.clone();
    tokio::spawn(async move {
        let task = task_on_instance(&task);
        let target = WaitTarget {
            task: &task,
            job_id: &job_id,
            stage: TargetStage::Paused,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        wait::wait_for(
            &api,
            target,
            deadline,
            fast_waits(),
            &CancellationToken::new(),
        )
        .await
    })
}

async fn until(sim: &SimHandle, done: impl Fn(&SimHandle) -> bool) {
    while !done(sim) {
        sim.wait_for_requests(sim.requests().len() + 1).await;
    }
}

#[tokio::test]
async fn fifty_waiters_on_one_instance_share_one_list_read_per_tick() {
    const WAITERS: usize = 50;
    let sim = start_sim().await;
    never_ending_jobs(&sim);
    let api = api(&sim, 5);
    let mut waiters = Vec::new();
    for n in 0..WAITERS {
        let task = format!("bulk_task_{n:02}");
        sim.add_task(PROJECT, INSTANCE, &task);
        let job = api
            .pause_replication(&task_on_instance(&task), &CancellationToken::new())
            .await
            .expect("pause");
        waiters.push((task.clone(), spawn_wait(&api, task, job.job_id)));
    }
    // Once every waiter polls, count the reads while they poll their jobs three more
    // times each (the tasks stay unpaused).
    until(&sim, |sim| sim.count("GET", "/jobs") >= WAITERS).await;
    let (lists_before, jobs_before) = (sim.count("GET", "/replication"), sim.count("GET", "/jobs"));
    until(&sim, |sim| {
        sim.count("GET", "/jobs") >= jobs_before + 3 * WAITERS
    })
    .await;
    let lists = sim.count("GET", "/replication") - lists_before;
    let jobs = sim.count("GET", "/jobs") - jobs_before;
    // Job reads are per job, list reads per instance: on the same curve, 50 waiters make
    // ~50 job reads for each list read. Separate list polls would make them equal.
    assert!(
        lists * 10 < jobs,
        "{lists} list reads for {jobs} job reads: list reads grow with the waiters"
    );
    for (task, _) in &waiters {
        sim.set_task_stage(PROJECT, INSTANCE, task, "Paused");
    }
    for (_, waiter) in waiters {
        let waited = waiter.await.expect("task").expect("paused");
        assert_eq!(waited.stage, "Paused");
    }
}

#[tokio::test]
async fn a_throttled_task_list_slows_the_poller_instead_of_failing_the_wait() {
    let sim = start_sim().await;
    never_ending_jobs(&sim);
    // One retry per read: three reads in a row end throttled.
    let api = api(&sim, 1);
    let job = api
        .pause_replication(&SEEDED, &CancellationToken::new())
        .await
        .expect("pause");
    sim.inject_many(
        Fault::on(
            "GET",
            "/replication",
            FaultKind::Throttle {
                retry_after: Some(0),
            },
        ),
        6,
    );
    let waiter = spawn_wait(&api, TASK.to_string(), job.job_id);
    until(&sim, |sim| sim.count("GET", "/replication") >= 6).await;
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let waited = waiter
        .await
        .expect("task")
        .expect("throttling is not a failure");
    assert_eq!(waited.stage, "Paused");
    let statuses: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/replication"))
        .map(|r| r.status)
        .collect();
    assert_eq!(&statuses[..6], &[429; 6], "{statuses:?}");
    assert_eq!(statuses.last(), Some(&200));
}

#[tokio::test]
async fn a_job_tells_its_observer_the_start_the_job_and_the_stage_in_order() {
    use std::sync::Mutex;
    use taurusdb_api::TaskRef;
    use taurusdb_api::job::{self, JobEvent, JobKind, JobRequest};
    use taurusdb_api::wait::WaitEvent;

    let sim = start_sim().await;
    // Visible after one poll, then Running once, then Completed (the stage turns Paused).
    sim.set_job_plan(JobPlan {
        hidden_polls: 1,
        running_polls: 1,
        outcome: JobOutcome::Complete,
        duration: None,
    });
    let api = api(&sim, 5);
    let task = TaskRef::new(PROJECT, INSTANCE, TASK);
    let events = Mutex::new(Vec::new());
    let observer = |event: JobEvent| events.lock().expect("events").push(event);
    let outcome = job::run(
        &api,
        JobRequest {
            kind: JobKind::Pause,
            task: &task,
            timeout: Duration::from_secs(60),
            wait: Some(fast_waits()),
            gone_ends_it: false,
            observer: Some(&observer),
        },
        &CancellationToken::new(),
    )
    .await;
    let job::JobOutcome::Done { job_id, stage, .. } = outcome else {
        panic!("paused expected, got {outcome:?}");
    };
    assert_eq!(stage.as_deref(), Some("Paused"));
    let events = events.into_inner().expect("events");
    assert_eq!(
        events.first(),
        Some(&JobEvent::Started {
            job_id: job_id.clone()
        }),
        "{events:?}"
    );
    assert_eq!(
        events.last(),
        Some(&JobEvent::Wait(WaitEvent::Stage("Paused".into()))),
        "{events:?}"
    );
    assert!(
        events.contains(&JobEvent::Wait(WaitEvent::Job {
            status: "Running".into(),
            progress: None
        })) || events.iter().any(
            |e| matches!(e, JobEvent::Wait(WaitEvent::Job { status, .. }) if status == "Running")
        ),
        "the job's Running status is reported: {events:?}"
    );
    assert!(
        events.contains(&JobEvent::Wait(WaitEvent::Stage("Incremental".into()))),
        "the stage before the pause is reported: {events:?}"
    );
    // Each event reports a change: no two equal events in a row.
    assert!(events.windows(2).all(|w| w[0] != w[1]), "{events:?}");
}

#[tokio::test]
async fn a_huge_retry_after_from_the_jobs_api_neither_crashes_nor_stalls_the_wait() {
    let sim = start_sim().await;
    never_ending_jobs(&sim);
    // No retries: the throttled job read reaches the wait at once.
    let api = api(&sim, 0);
    let job = api
        .pause_replication(&SEEDED, &CancellationToken::new())
        .await
        .expect("pause");
    sim.inject(Fault::on(
        "GET",
        "/jobs",
        FaultKind::Throttle {
            retry_after: Some(u64::MAX),
        },
    ));
    let waiter = spawn_wait(&api, TASK.to_string(), job.job_id);
    until(&sim, |sim| sim.count("GET", "/jobs") >= 1).await;
    // The stage still decides, after the throttled job read.
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Paused");
    let waited = waiter.await.expect("the wait survives").expect("paused");
    assert_eq!(waited.stage, "Paused");
}

#[tokio::test]
async fn a_task_list_throttled_past_its_retries_is_an_error_for_a_one_off_read() {
    let sim = start_sim().await;
    let api = api(&sim, 1);
    sim.inject_many(
        Fault::on(
            "GET",
            "/replication",
            FaultKind::Throttle {
                retry_after: Some(u64::MAX),
            },
        ),
        2,
    );
    // Hang guard: before the fix a one-off read waited forever for a list.
    let never = CancellationToken::new();
    let read = api.list_replications(PROJECT, INSTANCE, &never);
    let err = tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the read must end")
        .expect_err("throttled");
    assert_eq!(err.status(), Some(429), "{err}");
    assert_eq!(
        sim.count("GET", "/replication"),
        2,
        "one retry, then the error"
    );
}

/// The provider's hclog lines, as `TF_LOG_PROVIDER=info` writes them, captured in memory.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<serde_json::Map<String, serde_json::Value>> {
        let bytes = self.0.lock().expect("log buffer").clone();
        String::from_utf8(bytes)
            .expect("utf-8")
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
            .collect()
    }
}

/// A long wait at `TF_LOG_PROVIDER=info`: one line per stage change and per job status
/// change, none for the polls that see nothing new (nor for progress alone).
#[tokio::test]
async fn at_info_a_wait_logs_each_change_once_and_no_poll() {
    use tfplugin::logging::HclogLayer;
    use tracing_subscriber::layer::SubscriberExt as _;

    let sim = start_sim().await;
    // Two reads say Running (progress 33%, then 66%), the third Completed, which pauses
    // the task.
    sim.set_job_plan(JobPlan {
        hidden_polls: 0,
        running_polls: 2,
        outcome: JobOutcome::Complete,
        duration: None,
    });
    let captured = Captured::default();
    let sink = captured.clone();
    let layer = HclogLayer::new(
        move || sink.clone(),
        tracing::Level::INFO,
        taurusdb_provider::OWN_EVENTS,
    );
    // This test's thread only (a current-thread runtime: the wait and the client run here).
    let logging = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));

    let api = api(&sim, 5);
    let task = task_on_instance(TASK);
    // A task queued (`Wait`): neither paused nor replicating.
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Wait");
    let job = api
        .pause_replication(&task, &CancellationToken::new())
        .await
        .expect("pause");
    // Waiting for the task to replicate again outlives the pause job: the wait sees the
    // job run and complete and the task pause, then polls a stage that does not change,
    // until the test resumes the task.
    let (seen, mut events) = tokio::sync::mpsc::unbounded_channel();
    let waiter = {
        let api = api.clone();
        let job_id = job.job_id.clone();
        tokio::spawn(async move {
            let task = task_on_instance(TASK);
            let target = WaitTarget {
                task: &task,
                job_id: &job_id,
                stage: TargetStage::Replicating,
            };
            let observer = move |event: wait::WaitEvent| {
                let _ = seen.send(event);
            };
            let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
            wait::wait_observed(
                &api,
                target,
                deadline,
                fast_waits(),
                &CancellationToken::new(),
                &observer,
            )
            .await
        })
    };
    // Each stage the wait reports, in order (`Wait`, then `Paused`; the first read may
    // already show the task paused, if the job's three reads came first).
    let mut observed_stages = Vec::new();
    let (mut completed, mut paused) = (false, false);
    while !(completed && paused) {
        match events.recv().await.expect("the wait goes on") {
            wait::WaitEvent::Job { status, .. } => completed |= status == "Completed",
            wait::WaitEvent::Stage(stage) => {
                paused |= stage == "Paused";
                observed_stages.push(stage);
            }
        }
    }
    // Polls that see nothing new: three more list reads of the paused task.
    let lists = sim.count("GET", "/replication");
    until(&sim, |sim| sim.count("GET", "/replication") >= lists + 3).await;
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Incremental");
    let waited = waiter.await.expect("waiter").expect("replicating");
    assert_eq!(waited.stage, "Incremental");
    drop(logging);
    while let Ok(event) = events.try_recv() {
        if let wait::WaitEvent::Stage(stage) = event {
            observed_stages.push(stage);
        }
    }
    assert!(
        observed_stages.ends_with(&["Paused".to_string(), "Incremental".to_string()]),
        "{observed_stages:?}"
    );

    let lines = captured.lines();
    let about_task: Vec<_> = lines
        .iter()
        .filter(|line| line["@level"] == "info" && line.get("task_name") == Some(&TASK.into()))
        .collect();
    let field = |line: &serde_json::Map<String, serde_json::Value>, key: &str| {
        line.get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let said: Vec<(String, String)> = about_task
        .iter()
        .map(|line| {
            let value = match field(line, "@message").as_str() {
                "task stage changed" => field(line, "stage"),
                "job status changed" => field(line, "job_status"),
                other => panic!("an info line for no change: {other:?} in {line:?}"),
            };
            (field(line, "@message"), value)
        })
        .collect();
    let stages: Vec<&str> = said
        .iter()
        .filter(|(message, _)| message == "task stage changed")
        .map(|(_, stage)| stage.as_str())
        .collect();
    let statuses: Vec<&str> = said
        .iter()
        .filter(|(message, _)| message == "job status changed")
        .map(|(_, status)| status.as_str())
        .collect();
    // One line per change: the stages as the wait saw them change, each once.
    assert_eq!(stages, observed_stages, "{said:?}");
    assert!(stages.windows(2).all(|w| w[0] != w[1]), "{said:?}");
    assert_eq!(statuses, ["Running", "Completed"], "{said:?}");
    assert!(
        sim.count("GET", "/replication") > stages.len() + 3,
        "more polls than changes"
    );
    assert!(
        about_task
            .iter()
            .all(|line| field(line, "job_id") == job.job_id && field(line, "@module") == "taurusdb"),
        "{about_task:?}"
    );
}
