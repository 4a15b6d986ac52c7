//! The `terraform-provider-taurusdb sim` command: a demo simulator in the foreground.
//!
//! Lets a person point Terraform (or curl) at a local fake TaurusDB. It prints one line saying
//! where it listens and which ids are seeded, then serves until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use super::config::{Seed, SimConfig};
use super::handle::start;

/// Runs a simulator seeded with [`Seed::demo`] on `listen`, accepting `token`, until Ctrl-C or
/// SIGTERM. Prints exactly one line to stdout once listening.
///
/// # Errors
/// As [`run_cli_with`].
pub async fn run_cli(listen: SocketAddr, token: String) -> std::io::Result<()> {
    run_cli_with(
        listen,
        SimConfig {
            auth_token: token,
            ..SimConfig::default()
        },
    )
    .await
}

/// Runs a simulator seeded with [`Seed::demo`] on `listen` with `config` (token, access keys,
/// IAM users, job plan), until Ctrl-C or SIGTERM. Prints exactly one line to stdout once
/// listening; it names no credential.
///
/// # Errors
/// Fails if the address cannot be bound, stdout cannot be written, or signal handlers cannot be
/// installed.
pub async fn run_cli_with(listen: SocketAddr, config: SimConfig) -> std::io::Result<()> {
    let seed = Seed::demo();
    let line_seed = seed.clone();
    let sim = start(listen, config, seed).await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", banner(&sim.endpoint(), &line_seed))?;
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

const DURATION_HINT: &str = "expected a number with unit ms, s, m or h, e.g. 500ms, 2s, 1m";

/// Parses a duration such as `2s`, `500ms`, `1.5s`, `2m` or `1h` (a bare number is seconds),
/// for `--job-duration`.
///
/// # Errors
/// When the text is not a non-negative number with one of those units.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(DURATION_HINT.to_owned()),
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .and_then(|n| Duration::try_from_secs_f64(n * scale).ok())
        .ok_or_else(|| DURATION_HINT.to_owned())
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

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in ["", "s", "-1s", "2x", "1e3s", "1..2s", "2 days"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
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
