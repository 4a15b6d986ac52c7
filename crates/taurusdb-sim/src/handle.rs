//! Starting a simulator and controlling it from the outside.
//!
//! [`start`] binds and spawns the server; the returned [`SimHandle`] is how the demo and tests
//! reach into the simulated world (add or remove tasks, read stages, script jobs, inspect
//! requests and connections, inject faults, revoke tokens) and how they stop it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::config::{Seed, SimConfig};
use super::faults::Fault;
use super::identities::{Agency, IamProject};
use super::jobs::{JobPlan, SimJob};
use super::listener::{ConnMeta, SimListener};
use super::record::RecordedRequest;
use super::routes::router;
use super::state::Shared;
use super::temporary::CredentialEndpoint;

/// How long [`SimHandle::shutdown`] waits for open connections before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Binds `listen` (port 0 picks a free port), starts serving on a tokio task, and returns once
/// the socket is listening.
///
/// The server runs until [`SimHandle::shutdown`] is called or the tokio runtime ends.
///
/// # Errors
/// Fails if the address cannot be bound.
pub async fn start(
    listen: SocketAddr,
    config: SimConfig,
    seed: Seed,
) -> std::io::Result<SimHandle> {
    start_with_tls(listen, config, seed, None).await
}

/// Like [`start`], serving HTTPS with the given TLS configuration (for tests of custom
/// CA files and `insecure`).
///
/// # Errors
/// Fails if the address cannot be bound.
pub async fn start_https(
    listen: SocketAddr,
    config: SimConfig,
    seed: Seed,
    tls: Arc<rustls::ServerConfig>,
) -> std::io::Result<SimHandle> {
    start_with_tls(listen, config, seed, Some(tls)).await
}

async fn start_with_tls(
    listen: SocketAddr,
    config: SimConfig,
    seed: Seed,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> std::io::Result<SimHandle> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::new(&config, &seed));
    let app = router(shared.clone()).into_make_service_with_connect_info::<ConnMeta>();
    let listener = SimListener::new(
        listener,
        shared.clone(),
        tls.map(tokio_rustls::TlsAcceptor::from),
    );
    let stop = shared.clone();
    let server = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.shutting_down().await })
            .await;
        if let Err(err) = served {
            tracing::error!(%err, "taurusdb simulator stopped with an error");
        }
    });
    tracing::info!(%addr, "taurusdb simulator listening");
    Ok(SimHandle {
        addr,
        scheme,
        shared,
        server: Arc::new(Mutex::new(Some(server))),
    })
}

/// Control of a running simulator. Clones control the same simulator.
#[derive(Clone, Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    scheme: &'static str,
    shared: Arc<Shared>,
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL for clients, e.g. `http://127.0.0.1:40123` (an unspecified bind address such as
    /// `0.0.0.0` is reported as loopback).
    pub fn endpoint(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!(
            "{}://{}",
            self.scheme,
            SocketAddr::new(ip, self.addr.port())
        )
    }

    /// The URL of the address as bound, e.g. `http://0.0.0.0:8790` (what the `sim` command
    /// prints: an unspecified address means every interface).
    pub fn bound_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Creates an instance with no tasks; no-op if it exists.
    pub fn add_instance(&self, project_id: &str, instance_id: &str) {
        self.shared.lock().add_instance(project_id, instance_id);
    }

    /// Adds a task at stage `Incremental` (creating the instance if needed); no-op if it exists.
    pub fn add_task(&self, project_id: &str, instance_id: &str, task_name: &str) {
        self.shared
            .lock()
            .add_task(project_id, instance_id, task_name);
    }

    /// The task's current stage, or `None` if there is no such task.
    pub fn task_stage(
        &self,
        project_id: &str,
        instance_id: &str,
        task_name: &str,
    ) -> Option<String> {
        self.shared
            .lock()
            .task_stage(project_id, instance_id, task_name)
    }

    /// Forces a task's stage (e.g. `Paused`, `Full`); no-op if there is no such task.
    pub fn set_task_stage(
        &self,
        project_id: &str,
        instance_id: &str,
        task_name: &str,
        stage: &str,
    ) {
        self.shared
            .lock()
            .set_task_stage(project_id, instance_id, task_name, stage);
    }

    /// From now on every list read of the instance gives `task_name` a new stage
    /// (`Churn<n>` padded with `x` to `len` bytes): a service reporting ever-changing,
    /// huge stages. `None` stops it; the task keeps its last stage.
    pub fn churn_stage(
        &self,
        project_id: &str,
        instance_id: &str,
        task_name: &str,
        len: Option<usize>,
    ) {
        self.shared
            .lock()
            .churn_stage(project_id, instance_id, task_name, len);
    }

    /// Makes an instance's list endless (creating the instance if needed): every page
    /// holds as many fresh tasks (`endless_<n>`) as the request asks for, and no
    /// `total_count` says when it ends.
    pub fn make_endless(&self, project_id: &str, instance_id: &str) {
        self.shared.lock().make_endless(project_id, instance_id);
    }

    /// Removes a task: the list omits it and pause/resume answer `DBS.270022`. Returns whether
    /// it existed. Jobs already running on it still finish, changing nothing.
    pub fn remove_task(&self, project_id: &str, instance_id: &str, task_name: &str) -> bool {
        self.shared
            .lock()
            .remove_task(project_id, instance_id, task_name)
    }

    /// Sets how jobs created from now on progress (jobs already created keep their plan).
    pub fn set_job_plan(&self, plan: JobPlan) {
        self.shared.lock().set_job_plan(plan);
    }

    /// Every job so far, in creation order, as it stands (reading them is not a poll).
    pub fn jobs(&self) -> Vec<SimJob> {
        self.shared.lock().jobs()
    }

    /// How many tokens the IAM endpoints (password and OIDC) have issued in total (revoked
    /// ones included).
    pub fn issued_tokens(&self) -> usize {
        self.shared.lock().tokens_issued()
    }

    /// Makes every token issued so far invalid: requests using one get 401 `APIGW.0301`
    /// (`verify token fail`), so a client has to get a new token. The configured
    /// `SimConfig::auth_token` keeps working.
    pub fn revoke_issued_tokens(&self) {
        self.shared.lock().revoke_tokens();
    }

    /// How many credentials `endpoint` has issued so far (temporary keys, or IAM tokens for
    /// [`CredentialEndpoint::OidcToken`]), e.g. to assert a renewal happened exactly once.
    pub fn issued_credentials(&self, endpoint: CredentialEndpoint) -> usize {
        self.shared.lock().identity.temporary.issued(endpoint)
    }

    /// How many requests were signed with a temporary access key after it expired (each
    /// answered 401 `APIGW.0301`): zero proves a client renewed in time.
    pub fn expired_credential_uses(&self) -> usize {
        self.shared.lock().identity.temporary.expired_uses()
    }

    /// Sets the longest lifetime of temporary credentials issued from now on (a shorter
    /// `duration_seconds` asked for is honoured).
    pub fn set_temporary_credentials_lifetime(&self, lifetime: Duration) {
        self.shared.lock().identity.lifetime = lifetime;
    }

    /// Makes every temporary credential issued so far expire now.
    pub fn expire_temporary_credentials(&self) {
        let now = self.shared.clock.now();
        self.shared.lock().identity.temporary.expire_all(now);
    }

    /// Moves the simulator's clock forward: tokens, temporary credentials and metadata
    /// session tokens expire by it (signature dates are still checked against real time), and
    /// expiry times issued from now on are computed from it.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Turns the ECS metadata service on or off (off: 404 on its paths).
    pub fn set_metadata_service(&self, on: bool) {
        self.shared.lock().identity.metadata_service = on;
    }

    /// Turns metadata session tokens on or off (off: `PUT .../api/token` answers 404 and
    /// credentials are read without `X-Metadata-Token`).
    pub fn set_metadata_session_tokens(&self, on: bool) {
        self.shared.lock().identity.metadata_session_tokens = on;
    }

    /// Makes identity provider `idp_id` (created if needed) accept `id_token` too.
    pub fn accept_id_token(&self, idp_id: &str, id_token: &str) {
        self.shared
            .lock()
            .identity
            .oidc_provider_mut(idp_id)
            .id_tokens
            .push(id_token.to_owned());
    }

    /// Makes identity provider `idp_id` (created if needed) accept exactly `id_tokens`, e.g.
    /// only the rotated one.
    pub fn set_accepted_id_tokens(&self, idp_id: &str, id_tokens: &[&str]) {
        self.shared
            .lock()
            .identity
            .oidc_provider_mut(idp_id)
            .id_tokens = id_tokens.iter().map(|t| (*t).to_owned()).collect();
    }

    /// Every id token presented to the OIDC endpoint so far, accepted or not, in order.
    pub fn presented_id_tokens(&self) -> Vec<String> {
        self.shared.lock().identity.presented_id_tokens()
    }

    /// Adds an agency that `assume_role` and STS `AssumeAgency` grant.
    pub fn add_agency(&self, agency: Agency) {
        self.shared.lock().identity.agencies.push(agency);
    }

    /// Adds a project to the `GET /v3/projects` lookup.
    pub fn add_project(&self, project: IamProject) {
        self.shared.lock().identity.projects.push(project);
    }

    /// How many TCP connections the simulator has accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connection_count()
    }

    /// The requests received, in arrival order: the most recent ones within
    /// [`SimConfig::record_limits`] (by default the last 10,000, each body cut at 4 KiB). A
    /// request that failed authentication has only its method, path and status.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests()
    }

    /// How many requests were dropped from the record, oldest first, to keep it within
    /// [`SimConfig::record_limits`].
    pub fn dropped_requests(&self) -> usize {
        self.shared.lock().request_log().dropped()
    }

    /// How many bytes the records of [`SimHandle::requests`] hold (what
    /// `RecordLimits::max_bytes` bounds).
    pub fn recorded_bytes(&self) -> usize {
        self.shared.lock().request_log().bytes()
    }

    /// How many of the requests kept had this method (case-insensitive) and a path ending
    /// with `path_suffix`, e.g. `count("POST", "/replication/pause")`.
    pub fn count(&self, method: &str, path_suffix: &str) -> usize {
        self.shared.lock().count(method, path_suffix)
    }

    /// The job with this id, in any project, as it stands (reading it is not a poll).
    pub fn job(&self, job_id: &str) -> Option<SimJob> {
        self.shared.lock().job(job_id)
    }

    /// Queues a fault; the first later request it matches consumes it (FIFO among matches).
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().inject(fault);
    }

    /// Queues `n` copies of a fault, e.g. a burst of throttling answers.
    pub fn inject_many(&self, fault: Fault, n: usize) {
        self.shared.lock().inject_many(&fault, n);
    }

    /// Resolves once at least `n` requests have arrived in total (arrival, not answer; dropped
    /// ones count), so tests can wait for a request without sleeping.
    pub async fn wait_for_requests(&self, n: usize) {
        let mut rx = self.shared.recorded.subscribe();
        let _ = rx.wait_for(|recorded| *recorded >= n).await;
    }

    /// Stops serving: releases hung requests, lets in-flight answers finish, closes the socket.
    /// Connections still open after a short grace period are cut. Later calls do nothing.
    pub async fn shutdown(self) {
        self.shared.shutdown.send_replace(true);
        let server = self
            .server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut server) = server
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut server)
                .await
                .is_err()
        {
            server.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{TOKEN, client, list_url, pause_body, start_demo, url_for};

    #[tokio::test]
    async fn endpoint_is_loopback_with_the_bound_port() {
        let sim = start(
            SocketAddr::from(([0, 0, 0, 0], 0)),
            SimConfig {
                auth_token: TOKEN.to_owned(),
                ..Default::default()
            },
            Seed::demo(),
        )
        .await
        .expect("start");
        assert_ne!(sim.addr().port(), 0);
        assert_eq!(
            sim.endpoint(),
            format!("http://127.0.0.1:{}", sim.addr().port())
        );
        let ok = client().get(list_url(&sim, "")).send().await.expect("list");
        assert_eq!(ok.status().as_u16(), 200);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn world_edits_through_the_handle_are_visible_over_http() {
        let sim = start_demo().await;
        sim.add_instance("proj", "inst");
        sim.add_task("proj", "inst", "new_task");
        assert_eq!(
            sim.task_stage("proj", "inst", "new_task").as_deref(),
            Some("Incremental")
        );
        assert_eq!(sim.task_stage("proj", "inst", "missing"), None);

        let http = client();
        let response = http
            .post(url_for(&sim, "proj", "inst", "/pause"))
            .json(&pause_body("new_task"))
            .send()
            .await
            .expect("pause");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            sim.task_stage("proj", "inst", "new_task").as_deref(),
            Some("Paused")
        );

        sim.set_task_stage("proj", "inst", "new_task", "Full");
        let listed: serde_json::Value = http
            .get(url_for(&sim, "proj", "inst", ""))
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        assert_eq!(listed["replications"][0]["stage"], "Full");
        assert_eq!(sim.job("no-such-job"), None);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn shutdown_stops_serving_and_is_idempotent_across_clones() {
        let sim = start_demo().await;
        let other = sim.clone();
        let url = list_url(&sim, "");
        sim.shutdown().await;
        let after = client().get(&url).send().await;
        assert!(after.is_err(), "still serving after shutdown: {after:?}");
        other.shutdown().await;
    }

    #[tokio::test]
    async fn sequential_requests_on_one_client_use_one_connection() {
        let sim = start_demo().await;
        assert_eq!(sim.connections(), 0);
        let http = client();
        for _ in 0..3 {
            let response = http.get(list_url(&sim, "")).send().await.expect("list");
            assert_eq!(response.status().as_u16(), 200);
            // Reading the whole body hands the connection back to the pool.
            let _ = response.bytes().await.expect("body");
        }
        let paused = http
            .post(url_for(
                &sim,
                crate::test_support::DEMO_PROJECT,
                crate::test_support::DEMO_INSTANCE,
                "/pause",
            ))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("pause");
        let _ = paused.bytes().await.expect("body");
        assert_eq!(sim.connections(), 1);

        // Another client opens its own connection.
        let other = client();
        let response = other.get(list_url(&sim, "")).send().await.expect("list");
        let _ = response.bytes().await.expect("body");
        assert_eq!(sim.connections(), 2);
        sim.shutdown().await;
    }
}
