//! Authentication of requests, as the API gateway does it.
//!
//! A request is let through when it carries either a valid `X-Auth-Token` (the configured one,
//! or one the simulated IAM endpoints issued and that was not revoked) or a valid AK/SK
//! signature (`Authorization: SDK-HMAC-SHA256 ...`, checked with the provider's own
//! [`signer`]) by a configured access key or by an unexpired temporary one presented with its
//! `X-Security-Token`. Which paths need what is [`guard`]'s table. Nothing is ever logged or
//! answered that would reveal a token or secret key.

use std::collections::HashMap;
use std::fmt;
use std::time::SystemTime;

use axum::http::HeaderMap;

use super::config::{IamUser, SimConfig};
use super::errors::ApiError;
use super::temporary::{TemporaryKey, constant_time_eq};
use taurusdb_api::Secret;
use taurusdb_api::signer;

use crate::signature;

/// The path of the IAM password token endpoint, the one `/v3` path that needs no credentials.
pub(crate) const IAM_TOKENS_PATH: &str = "/v3/auth/tokens";
/// IAM's temporary credentials endpoint (`assume_role` and `token` methods).
pub(crate) const SECURITY_TOKENS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
/// IAM's OIDC id token exchange.
pub(crate) const OIDC_TOKENS_PATH: &str = "/v3.0/OS-AUTH/id-token/tokens";
/// STS v5 `AssumeAgency`.
pub(crate) const STS_ASSUME_PATH: &str = "/v5/agencies/assume";

/// What credentials requests to a path need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    /// None: the metadata service, the IAM and OIDC token endpoints, unknown paths.
    Open,
    /// A token or a signature, refused before the handler (`/v3/...`).
    Api,
    /// An AK/SK signature (STS).
    Signed,
    /// Checked like [`Guard::Api`], but the handler decides: IAM `securitytokens`, where the
    /// `token` method carries its credential in the body.
    Handler,
}

/// Which credentials requests to `path` need.
pub(crate) fn guard(path: &str) -> Guard {
    match path {
        IAM_TOKENS_PATH | OIDC_TOKENS_PATH => Guard::Open,
        SECURITY_TOKENS_PATH => Guard::Handler,
        STS_ASSUME_PATH => Guard::Signed,
        _ if path == "/v3" || path.starts_with("/v3/") => Guard::Api,
        _ => Guard::Open,
    }
}

/// What the gateway found of a request's credentials, handed to handlers guarded by
/// [`Guard::Handler`] as a request extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiAuth(pub Result<(), ApiError>);

/// What the simulator issued at run time, as authentication needs to see it.
pub(crate) trait Issued {
    /// Whether `token` was issued by an IAM endpoint and is still valid.
    fn token_is_valid(&self, token: &str) -> bool;
    /// What `access_key` is among the temporary credentials issued.
    fn temporary_key(&self, access_key: &str) -> TemporaryKey;
}

/// Everything the simulator accepts as credentials, fixed at start.
pub(crate) struct Credentials {
    /// The configured `X-Auth-Token`; empty means none.
    token: String,
    /// Secret key by access key.
    access_keys: HashMap<String, Secret>,
    /// Users of the IAM endpoint.
    pub(crate) iam_users: Vec<IamUser>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut access_keys: Vec<&str> = self.access_keys.keys().map(String::as_str).collect();
        access_keys.sort_unstable();
        f.debug_struct("Credentials")
            .field("token", &"<redacted>")
            .field("access_keys", &access_keys)
            .field("iam_users", &self.iam_users)
            .finish()
    }
}

impl Credentials {
    /// The credentials of a configuration.
    pub(crate) fn from_config(config: &SimConfig) -> Credentials {
        Credentials {
            token: config.auth_token.clone(),
            access_keys: config
                .access_keys
                .iter()
                .map(|(ak, sk)| (ak.clone(), Secret::new(sk.clone())))
                .collect(),
            iam_users: config.iam_users.clone(),
        }
    }

    /// Whether `presented` is the configured token (never true when none is configured).
    fn is_configured_token(&self, presented: &[u8]) -> bool {
        !self.token.is_empty() && constant_time_eq(presented, self.token.as_bytes())
    }

    /// Whether `presented` is a valid IAM token: the configured one or an issued one.
    pub(crate) fn accepts_token(&self, presented: &[u8], issued: &impl Issued) -> bool {
        self.is_configured_token(presented)
            || std::str::from_utf8(presented).is_ok_and(|t| issued.token_is_valid(t))
    }
}

/// The parts of a request authentication looks at.
#[derive(Clone, Copy)]
pub(crate) struct Incoming<'a> {
    pub method: &'a str,
    /// Path as sent (may be percent-encoded), without the query.
    pub path: &'a str,
    /// Raw query without `?`.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The body as received (empty when it could not be read).
    pub body: &'a [u8],
}

/// Checks the credentials of a request at time `now` (signature dates are checked against
/// it; expiries are `issued`'s business), as [`guard`] says the path needs.
///
/// # Errors
/// `Unauthorized` when no valid token and no signature is present, `SignatureInvalid` or
/// `UnknownAccessKey` when a signature is present but wrong, `TemporaryCredentialExpired`
/// when it is by an expired temporary access key.
pub(crate) fn check(
    credentials: &Credentials,
    request: &Incoming<'_>,
    now: SystemTime,
    issued: &impl Issued,
) -> Result<(), ApiError> {
    let accept_tokens = match guard(request.path) {
        Guard::Open => return Ok(()),
        Guard::Api | Guard::Handler => true,
        Guard::Signed => false,
    };
    if accept_tokens
        && let Some(token) = request.headers.get("x-auth-token")
        && credentials.accepts_token(token.as_bytes(), issued)
    {
        return Ok(());
    }
    let signature = request
        .headers
        .get(signer::HEADER_AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.trim_start().starts_with(signer::ALGORITHM));
    match signature {
        Some(authorization) => check_signature(credentials, request, authorization, now, issued),
        None => Err(ApiError::Unauthorized),
    }
}

/// Verifies an `SDK-HMAC-SHA256` signature and its date.
fn check_signature(
    credentials: &Credentials,
    request: &Incoming<'_>,
    authorization: &str,
    now: SystemTime,
    issued: &impl Issued,
) -> Result<(), ApiError> {
    let parsed = signature::parse_authorization(authorization).ok_or_else(|| {
        tracing::debug!("AK/SK authentication failed: malformed Authorization header");
        ApiError::SignatureInvalid
    })?;
    let (secret_key, security_token) = match credentials.access_keys.get(&parsed.access_key) {
        Some(secret_key) => (secret_key.clone(), None),
        None => match issued.temporary_key(&parsed.access_key) {
            TemporaryKey::Unknown => {
                return Err(ApiError::UnknownAccessKey(parsed.access_key.clone()));
            }
            TemporaryKey::Expired => {
                tracing::debug!(access_key = %parsed.access_key, "temporary access key expired");
                return Err(ApiError::TemporaryCredentialExpired);
            }
            TemporaryKey::Valid {
                secret_key,
                security_token,
            } => (secret_key, Some(security_token)),
        },
    };
    let secret_key = &secret_key;
    let fail = |reason: &dyn fmt::Display| {
        tracing::debug!(access_key = %parsed.access_key, %reason, "AK/SK authentication failed");
        ApiError::SignatureInvalid
    };
    let security_token_signed = parsed
        .signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case(signer::HEADER_SECURITY_TOKEN));
    let presented_token = request.headers.get(signer::HEADER_SECURITY_TOKEN);
    if presented_token.is_some() && !security_token_signed {
        return Err(fail(&"X-Security-Token is not among the signed headers"));
    }
    if let Some(expected) = &security_token {
        match presented_token {
            None => return Err(fail(&"temporary access key without X-Security-Token")),
            Some(presented)
                if !constant_time_eq(presented.as_bytes(), expected.expose().as_bytes()) =>
            {
                return Err(fail(&"X-Security-Token does not belong to the access key"));
            }
            Some(_) => {}
        }
    }
    // Header values that are not visible ASCII/UTF-8 cannot have been signed by an SDK; a
    // signed header left out here makes verification fail as "missing".
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v)))
        .collect();
    signature::verify(
        authorization,
        secret_key,
        request.method,
        request.path,
        request.query,
        &headers,
        request.body,
    )
    .map_err(|e| fail(&e))?;
    let date = request
        .headers
        .get(signer::HEADER_SDK_DATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim();
    signature::check_date_skew(date, now, signature::MAX_CLOCK_SKEW).map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimHandle;
    use crate::test_support::{
        ACCESS_KEY, DEMO_INSTANCE, DEMO_PROJECT, SECRET_KEY, TOKEN, list_url, pause_body,
        pause_url, plain_client, start_demo, start_full, url_for,
    };
    use axum::http::HeaderValue;
    use std::time::Duration;
    use taurusdb_api::signer::{AkSk, SignInput};

    fn credentials(token: &str) -> Credentials {
        Credentials::from_config(&SimConfig {
            auth_token: token.to_owned(),
            ..SimConfig::default()
        })
    }

    fn check_token(
        credentials: &Credentials,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<(), ApiError> {
        let incoming = Incoming {
            method: "GET",
            path,
            query: None,
            headers,
            body: b"",
        };
        check(credentials, &incoming, SystemTime::now(), &OnlyIssued)
    }

    /// Knows one issued token, `issued`, and no temporary key.
    struct OnlyIssued;

    impl Issued for OnlyIssued {
        fn token_is_valid(&self, token: &str) -> bool {
            token == "issued"
        }
        fn temporary_key(&self, _access_key: &str) -> TemporaryKey {
            TemporaryKey::Unknown
        }
    }

    #[test]
    fn check_rules() {
        let creds = credentials("tok");
        let mut headers = HeaderMap::new();
        assert_eq!(
            check_token(&creds, "/v3/p/jobs", &headers),
            Err(ApiError::Unauthorized)
        );
        assert_eq!(check_token(&creds, "/health", &headers), Ok(()));
        assert_eq!(check_token(&creds, "/v3/auth/tokens", &headers), Ok(()));
        headers.insert("x-auth-token", HeaderValue::from_static("tok2"));
        assert_eq!(
            check_token(&creds, "/v3/p/jobs", &headers),
            Err(ApiError::Unauthorized)
        );
        headers.insert("x-auth-token", HeaderValue::from_static("tok"));
        assert_eq!(check_token(&creds, "/v3/p/jobs", &headers), Ok(()));
        headers.insert("x-auth-token", HeaderValue::from_static("issued"));
        assert_eq!(check_token(&creds, "/v3/p/jobs", &headers), Ok(()));
        // An unrelated Authorization scheme is no credential.
        headers.insert("x-auth-token", HeaderValue::from_static("nope"));
        headers.insert("authorization", HeaderValue::from_static("Bearer tok"));
        assert_eq!(
            check_token(&creds, "/v3/p/jobs", &headers),
            Err(ApiError::Unauthorized)
        );
        // A malformed signature is a signature failure.
        headers.insert(
            "authorization",
            HeaderValue::from_static("SDK-HMAC-SHA256 junk"),
        );
        assert_eq!(
            check_token(&creds, "/v3/p/jobs", &headers),
            Err(ApiError::SignatureInvalid)
        );
        assert_eq!(guard("/v3"), Guard::Api);
        assert_eq!(guard("/v30/x"), Guard::Open);
        assert_eq!(guard("/v3/auth/tokens"), Guard::Open);
        assert_eq!(guard("/v3/auth/tokens/x"), Guard::Api);
        assert_eq!(guard("/v3/projects"), Guard::Api);
        assert_eq!(guard("/v3.0/OS-CREDENTIAL/securitytokens"), Guard::Handler);
        assert_eq!(guard("/v3.0/OS-AUTH/id-token/tokens"), Guard::Open);
        assert_eq!(guard("/v5/agencies/assume"), Guard::Signed);
        assert_eq!(guard("/v5/agencies/other"), Guard::Open);
        assert_eq!(guard("/openstack/latest/securitykey"), Guard::Open);
        // STS takes no token.
        headers.remove("authorization");
        headers.insert("x-auth-token", HeaderValue::from_static("tok"));
        assert_eq!(
            check_token(&creds, "/v5/agencies/assume", &headers),
            Err(ApiError::Unauthorized)
        );
    }

    #[test]
    fn an_empty_configured_token_never_matches() {
        let creds = credentials("");
        let mut headers = HeaderMap::new();
        headers.insert("x-auth-token", HeaderValue::from_static(""));
        assert_eq!(
            check_token(&creds, "/v3/p/jobs", &headers),
            Err(ApiError::Unauthorized)
        );
        assert!(!format!("{:?}", credentials("tok-secret")).contains("tok-secret"));
    }

    fn aksk(access_key: &str, secret_key: &str) -> AkSk {
        AkSk {
            access_key: Secret::new(access_key),
            secret_key: Secret::new(secret_key),
            security_token: None,
        }
    }

    /// One request to sign and send: what is signed may differ from what is sent.
    struct Signed<'a> {
        method: &'a str,
        path: &'a str,
        query: Option<&'a str>,
        body: &'a [u8],
    }

    /// Signs `signed` (with `Content-Type`, `Host` and `X-Project-Id`) at `now` and returns
    /// the headers to send besides `Content-Type` and `X-Project-Id`.
    fn sign_headers(
        sim: &SimHandle,
        creds: &AkSk,
        signed: &Signed<'_>,
        now: SystemTime,
    ) -> Vec<(&'static str, String)> {
        let host = sim.endpoint().trim_start_matches("http://").to_owned();
        let headers = [
            ("Content-Type", "application/json"),
            ("Host", host.as_str()),
            ("X-Project-Id", DEMO_PROJECT),
        ];
        let input = SignInput {
            method: signed.method,
            path: signed.path,
            query: signed.query,
            headers: &headers,
            body: signed.body,
        };
        signer::sign(creds, &input, now)
    }

    /// Sends `sent` with the signature of `signed`.
    async fn send_signed(
        sim: &SimHandle,
        signature: Vec<(&'static str, String)>,
        sent: &Signed<'_>,
    ) -> reqwest::Response {
        let query = sent.query.map(|q| format!("?{q}")).unwrap_or_default();
        let url = format!("{}{}{query}", sim.endpoint(), sent.path);
        let method = reqwest::Method::from_bytes(sent.method.as_bytes()).expect("method");
        let mut request = plain_client()
            .request(method, url)
            .header("Content-Type", "application/json")
            .header("X-Project-Id", DEMO_PROJECT)
            .body(sent.body.to_vec());
        for (name, value) in signature {
            request = request.header(name, value);
        }
        request.send().await.expect("request")
    }

    fn pause_path() -> String {
        format!(
            "/v3/{DEMO_PROJECT}/instances/{DEMO_INSTANCE}/starrocks/databases/replication/pause"
        )
    }

    async fn expect_aksk_401(response: reqwest::Response, message: &str) {
        assert_eq!(response.status().as_u16(), 401);
        assert!(response.headers().contains_key("x-request-id"));
        let text = response.text().await.expect("body");
        assert!(!text.contains(SECRET_KEY), "{text}");
        let body: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(body["error_code"], "APIGW.0301");
        assert_eq!(body["error_msg"], message);
    }

    const SIGNATURE_FAIL: &str =
        "Incorrect IAM authentication information: verify aksk signature fail";

    #[tokio::test]
    async fn signed_requests_pass() {
        let sim = start_full().await;
        let path = pause_path();
        let body = pause_body("orders_sync").to_string();
        let pause = Signed {
            method: "POST",
            path: &path,
            query: None,
            body: body.as_bytes(),
        };
        let creds = aksk(ACCESS_KEY, SECRET_KEY);
        let signature = sign_headers(&sim, &creds, &pause, SystemTime::now());
        let response = send_signed(&sim, signature, &pause).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Paused")
        );

        // A GET with a query, signed a few minutes off (within the gateway's 15 minutes).
        let list_path = url_for(&sim, DEMO_PROJECT, DEMO_INSTANCE, "");
        let list_path = list_path.trim_start_matches(&sim.endpoint()).to_owned();
        let list = Signed {
            method: "GET",
            path: &list_path,
            query: Some("offset=0&limit=2"),
            body: b"",
        };
        let earlier = SystemTime::now() - Duration::from_secs(5 * 60);
        let signature = sign_headers(&sim, &creds, &list, earlier);
        let response = send_signed(&sim, signature, &list).await;
        assert_eq!(response.status().as_u16(), 200);
        let listed: serde_json::Value = response.json().await.expect("json");
        assert_eq!(listed["replications"][0]["stage"], "Paused");

        // A wrong X-Auth-Token next to a valid signature: either valid credential suffices.
        let signature = sign_headers(&sim, &creds, &list, SystemTime::now());
        let query = list.query.map(|q| format!("?{q}")).unwrap_or_default();
        let mut request = plain_client()
            .get(format!("{}{}{query}", sim.endpoint(), list.path))
            .header("Content-Type", "application/json")
            .header("X-Project-Id", DEMO_PROJECT)
            .header("X-Auth-Token", "not-a-token");
        for (name, value) in signature {
            request = request.header(name, value);
        }
        assert_eq!(request.send().await.expect("list").status().as_u16(), 200);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn tampered_or_misdated_or_foreign_signatures_are_apigw_0301() {
        let sim = start_full().await;
        let path = pause_path();
        let body = pause_body("orders_sync").to_string();
        let other_body = pause_body("users_sync").to_string();
        let resume_path = path.replace("/pause", "/resume");
        let pause = Signed {
            method: "POST",
            path: &path,
            query: None,
            body: body.as_bytes(),
        };
        let good = aksk(ACCESS_KEY, SECRET_KEY);
        let now = SystemTime::now();

        // Tampered body.
        let signature = sign_headers(&sim, &good, &pause, now);
        let tampered = Signed {
            body: other_body.as_bytes(),
            ..pause
        };
        expect_aksk_401(
            send_signed(&sim, signature, &tampered).await,
            SIGNATURE_FAIL,
        )
        .await;

        // Tampered path.
        let signature = sign_headers(&sim, &good, &pause, now);
        let moved = Signed {
            path: &resume_path,
            ..pause
        };
        expect_aksk_401(send_signed(&sim, signature, &moved).await, SIGNATURE_FAIL).await;

        // Tampered query.
        let list_path = path.trim_end_matches("/pause").to_owned();
        let list = Signed {
            method: "GET",
            path: &list_path,
            query: Some("limit=1"),
            body: b"",
        };
        let signature = sign_headers(&sim, &good, &list, now);
        let requery = Signed {
            query: Some("limit=2"),
            ..list
        };
        expect_aksk_401(send_signed(&sim, signature, &requery).await, SIGNATURE_FAIL).await;

        // Wrong secret key.
        let signature = sign_headers(&sim, &aksk(ACCESS_KEY, "not-the-secret"), &pause, now);
        expect_aksk_401(send_signed(&sim, signature, &pause).await, SIGNATURE_FAIL).await;

        // Unknown access key.
        let signature = sign_headers(&sim, &aksk("NOSUCHAK", SECRET_KEY), &pause, now);
        expect_aksk_401(
            send_signed(&sim, signature, &pause).await,
            "Incorrect IAM authentication information: ak NOSUCHAK not exist",
        )
        .await;

        // Signed 20 minutes ago, or 20 minutes ahead.
        for skewed in [
            now - Duration::from_secs(20 * 60),
            now + Duration::from_secs(20 * 60),
        ] {
            let signature = sign_headers(&sim, &good, &pause, skewed);
            expect_aksk_401(send_signed(&sim, signature, &pause).await, SIGNATURE_FAIL).await;
        }

        // Nothing got through.
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Incremental")
        );
        assert!(sim.jobs().is_empty());
        assert!(sim.requests().iter().all(|r| r.status == 401));
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn a_security_token_must_be_signed() {
        let sim = start_full().await;
        let path = pause_path();
        let body = pause_body("orders_sync").to_string();
        let pause = Signed {
            method: "POST",
            path: &path,
            query: None,
            body: body.as_bytes(),
        };
        let temporary = AkSk {
            security_token: Some(Secret::new("temporary-security-token")),
            ..aksk(ACCESS_KEY, SECRET_KEY)
        };
        let signature = sign_headers(&sim, &temporary, &pause, SystemTime::now());
        assert!(
            signature
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("x-security-token"))
        );
        assert_eq!(
            send_signed(&sim, signature, &pause).await.status().as_u16(),
            200
        );

        // The same token sent but left out of the signature.
        let mut signature = sign_headers(
            &sim,
            &aksk(ACCESS_KEY, SECRET_KEY),
            &pause,
            SystemTime::now(),
        );
        signature.push(("X-Security-Token", "temporary-security-token".to_owned()));
        expect_aksk_401(send_signed(&sim, signature, &pause).await, SIGNATURE_FAIL).await;
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn the_configured_token_still_works_next_to_access_keys() {
        let sim = start_full().await;
        let response = plain_client()
            .get(list_url(&sim, ""))
            .header("X-Auth-Token", TOKEN)
            .send()
            .await
            .expect("list");
        assert_eq!(response.status().as_u16(), 200);
        sim.shutdown().await;
    }

    async fn expect_401(response: reqwest::Response) {
        assert_eq!(response.status().as_u16(), 401);
        assert!(response.headers().contains_key("x-request-id"));
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error_code"], "APIGW.0301");
        assert_eq!(
            body["error_msg"],
            "Incorrect IAM authentication information: verify token fail"
        );
    }

    #[tokio::test]
    async fn missing_or_wrong_token_is_rejected_before_the_handler() {
        let sim = start_demo().await;
        let http = plain_client();

        let missing = http
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("request");
        expect_401(missing).await;

        let wrong = http
            .post(pause_url(&sim))
            .header("X-Auth-Token", format!("{TOKEN}x"))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("request");
        expect_401(wrong).await;

        // Unknown /v3 routes also need credentials.
        let unknown = http
            .get(format!("{}/v3/{DEMO_PROJECT}/nothing", sim.endpoint()))
            .send()
            .await
            .expect("request");
        expect_401(unknown).await;

        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Incremental")
        );
        let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, vec![401, 401, 401]);
        sim.shutdown().await;
    }
}
