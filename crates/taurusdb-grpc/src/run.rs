//! Running one pause or resume for the typed API: the provider's own job flow
//! ([`job::run`]: one request, retries only while provably not processed, the wait on
//! the task's stage), in a task of its own; its typed outcome becomes the answer, in
//! the words of [`words`](super::words). So it always ends, and says how, even when
//! nobody is left to hear it: a client that goes away cancels the job (as StopProvider
//! does), and the outcome, job ID included, is logged; the server's stop cancels it the
//! same way after the grace period.

use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};
use tonic::Status;

use crate::access::Access;
use crate::convert;
use crate::error::{CallError, Failed, JobFailure};
pub use crate::events::EventStream;
use crate::events::{EventSink, WATCH_BACKLOG, watch_channel};
use crate::proto::replication::v1 as pb;
use crate::request::JobCall;
use crate::words;
use taurusdb_api::job::{self, JobEvent, JobKind, JobOutcome, JobRequest};

/// One pause or resume to run.
pub struct JobSpec {
    pub kind: JobKind,
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

async fn run(
    spec: JobSpec,
    cancel: &CancellationToken,
    shutdown: &CancellationToken,
    events: Option<&EventSink>,
) -> Result<pb::JobResult, CallError> {
    let JobSpec { kind, call, access } = spec;
    let tell = |event: JobEvent| {
        if let Some(sink) = events {
            sink.progress(convert::event(event));
        }
    };
    let request = JobRequest {
        kind,
        task: &call.task,
        timeout: call.timeout,
        wait: call.wait.then_some(access.wait_policy),
        gone_ends_it: false,
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
    let result = answer(outcome, kind, &call, shutdown.is_cancelled());
    log_end(&result, kind, &call, client_gone);
    result
}

/// The job's outcome as the answer to the call.
fn answer(
    outcome: JobOutcome,
    kind: JobKind,
    call: &JobCall,
    shutting_down: bool,
) -> Result<pb::JobResult, CallError> {
    let task = &call.task;
    let (failed, message) = match outcome {
        JobOutcome::Done {
            job_id,
            stage,
            job_unreadable,
        } => {
            return Ok(pb::JobResult {
                already_there: false,
                job_id,
                stage: stage.unwrap_or_default(),
                warnings: job_unreadable
                    .iter()
                    .map(|err| words::job_unreadable(err, kind))
                    .collect(),
            });
        }
        JobOutcome::AlreadyThere { refusal, stage } => {
            return Ok(pb::JobResult {
                already_there: true,
                job_id: String::new(),
                warnings: vec![words::already_there(&refusal, kind, task, &stage)],
                stage,
            });
        }
        JobOutcome::NotDone(not_done) => {
            let message = words::not_done(&not_done, kind, task);
            (Failed::NotDone(not_done), message)
        }
        JobOutcome::Uncertain(uncertain) => {
            let message = words::uncertain(&uncertain, kind, task, shutting_down);
            (Failed::Uncertain(uncertain), message)
        }
        JobOutcome::Gone(gone) => {
            let message = words::gone(&gone, kind, task);
            (Failed::Gone(gone), message)
        }
    };
    Err(CallError::Job(Box::new(JobFailure {
        failed,
        shutting_down,
        message,
    })))
}

/// The record of how the job ended: the only one when the client went away.
fn log_end(
    result: &Result<pb::JobResult, CallError>,
    kind: JobKind,
    call: &JobCall,
    client_gone: bool,
) {
    let task = &call.task;
    match result {
        Ok(done) => tracing::info!(
            action = kind.verb(),
            project_id = %task.project,
            instance_id = %task.instance,
            task_name = %task.task,
            job_id = %done.job_id,
            stage = %done.stage,
            "typed API: {} replication task", kind.done()
        ),
        Err(err) => {
            let (outcome, job_id) = match err {
                CallError::Job(failure) => (
                    failure.failed.outcome().as_str(),
                    failure.failed.job_id().unwrap_or_default().to_string(),
                ),
                _ => ("not-done", String::new()),
            };
            tracing::warn!(
                action = kind.verb(),
                project_id = %task.project,
                instance_id = %task.instance,
                task_name = %task.task,
                job_id = %job_id,
                outcome,
                client_gone,
                error = %err,
                "typed API: the {} did not end well{}",
                kind.verb(),
                if client_gone { " (the client went away before the answer)" } else { "" }
            );
        }
    }
}
