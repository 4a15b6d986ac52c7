//! Why a call of the typed API failed, as data, before it becomes a gRPC status
//! ([`status`](super::status) decides the code, the details and the trailers).

use std::time::Duration;

use taurusdb_api::ApiError;
use taurusdb_api::job::{Gone, NotDone, Uncertain};

/// A failed call.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// A request field is invalid.
    #[error("invalid {field}: {field} {problem}")]
    InvalidArgument {
        field: &'static str,
        problem: String,
    },
    /// The server has no TaurusDB configuration to act with; says what to set.
    #[error("{0}")]
    NotConfigured(String),
    /// A read (the task list, a job) failed.
    #[error("could not {what}: TaurusDB API error: {err}")]
    Read { what: String, err: ApiError },
    /// What is left of the call's deadline cannot cover one request and its answer:
    /// refused before anything was sent.
    #[error(
        "the call's deadline leaves {left:?}, less than the {minimum:?} a pause or resume \
         needs for its request and answer (with some room for this answer): nothing was \
         sent; call again with a longer deadline"
    )]
    DeadlineTooShort { left: Duration, minimum: Duration },
    /// The jobs API does not know the job.
    #[error("TaurusDB knows no job {job_id:?} in project {project:?} (jobs are kept for a month)")]
    JobNotFound { project: String, job_id: String },
    /// A pause or resume did not end well.
    #[error("{}", .0.message)]
    Job(Box<JobFailure>),
    /// A bug: the job's task ended without an answer.
    #[error("{0}")]
    Internal(String),
}

/// A pause or resume that did not end well, and what is known of what it did.
#[derive(Debug)]
pub struct JobFailure {
    pub failed: Failed,
    /// The server was shutting down (rather than the client going away).
    pub shutting_down: bool,
    /// What happened, in full.
    pub message: String,
}

/// How a pause or resume failed: the job flow's typed outcome.
#[derive(Debug)]
pub enum Failed {
    NotDone(NotDone),
    Uncertain(Uncertain),
    /// The task or its instance does not exist.
    Gone(Gone),
}

impl Failed {
    /// What it left behind.
    pub fn outcome(&self) -> Outcome {
        match self {
            Failed::NotDone(_) | Failed::Gone(Gone::Refused(_)) => Outcome::NotDone,
            Failed::Uncertain(_) | Failed::Gone(Gone::DuringWait) => Outcome::Uncertain,
        }
    }

    /// The job the service started, when known.
    pub fn job_id(&self) -> Option<&str> {
        match self {
            Failed::Uncertain(uncertain) => uncertain.job_id(),
            Failed::NotDone(_) | Failed::Gone(_) => None,
        }
    }
}

/// What a failed pause or resume left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Certainly nothing happened: calling again is safe.
    NotDone,
    /// It happened, or may have.
    Uncertain,
}

impl Outcome {
    /// As the `taurusdb-outcome` trailer and ErrorInfo metadata say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NotDone => "not-done",
            Outcome::Uncertain => "uncertain",
        }
    }
}
