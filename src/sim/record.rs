//! The log of requests the simulator received, as tests see it.
//!
//! Tests assert on what the client actually sent (headers, body, retries), so every request is
//! captured on arrival, before faults or auth, and its status is filled in when answered.
//! Records include credentials such as `X-Auth-Token`: they are for assertions, never for logs.

/// One request received by the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query, e.g. `/v3/{project}/jobs`.
    pub path: String,
    /// Raw query string without the `?`, if any.
    pub query: Option<String>,
    /// Headers in arrival order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body as text (invalid UTF-8 replaced; empty when unreadable).
    pub body: String,
    /// Status sent back; 0 while no answer was sent (e.g. a hung request).
    pub status: u16,
    /// The `X-Request-Id` the simulator gave this request.
    pub request_id: String,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::test_support::{
        DEMO_PROJECT, TOKEN, client, list_url, pause_body, pause_url, start_demo,
    };

    #[test]
    fn header_lookup_is_case_insensitive() {
        let record = RecordedRequest {
            method: "GET".to_owned(),
            path: "/".to_owned(),
            query: None,
            headers: vec![
                ("x-auth-token".to_owned(), "t".to_owned()),
                ("x-custom".to_owned(), "1".to_owned()),
                ("x-custom".to_owned(), "2".to_owned()),
            ],
            body: String::new(),
            status: 200,
            request_id: "r".to_owned(),
        };
        assert_eq!(record.header("X-Auth-Token"), Some("t"));
        assert_eq!(record.header("x-custom"), Some("1"));
        assert_eq!(record.header("missing"), None);
    }

    #[tokio::test]
    async fn recording_captures_method_path_query_headers_body_and_status() {
        let sim = start_demo().await;
        let http = client();
        let pause = http
            .post(pause_url(&sim))
            .header("X-Language", "en-us")
            .header("X-Trace-Me", "abc")
            .json(&pause_body("orders_sync"))
            .send()
            .await
            .expect("pause");
        let pause_request_id = pause
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let list = http
            .get(list_url(&sim, "?limit=2&offset=0"))
            .send()
            .await
            .expect("list");
        assert_eq!(list.status().as_u16(), 200);
        let missing = http
            .get(format!("{}/nowhere", sim.endpoint()))
            .send()
            .await
            .expect("404");
        assert_eq!(missing.status().as_u16(), 404);

        let records = sim.requests();
        assert_eq!(records.len(), 3);
        let first = &records[0];
        assert_eq!(first.method, "POST");
        assert!(
            first
                .path
                .starts_with(&format!("/v3/{DEMO_PROJECT}/instances/"))
        );
        assert!(first.path.ends_with("/replication/pause"));
        assert_eq!(first.query, None);
        assert_eq!(first.header("x-auth-token"), Some(TOKEN));
        assert_eq!(first.header("X-Trace-Me"), Some("abc"));
        assert_eq!(first.header("content-type"), Some("application/json"));
        assert!(first.headers.iter().all(|(n, _)| *n == n.to_lowercase()));
        let body: serde_json::Value = serde_json::from_str(&first.body).expect("body json");
        assert_eq!(body, pause_body("orders_sync"));
        assert_eq!(first.status, 200);
        assert_eq!(Some(first.request_id.clone()), pause_request_id);

        assert_eq!(records[1].query.as_deref(), Some("limit=2&offset=0"));
        assert_eq!(records[1].body, "");
        assert_eq!(records[2].status, 404);

        assert_eq!(sim.count("POST", "/replication/pause"), 1);
        assert_eq!(sim.count("get", "/replication"), 1);
        assert_eq!(sim.count("GET", "/nowhere"), 1);
        assert_eq!(sim.count("DELETE", "/replication"), 0);
        sim.shutdown().await;
    }
}
