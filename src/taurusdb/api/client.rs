//! The HTTP client: one connection pool per provider process, requests with the
//! documented headers, responses and failures turned into typed results.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::taurusdb::api::error::ApiError;
use crate::taurusdb::api::secret::Secret;

/// How to reach and authenticate to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme and host, e.g. `https://gaussdb.cn-north-4.myhuaweicloud.com`.
    pub endpoint: String,
    pub auth_token: Secret,
    /// Sent as `X-Language` when set (`en-us` or `zh-cn`).
    pub language: Option<String>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl ClientConfig {
    pub fn new(endpoint: impl Into<String>, auth_token: Secret) -> Self {
        Self {
            endpoint: endpoint.into(),
            auth_token,
            language: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// The answer to a call that starts an asynchronous job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStarted {
    pub job_id: String,
    pub request_id: Option<String>,
}

/// A TaurusDB API client. Cheap to clone; clones share the connection pool.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    config: ClientConfig,
}

/// The error body the API documents, and the gateway's variant of it.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error_code: Option<String>,
    error_msg: Option<String>,
    error: Option<GatewayError>,
}

#[derive(Debug, Deserialize)]
struct GatewayError {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct JobBody {
    job_id: Option<String>,
}

/// What came back from one request.
struct Reply {
    status: StatusCode,
    request_id: Option<String>,
    body: bytes::Bytes,
}

impl ApiClient {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        let endpoint = config.endpoint.trim_end_matches('/').to_string();
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(ApiError::Config(format!(
                "endpoint {endpoint:?} must start with https:// or http://"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!(
                "terraform-provider-taurusdb/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|err| ApiError::Config(err.to_string()))?;
        Ok(Self {
            http,
            config: ClientConfig { endpoint, ..config },
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.config.endpoint
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
        let path = format!(
            "/v3/{}/instances/{}/starrocks/databases/replication/pause",
            encode_segment(project_id),
            encode_segment(instance_id)
        );
        let body = serde_json::json!({ "task_name": task_name });
        let reply = self.send(Method::POST, &path, Some(body), cancel).await?;
        job_started(reply)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        cancel: &CancellationToken,
    ) -> Result<Reply, ApiError> {
        let url = format!("{}{path}", self.config.endpoint);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .header("X-Auth-Token", self.config.auth_token.expose())
            .header("Accept", "application/json");
        if let Some(language) = &self.config.language {
            request = request.header("X-Language", language);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let started = Instant::now();
        let response = tokio::select! {
            response = request.send() => response,
            () = cancel.cancelled() => return Err(ApiError::Cancelled),
        };
        let response = response.map_err(|err| self.transport_error(&err))?;
        let status = response.status();
        let request_id = response
            .headers()
            .get("X-Request-Id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = tokio::select! {
            body = response.bytes() => body.map_err(|err| self.transport_error(&err))?,
            () = cancel.cancelled() => return Err(ApiError::Cancelled),
        };
        tracing::debug!(
            http_method = %method,
            http_path = path,
            http_status = status.as_u16(),
            duration_ms = started.elapsed().as_millis() as u64,
            request_id = request_id.as_deref().unwrap_or(""),
            "TaurusDB API call"
        );
        let reply = Reply {
            status,
            request_id,
            body,
        };
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(status_error(reply))
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

fn job_started(reply: Reply) -> Result<JobStarted, ApiError> {
    let invalid = |reason: String| ApiError::InvalidResponse {
        status: reply.status.as_u16(),
        reason,
        request_id: reply.request_id.clone(),
    };
    let body: JobBody = serde_json::from_slice(&reply.body)
        .map_err(|err| invalid(format!("body is not the documented JSON ({err})")))?;
    match body.job_id {
        Some(job_id) if !job_id.is_empty() => Ok(JobStarted {
            job_id,
            request_id: reply.request_id.clone(),
        }),
        _ => Err(invalid("the response carries no job_id".to_string())),
    }
}

fn status_error(reply: Reply) -> ApiError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(&reply.body).ok();
    let (code, message) = match parsed {
        Some(ErrorBody {
            error_code,
            error_msg,
            error,
        }) if error_code.is_some() || error_msg.is_some() || error.is_some() => {
            let (gw_code, gw_message) = error.map(|e| (e.code, e.message)).unwrap_or_default();
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

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("abc-123_x.y~z"), "abc-123_x.y~z");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment("ü"), "%C3%BC");
    }

    #[test]
    fn non_json_error_bodies_become_an_excerpt() {
        let reply = Reply {
            status: StatusCode::BAD_GATEWAY,
            request_id: None,
            body: bytes::Bytes::from_static(b"<html>\n  <body>Bad gateway</body>\n</html>"),
        };
        let ApiError::Status { code, message, .. } = status_error(reply) else {
            panic!("status error expected");
        };
        assert_eq!(code, None);
        assert_eq!(message, "<html> <body>Bad gateway</body> </html>");
    }

    #[test]
    fn gateway_error_shape_is_understood() {
        let reply = Reply {
            status: StatusCode::TOO_MANY_REQUESTS,
            request_id: Some("r".into()),
            body: bytes::Bytes::from_static(
                br#"{"error":{"code":"APIGW.0308","message":"throttled"}}"#,
            ),
        };
        let err = status_error(reply);
        assert_eq!(err.code(), Some("APIGW.0308"));
        assert!(err.to_string().contains("throttled"));
    }

    #[test]
    fn ok_without_job_id_is_an_error() {
        let reply = Reply {
            status: StatusCode::OK,
            request_id: Some("r".into()),
            body: bytes::Bytes::from_static(b"{}"),
        };
        assert!(matches!(
            job_started(reply),
            Err(ApiError::InvalidResponse { .. })
        ));
    }
}
