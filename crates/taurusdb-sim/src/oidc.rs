//! The simulated IAM OIDC exchange, `POST /v3.0/OS-AUTH/id-token/tokens`.
//!
//! CI systems (GitHub Actions, GitLab ...) hand a job a short-lived OIDC id token, usually in
//! a file rewritten before it expires; the provider trades it, with the identity provider's
//! id in `X-Idp-Id`, for an IAM token (and may trade that for temporary keys). The simulator
//! accepts only configured (identity provider, id token) pairs and remembers every id token
//! presented, so a test can prove a renewal re-read the rotated file.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::clock::format_rfc3339;
use super::iam::{IamError, Scope, new_token, scoped_project, token_response};
use super::state::Shared;
use super::temporary::CredentialEndpoint;

/// The identity provider's id.
const HEADER_IDP_ID: &str = "x-idp-id";

/// An exchange request, once read.
struct Exchange {
    idp_id: String,
    id_token: String,
    scope: Scope,
}

fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Exchange, IamError> {
    let idp_id = headers
        .get(HEADER_IDP_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| IamError::bad_request("The X-Idp-Id header is required."))?
        .to_owned();
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| IamError::bad_request("The request body is not valid JSON."))?;
    let auth = &value["auth"];
    let id_token = auth["id_token"]["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| IamError::bad_request("Invalid input for field 'id_token.id': required."))?
        .to_owned();
    let project = &auth["scope"]["project"];
    let scope = match (project["id"].as_str(), project["name"].as_str()) {
        (Some(id), _) if !id.is_empty() => Scope::ProjectId(id.to_owned()),
        (_, Some(name)) if !name.is_empty() => Scope::ProjectName(name.to_owned()),
        _ => Scope::Unscoped,
    };
    Ok(Exchange {
        idp_id,
        id_token,
        scope,
    })
}

/// `POST /v3.0/OS-AUTH/id-token/tokens`: 201 with the IAM token in `X-Subject-Token` for an
/// accepted id token, 401 for any other, 400 for a malformed request.
pub(crate) async fn exchange(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request = match body
        .map_err(|_| IamError::bad_request("The request body could not be read."))
        .and_then(|b| parse(&headers, &b))
    {
        Ok(request) => request,
        Err(err) => return err.into_response(),
    };
    let accepted = shared
        .lock()
        .identity
        .present_id_token(&request.idp_id, &request.id_token);
    if !accepted {
        return IamError::new(
            StatusCode::UNAUTHORIZED,
            "The id token is invalid or the identity provider does not exist.",
        )
        .into_response();
    }
    let (token, now, expires_at) = new_token(&shared);
    shared
        .lock()
        .identity
        .temporary
        .count(CredentialEndpoint::OidcToken);
    let mut body = json!({
        "token": {
            "expires_at": format_rfc3339(expires_at),
            "issued_at": format_rfc3339(now),
            "methods": ["mapped"],
            "user": {
                "name": format!("{}-federated", request.idp_id),
                "OS-FEDERATION": { "identity_provider": { "id": request.idp_id } },
            },
        }
    });
    if let Some(project) = scoped_project(&shared, request.scope) {
        body["token"]["project"] = project;
    }
    token_response(body, &token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identities::{DEMO_ID_TOKEN, DEMO_IDP_ID};
    use crate::test_support::{DEMO_PROJECT, list_url, plain_client, start_full};

    fn body(id_token: &str) -> Value {
        json!({"auth": {"id_token": {"id": id_token}, "scope": {"project": {"name": "cn-north-4"}}}})
    }

    async fn post(sim: &crate::SimHandle, idp: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = plain_client()
            .post(format!(
                "{}{}",
                sim.endpoint(),
                crate::auth::OIDC_TOKENS_PATH
            ))
            .json(body);
        if let Some(idp) = idp {
            request = request.header("X-Idp-Id", idp);
        }
        request.send().await.expect("oidc exchange")
    }

    fn subject_token(response: &reqwest::Response) -> String {
        response.headers()["x-subject-token"]
            .to_str()
            .expect("ascii")
            .to_owned()
    }

    #[tokio::test]
    async fn an_accepted_id_token_gets_a_working_iam_token() {
        let sim = start_full().await;
        let response = post(&sim, Some(DEMO_IDP_ID), &body(DEMO_ID_TOKEN)).await;
        assert_eq!(response.status().as_u16(), 201);
        let token = subject_token(&response);
        let answer: Value = response.json().await.expect("json");
        assert_eq!(answer["token"]["project"]["id"], DEMO_PROJECT);
        assert_eq!(sim.issued_credentials(CredentialEndpoint::OidcToken), 1);

        let listed = plain_client()
            .get(list_url(&sim, ""))
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("list");
        assert_eq!(listed.status().as_u16(), 200);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn rotation_is_visible_and_only_configured_pairs_pass() {
        let sim = start_full().await;
        // The file rotated: the provider only accepts the new token from now on.
        sim.set_accepted_id_tokens(DEMO_IDP_ID, &["rotated-id-token"]);
        let old = post(&sim, Some(DEMO_IDP_ID), &body(DEMO_ID_TOKEN)).await;
        assert_eq!(old.status().as_u16(), 401);
        let error: Value = old.json().await.expect("json");
        assert_eq!(error["error"]["code"], 401);
        let new = post(&sim, Some(DEMO_IDP_ID), &body("rotated-id-token")).await;
        assert_eq!(new.status().as_u16(), 201);
        assert_eq!(
            sim.presented_id_tokens(),
            [DEMO_ID_TOKEN, "rotated-id-token"]
        );

        // Another identity provider does not accept it; a new one can be added.
        let other = post(&sim, Some("other_idp"), &body("rotated-id-token")).await;
        assert_eq!(other.status().as_u16(), 401);
        sim.accept_id_token("other_idp", "rotated-id-token");
        let other = post(&sim, Some("other_idp"), &body("rotated-id-token")).await;
        assert_eq!(other.status().as_u16(), 201);

        // Malformed: no X-Idp-Id, no id token, not JSON.
        assert_eq!(post(&sim, None, &body("x")).await.status().as_u16(), 400);
        let empty = post(&sim, Some(DEMO_IDP_ID), &json!({"auth": {}})).await;
        assert_eq!(empty.status().as_u16(), 400);
        assert_eq!(sim.issued_credentials(CredentialEndpoint::OidcToken), 2);
        sim.shutdown().await;
    }
}
