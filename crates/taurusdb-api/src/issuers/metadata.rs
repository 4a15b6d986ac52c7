//! Credentials of the agency bound to an ECS, from the instance metadata service.
//!
//! As Huawei's SDKs do it: first a session token (`PUT /meta-data/latest/api/token` with
//! `X-Metadata-Token-Ttl-Seconds`; a service that answers 404, 405 or 503 to it has none,
//! and we go on without), then `GET /openstack/latest/securitykey` with that token as
//! `X-Metadata-Token`. Each request is bounded by [`REQUEST_TIMEOUT`] and never retried,
//! so off an ECS (nothing answers at 169.254.169.254) the provider says so within a few
//! seconds instead of hanging, as the official provider did.

use std::time::Duration;

use reqwest::Method;
use tokio_util::sync::CancellationToken;

use super::{MAX_ANSWER_BYTES, keys, read_keys};
use crate::error::ApiError;
use crate::secret::Secret;
use crate::temporary::IssuedKeys;
use crate::transport::{Call, CallAuth, Transport};

/// Where the metadata service answers on every ECS.
pub const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
/// How long one request to the metadata service may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// The session token's lifetime asked for (6 hours, as the SDKs ask).
const SESSION_TTL_SECONDS: &str = "21600";
/// The largest session token read.
const MAX_SESSION_TOKEN_BYTES: usize = 4096;

/// The ECS metadata service at `endpoint`.
#[derive(Debug, Clone)]
pub struct EcsMetadata {
    /// Scheme and host, e.g. [`DEFAULT_ENDPOINT`].
    pub endpoint: String,
    /// Used only because nothing else was configured: its failure is reported as
    /// "no credentials" with every way to give them.
    pub last_resort: bool,
}

impl EcsMetadata {
    pub(super) async fn issue(
        &self,
        transport: &Transport,
        cancel: &CancellationToken,
    ) -> Result<IssuedKeys, ApiError> {
        let base = self.endpoint.trim_end_matches('/');
        let session = self.session_token(transport, base, cancel).await?;
        let mut call = Call::new(
            Method::GET,
            format!("{base}/openstack/latest/securitykey"),
            None,
        )
        .with_auth(CallAuth::Anonymous)
        .with_timeout(REQUEST_TIMEOUT)
        .with_max_retries(0)
        .with_body_limit(MAX_ANSWER_BYTES);
        if let Some(token) = &session {
            call = call.with_header("X-Metadata-Token", token.expose().to_string());
        }
        let reply = transport.send(call, cancel).await?;
        read_keys(&reply, keys::from_iam)
    }

    /// The session token, or None when the service has none to give.
    async fn session_token(
        &self,
        transport: &Transport,
        base: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<Secret>, ApiError> {
        let call = Call::new(
            Method::PUT,
            format!("{base}/meta-data/latest/api/token"),
            None,
        )
        .with_auth(CallAuth::Anonymous)
        .with_header("X-Metadata-Token-Ttl-Seconds", SESSION_TTL_SECONDS.into())
        .with_timeout(REQUEST_TIMEOUT)
        .with_max_retries(0)
        .with_body_limit(MAX_SESSION_TOKEN_BYTES);
        match transport.send(call, cancel).await {
            Ok(reply) => {
                let token = String::from_utf8_lossy(&reply.body).trim().to_string();
                Ok((!token.is_empty()).then(|| Secret::new(token)))
            }
            Err(err) if matches!(err.status(), Some(404 | 405 | 503)) => {
                tracing::debug!(
                    http_status = err.status(),
                    "the metadata service gives no session token; going on without"
                );
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }
}
