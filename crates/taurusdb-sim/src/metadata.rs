//! The simulated ECS metadata service (`169.254.169.254` on a real server): the temporary
//! credentials of the agency bound to the ECS, and the session tokens that guard them.
//!
//! A provider running on an ECS can authenticate with no configured secret at all, by
//! reading `GET /openstack/latest/securitykey` (after `PUT /meta-data/latest/api/token` for a
//! session token when the service hands them out) and renewing before `expires_at`. Serving
//! it here lets tests and CI cover that path: with session tokens, without (the `PUT`
//! answers 404 and clients go on without one), and with the service off (404 everywhere).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::errors::ApiError;
use super::state::Shared;
use super::temporary::{CredentialEndpoint, iam_credential_json};

/// `PUT` here for a session token.
pub(crate) const SESSION_TOKEN_PATH: &str = "/meta-data/latest/api/token";
/// `GET` here for temporary credentials.
pub(crate) const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";
/// How long the asked-for session token should live, in seconds (1 to 21600).
const HEADER_TTL: &str = "x-metadata-token-ttl-seconds";
/// The session token, on credential reads.
const HEADER_TOKEN: &str = "x-metadata-token";
/// The longest session token lifetime.
const MAX_TTL_SECONDS: u64 = 21_600;

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], text).into_response()
}

/// The session token lifetime asked for, if valid.
fn ttl(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(HEADER_TTL)?.to_str().ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: u64 = text.parse().ok()?;
    (1..=MAX_TTL_SECONDS)
        .contains(&seconds)
        .then(|| Duration::from_secs(seconds))
}

/// `PUT /meta-data/latest/api/token`: 200 with a session token (plain text); 404 when the
/// service or its session tokens are off; 400 without a valid TTL header.
pub(crate) async fn session_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Response {
    let now = shared.clock.now();
    let mut state = shared.lock();
    if !state.identity.metadata_service || !state.identity.metadata_session_tokens {
        return ApiError::NoSuchApi.into_response();
    }
    let Some(ttl) = ttl(&headers) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "X-Metadata-Token-Ttl-Seconds must be between 1 and 21600",
        );
    };
    let token = state.identity.issue_metadata_token(ttl, now);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain")],
        token,
    )
        .into_response()
}

/// `GET /openstack/latest/securitykey`: 200 with fresh temporary credentials; 404 when the
/// service is off; 401 without a valid `X-Metadata-Token` when session tokens are on.
pub(crate) async fn security_key(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Response {
    let now = shared.clock.now();
    let mut state = shared.lock();
    if !state.identity.metadata_service {
        return ApiError::NoSuchApi.into_response();
    }
    if state.identity.metadata_session_tokens {
        let presented = headers
            .get(HEADER_TOKEN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !state.identity.metadata_token_is_valid(presented, now) {
            return plain(StatusCode::UNAUTHORIZED, "Unauthorized");
        }
    }
    let issued = state
        .identity
        .issue_temporary(CredentialEndpoint::Metadata, None, now);
    (StatusCode::OK, Json(iam_credential_json(&issued))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CredentialEndpoint;
    use crate::test_support::{plain_client, start_full};
    use serde_json::Value;

    async fn put_token(sim: &crate::SimHandle, ttl: Option<&str>) -> reqwest::Response {
        let mut request = plain_client().put(format!("{}{SESSION_TOKEN_PATH}", sim.endpoint()));
        if let Some(ttl) = ttl {
            request = request.header("X-Metadata-Token-Ttl-Seconds", ttl);
        }
        request.send().await.expect("put token")
    }

    async fn get_key(sim: &crate::SimHandle, token: Option<&str>) -> reqwest::Response {
        let mut request = plain_client().get(format!("{}{SECURITY_KEY_PATH}", sim.endpoint()));
        if let Some(token) = token {
            request = request.header("X-Metadata-Token", token);
        }
        request.send().await.expect("get securitykey")
    }

    #[tokio::test]
    async fn session_token_then_fresh_credentials_each_time() {
        let sim = start_full().await;
        let response = put_token(&sim, Some("21600")).await;
        assert_eq!(response.status().as_u16(), 200);
        let token = response.text().await.expect("token");
        assert!(!token.is_empty());

        let first: Value = get_key(&sim, Some(&token))
            .await
            .json()
            .await
            .expect("json");
        let credential = &first["credential"];
        for field in ["access", "secret", "securitytoken", "expires_at"] {
            assert!(credential[field].is_string(), "{field}: {first}");
        }
        let expires = credential["expires_at"].as_str().expect("expires_at");
        assert!(expires.ends_with('Z') && expires.len() == 27, "{expires}");
        let second: Value = get_key(&sim, Some(&token))
            .await
            .json()
            .await
            .expect("json");
        assert_ne!(
            first["credential"]["access"],
            second["credential"]["access"]
        );
        assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 2);

        // Without a token, or with a wrong or expired one: 401 and nothing issued.
        assert_eq!(get_key(&sim, None).await.status().as_u16(), 401);
        assert_eq!(get_key(&sim, Some("forged")).await.status().as_u16(), 401);
        let short = put_token(&sim, Some("1"))
            .await
            .text()
            .await
            .expect("token");
        sim.advance_clock(Duration::from_secs(1));
        assert_eq!(get_key(&sim, Some(&short)).await.status().as_u16(), 401);
        assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 2);

        // TTLs out of range or missing are refused.
        for bad in [None, Some("0"), Some("21601"), Some("-1"), Some("ten")] {
            assert_eq!(put_token(&sim, bad).await.status().as_u16(), 400, "{bad:?}");
        }
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn without_session_tokens_the_put_is_404_and_the_get_open() {
        let sim = start_full().await;
        sim.set_metadata_session_tokens(false);
        assert_eq!(put_token(&sim, Some("21600")).await.status().as_u16(), 404);
        let response = get_key(&sim, None).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 1);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn a_disabled_service_answers_404() {
        let sim = start_full().await;
        let token = put_token(&sim, Some("60"))
            .await
            .text()
            .await
            .expect("token");
        sim.set_metadata_service(false);
        assert_eq!(put_token(&sim, Some("60")).await.status().as_u16(), 404);
        assert_eq!(get_key(&sim, Some(&token)).await.status().as_u16(), 404);
        assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 0);
        // Other methods are unknown routes.
        let post = plain_client()
            .post(format!("{}{SECURITY_KEY_PATH}", sim.endpoint()))
            .send()
            .await
            .expect("post");
        assert_eq!(post.status().as_u16(), 404);
        sim.shutdown().await;
    }
}
