//! The provider's task vocabulary: what every resource, action, list resource, data
//! source and the typed API say about one replication task, in Terraform's terms. The
//! attributes that name a task ([`attrs`]), their checks ([`validate`]), the import ID
//! ([`ImportId`]) and the identity ([`identity`]) that name it, and what the user reads
//! when a job on it (the flow is [`taurusdb_api::job`]) or a read fails ([`diagnose`]).
//!
//! Nothing here belongs to one resource: a second resource reuses it without importing
//! `pause/`. What has no Terraform types lives in `taurusdb-api`: the job flow, the
//! API's name rules ([`taurusdb_api::names`]) and the task-list filter
//! ([`taurusdb_api::filter`]).

pub mod diagnose;
pub mod identity;
pub mod import_id;
pub mod validate;

pub use import_id::ImportId;

/// The attributes that name a task, the same in every schema that names one.
pub mod attrs {
    pub const INSTANCE_ID: &str = "instance_id";
    pub const TASK_NAME: &str = "task_name";
    pub const PROJECT_ID: &str = "project_id";
}
