//! The simulated IAM token endpoint, `POST /v3/auth/tokens` (password method).
//!
//! Real clients obtain an `X-Auth-Token` from IAM with a user name, password and account
//! (domain) name, then renew it when the API gateway starts answering 401. Serving IAM from
//! the same simulator lets tests cover that whole cycle: issue, use, revoke, renew. IAM has
//! its own error shape (`{"error": {"code", "message", "title"}}`), not the gateway's.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::clock::format_rfc3339;
use super::config::IamUser;
use super::state::{Shared, TOKEN_LIFETIME};
use super::temporary::constant_time_eq;

/// Header carrying the issued token.
pub(crate) const HEADER_SUBJECT_TOKEN: &str = "x-subject-token";

/// What a token request asked for, once parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenRequest {
    pub user: UserRef,
    pub password: String,
    pub scope: Scope,
}

/// How a token request names its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UserRef {
    /// `user.name` within the account `user.domain.name`.
    Name { name: String, domain: String },
    /// `user.id` (see [`IamUser::id`]).
    Id(String),
}

/// The scope of a requested token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// No scope, or a domain scope.
    Unscoped,
    /// `scope.project.name` (a region name such as `cn-north-4`).
    ProjectName(String),
    /// `scope.project.id`.
    ProjectId(String),
}

/// An IAM error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IamError {
    status: StatusCode,
    message: String,
}

impl IamError {
    /// An error with this status and message.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> IamError {
        IamError {
            status,
            message: message.into(),
        }
    }

    /// 400 with this message.
    pub(crate) fn bad_request(message: impl Into<String>) -> IamError {
        IamError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401 for a request without valid credentials.
    pub(crate) fn unauthenticated() -> IamError {
        IamError::new(
            StatusCode::UNAUTHORIZED,
            "The request you have made requires authentication.",
        )
    }

    /// The status of this error.
    #[cfg(test)]
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    fn wrong_credentials() -> IamError {
        IamError {
            status: StatusCode::UNAUTHORIZED,
            message: "The username or password is wrong.".to_owned(),
        }
    }
}

impl IntoResponse for IamError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = json!({
            "error": { "code": self.status.as_u16(), "message": self.message, "title": title }
        });
        (self.status, Json(body)).into_response()
    }
}

/// Reads the body of a password-method token request.
pub(crate) fn parse_token_request(body: &[u8]) -> Result<TokenRequest, IamError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| IamError::bad_request("The request body is not valid JSON."))?;
    let identity = &value["auth"]["identity"];
    let methods_ok = identity["methods"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x == "password"));
    if !methods_ok {
        return Err(IamError::bad_request(
            "Invalid input for field 'identity': 'password' is a required method.",
        ));
    }
    let user = &identity["password"]["user"];
    let field = |v: &Value, name: &str| {
        v.as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                IamError::bad_request(format!("Invalid input for field '{name}': required."))
            })
    };
    let password = field(&user["password"], "user.password")?;
    let named = match user["id"].as_str().filter(|s| !s.is_empty()) {
        Some(id) => UserRef::Id(id.to_owned()),
        None => UserRef::Name {
            name: field(&user["name"], "user.name")?,
            domain: field(&user["domain"]["name"], "user.domain.name")?,
        },
    };
    let project = &value["auth"]["scope"]["project"];
    let scope = if project.is_null() {
        Scope::Unscoped
    } else if let Some(id) = project["id"].as_str().filter(|s| !s.is_empty()) {
        Scope::ProjectId(id.to_owned())
    } else {
        Scope::ProjectName(field(&project["name"], "scope.project.name")?)
    };
    Ok(TokenRequest {
        user: named,
        password,
        scope,
    })
}

/// Whether a configured user matches the request (password compared in constant time).
fn authenticate<'a>(users: &'a [IamUser], request: &TokenRequest) -> Option<&'a IamUser> {
    users.iter().find(|u| {
        let named = match &request.user {
            UserRef::Name { name, domain } => &u.name == name && &u.domain == domain,
            UserRef::Id(id) => &u.id() == id,
        };
        named && constant_time_eq(u.password.as_bytes(), request.password.as_bytes())
    })
}

/// `POST /v3/auth/tokens`: 201 with `X-Subject-Token` for a known user, 401 otherwise.
pub(crate) async fn issue_token(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome = body
        .map_err(|_| IamError::bad_request("The request body could not be read."))
        .and_then(|b| parse_token_request(&b))
        .and_then(|request| {
            authenticate(&shared.credentials.iam_users, &request)
                .map(|user| (user.clone(), request.scope))
                .ok_or_else(IamError::wrong_credentials)
        });
    let (user, scope) = match outcome {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };

    let (token, now, expires_at) = new_token(&shared);
    let mut body = json!({
        "token": {
            "expires_at": format_rfc3339(expires_at),
            "issued_at": format_rfc3339(now),
            "methods": ["password"],
            "user": { "name": user.name, "domain": { "name": user.domain } },
        }
    });
    if let Some(project) = scoped_project(&shared, scope) {
        body["token"]["project"] = project;
    }
    token_response(body, &token)
}

/// Issues and records a new IAM token; returns it with the issue and expiry times.
pub(crate) fn new_token(shared: &Shared) -> (String, SystemTime, SystemTime) {
    let now = shared.clock.now();
    let expires_at = now + TOKEN_LIFETIME;
    let token = format!(
        "MIIsim{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    shared.lock().issue_token(token.clone(), expires_at);
    (token, now, expires_at)
}

/// The `token.project` of a token scoped by `scope` (a project named like a region is the
/// one the project lookup knows by that name, else the seed's).
pub(crate) fn scoped_project(shared: &Shared, scope: Scope) -> Option<Value> {
    match scope {
        Scope::Unscoped => None,
        Scope::ProjectId(id) => Some(json!({ "id": id })),
        Scope::ProjectName(name) => {
            let id = shared
                .lock()
                .identity
                .projects_named(Some(&name))
                .first()
                .map_or_else(|| shared.default_project_id.clone(), |p| p.id.clone());
            Some(json!({ "name": name, "id": id }))
        }
    }
}

/// 201 with `body` and the token in `X-Subject-Token`.
pub(crate) fn token_response(body: Value, token: &str) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(token) {
        response.headers_mut().insert(HEADER_SUBJECT_TOKEN, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{
        DEMO_INSTANCE, DEMO_PROJECT, IAM_DOMAIN, IAM_PASSWORD, IAM_USER, list_url, pause_body,
        pause_url, plain_client, start_full, token_body,
    };

    #[test]
    fn parses_the_documented_body() {
        let body = token_body(
            "u",
            "p",
            "d",
            Some(json!({ "project": { "name": "cn-north-4" } })),
        );
        assert_eq!(
            parse_token_request(body.to_string().as_bytes()),
            Ok(TokenRequest {
                user: UserRef::Name {
                    name: "u".to_owned(),
                    domain: "d".to_owned(),
                },
                password: "p".to_owned(),
                scope: Scope::ProjectName("cn-north-4".to_owned()),
            })
        );
        let by_user_id = json!({"auth": {"identity": {
            "methods": ["password"],
            "password": {"user": {"id": "0123abcd", "password": "p"}}
        }}});
        assert_eq!(
            parse_token_request(by_user_id.to_string().as_bytes()).map(|r| r.user),
            Ok(UserRef::Id("0123abcd".to_owned()))
        );
        let by_id = token_body("u", "p", "d", Some(json!({ "project": { "id": "abc" } })));
        assert_eq!(
            parse_token_request(by_id.to_string().as_bytes()).map(|r| r.scope),
            Ok(Scope::ProjectId("abc".to_owned()))
        );
        let unscoped = token_body("u", "p", "d", None);
        assert_eq!(
            parse_token_request(unscoped.to_string().as_bytes()).map(|r| r.scope),
            Ok(Scope::Unscoped)
        );
        for bad in [
            "nope".to_owned(),
            "{}".to_owned(),
            json!({"auth": {"identity": {"methods": ["token"]}}}).to_string(),
            token_body("", "p", "d", None).to_string(),
            token_body("u", "p", "d", Some(json!({ "project": {} }))).to_string(),
        ] {
            let err = parse_token_request(bad.as_bytes()).expect_err(&bad);
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    async fn request_token(
        http: &reqwest::Client,
        sim: &crate::SimHandle,
        password: &str,
    ) -> reqwest::Response {
        http.post(format!("{}/v3/auth/tokens", sim.endpoint()))
            .json(&token_body(
                IAM_USER,
                password,
                IAM_DOMAIN,
                Some(json!({ "project": { "name": "cn-north-4" } })),
            ))
            .send()
            .await
            .expect("token request")
    }

    #[tokio::test]
    async fn issues_tokens_that_authenticate_until_revoked() {
        let sim = start_full().await;
        let http = plain_client();

        let response = request_token(&http, &sim, IAM_PASSWORD).await;
        assert_eq!(response.status().as_u16(), 201);
        let token = response
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .expect("X-Subject-Token")
            .to_owned();
        let body: Value = response.json().await.expect("json");
        let t = &body["token"];
        assert_eq!(t["methods"], json!(["password"]));
        assert_eq!(t["user"]["name"], IAM_USER);
        assert_eq!(t["user"]["domain"]["name"], IAM_DOMAIN);
        assert_eq!(t["project"]["name"], "cn-north-4");
        assert_eq!(t["project"]["id"], DEMO_PROJECT);
        let expires = t["expires_at"].as_str().expect("expires_at");
        assert!(expires.ends_with('Z') && expires.len() == 27, "{expires}");
        assert_eq!(sim.issued_tokens(), 1);

        // A second token differs from the first.
        let second = request_token(&http, &sim, IAM_PASSWORD).await;
        let other = second.headers()["x-subject-token"].to_str().expect("ascii");
        assert_ne!(other, token);
        assert_eq!(sim.issued_tokens(), 2);

        let paused = http
            .post(pause_url(&sim))
            .header("X-Auth-Token", &token)
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("pause");
        assert_eq!(paused.status().as_u16(), 200);
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Paused")
        );

        sim.revoke_issued_tokens();
        let revoked = http
            .get(list_url(&sim, ""))
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("list");
        assert_eq!(revoked.status().as_u16(), 401);
        let body: Value = revoked.json().await.expect("json");
        assert_eq!(body["error_code"], "APIGW.0301");
        assert_eq!(sim.issued_tokens(), 2);

        // Renewing works.
        let renewed = request_token(&http, &sim, IAM_PASSWORD).await;
        let fresh = renewed.headers()["x-subject-token"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let listed = http
            .get(list_url(&sim, ""))
            .header("X-Auth-Token", &fresh)
            .send()
            .await
            .expect("list");
        assert_eq!(listed.status().as_u16(), 200);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn a_user_named_by_id_gets_a_token() {
        let sim = start_full().await;
        let user = IamUser {
            name: IAM_USER.to_owned(),
            password: IAM_PASSWORD.to_owned(),
            domain: IAM_DOMAIN.to_owned(),
        };
        let body = |id: &str| {
            json!({"auth": {"identity": {
                "methods": ["password"],
                "password": {"user": {"id": id, "password": IAM_PASSWORD}}
            }}})
        };
        let url = format!("{}/v3/auth/tokens", sim.endpoint());
        let http = plain_client();
        let ok = http
            .post(&url)
            .json(&body(&user.id()))
            .send()
            .await
            .expect("token");
        assert_eq!(ok.status().as_u16(), 201);
        assert!(ok.headers().get("x-subject-token").is_some());
        let unknown = http
            .post(&url)
            .json(&body("00000000000000000000000000000000"))
            .send()
            .await
            .expect("token");
        assert_eq!(unknown.status().as_u16(), 401);
        assert_eq!(sim.issued_tokens(), 1);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn wrong_credentials_are_iam_401_and_issue_nothing() {
        let sim = start_full().await;
        let http = plain_client();
        let response = request_token(&http, &sim, "wrong-password").await;
        assert_eq!(response.status().as_u16(), 401);
        assert!(response.headers().get("x-subject-token").is_none());
        let body: Value = response.json().await.expect("json");
        assert_eq!(
            body,
            json!({"error": {
                "code": 401,
                "message": "The username or password is wrong.",
                "title": "Unauthorized"
            }})
        );
        // Unknown domain, same answer.
        let response = http
            .post(format!("{}/v3/auth/tokens", sim.endpoint()))
            .json(&token_body(IAM_USER, IAM_PASSWORD, "other-domain", None))
            .send()
            .await
            .expect("token request");
        assert_eq!(response.status().as_u16(), 401);
        // Malformed body.
        let response = http
            .post(format!("{}/v3/auth/tokens", sim.endpoint()))
            .body("{")
            .send()
            .await
            .expect("token request");
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"]["title"], "Bad Request");
        assert_eq!(sim.issued_tokens(), 0);
        sim.shutdown().await;
    }
}
