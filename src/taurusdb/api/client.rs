//! The HTTP client: one connection pool per provider process, requests with the
//! documented headers and credentials, safe retries, and responses and failures turned
//! into typed results.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::taurusdb::api::auth::{Credentials, TokenCache};
use crate::taurusdb::api::endpoint::{self, UrlProblem};
use crate::taurusdb::api::error::ApiError;
use crate::taurusdb::api::listing::{Listing, PAGE_SIZE};
use crate::taurusdb::api::response::{self, BodyError, MAX_BODY_BYTES};
use crate::taurusdb::api::retry::{self, RetryPolicy};
use crate::taurusdb::api::secret::Secret;
use crate::taurusdb::api::signer;
use crate::taurusdb::api::task_watch::{Interest, Subscription, Watches};

/// How to reach and authenticate to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme and host, e.g. `https://gaussdb.cn-north-4.myhuaweicloud.com`.
    pub endpoint: String,
    pub credentials: Credentials,
    /// Sent as `X-Language` when set (`en-us` or `zh-cn`).
    pub language: Option<String>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Extra trusted CA certificates (PEM), for private clouds.
    pub ca_pem: Option<Vec<u8>>,
    /// Skip TLS certificate verification (private clouds with self-signed endpoints).
    pub insecure: bool,
}

impl ClientConfig {
    pub fn new(endpoint: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            endpoint: endpoint.into(),
            credentials,
            language: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            ca_pem: None,
            insecure: false,
        }
    }
}

/// The answer to a call that starts an asynchronous job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStarted {
    pub job_id: String,
    pub request_id: Option<String>,
}

/// One data synchronization task as the list call reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Replication {
    pub task_name: String,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// The state of an asynchronous job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Other(String),
}

impl JobStatus {
    fn parse(status: &str) -> Self {
        match status.to_ascii_lowercase().as_str() {
            "pending" => JobStatus::Pending,
            "running" => JobStatus::Running,
            "completed" => JobStatus::Completed,
            "failed" => JobStatus::Failed,
            _ => JobStatus::Other(status.to_string()),
        }
    }
}

/// A job as the jobs API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub status: JobStatus,
    pub process: Option<String>,
    pub fail_reason: Option<String>,
}

/// Which project a call is about (AK/SK requests carry it as `X-Project-Id`).
struct Call<'a> {
    method: Method,
    url: String,
    project_id: Option<&'a str>,
    body: Option<Vec<u8>>,
    /// Authenticate the request (every API call; not the IAM token request).
    authenticated: bool,
    /// The largest answer body read.
    body_limit: usize,
}

impl<'a> Call<'a> {
    /// An authenticated read.
    fn get(url: String, project_id: &'a str) -> Self {
        Self {
            method: Method::GET,
            url,
            project_id: Some(project_id),
            body: None,
            authenticated: true,
            body_limit: MAX_BODY_BYTES,
        }
    }

    fn with_body_limit(self, body_limit: usize) -> Self {
        Self { body_limit, ..self }
    }
}

/// What came back from one request.
struct Reply {
    status: StatusCode,
    request_id: Option<String>,
    subject_token: Option<String>,
    body: bytes::Bytes,
}

/// A TaurusDB API client. Cheap to clone; clones share the connection pool, the IAM
/// token and in-flight task lists.
#[derive(Debug, Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
    watches: Arc<Watches>,
}

/// What sends requests: the pool, the configuration and the IAM token.
#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    token: TokenCache,
}

/// What reads an instance's whole task list for the shared pollers.
pub trait ListSource: Send + Sync + 'static {
    fn fetch<'a>(
        &'a self,
        project_id: &'a str,
        instance_id: &'a str,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<Arc<Vec<Replication>>, ApiError>>;
}

impl ListSource for Inner {
    fn fetch<'a>(
        &'a self,
        project_id: &'a str,
        instance_id: &'a str,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<Arc<Vec<Replication>>, ApiError>> {
        self.fetch_replications(project_id, instance_id, cancel)
            .map(|tasks| tasks.map(Arc::new))
            .boxed()
    }
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error_code: Option<String>,
    error_msg: Option<String>,
    error: Option<GatewayError>,
}

/// The gateway's and IAM's variant of the error body (`code` may be a number).
#[derive(Debug, Deserialize)]
struct GatewayError {
    code: Option<serde_json::Value>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct JobStartedBody {
    job_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ListBody {
    #[serde(default)]
    total_count: Option<serde_json::Value>,
    #[serde(default)]
    replications: Vec<Replication>,
}

#[derive(Debug, Deserialize)]
struct JobEnvelope {
    job: Option<JobBody>,
}

#[derive(Debug, Deserialize)]
struct JobBody {
    id: Option<String>,
    status: Option<String>,
    process: Option<String>,
    fail_reason: Option<String>,
}

/// Codes meaning "no such job (yet)".
const JOB_NOT_FOUND_CODES: [&str; 1] = ["DBS.200009"];

impl ApiClient {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        let endpoint = config.endpoint.trim_end_matches('/').to_string();
        check_url(&endpoint, "endpoint")?;
        if let Credentials::Password(iam) = &config.credentials {
            check_url(&iam.auth_url, "auth_url")?;
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            // Never follow a redirect: it would carry the credentials (and a POST) to a
            // host the user did not configure. A 3xx is an error naming its target.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "terraform-provider-taurusdb/",
                env!("CARGO_PKG_VERSION")
            ));
        if let Some(pem) = &config.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|err| {
                ApiError::Config(format!("ca_file holds no usable PEM certificate: {err}"))
            })?;
            if certs.is_empty() {
                return Err(ApiError::Config("ca_file holds no PEM certificate".into()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if config.insecure {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let http = builder
            .build()
            .map_err(|err| ApiError::Config(err.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config: ClientConfig { endpoint, ..config },
                token: TokenCache::default(),
            }),
            watches: Arc::new(Watches::default()),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.inner.config.endpoint
    }

    /// Pauses a StarRocks data synchronization task; the service answers with the
    /// ID of the job doing it.
    pub async fn pause_replication(
        &self,
        project_id: &str,
        instance_id: &str,
        task_name: &str,
        cancel: &CancellationToken,
    ) -> Result<JobStarted, ApiError> {
        self.start_job(project_id, instance_id, "/pause", task_name, cancel)
            .await
    }

    /// Resumes a paused task; answers with the ID of the job doing it.
    pub async fn resume_replication(
        &self,
        project_id: &str,
        instance_id: &str,
        task_name: &str,
        cancel: &CancellationToken,
    ) -> Result<JobStarted, ApiError> {
        self.start_job(project_id, instance_id, "/resume", task_name, cancel)
            .await
    }

    async fn start_job(
        &self,
        project_id: &str,
        instance_id: &str,
        action: &str,
        task_name: &str,
        cancel: &CancellationToken,
    ) -> Result<JobStarted, ApiError> {
        let body = serde_json::to_vec(&serde_json::json!({ "task_name": task_name }))
            .map_err(|err| ApiError::Config(err.to_string()))?;
        let reply = self
            .inner
            .send(
                Call {
                    method: Method::POST,
                    url: self.inner.replication_url(project_id, instance_id, action),
                    project_id: Some(project_id),
                    body: Some(body),
                    authenticated: true,
                    body_limit: MAX_BODY_BYTES,
                },
                cancel,
            )
            .await?;
        let parsed: JobStartedBody = parse_body(&reply)?;
        match parsed.job_id {
            Some(job_id) if !job_id.is_empty() => Ok(JobStarted {
                job_id,
                request_id: reply.request_id,
            }),
            _ => Err(invalid(&reply, "the response carries no job_id")),
        }
    }

    /// Every synchronization task of an instance (all pages). Concurrent calls for the
    /// same instance share one read (see [`task_watch`](super::task_watch)): a refresh of
    /// many pauses on one instance costs one list, not one per resource.
    pub async fn list_replications(
        &self,
        project_id: &str,
        instance_id: &str,
        cancel: &CancellationToken,
    ) -> Result<Arc<Vec<Replication>>, ApiError> {
        let mut subscription = self.watch_tasks(project_id, instance_id, Interest::Once);
        tokio::select! {
            snapshot = subscription.next() => snapshot.tasks,
            () = cancel.cancelled() => Err(ApiError::Cancelled),
        }
    }

    /// Subscribes to an instance's task list, read on behalf of every subscriber of that
    /// instance at the pace the most demanding one needs.
    pub fn watch_tasks(
        &self,
        project_id: &str,
        instance_id: &str,
        interest: Interest,
    ) -> Subscription {
        let source: Arc<dyn ListSource> = self.inner.clone();
        self.watches.subscribe(
            &source,
            (project_id.to_string(), instance_id.to_string()),
            interest,
        )
    }

    /// One task by name, or None when the instance has no such task.
    pub async fn find_replication(
        &self,
        project_id: &str,
        instance_id: &str,
        task_name: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<Replication>, ApiError> {
        let tasks = self
            .list_replications(project_id, instance_id, cancel)
            .await?;
        Ok(tasks.iter().find(|t| t.task_name == task_name).cloned())
    }

    /// A job by ID, or None when the service does not know it (yet).
    pub async fn show_job(
        &self,
        project_id: &str,
        job_id: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<Job>, ApiError> {
        let url = format!(
            "{}/v3/{}/jobs?id={}",
            self.inner.config.endpoint,
            encode_segment(project_id),
            encode_segment(job_id)
        );
        let result = self.inner.send(Call::get(url, project_id), cancel).await;
        let reply = match result {
            Ok(reply) => reply,
            Err(err) if is_job_not_found(&err) => return Ok(None),
            Err(err) => return Err(err),
        };
        let envelope: JobEnvelope = parse_body(&reply)?;
        let Some(job) = envelope.job else {
            return Ok(None);
        };
        Ok(Some(Job {
            id: job.id.unwrap_or_else(|| job_id.to_string()),
            status: JobStatus::parse(job.status.as_deref().unwrap_or("")),
            process: job.process,
            fail_reason: job.fail_reason.filter(|r| !r.is_empty()),
        }))
    }
}

impl Inner {
    fn replication_url(&self, project_id: &str, instance_id: &str, action: &str) -> String {
        format!(
            "{}/v3/{}/instances/{}/starrocks/databases/replication{action}",
            self.config.endpoint,
            encode_segment(project_id),
            encode_segment(instance_id)
        )
    }

    async fn fetch_replications(
        &self,
        project_id: &str,
        instance_id: &str,
        cancel: &CancellationToken,
    ) -> Result<Vec<Replication>, ApiError> {
        // Every page counts against one budget of bytes; each name is kept once.
        let mut listing = Listing::new();
        while listing.may_read_another_page() {
            let url = format!(
                "{}?limit={PAGE_SIZE}&offset={}",
                self.replication_url(project_id, instance_id, ""),
                listing.len()
            );
            let limit = listing.remaining_budget().min(MAX_BODY_BYTES);
            let call = Call::get(url, project_id).with_body_limit(limit);
            let reply = match self.send(call, cancel).await {
                Err(ApiError::BodyTooLarge { .. }) if limit < MAX_BODY_BYTES => {
                    return Err(listing.over_budget());
                }
                reply => reply?,
            };
            listing.count_page(reply.body.len())?;
            let page: ListBody = parse_body(&reply)?;
            drop(reply);
            let total = page.total_count.as_ref().and_then(count_of);
            let got = page.replications.len();
            let before = listing.len();
            for task in page.replications {
                listing.add(task);
            }
            // A short page, the announced total, or a page with nothing new (a server
            // that ignores offset) ends the listing.
            let done = got < PAGE_SIZE
                || total.is_some_and(|t| listing.len() >= t)
                || listing.len() == before;
            if done {
                return Ok(listing.into_tasks());
            }
        }
        if listing.remaining_budget() == 0 {
            return Err(listing.over_budget());
        }
        Ok(listing.into_tasks())
    }

    /// Sends a call, retrying what is safe to retry (see [`retry`]), and with password
    /// credentials renewing the IAM token once on a 401.
    async fn send(&self, call: Call<'_>, cancel: &CancellationToken) -> Result<Reply, ApiError> {
        let policy = self.config.retry;
        let mut retries = 0;
        let mut renewed = false;
        loop {
            let token = match (&self.config.credentials, call.authenticated) {
                (Credentials::Password(_), true) => Some(self.iam_token(cancel).await?),
                _ => None,
            };
            let result = self.attempt(&call, token.as_ref(), cancel).await;
            let err = match result {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            if let (Some(used), Some(401), false) = (&token, err.status(), renewed) {
                renewed = true;
                tracing::info!(
                    http_path = path_of(&call.url),
                    "IAM token rejected; requesting a new one"
                );
                self.token.invalidate(used).await;
                continue;
            }
            let Some(reason) = retry::retry_reason(&call.method, &err) else {
                return Err(err);
            };
            if retries >= policy.max_retries {
                tracing::warn!(
                    http_method = %call.method,
                    http_path = path_of(&call.url),
                    retries,
                    reason = reason.as_str(),
                    "giving up: max_retries reached"
                );
                return Err(err);
            }
            retries += 1;
            let delay = policy.delay(retries, err.retry_after(), retry::jitter());
            tracing::warn!(
                http_method = %call.method,
                http_path = path_of(&call.url),
                retry = retries,
                max_retries = policy.max_retries,
                reason = reason.as_str(),
                delay_ms = delay.as_millis() as u64,
                error = %err,
                "retrying request"
            );
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = cancel.cancelled() => return Err(ApiError::Cancelled),
            }
        }
    }

    /// The shared IAM token, fetched on first use.
    async fn iam_token(&self, cancel: &CancellationToken) -> Result<Secret, ApiError> {
        let Credentials::Password(iam) = &self.config.credentials else {
            return Err(ApiError::Config("no IAM password credentials".into()));
        };
        self.token
            .get_or_fetch(|| async {
                let body = serde_json::to_vec(&iam.token_request())
                    .map_err(|err| ApiError::Config(err.to_string()))?;
                let url = format!("{}/auth/tokens", iam.auth_url.trim_end_matches('/'));
                let reply = self
                    .send_token_request(url, body, cancel)
                    .await
                    .map_err(|err| ApiError::IamToken(Box::new(err)))?;
                tracing::debug!("obtained an IAM token");
                reply.subject_token.clone().map(Secret::new).ok_or_else(|| {
                    ApiError::IamToken(Box::new(invalid(&reply, "no X-Subject-Token header")))
                })
            })
            .await
    }

    async fn send_token_request(
        &self,
        url: String,
        body: Vec<u8>,
        cancel: &CancellationToken,
    ) -> Result<Reply, ApiError> {
        // The token request is itself a call with retries, just unauthenticated.
        Box::pin(self.send(
            Call {
                method: Method::POST,
                url,
                project_id: None,
                body: Some(body),
                authenticated: false,
                body_limit: MAX_BODY_BYTES,
            },
            cancel,
        ))
        .await
    }

    /// One attempt: build, authenticate, send, read.
    async fn attempt(
        &self,
        call: &Call<'_>,
        token: Option<&Secret>,
        cancel: &CancellationToken,
    ) -> Result<Reply, ApiError> {
        let mut headers: Vec<(&str, String)> = vec![("Accept", "application/json".into())];
        if call.body.is_some() {
            headers.push(("Content-Type", "application/json".into()));
        }
        if let Some(language) = &self.config.language {
            headers.push(("X-Language", language.clone()));
        }
        if call.authenticated {
            self.authenticate(call, token, &mut headers)?;
        }
        let mut request = self.http.request(call.method.clone(), &call.url);
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        let started = Instant::now();
        if cancel.is_cancelled() {
            return Err(ApiError::Cancelled);
        }
        let interrupted = || ApiError::Interrupted {
            endpoint: self.config.endpoint.clone(),
        };
        let response = tokio::select! {
            response = request.send() => response,
            () = cancel.cancelled() => return Err(interrupted()),
        };
        let response = response.map_err(|err| self.transport_error(&err))?;
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let request_id = header("X-Request-Id");
        let subject_token = header("X-Subject-Token");
        let retry_after = header("Retry-After");
        let location = header("Location");
        let log = |what: &str| {
            tracing::debug!(
                http_method = %call.method,
                http_path = path_of(&call.url),
                http_status = status.as_u16(),
                duration_ms = started.elapsed().as_millis() as u64,
                request_id = request_id.as_deref().unwrap_or(""),
                "{what}"
            );
        };
        if status.is_redirection() {
            log("TaurusDB API call answered with a redirect (not followed)");
            return Err(ApiError::Redirect {
                status: status.as_u16(),
                location: response::redirect_target(&call.url, location.as_deref()),
                request_id,
            });
        }
        let body = tokio::select! {
            body = response::read_body(response, call.body_limit) => body,
            () = cancel.cancelled() => return Err(interrupted()),
        };
        let body = match body {
            Ok(body) => body,
            Err(BodyError::Transport(err)) => return Err(self.transport_error(&err)),
            Err(BodyError::TooLarge) => {
                log("TaurusDB API call answered with a body over the limit");
                return Err(ApiError::BodyTooLarge {
                    status: status.as_u16(),
                    limit: call.body_limit,
                    request_id,
                });
            }
        };
        log("TaurusDB API call");
        let reply = Reply {
            status,
            request_id,
            subject_token,
            body,
        };
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(status_error(reply, retry_after.as_deref()))
        }
    }

    /// Adds the credential headers for one attempt (a fresh signature every time).
    fn authenticate(
        &self,
        call: &Call<'_>,
        token: Option<&Secret>,
        headers: &mut Vec<(&str, String)>,
    ) -> Result<(), ApiError> {
        match (&self.config.credentials, token) {
            (Credentials::Token(token), _) | (Credentials::Password(_), Some(token)) => {
                headers.push(("X-Auth-Token", token.expose().to_string()));
                Ok(())
            }
            (Credentials::Password(_), None) => Err(ApiError::Config(
                "IAM token missing for an authenticated call".into(),
            )),
            (Credentials::AkSk(credentials), _) => {
                let url = reqwest::Url::parse(&call.url)
                    .map_err(|err| ApiError::Config(format!("invalid URL: {err}")))?;
                let host = match (url.host_str(), url.port()) {
                    (Some(host), Some(port)) => format!("{host}:{port}"),
                    (Some(host), None) => host.to_string(),
                    (None, _) => return Err(ApiError::Config("URL without host".into())),
                };
                if let Some(project_id) = call.project_id {
                    headers.push(("X-Project-Id", project_id.to_string()));
                }
                let mut signed: Vec<(&str, &str)> = vec![("Host", host.as_str())];
                for (name, value) in headers.iter() {
                    if matches!(*name, "Content-Type" | "X-Project-Id") {
                        signed.push((name, value.as_str()));
                    }
                }
                let input = signer::SignInput {
                    method: call.method.as_str(),
                    path: url.path(),
                    query: url.query(),
                    headers: &signed,
                    body: call.body.as_deref().unwrap_or_default(),
                };
                let added = signer::sign(credentials, &input, SystemTime::now());
                headers.extend(added);
                Ok(())
            }
        }
    }

    fn transport_error(&self, err: &reqwest::Error) -> ApiError {
        let endpoint = self.config.endpoint.clone();
        let detail = root_cause(err);
        if err.is_timeout() {
            ApiError::Timeout {
                endpoint,
                timeout: self.config.request_timeout,
            }
        } else if err.is_connect() {
            ApiError::Connect { endpoint, detail }
        } else {
            ApiError::Transport { endpoint, detail }
        }
    }
}

/// The one URL check of [`endpoint::check_url`]; the error never repeats a URL that
/// carries a password.
fn check_url(url: &str, what: &str) -> Result<(), ApiError> {
    match endpoint::check_url(url) {
        Ok(_) => Ok(()),
        Err(problem @ UrlProblem::Userinfo) => Err(ApiError::Config(format!("{what} {problem}"))),
        Err(problem) => Err(ApiError::Config(format!(
            "{what} {} {problem}",
            endpoint::quoted_for_error(url)
        ))),
    }
}

/// The path of a URL, for log lines (never the query: job IDs are fine, but keep it
/// uniform).
fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.split('?').next().unwrap_or(path)
}

fn count_of(value: &serde_json::Value) -> Option<usize> {
    match value {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn is_job_not_found(err: &ApiError) -> bool {
    match err {
        ApiError::Status { status: 404, .. } => true,
        ApiError::Status {
            code: Some(code), ..
        } => JOB_NOT_FOUND_CODES.contains(&code.as_str()),
        _ => false,
    }
}

fn invalid(reply: &Reply, reason: &str) -> ApiError {
    ApiError::InvalidResponse {
        status: reply.status.as_u16(),
        reason: reason.to_string(),
        request_id: reply.request_id.clone(),
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(reply: &Reply) -> Result<T, ApiError> {
    serde_json::from_slice(&reply.body)
        .map_err(|err| invalid(reply, &format!("body is not the documented JSON ({err})")))
}

fn status_error(reply: Reply, retry_after: Option<&str>) -> ApiError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(&reply.body).ok();
    let (code, message) = match parsed {
        Some(ErrorBody {
            error_code,
            error_msg,
            error,
        }) if error_code.is_some() || error_msg.is_some() || error.is_some() => {
            let (gw_code, gw_message) = error
                .map(|e| {
                    let code = e.code.map(|c| match c {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    });
                    (code, e.message)
                })
                .unwrap_or_default();
            (
                error_code.or(gw_code),
                error_msg
                    .or(gw_message)
                    .unwrap_or_else(|| "no error message".to_string()),
            )
        }
        _ => (None, body_excerpt(&reply.body, reply.status)),
    };
    ApiError::Status {
        status: reply.status.as_u16(),
        code,
        message,
        request_id: reply.request_id,
        retry_after: retry_after.and_then(retry::parse_retry_after),
    }
}

/// A short, single-line excerpt of a body that is not the documented error JSON.
fn body_excerpt(body: &[u8], status: StatusCode) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return status
            .canonical_reason()
            .unwrap_or("empty response body")
            .to_string();
    }
    let mut excerpt: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        excerpt.push('…');
    }
    excerpt
}

/// The innermost error message, which names the actual cause (e.g. "Connection
/// refused") rather than reqwest's wrapper text.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Percent-encodes one URL path segment (unreserved characters kept).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: StatusCode, body: &'static [u8]) -> Reply {
        Reply {
            status,
            request_id: Some("r".into()),
            subject_token: None,
            body: bytes::Bytes::from_static(body),
        }
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("abc-123_x.y~z"), "abc-123_x.y~z");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment("ü"), "%C3%BC");
    }

    #[test]
    fn non_json_error_bodies_become_an_excerpt() {
        let err = status_error(
            reply(
                StatusCode::BAD_GATEWAY,
                b"<html>\n  <body>Bad gateway</body>\n</html>",
            ),
            None,
        );
        let ApiError::Status { code, message, .. } = err else {
            panic!("status error expected");
        };
        assert_eq!(code, None);
        assert_eq!(message, "<html> <body>Bad gateway</body> </html>");
    }

    #[test]
    fn gateway_and_iam_error_shapes_are_understood() {
        let err = status_error(
            reply(
                StatusCode::TOO_MANY_REQUESTS,
                br#"{"error":{"code":"APIGW.0308","message":"throttled"}}"#,
            ),
            Some("3"),
        );
        assert_eq!(err.code(), Some("APIGW.0308"));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
        let iam = status_error(
            reply(
                StatusCode::UNAUTHORIZED,
                br#"{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}"#,
            ),
            None,
        );
        assert_eq!(iam.code(), Some("401"));
        assert!(
            iam.to_string()
                .contains("The username or password is wrong.")
        );
    }

    #[test]
    fn paths_for_logs_drop_scheme_host_and_query() {
        assert_eq!(path_of("https://h:1/v3/p/jobs?id=x"), "/v3/p/jobs");
        assert_eq!(path_of("http://h"), "/");
    }

    #[test]
    fn total_count_may_be_a_string_or_a_number() {
        assert_eq!(count_of(&serde_json::json!("2")), Some(2));
        assert_eq!(count_of(&serde_json::json!(7)), Some(7));
        assert_eq!(count_of(&serde_json::json!(null)), None);
    }

    #[test]
    fn job_status_is_case_insensitive() {
        assert_eq!(JobStatus::parse("Completed"), JobStatus::Completed);
        assert_eq!(JobStatus::parse("FAILED"), JobStatus::Failed);
        assert_eq!(JobStatus::parse("odd"), JobStatus::Other("odd".into()));
    }
}
