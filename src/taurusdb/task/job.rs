//! Start a pause or resume job, then wait until the task's stage shows it: the one flow
//! behind create, the in-place re-pause and the resume on destroy, ready for any other
//! caller (an action, a gRPC service).
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
//! cancellation, and wording the outcome in its own terms ([`Aftermath`]).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::taurusdb::task::diagnose::{self, Aftermath, Operation};
use crate::taurusdb::task::flight::{self, Busy, Message};
use crate::taurusdb::task::{Action, refused};
use taurusdb_api::deadline::{DeadlineToken, deadline_after};
use taurusdb_api::wait::{self, WaitError, WaitEvent, WaitPolicy, WaitTarget};
use taurusdb_api::{ApiClient, ApiError, JobStarted, TaskRef};
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};

/// Sends the request that starts `action`'s job.
async fn start(
    action: Action,
    client: &ApiClient,
    task: &TaskRef,
    cancel: &CancellationToken,
) -> Result<JobStarted, ApiError> {
    match action {
        Action::Pause => client.pause_replication(task, cancel).await,
        Action::Resume => client.resume_replication(task, cancel).await,
    }
}

/// One job to run.
#[derive(Clone, Copy)]
pub struct JobRequest<'a> {
    pub action: Action,
    pub task: &'a TaskRef,
    /// Bounds the whole job: the request with its retries, and the wait.
    pub timeout: Duration,
    /// How to wait for the stage; None ends once the job has started.
    pub wait: Option<WaitPolicy>,
    /// Whether a task (or instance) that does not exist ends the job: nothing is left
    /// to do (a resume on destroy). Otherwise it is an error like any other.
    pub gone_ends_it: bool,
    /// What the caller tells its user when the job fails or may have happened.
    pub aftermath: &'a Aftermath,
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

/// Why a job did not end well, for callers that answer with more than a diagnostic
/// (a gRPC status code).
#[derive(Debug)]
pub enum Failure {
    /// The service refused the request, or could not be reached (see the error).
    Api(ApiError),
    /// The job started, but the wait did not end well.
    Wait(WaitError),
    /// The timeout passed before the request could be sent.
    TimedOutBeforeSending,
    /// The other action was in flight for the task: nothing was sent.
    Busy(Busy),
}

/// How a job ended.
#[derive(Debug)]
pub enum JobOutcome {
    /// The task reads the action's stage, or the job started and no wait was asked for.
    /// `job_id` is None when the service refused because the task was already there.
    Done {
        job_id: Option<String>,
        stage: Option<String>,
        warnings: Diagnostics,
    },
    /// The task or its instance does not exist (only with `gone_ends_it`).
    Gone(Gone),
    /// Certainly nothing happened.
    NotDone {
        diagnostic: Diagnostic,
        cause: Failure,
    },
    /// The job happened, or may have, but did not end well; its ID when one is known.
    Uncertain {
        job_id: Option<String>,
        diagnostic: Diagnostic,
        cause: Failure,
    },
}

/// When the task was found missing.
#[derive(Debug)]
pub enum Gone {
    /// The service refused the request: no such task or instance.
    Refused(ApiError),
    /// It disappeared while the job ran.
    DuringWait,
}

impl Gone {
    /// The error for a caller to whom a missing task is a failure.
    pub fn failure(&self, action: Action, task: &TaskRef) -> Diagnostic {
        match self {
            Gone::Refused(err) => diagnose::api_failed(err, action, task),
            Gone::DuringWait => Diagnostic::error(
                format!(
                    "Task {:?} disappeared during the {}",
                    task.task,
                    action.verb()
                ),
                format!("Instance {:?} no longer lists the task.", task.instance),
            ),
        }
    }
}

/// What happened to a job, before anyone words it: one flight's result, shared by every
/// caller that joined it ([`flight`]), each wording it in its own terms.
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
    action: Action,
    task: &TaskRef,
    handed_over: Option<String>,
    policy: &(dyn Fn() -> Option<WaitPolicy> + Send + Sync),
    tell: JobObserver<'_>,
    cancel: &CancellationToken,
) -> Happened {
    let job_id = match handed_over {
        Some(job_id) => {
            tracing::info!(
                action = action.verb(),
                instance_id = %task.instance,
                task_name = %task.task,
                job_id = %job_id,
                "waiting for the {} job a replaced resource recorded instead of sending \
                 another", action.verb()
            );
            job_id
        }
        None => match start(action, client, task, cancel).await {
            Ok(job) => {
                tracing::info!(
                    action = action.verb(),
                    instance_id = %task.instance,
                    task_name = %task.task,
                    job_id = %job.job_id,
                    request_id = job.request_id.as_deref().unwrap_or(""),
                    "{} replication task", action.done()
                );
                job.job_id
            }
            Err(err) => {
                let mut already_there = None;
                if !err.may_have_been_processed() && refused::may_mean_already_there(&err) {
                    already_there =
                        refused::stage_if_already_there(client, task, action.target(), cancel)
                            .await;
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
        stage: action.target(),
    };
    let observe_wait = |event: WaitEvent| tell(JobEvent::Wait(event));
    let forever = deadline_after(Duration::MAX);
    let waited = wait::wait_observed(client, target, forever, policy, cancel, &observe_wait).await;
    Happened::Started {
        job_id,
        waited: Some(waited),
    }
}

/// What one caller saw of a flight, to word its own end when it stops waiting first.
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
/// then (if asked) waits until the task reads the action's stage, within this caller's
/// timeout and cancellation.
pub async fn run(
    client: &ApiClient,
    request: JobRequest<'_>,
    cancel: &CancellationToken,
) -> JobOutcome {
    let JobRequest {
        action,
        task,
        timeout,
        wait,
        gone_ends_it,
        aftermath,
        observer,
    } = request;
    let op = Operation { action, task };
    let tell = |event: &JobEvent| {
        if let Some(observer) = observer {
            observer(event.clone());
        }
    };
    let mut joined = match flight::join(client, action, task, wait) {
        Ok(joined) => joined,
        Err(busy) => {
            return JobOutcome::NotDone {
                diagnostic: diagnose::busy(&busy, op, aftermath),
                cause: Failure::Busy(busy),
            };
        }
    };
    let deadline = DeadlineToken::new(cancel, deadline_after(timeout));
    let words = Words {
        op,
        timeout,
        gone_ends_it,
        aftermath,
    };
    let mut seen = Seen::new();
    loop {
        tokio::select! {
            message = joined.next() => match message {
                Some(Message::Event(event)) => {
                    seen.note(&event);
                    tell(&event);
                    if let (JobEvent::Started { job_id }, None) = (&event, wait) {
                        return JobOutcome::Done {
                            job_id: Some(job_id.clone()),
                            stage: None,
                            warnings: Diagnostics::new(),
                        };
                    }
                }
                Some(Message::End(happened)) => {
                    return words.outcome(&happened, &seen, deadline.expired());
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
        return JobOutcome::Uncertain {
            diagnostic: diagnose::wait_failed(&err, op, aftermath, &job_id),
            job_id: Some(job_id),
            cause: Failure::Wait(err),
        };
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
                Message::End(happened) => return words.outcome(&happened, &seen, expired),
            }
        }
    }
    // Other callers still wait for the answer to the request: it may be carried out.
    let err = ApiError::Interrupted {
        endpoint: client.endpoint().to_string(),
    };
    JobOutcome::Uncertain {
        job_id: None,
        diagnostic: diagnose::uncertain(&err, op, aftermath, expired),
        cause: Failure::Api(err),
    }
}

/// How one caller words a flight's outcome.
struct Words<'a> {
    op: Operation<'a>,
    timeout: Duration,
    gone_ends_it: bool,
    aftermath: &'a Aftermath,
}

impl Words<'_> {
    /// `expired`: this caller's timeout ran out.
    fn outcome(&self, happened: &Happened, seen: &Seen, expired: bool) -> JobOutcome {
        let Words {
            op,
            timeout,
            gone_ends_it,
            aftermath,
        } = *self;
        let Operation { action, task } = op;
        match happened {
            Happened::NotStarted { err, .. } if gone_ends_it && err.is_task_gone() => {
                JobOutcome::Gone(Gone::Refused(err.clone()))
            }
            Happened::NotStarted { err, .. } if err.may_have_been_processed() => {
                JobOutcome::Uncertain {
                    job_id: None,
                    diagnostic: diagnose::uncertain(err, op, aftermath, expired),
                    cause: Failure::Api(err.clone()),
                }
            }
            Happened::NotStarted {
                err,
                already_there: Some(stage),
            } if refused::may_mean_already_there(err) => JobOutcome::Done {
                job_id: None,
                warnings: diagnose::already_at_target(err, op, stage).into(),
                stage: Some(stage.clone()),
            },
            Happened::NotStarted { err, .. }
                if expired && !refused::may_mean_already_there(err) =>
            {
                JobOutcome::NotDone {
                    diagnostic: diagnose::timed_out_before_sending(op, aftermath, timeout),
                    cause: Failure::TimedOutBeforeSending,
                }
            }
            Happened::NotStarted { err, .. } => JobOutcome::NotDone {
                diagnostic: diagnose::api_failed(err, action, task),
                cause: Failure::Api(err.clone()),
            },
            Happened::Started {
                job_id,
                waited: None,
            } => JobOutcome::Done {
                job_id: Some(job_id.clone()),
                stage: None,
                warnings: Diagnostics::new(),
            },
            Happened::Started {
                job_id,
                waited: Some(Ok(waited)),
            } => JobOutcome::Done {
                warnings: waited
                    .job_unreadable
                    .as_ref()
                    .map(|err| diagnose::job_unreadable(err, op))
                    .into_iter()
                    .collect(),
                job_id: Some(job_id.clone()),
                stage: Some(waited.stage.clone()),
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
                JobOutcome::Uncertain {
                    diagnostic: diagnose::wait_failed(&err, op, aftermath, job_id),
                    job_id: Some(job_id.clone()),
                    cause: Failure::Wait(err),
                }
            }
        }
    }
}
