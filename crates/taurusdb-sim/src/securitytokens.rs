//! The simulated IAM temporary credentials endpoint, `POST /v3.0/OS-CREDENTIAL/securitytokens`.
//!
//! Two of the official provider's credential methods end here: `assume_role` (switch to an
//! agency, authenticated like any API call, temporary keys included) and `token` (trade an
//! IAM token, from a password or an OIDC exchange, for temporary keys; the token in the body
//! is the credential). Both answer 201 with `{"credential": {...}}` and register the keys with
//! the gateway. Errors use IAM's shape.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::ApiAuth;
use super::gateway::IssuedNow;
use super::iam::IamError;
use super::state::Shared;
use super::temporary::{CredentialEndpoint, iam_credential_json};

/// Shortest and longest `duration_seconds` IAM accepts.
const DURATION_RANGE: std::ops::RangeInclusive<u64> = 900..=86_400;

/// The account an `assume_role` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Domain {
    Name(String),
    Id(String),
}

/// A parsed request.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum SecurityTokenRequest {
    AssumeRole {
        agency_name: String,
        domain: Domain,
        duration_seconds: Option<u64>,
    },
    Token {
        id: String,
        duration_seconds: Option<u64>,
    },
}

impl std::fmt::Debug for SecurityTokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecurityTokenRequest::AssumeRole {
                agency_name,
                domain,
                duration_seconds,
            } => f
                .debug_struct("AssumeRole")
                .field("agency_name", agency_name)
                .field("domain", domain)
                .field("duration_seconds", duration_seconds)
                .finish(),
            SecurityTokenRequest::Token {
                duration_seconds, ..
            } => f
                .debug_struct("Token")
                .field("id", &"<redacted>")
                .field("duration_seconds", duration_seconds)
                .finish(),
        }
    }
}

fn required(value: &Value, name: &str) -> Result<String, IamError> {
    value
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            IamError::bad_request(format!("Invalid input for field '{name}': required."))
        })
}

/// `duration_seconds`, if given: an integer from 900 to 86400.
pub(crate) fn duration(
    value: &Value,
    name: &str,
    range: &std::ops::RangeInclusive<u64>,
) -> Result<Option<u64>, String> {
    if value.is_null() {
        return Ok(None);
    }
    value
        .as_u64()
        .filter(|d| range.contains(d))
        .map(Some)
        .ok_or_else(|| {
            format!(
                "Invalid input for field '{name}': an integer from {} to {} is required.",
                range.start(),
                range.end()
            )
        })
}

/// Reads the body of a request.
pub(crate) fn parse(body: &[u8]) -> Result<SecurityTokenRequest, IamError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| IamError::bad_request("The request body is not valid JSON."))?;
    let identity = &value["auth"]["identity"];
    let methods: Vec<&str> = identity["methods"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match methods.as_slice() {
        ["assume_role"] => {
            let role = &identity["assume_role"];
            let agency_name = required(&role["agency_name"], "assume_role.agency_name")?;
            let domain = match (role["domain_name"].as_str(), role["domain_id"].as_str()) {
                (Some(name), _) if !name.is_empty() => Domain::Name(name.to_owned()),
                (_, Some(id)) if !id.is_empty() => Domain::Id(id.to_owned()),
                _ => {
                    return Err(IamError::bad_request(
                        "Invalid input for field 'assume_role': domain_name or domain_id is required.",
                    ));
                }
            };
            let duration_seconds = duration(
                &role["duration_seconds"],
                "assume_role.duration_seconds",
                &DURATION_RANGE,
            )
            .map_err(IamError::bad_request)?;
            Ok(SecurityTokenRequest::AssumeRole {
                agency_name,
                domain,
                duration_seconds,
            })
        }
        ["token"] => {
            let token = &identity["token"];
            let id = required(&token["id"], "token.id")?;
            let duration_seconds = duration(
                &token["duration_seconds"],
                "token.duration_seconds",
                &DURATION_RANGE,
            )
            .map_err(IamError::bad_request)?;
            Ok(SecurityTokenRequest::Token {
                id,
                duration_seconds,
            })
        }
        _ => Err(IamError::bad_request(
            "Invalid input for field 'identity.methods': exactly one of 'assume_role' or 'token' is required.",
        )),
    }
}

/// `POST /v3.0/OS-CREDENTIAL/securitytokens`.
pub(crate) async fn issue(
    State(shared): State<Arc<Shared>>,
    gateway_auth: Option<Extension<ApiAuth>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome = body
        .map_err(|_| IamError::bad_request("The request body could not be read."))
        .and_then(|b| parse(&b))
        .and_then(|request| grant(&shared, gateway_auth.map(|e| e.0), request));
    match outcome {
        Ok(body) => (StatusCode::CREATED, Json(body)).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Checks who asks, issues the credentials, and returns the answer's body.
fn grant(
    shared: &Shared,
    gateway_auth: Option<ApiAuth>,
    request: SecurityTokenRequest,
) -> Result<Value, IamError> {
    let now = shared.clock.now();
    let (endpoint, duration_seconds) = match request {
        SecurityTokenRequest::AssumeRole {
            agency_name,
            domain,
            duration_seconds,
        } => {
            if gateway_auth.is_none_or(|a| a.0.is_err()) {
                return Err(IamError::unauthenticated());
            }
            let state = shared.lock();
            let known = match &domain {
                Domain::Name(name) => state.identity.agency_in_domain_named(name, &agency_name),
                Domain::Id(id) => state.identity.agency_in_domain_id(id, &agency_name),
            };
            if known.is_none() {
                return Err(IamError::new(
                    StatusCode::FORBIDDEN,
                    "You are not authorized to assume this agency, or it does not exist.",
                ));
            }
            (CredentialEndpoint::AssumeRole, duration_seconds)
        }
        SecurityTokenRequest::Token {
            id,
            duration_seconds,
        } => {
            if !shared
                .credentials
                .accepts_token(id.as_bytes(), &IssuedNow::new(shared))
            {
                return Err(IamError::unauthenticated());
            }
            (CredentialEndpoint::TokenExchange, duration_seconds)
        }
    };
    let issued = shared
        .lock()
        .identity
        .issue_temporary(endpoint, duration_seconds, now);
    Ok(iam_credential_json(&issued))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CredentialEndpoint;
    use crate::identities::{DEMO_AGENCY_NAME, DEMO_DOMAIN_ID, DEMO_DOMAIN_NAME};
    use crate::test_support::{
        IAM_DOMAIN, IAM_PASSWORD, IAM_USER, TOKEN, list_url, plain_client, start_full, token_body,
    };
    use serde_json::json;
    use std::time::{Duration, SystemTime};

    fn assume_role(domain_name: &str, agency: &str, duration: Option<u64>) -> Value {
        let mut role = json!({ "agency_name": agency, "domain_name": domain_name });
        if let Some(d) = duration {
            role["duration_seconds"] = json!(d);
        }
        json!({"auth": {"identity": {"methods": ["assume_role"], "assume_role": role}}})
    }

    fn token_method(id: &str) -> Value {
        json!({"auth": {"identity": {"methods": ["token"], "token": {"id": id}}}})
    }

    #[test]
    fn parses_both_methods_and_refuses_the_rest() {
        let parsed = parse(assume_role("d", "a", Some(900)).to_string().as_bytes());
        assert_eq!(
            parsed,
            Ok(SecurityTokenRequest::AssumeRole {
                agency_name: "a".to_owned(),
                domain: Domain::Name("d".to_owned()),
                duration_seconds: Some(900),
            })
        );
        let by_id = json!({"auth": {"identity": {"methods": ["assume_role"],
            "assume_role": {"agency_name": "a", "domain_id": "i"}}}});
        assert!(matches!(
            parse(by_id.to_string().as_bytes()),
            Ok(SecurityTokenRequest::AssumeRole {
                domain: Domain::Id(_),
                duration_seconds: None,
                ..
            })
        ));
        let token = parse(token_method("secret-token").to_string().as_bytes()).expect("token");
        assert!(!format!("{token:?}").contains("secret-token"));
        for bad in [
            "{".to_owned(),
            "{}".to_owned(),
            json!({"auth": {"identity": {"methods": ["password"]}}}).to_string(),
            json!({"auth": {"identity": {"methods": ["token", "assume_role"]}}}).to_string(),
            assume_role("", "a", None).to_string(),
            assume_role("d", "", None).to_string(),
            assume_role("d", "a", Some(899)).to_string(),
            assume_role("d", "a", Some(86_401)).to_string(),
            token_method("").to_string(),
        ] {
            let err = parse(bad.as_bytes()).expect_err(&bad);
            assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    async fn post(
        sim: &crate::SimHandle,
        auth_token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = plain_client()
            .post(format!(
                "{}{}",
                sim.endpoint(),
                super::super::auth::SECURITY_TOKENS_PATH
            ))
            .json(body);
        if let Some(token) = auth_token {
            request = request.header("X-Auth-Token", token);
        }
        request.send().await.expect("securitytokens")
    }

    async fn expect_credential(response: reqwest::Response) -> Value {
        assert_eq!(response.status().as_u16(), 201);
        let body: Value = response.json().await.expect("json");
        for field in ["access", "secret", "securitytoken", "expires_at"] {
            assert!(body["credential"][field].is_string(), "{field}: {body}");
        }
        body
    }

    async fn password_token(sim: &crate::SimHandle) -> String {
        let response = plain_client()
            .post(format!("{}/v3/auth/tokens", sim.endpoint()))
            .json(&token_body(IAM_USER, IAM_PASSWORD, IAM_DOMAIN, None))
            .send()
            .await
            .expect("token");
        response.headers()["x-subject-token"]
            .to_str()
            .expect("ascii")
            .to_owned()
    }

    #[tokio::test]
    async fn assume_role_needs_api_credentials_and_a_known_agency() {
        let sim = start_full().await;
        sim.set_temporary_credentials_lifetime(Duration::from_secs(8));
        let before = SystemTime::now();
        let body = expect_credential(
            post(
                &sim,
                Some(TOKEN),
                &assume_role(DEMO_DOMAIN_NAME, DEMO_AGENCY_NAME, Some(900)),
            )
            .await,
        )
        .await;
        // Capped at the configured 8 seconds.
        let expires = body["credential"]["expires_at"].as_str().expect("expires");
        assert!(expires > crate::clock::format_rfc3339(before).as_str());
        assert!(
            expires
                <= crate::clock::format_rfc3339(SystemTime::now() + Duration::from_secs(8))
                    .as_str()
        );
        assert_eq!(sim.issued_credentials(CredentialEndpoint::AssumeRole), 1);

        // By domain id too.
        let by_id = json!({"auth": {"identity": {"methods": ["assume_role"],
            "assume_role": {"agency_name": DEMO_AGENCY_NAME, "domain_id": DEMO_DOMAIN_ID}}}});
        expect_credential(post(&sim, Some(TOKEN), &by_id).await).await;

        // No credentials, wrong token: IAM 401.
        let role = assume_role(DEMO_DOMAIN_NAME, DEMO_AGENCY_NAME, None);
        let response = post(&sim, None, &role).await;
        assert_eq!(response.status().as_u16(), 401);
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["error"]["title"], "Unauthorized");
        assert_eq!(post(&sim, Some("nope"), &role).await.status().as_u16(), 401);

        // Unknown agency or domain: 403.
        for (domain, agency) in [
            (DEMO_DOMAIN_NAME, "other"),
            ("other_domain", DEMO_AGENCY_NAME),
        ] {
            let response = post(&sim, Some(TOKEN), &assume_role(domain, agency, None)).await;
            assert_eq!(response.status().as_u16(), 403);
            let error: Value = response.json().await.expect("json");
            assert_eq!(error["error"]["code"], 403);
        }
        // Bad body: 400.
        let response = post(&sim, Some(TOKEN), &json!({"auth": {}})).await;
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(sim.issued_credentials(CredentialEndpoint::AssumeRole), 2);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn token_method_trades_an_issued_token_for_working_keys() {
        let sim = start_full().await;
        let token = password_token(&sim).await;
        // The body token is the credential; the same token as X-Auth-Token is fine too.
        let body = expect_credential(post(&sim, None, &token_method(&token)).await).await;
        expect_credential(post(&sim, Some(&token), &token_method(&token)).await).await;
        assert_eq!(sim.issued_credentials(CredentialEndpoint::TokenExchange), 2);

        // The keys work on the API, with their security token.
        let credential = &body["credential"];
        let response = crate::test_support::signed_get(
            &sim,
            &list_url(&sim, ""),
            credential["access"].as_str().expect("ak"),
            credential["secret"].as_str().expect("sk"),
            credential["securitytoken"].as_str(),
        )
        .await;
        assert_eq!(response.status().as_u16(), 200);

        // A token the sim did not issue, or a revoked one: 401, even with a valid header.
        let response = post(&sim, Some(&token), &token_method("forged")).await;
        assert_eq!(response.status().as_u16(), 401);
        sim.revoke_issued_tokens();
        let response = post(&sim, None, &token_method(&token)).await;
        assert_eq!(response.status().as_u16(), 401);
        assert_eq!(sim.issued_credentials(CredentialEndpoint::TokenExchange), 2);
        sim.shutdown().await;
    }
}
