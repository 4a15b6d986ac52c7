//! The simulated STS v5 `AssumeAgency`, `POST /v5/agencies/assume`.
//!
//! The newer way to switch to an agency: the request must be signed with an access key
//! (permanent, or temporary with its `X-Security-Token`: agency chaining) and names the agency
//! by URN, `iam::{domain_id}:agency:{agency_name}`. The answer's keys go into the same store
//! as every other temporary credential. Error codes (`STS.*`) are the simulator's own; the
//! shape is the gateway's `{"error_code", "error_msg"}`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::clock::format_rfc3339;
use super::securitytokens::duration;
use super::state::Shared;
use super::temporary::CredentialEndpoint;
use taurusdb_api::signer;

/// `duration_seconds` STS accepts.
const DURATION_RANGE: std::ops::RangeInclusive<u64> = 900..=43_200;
/// `duration_seconds` STS accepts when the caller itself holds temporary keys.
const CHAINED_DURATION_RANGE: std::ops::RangeInclusive<u64> = 900..=3_600;

/// An STS error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StsError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl StsError {
    fn invalid(message: impl Into<String>) -> StsError {
        StsError {
            status: StatusCode::BAD_REQUEST,
            code: "STS.0001",
            message: message.into(),
        }
    }
}

impl IntoResponse for StsError {
    fn into_response(self) -> Response {
        let body = json!({ "error_code": self.code, "error_msg": self.message });
        (self.status, Json(body)).into_response()
    }
}

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AssumeAgency {
    domain_id: String,
    agency_name: String,
    session_name: String,
    duration_seconds: Option<u64>,
}

/// Splits `iam::{domain_id}:agency:{agency_name}`.
fn parse_urn(urn: &str) -> Option<(String, String)> {
    let rest = urn.strip_prefix("iam::")?;
    let (domain_id, agency_name) = rest.split_once(":agency:")?;
    let valid = |s: &str| !s.is_empty() && !s.contains(':');
    (valid(domain_id) && valid(agency_name)).then(|| (domain_id.to_owned(), agency_name.to_owned()))
}

/// A session name: 2 to 64 characters from letters, digits and `_+=,.@-`.
fn valid_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

fn parse(body: &[u8], chained: bool) -> Result<AssumeAgency, StsError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| StsError::invalid("The request body is not valid JSON."))?;
    let (domain_id, agency_name) = value["agency_urn"]
        .as_str()
        .and_then(parse_urn)
        .ok_or_else(|| {
            StsError::invalid("agency_urn must be iam::{domain_id}:agency:{agency_name}.")
        })?;
    let session_name = value["agency_session_name"]
        .as_str()
        .filter(|s| valid_session_name(s))
        .ok_or_else(|| {
            StsError::invalid(
                "agency_session_name must be 2 to 64 letters, digits or characters _+=,.@-.",
            )
        })?
        .to_owned();
    let range = if chained {
        &CHAINED_DURATION_RANGE
    } else {
        &DURATION_RANGE
    };
    let duration_seconds = duration(&value["duration_seconds"], "duration_seconds", range)
        .map_err(StsError::invalid)?;
    Ok(AssumeAgency {
        domain_id,
        agency_name,
        session_name,
        duration_seconds,
    })
}

/// `POST /v5/agencies/assume` (the gateway has checked the signature).
pub(crate) async fn assume(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let chained = headers.contains_key(signer::HEADER_SECURITY_TOKEN);
    let request = match body
        .map_err(|_| StsError::invalid("The request body could not be read."))
        .and_then(|b| parse(&b, chained))
    {
        Ok(request) => request,
        Err(err) => return err.into_response(),
    };
    let now = shared.clock.now();
    let mut state = shared.lock();
    if state
        .identity
        .agency_in_domain_id(&request.domain_id, &request.agency_name)
        .is_none()
    {
        return StsError {
            status: StatusCode::FORBIDDEN,
            code: "STS.0003",
            message: "You are not authorized to assume this agency, or it does not exist."
                .to_owned(),
        }
        .into_response();
    }
    let issued = state.identity.issue_temporary(
        CredentialEndpoint::StsAssumeAgency,
        request.duration_seconds,
        now,
    );
    drop(state);
    let body = json!({
        "credentials": {
            "access_key_id": issued.access_key,
            "secret_access_key": issued.secret_key.expose(),
            "security_token": issued.security_token.expose(),
            "expiration": format_rfc3339(issued.expires_at),
        },
        "assumed_agency": {
            "agency_session_id": format!("{}:{}", issued.access_key, request.session_name),
            "urn": format!(
                "sts::{}:assumed-agency:{}/{}",
                request.domain_id, request.agency_name, request.session_name
            ),
        },
    });
    (StatusCode::OK, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CredentialEndpoint;
    use crate::identities::{DEMO_AGENCY_NAME, DEMO_DOMAIN_ID};
    use crate::test_support::{
        ACCESS_KEY, SECRET_KEY, TOKEN, list_url, plain_client, send_signed, signed_get, start_full,
    };

    fn request(domain_id: &str, agency: &str, duration: Option<u64>) -> Vec<u8> {
        let mut body = json!({
            "agency_urn": format!("iam::{domain_id}:agency:{agency}"),
            "agency_session_name": "terraform-ci",
        });
        if let Some(d) = duration {
            body["duration_seconds"] = json!(d);
        }
        body.to_string().into_bytes()
    }

    fn url(sim: &crate::SimHandle) -> String {
        format!("{}{}", sim.endpoint(), crate::auth::STS_ASSUME_PATH)
    }

    #[test]
    fn parses_urns_and_bodies() {
        assert_eq!(
            parse_urn("iam::d1:agency:a1"),
            Some(("d1".to_owned(), "a1".to_owned()))
        );
        for bad in [
            "",
            "iam::d1:agency:",
            "iam:::agency:a",
            "sts::d:agency:a",
            "iam::d:role:a",
        ] {
            assert_eq!(parse_urn(bad), None, "{bad}");
        }
        assert!(parse(&request("d", "a", Some(43_200)), false).is_ok());
        assert!(parse(&request("d", "a", Some(43_200)), true).is_err());
        assert!(parse(&request("d", "a", Some(899)), false).is_err());
        assert!(parse(b"{", false).is_err());
        let bad_session = json!({"agency_urn": "iam::d:agency:a", "agency_session_name": "x"});
        assert!(parse(bad_session.to_string().as_bytes(), false).is_err());
    }

    #[tokio::test]
    async fn signed_requests_get_keys_that_can_chain() {
        let sim = start_full().await;
        let body = request(DEMO_DOMAIN_ID, DEMO_AGENCY_NAME, Some(3600));
        let response = send_signed(
            &sim,
            "POST",
            &url(&sim),
            (ACCESS_KEY, SECRET_KEY, None),
            &body,
        )
        .await;
        assert_eq!(response.status().as_u16(), 200);
        let answer: Value = response.json().await.expect("json");
        let credentials = &answer["credentials"];
        let ak = credentials["access_key_id"]
            .as_str()
            .expect("ak")
            .to_owned();
        let sk = credentials["secret_access_key"]
            .as_str()
            .expect("sk")
            .to_owned();
        let st = credentials["security_token"]
            .as_str()
            .expect("st")
            .to_owned();
        let expiration = credentials["expiration"].as_str().expect("expiration");
        assert!(expiration.ends_with('Z'), "{expiration}");

        // The temporary keys chain (with their security token), up to an hour.
        let chained = send_signed(&sim, "POST", &url(&sim), (&ak, &sk, Some(&st)), &body).await;
        assert_eq!(chained.status().as_u16(), 200);
        let too_long = request(DEMO_DOMAIN_ID, DEMO_AGENCY_NAME, Some(7200));
        let refused = send_signed(&sim, "POST", &url(&sim), (&ak, &sk, Some(&st)), &too_long).await;
        assert_eq!(refused.status().as_u16(), 400);
        assert_eq!(
            sim.issued_credentials(CredentialEndpoint::StsAssumeAgency),
            2
        );

        // They work on the API.
        let listed = signed_get(&sim, &list_url(&sim, ""), &ak, &sk, Some(&st)).await;
        assert_eq!(listed.status().as_u16(), 200);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn unsigned_unknown_or_malformed_requests_are_refused() {
        let sim = start_full().await;
        let body = request(DEMO_DOMAIN_ID, DEMO_AGENCY_NAME, None);
        // A token is no signature.
        let token_only = plain_client()
            .post(url(&sim))
            .header("X-Auth-Token", TOKEN)
            .body(body.clone())
            .send()
            .await
            .expect("post");
        assert_eq!(token_only.status().as_u16(), 401);
        let error: Value = token_only.json().await.expect("json");
        assert_eq!(error["error_code"], "APIGW.0301");

        for (domain, agency) in [("ffff", DEMO_AGENCY_NAME), (DEMO_DOMAIN_ID, "other")] {
            let response = send_signed(
                &sim,
                "POST",
                &url(&sim),
                (ACCESS_KEY, SECRET_KEY, None),
                &request(domain, agency, None),
            )
            .await;
            assert_eq!(response.status().as_u16(), 403);
            let error: Value = response.json().await.expect("json");
            assert_eq!(error["error_code"], "STS.0003");
        }
        let malformed = send_signed(
            &sim,
            "POST",
            &url(&sim),
            (ACCESS_KEY, SECRET_KEY, None),
            b"{}",
        )
        .await;
        assert_eq!(malformed.status().as_u16(), 400);
        assert_eq!(
            sim.issued_credentials(CredentialEndpoint::StsAssumeAgency),
            0
        );
        sim.shutdown().await;
    }
}
