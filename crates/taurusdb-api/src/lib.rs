//! A plain async client of the TaurusDB REST API. It knows nothing of Terraform:
//! callers get typed results or an [`ApiError`].

pub mod auth;
pub mod ca_file;
pub mod client;
pub mod deadline;
pub mod default_project;
pub mod endpoint;
pub mod error;
pub mod filter;
pub mod issuers;
pub mod job;
pub mod listing;
pub mod names;
pub mod pages;
pub mod poll_schedule;
pub mod project;
pub mod response;
pub mod retry;
pub mod secret;
pub mod setting_values;
pub mod settings;
pub mod signer;
pub mod task_ref;
pub mod task_watch;
pub mod temporary;
pub mod transport;
pub mod wait;
pub mod wire;

pub use auth::{Credentials, Domain, IamPassword, IamUser, ProjectScope};
pub use client::{ApiClient, ClientId};
pub use default_project::DefaultProject;
pub use error::ApiError;
pub use job::{JobKind, JobOutcome};
pub use listing::{TaskList, UnreadableTasks};
pub use secret::Secret;
pub use setting_values::{SettingValue, SettingValues};
pub use task_ref::TaskRef;
pub use temporary::TemporaryCredentials;
pub use transport::ClientConfig;
pub use wire::{Job, JobStarted, JobStatus, ReplicationTask};
