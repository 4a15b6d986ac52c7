//! The product: the `taurusdb` provider, its resources, list resources and data sources,
//! and the API client they use.

pub mod action;
pub mod api;
pub mod config;
pub mod discovery;
pub mod handle;
pub mod pause;
pub mod provider;
pub mod task;

pub use provider::{PROVIDER_ADDRESS, TaurusDbProvider};
