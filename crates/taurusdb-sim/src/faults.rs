//! Injected faults: canned replies, throttling, slow answers, hung requests and dropped
//! connections.
//!
//! Client code must cope with throttling, gateway errors, garbage bodies, slow servers, servers
//! that never answer and connections that die after the request was (or was not) processed.
//! Tests queue a [`Fault`] on the [`SimHandle`](super::SimHandle); the next matching request
//! consumes it (FIFO). Unless the kind says otherwise ([`FaultKind::Delay`],
//! [`FaultKind::DropAfterHandling`], [`FaultKind::RespondAfterHandling`]) the real handler does
//! not run, so there are no side effects.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::errors::ApiError;

/// A one-shot fault: the first request it matches is answered by `kind` instead of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// HTTP method to match (case-insensitive); `None` matches any method.
    pub method: Option<String>,
    /// The request path must end with this (query excluded); `None` matches any path.
    pub path_suffix: Option<String>,
    /// What happens to the matched request.
    pub kind: FaultKind,
}

/// What a matched request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Reply with exactly this status, body and `Content-Type` (an empty or invalid content type
    /// sends none; an invalid status sends 500). The real handler does not run.
    Respond {
        /// HTTP status code.
        status: u16,
        /// Raw response body.
        body: String,
        /// `Content-Type` header value.
        content_type: String,
    },
    /// Never answer: the request is held open until the simulator shuts down.
    Hang,
    /// The gateway's throttling answer: 429 `{"error_code":"APIGW.0308","error_msg":"The
    /// throttling threshold has been reached: policy user over ratelimit"}`, with
    /// `Retry-After: N` when `retry_after` is set. The real handler does not run.
    Throttle {
        /// Seconds for the `Retry-After` header; `None` sends no such header.
        retry_after: Option<u64>,
    },
    /// Wait this long, then authenticate and run the real handler as usual (a slow answer).
    /// Shutting the simulator down ends the wait early with a 503.
    Delay(Duration),
    /// Authenticate and run the real handler (its side effects happen, e.g. a job is created),
    /// then cut the connection without sending any byte of the response: the client sees a
    /// connection error, not a status. Recorded with status 0.
    DropAfterHandling,
    /// Cut the connection without running the handler (no side effects) and without sending
    /// anything. Recorded with status 0.
    DropBeforeHandling,
    /// Authenticate and run the real handler (its side effects happen, e.g. a job is created),
    /// then answer with this status, body and `Content-Type` instead of the handler's answer:
    /// a gateway that timed out (502/504) after the service did the work.
    RespondAfterHandling {
        /// HTTP status code.
        status: u16,
        /// Raw response body.
        body: String,
        /// `Content-Type` header value.
        content_type: String,
    },
    /// Answer with a redirect: this status (e.g. 307) and `Location: location`, sent verbatim.
    /// The real handler does not run.
    Redirect {
        /// HTTP status code (an invalid one sends 500).
        status: u16,
        /// The `Location` header value.
        location: String,
    },
}

impl Fault {
    /// A fault for the next request, whatever its method and path.
    pub fn any(kind: FaultKind) -> Fault {
        Fault {
            method: None,
            path_suffix: None,
            kind,
        }
    }

    /// A fault for the next request with this method whose path ends with `path_suffix`.
    pub fn on(method: &str, path_suffix: &str, kind: FaultKind) -> Fault {
        Fault {
            method: Some(method.to_owned()),
            path_suffix: Some(path_suffix.to_owned()),
            kind,
        }
    }

    /// Whether a request with this method and path (no query) is one this fault targets.
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let path_ok = self
            .path_suffix
            .as_deref()
            .is_none_or(|suffix| path.ends_with(suffix));
        method_ok && path_ok
    }
}

impl FaultKind {
    /// A JSON reply (`Content-Type: application/json`).
    pub fn json(status: u16, body: &serde_json::Value) -> FaultKind {
        FaultKind::Respond {
            status,
            body: body.to_string(),
            content_type: "application/json".to_owned(),
        }
    }

    /// A reply in the service's error shape, e.g. `api_error(429, "APIGW.0308", "throttled")`.
    pub fn api_error(status: u16, code: &str, message: &str) -> FaultKind {
        FaultKind::json(
            status,
            &serde_json::json!({ "error_code": code, "error_msg": message }),
        )
    }

    /// The real handler runs, then the gateway answers `status` with an HTML page, as an API
    /// gateway does when the backend was too slow for it (e.g. 504).
    pub fn gateway_error_after_handling(status: u16) -> FaultKind {
        FaultKind::RespondAfterHandling {
            status,
            body: format!("<html><body><h1>{status} Gateway Error</h1></body></html>"),
            content_type: "text/html".to_owned(),
        }
    }

    /// A `307 Temporary Redirect` to `location`.
    pub fn redirect(location: impl Into<String>) -> FaultKind {
        FaultKind::Redirect {
            status: 307,
            location: location.into(),
        }
    }
}

/// Builds the response of a [`FaultKind::Redirect`] fault.
pub(crate) fn redirect_response(status: u16, location: &str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Builds the response of a [`FaultKind::Throttle`] fault.
pub(crate) fn throttle_response(retry_after: Option<u64>) -> Response {
    let mut response = ApiError::Throttled.into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Builds the response of a [`FaultKind::Respond`] fault.
pub(crate) fn canned_response(status: u16, body: &str, content_type: &str) -> Response {
    let mut response = Response::new(Body::from(body.to_owned()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = HeaderValue::from_str(content_type)
        && !content_type.is_empty()
    {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{
        DEMO_INSTANCE, DEMO_PROJECT, client, jobs_url, list_url, pause_body, pause_url, resume_url,
        start_demo,
    };
    use std::time::Duration;

    #[test]
    fn matching_rules() {
        let any = Fault::any(FaultKind::Hang);
        assert!(any.matches("GET", "/anything"));
        let on = Fault::on("post", "/replication/pause", FaultKind::Hang);
        assert!(on.matches(
            "POST",
            "/v3/p/instances/i/starrocks/databases/replication/pause"
        ));
        assert!(!on.matches(
            "GET",
            "/v3/p/instances/i/starrocks/databases/replication/pause"
        ));
        assert!(!on.matches(
            "POST",
            "/v3/p/instances/i/starrocks/databases/replication/resume"
        ));
    }

    #[test]
    fn canned_response_tolerates_bad_status_and_content_type() {
        let r = canned_response(1000, "x", "bad\nvalue");
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(r.headers().get(header::CONTENT_TYPE).is_none());
        let r = canned_response(429, "x", "text/plain");
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/plain");
    }

    #[tokio::test]
    async fn respond_fault_answers_once_then_the_real_handler_runs() {
        let sim = start_demo().await;
        sim.inject(Fault::any(FaultKind::api_error(
            503,
            "APIGW.0201",
            "Service unavailable",
        )));
        let http = client();

        let first = http
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("first request");
        assert_eq!(first.status().as_u16(), 503);
        assert!(first.headers().contains_key("x-request-id"));
        let body: serde_json::Value = first.json().await.expect("json");
        assert_eq!(body["error_code"], "APIGW.0201");
        // The handler did not run: no side effects.
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Incremental")
        );

        let second = http
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("second request");
        assert_eq!(second.status().as_u16(), 200);
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Paused")
        );

        // Both were recorded, with the statuses actually sent.
        let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, vec![503, 200]);
        assert_eq!(sim.count("POST", "/replication/pause"), 2);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn filtered_fault_skips_other_requests() {
        let sim = start_demo().await;
        sim.inject(Fault::on(
            "POST",
            "/replication/resume",
            FaultKind::api_error(
                429,
                "APIGW.0308",
                "The throttling threshold has been reached",
            ),
        ));
        let http = client();

        let list = http.get(list_url(&sim, "")).send().await.expect("list");
        assert_eq!(list.status().as_u16(), 200);
        let pause = http
            .post(pause_url(&sim))
            .json(&pause_body("users_sync"))
            .send()
            .await
            .expect("pause");
        assert_eq!(pause.status().as_u16(), 200);

        let resume = http
            .post(resume_url(&sim))
            .json(&pause_body("users_sync"))
            .send()
            .await
            .expect("resume");
        assert_eq!(resume.status().as_u16(), 429);
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "users_sync")
                .as_deref(),
            Some("Paused")
        );

        let again = http
            .post(resume_url(&sim))
            .json(&pause_body("users_sync"))
            .send()
            .await
            .expect("resume again");
        assert_eq!(again.status().as_u16(), 200);
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "users_sync")
                .as_deref(),
            Some("Incremental")
        );
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn faults_are_used_in_fifo_order_with_raw_bodies() {
        let sim = start_demo().await;
        sim.inject(Fault::any(FaultKind::Respond {
            status: 502,
            body: "<html>bad gateway</html>".to_owned(),
            content_type: "text/html".to_owned(),
        }));
        sim.inject(Fault::any(FaultKind::json(
            200,
            &serde_json::json!({ "unexpected": true }),
        )));
        let http = client();

        let first = http.get(jobs_url(&sim, "x")).send().await.expect("first");
        assert_eq!(first.status().as_u16(), 502);
        assert_eq!(first.headers()["content-type"], "text/html");
        assert_eq!(
            first.text().await.expect("text"),
            "<html>bad gateway</html>"
        );

        let second = http.get(jobs_url(&sim, "x")).send().await.expect("second");
        assert_eq!(second.status().as_u16(), 200);
        assert_eq!(second.text().await.expect("text"), r#"{"unexpected":true}"#);

        let third = http.get(jobs_url(&sim, "x")).send().await.expect("third");
        assert_eq!(third.status().as_u16(), 400, "queue is empty again");
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn hang_fault_trips_the_client_timeout_without_blocking_others() {
        let sim = start_demo().await;
        sim.inject(Fault::on("POST", "/replication/pause", FaultKind::Hang));
        let impatient = reqwest::Client::builder()
            .timeout(Duration::from_millis(200))
            .build()
            .expect("client");

        let err = impatient
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect_err("a hung request must time out");
        assert!(err.is_timeout(), "{err:?}");

        // The hung request was recorded on arrival; nothing was sent, so its status is 0.
        tokio::time::timeout(Duration::from_secs(10), sim.wait_for_requests(1))
            .await
            .expect("hung request recorded");
        let hung = &sim.requests()[0];
        assert_eq!(hung.status, 0);
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Incremental")
        );

        // Other requests are still served.
        let ok = client().get(list_url(&sim, "")).send().await.expect("list");
        assert_eq!(ok.status().as_u16(), 200);

        // Shutdown releases the hung request rather than waiting for it forever.
        tokio::time::timeout(Duration::from_secs(10), sim.shutdown())
            .await
            .expect("shutdown finishes");
    }

    #[tokio::test]
    async fn throttle_fault_is_apigw_0308_with_retry_after() {
        let sim = start_demo().await;
        sim.inject(Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::Throttle {
                retry_after: Some(7),
            },
        ));
        sim.inject(Fault::any(FaultKind::Throttle { retry_after: None }));
        let http = client();

        let first = http
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("pause");
        assert_eq!(first.status().as_u16(), 429);
        assert_eq!(first.headers()["retry-after"], "7");
        assert!(first.headers().contains_key("x-request-id"));
        let body: serde_json::Value = first.json().await.expect("json");
        assert_eq!(
            body,
            serde_json::json!({
                "error_code": "APIGW.0308",
                "error_msg": "The throttling threshold has been reached: policy user over ratelimit"
            })
        );
        assert!(sim.jobs().is_empty(), "the handler must not run");

        let second = http.get(list_url(&sim, "")).send().await.expect("list");
        assert_eq!(second.status().as_u16(), 429);
        assert!(second.headers().get("retry-after").is_none());

        let third = http.get(list_url(&sim, "")).send().await.expect("list");
        assert_eq!(third.status().as_u16(), 200);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn inject_many_queues_a_burst() {
        let sim = start_demo().await;
        sim.inject_many(
            Fault::any(FaultKind::Throttle {
                retry_after: Some(1),
            }),
            3,
        );
        let http = client();
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let response = http.get(list_url(&sim, "")).send().await.expect("list");
            statuses.push(response.status().as_u16());
        }
        assert_eq!(statuses, [429, 429, 429, 200]);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn delay_fault_still_runs_the_handler() {
        let sim = start_demo().await;
        sim.inject(Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::Delay(Duration::from_millis(50)),
        ));
        let response = client()
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("pause");
        assert_eq!(response.status().as_u16(), 200);
        let body: serde_json::Value = response.json().await.expect("json");
        let job_id = body["job_id"].as_str().expect("job_id");
        assert!(sim.job(job_id).is_some());
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Paused")
        );

        // The delayed request is still authenticated.
        sim.inject(Fault::any(FaultKind::Delay(Duration::from_millis(1))));
        let anonymous = reqwest::Client::new()
            .get(list_url(&sim, ""))
            .send()
            .await
            .expect("list");
        assert_eq!(anonymous.status().as_u16(), 401);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn drop_after_handling_has_side_effects_but_no_answer() {
        let sim = start_demo().await;
        sim.inject(Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::DropAfterHandling,
        ));
        let http = client();
        let err = http
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect_err("the connection is cut before any answer");
        assert!(err.status().is_none(), "{err:?}");
        assert!(!err.is_timeout(), "{err:?}");
        // reqwest reports a failed request (the connection was reset), not a status.
        assert!(err.is_request(), "{err:?}");

        // The pause happened: a job exists and the task is paused.
        let jobs = sim.jobs();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].name, "PauseStarRocksDataReplication");
        assert_eq!(jobs[0].task_name, "orders_sync");
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Paused")
        );
        // Recorded once (no transparent retry), with no status since nothing was sent.
        let records = sim.requests();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].status, 0);

        // The same client recovers on a new connection.
        let ok = http.get(list_url(&sim, "")).send().await.expect("list");
        assert_eq!(ok.status().as_u16(), 200);
        assert_eq!(sim.connections(), 2);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn respond_after_handling_has_side_effects_and_the_given_answer() {
        let sim = start_demo().await;
        sim.inject(Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::gateway_error_after_handling(504),
        ));
        let response = client()
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("pause");
        assert_eq!(response.status().as_u16(), 504);
        assert_eq!(response.headers()["content-type"], "text/html");
        assert!(response.headers().contains_key("x-request-id"));
        assert!(response.text().await.expect("body").contains("504"));
        // The pause happened although the answer says otherwise.
        let jobs = sim.jobs();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].task_name, "orders_sync");
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Paused")
        );
        assert_eq!(sim.requests()[0].status, 504);

        // It still authenticates: without credentials nothing happens.
        sim.inject(Fault::any(FaultKind::gateway_error_after_handling(502)));
        let anonymous = reqwest::Client::new()
            .post(pause_url(&sim))
            .json(&pause_body("users_sync"))
            .send()
            .await
            .expect("pause");
        assert_eq!(anonymous.status().as_u16(), 502);
        assert_eq!(
            sim.jobs().len(),
            1,
            "an unauthenticated request changes nothing"
        );
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn redirect_fault_names_the_location_and_runs_no_handler() {
        let sim = start_demo().await;
        sim.inject(Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::redirect("http://127.0.0.1:9/elsewhere?x=1"),
        ));
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let response = no_redirects
            .post(pause_url(&sim))
            .header("x-auth-token", crate::test_support::TOKEN)
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("pause");
        assert_eq!(response.status().as_u16(), 307);
        assert_eq!(
            response.headers()["location"],
            "http://127.0.0.1:9/elsewhere?x=1"
        );
        assert!(sim.jobs().is_empty(), "the handler must not run");
        assert_eq!(sim.requests()[0].status, 307);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn drop_before_handling_has_no_side_effects() {
        let sim = start_demo().await;
        sim.inject(Fault::on(
            "POST",
            "/replication/pause",
            FaultKind::DropBeforeHandling,
        ));
        let http = client();
        let err = http
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect_err("the connection is cut before any answer");
        assert!(err.status().is_none(), "{err:?}");
        assert!(sim.jobs().is_empty());
        assert_eq!(
            sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                .as_deref(),
            Some("Incremental")
        );
        let records = sim.requests();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].status, 0);

        // A retry goes through.
        let retried = http
            .post(pause_url(&sim))
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("retry");
        assert_eq!(retried.status().as_u16(), 200);
        assert_eq!(sim.jobs().len(), 1);
        sim.shutdown().await;
    }
}
