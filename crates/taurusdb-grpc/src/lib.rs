//! The typed gRPC API for direct clients: `taurusdb.replication.v1.Replication`
//! (`proto/taurusdb/replication/v1/replication.proto` in this crate), served by the
//! provider's `serve` beside tfplugin6.Provider. It depends on `taurusdb-api` alone:
//! nothing of Terraform's protocol, the serving layer or the provider's configuration.
//!
//! It acts with the server's own TaurusDB configuration ([`access`]), never with a
//! client's, and reuses the provider's API client, retries, waits and "nothing lost"
//! rules through the shared job flow ([`taurusdb_api::job`]); it re-implements none of
//! them. One file per concern: [`request`] checks fields, [`run`] runs a job,
//! [`events`] carries a watched job's events to its client within a bound,
//! [`convert`] builds messages, [`words`] says what a job's outcome means, [`error`]
//! and [`status`] turn failures into statuses a client can act on, [`service`] ties
//! them together; [`proto`] holds the generated wire types. The provider hands it to
//! the server as routes.

pub mod access;
pub mod convert;
pub mod error;
pub mod events;
pub mod proto;
pub mod request;
pub mod run;
pub mod service;
pub mod status;
pub mod words;

pub use access::ServerApi;
pub use service::ReplicationService;
