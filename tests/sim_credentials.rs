//! The simulator's credential endpoints through its public API only, as the provider's
//! tests and users' offline CI drive them: every method that issues temporary keys, chained
//! the way a client chains them, and the counters that prove renewal behaviour.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use taurusdb_api::Secret;
use taurusdb_api::signer::{self, AkSk, SignInput};
use taurusdb_sim::{self as sim, CredentialEndpoint, Seed, SimConfig, SimHandle};

use crate::common::{INSTANCE, PROJECT};

async fn start() -> SimHandle {
    sim::start(
        "127.0.0.1:0".parse().expect("addr"),
        SimConfig::default(),
        Seed::demo(),
    )
    .await
    .expect("simulator starts")
}

/// Sends `method path` with `body`, signed by `keys` (AK, SK, security token).
async fn signed(
    sim: &SimHandle,
    method: &str,
    path_and_query: &str,
    keys: &(String, String, String),
    body: &[u8],
) -> reqwest::Response {
    let url = reqwest::Url::parse(&format!("{}{path_and_query}", sim.endpoint())).expect("url");
    let host = sim.endpoint().trim_start_matches("http://").to_owned();
    let headers = [
        ("Content-Type", "application/json"),
        ("Host", host.as_str()),
    ];
    let credentials = AkSk {
        access_key: Secret::new(keys.0.clone()),
        secret_key: Secret::new(keys.1.clone()),
        security_token: Some(Secret::new(keys.2.clone())),
    };
    let input = SignInput {
        method,
        path: url.path(),
        query: url.query(),
        headers: &headers,
        body,
    };
    let mut request = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            url.clone(),
        )
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    for (name, value) in signer::sign(&credentials, &input, SystemTime::now()) {
        request = request.header(name, value);
    }
    request.send().await.expect("signed request")
}

#[tokio::test]
async fn metadata_keys_chain_to_sts_and_find_the_demo_project() {
    let sim = start().await;
    let http = reqwest::Client::new();
    let session = http
        .put(format!("{}/meta-data/latest/api/token", sim.endpoint()))
        .header("X-Metadata-Token-Ttl-Seconds", "21600")
        .send()
        .await
        .expect("session token")
        .text()
        .await
        .expect("text");
    let key: Value = http
        .get(format!("{}/openstack/latest/securitykey", sim.endpoint()))
        .header("X-Metadata-Token", session)
        .send()
        .await
        .expect("securitykey")
        .json()
        .await
        .expect("json");
    let c = &key["credential"];
    let field = |v: &Value| v.as_str().expect("string").to_owned();
    let ecs = (
        field(&c["access"]),
        field(&c["secret"]),
        field(&c["securitytoken"]),
    );

    // The project lookup finds the demo project under the default region.
    let projects: Value = signed(&sim, "GET", "/v3/projects?name=cn-north-4", &ecs, b"")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(projects["projects"][0]["id"], PROJECT);

    // STS with the metadata keys (agency chaining).
    let urn = format!(
        "iam::{}:agency:{}",
        sim::DEMO_DOMAIN_ID,
        sim::DEMO_AGENCY_NAME
    );
    let body = json!({"agency_urn": urn, "agency_session_name": "ci-run"}).to_string();
    let assumed: Value = signed(&sim, "POST", "/v5/agencies/assume", &ecs, body.as_bytes())
        .await
        .json()
        .await
        .expect("json");
    let c = &assumed["credentials"];
    let agency = (
        field(&c["access_key_id"]),
        field(&c["secret_access_key"]),
        field(&c["security_token"]),
    );
    let list = format!("/v3/{PROJECT}/instances/{INSTANCE}/starrocks/databases/replication");
    let listed = signed(&sim, "GET", &list, &agency, b"").await;
    assert_eq!(listed.status().as_u16(), 200);
    assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 1);
    assert_eq!(
        sim.issued_credentials(CredentialEndpoint::StsAssumeAgency),
        1
    );

    // Once expired (by the simulated clock), the keys are refused and the use counted.
    sim.advance_clock(sim::DEFAULT_TEMPORARY_LIFETIME);
    let refused = signed(&sim, "GET", &list, &agency, b"").await;
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(sim.expired_credential_uses(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn oidc_token_then_securitytokens_token_method() {
    let sim = start().await;
    sim.set_temporary_credentials_lifetime(Duration::from_secs(8));
    let http = reqwest::Client::new();
    let exchanged = http
        .post(format!("{}/v3.0/OS-AUTH/id-token/tokens", sim.endpoint()))
        .header("X-Idp-Id", sim::DEMO_IDP_ID)
        .json(&json!({"auth": {"id_token": {"id": sim::DEMO_ID_TOKEN}}}))
        .send()
        .await
        .expect("oidc");
    assert_eq!(exchanged.status().as_u16(), 201);
    let token = exchanged.headers()["x-subject-token"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let keys = http
        .post(format!(
            "{}/v3.0/OS-CREDENTIAL/securitytokens",
            sim.endpoint()
        ))
        .json(&json!({"auth": {"identity": {"methods": ["token"], "token": {"id": token}}}}))
        .send()
        .await
        .expect("securitytokens");
    assert_eq!(keys.status().as_u16(), 201);
    assert_eq!(sim.issued_credentials(CredentialEndpoint::OidcToken), 1);
    assert_eq!(sim.issued_credentials(CredentialEndpoint::TokenExchange), 1);
    assert_eq!(sim.presented_id_tokens(), [sim::DEMO_ID_TOKEN]);
    sim.shutdown().await;
}
