//! The `terraform-provider-taurusdb sim` command: a demo simulator in the foreground.
//!
//! Lets a person point Terraform (or curl) at a local fake TaurusDB. It prints one line saying
//! where it listens and which ids are seeded, then serves until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;

use super::config::{Seed, SimConfig};
use super::handle::start;

/// Runs a simulator seeded with [`Seed::demo`] on `listen`, accepting `token`, until Ctrl-C or
/// SIGTERM. Prints exactly one line to stdout once listening.
///
/// # Errors
/// Fails if the address cannot be bound, stdout cannot be written, or signal handlers cannot be
/// installed.
pub async fn run_cli(listen: SocketAddr, token: String) -> std::io::Result<()> {
    let seed = Seed::demo();
    let line_seed = seed.clone();
    let sim = start(listen, SimConfig { auth_token: token }, seed).await?;
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
    fn banner_names_endpoint_project_and_instance() {
        assert_eq!(
            banner("http://127.0.0.1:8080", &Seed::demo()),
            "taurusdb simulator listening on http://127.0.0.1:8080 \
             project_id=2f6c8a4e1b3d4c5f9a7e6d5c4b3a2918 \
             instance_id=5c1f0e9a2b7d4e3f8a6c1d2e3f4a5b6cin17"
        );
    }
}
