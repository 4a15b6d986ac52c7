//! Start a pause or resume job, then wait until the task's stage shows it: the one flow
//! behind the provider's resource (create, the in-place re-pause, the resume on
//! destroy), its actions and the typed gRPC API.
//!
//! The answer to the request decides what is known: a job ID (then the wait, within
//! the same deadline, bounded by the caller's timeout and cancelled with its token), a
//! refusal that proves nothing happened, a refusal while the task already reads the
//! target (ends well, see [`refused`]), or an answer that does not prove whether the
//! service acted (uncertain: the caller must keep a record).
//!
//! Identical calls at the same time share one job ([`flight`]): [`happen`] is the work
//! done once (the request, the wait), [`Happened`] what it found, and [`run`] one
//! caller's part: joining, hearing the events, stopping at its own timeout or
//! cancellation. What [`run`] returns is a typed [`JobOutcome`]: each caller words it
//! for its own user (a Terraform diagnostic, a gRPC status); nothing here does.

pub mod flight;
pub mod refused;

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::deadline::{DeadlineToken, deadline_after};
use crate::wait::{self, TargetStage, WaitError, WaitEvent, WaitPolicy, WaitTarget};
use crate::{ApiClient, ApiError, JobStarted, TaskRef};
use flight::{Busy, Message};

/// What a job does to a task: pause its replication, or resume it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    Pause,
    Resume,
}

impl JobKind {
    /// The verb in messages: "pause", "resume".
    pub fn verb(self) -> &'static str {
        match self {
            JobKind::Pause => "pause",
            JobKind::Resume => "resume",
        }
    }

    /// What it did: "paused", "resumed".
    pub fn done(self) -> &'static str {
        match self {
            JobKind::Pause => "paused",
            JobKind::Resume => "resumed",
        }
    }

    /// The stage that shows the job is done.
    pub fn target(self) -> TargetStage {
        match self {
            JobKind::Pause => TargetStage::Paused,
            JobKind::Resume => TargetStage::Replicating,
        }
    }
}

/// Sends the request that starts a `kind` job.
async fn start(
    kind: JobKind,
    client: &ApiClient,
    task: &TaskRef,
    cancel: &CancellationToken,
) -> Result<JobStarted, ApiError> {
    match kind {
        JobKind::Pause => client.pause_replication(task, cancel).await,
        JobKind::Resume => client.resume_replication(task, cancel).await,
    }
}

/// One job to run.
#[derive(Clone, Copy)]
pub struct JobRequest<'a> {
    pub kind: JobKind,
    pub task: &'a TaskRef,
    /// Bounds the whole job: the request with its retries, and the wait.
    pub timeout: Duration,
    /// How to wait for the stage; None ends once the job has started.
    pub wait: Option<WaitPolicy>,
    /// Whether a task (or instance) that does not exist ends the job: nothing is left
    /// to do (a resume on destroy). Otherwise it is an error like any other.
    pub gone_ends_it: bool,
    /// Told what happens as it happens (an action's progress stream, a gRPC watch).
    pub observer: Option<JobObserver<'a>>,
}

/// What a running job tells its observer, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEvent {
    /// The service accepted the request and started this job.
    Started { job_id: String },
    /// The service refused because the task already reads the target stage.
    AlreadyThere { stage: String },
    /// What the wait saw: the job (advisory) or the task's stage.
    Wait(WaitEvent),
}

/// Receives [`JobEvent`]s; it must not block.
pub type JobObserver<'a> = &'a (dyn Fn(JobEvent) + Send + Sync);

/// Why certainly nothing happened.
#[derive(Debug, Clone)]
pub enum NotDone {
    /// The service refused the request, or could not be reached (see the error).
    Api(ApiError),
    /// The caller's timeout passed before the request could be sent.
    TimedOutBeforeSending { timeout: Duration },
    /// The other kind of job was in flight for the task: nothing was sent.
    Busy(Busy),
}

/// Why a job happened, or may have, but did not end well.
#[derive(Debug, Clone)]
pub enum Uncertain {
    /// The request was sent, but its answer (`err`) does not show whether the service
    /// carried it out, or the caller stopped before it came (`ApiError::Interrupted`).
    /// `timed_out`: the caller's timeout ran out while the request was in flight.
    Request { err: ApiError, timed_out: bool },
    /// The job started, but the wait did not end well.
    Wait { job_id: String, err: WaitError },
}

impl Uncertain {
    /// The job the service started, when known.
    pub fn job_id(&self) -> Option<&str> {
        match self {
            Uncertain::Request { .. } => None,
            Uncertain::Wait { job_id, .. } => Some(job_id),
        }
    }
}

/// How a job ended, for the caller to word in its own terms.
#[derive(Debug)]
pub enum JobOutcome {
    /// The job started, and the task reads the kind's stage (`stage`), or no wait was
    /// asked for (`stage` None).
    Done {
        job_id: String,
        stage: Option<String>,
        /// The jobs API could not be read: the wait relied on the task's stage alone.
        job_unreadable: Option<ApiError>,
    },
    /// The service refused the request (`refusal`), but the task already reads the
    /// kind's stage (`stage`): nothing needed doing, and no job was started.
    AlreadyThere { refusal: ApiError, stage: String },
    /// The task or its instance does not exist (only with `gone_ends_it`).
    Gone(Gone),
    /// Certainly nothing happened.
    NotDone(NotDone),
    /// The job happened, or may have, but did not end well.
    Uncertain(Uncertain),
}

/// When the task was found missing.
#[derive(Debug, Clone)]
pub enum Gone {
    /// The service refused the request: no such task or instance.
    Refused(ApiError),
    /// It disappeared while the job ran.
    DuringWait,
}

/// What happened to a job: one flight's result, shared by every caller that joined it
/// ([`flight`]), each reading it within its own timeout.
#[derive(Debug)]
pub enum Happened {
    /// The request that starts the job failed. `already_there` is the task's stage when
    /// the refusal may mean the task already reads the target, and it does.
    NotStarted {
        err: ApiError,
        already_there: Option<String>,
    },
    /// The job started (or was handed over, see [`flight::hand_over`]); `waited` is how
    /// the wait ended, None when nobody waited past the start.
    Started {
        job_id: String,
        waited: Option<Result<wait::Waited, WaitError>>,
    },
}

/// The flight's work: the request that starts the job (none when `handed_over` names a
/// job already running), then the wait on the task's stage with the policy `policy`
/// gives at that moment (None: nobody waits). Bounded only by `cancel`: each caller
/// bounds its own wait.
pub async fn happen(
    client: &ApiClient,
    kind: JobKind,
    task: &TaskRef,
    handed_over: Option<String>,
    policy: &(dyn Fn() -> Option<WaitPolicy> + Send + Sync),
    tell: JobObserver<'_>,
    cancel: &CancellationToken,
) -> Happened {
    let job_id = match handed_over {
        Some(job_id) => {
            tracing::info!(
                action = kind.verb(),
                instance_id = %task.instance,
                task_name = %task.task,
                job_id = %job_id,
                "waiting for the {} job a replaced resource recorded instead of sending \
                 another", kind.verb()
            );
            job_id
        }
        None => match start(kind, client, task, cancel).await {
            Ok(job) => {
                tracing::info!(
                    action = kind.verb(),
                    instance_id = %task.instance,
                    task_name = %task.task,
                    job_id = %job.job_id,
                    request_id = job.request_id.as_deref().unwrap_or(""),
                    "{} replication task", kind.done()
                );
                job.job_id
            }
            Err(err) => {
                let mut already_there = None;
                if !err.may_have_been_processed() && refused::may_mean_already_there(&err) {
                    already_there =
                        refused::stage_if_already_there(client, task, kind.target(), cancel).await;
                    if let Some(stage) = &already_there {
                        tell(JobEvent::AlreadyThere {
                            stage: stage.clone(),
                        });
                    }
                }
                return Happened::NotStarted { err, already_there };
            }
        },
    };
    tell(JobEvent::Started {
        job_id: job_id.clone(),
    });
    let Some(policy) = policy() else {
        return Happened::Started {
            job_id,
            waited: None,
        };
    };
    let target = WaitTarget {
        task,
        job_id: &job_id,
        stage: kind.target(),
    };
    let observe_wait = |event: WaitEvent| tell(JobEvent::Wait(event));
    let forever = deadline_after(Duration::MAX);
    let waited = wait::wait_observed(client, target, forever, policy, cancel, &observe_wait).await;
    Happened::Started {
        job_id,
        waited: Some(waited),
    }
}

/// What one caller saw of a flight, to tell how it ended when it stops waiting first.
struct Seen {
    job_id: Option<String>,
    /// When this caller heard the job started.
    started: Option<tokio::time::Instant>,
    last_stage: Option<String>,
    last_seen: String,
}

impl Seen {
    fn new() -> Self {
        Self {
            job_id: None,
            started: None,
            last_stage: None,
            last_seen: "nothing yet".to_string(),
        }
    }

    fn note(&mut self, event: &JobEvent) {
        match event {
            JobEvent::Started { job_id } => {
                self.job_id = Some(job_id.clone());
                self.started = Some(tokio::time::Instant::now());
            }
            JobEvent::AlreadyThere { .. } => {}
            JobEvent::Wait(WaitEvent::Stage(stage)) => {
                self.last_seen = format!("task stage {stage:?}");
                self.last_stage = Some(stage.clone());
            }
            JobEvent::Wait(WaitEvent::Job { status, progress }) => {
                let stage = self.last_stage.as_deref().unwrap_or("not read yet");
                let progress = progress
                    .as_deref()
                    .map(|p| format!(" {p}"))
                    .unwrap_or_default();
                self.last_seen = format!("job {status}{progress}; task stage {stage:?}");
            }
        }
    }

    /// The wait error of a caller that stops waiting for a job that started.
    fn stopped(&self, job_id: &str, timed_out: bool) -> WaitError {
        if !timed_out {
            return WaitError::Cancelled;
        }
        WaitError::TimedOut {
            job_id: job_id.to_string(),
            waited: self.started.map(|at| at.elapsed()).unwrap_or_default(),
            last_seen: self.last_seen.clone(),
        }
    }
}

/// Starts the job, or joins the same job already in flight for the task ([`flight`]),
/// then (if asked) waits until the task reads the kind's stage, within this caller's
/// timeout and cancellation.
pub async fn run(
    client: &ApiClient,
    request: JobRequest<'_>,
    cancel: &CancellationToken,
) -> JobOutcome {
    let JobRequest {
        kind,
        task,
        timeout,
        wait,
        gone_ends_it,
        observer,
    } = request;
    let tell = |event: &JobEvent| {
        if let Some(observer) = observer {
            observer(event.clone());
        }
    };
    let mut joined = match flight::join(client, kind, task, wait) {
        Ok(joined) => joined,
        Err(busy) => return JobOutcome::NotDone(NotDone::Busy(busy)),
    };
    let deadline = DeadlineToken::new(cancel, deadline_after(timeout));
    let mut seen = Seen::new();
    loop {
        tokio::select! {
            message = joined.next() => match message {
                Some(Message::Event(event)) => {
                    seen.note(&event);
                    tell(&event);
                    if let (JobEvent::Started { job_id }, None) = (&event, wait) {
                        return JobOutcome::Done {
                            job_id: job_id.clone(),
                            stage: None,
                            job_unreadable: None,
                        };
                    }
                }
                Some(Message::End(happened)) => {
                    return outcome(&happened, &seen, timeout, gone_ends_it, deadline.expired());
                }
                None => break,
            },
            () = deadline.token().cancelled() => break,
        }
    }
    // This caller stops waiting: its timeout ran out, or it was cancelled.
    let expired = deadline.expired();
    if let Some(job_id) = seen.job_id.clone() {
        joined.leave();
        let err = seen.stopped(&job_id, expired);
        return JobOutcome::Uncertain(Uncertain::Wait { job_id, err });
    }
    if joined.leave() {
        // The last caller: the flight is cancelled and ends promptly, as a lone job
        // always did; its end says whether the request went out.
        while let Some(message) = joined.next().await {
            match message {
                Message::Event(event) => {
                    seen.note(&event);
                    tell(&event);
                }
                Message::End(happened) => {
                    return outcome(&happened, &seen, timeout, gone_ends_it, expired);
                }
            }
        }
    }
    // Other callers still wait for the answer to the request: it may be carried out.
    let err = ApiError::Interrupted {
        endpoint: client.endpoint().to_string(),
    };
    JobOutcome::Uncertain(Uncertain::Request {
        err,
        timed_out: expired,
    })
}

/// One caller's outcome of a flight that ended; `expired`: this caller's timeout ran
/// out.
fn outcome(
    happened: &Happened,
    seen: &Seen,
    timeout: Duration,
    gone_ends_it: bool,
    expired: bool,
) -> JobOutcome {
    match happened {
        Happened::NotStarted { err, .. } if gone_ends_it && err.is_task_gone() => {
            JobOutcome::Gone(Gone::Refused(err.clone()))
        }
        Happened::NotStarted { err, .. } if err.may_have_been_processed() => {
            JobOutcome::Uncertain(Uncertain::Request {
                err: err.clone(),
                timed_out: expired,
            })
        }
        Happened::NotStarted {
            err,
            already_there: Some(stage),
        } if refused::may_mean_already_there(err) => JobOutcome::AlreadyThere {
            refusal: err.clone(),
            stage: stage.clone(),
        },
        Happened::NotStarted { err, .. } if expired && !refused::may_mean_already_there(err) => {
            JobOutcome::NotDone(NotDone::TimedOutBeforeSending { timeout })
        }
        Happened::NotStarted { err, .. } => JobOutcome::NotDone(NotDone::Api(err.clone())),
        Happened::Started {
            job_id,
            waited: None,
        } => JobOutcome::Done {
            job_id: job_id.clone(),
            stage: None,
            job_unreadable: None,
        },
        Happened::Started {
            job_id,
            waited: Some(Ok(waited)),
        } => JobOutcome::Done {
            job_id: job_id.clone(),
            stage: Some(waited.stage.clone()),
            job_unreadable: waited.job_unreadable.clone(),
        },
        Happened::Started {
            waited: Some(Err(WaitError::TaskGone { .. })),
            ..
        } if gone_ends_it => JobOutcome::Gone(Gone::DuringWait),
        // The job happened: its ID goes to the caller along with the error.
        Happened::Started {
            job_id,
            waited: Some(Err(err)),
        } => {
            let err = match err {
                // The flight was cancelled because this caller, its last, stopped.
                WaitError::Cancelled => seen.stopped(job_id, expired),
                other => other.clone(),
            };
            JobOutcome::Uncertain(Uncertain::Wait {
                job_id: job_id.clone(),
                err,
            })
        }
    }
}
