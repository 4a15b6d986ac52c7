//! terraform-provider-taurusdb: a Terraform/OpenTofu provider, in Rust, that pauses
//! Huawei Cloud TaurusDB HTAP (StarRocks) data synchronization tasks.
//!
//! The provider is built from crates of its own (see ARCHITECTURE.md): `tfplugin`
//! (Terraform's protocol and go-plugin serving), `taurusdb-api` (the REST client and the
//! job flow), `taurusdb-grpc` (the typed gRPC API), `taurusdb-sim` (the simulator) and
//! `stdx`. This crate holds what is the provider's:
//! - [`taurusdb`]: the provider and its resources;
//! - [`docs`]: the `docs` command, the registry's pages from the served schemas and
//!   `templates/`;

pub mod docs;
pub mod taurusdb;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

pub use taurusdb::provider::Audience;
use tfplugin::plugin;
use tfplugin::tf;
use tfplugin::tf::service::StopScope;

/// The provider's own log lines: every crate it is built from, under `@module` `taurusdb`
/// and at every level TF_LOG asks for (other libraries only at WARN and above).
pub const OWN_EVENTS: tfplugin::logging::OwnEvents = tfplugin::logging::OwnEvents {
    module: "taurusdb",
    crates: &[
        "taurusdb_provider",
        "terraform_provider_taurusdb",
        "tfplugin",
        "taurusdb_api",
        "taurusdb_grpc",
        "taurusdb_sim",
        "stdx",
    ],
};

/// The provider's gRPC routes for `audience`, ready for any of the serving modes.
/// StopProvider cancels the process's work for Terraform, the calling connection's for
/// `serve`'s clients.
pub fn provider_routes(audience: Audience) -> plugin::serve::Served {
    let provider = Arc::new(taurusdb::TaurusDbProvider::new().for_audience(audience));
    let stop = match audience {
        Audience::Terraform => StopScope::Process,
        Audience::Clients { .. } => StopScope::Connection,
    };
    routes_for(provider, stop)
}

/// Routes serving a given provider instance (tests inject their environment). The
/// returned token cancels every in-flight request's work; the server fires it when it
/// stops (GRPCController.Shutdown or a signal).
pub fn provider_routes_for(provider: Arc<dyn tf::provider::Provider>) -> plugin::serve::Served {
    routes_for(provider, StopScope::Process)
}

fn routes_for(provider: Arc<dyn tf::provider::Provider>, stop: StopScope) -> plugin::serve::Served {
    let cancel_work = CancellationToken::new();
    let service = tf::service::ProviderService::new(provider)
        .cancelled_by(cancel_work.clone())
        .stop_scope(stop);
    plugin::serve::Served::new(cancel_work).with_service(service.into_server(), true)
}

/// `serve`'s routes: the provider for its clients (StopProvider cancels only the calling
/// connection's work), plus the typed `taurusdb.replication.v1.Replication` API acting
/// with the server's own configuration (`api`), all described to gRPC server reflection.
pub fn standalone_routes(
    audience: Audience,
    api: taurusdb_grpc::ServerApi,
) -> plugin::serve::Served {
    standalone_routes_for(
        Arc::new(taurusdb::TaurusDbProvider::new().for_audience(audience)),
        api,
    )
}

/// [`standalone_routes`] for a given provider instance (tests inject their environment).
pub fn standalone_routes_for(
    provider: Arc<dyn tf::provider::Provider>,
    api: taurusdb_grpc::ServerApi,
) -> plugin::serve::Served {
    let served = routes_for(provider, StopScope::Connection);
    let configured = api.is_configured();
    let replication =
        taurusdb_grpc::ReplicationService::new(api, served.cancel_work.clone()).into_server();
    served
        .with_service(replication, configured)
        .with_descriptors(tfplugin::proto::TFPLUGIN6_DESCRIPTOR_SET)
        .with_descriptors(taurusdb_grpc::proto::FILE_DESCRIPTOR_SET)
}
