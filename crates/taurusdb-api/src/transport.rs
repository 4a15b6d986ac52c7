//! Sending one call: the connection pool, the documented headers, credentials (a token,
//! a fresh AK/SK signature per attempt, the shared IAM token renewed once on a 401, or
//! temporary credentials renewed before they expire and once on a 401), safe retries,
//! and transport failures turned into [`ApiError`]s.
//!
//! The calls that obtain credentials (IAM, STS, the ECS metadata service) go through the
//! same [`Transport::send`], signed with the credentials they are based on
//! ([`CallAuth::As`]), so they share its rules: no redirect followed, bounded answers,
//! secrets never logged.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime};

use reqwest::Method;
use tokio_util::sync::CancellationToken;

use crate::auth::{Credentials, IamPassword};
use crate::endpoint::{self, UrlProblem};
use crate::error::ApiError;
use crate::response::{self, BodyError, MAX_BODY_BYTES};
use crate::retry::{self, RetryPolicy};
use crate::secret::Secret;
use crate::setting_values::SettingValues;
use crate::settings::attrs;
use crate::signer;
use crate::wire::{self, Reply};

/// What [`Transport::send`] returns: the call's answer, once.
pub(crate) type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send + 'a>>;

/// How to reach and authenticate to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme and host, e.g. `https://gaussdb.cn-north-4.myhuaweicloud.com`.
    pub endpoint: String,
    pub credentials: Credentials,
    /// The provider's settings as read: the client reads those it applies (`language`
    /// as `X-Language`, `insecure`, the `region` whose project it looks up) from here,
    /// where it applies them.
    pub settings: SettingValues,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// How long one listing of an instance's tasks (all its pages, retries included) may
    /// take: [`LIST_DEADLINE`] unless a test shortens it.
    pub list_deadline: Duration,
    pub retry: RetryPolicy,
    /// Extra trusted CA certificates (PEM, the contents of `ca_file`), for private clouds.
    pub ca_pem: Option<Vec<u8>>,
    /// IAM's v3 base URL (`auth_url`, or derived from `region`), for looking up the
    /// project of `region`.
    pub iam_url: Option<String>,
}

impl ClientConfig {
    pub fn new(endpoint: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            endpoint: endpoint.into(),
            credentials,
            settings: SettingValues::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            list_deadline: LIST_DEADLINE,
            retry: RetryPolicy::default(),
            ca_pem: None,
            iam_url: None,
        }
    }
}

/// How long one listing may take, all pages together: five request timeouts. Each page
/// is bounded by the request timeout, but a server answering every page just in time
/// could otherwise keep a plan busy for hours ([`MAX_PAGES`](super::listing::MAX_PAGES)
/// pages); a real list of that size takes well under a minute.
pub const LIST_DEADLINE: Duration = Duration::from_secs(300);

/// How a call proves who sends it.
#[derive(Clone, Copy)]
pub(super) enum CallAuth<'a> {
    /// With the client's own credentials (every API call).
    Client,
    /// Not at all (the IAM password token request, the metadata service, OIDC).
    Anonymous,
    /// With these credentials (the calls that obtain credentials from others).
    As(&'a Credentials),
}

/// One request to make: where, with what, and how much of the answer to read.
pub(super) struct Call<'a> {
    pub method: Method,
    pub url: String,
    /// Which project the call is about (AK/SK requests carry it as `X-Project-Id`).
    pub project_id: Option<&'a str>,
    pub body: Option<Vec<u8>>,
    pub auth: CallAuth<'a>,
    /// Headers of this call besides the documented ones (e.g. `X-Idp-Id`); values may
    /// be secrets, so they are never logged.
    pub headers: Vec<(&'static str, String)>,
    /// The largest answer body read.
    pub body_limit: usize,
    /// This call's own timeout, when shorter than the client's.
    pub timeout: Option<Duration>,
    /// This call's own retry count, when it must not take the client's.
    pub max_retries: Option<u32>,
}

impl<'a> Call<'a> {
    /// An authenticated read.
    pub fn get(url: String, project_id: &'a str) -> Self {
        Self {
            project_id: Some(project_id),
            ..Self::new(Method::GET, url, None)
        }
    }

    /// An authenticated write.
    pub fn post(url: String, project_id: &'a str, body: Vec<u8>) -> Self {
        Self {
            project_id: Some(project_id),
            ..Self::new(Method::POST, url, Some(body))
        }
    }

    /// A call with the client's credentials, about no project.
    pub fn new(method: Method, url: String, body: Option<Vec<u8>>) -> Self {
        Self {
            method,
            url,
            project_id: None,
            body,
            auth: CallAuth::Client,
            headers: Vec::new(),
            body_limit: MAX_BODY_BYTES,
            timeout: None,
            max_retries: None,
        }
    }

    pub fn with_body_limit(self, body_limit: usize) -> Self {
        Self { body_limit, ..self }
    }

    pub fn with_auth(self, auth: CallAuth<'a>) -> Self {
        Self { auth, ..self }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self {
            timeout: Some(timeout),
            ..self
        }
    }

    pub fn with_max_retries(self, max_retries: u32) -> Self {
        Self {
            max_retries: Some(max_retries),
            ..self
        }
    }
}

/// Credentials ready for one attempt.
enum Proof {
    Token(Secret),
    Keys(signer::AkSk),
}

/// What sends requests: the pool and the configuration (whose credentials hold the IAM
/// token or the temporary credentials they obtain).
#[derive(Debug)]
pub(super) struct Transport {
    http: reqwest::Client,
    pub config: ClientConfig,
}

impl Transport {
    /// The pool for `config`: custom CA or none, never following a redirect.
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        let endpoint = config.endpoint.trim_end_matches('/').to_string();
        check_url(&endpoint, "endpoint")?;
        if let Credentials::Password(iam) = &config.credentials {
            check_url(&iam.auth_url, "auth_url")?;
        }
        if let Some(iam_url) = &config.iam_url {
            check_url(iam_url, "auth_url")?;
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
        if config.settings.flag(attrs::INSECURE) {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let http = builder
            .build()
            .map_err(|err| ApiError::Config(err.to_string()))?;
        Ok(Self {
            http,
            config: ClientConfig { endpoint, ..config },
        })
    }

    /// Sends a call, retrying what is safe to retry (see [`retry`]); with credentials
    /// that can be renewed (an IAM password's token, temporary credentials), renewing
    /// them once on a 401.
    ///
    /// Boxed, so the body is compiled once, here: every crate that awaits an async
    /// function of this one compiles its own copy of the futures it awaits, and this one
    /// (the retry loop) is the largest (about 35 KB of code per copy).
    pub fn send<'a>(&'a self, call: Call<'a>, cancel: &'a CancellationToken) -> SendFuture<'a> {
        Box::pin(self.send_unboxed(call, cancel))
    }

    async fn send_unboxed(
        &self,
        call: Call<'_>,
        cancel: &CancellationToken,
    ) -> Result<Reply, ApiError> {
        let mut policy = self.config.retry;
        if let Some(max_retries) = call.max_retries {
            policy.max_retries = max_retries;
        }
        let credentials = match call.auth {
            CallAuth::Client => Some(&self.config.credentials),
            CallAuth::Anonymous => None,
            CallAuth::As(credentials) => Some(credentials),
        };
        let mut retries = 0;
        let mut renewed = false;
        let started = tokio::time::Instant::now();
        loop {
            let proof = match credentials {
                Some(credentials) => Some(self.proof(credentials, cancel).await?),
                None => None,
            };
            let result = self.attempt(&call, proof.as_ref(), cancel).await;
            let err = match result {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            if let (Some(credentials), Some(used), Some(401), false) =
                (credentials, &proof, err.status(), renewed)
                && forget(credentials, used).await
            {
                renewed = true;
                tracing::info!(
                    http_path = path_of(&call.url),
                    credentials = credentials.kind(),
                    "credentials rejected; obtaining new ones"
                );
                continue;
            }
            let err = counted(err, retries + 1, started.elapsed());
            let Some(reason) = retry::retry_reason(&call.method, &err) else {
                return Err(err);
            };
            if retries >= policy.max_retries {
                tracing::warn!(
                    http_method = %call.method,
                    http_path = path_of(&call.url),
                    retries,
                    reason = reason.as_str(),
                    error = %err,
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

    /// Obtains the client's temporary credentials, if it uses such.
    pub async fn ready(&self, cancel: &CancellationToken) -> Result<(), ApiError> {
        if let Credentials::Temporary(source) = &self.config.credentials {
            Box::pin(source.keys(self, cancel)).await?;
        }
        Ok(())
    }

    /// What one attempt with `credentials` carries: the token, or keys to sign with
    /// (temporary ones renewed first when their time has come).
    async fn proof(
        &self,
        credentials: &Credentials,
        cancel: &CancellationToken,
    ) -> Result<Proof, ApiError> {
        Ok(match credentials {
            Credentials::Token(token) => Proof::Token(token.clone()),
            Credentials::AkSk(keys) => Proof::Keys(keys.clone()),
            Credentials::Password(iam) => Proof::Token(self.iam_token(iam, cancel).await?),
            Credentials::Temporary(source) => {
                Proof::Keys(Box::pin(source.keys(self, cancel)).await?)
            }
        })
    }

    /// The shared IAM token of `iam`, fetched on first use.
    async fn iam_token(
        &self,
        iam: &IamPassword,
        cancel: &CancellationToken,
    ) -> Result<Secret, ApiError> {
        // The first caller fetches for everyone; a caller whose own deadline or
        // cancellation comes first stops waiting for it (and for the lock).
        let shared = iam.token.get_or_fetch(|| async {
            let body = serde_json::to_vec(&iam.token_request())
                .map_err(|err| ApiError::Config(err.to_string()))?;
            let url = format!("{}/auth/tokens", iam.auth_url.trim_end_matches('/'));
            let call = Call::new(Method::POST, url, Some(body)).with_auth(CallAuth::Anonymous);
            let reply = Box::pin(self.send(call, cancel))
                .await
                .map_err(|err| ApiError::IamToken(Box::new(err)))?;
            tracing::debug!("obtained an IAM token");
            reply.subject_token.clone().map(Secret::new).ok_or_else(|| {
                let missing = wire::invalid(&reply, "no X-Subject-Token header");
                ApiError::IamToken(Box::new(missing))
            })
        });
        tokio::select! {
            token = shared => token,
            () = cancel.cancelled() => Err(ApiError::Cancelled),
        }
    }

    /// One attempt: build, authenticate, send, read.
    async fn attempt(
        &self,
        call: &Call<'_>,
        proof: Option<&Proof>,
        cancel: &CancellationToken,
    ) -> Result<Reply, ApiError> {
        let mut headers: Vec<(&str, String)> = vec![("Accept", "application/json".into())];
        if call.body.is_some() {
            headers.push(("Content-Type", "application/json".into()));
        }
        if let Some(language) = self.config.settings.text(attrs::LANGUAGE) {
            headers.push(("X-Language", language.to_string()));
        }
        headers.extend(call.headers.iter().cloned());
        if let Some(proof) = proof {
            authenticate(call, proof, &mut headers)?;
        }
        let mut request = self.http.request(call.method.clone(), &call.url);
        if let Some(timeout) = call.timeout {
            request = request.timeout(timeout);
        }
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
            endpoint: self.endpoint_of(&call.url),
        };
        let response = tokio::select! {
            response = request.send() => response,
            () = cancel.cancelled() => return Err(interrupted()),
        };
        let response = response.map_err(|err| self.transport_error(call, &err))?;
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
            Err(BodyError::Transport(err)) => return Err(self.transport_error(call, &err)),
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
            Err(wire::status_error(reply, retry_after.as_deref()))
        }
    }

    /// What a failed call's error names: the configured endpoint for API calls, else
    /// the scheme, host and port the call went to (IAM, STS, the metadata service).
    fn endpoint_of(&self, url: &str) -> String {
        let endpoint = &self.config.endpoint;
        let within = url
            .strip_prefix(endpoint.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'));
        if within {
            return endpoint.clone();
        }
        reqwest::Url::parse(url)
            .map(|parsed| parsed.origin().ascii_serialization())
            .unwrap_or_else(|_| "(unparsable URL)".to_string())
    }

    fn transport_error(&self, call: &Call<'_>, err: &reqwest::Error) -> ApiError {
        let endpoint = self.endpoint_of(&call.url);
        let detail = root_cause(err);
        if err.is_connect() {
            // Before `is_timeout`: a connection that timed out never carried the request,
            // so it is "not connected" (retried, and proof nothing happened), not a
            // request that went unanswered.
            let detail = if err.is_timeout() {
                format!(
                    "no connection within {:?} ({detail})",
                    self.config.connect_timeout
                )
            } else {
                detail
            };
            ApiError::Connect {
                endpoint,
                detail,
                attempts: 1,
                waited: Duration::ZERO,
            }
        } else if err.is_timeout() {
            ApiError::Timeout {
                endpoint,
                timeout: call.timeout.unwrap_or(self.config.request_timeout),
            }
        } else {
            ApiError::Transport { endpoint, detail }
        }
    }
}

/// `err` with the attempts made so far and the time they took, when it is a failure to
/// connect (the one error whose message counts them: the request never left, however
/// often it was tried).
fn counted(err: ApiError, attempts: u32, elapsed: Duration) -> ApiError {
    match err {
        ApiError::Connect {
            endpoint, detail, ..
        } => ApiError::Connect {
            endpoint,
            detail,
            attempts,
            waited: elapsed,
        },
        other => other,
    }
}

/// Forgets credentials the service refused, when they can be renewed; whether they were.
async fn forget(credentials: &Credentials, used: &Proof) -> bool {
    match (credentials, used) {
        (Credentials::Password(iam), Proof::Token(token)) => {
            iam.token.invalidate(token).await;
            true
        }
        (Credentials::Temporary(source), Proof::Keys(keys)) => {
            source.invalidate(keys).await;
            true
        }
        _ => false,
    }
}

/// Adds the credential headers for one attempt (a fresh signature every time).
fn authenticate(
    call: &Call<'_>,
    proof: &Proof,
    headers: &mut Vec<(&str, String)>,
) -> Result<(), ApiError> {
    match proof {
        Proof::Token(token) => {
            headers.push(("X-Auth-Token", token.expose().to_string()));
            Ok(())
        }
        Proof::Keys(credentials) => {
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

/// The innermost error message, which names the actual cause (e.g. "Connection
/// refused") rather than reqwest's wrapper text.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_for_logs_drop_scheme_host_and_query() {
        assert_eq!(path_of("https://h:1/v3/p/jobs?id=x"), "/v3/p/jobs");
        assert_eq!(path_of("http://h"), "/");
    }
}
