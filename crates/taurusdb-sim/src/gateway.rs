//! The per-request pipeline in front of the API handlers, like Huawei's API gateway.
//!
//! For every request, in this order: assign an `X-Request-Id`, buffer and record the request
//! (in a bounded ring, its body cut; see `record.rs`),
//! let a queued fault act on it, check credentials as `auth::guard` says the path needs
//! (token or AK/SK signature, temporary keys with their security token; for IAM
//! `securitytokens` the handler decides, given what was found), run the handler, then stamp
//! the request id on the response, store the status sent and log one line; a request that
//! failed authentication keeps only method, path and status in the record. Keeping this in
//! one middleware guarantees that faults, 401s and 404s are recorded and tagged exactly like
//! real answers.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::auth::{self, ApiAuth, Guard, Issued};
use super::errors::{ApiError, Lang};
use super::faults::{FaultKind, canned_response, redirect_response, throttle_response};
use super::listener::ConnMeta;
use super::record::RecordedRequest;
use super::state::Shared;
use super::temporary::TemporaryKey;

/// Largest request body the simulator reads.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What becomes of a request.
enum Outcome {
    /// Send this response.
    Reply(Response),
    /// Send nothing and cut the connection.
    Drop,
}

/// Axum middleware wrapping every route and the fallback.
pub(crate) async fn gateway(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let body = to_bytes(body, MAX_BODY_BYTES).await.ok();

    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let query = parts.uri.query().map(str::to_owned);
    let (seq, fault, recorded) = {
        let mut state = shared.lock();
        let record = RecordedRequest::arrived(
            method.clone(),
            path.clone(),
            query,
            headers,
            body.as_deref(),
            request_id.clone(),
            state.request_log().limits(),
        );
        let (seq, recorded) = state.push_request(record);
        (seq, state.take_fault(&method, &path), recorded)
    };
    shared.recorded.send_replace(recorded);

    let lang = Lang::from_headers(&parts.headers);
    let connection = parts
        .extensions
        .get::<ConnectInfo<ConnMeta>>()
        .map(|info| info.0.clone());
    let outcome = match fault {
        Some(FaultKind::Respond {
            status,
            body,
            content_type,
        }) => Outcome::Reply(canned_response(status, &body, &content_type)),
        Some(FaultKind::Hang) => {
            shared.shutting_down().await;
            Outcome::Reply(ApiError::ShuttingDown.into_response_in(lang))
        }
        Some(FaultKind::Throttle { retry_after }) => Outcome::Reply(throttle_response(retry_after)),
        Some(FaultKind::Delay(delay)) => {
            let waited = tokio::select! {
                () = tokio::time::sleep(delay) => true,
                () = shared.shutting_down() => false,
            };
            if waited {
                Outcome::Reply(handle(&shared, seq, parts, body, next, lang).await)
            } else {
                Outcome::Reply(ApiError::ShuttingDown.into_response_in(lang))
            }
        }
        Some(FaultKind::Redirect { status, location }) => {
            Outcome::Reply(redirect_response(status, &location))
        }
        Some(FaultKind::RespondAfterHandling {
            status,
            body: canned,
            content_type,
        }) => {
            let _replaced = handle(&shared, seq, parts, body, next, lang).await;
            Outcome::Reply(canned_response(status, &canned, &content_type))
        }
        Some(FaultKind::DropBeforeHandling) => Outcome::Drop,
        Some(FaultKind::DropAfterHandling) => {
            let _discarded = handle(&shared, seq, parts, body, next, lang).await;
            Outcome::Drop
        }
        None => Outcome::Reply(handle(&shared, seq, parts, body, next, lang).await),
    };

    match outcome {
        Outcome::Reply(mut response) => {
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                response.headers_mut().insert("x-request-id", value);
            }
            let status = response.status().as_u16();
            shared.lock().set_request_status(seq, status);
            tracing::info!(%method, %path, status, %request_id, "taurusdb simulator request");
            response
        }
        Outcome::Drop => {
            // The recorded status stays 0: nothing is sent.
            let remote = connection.as_ref().map(|c| c.remote.to_string());
            tracing::info!(
                %method, %path, %request_id, remote = remote.as_deref().unwrap_or("-"),
                "taurusdb simulator request: connection dropped by an injected fault"
            );
            match connection {
                Some(connection) => {
                    // The stream now refuses to write, so hyper never sends this response and
                    // closes the connection instead.
                    connection.control.abort();
                    ApiError::ShuttingDown.into_response_in(lang)
                }
                // Served without the simulator's listener (no connection to cut): send a head
                // whose body fails at once, which also aborts the connection.
                None => broken_body_response(),
            }
        }
    }
}

/// Authenticates the request and, if allowed, runs the real handler. A request that fails
/// authentication, at the gateway or in its handler (401), keeps only its method, path and
/// status in the record.
async fn handle(
    shared: &Shared,
    seq: usize,
    parts: Parts,
    body: Option<Bytes>,
    next: Next,
    lang: Lang,
) -> Response {
    let response = authenticate_and_run(shared, seq, parts, body, next, lang).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        shared.lock().refuse_request(seq);
    }
    response
}

async fn authenticate_and_run(
    shared: &Shared,
    seq: usize,
    parts: Parts,
    body: Option<Bytes>,
    next: Next,
    lang: Lang,
) -> Response {
    let incoming = auth::Incoming {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: body.as_deref().unwrap_or_default(),
    };
    let checked = authenticate(shared, &incoming);
    let checked = match auth::guard(incoming.path) {
        // The handler decides, knowing what the gateway found.
        Guard::Handler => {
            let mut parts = parts;
            parts.extensions.insert(ApiAuth(checked));
            return match body {
                None => body_unreadable(lang),
                Some(bytes) => {
                    next.run(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
            };
        }
        Guard::Open | Guard::Api | Guard::Signed => checked,
    };
    match (checked, body) {
        (Err(err), _) => {
            shared.lock().refuse_request(seq);
            err.into_response_in(lang)
        }
        (Ok(()), None) => body_unreadable(lang),
        (Ok(()), Some(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }
}

fn body_unreadable(lang: Lang) -> Response {
    ApiError::invalid("The request body could not be read or exceeds 1 MiB.").into_response_in(lang)
}

/// Checks a request's credentials as its path requires, counting uses of expired temporary
/// access keys.
pub(crate) fn authenticate(shared: &Shared, incoming: &auth::Incoming<'_>) -> Result<(), ApiError> {
    let issued = IssuedNow::new(shared);
    let checked = auth::check(&shared.credentials, incoming, SystemTime::now(), &issued);
    if checked == Err(ApiError::TemporaryCredentialExpired) {
        shared.lock().identity.temporary.note_expired_use();
    }
    checked
}

/// The tokens and temporary keys issued, as valid at the simulator's current time.
pub(crate) struct IssuedNow<'a> {
    shared: &'a Shared,
    now: SystemTime,
}

impl IssuedNow<'_> {
    /// A view of `shared` at its clock's current time.
    pub(crate) fn new(shared: &Shared) -> IssuedNow<'_> {
        IssuedNow {
            shared,
            now: shared.clock.now(),
        }
    }
}

impl Issued for IssuedNow<'_> {
    fn token_is_valid(&self, token: &str) -> bool {
        self.shared.lock().token_is_valid(token, self.now)
    }

    fn temporary_key(&self, access_key: &str) -> TemporaryKey {
        self.shared
            .lock()
            .identity
            .temporary
            .lookup(access_key, self.now)
    }
}

/// A response whose body errors on first read.
fn broken_body_response() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by an injected fault",
        ))
    });
    Response::new(Body::from_stream(failing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{client, jobs_url, list_url, pause_url, start_demo};

    /// Writes all of `data` (tokio's `io-util` extension traits are not enabled in this crate).
    async fn send_all(tcp: &tokio::net::TcpStream, mut data: &[u8]) {
        while !data.is_empty() {
            tcp.writable().await.expect("writable");
            match tcp.try_write(data) {
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("write failed: {e}"),
            }
        }
    }

    /// Reads until the server closes the connection (or resets it).
    async fn read_until_closed(tcp: &tokio::net::TcpStream) {
        let mut buf = [0u8; 4096];
        loop {
            if tcp.readable().await.is_err() {
                return;
            }
            match tcp.try_read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    }

    #[tokio::test]
    async fn oversized_body_is_rejected_and_recorded_without_a_body() {
        let sim = start_demo().await;
        let huge = format!(r#"{{"task_name":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        let response = client()
            .post(pause_url(&sim))
            .header("Content-Type", "application/json")
            .body(huge)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 400);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error_code"], "DBS.200001");
        let records = sim.requests();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].body, "");
        assert_eq!(records[0].status, 400);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn undecodable_inputs_never_break_the_server() {
        let sim = start_demo().await;
        let http = client();
        // A path segment that is not UTF-8 once decoded.
        let bad_path = format!("{}/v3/%FF/jobs?id=x", sim.endpoint());
        let response = http.get(&bad_path).send().await.expect("request");
        assert_eq!(response.status().as_u16(), 404);
        // A query value that is not UTF-8 once decoded.
        let response = http
            .get(jobs_url(&sim, "%FF%FE"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 400);
        // Raw garbage on the socket.
        let tcp = tokio::net::TcpStream::connect(sim.addr())
            .await
            .expect("connect");
        send_all(&tcp, b"\x00\x01 not http at all\r\n\r\n").await;
        // hyper answers 400 and closes; the bound only guards against a hung test.
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(10), read_until_closed(&tcp)).await;
        // Still serving.
        let ok = http.get(list_url(&sim, "")).send().await.expect("request");
        assert_eq!(ok.status().as_u16(), 200);
        sim.shutdown().await;
    }
}
