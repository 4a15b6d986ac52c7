//! Waiting for a pause or resume to take effect.
//!
//! The pause call only starts a job. Done means: the job reached `Completed` (jobs API)
//! AND the task's stage reads the target (list API, compared case-insensitively). Each
//! poll reads both at once, so a job that is already done costs one round trip. A
//! `Failed` job ends the wait at once with its `fail_reason`; a job the service does not
//! know yet counts as pending for a grace period; a task that disappears ends the wait.
//! Polls start at once and back off. The caller bounds the whole wait with a deadline,
//! and cancellation (StopProvider, Ctrl-C) ends it promptly.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::taurusdb::api::client::{ApiClient, JobStatus};
use crate::taurusdb::api::error::ApiError;

/// Poll timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitPolicy {
    /// Pause before the first poll (jobs often finish quickly; the first look is free).
    pub first_delay: Duration,
    /// Interval after the first poll; doubles up to `max_interval`.
    pub initial_interval: Duration,
    pub max_interval: Duration,
    /// How long a job the service does not know yet counts as pending.
    pub not_found_grace: Duration,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::ZERO,
            initial_interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(10),
            not_found_grace: Duration::from_secs(30),
        }
    }
}

/// The stage a wait is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStage {
    Paused,
    NotPaused,
}

impl TargetStage {
    pub fn reached(self, stage: &str) -> bool {
        let paused = is_paused(stage);
        match self {
            TargetStage::Paused => paused,
            TargetStage::NotPaused => !paused,
        }
    }
}

/// Whether a stage reads "paused" (the service and its SDK disagree on case).
pub fn is_paused(stage: &str) -> bool {
    stage.trim().eq_ignore_ascii_case("paused")
}

/// What the wait is about.
#[derive(Debug, Clone, Copy)]
pub struct WaitTarget<'a> {
    pub project_id: &'a str,
    pub instance_id: &'a str,
    pub task_name: &'a str,
    pub job_id: &'a str,
    pub stage: TargetStage,
}

#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("job {job_id} failed: {reason}")]
    JobFailed { job_id: String, reason: String },
    #[error("job {job_id} was still unknown to the service after {waited:?}")]
    JobNeverAppeared { job_id: String, waited: Duration },
    #[error("synchronization task {task_name:?} no longer exists")]
    TaskGone { task_name: String },
    #[error("timed out after {waited:?} waiting for job {job_id} (last seen: {last_seen})")]
    TimedOut {
        job_id: String,
        waited: Duration,
        last_seen: String,
    },
    #[error("cancelled by the caller")]
    Cancelled,
    #[error(transparent)]
    Api(ApiError),
}

impl From<ApiError> for WaitError {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Cancelled | ApiError::Interrupted { .. } => WaitError::Cancelled,
            other => WaitError::Api(other),
        }
    }
}

/// How a wait ended well.
#[derive(Debug, Clone)]
pub struct Waited {
    /// The task's final stage.
    pub stage: String,
    /// Set when the jobs API refused to answer (e.g. 403: the credentials may not read
    /// jobs) and the wait relied on the task's stage alone.
    pub job_unreadable: Option<ApiError>,
}

/// Waits until the job completed and the task's stage reached the target.
pub async fn wait_for(
    client: &ApiClient,
    target: WaitTarget<'_>,
    deadline: Instant,
    policy: WaitPolicy,
    cancel: &CancellationToken,
) -> Result<Waited, WaitError> {
    let started = Instant::now();
    let last_seen = Mutex::new(String::from("nothing yet"));
    let polling = poll(client, target, policy, &last_seen, cancel);
    tokio::select! {
        result = polling => result,
        () = tokio::time::sleep_until(deadline) => Err(WaitError::TimedOut {
            job_id: target.job_id.to_string(),
            waited: started.elapsed(),
            last_seen: match last_seen.lock() {
                Ok(text) => text.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            },
        }),
        () = cancel.cancelled() => Err(WaitError::Cancelled),
    }
}

fn note(last_seen: &Mutex<String>, text: String) {
    tracing::debug!(status = %text, "waiting");
    match last_seen.lock() {
        Ok(mut slot) => *slot = text,
        Err(poisoned) => *poisoned.into_inner() = text,
    }
}

async fn poll(
    client: &ApiClient,
    target: WaitTarget<'_>,
    policy: WaitPolicy,
    last_seen: &Mutex<String>,
    cancel: &CancellationToken,
) -> Result<Waited, WaitError> {
    let started = Instant::now();
    let mut backoff = Backoff::new(policy);
    let mut job_unreadable: Option<ApiError> = None;
    loop {
        backoff.wait().await;
        // The job and the task list are read together: done is "job Completed and stage
        // reached", and a quick job should not cost a second round trip.
        let job_call = async {
            match &job_unreadable {
                None => Some(
                    client
                        .show_job(target.project_id, target.job_id, cancel)
                        .await,
                ),
                Some(_) => None,
            }
        };
        let (job, task) = tokio::join!(
            job_call,
            client.find_replication(
                target.project_id,
                target.instance_id,
                target.task_name,
                cancel
            ),
        );
        match job {
            // The jobs API is unusable: the task's stage alone decides from now on.
            Some(Err(err)) if refuses_to_answer(&err) => {
                tracing::warn!(error = %err, "the jobs API refused to answer; waiting on the task's stage alone");
                job_unreadable = Some(err);
            }
            Some(Err(err)) => return Err(err.into()),
            Some(Ok(None)) => {
                note(last_seen, format!("job {} not visible yet", target.job_id));
                if started.elapsed() >= policy.not_found_grace {
                    return Err(WaitError::JobNeverAppeared {
                        job_id: target.job_id.to_string(),
                        waited: started.elapsed(),
                    });
                }
                continue;
            }
            Some(Ok(Some(job))) => match job.status {
                JobStatus::Completed => {}
                JobStatus::Failed => {
                    return Err(WaitError::JobFailed {
                        job_id: target.job_id.to_string(),
                        reason: job
                            .fail_reason
                            .unwrap_or_else(|| "the service gave no reason".to_string()),
                    });
                }
                status => {
                    let process = job.process.as_deref().unwrap_or("");
                    note(
                        last_seen,
                        format!("job {status:?} {process}").trim().to_string(),
                    );
                    continue;
                }
            },
            None => {}
        }
        // The job completed (or cannot be read): now the stage decides.
        let Some(task) = task? else {
            return Err(WaitError::TaskGone {
                task_name: target.task_name.to_string(),
            });
        };
        let stage = task.stage.unwrap_or_default();
        if target.stage.reached(&stage) {
            return Ok(Waited {
                stage,
                job_unreadable,
            });
        }
        note(last_seen, format!("task stage {stage:?}"));
    }
}

/// A client error from the jobs API that will not go away by asking again (403, an
/// unexpected 404 code...): throttling and "not found" are handled elsewhere.
fn refuses_to_answer(err: &ApiError) -> bool {
    matches!(err.status(), Some(400..=499)) && err.status() != Some(429)
}

/// Poll delays: `first_delay`, then `initial_interval` doubling up to `max_interval`.
struct Backoff {
    policy: WaitPolicy,
    next: Option<Duration>,
}

impl Backoff {
    fn new(policy: WaitPolicy) -> Self {
        Self { policy, next: None }
    }

    async fn wait(&mut self) {
        let delay = match self.next {
            None => self.policy.first_delay,
            Some(delay) => delay,
        };
        self.next = Some(match self.next {
            None => self.policy.initial_interval,
            Some(delay) => (delay * 2).min(self.policy.max_interval),
        });
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_compare_case_insensitively() {
        assert!(TargetStage::Paused.reached("Paused"));
        assert!(TargetStage::Paused.reached("paused"));
        assert!(!TargetStage::Paused.reached("Incremental"));
        assert!(TargetStage::NotPaused.reached("Incremental"));
        assert!(!TargetStage::NotPaused.reached("PAUSED"));
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_starts_at_once_then_doubles_to_the_cap() {
        let policy = WaitPolicy {
            first_delay: Duration::ZERO,
            initial_interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(2),
            not_found_grace: Duration::from_secs(30),
        };
        let mut backoff = Backoff::new(policy);
        let mut marks = Vec::new();
        let start = Instant::now();
        for _ in 0..5 {
            backoff.wait().await;
            marks.push(start.elapsed().as_millis());
        }
        assert_eq!(marks, vec![0, 500, 1500, 3500, 5500]);
    }
}
