//! Start a pause or resume job, then wait until the task's stage shows it: the one flow
//! behind create, the in-place re-pause and the resume on destroy, ready for any other
//! caller (an action, a gRPC service).
//!
//! The answer to the request decides what is known: a job ID (then the wait, within
//! the same deadline, bounded by the caller's timeout and cancelled with its token), a
//! refusal that proves nothing happened, a refusal while the task already reads the
//! target (ends well, see [`refused`]), or an answer that does not prove whether the
//! service acted (uncertain: the caller must keep a record).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::taurusdb::api::deadline::{DeadlineToken, deadline_after};
use crate::taurusdb::api::wait::{self, WaitError, WaitEvent, WaitPolicy, WaitTarget};
use crate::taurusdb::api::{ApiClient, ApiError, JobStarted, TaskRef};
use crate::taurusdb::task::diagnose::{self, Aftermath, Operation};
use crate::taurusdb::task::{Action, refused};
use crate::tf::diagnostics::{Diagnostic, Diagnostics};

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

/// Starts the job, then (if asked) waits until the task reads the action's stage.
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
    let tell = |event: JobEvent| {
        if let Some(observer) = observer {
            observer(event);
        }
    };
    let deadline = DeadlineToken::new(cancel, deadline_after(timeout));
    let op = Operation { action, task };
    let job = match start(action, client, task, deadline.token()).await {
        Ok(job) => job,
        Err(err) if gone_ends_it && err.is_task_gone() => {
            return JobOutcome::Gone(Gone::Refused(err));
        }
        Err(err) if err.may_have_been_processed() => {
            return JobOutcome::Uncertain {
                job_id: None,
                diagnostic: diagnose::uncertain(&err, op, aftermath, deadline.expired()),
                cause: Failure::Api(err),
            };
        }
        Err(err) if refused::may_mean_already_there(&err) => {
            let already =
                refused::stage_if_already_there(client, task, action.target(), deadline.token())
                    .await;
            return match already {
                Some(stage) => {
                    tell(JobEvent::AlreadyThere {
                        stage: stage.clone(),
                    });
                    JobOutcome::Done {
                        job_id: None,
                        warnings: diagnose::already_at_target(&err, op, &stage).into(),
                        stage: Some(stage),
                    }
                }
                None => JobOutcome::NotDone {
                    diagnostic: diagnose::api_failed(&err, action, task),
                    cause: Failure::Api(err),
                },
            };
        }
        Err(_) if deadline.expired() => {
            let diagnostic = diagnose::timed_out_before_sending(op, aftermath, timeout);
            return JobOutcome::NotDone {
                diagnostic,
                cause: Failure::TimedOutBeforeSending,
            };
        }
        Err(err) => {
            return JobOutcome::NotDone {
                diagnostic: diagnose::api_failed(&err, action, task),
                cause: Failure::Api(err),
            };
        }
    };
    tell(JobEvent::Started {
        job_id: job.job_id.clone(),
    });
    tracing::info!(
        action = action.verb(),
        instance_id = %task.instance,
        task_name = %task.task,
        job_id = %job.job_id,
        request_id = job.request_id.as_deref().unwrap_or(""),
        "{} replication task", action.done()
    );
    let Some(policy) = wait else {
        return JobOutcome::Done {
            job_id: Some(job.job_id),
            stage: None,
            warnings: Diagnostics::new(),
        };
    };
    let target = WaitTarget {
        task,
        job_id: &job.job_id,
        stage: action.target(),
    };
    let observe_wait = |event: WaitEvent| tell(JobEvent::Wait(event));
    let waited = wait::wait_observed(
        client,
        target,
        deadline.deadline(),
        policy,
        cancel,
        &observe_wait,
    )
    .await;
    match waited {
        Ok(waited) => JobOutcome::Done {
            warnings: waited
                .job_unreadable
                .map(|err| diagnose::job_unreadable(&err, op))
                .into_iter()
                .collect(),
            job_id: Some(job.job_id),
            stage: Some(waited.stage),
        },
        Err(WaitError::TaskGone { .. }) if gone_ends_it => JobOutcome::Gone(Gone::DuringWait),
        // The job happened: its ID goes to the caller along with the error.
        Err(err) => JobOutcome::Uncertain {
            diagnostic: diagnose::wait_failed(&err, op, aftermath, &job.job_id),
            job_id: Some(job.job_id),
            cause: Failure::Wait(err),
        },
    }
}
