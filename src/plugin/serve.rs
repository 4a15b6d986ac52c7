//! Serving gRPC routes the way a go-plugin host expects, and the other ways to serve
//! them (Terraform's debug/reattach mode and a standalone listener for any client).

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic_health::ServingStatus;

use crate::plugin::conn::{Listener, incoming};
use crate::plugin::handshake::{self, HandshakeError, ListenAddr};
use crate::plugin::host_services::{Controller, Stdio};
use crate::plugin::tls::{self, ServerIdentity, TlsError};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    #[error("AutoMTLS setup failed: {0}")]
    Tls(#[from] TlsError),
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: String, source: io::Error },
    #[error("could not write to stdout: {0}")]
    Stdout(io::Error),
    #[error("the gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// How long in-flight RPCs may finish after Shutdown before connections are cut.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Environment the host hands to its plugin.
#[derive(Debug, Clone, Default)]
pub struct HostEnv {
    pub protocol_versions: Option<String>,
    pub client_cert_pem: Option<String>,
}

impl HostEnv {
    pub fn from_process() -> Self {
        Self {
            protocol_versions: std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok(),
            client_cert_pem: std::env::var("PLUGIN_CLIENT_CERT")
                .ok()
                .filter(|pem| !pem.trim().is_empty()),
        }
    }
}

/// A unix socket path that is removed again when dropped.
struct SocketPath(PathBuf);

impl SocketPath {
    /// `plugin<random>` in PLUGIN_UNIX_SOCKET_DIR when the host sets it (go-plugin's
    /// knob for sandboxes), else in the temp dir, as go-plugin names its sockets.
    fn fresh() -> Self {
        let name = format!("plugin{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let dir = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        Self(dir.join(name))
    }

    fn bind(&self) -> Result<Listener, ServeError> {
        tokio::net::UnixListener::bind(&self.0)
            .map(Listener::Unix)
            .map_err(|source| ServeError::Listen {
                addr: self.0.display().to_string(),
                source,
            })
    }
}

impl Drop for SocketPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Plugin mode: negotiate, listen, print the handshake line, serve until the host
/// calls Shutdown or sends SIGTERM. SIGINT is ignored (the host sends it to the whole
/// process group on Ctrl-C and then calls StopProvider itself), as go-plugin does.
pub async fn serve_plugin(routes: Routes, env: HostEnv) -> Result<(), ServeError> {
    let version = handshake::negotiate(env.protocol_versions.as_deref())?;
    let tls = match &env.client_cert_pem {
        Some(pem) => {
            let identity = ServerIdentity::generate()?;
            let config = tls::server_config(&identity, pem)?;
            Some((identity.cert_der, config))
        }
        None => None,
    };
    let socket = SocketPath::fresh();
    let listener = socket.bind()?;
    let addr = ListenAddr::Unix(socket.0.display().to_string());
    let line = handshake::handshake_line(&addr, tls.as_ref().map(|(der, _)| der.as_ref()));
    print_line(&line)?;
    tracing::debug!(
        protocol_version = version,
        address = %addr,
        auto_mtls = tls.is_some(),
        "plugin server listening"
    );

    let shutdown = CancellationToken::new();
    spawn_signal_handlers(shutdown.clone(), false);
    let result = serve_routes(routes, listener, tls.map(|(_, config)| config), shutdown).await;
    drop(socket);
    result
}

/// Debug mode: serve plaintext on a unix socket and print the TF_REATTACH_PROVIDERS
/// value that makes Terraform use this process instead of starting its own.
pub async fn serve_debug(routes: Routes, provider_address: &str) -> Result<(), ServeError> {
    let socket = SocketPath::fresh();
    let listener = socket.bind()?;
    let reattach = serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "unix", "String": socket.0.display().to_string()},
        }
    });
    // A person reads this; if they close the pipe, keep serving the Terraform they
    // pointed at the socket.
    if let Err(err) = print_line(&format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'"
    )) {
        tracing::warn!(error = %err, "could not print the reattach instructions");
    }
    let shutdown = CancellationToken::new();
    spawn_signal_handlers(shutdown.clone(), true);
    let result = serve_routes(routes, listener, None, shutdown).await;
    drop(socket);
    result
}

/// Standalone mode for any gRPC client: plaintext on a TCP address or `unix:PATH`.
pub async fn serve_standalone(routes: Routes, listen: &str) -> Result<(), ServeError> {
    let shutdown = CancellationToken::new();
    spawn_signal_handlers(shutdown.clone(), true);
    if let Some(path) = listen.strip_prefix("unix:") {
        let socket = SocketPath(Path::new(path).to_path_buf());
        let listener = socket.bind()?;
        print_line(&format!("serving tfplugin6 on unix:{path}"))?;
        return serve_routes(routes, listener, None, shutdown).await;
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: listen.to_string(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: listen.to_string(),
        source,
    })?;
    print_line(&format!("serving tfplugin6 on {local}"))?;
    serve_routes(routes, Listener::Tcp(listener), None, shutdown).await
}

/// Serves `routes` plus health, controller and stdio on `listener` until `shutdown`.
pub async fn serve_routes(
    routes: Routes,
    listener: Listener,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", ServingStatus::Serving)
        .await;
    let router = Server::builder()
        .add_routes(routes)
        .add_service(health)
        .add_service(Controller::server(shutdown.clone()))
        .add_service(Stdio::server(shutdown.clone()));
    let serve = router
        .serve_with_incoming_shutdown(incoming(listener, tls), shutdown.clone().cancelled_owned());
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

/// SIGTERM always stops the server; SIGINT stops it only when `interrupt_stops`.
fn spawn_signal_handlers(shutdown: CancellationToken, interrupt_stops: bool) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        return;
    };
    let Ok(mut interrupt) = signal(SignalKind::interrupt()) else {
        return;
    };
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = interrupt.recv() => {
                    if interrupt_stops {
                        break;
                    }
                    tracing::debug!("ignoring SIGINT: the host stops plugins through the controller");
                }
                () = shutdown.cancelled() => return,
            }
        }
        shutdown.cancel();
    });
}
