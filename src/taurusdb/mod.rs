//! The product: the `taurusdb` provider, its resources and the API client they use.

pub mod api;
pub mod config;
pub mod diagnose;
pub mod pause;
pub mod provider;

pub use provider::{PROVIDER_ADDRESS, TaurusDbProvider};
