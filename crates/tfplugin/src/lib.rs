//! Terraform's plugin protocol 6 and go-plugin serving, for a provider written in Rust.
//! Nothing here knows what a provider manages: a provider implements the traits of
//! [`tf::provider`] and hands its service to one of the serving modes of [`plugin`].
//!
//! - [`plugin`]: the go-plugin host interface (handshake, AutoMTLS, host services) and
//!   the standalone server (listeners, client authentication, connection limits);
//! - [`tf`]: Terraform's protocol (values, schemas, diagnostics, the gRPC service);
//! - [`session`]: the client connection a request came on, shared by `plugin` and `tf`;
//! - [`logging`]: tracing events as hclog JSON lines for Terraform's TF_LOG;
//! - [`proto`]: the generated wire types.
//!
//! README.md (beside this crate's Cargo.toml) has a complete example provider.

pub mod logging;
pub mod plugin;
pub mod proto;
pub mod session;
pub mod tf;
