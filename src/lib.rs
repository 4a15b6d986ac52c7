//! terraform-provider-taurusdb: a Terraform/OpenTofu provider, in Rust, that pauses
//! Huawei Cloud TaurusDB HTAP (StarRocks) data synchronization tasks.
//!
//! Layers, outermost first (see ARCHITECTURE.md):
//! - [`plugin`]: the go-plugin host interface (handshake, AutoMTLS, host services);
//! - [`tf`]: Terraform's protocol (values, schemas, diagnostics, the gRPC service);
//! - [`taurusdb`]: the provider and its resources, with [`taurusdb::api`] the REST client;
//! - [`sim`]: an in-memory TaurusDB API for the demo and the tests;
//! - [`logging`]: tracing events as hclog JSON lines for Terraform's TF_LOG.

pub mod logging;
pub mod plugin;
pub mod proto;
pub mod sim;
pub mod taurusdb;
pub mod tf;

use std::sync::Arc;

/// The provider's gRPC routes, ready for any of the serving modes.
pub fn provider_routes() -> tonic::service::Routes {
    provider_routes_for(Arc::new(taurusdb::TaurusDbProvider::new()))
}

/// Routes serving a given provider instance (tests inject their environment).
pub fn provider_routes_for(provider: Arc<dyn tf::provider::Provider>) -> tonic::service::Routes {
    tonic::service::Routes::new(tf::service::ProviderService::new(provider).into_server())
}
