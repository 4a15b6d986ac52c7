//! The `terraform-provider-taurusdb` binary.
//!
//! Without arguments it is a Terraform plugin (started by terraform/tofu). `--debug`
//! serves for TF_REATTACH_PROVIDERS, `serve` for any gRPC client, `sim` runs the
//! embedded TaurusDB API simulator, `docs` writes the registry's documentation pages,
//! `version` prints the version.
//!
//! Everything that blocks (reading `serve`'s certificate, token and API configuration
//! files, resolving its address) happens here, before the async runtime starts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use stdx::duration::parse_flag_duration;
use taurusdb_provider::taurusdb::config::EnvLookup;
use taurusdb_provider::taurusdb::typed_api_setup::{self, ApiSetup};
use taurusdb_provider::{Audience, provider_routes, standalone_routes, taurusdb};
use taurusdb_sim as sim;
use tfplugin::logging;
use tfplugin::plugin::files::read_regular_file;
use tfplugin::plugin::handshake::{self, MAGIC_COOKIE_KEY, NOT_A_PLUGIN_MESSAGE};
use tfplugin::plugin::limits::Limits;
use tfplugin::plugin::serve::{self, HostEnv};
use tfplugin::plugin::socket::{BoundSocket, PrivateSocket};
use tfplugin::plugin::standalone::{StandaloneArgs, StandaloneConfig};

#[derive(Parser)]
#[command(
    name = "terraform-provider-taurusdb",
    version,
    about = "Terraform provider for TaurusDB HTAP (StarRocks) replication pauses"
)]
struct Cli {
    /// Serve for Terraform's debug mode and print the TF_REATTACH_PROVIDERS value.
    #[arg(long)]
    debug: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the tfplugin6 gRPC service and the typed taurusdb.replication.v1.Replication
    /// API for any gRPC client, with health and server reflection. Each tfplugin6
    /// connection configures its own provider; the typed API acts with this server's own
    /// configuration (--api-config, HW_* variables). Plaintext without client
    /// authentication is allowed only on a loopback address or a unix socket.
    Serve {
        /// `HOST:PORT` or `unix:/path/to/socket` (created 0600; stock gRPC clients need no
        /// authority option there: any `:authority` is read as `localhost`).
        #[arg(long, default_value = "127.0.0.1:50051")]
        listen: String,
        /// Server certificate chain (PEM) for TLS; needs --tls-key.
        #[arg(long, value_name = "PEM")]
        tls_cert: Option<PathBuf>,
        /// Private key (PEM) of --tls-cert.
        #[arg(long, value_name = "PEM")]
        tls_key: Option<PathBuf>,
        /// CA certificates (PEM): every client must present a certificate they issued
        /// (mutual TLS). Needs --tls-cert and --tls-key.
        #[arg(long, value_name = "PEM")]
        client_ca: Option<PathBuf>,
        /// A file holding a token every call must carry as `authorization: Bearer <token>`
        /// (health checks excepted).
        #[arg(long, value_name = "FILE")]
        auth_token_file: Option<PathBuf>,
        /// Let this server's own credentials supply what a client's configuration
        /// leaves out: HW_AUTH_TOKEN, HW_ACCESS_KEY/HW_SECRET_KEY/HW_SECURITY_TOKEN, the
        /// IAM password variables, HW_SHARED_CONFIG_FILE/HW_PROFILE, HW_ASSUME_ROLE_*,
        /// and the agency of the ECS it runs on (the metadata service). Never for a
        /// client that sets endpoint, endpoints, auth_url, cloud, insecure or ca_file.
        #[arg(long)]
        credentials_from_env: bool,
        /// The typed API's TaurusDB configuration: a JSON object with the provider block's
        /// attribute names, e.g. {"region": "cn-north-4", "token": "..."}. HW_*
        /// variables fill what it leaves out (credentials only with
        /// --credentials-from-env). A regular file of at most 1 MiB.
        #[arg(long, value_name = "FILE")]
        api_config: Option<PathBuf>,
        /// How long calls in flight may finish after SIGTERM/Ctrl-C before they are
        /// cancelled, e.g. 10s.
        #[arg(long, hide = true, value_parser = parse_flag_duration)]
        shutdown_grace: Option<Duration>,
        /// Handshake (TLS and HTTP/2 preface) timeout, e.g. 10s (tests shorten it).
        #[arg(long, hide = true, value_parser = parse_flag_duration)]
        handshake_timeout: Option<Duration>,
        /// Close connections with no RPC in flight for this long, e.g. 5m.
        #[arg(long, hide = true, value_parser = parse_flag_duration)]
        idle_timeout: Option<Duration>,
        /// Connections allowed in their handshake at once.
        #[arg(long, hide = true)]
        max_pending_connections: Option<usize>,
        /// Established connections allowed at once (lowered to fit `ulimit -n`).
        #[arg(long, hide = true)]
        max_connections: Option<usize>,
    },
    /// Run the embedded TaurusDB API simulator.
    Sim(sim::SimArgs),
    /// Write the registry's documentation pages (index.md, resources/, data-sources/,
    /// actions/, list-resources/) from the served schemas, templates/ and examples/.
    Docs {
        /// The folder to write, e.g. docs.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The repository whose templates/ and examples/ the pages are made from.
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
    },
    /// Print the version.
    Version,
}

/// What to run, with everything that blocks already done.
enum Run {
    /// Plugin mode, its socket already bound (before the runtime: see `BoundSocket`).
    Plugin(HostEnv, BoundSocket),
    Debug,
    Serve(StandaloneConfig, Audience, Box<ApiSetup>),
    Sim(SocketAddr, sim::SimConfig, sim::Seed),
}

/// The checked `serve` configuration: flags parsed, files read, exposure refused.
fn prepare_serve(command: Command) -> Result<Run, String> {
    let Command::Serve {
        listen,
        tls_cert,
        tls_key,
        client_ca,
        auth_token_file,
        credentials_from_env,
        api_config,
        shutdown_grace,
        handshake_timeout,
        idle_timeout,
        max_pending_connections,
        max_connections,
    } = command
    else {
        return Err("not a serve command".into());
    };
    let defaults = Limits::default();
    let limits = Limits {
        handshake_timeout: handshake_timeout.unwrap_or(defaults.handshake_timeout),
        idle_timeout: idle_timeout.unwrap_or(defaults.idle_timeout),
        max_pending_handshakes: max_pending_connections.unwrap_or(defaults.max_pending_handshakes),
        max_connections: max_connections.unwrap_or(defaults.max_connections),
        ..defaults
    };
    let file = match api_config {
        Some(path) => {
            let bytes = read_regular_file(&path).map_err(|e| format!("--api-config: {e}"))?;
            let config = taurusdb::config::file::parse(&bytes)
                .map_err(|e| format!("--api-config {}: {e}", path.display()))?;
            Some(config)
        }
        None => None,
    };
    // What would let a client act with this server's own credentials.
    let lends_credentials = if credentials_from_env {
        Some("--credentials-from-env".to_string())
    } else if file.as_ref().is_some_and(|f| f.brings_credentials()) {
        Some("--api-config, which holds credentials".to_string())
    } else {
        None
    };
    let config = StandaloneConfig::prepare(StandaloneArgs {
        listen,
        tls_cert,
        tls_key,
        client_ca,
        auth_token_file,
        limits,
        shutdown_grace,
        lends_credentials,
    })
    .map_err(|e| e.to_string())?;
    Ok(Run::Serve(
        config,
        Audience::Clients {
            credentials_from_env,
        },
        Box::new(ApiSetup {
            file,
            credentials_from_env,
        }),
    ))
}

fn prepare(cli: Cli) -> Result<Run, String> {
    match cli.command {
        None if cli.debug => Ok(Run::Debug),
        None => {
            let env = HostEnv::from_process();
            let bound =
                PrivateSocket::bind_in_blocking(&env.socket_parent()).map_err(|e| e.to_string())?;
            Ok(Run::Plugin(env, bound))
        }
        Some(command @ Command::Serve { .. }) => prepare_serve(command),
        Some(Command::Sim(args)) => {
            let (listen, seed) = (args.listen, args.seed());
            args.config()
                .map(|config| Run::Sim(listen, config, seed))
                .map_err(|e| e.to_string())
        }
        Some(Command::Version) => Err("version is printed before anything else".into()),
        Some(Command::Docs { .. }) => Err("docs are written before anything else".into()),
    }
}

async fn run(run: Run) -> Result<(), String> {
    match run {
        Run::Debug => serve::serve_debug(
            provider_routes(Audience::Terraform),
            taurusdb::PROVIDER_ADDRESS,
        )
        .await
        .map_err(|e| e.to_string()),
        Run::Plugin(env, bound) => {
            serve::serve_plugin(provider_routes(Audience::Terraform), env, bound)
                .await
                .map_err(|e| e.to_string())
        }
        Run::Serve(config, audience, setup) => {
            let env: Arc<EnvLookup> = Arc::new(|key: &str| std::env::var(key).ok());
            let api = typed_api_setup::resolve(*setup, env)
                .await
                .map_err(|e| e.to_string())?;
            if let Some(reason) = api.operator_reason() {
                tracing::warn!("the typed Replication API answers FAILED_PRECONDITION: {reason}");
            }
            serve::serve_standalone(standalone_routes(audience, api), config)
                .await
                .map_err(|e| e.to_string())
        }
        Run::Sim(listen, config, seed) => sim::run(listen, config, seed)
            .await
            .map_err(|e| e.to_string()),
    }
}

/// How a fatal error reaches whoever reads stderr: once. Terraform (plugin mode, with its
/// log on) reads stderr as hclog JSON, so there it is one JSON line; everywhere else
/// (`serve`, `sim`, `--debug`, or plugin mode with logging off) a person reads it, as one
/// plain line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureReport {
    Json,
    Plain,
}

impl FailureReport {
    fn for_mode(plugin_mode: bool, level: Option<tracing::Level>) -> Self {
        if plugin_mode && level.is_some() {
            FailureReport::Json
        } else {
            FailureReport::Plain
        }
    }
}

fn fail(err: &str, report: FailureReport) -> ExitCode {
    match report {
        FailureReport::Json => tracing::error!(error = %err, "provider stopped with an error"),
        FailureReport::Plain => eprintln!("terraform-provider-taurusdb: {err}"),
    }
    ExitCode::FAILURE
}

/// The `docs` command: no runtime, no logging; a line per page written, removed or kept.
fn write_docs(root: &std::path::Path, out: &std::path::Path) -> ExitCode {
    match taurusdb_provider::docs::generate(root, out) {
        Ok(done) => {
            for path in &done.written {
                println!("wrote {}", path.display());
            }
            for path in &done.removed {
                println!(
                    "removed {} (no such type or guide any more)",
                    path.display()
                );
            }
            for path in &done.kept {
                println!("kept {} (not written by docs)", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("terraform-provider-taurusdb docs: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The command line. Terraform starts the plugin without arguments, many times in one
/// run; that case skips building the parser for the subcommands it does not use.
fn parse_cli() -> Cli {
    if std::env::args_os().nth(1).is_none() {
        return Cli {
            debug: false,
            command: None,
        };
    }
    Cli::parse()
}

fn main() -> ExitCode {
    let cli = parse_cli();
    let plugin_mode = !cli.debug && cli.command.is_none();
    if plugin_mode && !handshake::cookie_ok(std::env::var(MAGIC_COOKIE_KEY).ok().as_deref()) {
        eprint!("{NOT_A_PLUGIN_MESSAGE}");
        return ExitCode::from(1);
    }
    if let Some(Command::Version) = cli.command {
        println!("terraform-provider-taurusdb {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if let Some(Command::Docs { out, root }) = &cli.command {
        return write_docs(root, out);
    }
    let level = logging::level_from_env(|key| std::env::var(key).ok());
    // Outside plugin mode a person is watching: log at info unless told otherwise.
    let level = if plugin_mode {
        level
    } else {
        level.or(Some(tracing::Level::INFO))
    };
    logging::init_stderr(level, taurusdb_provider::OWN_EVENTS);
    let report = FailureReport::for_mode(plugin_mode, level);

    let to_run = match prepare(cli) {
        Ok(to_run) => to_run,
        Err(err) => return fail(&err, report),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(to_run)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err, report),
    };
    // Do not wait for idle pooled connections or blocking threads: the host expects
    // the process to end promptly once serving stops.
    runtime.shutdown_background();
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fatal_error_is_reported_one_way() {
        use FailureReport::{Json, Plain};
        let info = Some(tracing::Level::INFO);
        assert_eq!(FailureReport::for_mode(true, info), Json);
        assert_eq!(FailureReport::for_mode(true, None), Plain);
        // serve, sim and --debug log at info by default, and a person reads the error.
        assert_eq!(FailureReport::for_mode(false, info), Plain);
        assert_eq!(FailureReport::for_mode(false, None), Plain);
    }
}
