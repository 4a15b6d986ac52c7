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

use std::sync::Arc;

/// A provider binary's `main`, the way Terraform starts it: refuses to run without
/// Terraform's magic cookie (printing go-plugin's message), binds the private socket
/// before the runtime starts, then serves `provider` until Terraform stops it.
/// StopProvider cancels the process's in-flight work.
pub fn run_plugin(
    provider: Arc<dyn tf::provider::Provider>,
) -> Result<(), plugin::serve::ServeError> {
    use plugin::handshake::{self, HandshakeError, MAGIC_COOKIE_KEY, NOT_A_PLUGIN_MESSAGE};
    if !handshake::cookie_ok(std::env::var(MAGIC_COOKIE_KEY).ok().as_deref()) {
        eprint!("{NOT_A_PLUGIN_MESSAGE}");
        return Err(HandshakeError::NotStartedByHost.into());
    }
    let env = plugin::serve::HostEnv::from_process();
    let bound = plugin::socket::PrivateSocket::bind_in_blocking(&env.socket_parent())?;
    let cancel_work = tokio_util::sync::CancellationToken::new();
    let service = tf::service::ProviderService::new(provider).cancelled_by(cancel_work.clone());
    let served = plugin::serve::Served::new(cancel_work).with_service(service.into_server(), true);
    tokio::runtime::Runtime::new()
        .map_err(plugin::serve::ServeError::Runtime)?
        .block_on(plugin::serve::serve_plugin(served, env, bound))
}
