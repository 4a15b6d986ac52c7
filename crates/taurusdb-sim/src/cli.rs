//! The `terraform-provider-taurusdb sim` command: a demo simulator in the foreground.
//!
//! Lets a person point Terraform (or curl) at a local fake TaurusDB. Its flags and their
//! checks live here ([`SimArgs`]); the binary only parses them. It refuses an address off
//! loopback unless the operator set a token of its own (the demo token is public), prints one
//! line saying the address it bound and which ids are seeded, then serves until Ctrl-C or
//! SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use super::config::{IamUser, Seed, SimConfig};
use super::handle::start;
use super::jobs::JobPlan;
use stdx::duration::parse_flag_duration;

/// What the `sim` help says after the flags: the identity endpoints and their demo values.
const AFTER_HELP: &str = "\
Identity endpoints (every credential method of Huawei Cloud's provider):
  PUT  /meta-data/latest/api/token          ECS metadata session token (X-Metadata-Token-Ttl-Seconds)
  GET  /openstack/latest/securitykey        ECS agency temporary credentials
  POST /v3/auth/tokens                      IAM password token (users from --iam-user)
  POST /v3.0/OS-AUTH/id-token/tokens        OIDC exchange: X-Idp-Id ci_idp, id token demo-id-token
  POST /v3.0/OS-CREDENTIAL/securitytokens   assume_role (agency taurusdb_operator in domain
                                            demo_domain) or token method
  POST /v5/agencies/assume                  STS, signed; agency_urn
                                            iam::0d3c0bb5d7a64f56a5e0b1e2c3d4e5f6:agency:taurusdb_operator
  GET  /v3/projects?name=cn-north-4         the demo project
Temporary credentials work with their X-Security-Token until they expire.";

/// The flags of `sim`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct SimArgs {
    /// Where to listen. An address off loopback (e.g. 0.0.0.0:8790) needs a token of your
    /// own (--token or SIM_AUTH_TOKEN), and serves neither the ECS metadata service nor the
    /// demo OIDC identity provider (both would hand credentials to whoever asks).
    #[arg(long, default_value = "127.0.0.1:8790")]
    pub listen: SocketAddr,
    /// The token clients must send as X-Auth-Token [default: demo-token, on loopback only].
    #[arg(long, env = "SIM_AUTH_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Access key accepted in AK/SK (SDK-HMAC-SHA256) signatures; needs --secret-key.
    #[arg(long, value_name = "AK")]
    pub access_key: Option<String>,
    /// Secret key of --access-key (prefer the environment variable to the flag).
    #[arg(
        long,
        value_name = "SK",
        env = "SIM_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
    /// A user of the simulated IAM token endpoint (POST /v3/auth/tokens), as
    /// NAME:PASSWORD:DOMAIN; repeatable (the environment variable holds one user).
    #[arg(
        long = "iam-user",
        value_name = "NAME:PASSWORD:DOMAIN",
        env = "SIM_IAM_USER",
        hide_env_values = true
    )]
    pub iam_users: Vec<String>,
    /// How long each pause/resume job runs before it completes, e.g. 2s or 500ms
    /// (default: jobs complete at once).
    #[arg(long, value_name = "DURATION", value_parser = parse_flag_duration)]
    pub job_duration: Option<Duration>,
    /// Seed this many more tasks on the demo instance, named task_0001, task_0002 ...
    /// (runs with many resources on one instance).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub tasks: u32,
    /// Lifetime of issued temporary credentials (metadata service, securitytokens, STS), in
    /// seconds; a shorter duration_seconds asked for is honoured. Short lifetimes exercise
    /// renewal.
    #[arg(long, value_name = "N", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub temporary_credentials_seconds: u64,
    /// Turn the ECS metadata service off (its paths answer 404), as off an ECS.
    #[arg(long)]
    pub no_metadata: bool,
}

impl SimArgs {
    /// The world to serve: the demo seed plus `--tasks` more tasks on its instance.
    pub fn seed(&self) -> Seed {
        let mut seed = Seed::demo();
        if let Some(instance) = seed.instances.first_mut() {
            instance
                .tasks
                .extend((1..=self.tasks).map(|n| format!("task_{n:04}")));
        }
        seed
    }

    /// The simulator settings the flags ask for. Errors never repeat a secret.
    ///
    /// # Errors
    /// An address off loopback without a token of the operator's own, half-given or empty
    /// access keys, and malformed `--iam-user` values.
    pub fn config(self) -> Result<SimConfig, SimArgsError> {
        let exposed = !is_loopback(self.listen);
        let auth_token = match self.token {
            Some(token) if exposed && token == DEMO_TOKEN => {
                return Err(SimArgsError::ExposedWithDemoToken(self.listen));
            }
            Some(token) => token,
            None if exposed => return Err(SimArgsError::ExposedWithDemoToken(self.listen)),
            None => DEMO_TOKEN.to_owned(),
        };
        let access_keys = match (self.access_key, self.secret_key) {
            (Some(ak), Some(sk)) if !ak.is_empty() && !sk.is_empty() => vec![(ak, sk)],
            (None, None) => Vec::new(),
            (Some(_), None) => return Err(SimArgsError::NeedsSecretKey),
            (None, Some(_)) => return Err(SimArgsError::NeedsAccessKey),
            _ => return Err(SimArgsError::EmptyKeys),
        };
        let iam_users = self
            .iam_users
            .iter()
            .map(|spec| IamUser::from_spec(spec).map_err(SimArgsError::IamUser))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SimConfig {
            auth_token,
            access_keys,
            iam_users,
            job_plan: JobPlan {
                duration: self.job_duration,
                ..JobPlan::default()
            },
            // Off loopback, neither the metadata service (keys for whoever asks, as an
            // ECS's is for its own processes) nor the demo identity provider (its ID
            // token is public) may let a caller past the operator's token.
            metadata_service: !self.no_metadata && !exposed,
            oidc_providers: if exposed {
                Vec::new()
            } else {
                SimConfig::default().oidc_providers
            },
            temporary_credentials_lifetime: Duration::from_secs(self.temporary_credentials_seconds),
            ..SimConfig::default()
        })
    }
}

/// The token the simulator accepts when none is set: public, so only on loopback.
pub const DEMO_TOKEN: &str = "demo-token";

/// Whether `addr` is reachable from this machine only (`127.0.0.0/8`, `::1`, or `::1` as an
/// IPv4-mapped address).
fn is_loopback(addr: SocketAddr) -> bool {
    addr.ip().to_canonical().is_loopback()
}

/// Why the `sim` flags were refused. None repeats a secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimArgsError {
    #[error(
        "--listen {0} is not a loopback address, and anyone who can reach it would be let in \
         by the public demo token: set a token of your own with --token or SIM_AUTH_TOKEN \
         (or listen on 127.0.0.1)"
    )]
    ExposedWithDemoToken(SocketAddr),
    #[error("--access-key needs --secret-key (or SIM_SECRET_KEY)")]
    NeedsSecretKey,
    #[error("--secret-key (or SIM_SECRET_KEY) needs --access-key")]
    NeedsAccessKey,
    #[error("--access-key and --secret-key must not be empty")]
    EmptyKeys,
    #[error("--iam-user: {0}")]
    IamUser(String),
}

/// Runs a simulator seeded with `seed` on `listen` with `config` (token, access keys,
/// IAM users, job plan), until Ctrl-C or SIGTERM. Prints exactly one line to stdout once
/// listening, naming the address as bound (`0.0.0.0` is every interface); it names no
/// credential.
///
/// # Errors
/// Fails if the address cannot be bound, stdout cannot be written, or signal handlers cannot be
/// installed.
pub async fn run(listen: SocketAddr, config: SimConfig, seed: Seed) -> std::io::Result<()> {
    let line_seed = seed.clone();
    let sim = start(listen, config, seed).await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", banner(&sim.bound_url(), &line_seed))?;
    stdout.flush()?;
    drop(stdout);
    let stopped = wait_for_stop_signal().await;
    sim.shutdown().await;
    stopped
}

/// The single line printed on start.
fn banner(endpoint: &str, seed: &Seed) -> String {
    let instance_id = seed
        .instances
        .first()
        .map(|i| i.instance_id.as_str())
        .unwrap_or_default();
    format!(
        "taurusdb simulator listening on {endpoint} project_id={} instance_id={instance_id}",
        seed.project_id
    )
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn wait_for_stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            ctrl_c = tokio::signal::ctrl_c() => ctrl_c,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        sim: SimArgs,
    }

    fn args(flags: &[&str]) -> SimArgs {
        let argv = std::iter::once("sim").chain(flags.iter().copied());
        Command::try_parse_from(argv).expect("flags parse").sim
    }

    #[test]
    fn durations() {
        let job_duration = |text: &str| args(&["--job-duration", text]).job_duration;
        assert_eq!(job_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(job_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(job_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(job_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(job_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(job_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(job_duration("0s"), Some(Duration::ZERO));
        for bad in ["", "s", "-1s", "2x", "1e3s", "1..2s", "2 days"] {
            let parsed = Command::try_parse_from(["sim", "--job-duration", bad]);
            assert!(parsed.is_err(), "{bad}");
        }
    }

    #[test]
    fn half_given_access_keys_are_refused_without_repeating_them() {
        let err = args(&["--access-key", "AK-1"]).config().expect_err("no SK");
        assert_eq!(err, SimArgsError::NeedsSecretKey);
        let err = args(&["--secret-key", "SK-1"]).config().expect_err("no AK");
        assert_eq!(err, SimArgsError::NeedsAccessKey);
        let err = args(&["--access-key", "", "--secret-key", "SK-1"])
            .config()
            .expect_err("empty AK");
        assert!(!err.to_string().contains("SK-1"), "{err}");
        let config = args(&["--access-key", "AK-1", "--secret-key", "SK-1"])
            .config()
            .expect("both");
        assert_eq!(config.access_keys, vec![("AK-1".into(), "SK-1".into())]);
    }

    #[test]
    fn off_loopback_no_credential_is_handed_to_whoever_asks() {
        let config = args(&["--listen", "0.0.0.0:8790", "--token", "operators-own-token"])
            .config()
            .expect("own token");
        assert!(!config.metadata_service, "metadata keys for anyone");
        assert!(config.oidc_providers.is_empty(), "the public demo ID token");
        let config = args(&[]).config().expect("loopback");
        assert!(config.metadata_service && !config.oidc_providers.is_empty());
    }

    #[test]
    fn off_loopback_the_demo_token_is_refused() {
        for listen in [
            "127.0.0.1:1",
            "127.0.0.2:1",
            "[::1]:1",
            "[::ffff:127.0.0.1]:1",
        ] {
            let config = args(&["--listen", listen]).config().expect(listen);
            assert_eq!(config.auth_token, DEMO_TOKEN, "{listen}");
        }
        for listen in ["0.0.0.0:1", "10.0.0.1:1", "[::]:1", "[::ffff:10.0.0.1]:1"] {
            let err = args(&["--listen", listen]).config().expect_err(listen);
            assert_eq!(
                err,
                SimArgsError::ExposedWithDemoToken(listen.parse().expect("addr"))
            );
            let message = err.to_string();
            assert!(
                message.contains(listen) && message.contains("--token or SIM_AUTH_TOKEN"),
                "{message}"
            );
            let err = args(&["--listen", listen, "--token", DEMO_TOKEN])
                .config()
                .expect_err("the demo token named");
            assert!(matches!(err, SimArgsError::ExposedWithDemoToken(_)));
            let config = args(&["--listen", listen, "--token", "own-token"])
                .config()
                .expect("a token of the operator's own");
            assert_eq!(config.auth_token, "own-token");
        }
    }

    #[test]
    fn identity_flags() {
        let config = args(&[]).config().expect("defaults");
        assert_eq!(
            config.temporary_credentials_lifetime,
            Duration::from_secs(3600)
        );
        assert!(config.metadata_service);
        assert_eq!(config.agencies, SimConfig::default().agencies);
        let config = args(&["--temporary-credentials-seconds", "8", "--no-metadata"])
            .config()
            .expect("flags");
        assert_eq!(
            config.temporary_credentials_lifetime,
            Duration::from_secs(8)
        );
        assert!(!config.metadata_service);
        for bad in ["0", "-1", "x"] {
            let parsed = Command::try_parse_from(["sim", "--temporary-credentials-seconds", bad]);
            assert!(parsed.is_err(), "{bad}");
        }
        let help = <Command as clap::CommandFactory>::command()
            .render_long_help()
            .to_string();
        assert!(help.contains("--temporary-credentials-seconds"), "{help}");
        assert!(help.contains("/openstack/latest/securitykey"), "{help}");
    }

    #[test]
    fn more_tasks_are_seeded_on_the_demo_instance() {
        let seed = args(&["--tasks", "3"]).seed();
        let tasks = &seed.instances[0].tasks;
        assert_eq!(tasks.len(), Seed::demo().instances[0].tasks.len() + 3);
        assert_eq!(tasks.last().map(String::as_str), Some("task_0003"));
        assert_eq!(
            args(&[]).seed().instances[0].tasks,
            Seed::demo().instances[0].tasks
        );
    }

    #[test]
    fn banner_names_endpoint_project_and_instance() {
        assert_eq!(
            banner("http://127.0.0.1:8080", &Seed::demo()),
            "taurusdb simulator listening on http://127.0.0.1:8080 \
             project_id=2f6c8a4e1b3d4c5f9a7e6d5c4b3a2918 \
             instance_id=5c1f0e9a2b7d4e3f8a6c1d2e3f4a5b6cin17"
        );
    }
}
