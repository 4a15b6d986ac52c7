//! Running one pause or resume for the typed API: the provider's own job flow
//! ([`job::run`]: one request, retries only while provably not processed, the wait on
//! the task's stage), in a task of its own. So it always ends, and says how, even when
//! nobody is left to hear it: a client that goes away cancels the job (as StopProvider
//! does), and the outcome, job ID included, is logged; the server's stop cancels it the
//! same way after the grace period.

use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};
use tonic::Status;

use crate::proto::replication::v1 as pb;
use crate::taurusdb::grpc::access::Access;
use crate::taurusdb::grpc::convert;
use crate::taurusdb::grpc::error::{CallError, JobFailure, Outcome};
pub use crate::taurusdb::grpc::events::EventStream;
use crate::taurusdb::grpc::events::{EventSink, WATCH_BACKLOG, watch_channel};
use crate::taurusdb::grpc::request::JobCall;
use crate::taurusdb::task::Action;
use crate::taurusdb::task::diagnose::Aftermath;
use crate::taurusdb::task::job::{self, Failure, Gone, JobEvent, JobOutcome, JobRequest};
use taurusdb_api::wait::WaitError;

/// One pause or resume to run.
pub struct JobSpec {
    pub action: Action,
    pub call: JobCall,
    pub access: Access,
}

/// A job running in its own task. Dropping it (the client went away) cancels the job,
/// which then ends and logs its outcome.
pub struct RunningJob {
    handle: JoinHandle<Result<pb::JobResult, CallError>>,
    cancel_on_drop: Option<DropGuard>,
}

impl RunningJob {
    /// Starts `spec`; `shutdown` cancels it when the server stops.
    pub fn spawn(spec: JobSpec, shutdown: &CancellationToken) -> Self {
        let cancel = shutdown.child_token();
        let cancel_on_drop = Some(cancel.clone().drop_guard());
        let shutdown = shutdown.clone();
        let handle = tokio::spawn(async move { run(spec, &cancel, &shutdown, None).await });
        Self {
            handle,
            cancel_on_drop,
        }
    }

    /// How the job ended.
    pub async fn finish(mut self) -> Result<pb::JobResult, CallError> {
        let joined = (&mut self.handle).await;
        if let Some(guard) = self.cancel_on_drop.take() {
            guard.disarm();
        }
        joined.unwrap_or_else(|err| {
            Err(CallError::Internal(format!(
                "the job's task ended without an answer: {err}"
            )))
        })
    }
}

/// Starts `spec`, streaming what happens; the stream ends with exactly one completed
/// event or an error status. A client that drops the stream cancels the job; one that
/// reads slowly or not at all holds at most [`WATCH_BACKLOG`] events (the oldest
/// progress gives way, never the outcome).
pub fn spawn_watched(spec: JobSpec, shutdown: &CancellationToken) -> EventStream {
    let (sink, events) = watch_channel(WATCH_BACKLOG);
    let cancel = shutdown.child_token();
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        let last = match run(spec, &cancel, &shutdown, Some(&sink)).await {
            Ok(result) => Ok(convert::completed(result)),
            Err(err) => Err(Status::from(err)),
        };
        // A client that went away hears nothing; the outcome was logged.
        sink.finish(last);
    });
    events
}

/// What the typed API tells a client when a job fails or may have happened.
fn aftermath() -> Aftermath {
    Aftermath {
        bound: "timeout".to_string(),
        if_uncertain: "Check the task's stage with ListTasks, or call again: a task that \
                       already reads the target stage is reported as done.",
        if_not_sent: "Nothing was sent; call again",
        if_job_failed: |job_id| {
            format!(
                "Job {job_id} was started. Check the task's stage with ListTasks and the job \
                 with GetJob."
            )
        },
    }
}

async fn run(
    spec: JobSpec,
    cancel: &CancellationToken,
    shutdown: &CancellationToken,
    events: Option<&EventSink>,
) -> Result<pb::JobResult, CallError> {
    let JobSpec {
        action,
        call,
        access,
    } = spec;
    let tell = |event: JobEvent| {
        if let Some(sink) = events {
            sink.progress(convert::event(event));
        }
    };
    let aftermath = aftermath();
    let request = JobRequest {
        action,
        task: &call.task,
        timeout: call.timeout,
        wait: call.wait.then_some(access.wait_policy),
        gone_ends_it: false,
        aftermath: &aftermath,
        observer: Some(&tell),
    };
    let job = job::run(&access.client, request, cancel);
    // A watcher that drops its stream cancels the job; the job still ends and is logged.
    let watcher_gone = async {
        if let Some(sink) = events {
            sink.closed().await;
            cancel.cancel();
        }
        std::future::pending::<JobOutcome>().await
    };
    let outcome = tokio::select! {
        outcome = job => outcome,
        never = watcher_gone => never,
    };
    let client_gone = cancel.is_cancelled() && !shutdown.is_cancelled();
    let result = answer(outcome, action, &call, shutdown.is_cancelled());
    log_end(&result, action, &call, client_gone);
    result
}

/// The job's outcome as the answer to the call.
fn answer(
    outcome: JobOutcome,
    action: Action,
    call: &JobCall,
    shutting_down: bool,
) -> Result<pb::JobResult, CallError> {
    let failed = |outcome, job_id, cause, message: String| {
        Err(CallError::Job(Box::new(JobFailure {
            outcome,
            job_id,
            cause,
            shutting_down,
            message,
        })))
    };
    match outcome {
        JobOutcome::Done {
            job_id,
            stage,
            warnings,
        } => Ok(pb::JobResult {
            already_there: job_id.is_none(),
            job_id: job_id.unwrap_or_default(),
            stage: stage.unwrap_or_default(),
            warnings: warnings
                .iter()
                .map(|d| format!("{}: {}", d.summary, d.detail))
                .collect(),
        }),
        JobOutcome::NotDone { diagnostic, cause } => failed(
            Outcome::NotDone,
            None,
            cause,
            format!("{}: {}", diagnostic.summary, diagnostic.detail),
        ),
        JobOutcome::Uncertain {
            job_id,
            diagnostic,
            cause,
        } => {
            let message = match (&cause, &job_id) {
                (Failure::Wait(WaitError::Cancelled), Some(id)) => {
                    stopped_waiting(action, call, id, shutting_down)
                }
                _ => format!("{}: {}", diagnostic.summary, diagnostic.detail),
            };
            failed(Outcome::Uncertain, job_id, cause, message)
        }
        JobOutcome::Gone(gone) => {
            let diagnostic = gone.failure(action, &call.task);
            let message = format!("{}: {}", diagnostic.summary, diagnostic.detail);
            match gone {
                Gone::Refused(err) => failed(Outcome::NotDone, None, Failure::Api(err), message),
                Gone::DuringWait => failed(
                    Outcome::Uncertain,
                    None,
                    Failure::Wait(WaitError::TaskGone {
                        task_name: call.task.task.clone(),
                    }),
                    message,
                ),
            }
        }
    }
}

/// The message for a wait cut short by the server's stop or the client.
fn stopped_waiting(action: Action, call: &JobCall, job_id: &str, shutting_down: bool) -> String {
    let who = if shutting_down {
        "This server is shutting down"
    } else {
        "The call was cancelled"
    };
    let verb = action.verb();
    format!(
        "{who}: it stopped waiting for the {verb} of task {:?}. Job {job_id} was started and \
         may still complete, so the {verb} may or may not have happened. Check the task's \
         stage with ListTasks and the job with GetJob.",
        call.task.task,
    )
}

/// The record of how the job ended: the only one when the client went away.
fn log_end(
    result: &Result<pb::JobResult, CallError>,
    action: Action,
    call: &JobCall,
    client_gone: bool,
) {
    let task = &call.task;
    match result {
        Ok(done) => tracing::info!(
            action = action.verb(),
            project_id = %task.project,
            instance_id = %task.instance,
            task_name = %task.task,
            job_id = %done.job_id,
            stage = %done.stage,
            "typed API: {} replication task", action.done()
        ),
        Err(err) => {
            let (outcome, job_id) = match err {
                CallError::Job(failure) => (
                    failure.outcome.as_str(),
                    failure.job_id.clone().unwrap_or_default(),
                ),
                _ => ("not-done", String::new()),
            };
            tracing::warn!(
                action = action.verb(),
                project_id = %task.project,
                instance_id = %task.instance,
                task_name = %task.task,
                job_id = %job_id,
                outcome,
                client_gone,
                error = %err,
                "typed API: the {} did not end well{}",
                action.verb(),
                if client_gone { " (the client went away before the answer)" } else { "" }
            );
        }
    }
}
