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
        /// Access key accepted in AK/SK (SDK-HMAC-SHA256) signatures; needs --secret-key.
        #[arg(long, value_name = "AK")]
        access_key: Option<String>,
        /// Secret key of --access-key (prefer the environment variable to the flag).
        #[arg(
            long,
            value_name = "SK",
            env = "SIM_SECRET_KEY",
            hide_env_values = true
        )]
        secret_key: Option<String>,
        /// A user of the simulated IAM token endpoint (POST /v3/auth/tokens), as
        /// NAME:PASSWORD:DOMAIN; repeatable (the environment variable holds one user).
        #[arg(
            long = "iam-user",
            value_name = "NAME:PASSWORD:DOMAIN",
            env = "SIM_IAM_USER",
            hide_env_values = true
        )]
        iam_users: Vec<String>,
        /// How long each pause/resume job runs before it completes, e.g. 2s or 500ms
        /// (default: jobs complete at once).
        #[arg(long, value_name = "DURATION", value_parser = sim::parse_duration)]
        job_duration: Option<std::time::Duration>,
    },
    /// Print the version.
    Version,
}

/// The simulator settings of the `sim` flags. Errors never repeat a secret.
fn sim_config(
    token: String,
    access_key: Option<String>,
    secret_key: Option<String>,
    iam_users: &[String],
    job_duration: Option<std::time::Duration>,
) -> Result<sim::SimConfig, String> {
    let access_keys = match (access_key, secret_key) {
        (Some(ak), Some(sk)) if !ak.is_empty() && !sk.is_empty() => vec![(ak, sk)],
        (None, None) => Vec::new(),
        (Some(_), None) => return Err("--access-key needs --secret-key (or SIM_SECRET_KEY)".into()),
        (None, Some(_)) => return Err("--secret-key (or SIM_SECRET_KEY) needs --access-key".into()),
        _ => return Err("--access-key and --secret-key must not be empty".into()),
    };
    let iam_users = iam_users
        .iter()
        .map(|spec| sim::IamUser::from_spec(spec).map_err(|e| format!("--iam-user: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sim::SimConfig {
        auth_token: token,
        access_keys,
        iam_users,
        job_plan: sim::JobPlan {
            duration: job_duration,
            ..sim::JobPlan::default()
        },
    })
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
            Some(Command::Sim {
                listen,
                token,
                access_key,
                secret_key,
                iam_users,
                job_duration,
            }) => match sim_config(token, access_key, secret_key, &iam_users, job_duration) {
                Ok(config) => sim::run_cli_with(listen, config)
                    .await
                    .map_err(|e| e.to_string()),
                Err(err) => Err(err),
            },
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
