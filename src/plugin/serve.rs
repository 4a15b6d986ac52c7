//! Serving gRPC routes the way a go-plugin host expects, and the other ways to serve
//! them (Terraform's debug/reattach mode and a standalone listener for any client).
//!
//! Every mode stops the same way: in-flight work is cancelled first (so an apply
//! answers with what it did, job ID included), then the server stops accepting and
//! gives responses a grace period before connections are cut.

use std::io::{self, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic_health::ServingStatus;

use crate::plugin::accept::incoming;
use crate::plugin::auth::BearerToken;
use crate::plugin::conn::Listener;
use crate::plugin::handshake::{self, HandshakeError, ListenAddr};
use crate::plugin::host_services::{Controller, Stdio};
use crate::plugin::limits::Limits;
use crate::plugin::requests::RequestLayer;
use crate::plugin::signals::spawn_signal_handlers;
use crate::plugin::socket::{PrivateSocket, PublishedSocket, SocketError};
use crate::plugin::standalone::{ListenOn, StandaloneConfig};
use crate::plugin::tls::{self, ServerIdentity, TlsError};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    #[error("AutoMTLS setup failed: {0}")]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Socket(#[from] SocketError),
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: String, source: io::Error },
    #[error("could not write to stdout: {0}")]
    Stdout(io::Error),
    #[error("the gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// How long responses may still be sent after the server starts stopping.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// The routes to serve and the token that cancels their in-flight work (fired first
/// when the server stops).
pub struct Served {
    pub routes: Routes,
    pub cancel_work: CancellationToken,
}

/// How a listener's clients connect.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub bearer: Option<BearerToken>,
    pub limits: Limits,
}

/// Environment the host hands to its plugin.
#[derive(Debug, Clone, Default)]
pub struct HostEnv {
    pub protocol_versions: Option<String>,
    pub client_cert_pem: Option<String>,
    /// go-plugin's PLUGIN_UNIX_SOCKET_DIR (for sandboxes).
    pub socket_dir: Option<PathBuf>,
}

impl HostEnv {
    pub fn from_process() -> Self {
        Self {
            protocol_versions: std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok(),
            client_cert_pem: std::env::var("PLUGIN_CLIENT_CERT")
                .ok()
                .filter(|pem| !pem.trim().is_empty()),
            socket_dir: socket_dir_from_env(),
        }
    }
}

fn socket_dir_from_env() -> Option<PathBuf> {
    std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

/// Plugin mode: negotiate, listen, print the handshake line, serve until the host
/// calls Shutdown or a stopping signal arrives. SIGINT is ignored (the host sends it to
/// the whole process group on Ctrl-C and then calls StopProvider itself), as go-plugin
/// does. The socket lives in a fresh 0700 directory inside PLUGIN_UNIX_SOCKET_DIR (or
/// the temp dir), so only its owner can connect whatever the umask.
pub async fn serve_plugin(served: Served, env: HostEnv) -> Result<(), ServeError> {
    let version = handshake::negotiate(env.protocol_versions.as_deref())?;
    let tls = match &env.client_cert_pem {
        Some(pem) => {
            let identity = ServerIdentity::generate()?;
            let config = tls::server_config(&identity, pem)?;
            Some((identity.cert_der, config))
        }
        None => None,
    };
    let shutdown = CancellationToken::new();
    spawn_signal_handlers(shutdown.clone(), false);
    let parent = env.socket_dir.unwrap_or_else(std::env::temp_dir);
    let (socket, listener) = PrivateSocket::bind_in(parent).await?;
    let addr = ListenAddr::Unix(socket.path().display().to_string());
    let line = handshake::handshake_line(&addr, tls.as_ref().map(|(der, _)| der.as_ref()));
    print_line(&line)?;
    tracing::debug!(
        protocol_version = version,
        address = %addr,
        auto_mtls = tls.is_some(),
        "plugin server listening"
    );
    let options = ServeOptions {
        tls: tls.map(|(_, config)| config),
        ..ServeOptions::default()
    };
    let result = serve_routes(served, Listener::Unix(listener), options, shutdown).await;
    drop(socket);
    result
}

/// Debug mode: serve plaintext on a unix socket in a private directory and print the
/// TF_REATTACH_PROVIDERS value that makes Terraform use this process instead of
/// starting its own.
pub async fn serve_debug(served: Served, provider_address: &str) -> Result<(), ServeError> {
    let shutdown = CancellationToken::new();
    spawn_signal_handlers(shutdown.clone(), true);
    let parent = socket_dir_from_env().unwrap_or_else(std::env::temp_dir);
    let (socket, listener) = PrivateSocket::bind_in(parent).await?;
    let reattach = serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "unix", "String": socket.path().display().to_string()},
        }
    });
    // A person reads this; if they close the pipe, keep serving the Terraform they
    // pointed at the socket.
    if let Err(err) = print_line(&format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment \
         variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'"
    )) {
        tracing::warn!(error = %err, "could not print the reattach instructions");
    }
    let result = serve_routes(
        served,
        Listener::Unix(listener),
        ServeOptions::default(),
        shutdown,
    )
    .await;
    drop(socket);
    result
}

/// Standalone mode for any gRPC client, as `config` (already checked) says.
pub async fn serve_standalone(served: Served, config: StandaloneConfig) -> Result<(), ServeError> {
    let shutdown = CancellationToken::new();
    spawn_signal_handlers(shutdown.clone(), true);
    let options = ServeOptions {
        tls: config.tls,
        bearer: config.bearer,
        limits: config.limits,
    };
    let tls = options.tls.is_some();
    match config.listen {
        ListenOn::Unix(path) => {
            let (socket, listener) = PublishedSocket::publish(path).await?;
            print_line(&format!(
                "serving tfplugin6 on unix:{}",
                socket.path().display()
            ))?;
            tracing::info!(
                address = %socket.path().display(),
                tls,
                client_auth = config.client_auth,
                "serving"
            );
            let result = serve_routes(served, Listener::Unix(listener), options, shutdown).await;
            drop(socket);
            result
        }
        ListenOn::Tcp(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::Listen {
                    addr: addr.to_string(),
                    source,
                })?;
            let local = listener.local_addr().map_err(|source| ServeError::Listen {
                addr: addr.to_string(),
                source,
            })?;
            print_line(&format!("serving tfplugin6 on {local}"))?;
            tracing::info!(address = %local, tls, client_auth = config.client_auth, "serving");
            serve_routes(served, Listener::Tcp(listener), options, shutdown).await
        }
    }
}

/// Serves `routes` plus health, controller and stdio on `listener` until `shutdown`;
/// then cancels in-flight work and gives responses [`SHUTDOWN_GRACE`] to go out.
pub async fn serve_routes(
    served: Served,
    listener: Listener,
    options: ServeOptions,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let Served {
        routes,
        cancel_work,
    } = served;
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", ServingStatus::Serving)
        .await;
    let limits = options.limits;
    let router = Server::builder()
        .http2_keepalive_interval(Some(limits.keepalive_interval))
        .http2_keepalive_timeout(Some(limits.keepalive_timeout))
        .layer(RequestLayer::new(options.bearer))
        .add_routes(routes)
        .add_service(health)
        .add_service(Controller::server(cancel_work.clone(), shutdown.clone()))
        .add_service(Stdio::server(shutdown.clone()));
    let stopping = {
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            // Whatever stopped us (Shutdown, a signal): running applies answer first.
            cancel_work.cancel();
        }
    };
    let serve =
        router.serve_with_incoming_shutdown(incoming(listener, options.tls, limits), stopping);
    // Graceful shutdown waits for clients to acknowledge; a host that stopped
    // reading must not keep the process alive (go-plugin kills it after 2 s anyway).
    let grace_over = async {
        shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = serve => result?,
        () = grace_over => tracing::debug!("shutdown grace period over; closing connections"),
    }
    tracing::debug!("plugin server stopped");
    Ok(())
}

/// Writes `line` and its newline to stdout in one write, then flushes.
fn print_line(line: &str) -> Result<(), ServeError> {
    let mut stdout = io::stdout().lock();
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(ServeError::Stdout)
}
