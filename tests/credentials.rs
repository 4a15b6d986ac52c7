//! Temporary credentials as a user meets them: the REST client against the simulator
//! over real HTTP, with keys from the ECS metadata service, an assumed agency (IAM, STS,
//! chained) and OIDC, renewed before they expire and once on a 401, and the project of a
//! region looked up once. Each test asserts what a user would notice: the call works (or
//! fails saying why, naming the source), what was sent where and signed by whom, how
//! often keys were issued, and that no error text ever carries a secret.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures_util::future::join_all;
use taurusdb_api::issuers::{AssumeHop, AssumeRole, EcsMetadata, IdToken, Issuer, OidcRole};
use taurusdb_api::poll_schedule::PollSchedule;
use taurusdb_api::retry::RetryPolicy;
use taurusdb_api::settings::attrs;
use taurusdb_api::wait::{self, TargetStage, WaitPolicy, WaitTarget};
use taurusdb_api::{
    ApiClient, ApiError, ClientConfig, Credentials, Secret, TemporaryCredentials, signer,
};
use taurusdb_sim::{
    self as sim, CredentialEndpoint, Fault, FaultKind, IamProject, JobPlan, RecordedRequest,
    SimHandle,
};
use tokio_util::sync::CancellationToken;

/// How long a test lets a call that must end on its own run before calling it hung. Not
/// a timing assertion: the calls under test end within seconds or never.
const HANG_GUARD: Duration = Duration::from_secs(60);

fn never() -> CancellationToken {
    CancellationToken::new()
}

/// A client of `sim` with `credentials`, whose project lookup goes to the simulator's
/// IAM for [`sim::DEFAULT_REGION`]; quick retries.
fn api(sim: &SimHandle, credentials: Credentials) -> ApiClient {
    api_at(sim.endpoint(), sim, credentials)
}

fn api_at(endpoint: String, sim: &SimHandle, credentials: Credentials) -> ApiClient {
    let mut config = ClientConfig::new(endpoint, credentials);
    config.retry = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(1),
    };
    config.request_timeout = Duration::from_secs(10);
    config.iam_url = Some(format!("{}/v3", sim.endpoint()));
    config.settings = config.settings.with(attrs::REGION, sim::DEFAULT_REGION);
    ApiClient::new(config).expect("client")
}

fn temporary(issuer: Issuer) -> Credentials {
    Credentials::Temporary(Arc::new(TemporaryCredentials::new(issuer)))
}

/// Keys from the ECS metadata service at `endpoint`.
fn metadata(endpoint: String, last_resort: bool) -> Credentials {
    temporary(Issuer::Metadata(EcsMetadata {
        endpoint,
        last_resort,
    }))
}

/// The simulator's permanent AK/SK.
fn aksk() -> Credentials {
    Credentials::AkSk(signer::AkSk {
        access_key: Secret::new(ACCESS_KEY),
        secret_key: Secret::new(SECRET_KEY),
        security_token: None,
    })
}

/// The demo agency through IAM (`assume_role` by account name), on top of `base`.
fn iam_hop(sim: &SimHandle, base: Credentials, agency: &str) -> Issuer {
    Issuer::Assume(AssumeRole {
        base,
        hop: AssumeHop::iam(
            format!("{}/v3", sim.endpoint()),
            agency.to_string(),
            sim::DEMO_DOMAIN_NAME.to_string(),
            900,
        ),
    })
}

/// The demo agency through STS (by account ID), on top of `base`.
fn sts_hop(sim: &SimHandle, base: Credentials, agency: &str) -> Issuer {
    Issuer::Assume(AssumeRole {
        base,
        hop: AssumeHop::sts(
            sim.endpoint(),
            agency.to_string(),
            sim::DEMO_DOMAIN_ID.to_string(),
            900,
        ),
    })
}

fn oidc(sim: &SimHandle, id_token: IdToken) -> Issuer {
    Issuer::Oidc(OidcRole {
        auth_url: format!("{}/v3", sim.endpoint()),
        sts_url: sim.endpoint(),
        idp_id: sim::DEMO_IDP_ID.to_string(),
        id_token,
        agency_name: sim::DEMO_AGENCY_NAME.to_string(),
        domain_id: sim::DEMO_DOMAIN_ID.to_string(),
        duration_seconds: 900,
    })
}

/// The access key a recorded request was signed with.
fn signed_by(request: &RecordedRequest) -> String {
    let authorization = request
        .header("authorization")
        .unwrap_or_else(|| panic!("{} {} is not signed", request.method, request.path));
    taurusdb_sim::signature::parse_authorization(authorization)
        .unwrap_or_else(|| panic!("unparsable Authorization {authorization:?}"))
        .access_key
}

/// Whether the request carried a security token and signed it.
fn signs_security_token(request: &RecordedRequest) -> bool {
    let signed = request
        .header("authorization")
        .and_then(taurusdb_sim::signature::parse_authorization)
        .is_some_and(|p| p.signed_headers.iter().any(|h| h == "x-security-token"));
    signed
        && request
            .header("x-security-token")
            .is_some_and(|t| !t.is_empty())
}

/// Requests whose path ends with `suffix` and whose method is `method`.
fn recorded(sim: &SimHandle, method: &str, suffix: &str) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.ends_with(suffix))
        .collect()
}

/// Requests to the TaurusDB API itself (not IAM, STS or the metadata service).
fn api_requests(sim: &SimHandle) -> Vec<RecordedRequest> {
    let prefix = format!("/v3/{PROJECT}/");
    sim.requests()
        .into_iter()
        .filter(|r| r.path.starts_with(&prefix))
        .collect()
}

/// A run of 40 upper-case letters and digits: the shape of the simulator's temporary
/// secret keys.
fn has_sim_secret_key_shape(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            run += 1;
            if run >= 40 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Neither the Display nor the Debug (plain or pretty) of `err` holds a secret: the
/// permanent SK, the demo ID token, `more` (ID tokens, session and security tokens the
/// test saw), or anything shaped like the simulator's security tokens (`gQsim...`),
/// metadata session tokens (`mdsim...`) or temporary secret keys.
fn assert_keeps_secrets(err: &ApiError, more: &[&str]) {
    for text in [err.to_string(), format!("{err:?}"), format!("{err:#?}")] {
        for secret in [SECRET_KEY, sim::DEMO_ID_TOKEN, TOKEN]
            .iter()
            .chain(more)
            .filter(|s| !s.is_empty())
        {
            assert!(!text.contains(secret), "{secret:?} in {text}");
        }
        assert!(!text.contains("gQsim"), "a security token in {text}");
        assert!(
            !text.contains("mdsim"),
            "a metadata session token in {text}"
        );
        assert!(!has_sim_secret_key_shape(&text), "a secret key in {text}");
    }
}

/// Every security and metadata session token the client sent so far.
fn tokens_sent(sim: &SimHandle) -> Vec<String> {
    sim.requests()
        .iter()
        .flat_map(|r| [r.header("x-security-token"), r.header("x-metadata-token")])
        .flatten()
        .map(str::to_string)
        .collect()
}

fn as_strs(tokens: &[String]) -> Vec<&str> {
    tokens.iter().map(String::as_str).collect()
}

/// The `TemporaryCredentials` error's parts, or a panic naming what came instead.
fn temporary_error(err: &ApiError) -> (&str, bool, &ApiError) {
    match err {
        ApiError::TemporaryCredentials {
            from,
            last_resort,
            error,
        } => (from, *last_resort, error),
        other => panic!("a TemporaryCredentials error expected, got {other:?}"),
    }
}

// --- 1. The ECS metadata service ------------------------------------------------------

#[tokio::test]
async fn metadata_keys_read_with_a_session_token_sign_the_pause() {
    let sim = start_sim().await;
    let api = api(&sim, metadata(sim.endpoint(), false));
    api.pause_replication(&SEEDED, &never())
        .await
        .expect("pause with metadata keys");
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Paused")
    );

    let requests = sim.requests();
    let paths: Vec<(&str, &str, u16)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.status))
        .collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert_eq!(
        paths[..2],
        [
            ("PUT", "/meta-data/latest/api/token", 200),
            ("GET", "/openstack/latest/securitykey", 200)
        ],
        "{paths:?}"
    );
    assert_eq!(
        requests[0].header("x-metadata-token-ttl-seconds"),
        Some("21600")
    );
    let session = requests[1]
        .header("x-metadata-token")
        .expect("the key read carries the session token");
    assert!(!session.is_empty());
    // Neither metadata request carries credentials of the API.
    for request in &requests[..2] {
        assert_eq!(request.header("authorization"), None);
        assert_eq!(request.header("x-auth-token"), None);
    }
    let pause = &requests[2];
    assert!(pause.path.ends_with("/replication/pause"), "{paths:?}");
    assert_eq!(pause.status, 200);
    assert_ne!(signed_by(pause), ACCESS_KEY);
    assert!(signs_security_token(pause), "{:?}", pause.headers);
    assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 1);
    assert_eq!(sim.expired_credential_uses(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn metadata_keys_are_read_without_a_session_token_when_the_service_has_none() {
    let sim = start_sim().await;
    sim.set_metadata_session_tokens(false);
    let api = api(&sim, metadata(sim.endpoint(), false));
    api.pause_replication(&SEEDED, &never())
        .await
        .expect("pause with metadata keys");

    let requests = sim.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert_eq!(requests[0].method, "PUT");
    assert_eq!(requests[0].status, 404, "the service has no session tokens");
    assert_eq!(requests[1].path, "/openstack/latest/securitykey");
    assert_eq!(requests[1].status, 200);
    assert_eq!(
        requests[1].header("x-metadata-token"),
        None,
        "no session token to send"
    );
    assert_eq!(requests[2].status, 200);
    assert!(signs_security_token(&requests[2]));
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Paused")
    );
    assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 1);
    sim.shutdown().await;
}

// --- 2. No metadata service -------------------------------------------------------------

#[tokio::test]
async fn a_closed_metadata_port_is_a_last_resort_error_naming_the_service() {
    let sim = start_sim().await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let api = api(&sim, metadata(endpoint.clone(), true));
    let err = tokio::time::timeout(HANG_GUARD, api.pause_replication(&SEEDED, &never()))
        .await
        .expect("the call ends")
        .expect_err("no metadata service");
    let (from, last_resort, inner) = temporary_error(&err);
    assert!(last_resort, "{err:?}");
    assert!(from.contains("metadata"), "{from}");
    match inner {
        ApiError::Connect {
            endpoint: named, ..
        } => assert_eq!(named, &endpoint),
        other => panic!("a connect error expected, got {other:?}"),
    }
    assert!(err.to_string().contains(&endpoint), "{err}");
    assert!(err.proves_not_processed());
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    assert_eq!(sim.count("POST", "/replication/pause"), 0);
    assert_keeps_secrets(&err, &[]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_metadata_service_that_never_answers_is_a_last_resort_error_naming_it() {
    let sim = start_sim().await;
    // Accepts connections (the kernel completes the handshake) and never reads a byte.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", silent.local_addr().expect("addr"));
    let api = api(&sim, metadata(endpoint.clone(), true));
    let err = tokio::time::timeout(HANG_GUARD, api.pause_replication(&SEEDED, &never()))
        .await
        .expect("the call ends on its own")
        .expect_err("no answer from the metadata service");
    let (from, last_resort, inner) = temporary_error(&err);
    assert!(last_resort, "{err:?}");
    assert!(from.contains("metadata"), "{from}");
    match inner {
        ApiError::Timeout {
            endpoint: named, ..
        } => assert_eq!(named, &endpoint),
        other => panic!("a timeout expected, got {other:?}"),
    }
    assert!(err.to_string().contains(&endpoint), "{err}");
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    assert_keeps_secrets(&err, &[]);
    drop(silent);
    sim.shutdown().await;
}

#[tokio::test]
async fn metadata_configured_explicitly_is_not_a_last_resort() {
    let sim = start_sim().await;
    sim.set_metadata_service(false);
    let api = api(&sim, metadata(sim.endpoint(), false));
    let err = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("the service is off");
    let (_, last_resort, inner) = temporary_error(&err);
    assert!(!last_resort, "{err:?}");
    assert_eq!(inner.status(), Some(404), "{inner:?}");
    assert_eq!(sim.count("POST", "/replication/pause"), 0);
    assert!(api_requests(&sim).is_empty());
    assert_keeps_secrets(&err, &[]);
    sim.shutdown().await;
}

// --- 3. Renewal -----------------------------------------------------------------------

#[tokio::test]
async fn keys_are_renewed_in_time_through_a_twenty_second_wait() {
    let sim = start_sim().await;
    sim.set_temporary_credentials_lifetime(Duration::from_secs(8));
    sim.set_job_plan(JobPlan::timed(Duration::from_secs(20)));
    let api = api(&sim, metadata(sim.endpoint(), false));
    let job = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect("pause");
    let unhurried = PollSchedule {
        min_interval: Duration::from_millis(200),
        max_interval: Duration::from_millis(500),
        growth: 0.5,
    };
    let policy = WaitPolicy {
        stage_polls: unhurried,
        job_polls: unhurried,
        not_found_grace: Duration::from_secs(30),
    };
    let target = WaitTarget {
        task: &SEEDED,
        job_id: &job.job_id,
        stage: TargetStage::Paused,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let waited = wait::wait_for(&api, target, deadline, policy, &never())
        .await
        .expect("the wait outlives several sets of keys");
    assert_eq!(waited.stage, "Paused");
    assert_eq!(
        sim.expired_credential_uses(),
        0,
        "a request was signed with expired keys"
    );
    let issued = sim.issued_credentials(CredentialEndpoint::Metadata);
    assert!(issued >= 3, "keys issued {issued} times over a 20 s wait");
    let signed = api_requests(&sim).len();
    assert!(
        issued * 4 < signed,
        "keys issued {issued} times for {signed} requests: renewed per request"
    );
    assert!(
        api_requests(&sim).iter().all(|r| r.status == 200),
        "every API call was accepted"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn twenty_calls_right_after_expiry_share_one_renewal() {
    let sim = start_sim().await;
    let instances: Vec<String> = (0..20)
        .map(|n| format!("renewal-instance-{n:02}"))
        .collect();
    for instance in &instances {
        sim.add_task(PROJECT, instance, TASK);
    }
    let api = api(&sim, metadata(sim.endpoint(), false));
    api.list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("first list");
    assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 1);
    sim.expire_temporary_credentials();

    // One list per instance: no two share a read.
    let cancel = never();
    let lists = instances
        .iter()
        .map(|instance| api.list_replications(PROJECT, instance, &cancel));
    for listed in join_all(lists).await {
        let tasks = listed.expect("listed with renewed keys");
        assert_eq!(tasks.len(), 1);
    }
    assert_eq!(
        sim.issued_credentials(CredentialEndpoint::Metadata),
        2,
        "one renewal for twenty calls"
    );
    let lists = recorded(&sim, "GET", "/replication");
    let refused = lists.iter().filter(|r| r.status == 401).count();
    let accepted: Vec<&RecordedRequest> = lists.iter().filter(|r| r.status == 200).collect();
    assert_eq!(accepted.len(), 21, "each list once with good keys");
    assert!(refused <= 20, "{refused} refused lists");
    assert_eq!(sim.expired_credential_uses(), refused);
    // The twenty lists were all signed by the same (new) keys.
    let renewed = signed_by(accepted[1]);
    assert!(accepted[1..].iter().all(|r| signed_by(r) == renewed));
    assert_ne!(signed_by(accepted[0]), renewed);
    sim.shutdown().await;
}

// --- 4. A 401 -------------------------------------------------------------------------

#[tokio::test]
async fn refused_keys_are_renewed_once_and_the_pause_goes_through() {
    let sim = start_sim().await;
    let api = api(&sim, metadata(sim.endpoint(), false));
    api.list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list");
    // The keys expire by the simulator's clock; the client still thinks them good.
    sim.advance_clock(sim::DEFAULT_TEMPORARY_LIFETIME);
    api.pause_replication(&SEEDED, &never())
        .await
        .expect("paused after one renewal");
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Paused")
    );
    let pauses = recorded(&sim, "POST", "/replication/pause");
    let statuses: Vec<u16> = pauses.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 200]);
    // The refused pause is recorded without its headers; it used the expired keys (counted
    // below), and the accepted one the renewed keys, not those of the first list.
    assert!(pauses[0].refused && pauses[0].headers.is_empty());
    let listed = signed_by(&recorded(&sim, "GET", "/replication")[0]);
    assert_ne!(signed_by(&pauses[1]), listed);
    assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 2);
    assert_eq!(sim.expired_credential_uses(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn keys_refused_again_after_renewal_end_the_call_without_a_loop() {
    let sim = start_sim().await;
    let api = api(&sim, metadata(sim.endpoint(), false));
    sim.inject_many(
        Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::api_error(
                401,
                "APIGW.0301",
                "Incorrect IAM authentication information: verify aksk signature fail",
            ),
        ),
        5,
    );
    let err = tokio::time::timeout(HANG_GUARD, api.pause_replication(&SEEDED, &never()))
        .await
        .expect("the call ends")
        .expect_err("refused twice");
    assert_eq!(err.status(), Some(401), "{err:?}");
    assert_eq!(err.code(), Some("APIGW.0301"));
    assert_eq!(
        sim.count("POST", "/replication/pause"),
        2,
        "the first keys, then the renewed ones, then the error"
    );
    assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 2);
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Incremental")
    );
    assert_keeps_secrets(&err, &as_strs(&tokens_sent(&sim)));
    sim.shutdown().await;
}

// --- 5. assume_role ---------------------------------------------------------------------

#[tokio::test]
async fn an_agency_assumed_through_iam_is_asked_for_with_the_base_keys() {
    let sim = start_sim().await;
    let api = api(
        &sim,
        temporary(iam_hop(&sim, aksk(), sim::DEMO_AGENCY_NAME)),
    );
    api.pause_replication(&SEEDED, &never())
        .await
        .expect("pause as the agency");

    let asked = recorded(&sim, "POST", "/v3.0/OS-CREDENTIAL/securitytokens");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].status, 201);
    assert_eq!(signed_by(&asked[0]), ACCESS_KEY, "signed by the base AK");
    assert_eq!(asked[0].header("x-security-token"), None);
    let body: serde_json::Value = serde_json::from_str(&asked[0].body).expect("json");
    let role = &body["auth"]["identity"]["assume_role"];
    assert_eq!(body["auth"]["identity"]["methods"][0], "assume_role");
    assert_eq!(role["agency_name"], sim::DEMO_AGENCY_NAME);
    assert_eq!(role["domain_name"], sim::DEMO_DOMAIN_NAME);

    let pause = &recorded(&sim, "POST", "/replication/pause")[0];
    assert_eq!(pause.status, 200);
    assert_ne!(signed_by(pause), ACCESS_KEY, "signed by the agency's keys");
    assert!(signs_security_token(pause));
    assert_eq!(sim.issued_credentials(CredentialEndpoint::AssumeRole), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_iam_hop_then_an_sts_hop_sign_each_with_the_keys_before() {
    let sim = start_sim().await;
    let first = temporary(iam_hop(&sim, aksk(), sim::DEMO_AGENCY_NAME));
    let api = api(&sim, temporary(sts_hop(&sim, first, sim::DEMO_AGENCY_NAME)));
    api.pause_replication(&SEEDED, &never())
        .await
        .expect("pause at the end of the chain");

    let requests = sim.requests();
    let order: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(order.len(), 3, "{order:?}");
    let (iam, sts, pause) = (&requests[0], &requests[1], &requests[2]);
    assert_eq!(iam.path, "/v3.0/OS-CREDENTIAL/securitytokens", "{order:?}");
    assert_eq!(sts.path, "/v5/agencies/assume", "{order:?}");
    assert!(pause.path.ends_with("/replication/pause"), "{order:?}");
    assert_eq!(
        (iam.status, sts.status, pause.status),
        (201, 200, 200),
        "{requests:?}"
    );
    assert_eq!(signed_by(iam), ACCESS_KEY);
    // STS took a temporary key with its security token: the only one issued before it
    // was the IAM hop's, so that is the key it was signed with.
    let sts_key = signed_by(sts);
    assert_ne!(sts_key, ACCESS_KEY);
    assert!(signs_security_token(sts), "{:?}", sts.headers);
    let body: serde_json::Value = serde_json::from_str(&sts.body).expect("json");
    assert_eq!(
        body["agency_urn"],
        format!(
            "iam::{}:agency:{}",
            sim::DEMO_DOMAIN_ID,
            sim::DEMO_AGENCY_NAME
        )
    );
    // The API call is signed by the second hop's keys, neither of the others.
    let pause_key = signed_by(pause);
    assert!(
        pause_key != ACCESS_KEY && pause_key != sts_key,
        "{pause_key}"
    );
    assert!(signs_security_token(pause));
    assert_ne!(
        pause.header("x-security-token"),
        sts.header("x-security-token")
    );
    assert_eq!(sim.issued_credentials(CredentialEndpoint::AssumeRole), 1);
    assert_eq!(
        sim.issued_credentials(CredentialEndpoint::StsAssumeAgency),
        1
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unknown_agency_is_named_and_nothing_reaches_the_api() {
    let sim = start_sim().await;
    for (issuer, path) in [
        (
            iam_hop(&sim, aksk(), "no_such_agency"),
            "/v3.0/OS-CREDENTIAL/securitytokens",
        ),
        (
            sts_hop(&sim, aksk(), "no_such_agency"),
            "/v5/agencies/assume",
        ),
    ] {
        let api = api(&sim, temporary(issuer));
        let err = api
            .pause_replication(&SEEDED, &never())
            .await
            .expect_err("unknown agency");
        let (from, last_resort, inner) = temporary_error(&err);
        assert!(from.contains("no_such_agency"), "{from}");
        assert!(!last_resort);
        assert_eq!(inner.status(), Some(403), "{inner:?}");
        assert!(err.to_string().contains("no_such_agency"), "{err}");
        assert_eq!(recorded(&sim, "POST", path).len(), 1, "asked once, {path}");
        assert_keeps_secrets(&err, &[]);
    }
    assert!(api_requests(&sim).is_empty(), "{:?}", api_requests(&sim));
    assert_eq!(sim.issued_credentials(CredentialEndpoint::AssumeRole), 0);
    assert_eq!(
        sim.issued_credentials(CredentialEndpoint::StsAssumeAgency),
        0
    );
    sim.shutdown().await;
}

// --- 6. OIDC ---------------------------------------------------------------------------

#[tokio::test]
async fn an_oidc_token_file_is_read_again_at_renewal() {
    const TOKEN_A: &str = "ci-id-token-a-0f3e";
    const TOKEN_B: &str = "ci-id-token-b-9c1d";
    let sim = start_sim().await;
    sim.set_accepted_id_tokens(sim::DEMO_IDP_ID, &[TOKEN_A]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("id-token");
    std::fs::write(&file, format!("{TOKEN_A}\n")).expect("write token A");
    let api = api(&sim, temporary(oidc(&sim, IdToken::File(file.clone()))));
    api.pause_replication(&SEEDED, &never())
        .await
        .expect("pause with token A");
    assert_eq!(sim.presented_id_tokens(), [TOKEN_A]);

    // The CI system rotates the token; only the new one is accepted from now on.
    std::fs::write(&file, TOKEN_B).expect("write token B");
    sim.set_accepted_id_tokens(sim::DEMO_IDP_ID, &[TOKEN_B]);
    sim.expire_temporary_credentials();
    api.resume_replication(&SEEDED, &never())
        .await
        .expect("resume after renewing with token B");
    assert_eq!(sim.presented_id_tokens(), [TOKEN_A, TOKEN_B]);
    assert_eq!(sim.issued_credentials(CredentialEndpoint::OidcToken), 2);
    assert_eq!(
        sim.issued_credentials(CredentialEndpoint::StsAssumeAgency),
        2
    );
    let exchanges = recorded(&sim, "POST", "/v3.0/OS-AUTH/id-token/tokens");
    assert!(
        exchanges
            .iter()
            .all(|r| r.header("x-idp-id") == Some(sim::DEMO_IDP_ID) && r.status == 201),
        "{exchanges:?}"
    );
    let resumes = recorded(&sim, "POST", "/replication/resume");
    let statuses: Vec<u16> = resumes.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 200]);
    sim.shutdown().await;
}

/// A FIFO at `path` (no writer ever opens it).
fn make_fifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt as _;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    let made = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(made, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

#[tokio::test]
async fn an_unreadable_oidc_token_file_is_named_and_nothing_hangs() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("id-token.fifo");
    make_fifo(&fifo);
    let directory = dir.path().join("id-token.d");
    std::fs::create_dir(&directory).expect("mkdir");
    let missing = dir.path().join("no-such-token");
    for path in [fifo, directory, missing] {
        let api = api(&sim, temporary(oidc(&sim, IdToken::File(path.clone()))));
        let err = tokio::time::timeout(HANG_GUARD, api.pause_replication(&SEEDED, &never()))
            .await
            .unwrap_or_else(|_| panic!("reading {} hung", path.display()))
            .expect_err("unreadable token file");
        let (from, _, inner) = temporary_error(&err);
        assert!(from.contains("OIDC"), "{from}");
        assert!(matches!(inner, ApiError::Config(_)), "{inner:?}");
        let shown = path.display().to_string();
        assert!(err.to_string().contains(&shown), "{err}");
        assert_keeps_secrets(&err, &[]);
    }
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_id_token_is_never_repeated() {
    const REFUSED: &str = "refused-id-token-7b2e";
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("id-token");
    std::fs::write(&file, REFUSED).expect("write");
    for token in [IdToken::Value(Secret::new(REFUSED)), IdToken::File(file)] {
        let api = api(&sim, temporary(oidc(&sim, token)));
        let err = api
            .pause_replication(&SEEDED, &never())
            .await
            .expect_err("refused token");
        let (_, _, inner) = temporary_error(&err);
        assert_eq!(inner.status(), Some(401), "{inner:?}");
        assert_keeps_secrets(&err, &[REFUSED]);
        // The client holding the issuer does not show it either.
        let shown = format!("{api:?}");
        assert!(!shown.contains(REFUSED), "{shown}");
    }
    assert_eq!(sim.presented_id_tokens(), [REFUSED, REFUSED]);
    assert!(api_requests(&sim).is_empty());
    sim.shutdown().await;
}

// --- 7. Project lookup ----------------------------------------------------------------

#[tokio::test]
async fn the_project_of_the_region_is_looked_up_once_for_concurrent_callers() {
    let sim = start_sim().await;
    let api = api(&sim, metadata(sim.endpoint(), false));
    let cancel = never();
    let found = join_all((0..10).map(|_| api.default_project(&cancel))).await;
    for project in found {
        assert_eq!(project.expect("project"), PROJECT);
    }
    // A clone of the client remembers it too.
    assert_eq!(
        api.clone().default_project(&cancel).await.expect("again"),
        PROJECT
    );
    let lookups = recorded(&sim, "GET", "/v3/projects");
    assert_eq!(lookups.len(), 1, "{lookups:?}");
    assert_eq!(
        lookups[0].query.as_deref(),
        Some(format!("name={}", sim::DEFAULT_REGION).as_str())
    );
    assert_eq!(lookups[0].status, 200);
    assert!(
        signs_security_token(&lookups[0]),
        "looked up with the temporary keys"
    );
    assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 1);
    sim.shutdown().await;
}

fn with_region(sim: &SimHandle, region: &str) -> ApiClient {
    let mut config = ClientConfig::new(sim.endpoint(), aksk());
    config.iam_url = Some(format!("{}/v3", sim.endpoint()));
    config.settings = config.settings.with(attrs::REGION, region);
    ApiClient::new(config).expect("client")
}

#[tokio::test]
async fn a_region_without_a_project_is_a_lookup_error() {
    let sim = start_sim().await;
    let err = with_region(&sim, "eu-west-101")
        .default_project(&never())
        .await
        .expect_err("no project");
    match &err {
        ApiError::ProjectLookup { region, found } => {
            assert_eq!(region, "eu-west-101");
            assert_eq!(*found, 0);
        }
        other => panic!("ProjectLookup expected, got {other:?}"),
    }
    assert!(err.to_string().contains("eu-west-101"), "{err}");
    assert_keeps_secrets(&err, &[]);
    sim.shutdown().await;
}

#[tokio::test]
async fn two_projects_of_one_name_are_ambiguous_and_not_remembered() {
    let sim = start_sim().await;
    sim.add_project(IamProject {
        name: sim::DEFAULT_REGION.to_string(),
        id: "0a1b2c3d4e5f60718293a4b5c6d7e8f9".to_string(),
        domain_id: sim::DEMO_DOMAIN_ID.to_string(),
    });
    let api = with_region(&sim, sim::DEFAULT_REGION);
    for _ in 0..2 {
        let err = api.default_project(&never()).await.expect_err("ambiguous");
        assert!(
            matches!(&err, ApiError::ProjectLookup { found: 2, region } if region == sim::DEFAULT_REGION),
            "{err:?}"
        );
        assert!(err.to_string().contains("more than one"), "{err}");
        assert_keeps_secrets(&err, &[]);
    }
    assert_eq!(
        sim.count("GET", "/v3/projects"),
        2,
        "a failed lookup is tried again"
    );
    sim.shutdown().await;
}

// --- 8. Secrets ------------------------------------------------------------------------

#[tokio::test]
async fn a_client_holding_temporary_keys_shows_none_of_them() {
    let sim = start_sim().await;
    let chain = temporary(sts_hop(
        &sim,
        metadata(sim.endpoint(), false),
        sim::DEMO_AGENCY_NAME,
    ));
    let api = api(&sim, chain);
    api.list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list at the end of the chain");
    let sent = tokens_sent(&sim);
    assert!(sent.len() >= 3, "{sent:?}");
    let shown = format!("{api:?} {api:#?}");
    for token in &sent {
        assert!(!shown.contains(token.as_str()), "a token in {shown}");
    }
    assert!(!shown.contains("gQsim") && !has_sim_secret_key_shape(&shown));
    sim.shutdown().await;
}

#[tokio::test]
async fn no_credential_error_shows_a_secret() {
    let sim = start_sim().await;
    let id_token_value = "secret-id-token-value-55aa";
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("token");
    std::fs::write(&file, b"\xff\xfe not text").expect("write");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "  \n").expect("write");
    let mut errors = Vec::new();
    // Keys from a chain whose second hop is refused, with the first hop's keys sent.
    let refused_hop = temporary(sts_hop(
        &sim,
        temporary(iam_hop(&sim, aksk(), sim::DEMO_AGENCY_NAME)),
        "not_granted",
    ));
    errors.push(
        api(&sim, refused_hop)
            .pause_replication(&SEEDED, &never())
            .await,
    );
    // An ID token given as a value the provider refuses; a token file that is not text;
    // an empty one.
    for token in [
        IdToken::Value(Secret::new(id_token_value)),
        IdToken::File(file),
        IdToken::File(empty),
    ] {
        errors.push(
            api(&sim, temporary(oidc(&sim, token)))
                .pause_replication(&SEEDED, &never())
                .await,
        );
    }
    // Permanent keys refused by the gateway as a base of an agency.
    let wrong = Credentials::AkSk(signer::AkSk {
        access_key: Secret::new(ACCESS_KEY),
        secret_key: Secret::new("wrong-secret-key-3e3e"),
        security_token: Some(Secret::new("wrong-security-token-4f4f")),
    });
    errors.push(
        api(&sim, temporary(iam_hop(&sim, wrong, sim::DEMO_AGENCY_NAME)))
            .pause_replication(&SEEDED, &never())
            .await,
    );
    let sent = tokens_sent(&sim);
    let mut secrets = as_strs(&sent);
    secrets.extend([
        id_token_value,
        "wrong-secret-key-3e3e",
        "wrong-security-token-4f4f",
    ]);
    for result in &errors {
        let err = result.as_ref().expect_err("each of these fails");
        temporary_error(err);
        assert_keeps_secrets(err, &secrets);
    }
    assert!(api_requests(&sim).is_empty(), "{:?}", api_requests(&sim));
    sim.shutdown().await;
}

// --- Further edges ---------------------------------------------------------------------

#[tokio::test]
async fn a_chain_whose_every_hop_expired_renews_each_hop_once() {
    let sim = start_sim().await;
    let first = temporary(iam_hop(&sim, aksk(), sim::DEMO_AGENCY_NAME));
    let api = api(&sim, temporary(sts_hop(&sim, first, sim::DEMO_AGENCY_NAME)));
    api.list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list");
    // Both hops' keys expire; the client holds both.
    sim.expire_temporary_credentials();
    api.pause_replication(&SEEDED, &never())
        .await
        .expect("paused after renewing both hops");
    assert_eq!(sim.issued_credentials(CredentialEndpoint::AssumeRole), 2);
    assert_eq!(
        sim.issued_credentials(CredentialEndpoint::StsAssumeAgency),
        2
    );
    let statuses: Vec<(String, u16)> = sim
        .requests()
        .iter()
        .skip(3)
        .map(|r| {
            (
                r.path.rsplit('/').next().unwrap_or("").to_string(),
                r.status,
            )
        })
        .collect();
    // The pause refused, STS refused the first hop's old keys, IAM renewed the first hop,
    // STS renewed the second, the pause went through.
    assert_eq!(
        statuses,
        [
            ("pause".to_string(), 401),
            ("assume".to_string(), 401),
            ("securitytokens".to_string(), 201),
            ("assume".to_string(), 200),
            ("pause".to_string(), 200),
        ]
    );
    sim.shutdown().await;
}

/// `http://127.0.0.1:PORT` of a port nothing listens on, whose number has five digits.
fn closed_endpoint() -> (String, u16) {
    loop {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        if port >= 10_000 {
            return (format!("http://127.0.0.1:{port}"), port);
        }
    }
}

#[tokio::test]
async fn a_metadata_error_names_the_metadata_endpoint_even_when_the_api_endpoint_is_a_prefix_of_it()
{
    let sim = start_sim().await;
    let (metadata_endpoint, port) = closed_endpoint();
    // An API endpoint whose text starts the metadata endpoint's (port 4123 vs 41234):
    // nothing is ever sent to it.
    let api_endpoint = format!("http://127.0.0.1:{}", port / 10);
    assert!(metadata_endpoint.starts_with(&api_endpoint));
    let api = api_at(
        api_endpoint.clone(),
        &sim,
        metadata(metadata_endpoint.clone(), true),
    );
    let err = api
        .pause_replication(&SEEDED, &never())
        .await
        .expect_err("no metadata service");
    let (_, _, inner) = temporary_error(&err);
    match inner {
        ApiError::Connect { endpoint, .. } => assert_eq!(
            endpoint, &metadata_endpoint,
            "the error sends the user to the API endpoint: {err}"
        ),
        other => panic!("a connect error expected, got {other:?}"),
    }
    sim.shutdown().await;
}

/// Lists the seeded instance every 250 ms until the client has tried (and failed) to
/// renew its keys: the metadata service, switched off, answered a key read with 404.
async fn list_until_a_renewal_failed(api: &ApiClient, sim: &SimHandle) {
    while recorded(sim, "GET", "/openstack/latest/securitykey")
        .iter()
        .all(|r| r.status != 404)
    {
        tokio::time::sleep(Duration::from_millis(250)).await;
        api.list_replications(PROJECT, INSTANCE, &never())
            .await
            .expect("the keys still work while renewal fails");
    }
}

#[tokio::test]
async fn a_failed_renewal_keeps_the_keys_that_still_work() {
    let sim = start_sim().await;
    sim.set_temporary_credentials_lifetime(Duration::from_secs(15));
    let api = api(&sim, metadata(sim.endpoint(), false));
    api.list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list");
    let first = signed_by(&recorded(&sim, "GET", "/replication")[0]);
    sim.set_metadata_service(false);
    list_until_a_renewal_failed(&api, &sim).await;
    // The renewal failed, yet the pause is signed by the old keys and goes through.
    api.pause_replication(&SEEDED, &never())
        .await
        .expect("pause with the old keys");
    let pause = &recorded(&sim, "POST", "/replication/pause")[0];
    assert_eq!(pause.status, 200);
    assert_eq!(signed_by(pause), first);
    assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 1);
    // Back on: renewal is tried again after a pause (not on every call during an
    // outage), well before the old keys expire; calls go on meanwhile.
    sim.set_metadata_service(true);
    while sim.issued_credentials(CredentialEndpoint::Metadata) < 2 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        api.list_replications(PROJECT, INSTANCE, &never())
            .await
            .expect("the old keys work until the renewal");
    }
    api.resume_replication(&SEEDED, &never())
        .await
        .expect("resume with new keys");
    let resume = &recorded(&sim, "POST", "/replication/resume")[0];
    assert_ne!(signed_by(resume), first);
    assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 2);
    assert_eq!(sim.expired_credential_uses(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn concurrent_calls_during_a_failing_renewal_share_one_attempt() {
    let sim = start_sim().await;
    sim.set_temporary_credentials_lifetime(Duration::from_secs(15));
    let instances: Vec<String> = (0..20).map(|n| format!("outage-instance-{n:02}")).collect();
    for instance in &instances {
        sim.add_task(PROJECT, instance, TASK);
    }
    let api = api(&sim, metadata(sim.endpoint(), false));
    api.list_replications(PROJECT, INSTANCE, &never())
        .await
        .expect("list");
    sim.set_metadata_service(false);
    list_until_a_renewal_failed(&api, &sim).await;
    let attempts_before = sim.count("GET", "/openstack/latest/securitykey");
    let cancel = never();
    let lists = instances
        .iter()
        .map(|instance| api.list_replications(PROJECT, instance, &cancel));
    for listed in join_all(lists).await {
        listed.expect("listed with the old keys");
    }
    let attempts = sim.count("GET", "/openstack/latest/securitykey") - attempts_before;
    // Each attempt against a metadata service that hangs instead of answering 404 costs
    // its 3 s timeout, one after the other: 20 calls would take a minute.
    assert!(
        attempts <= 1,
        "{attempts} renewal attempts for 20 concurrent calls, one after the other"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn twenty_first_calls_share_one_issue() {
    let sim = start_sim().await;
    let instances: Vec<String> = (0..20).map(|n| format!("first-instance-{n:02}")).collect();
    for instance in &instances {
        sim.add_task(PROJECT, instance, TASK);
    }
    let api = api(&sim, metadata(sim.endpoint(), false));
    let cancel = never();
    let lists = instances
        .iter()
        .map(|instance| api.list_replications(PROJECT, instance, &cancel));
    for listed in join_all(lists).await {
        listed.expect("listed");
    }
    assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 1);
    assert_eq!(sim.count("PUT", "/meta-data/latest/api/token"), 1);
    let signers: std::collections::BTreeSet<String> = recorded(&sim, "GET", "/replication")
        .iter()
        .map(signed_by)
        .collect();
    assert_eq!(signers.len(), 1, "{signers:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn cancelling_while_keys_are_fetched_is_a_cancellation() {
    let sim = start_sim().await;
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", silent.local_addr().expect("addr"));
    let api = api(&sim, metadata(endpoint, true));
    let cancel = CancellationToken::new();
    let pause = {
        let (api, cancel) = (api.clone(), cancel.clone());
        tokio::spawn(async move { api.pause_replication(&SEEDED, &cancel).await })
    };
    // The session token request has reached the metadata service: now the user stops.
    let (connection, _) = tokio::task::spawn_blocking(move || silent.accept())
        .await
        .expect("task")
        .expect("accept");
    cancel.cancel();
    let err = tokio::time::timeout(HANG_GUARD, pause)
        .await
        .expect("the call ends")
        .expect("task")
        .expect_err("cancelled");
    assert!(
        matches!(err, ApiError::Cancelled | ApiError::Interrupted { .. }),
        "a cancellation reads as {err:?}"
    );
    assert!(api_requests(&sim).is_empty());
    drop(connection);
    sim.shutdown().await;
}
