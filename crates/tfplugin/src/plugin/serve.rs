//! Serving gRPC routes the way a go-plugin host expects, and the other ways to serve
//! them (Terraform's debug/reattach mode and a standalone listener for any client).
//!
//! Terraform's modes (plugin, debug) stop by cancelling in-flight work first (so an
//! apply answers with what it did, job ID included), then the server stops accepting and
//! gives responses a grace period before connections are cut. The standalone server
//! drains instead ([`ShutdownPolicy::Drain`]): it stops accepting, lets in-flight calls
//! finish within a grace period, and only then cancels what still runs.
//!
//! Beside the given routes every mode serves health (`plugin` and each route's full
//! service name); Terraform's modes also serve go-plugin's controller (Shutdown) and
//! stdio, which the standalone server does not (no client may stop it for everyone);
//! routes that come with their descriptors are also described by gRPC server reflection
//! (v1 and v1alpha).

use std::io::{self, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic::codegen::http;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic::transport::server::Router;
use tonic_health::ServingStatus;

use crate::plugin::accept::incoming;
use crate::plugin::auth::BearerToken;
use crate::plugin::conn::Listener;
use crate::plugin::handshake::{self, HandshakeError};
use crate::plugin::host_services::{Controller, Stdio};
use crate::plugin::limits::Limits;
use crate::plugin::requests::RequestLayer;
use crate::plugin::signals::spawn_signal_handlers;
#[cfg(unix)]
use crate::plugin::socket::PublishedSocket;
use crate::plugin::socket::{BoundSocket, PrivateSocket, SocketError};
#[cfg(not(unix))]
use crate::plugin::standalone::UNIX_SOCKETS_UNSUPPORTED;
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
    #[error("could not describe the services for reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("could not start the async runtime: {0}")]
    Runtime(io::Error),
}

/// How long responses may still be sent once in-flight work has been cancelled.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// How long `serve` lets in-flight calls finish when it stops, unless told otherwise.
pub const DEFAULT_DRAIN_GRACE: Duration = Duration::from_secs(10);

/// The health service name that stands for the whole plugin (go-plugin checks it).
pub const PLUGIN_HEALTH_NAME: &str = "plugin";

/// The routes to serve and the token that cancels their in-flight work (fired when the
/// server stops: at once, or after the drain's grace period).
pub struct Served {
    pub routes: Routes,
    pub cancel_work: CancellationToken,
    /// Each service's full name, and whether health reports it serving.
    pub services: Vec<(&'static str, bool)>,
    /// Encoded `FileDescriptorSet`s describing the services; reflection is served when
    /// there are any.
    pub descriptors: Vec<&'static [u8]>,
}

impl Served {
    /// No routes yet; `cancel_work` cancels their in-flight work.
    pub fn new(cancel_work: CancellationToken) -> Self {
        Self {
            routes: Routes::default(),
            cancel_work,
            services: Vec::new(),
            descriptors: Vec::new(),
        }
    }

    /// Adds `service`, which health reports under its full name, as serving or not.
    pub fn with_service<S>(mut self, service: S, serving: bool) -> Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = std::convert::Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.routes = self.routes.add_service(service);
        self.services.push((S::NAME, serving));
        self
    }

    /// Describes the services to gRPC server reflection with `descriptors` (an encoded
    /// `FileDescriptorSet`).
    pub fn with_descriptors(mut self, descriptors: &'static [u8]) -> Self {
        self.descriptors.push(descriptors);
        self
    }
}

/// What stopping does to calls still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShutdownPolicy {
    /// Cancel in-flight work at once (Terraform's modes: the host is waiting to go).
    #[default]
    CancelFirst,
    /// Stop accepting, let in-flight calls finish for `grace`, then cancel them.
    Drain { grace: Duration },
}

/// How a listener's clients connect, and how it stops.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub bearer: Option<BearerToken>,
    /// Lowered to fit the open-file limit when serving starts.
    pub limits: Limits,
    pub shutdown: ShutdownPolicy,
    /// The client is a go-plugin host (Terraform): serve go-plugin's controller
    /// (Shutdown stops the server) and stdio. Off for the standalone server, whose
    /// clients must not stop it for the others.
    pub go_plugin_host: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            tls: None,
            bearer: None,
            limits: Limits::default(),
            shutdown: ShutdownPolicy::default(),
            go_plugin_host: true,
        }
    }
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
    /// Where the plugin's private socket directory goes: PLUGIN_UNIX_SOCKET_DIR, or
    /// the temporary directory.
    pub fn socket_parent(&self) -> PathBuf {
        self.socket_dir.clone().unwrap_or_else(std::env::temp_dir)
    }

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
pub async fn serve_plugin(
    served: Served,
    env: HostEnv,
    bound: BoundSocket,
) -> Result<(), ServeError> {
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
    let (socket, listener) = bound.listen()?;
    let addr = socket.address();
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
    let result = serve_routes(served, Listener::from(listener), options, shutdown).await;
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
    let addr = socket.address();
    let reattach = serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": addr.network(), "String": addr.to_string()},
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
        Listener::from(listener),
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
        shutdown: ShutdownPolicy::Drain {
            grace: config.shutdown_grace,
        },
        go_plugin_host: false,
    };
    let tls = options.tls.is_some();
    match config.listen {
        // Refused when `serve`'s arguments are checked; kept so the match is whole.
        #[cfg(not(unix))]
        ListenOn::Unix(path) => Err(ServeError::Listen {
            addr: format!("unix:{}", path.display()),
            source: io::Error::new(io::ErrorKind::Unsupported, UNIX_SOCKETS_UNSUPPORTED),
        }),
        #[cfg(unix)]
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

/// Serves `routes` plus health (controller and stdio for a go-plugin host, reflection
/// when the routes come with descriptors) on `listener` until `shutdown`; then stops as
/// `options.shutdown` says, giving responses [`SHUTDOWN_GRACE`] once in-flight work is
/// cancelled.
pub async fn serve_routes(
    served: Served,
    listener: Listener,
    options: ServeOptions,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let Served {
        routes,
        cancel_work,
        services,
        descriptors,
    } = served;
    let (health_reporter, health) = tonic_health::server::health_reporter();
    // "" stands for the whole server; tonic-health reports it serving from the start.
    let health_names: Vec<&'static str> = ["", PLUGIN_HEALTH_NAME]
        .into_iter()
        .chain(services.iter().map(|(name, _)| *name))
        .collect();
    health_reporter
        .set_service_status(PLUGIN_HEALTH_NAME, ServingStatus::Serving)
        .await;
    for (name, serving) in &services {
        let status = if *serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        health_reporter.set_service_status(*name, status).await;
    }
    let limits = options.limits.within_open_file_limit();
    let mut router = Server::builder()
        .http2_keepalive_interval(Some(limits.keepalive_interval))
        .http2_keepalive_timeout(Some(limits.keepalive_timeout))
        .max_concurrent_streams(limits.max_concurrent_streams)
        .layer(RequestLayer::new(options.bearer, limits.anonymous_streams))
        .add_routes(routes)
        .add_service(health);
    if options.go_plugin_host {
        router = router
            .add_service(Controller::server(cancel_work.clone(), shutdown.clone()))
            .add_service(Stdio::server(shutdown.clone()));
    }
    if !descriptors.is_empty() {
        router = with_reflection(router, &descriptors)?;
    }
    let policy = options.shutdown;
    let stopping = {
        let shutdown = shutdown.clone();
        let cancel_work = cancel_work.clone();
        async move {
            shutdown.cancelled().await;
            for name in health_names {
                health_reporter
                    .set_service_status(name, ServingStatus::NotServing)
                    .await;
            }
            match policy {
                // Whatever stopped us (Shutdown, a signal): running applies answer first.
                ShutdownPolicy::CancelFirst => cancel_work.cancel(),
                ShutdownPolicy::Drain { grace } => tracing::info!(
                    grace = ?grace,
                    "stopping: accepting no new connections; calls in flight may finish \
                     within the grace period"
                ),
            }
        }
    };
    let serve = router.serve_with_incoming_shutdown(
        incoming(listener, options.tls, limits, !options.go_plugin_host),
        stopping,
    );
    // Graceful shutdown waits for clients to acknowledge; a host that stopped
    // reading must not keep the process alive (go-plugin kills it after 2 s anyway).
    let grace_over = async {
        shutdown.cancelled().await;
        if let ShutdownPolicy::Drain { grace } = policy {
            tokio::time::sleep(grace).await;
            tracing::info!("grace period over: cancelling the calls still in flight");
            cancel_work.cancel();
        }
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = serve => result?,
        () = grace_over => tracing::debug!("shutdown grace period over; closing connections"),
    }
    tracing::debug!("plugin server stopped");
    Ok(())
}

/// Adds gRPC server reflection (v1 and v1alpha, as grpcurl and others ask) describing
/// the routes' descriptors and health.
fn with_reflection<L>(
    router: Router<L>,
    descriptors: &[&'static [u8]],
) -> Result<Router<L>, ServeError> {
    let builder = || {
        descriptors.iter().fold(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET),
            |builder, set| builder.register_encoded_file_descriptor_set(set),
        )
    };
    Ok(router
        .add_service(builder().build_v1()?)
        .add_service(builder().build_v1alpha()?))
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
