//! Working on one replication task, for whichever caller does it: the pause resource
//! today, an action or another gRPC service tomorrow. The attributes that name a task,
//! the "start a job, then wait" flow ([`job`]), one job for identical calls at the same
//! time ([`flight`]), a refusal that may mean the task is
//! already there ([`refused`]), and what the user reads when something fails
//! ([`diagnose`]).

pub mod diagnose;
pub mod flight;
pub mod job;
pub mod refused;

use taurusdb_api::wait::TargetStage;

/// The attributes that name a task, the same in every schema that names one.
pub mod attrs {
    pub const INSTANCE_ID: &str = "instance_id";
    pub const TASK_NAME: &str = "task_name";
    pub const PROJECT_ID: &str = "project_id";
}

/// What a job does to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pause,
    Resume,
}

impl Action {
    /// The verb in messages: "pause", "resume".
    pub fn verb(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
        }
    }

    /// What it did: "paused", "resumed".
    pub fn done(self) -> &'static str {
        match self {
            Action::Pause => "paused",
            Action::Resume => "resumed",
        }
    }

    /// The stage that shows the job is done.
    pub fn target(self) -> TargetStage {
        match self {
            Action::Pause => TargetStage::Paused,
            Action::Resume => TargetStage::Replicating,
        }
    }
}
