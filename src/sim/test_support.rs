//! Helpers shared by the simulator's unit tests: a started demo simulator, clients and URLs.
//!
//! Test-only (`#[cfg(test)]`), so each module's tests stay short and use the same ids.

use std::net::SocketAddr;

use super::config::{DEMO_INSTANCE_ID, DEMO_PROJECT_ID};
use super::{Seed, SimConfig, SimHandle, start};

/// The token the test simulators accept.
pub(crate) const TOKEN: &str = "test-token-0123456789";
/// Project of the demo seed.
pub(crate) const DEMO_PROJECT: &str = DEMO_PROJECT_ID;
/// Instance of the demo seed.
pub(crate) const DEMO_INSTANCE: &str = DEMO_INSTANCE_ID;

/// A demo-seeded simulator on a free loopback port.
pub(crate) async fn start_demo() -> SimHandle {
    start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SimConfig {
            auth_token: TOKEN.to_owned(),
        },
        Seed::demo(),
    )
    .await
    .expect("simulator starts")
}

/// A client that sends the right `X-Auth-Token` on every request.
pub(crate) fn client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-auth-token",
        reqwest::header::HeaderValue::from_static(TOKEN),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client builds")
}

/// A client without credentials.
pub(crate) fn plain_client() -> reqwest::Client {
    reqwest::Client::new()
}

/// `{endpoint}/v3/{project}/instances/{instance}/starrocks/databases/replication{suffix}`.
pub(crate) fn url_for(sim: &SimHandle, project: &str, instance: &str, suffix: &str) -> String {
    format!(
        "{}/v3/{project}/instances/{instance}/starrocks/databases/replication{suffix}",
        sim.endpoint()
    )
}

/// The demo instance's pause URL.
pub(crate) fn pause_url(sim: &SimHandle) -> String {
    url_for(sim, DEMO_PROJECT, DEMO_INSTANCE, "/pause")
}

/// The demo instance's resume URL.
pub(crate) fn resume_url(sim: &SimHandle) -> String {
    url_for(sim, DEMO_PROJECT, DEMO_INSTANCE, "/resume")
}

/// The demo instance's list URL with `query` appended verbatim (e.g. `?limit=1`).
pub(crate) fn list_url(sim: &SimHandle, query: &str) -> String {
    url_for(sim, DEMO_PROJECT, DEMO_INSTANCE, query)
}

/// The demo project's job query URL.
pub(crate) fn jobs_url(sim: &SimHandle, job_id: &str) -> String {
    format!("{}/v3/{DEMO_PROJECT}/jobs?id={job_id}", sim.endpoint())
}

/// `{"task_name": task}`.
pub(crate) fn pause_body(task: &str) -> serde_json::Value {
    serde_json::json!({ "task_name": task })
}
