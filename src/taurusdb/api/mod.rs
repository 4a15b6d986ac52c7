//! A plain async client of the TaurusDB REST API. It knows nothing of Terraform:
//! callers get typed results or an [`ApiError`].

pub mod client;
pub mod endpoint;
pub mod error;
pub mod secret;
pub mod signer;

pub use client::{ApiClient, ClientConfig, JobStarted};
pub use error::ApiError;
pub use secret::Secret;
