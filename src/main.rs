//! The `terraform-provider-taurusdb` binary.
//!
//! Without arguments it is a Terraform plugin (started by terraform/tofu). `--debug`
//! serves for TF_REATTACH_PROVIDERS, `serve` for any gRPC client, `sim` runs the
//! embedded TaurusDB API simulator, `version` prints the version.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use taurusdb_provider::plugin::handshake::{self, MAGIC_COOKIE_KEY, NOT_A_PLUGIN_MESSAGE};
use taurusdb_provider::plugin::serve::{self, HostEnv};
use taurusdb_provider::{logging, provider_routes, sim, taurusdb};

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
    /// Serve the tfplugin6 gRPC service (plaintext) for any gRPC client.
    Serve {
        /// `HOST:PORT` or `unix:/path/to/socket`.
        #[arg(long, default_value = "127.0.0.1:50051")]
        listen: String,
    },
    /// Run the embedded TaurusDB API simulator.
    Sim {
        #[arg(long, default_value = "127.0.0.1:8790")]
        listen: SocketAddr,
        /// The token clients must send as X-Auth-Token.
        #[arg(
            long,
            env = "SIM_AUTH_TOKEN",
            default_value = "demo-token",
            hide_env_values = true
        )]
        token: String,
    },
    /// Print the version.
    Version,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let plugin_mode = !cli.debug && cli.command.is_none();
    if plugin_mode && !handshake::cookie_ok(std::env::var(MAGIC_COOKIE_KEY).ok().as_deref()) {
        eprint!("{NOT_A_PLUGIN_MESSAGE}");
        return ExitCode::from(1);
    }
    if let Some(Command::Version) = cli.command {
        println!("terraform-provider-taurusdb {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let level = logging::level_from_env(|key| std::env::var(key).ok());
    // Outside plugin mode a person is watching: log at info unless told otherwise.
    let level = if plugin_mode {
        level
    } else {
        level.or(Some(tracing::Level::INFO))
    };
    logging::init_stderr(level);

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
    let result = runtime.block_on(async move {
        match cli.command {
            None if cli.debug => serve::serve_debug(provider_routes(), taurusdb::PROVIDER_ADDRESS)
                .await
                .map_err(|e| e.to_string()),
            None => serve::serve_plugin(provider_routes(), HostEnv::from_process())
                .await
                .map_err(|e| e.to_string()),
            Some(Command::Serve { listen }) => serve::serve_standalone(provider_routes(), &listen)
                .await
                .map_err(|e| e.to_string()),
            Some(Command::Sim { listen, token }) => {
                sim::run_cli(listen, token).await.map_err(|e| e.to_string())
            }
            Some(Command::Version) => Ok(()),
        }
    });
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "provider stopped with an error");
            eprintln!("terraform-provider-taurusdb: {err}");
            ExitCode::FAILURE
        }
    };
    // Do not wait for idle pooled connections or blocking threads: the host expects
    // the process to end promptly once serving stops.
    runtime.shutdown_background();
    code
}
