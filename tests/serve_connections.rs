//! `serve` against clients without credentials: they cannot use up its file descriptors
//! or memory, keep connections open, or lock out a client with the token. Health Watch
//! needs the token (Check stays open for load balancers); a connection that makes no
//! authenticated call in time is closed; health streams never keep a connection alive;
//! established connections are capped, the oldest that never authenticated making room;
//! one connection gets at most 100 concurrent streams, and only a few without the token.
//! The built binary under a low `ulimit -n`, real TLS, HTTP/2 spoken by the h2 crate and
//! by hand.

use crate::common;

use std::io::Write as _;

use common::h2grpc::{self, GRPC_OK, GRPC_RESOURCE_EXHAUSTED, H2Conn, raw};
use common::pki::{self, Ca};
use common::process::{self, HANG_GUARD, Process};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

const SECRET: &str = "conn-bearer-5d1c2e";

/// A running `serve` with a bearer token, over TLS when `ca` is given.
struct Server {
    process: Process,
    addr: String,
    ca: Option<Ca>,
    _dir: tempfile::TempDir,
}

/// `serve` on 127.0.0.1 with the token [`SECRET`] (and TLS when `tls`), run through
/// `sh` after `setup`, with `args` added.
fn token_server(setup: &str, tls: bool, args: &[&str]) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = pki::write(dir.path(), "token", &format!("{SECRET}\n"));
    let mut all: Vec<String> = ["serve", "--listen", "127.0.0.1:0", "--auth-token-file"]
        .map(String::from)
        .into();
    all.push(token.display().to_string());
    let ca = tls.then(|| {
        let ca = Ca::new("connections test CA");
        let server = ca.server();
        let cert = pki::write(dir.path(), "server.pem", &server.cert_pem);
        let key = pki::write(dir.path(), "server.key", &server.key_pem);
        all.extend([
            "--tls-cert".to_string(),
            cert.display().to_string(),
            "--tls-key".to_string(),
            key.display().to_string(),
        ]);
        ca
    });
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let command = process::command(&all, &[]);
    let mut process = process::spawn(process::under_shell(setup, &command));
    let addr = process.serving_addr();
    Server {
        process,
        addr,
        ca,
        _dir: dir,
    }
}

/// `serve` on 127.0.0.1 without client authentication (nothing to lend), with `args`.
fn open_server(args: &[&str]) -> (Process, String) {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut process = process::spawn(process::command(&all, &[]));
    let addr = process.serving_addr();
    (process, addr)
}

/// A TLS connection that finished its handshake and its HTTP/2 preface, and that the
/// server took on (its SETTINGS arrived), but will never send a call.
async fn established_without_calls(
    addr: &str,
    ca: &Ca,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut tls = pki::tls_connect(addr, ca).await.expect("TLS handshake");
    let mut hello = raw::PREFACE.to_vec();
    hello.extend(raw::frame(raw::SETTINGS, 0, &[]));
    tls.write_all(&hello).await.expect("preface");
    let mut header = [0u8; 9];
    tls.read_exact(&mut header)
        .await
        .expect("the server's SETTINGS");
    tls
}

/// How long one more connection may take before the flood counts the server as full
/// (the old failure: no descriptors left, nothing accepted).
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);
const FLOOD: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_connections_cannot_lock_out_a_client_with_the_token() {
    // Few descriptors, and a deadline for the first authenticated call far beyond the
    // test: only the cap on established connections can make room.
    let server = token_server("ulimit -n 128", true, &["--handshake-timeout", "10m"]);
    let ca = server.ca.as_ref().expect("TLS");
    let mut early = H2Conn::over(pki::tls_connect(&server.addr, ca).await.expect("TLS")).await;
    assert_eq!(early.provider_schema(Some(SECRET)).await, Ok(GRPC_OK));

    // More than twice as many unauthenticated connections as the server has
    // descriptors, each past TLS and the HTTP/2 preface, all kept open.
    let mut flood = Vec::new();
    for _ in 0..FLOOD {
        match tokio::time::timeout(PATIENCE, established_without_calls(&server.addr, ca)).await {
            Ok(conn) => flood.push(conn),
            Err(_) => break,
        }
    }

    // A new client with the token is served...
    let mut late = tokio::time::timeout(HANG_GUARD, async {
        H2Conn::over(pki::tls_connect(&server.addr, ca).await.expect("TLS")).await
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "a client with the token got no connection after {} unauthenticated ones; \
             stderr:\n{}",
            flood.len(),
            server.process.stderr()
        )
    });
    assert_eq!(late.provider_schema(Some(SECRET)).await, Ok(GRPC_OK));
    // ...the connection that authenticated before the flood was kept...
    assert_eq!(early.provider_schema(Some(SECRET)).await, Ok(GRPC_OK));
    // ...and the server never stopped taking connections.
    assert_eq!(flood.len(), FLOOD, "every connection was taken on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_watch_needs_the_token_and_check_does_not() {
    let server = token_server("true", false, &[]);
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", server.addr))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let request = || HealthCheckRequest {
        service: String::new(),
    };
    let checked = HealthClient::new(channel.clone())
        .check(request())
        .await
        .expect("Check needs no token (load balancers cannot send one)")
        .into_inner();
    assert_eq!(checked.status, ServingStatus::Serving as i32);

    let refused = HealthClient::new(channel.clone())
        .watch(request())
        .await
        .expect_err("Watch needs the token");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");

    let mut authorized =
        HealthClient::with_interceptor(channel, move |mut request: tonic::Request<()>| {
            let value = format!("Bearer {SECRET}").parse().expect("header value");
            request.metadata_mut().insert("authorization", value);
            Ok(request)
        });
    let mut watch = authorized
        .watch(request())
        .await
        .expect("Watch with the token")
        .into_inner();
    let first = watch.message().await.expect("a status").expect("one");
    assert_eq!(first.status, ServingStatus::Serving as i32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_without_an_authenticated_call_is_closed_after_the_deadline() {
    // The deadline for a first authenticated call is the handshake timeout.
    let server = token_server("true", false, &["--handshake-timeout", "1s"]);
    let mut client = H2Conn::plain(&server.addr).await;
    let mut anonymous = H2Conn::plain(&server.addr).await;
    assert_eq!(client.provider_schema(Some(SECRET)).await, Ok(GRPC_OK));
    // Health checks stay open, but do not make a connection a client's.
    assert_eq!(anonymous.health_check(None, "").await, Ok(GRPC_OK));
    anonymous.closed_by_server().await;
    // The client's connection, as old, is still there.
    assert_eq!(client.provider_schema(Some(SECRET)).await, Ok(GRPC_OK));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_health_watch_does_not_keep_a_connection_open() {
    let (_serve, addr) = open_server(&["--idle-timeout", "1s"]);
    let mut conn = H2Conn::plain(&addr).await;
    let watching = conn
        .start(h2grpc::HEALTH_WATCH, None, &h2grpc::health_request(""))
        .await;
    let response = tokio::time::timeout(HANG_GUARD, watching)
        .await
        .expect("the watch starts in time")
        .expect("the watch starts");
    assert_eq!(response.status(), 200);
    // The watch is still open when the idle connection is closed under it.
    conn.closed_by_server().await;
    drop(response);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_gets_a_few_streams_without_the_token() {
    // As many as the server allows without the token (Limits::anonymous_streams).
    const ANONYMOUS_STREAMS: usize = 4;
    let server = token_server("true", false, &[]);
    let mut conn = H2Conn::plain(&server.addr).await;
    // Checks whose request never comes hold their streams: three more than allowed.
    // The server takes streams that arrive together in any order (hyper runs each as
    // its own task), so which ones are refused is not known, only how many.
    const EXTRA: usize = 3;
    let (done, mut outcomes) = tokio::sync::mpsc::unbounded_channel();
    let mut requests = Vec::new();
    for n in 0..ANONYMOUS_STREAMS + EXTRA {
        let (response, request) = conn.hold(h2grpc::HEALTH_CHECK, None).await.into_parts();
        requests.push(request);
        let done = done.clone();
        tokio::spawn(async move {
            let _ = done.send((n, h2grpc::outcome(response).await));
        });
    }
    let mut refused = std::collections::BTreeSet::new();
    for _ in 0..EXTRA {
        let (n, outcome) = next_outcome(&mut outcomes).await;
        assert_eq!(outcome, Ok(GRPC_RESOURCE_EXHAUSTED), "call {n}");
        refused.insert(n);
    }
    // A call with the token on the same connection is served.
    assert_eq!(conn.health_check(Some(SECRET), "").await, Ok(GRPC_OK));
    assert_eq!(conn.provider_schema(Some(SECRET)).await, Ok(GRPC_OK));
    // The others were waiting for their requests, not refused: sent, they are answered.
    let request = bytes::Bytes::from(h2grpc::grpc_frame(&h2grpc::health_request("")));
    for (n, stream) in requests.iter_mut().enumerate() {
        if !refused.contains(&n) {
            stream
                .send_data(request.clone(), true)
                .expect("send the request");
        }
    }
    for _ in 0..ANONYMOUS_STREAMS {
        let (n, outcome) = next_outcome(&mut outcomes).await;
        assert!(!refused.contains(&n), "call {n} answered twice");
        assert_eq!(outcome, Ok(GRPC_OK), "call {n}");
    }
}

/// The next call to end, and how, within the hang guard.
async fn next_outcome(
    outcomes: &mut tokio::sync::mpsc::UnboundedReceiver<(usize, h2grpc::Outcome)>,
) -> (usize, h2grpc::Outcome) {
    tokio::time::timeout(HANG_GUARD, outcomes.recv())
        .await
        .expect("an answer in time")
        .expect("an outcome")
}

#[test]
fn one_connection_gets_at_most_100_concurrent_streams() {
    const STREAMS: u32 = 150;
    let (_serve, addr) = open_server(&[]);
    let (mut stream, mut reader) = raw::connect(&addr);
    // Calls whose request never ends, ignoring the limit the server announces.
    let headers = raw::request_headers(h2grpc::PROVIDER_SCHEMA, None);
    let mut calls = Vec::new();
    for n in 0..STREAMS {
        calls.extend(raw::frame_on(
            2 * n + 1,
            raw::HEADERS,
            raw::END_HEADERS,
            &headers,
        ));
    }
    stream.write_all(&calls).expect("requests");
    let mut refused = std::collections::BTreeSet::new();
    // Keepalive pings arrive within every read timeout: the hang guard is overall.
    let deadline = std::time::Instant::now() + HANG_GUARD;
    while refused.len() < 50 {
        assert!(
            std::time::Instant::now() < deadline,
            "streams beyond 100 were not refused in time; refused so far: {refused:?}"
        );
        let frame = reader.next(&mut stream).expect("the connection stays open");
        if frame.kind == raw::RST_STREAM
            && frame.payload.get(..4) == Some(&raw::REFUSED_STREAM.to_be_bytes()[..])
        {
            refused.insert(frame.stream);
        }
    }
    let beyond_100: std::collections::BTreeSet<u32> = (100..STREAMS).map(|n| 2 * n + 1).collect();
    assert_eq!(refused, beyond_100, "the streams beyond 100 are refused");
}
