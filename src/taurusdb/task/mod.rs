//! Working on one replication task, for whichever caller does it: the pause resource
//! today, an action or another gRPC service tomorrow. The attributes that name a task,
//! the "start a job, then wait" flow ([`job`]), a refusal that may mean the task is
//! already there ([`refused`]), and what the user reads when something fails
//! ([`diagnose`]).

pub mod diagnose;
pub mod job;
pub mod refused;

/// The attributes that name a task, the same in every schema that names one.
pub mod attrs {
    pub const INSTANCE_ID: &str = "instance_id";
    pub const TASK_NAME: &str = "task_name";
    pub const PROJECT_ID: &str = "project_id";
}
