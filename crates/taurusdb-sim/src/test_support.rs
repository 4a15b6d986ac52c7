//! Helpers shared by the simulator's unit tests: a started demo simulator, clients and URLs.
//!
//! Test-only (`#[cfg(test)]`), so each module's tests stay short and use the same ids.

use std::net::SocketAddr;

use super::config::{DEMO_INSTANCE_ID, DEMO_PROJECT_ID};
use super::{IamUser, Seed, SimConfig, SimHandle, start};

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
            ..Default::default()
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

/// Access key accepted by [`start_full`].
pub(crate) const ACCESS_KEY: &str = "SIMTESTAK0123456789";
/// Secret key of [`ACCESS_KEY`].
pub(crate) const SECRET_KEY: &str = "sim-test-secret-key-abcdef";
/// IAM user accepted by [`start_full`].
pub(crate) const IAM_USER: &str = "alice";
/// Password of [`IAM_USER`].
pub(crate) const IAM_PASSWORD: &str = "s3cret-Passw0rd";
/// Account (domain) of [`IAM_USER`].
pub(crate) const IAM_DOMAIN: &str = "acme";

/// A demo-seeded simulator accepting [`TOKEN`], the AK/SK pair [`ACCESS_KEY`]/[`SECRET_KEY`]
/// and the IAM user [`IAM_USER`].
pub(crate) async fn start_full() -> SimHandle {
    start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SimConfig {
            auth_token: TOKEN.to_owned(),
            access_keys: vec![(ACCESS_KEY.to_owned(), SECRET_KEY.to_owned())],
            iam_users: vec![IamUser {
                name: IAM_USER.to_owned(),
                password: IAM_PASSWORD.to_owned(),
                domain: IAM_DOMAIN.to_owned(),
            }],
            ..Default::default()
        },
        Seed::demo(),
    )
    .await
    .expect("simulator starts")
}

/// The IAM password-method token request body, with an optional `scope`.
pub(crate) fn token_body(
    user: &str,
    password: &str,
    domain: &str,
    scope: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut body = serde_json::json!({
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": { "name": user, "password": password, "domain": { "name": domain } }
                }
            }
        }
    });
    if let Some(scope) = scope {
        body["auth"]["scope"] = scope;
    }
    body
}

/// Sends `method url` with `body`, signed (`SDK-HMAC-SHA256`, `Content-Type` and `Host`
/// signed) by `access_key`/`secret_key`, with `security_token` when given.
pub(crate) async fn send_signed(
    sim: &SimHandle,
    method: &str,
    url: &str,
    keys: (&str, &str, Option<&str>),
    body: &[u8],
) -> reqwest::Response {
    use taurusdb_api::Secret;
    use taurusdb_api::signer::{self, AkSk, SignInput};
    let (access_key, secret_key, security_token) = keys;
    let parsed = reqwest::Url::parse(url).expect("url");
    let endpoint = sim.endpoint();
    let host = endpoint.trim_start_matches("http://");
    let headers = [("Content-Type", "application/json"), ("Host", host)];
    let credentials = AkSk {
        access_key: Secret::new(access_key),
        secret_key: Secret::new(secret_key),
        security_token: security_token.map(Secret::new),
    };
    let input = SignInput {
        method,
        path: parsed.path(),
        query: parsed.query(),
        headers: &headers,
        body,
    };
    let signature = signer::sign(&credentials, &input, std::time::SystemTime::now());
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = plain_client()
        .request(method, url)
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    for (name, value) in signature {
        request = request.header(name, value);
    }
    request.send().await.expect("signed request")
}

/// A `GET url` signed by `access_key`/`secret_key` (and `security_token`).
pub(crate) async fn signed_get(
    sim: &SimHandle,
    url: &str,
    access_key: &str,
    secret_key: &str,
    security_token: Option<&str>,
) -> reqwest::Response {
    send_signed(
        sim,
        "GET",
        url,
        (access_key, secret_key, security_token),
        b"",
    )
    .await
}
