//! Waiting for a pause or resume to take effect.
//!
//! The task's stage is the ground truth: the wait ends well as soon as the task list
//! shows the target stage (compared case-insensitively: `Paused` for a pause, `Incremental`
//! or `Full` for a resume; `Wait` is still pending), whatever the jobs API says, and ends
//! badly when it reads `Cancelled` (it never will). The
//! jobs API is advisory: nothing documents that pause jobs appear there, so a job it does
//! not know never fails a wait; it may only end the wait early when it positively reports
//! `Failed` (with its `fail_reason`), and otherwise tells progress. A task that
//! disappears ends the wait.
//!
//! Logging: each change the wait sees is one INFO line (`task stage changed`, `job
//! status changed`), so `TF_LOG_PROVIDER=info` follows a long wait; a poll that sees
//! nothing new logs at DEBUG at most, and job progress without a new status too.
//!
//! Timing: the task list comes from the instance's shared poller ([`task_watch`]), read
//! on the [`PollSchedule::STAGE`] curve, so many waits on one instance cost one list read
//! per tick; each job is read on the slower [`PollSchedule::JOB`] curve. The caller bounds
//! the wait with a deadline, and cancellation (StopProvider, Ctrl-C) ends it promptly.
//!
//! [`task_watch`]: super::task_watch

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::client::ApiClient;
use crate::error::ApiError;
use crate::poll_schedule::PollSchedule;
use crate::task_ref::TaskRef;
use crate::task_watch::{Interest, Snapshot};
use crate::wire::{Job, JobStatus};

/// Poll timing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitPolicy {
    /// How often the task list (the stage) is read.
    pub stage_polls: PollSchedule,
    /// How often the job is read (advisory).
    pub job_polls: PollSchedule,
    /// After this long without the jobs API knowing the job, stop asking it.
    pub not_found_grace: Duration,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            stage_polls: PollSchedule::STAGE,
            job_polls: PollSchedule::JOB,
            not_found_grace: Duration::from_secs(30),
        }
    }
}

/// The stage a wait is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStage {
    /// A pause: the task reads `Paused`.
    Paused,
    /// A resume: the task replicates again, reading `Incremental` or `Full` (as the
    /// official provider's resume resource waits for). `Wait` (queued) or `Paused` (the
    /// resume not yet taken) are still pending.
    Replicating,
}

/// What a task's stage means for a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageVerdict {
    /// The task reads the target stage.
    Reached,
    /// Not yet: keep waiting (`Wait`, the other side of a pause/resume, an unknown or
    /// missing stage).
    Pending,
    /// The task can no longer reach the target: it was cancelled (`Cancelled`).
    Failed,
}

impl TargetStage {
    /// What `stage` (any letter case, surrounding blanks ignored) means for this target.
    /// `Cancelled` ends every wait: a cancelled task neither pauses nor replicates.
    pub fn verdict(self, stage: &str) -> StageVerdict {
        if is_cancelled(stage) {
            return StageVerdict::Failed;
        }
        let reached = match self {
            TargetStage::Paused => is_paused(stage),
            TargetStage::Replicating => is_replicating(stage),
        };
        if reached {
            StageVerdict::Reached
        } else {
            StageVerdict::Pending
        }
    }

    /// Whether `stage` is the target stage.
    pub fn reached(self, stage: &str) -> bool {
        self.verdict(stage) == StageVerdict::Reached
    }
}

/// Whether a stage reads "paused" (the service and its SDK disagree on case).
pub fn is_paused(stage: &str) -> bool {
    stage.trim().eq_ignore_ascii_case("paused")
}

/// Whether a stage reads "replicating": `Incremental` or `Full`, in any case.
pub fn is_replicating(stage: &str) -> bool {
    let stage = stage.trim();
    stage.eq_ignore_ascii_case("incremental") || stage.eq_ignore_ascii_case("full")
}

/// Whether a stage reads "cancelled", in any case.
pub fn is_cancelled(stage: &str) -> bool {
    stage.trim().eq_ignore_ascii_case("cancelled")
}

/// What the wait is about.
#[derive(Debug, Clone, Copy)]
pub struct WaitTarget<'a> {
    pub task: &'a TaskRef,
    pub job_id: &'a str,
    pub stage: TargetStage,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum WaitError {
    #[error("job {job_id} failed: {reason}")]
    JobFailed { job_id: String, reason: String },
    #[error("synchronization task {task_name:?} no longer exists")]
    TaskGone { task_name: String },
    /// The task reads `Cancelled`: it will never reach the target stage.
    #[error("synchronization task {task_name:?} was cancelled (stage {stage:?})")]
    TaskCancelled { task_name: String, stage: String },
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

/// What a wait sees as it goes, for callers that show progress (an action's stream, a
/// gRPC watch). Each event is sent when what it reports changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitEvent {
    /// The job as the jobs API reports it (advisory): its status and progress text.
    Job {
        status: String,
        progress: Option<String>,
    },
    /// The task's stage as the task list shows it (the ground truth).
    Stage(String),
}

/// Receives [`WaitEvent`]s; it must not block.
pub type Observer<'a> = &'a (dyn Fn(WaitEvent) + Send + Sync);

/// Waits until the task's stage reaches the target (or the job positively fails).
pub async fn wait_for(
    client: &ApiClient,
    target: WaitTarget<'_>,
    deadline: Instant,
    policy: WaitPolicy,
    cancel: &CancellationToken,
) -> Result<Waited, WaitError> {
    wait_observed(client, target, deadline, policy, cancel, &|_| {}).await
}

/// [`wait_for`], telling `observer` what it sees.
pub async fn wait_observed(
    client: &ApiClient,
    target: WaitTarget<'_>,
    deadline: Instant,
    policy: WaitPolicy,
    cancel: &CancellationToken,
    observer: Observer<'_>,
) -> Result<Waited, WaitError> {
    let started = Instant::now();
    let mut stages = client.watch_tasks(
        &target.task.project,
        &target.task.instance,
        Interest::Polling(policy.stage_polls),
    );
    let mut job = JobWatch::new(policy, started);
    let mut last_seen = String::from("nothing yet");
    let mut last_stage: Option<String> = None;
    let mut last_job: Option<WaitEvent> = None;
    let tell_stage = |stage: &str, last: &Option<String>| {
        if last.as_deref() != Some(stage) {
            tracing::info!(
                instance_id = %target.task.instance,
                task_name = %target.task.task,
                job_id = target.job_id,
                stage,
                previous_stage = last.as_deref().unwrap_or("(not read yet)"),
                "task stage changed"
            );
            observer(WaitEvent::Stage(stage.to_string()));
        }
    };
    let tell_job = |event: &WaitEvent, last: &Option<WaitEvent>| {
        let WaitEvent::Job { status, progress } = event else {
            return;
        };
        let previous = match last {
            Some(WaitEvent::Job { status, .. }) => status.as_str(),
            _ => "(not read yet)",
        };
        let progress = progress.as_deref().unwrap_or("");
        if previous == status {
            tracing::debug!(job_id = target.job_id, job_status = %status, progress, "job progress");
        } else {
            tracing::info!(
                instance_id = %target.task.instance,
                task_name = %target.task.task,
                job_id = target.job_id,
                job_status = %status,
                progress,
                previous_status = previous,
                "job status changed"
            );
        }
    };
    let read_job = |at: Option<Instant>| {
        let client = client.clone();
        async move {
            match at {
                Some(at) => {
                    tokio::time::sleep_until(at).await;
                    client
                        .show_job(&target.task.project, target.job_id, cancel)
                        .await
                }
                None => std::future::pending().await,
            }
        }
    };
    let mut job_read = std::pin::pin!(read_job(job.next_read()));
    loop {
        tokio::select! {
            () = cancel.cancelled() => return Err(WaitError::Cancelled),
            () = tokio::time::sleep_until(deadline) => {
                return Err(WaitError::TimedOut {
                    job_id: target.job_id.to_string(),
                    waited: started.elapsed(),
                    last_seen,
                });
            }
            snapshot = stages.next() => {
                let stage = stage_of(&snapshot, target)?;
                tell_stage(&stage, &last_stage);
                match target.stage.verdict(&stage) {
                    StageVerdict::Reached => {
                        return Ok(Waited { stage, job_unreadable: job.unreadable });
                    }
                    StageVerdict::Failed => {
                        return Err(WaitError::TaskCancelled {
                            task_name: target.task.task.clone(),
                            stage,
                        });
                    }
                    StageVerdict::Pending => {}
                }
                last_seen = note(format!("task stage {stage:?}"));
                last_stage = Some(stage);
            }
            read = &mut job_read => {
                match job.record(read, target.job_id) {
                    JobNews::Failed(reason) => {
                        // The stage still has the last word: one fresh look before failing.
                        let look = client.find_replication(target.task, cancel);
                        let task = tokio::time::timeout_at(deadline, look).await;
                        if let Ok(Ok(Some(task))) = task
                            && let Some(stage) = task.stage.filter(|s| target.stage.reached(s))
                        {
                            tell_stage(&stage, &last_stage);
                            return Ok(Waited { stage, job_unreadable: job.unreadable });
                        }
                        return Err(WaitError::JobFailed {
                            job_id: target.job_id.to_string(),
                            reason,
                        });
                    }
                    JobNews::Progress(text, event) => {
                        let stage = last_stage.as_deref().unwrap_or("not read yet");
                        last_seen = note(format!("{text}; task stage {stage:?}"));
                        if let Some(event) = event
                            && last_job.as_ref() != Some(&event)
                        {
                            tell_job(&event, &last_job);
                            observer(event.clone());
                            last_job = Some(event);
                        }
                    }
                    JobNews::Nothing => {}
                }
                job_read.set(read_job(job.next_read()));
            }
        }
    }
}

/// The task's stage in a list read, or why the wait cannot go on.
fn stage_of(snapshot: &Snapshot, target: WaitTarget<'_>) -> Result<String, WaitError> {
    let tasks = snapshot.tasks.as_ref().map_err(|err| match err {
        // Listing has its own retries; a list that still fails ends the wait.
        ApiError::Cancelled => WaitError::Cancelled,
        other => WaitError::Api(other.clone()),
    })?;
    let task = tasks
        .iter()
        .find(|t| t.task_name == target.task.task)
        .ok_or_else(|| WaitError::TaskGone {
            task_name: target.task.task.clone(),
        })?;
    Ok(task.stage.clone().unwrap_or_default())
}

fn note(text: String) -> String {
    tracing::debug!(status = %text, "waiting");
    text
}

/// What a job read means for the wait.
enum JobNews {
    /// The jobs API positively reports the job failed.
    Failed(String),
    /// Something to tell (status, progress), with the event for observers if the jobs
    /// API reported the job.
    Progress(String, Option<WaitEvent>),
    Nothing,
}

/// The advisory side of a wait: when to read the job next and what its answers mean.
struct JobWatch {
    policy: WaitPolicy,
    started: Instant,
    last_read: Option<Instant>,
    /// No more reads: the job completed, the API refused, or it never knew the job.
    done: bool,
    /// After a throttled read: no read before this.
    throttled_until: Option<Instant>,
    unreadable: Option<ApiError>,
}

impl JobWatch {
    fn new(policy: WaitPolicy, started: Instant) -> Self {
        Self {
            policy,
            started,
            last_read: None,
            done: false,
            throttled_until: None,
            unreadable: None,
        }
    }

    /// When to read the job next, or None for never again.
    fn next_read(&self) -> Option<Instant> {
        if self.done {
            return None;
        }
        let schedule = self.policy.job_polls;
        let at = match self.last_read {
            // The first read waits one floor interval: quick jobs are seen by the stage.
            None => self.started + schedule.min_interval,
            Some(last) => last + schedule.interval(last.saturating_duration_since(self.started)),
        };
        Some(self.throttled_until.map_or(at, |until| at.max(until)))
    }

    fn record(&mut self, read: Result<Option<Job>, ApiError>, job_id: &str) -> JobNews {
        self.last_read = Some(Instant::now());
        match read {
            Ok(Some(job)) => match job.status {
                JobStatus::Failed => JobNews::Failed(
                    job.fail_reason
                        .unwrap_or_else(|| "the service gave no reason".to_string()),
                ),
                status => {
                    // Once completed the stage decides; the job has nothing more to say.
                    self.done = status == JobStatus::Completed;
                    let name = status.name();
                    let process = job.process.filter(|p| !p.trim().is_empty());
                    let text = format!("job {name} {}", process.as_deref().unwrap_or(""));
                    let event = WaitEvent::Job {
                        status: name.to_string(),
                        progress: process,
                    };
                    JobNews::Progress(text.trim().to_string(), Some(event))
                }
            },
            Ok(None) => {
                if self.started.elapsed() >= self.policy.not_found_grace {
                    tracing::debug!(
                        job_id,
                        "the jobs API does not know the job; waiting on the task's stage alone"
                    );
                    self.done = true;
                }
                JobNews::Progress(format!("job {job_id} not visible"), None)
            }
            Err(err @ ApiError::Status { status: 429, .. }) => {
                let pause = err
                    .retry_after()
                    .unwrap_or(self.policy.job_polls.min_interval)
                    .max(self.policy.job_polls.min_interval);
                self.throttled_until = Some(Instant::now() + pause);
                JobNews::Nothing
            }
            Err(err) if refuses_to_answer(&err) => {
                tracing::warn!(
                    error = %err,
                    "the jobs API refused to answer; waiting on the task's stage alone"
                );
                self.done = true;
                self.unreadable = Some(err);
                JobNews::Nothing
            }
            // Cancellation is the wait's own business; anything else is only news.
            Err(ApiError::Cancelled | ApiError::Interrupted { .. }) => JobNews::Nothing,
            Err(err) => {
                tracing::debug!(error = %err, "could not read the job; the stage decides");
                JobNews::Nothing
            }
        }
    }
}

/// A client error from the jobs API that will not go away by asking again (403, an
/// unexpected 404 code...): throttling and "not found" are handled elsewhere.
fn refuses_to_answer(err: &ApiError) -> bool {
    matches!(err.status(), Some(400..=499)) && err.status() != Some(429)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_compare_case_insensitively() {
        assert!(TargetStage::Paused.reached("Paused"));
        assert!(TargetStage::Paused.reached("paused"));
        assert!(TargetStage::Paused.reached(" PAUSED "));
        assert!(!TargetStage::Paused.reached("Incremental"));
        assert!(TargetStage::Replicating.reached("Incremental"));
        assert!(!TargetStage::Replicating.reached("PAUSED"));
    }

    #[test]
    fn a_resume_is_done_at_incremental_or_full_in_any_case() {
        for done in [
            "Incremental",
            "incremental",
            "INCREMENTAL",
            "Full",
            "full",
            "FULL",
        ] {
            assert_eq!(
                TargetStage::Replicating.verdict(done),
                StageVerdict::Reached,
                "{done}"
            );
        }
        for pending in [
            "Wait", "wait", "WAIT", "Paused", "paused", "", "Churn1", "Fully",
        ] {
            assert_eq!(
                TargetStage::Replicating.verdict(pending),
                StageVerdict::Pending,
                "{pending:?}"
            );
        }
    }

    #[test]
    fn a_pause_waits_through_every_other_stage() {
        for pending in ["Wait", "Incremental", "Full", "", "Pausing"] {
            assert_eq!(
                TargetStage::Paused.verdict(pending),
                StageVerdict::Pending,
                "{pending:?}"
            );
        }
    }

    #[test]
    fn cancelled_fails_every_wait_in_any_case() {
        for stage in ["Cancelled", "cancelled", "CANCELLED", " Cancelled "] {
            for target in [TargetStage::Paused, TargetStage::Replicating] {
                assert_eq!(target.verdict(stage), StageVerdict::Failed, "{stage:?}");
                assert!(!target.reached(stage));
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn job_reads_follow_their_own_slower_curve_and_stop_once_completed() {
        let policy = WaitPolicy::default();
        let start = Instant::now();
        let mut job = JobWatch::new(policy, start);
        let mut marks = Vec::new();
        for _ in 0..5 {
            let at = job.next_read().expect("reading");
            tokio::time::sleep_until(at).await;
            marks.push(start.elapsed().as_millis());
            let running = Job {
                id: "j".into(),
                status: JobStatus::Running,
                process: Some("50%".into()),
                fail_reason: None,
            };
            job.record(Ok(Some(running)), "j");
        }
        assert_eq!(marks, vec![1000, 2000, 3000, 4500, 6750]);
        let completed = Job {
            id: "j".into(),
            status: JobStatus::Completed,
            process: None,
            fail_reason: None,
        };
        job.record(Ok(Some(completed)), "j");
        assert_eq!(job.next_read(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unknown_job_is_asked_about_only_for_the_grace_period() {
        let policy = WaitPolicy::default();
        let mut job = JobWatch::new(policy, Instant::now());
        while let Some(at) = job.next_read() {
            tokio::time::sleep_until(at).await;
            assert!(matches!(
                job.record(Ok(None), "j"),
                JobNews::Progress(_, None)
            ));
        }
        assert!(job.unreadable.is_none(), "not a refusal: no warning");
    }
}
