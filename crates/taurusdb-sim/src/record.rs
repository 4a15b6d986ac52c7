//! The log of requests the simulator received, as tests see it.
//!
//! Tests assert on what the client actually sent (headers, body, retries), so every request is
//! captured on arrival, before faults or auth, and its status is filled in when answered.
//! Records include credentials such as `X-Auth-Token`: they are for assertions, never for logs.
//!
//! The log is bounded, since a simulator may run for long and anyone who reaches it can send
//! requests: it is a ring of the most recent requests ([`RecordLimits`]: at most 10,000 and
//! 16 MiB, each body cut at 4 KiB), counting what it dropped; a request that fails
//! authentication keeps only its method, path and status.

use std::collections::VecDeque;

/// One request received by the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query, e.g. `/v3/{project}/jobs`.
    pub path: String,
    /// Raw query string without the `?`, if any (none kept once authentication failed).
    pub query: Option<String>,
    /// Headers in arrival order, names lowercased (none kept once authentication failed).
    pub headers: Vec<(String, String)>,
    /// Body as text (invalid UTF-8 replaced; empty when unreadable), at most
    /// [`RecordLimits::max_body_bytes`] of it (none kept once authentication failed).
    pub body: String,
    /// How many bytes of body arrived (more than `body` holds when it was cut).
    pub body_bytes: usize,
    /// Whether the request failed authentication (then only method, path and status are
    /// kept).
    pub refused: bool,
    /// Status sent back; 0 while no answer was sent (e.g. a hung request).
    pub status: u16,
    /// The `X-Request-Id` the simulator gave this request.
    pub request_id: String,
}

impl RecordedRequest {
    /// A record of a request as it arrived, its body cut to `limits`.
    pub(crate) fn arrived(
        method: String,
        path: String,
        query: Option<String>,
        headers: Vec<(String, String)>,
        body: Option<&[u8]>,
        request_id: String,
        limits: &RecordLimits,
    ) -> RecordedRequest {
        let body_bytes = body.map_or(0, <[u8]>::len);
        let kept = &body.unwrap_or_default()[..body_bytes.min(limits.max_body_bytes)];
        let mut body = String::from_utf8_lossy(kept).into_owned();
        while body.len() > limits.max_body_bytes {
            body.pop();
        }
        RecordedRequest {
            method,
            path,
            query,
            headers,
            body,
            body_bytes,
            refused: false,
            status: 0,
            request_id,
        }
    }

    /// The first value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The bytes this record holds, as the log's budget counts them.
    fn size(&self) -> usize {
        let headers: usize = self.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
        self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + headers
            + self.body.len()
            + self.request_id.len()
    }
}

/// How much of the requests the simulator keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLimits {
    /// The most requests kept; older ones are dropped first.
    pub max_requests: usize,
    /// The most bytes all kept records hold together (the newest is always kept).
    pub max_bytes: usize,
    /// The most bytes of a request's body kept.
    pub max_body_bytes: usize,
}

impl Default for RecordLimits {
    fn default() -> RecordLimits {
        RecordLimits {
            max_requests: 10_000,
            max_bytes: 16 * 1024 * 1024,
            max_body_bytes: 4 * 1024,
        }
    }
}

/// The ring of recent requests. Each request gets a sequence number on arrival; the status
/// and the refusal find it by that number while it is still kept.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    limits: RecordLimits,
    records: VecDeque<RecordedRequest>,
    /// The sequence number of `records[0]`.
    first: usize,
    /// The bytes `records` hold.
    bytes: usize,
    /// Requests dropped to stay within the limits.
    dropped: usize,
}

impl RequestLog {
    pub(crate) fn new(limits: RecordLimits) -> RequestLog {
        RequestLog {
            limits,
            ..RequestLog::default()
        }
    }

    pub(crate) fn limits(&self) -> &RecordLimits {
        &self.limits
    }

    /// Keeps `record`, dropping the oldest beyond the limits; returns its sequence number and
    /// how many requests arrived so far.
    pub(crate) fn push(&mut self, record: RecordedRequest) -> (usize, usize) {
        self.bytes += record.size();
        self.records.push_back(record);
        while self.records.len() > 1
            && (self.records.len() > self.limits.max_requests.max(1)
                || self.bytes > self.limits.max_bytes)
        {
            self.drop_oldest();
        }
        let arrived = self.first + self.records.len();
        (arrived - 1, arrived)
    }

    fn drop_oldest(&mut self) {
        if let Some(old) = self.records.pop_front() {
            self.bytes -= old.size();
            self.first += 1;
            self.dropped += 1;
        }
    }

    fn get_mut(&mut self, seq: usize) -> Option<&mut RecordedRequest> {
        let index = seq.checked_sub(self.first)?;
        self.records.get_mut(index)
    }

    /// Fills in the status sent for request `seq`, if it is still kept.
    pub(crate) fn set_status(&mut self, seq: usize, status: u16) {
        if let Some(record) = self.get_mut(seq) {
            record.status = status;
        }
    }

    /// Request `seq` failed authentication: keeps only its method, path and status.
    pub(crate) fn refuse(&mut self, seq: usize) {
        let Some(record) = self.get_mut(seq) else {
            return;
        };
        let before = record.size();
        record.refused = true;
        record.headers = Vec::new();
        record.query = None;
        record.body = String::new();
        record.body_bytes = 0;
        let after = record.size();
        self.bytes -= before - after;
    }

    /// A copy of the kept requests, oldest first.
    pub(crate) fn records(&self) -> Vec<RecordedRequest> {
        self.records.iter().cloned().collect()
    }

    /// How many kept requests have this method (case-insensitive) and a path ending with
    /// `path_suffix`.
    pub(crate) fn count(&self, method: &str, path_suffix: &str) -> usize {
        self.records
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.ends_with(path_suffix))
            .count()
    }

    /// How many requests were dropped to stay within the limits.
    pub(crate) fn dropped(&self) -> usize {
        self.dropped
    }

    /// The bytes the kept records hold.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{
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
            body_bytes: 0,
            refused: false,
            status: 200,
            request_id: "r".to_owned(),
        };
        assert_eq!(record.header("X-Auth-Token"), Some("t"));
        assert_eq!(record.header("x-custom"), Some("1"));
        assert_eq!(record.header("missing"), None);
    }

    fn arrived(path: &str, body: &[u8], limits: &RecordLimits) -> RecordedRequest {
        RecordedRequest::arrived(
            "POST".to_owned(),
            path.to_owned(),
            Some("q=1".to_owned()),
            vec![("x-auth-token".to_owned(), "secret".to_owned())],
            Some(body),
            format!("id-{path}"),
            limits,
        )
    }

    #[test]
    fn the_log_is_a_ring_of_recent_requests_counting_what_it_dropped() {
        let limits = RecordLimits {
            max_requests: 3,
            ..RecordLimits::default()
        };
        let mut log = RequestLog::new(limits);
        let seqs: Vec<usize> = (0..5)
            .map(|n| log.push(arrived(&format!("/{n}"), b"{}", &limits)).0)
            .collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4]);
        let paths: Vec<String> = log.records().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/2", "/3", "/4"]);
        assert_eq!(log.dropped(), 2);
        // A status or refusal for a dropped request changes nothing; a kept one is found.
        log.set_status(1, 500);
        log.set_status(3, 201);
        log.refuse(0);
        log.refuse(4);
        let records = log.records();
        assert_eq!(records[1].status, 201);
        assert!(records[2].refused && records[2].headers.is_empty());
        assert!(records[2].body.is_empty() && records[2].query.is_none());
        assert_eq!(
            (records[2].method.as_str(), records[2].path.as_str()),
            ("POST", "/4")
        );
        assert_eq!(
            log.bytes(),
            log.records()
                .iter()
                .map(RecordedRequest::size)
                .sum::<usize>()
        );
    }

    #[test]
    fn bodies_are_cut_and_the_byte_budget_drops_the_oldest() {
        let limits = RecordLimits {
            max_requests: 100,
            max_bytes: 10_000,
            max_body_bytes: 4 * 1024,
        };
        let mut log = RequestLog::new(limits);
        // A multi-byte character across the cut is not split.
        let mut body = vec![b'a'; 4 * 1024 - 1];
        body.extend_from_slice("é".as_bytes());
        body.extend_from_slice(&[b'b'; 100]);
        let record = arrived("/cut", &body, &limits);
        assert_eq!(record.body.len(), 4 * 1024 - 1);
        assert_eq!(record.body_bytes, body.len());
        for n in 0..10 {
            log.push(arrived(&format!("/{n}"), &body, &limits));
            assert!(log.bytes() <= limits.max_bytes, "{}", log.bytes());
        }
        assert_eq!(log.records().len(), 2);
        assert_eq!(log.dropped(), 8);
        assert_eq!(log.records()[1].path, "/9");
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
