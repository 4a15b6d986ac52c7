//! The product: the `taurusdb` provider, its resources, actions, list resources and data
//! sources, the API client they use, and the typed gRPC API ([`grpc`]) that serves the
//! same operations to direct clients.

pub mod action;
pub mod config;
pub mod discovery;
pub mod handle;
pub mod pause;
pub mod provider;
pub mod serve_clients;
pub mod task;
pub mod typed_api_setup;

pub use provider::{PROVIDER_ADDRESS, TaurusDbProvider};
