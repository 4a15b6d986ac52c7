//! Authentication of `/v3` requests, as the API gateway does it.
//!
//! Today only `X-Auth-Token` is checked against the configured token; AK/SK signatures will be
//! added here, which is why the check lives in its own module behind one function.

use axum::http::HeaderMap;

use super::errors::ApiError;

/// Whether requests to `path` need credentials (everything under `/v3`).
pub(crate) fn requires_auth(path: &str) -> bool {
    path == "/v3" || path.starts_with("/v3/")
}

/// Checks the credentials of a request to `path`; `Err(Unauthorized)` if missing or wrong.
pub(crate) fn check(expected_token: &str, path: &str, headers: &HeaderMap) -> Result<(), ApiError> {
    if !requires_auth(path) {
        return Ok(());
    }
    let presented = headers
        .get("x-auth-token")
        .map(axum::http::HeaderValue::as_bytes);
    match presented {
        Some(token) if constant_time_eq(token, expected_token.as_bytes()) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

/// Compares secrets without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::test_support::{
        DEMO_INSTANCE, DEMO_PROJECT, TOKEN, pause_body, pause_url, plain_client, start_demo,
    };
    use axum::http::HeaderValue;

    #[test]
    fn check_rules() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            check("tok", "/v3/p/jobs", &headers),
            Err(ApiError::Unauthorized)
        );
        assert_eq!(check("tok", "/health", &headers), Ok(()));
        headers.insert("x-auth-token", HeaderValue::from_static("tok2"));
        assert_eq!(
            check("tok", "/v3/p/jobs", &headers),
            Err(ApiError::Unauthorized)
        );
        headers.insert("x-auth-token", HeaderValue::from_static("tok"));
        assert_eq!(check("tok", "/v3/p/jobs", &headers), Ok(()));
        assert!(requires_auth("/v3"));
        assert!(!requires_auth("/v30/x"));
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
