//! The simulator is safe to leave running: the `sim` command refuses to listen off
//! loopback with the well-known demo token and prints the address it actually bound, and
//! its request record stays bounded (a ring of recent requests, bodies cut) and keeps only
//! method, path and status of a request that failed authentication. The built binary for
//! the command, real sockets for the record.

use crate::common;

use std::io::{Read, Write};

use common::process::{self, command, run_to_exit};
use common::*;

/// How many requests the record keeps at most.
const RECORD_CAP: usize = 10_000;
/// The longest body the record keeps of a request.
const BODY_CAP: usize = 4 * 1024;

#[test]
fn off_loopback_the_sim_command_needs_the_operators_own_token() {
    for (args, env) in [
        (vec!["sim", "--listen", "0.0.0.0:0"], vec![]),
        (
            vec!["sim", "--listen", "0.0.0.0:0", "--token", "demo-token"],
            vec![],
        ),
        (
            vec!["sim", "--listen", "0.0.0.0:0"],
            vec![("SIM_AUTH_TOKEN", "demo-token")],
        ),
    ] {
        let (status, stderr) = run_to_exit(command(&args, &env));
        assert!(!status.success(), "{args:?} {env:?} started:\n{stderr}");
        assert!(
            stderr.contains("0.0.0.0:0")
                && stderr.contains("--token")
                && stderr.contains("SIM_AUTH_TOKEN"),
            "{args:?} {env:?}: the refusal names the address and what to set:\n{stderr}"
        );
    }
}

#[tokio::test]
async fn the_sim_command_prints_the_address_it_bound() {
    // Off loopback with the operator's own token: it starts, and says it listens on every
    // interface rather than pretending to listen on loopback.
    let mut exposed = process::spawn(command(
        &["sim", "--listen", "0.0.0.0:0"],
        &[("SIM_AUTH_TOKEN", "operators-own-token-8c1d")],
    ));
    let line = exposed.line_with("listening on");
    let endpoint = line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    let port = endpoint
        .strip_prefix("http://0.0.0.0:")
        .unwrap_or_else(|| panic!("not the bound address: {line:?}"));
    let port: u16 = port.parse().expect("a port");
    assert_ne!(port, 0);
    let listed = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/v3/{PROJECT}/instances/{INSTANCE}/starrocks/databases/replication"
        ))
        .header("X-Auth-Token", "operators-own-token-8c1d")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.status().as_u16(), 200);

    // On loopback the demo token is fine, and the line names loopback.
    let mut local = process::spawn(command(&["sim", "--listen", "127.0.0.1:0"], &[]));
    let line = local.line_with("listening on");
    assert!(line.contains(" http://127.0.0.1:"), "{line}");
}

#[tokio::test]
async fn refused_requests_leave_only_method_path_and_status_and_bodies_are_cut() {
    let sim = start_sim().await;
    let http = reqwest::Client::new();
    let pause = format!(
        "{}/v3/{PROJECT}/instances/{INSTANCE}/starrocks/databases/replication/pause",
        sim.endpoint()
    );
    // Just under the simulator's 1 MiB body limit, so each body is read in full.
    let big = "x".repeat(1024 * 1024 - 4096);
    const REFUSED: usize = 48;
    for _ in 0..REFUSED {
        let refused = http
            .post(format!("{pause}?secret=query-value"))
            .header("X-Auth-Token", "not-the-token")
            .header("X-Looks-Secret", "header-value")
            .body(big.clone())
            .send()
            .await
            .expect("post");
        assert_eq!(refused.status().as_u16(), 401);
    }
    // An authenticated request is kept with its headers, its body cut.
    let kept = http
        .post(&pause)
        .header("X-Auth-Token", TOKEN)
        .body(big.clone())
        .send()
        .await
        .expect("post");
    assert_ne!(kept.status().as_u16(), 401);

    let records = sim.requests();
    assert_eq!(records.len(), REFUSED + 1);
    for refused in &records[..REFUSED] {
        assert_eq!(
            (refused.method.as_str(), refused.path.ends_with("/pause")),
            ("POST", true)
        );
        assert_eq!(refused.status, 401);
        assert!(
            refused.headers.is_empty() && refused.body.is_empty() && refused.query.is_none(),
            "a refused request kept {} headers, {} body bytes, query {:?}",
            refused.headers.len(),
            refused.body.len(),
            refused.query
        );
    }
    let last = &records[REFUSED];
    assert_eq!(last.header("x-auth-token"), Some(TOKEN));
    assert!(
        !last.body.is_empty() && last.body.len() <= BODY_CAP,
        "{} body bytes kept",
        last.body.len()
    );
    let bytes: usize = records
        .iter()
        .map(|r| {
            r.body.len()
                + r.headers
                    .iter()
                    .map(|(n, v)| n.len() + v.len())
                    .sum::<usize>()
        })
        .sum();
    assert!(bytes <= 64 * 1024, "the record holds {bytes} bytes");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_record_keeps_only_the_most_recent_requests() {
    let sim = start_sim().await;
    const SENT: usize = RECORD_CAP + 50;
    let addr = sim.addr();
    // Pipelined on one connection: no client library in the way of ten thousand requests.
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    let mut writer = tcp.try_clone().expect("clone");
    let sending = std::thread::spawn(move || {
        for n in 0..SENT {
            let request = format!("GET /v3/seq/{n} HTTP/1.1\r\nHost: sim\r\n\r\n");
            writer.write_all(request.as_bytes()).expect("write");
        }
    });
    let answered = tokio::task::spawn_blocking(move || {
        let marker = b"HTTP/1.1 ";
        let (mut seen, mut tail) = (0usize, Vec::new());
        let mut buf = vec![0u8; 64 * 1024];
        tcp.set_read_timeout(Some(process::HANG_GUARD))
            .expect("timeout");
        while seen < SENT {
            let n = tcp.read(&mut buf).expect("read");
            assert!(n > 0, "closed after {seen} answers");
            tail.extend_from_slice(&buf[..n]);
            seen += tail.windows(marker.len()).filter(|w| *w == marker).count();
            let keep = tail.len().min(marker.len() - 1);
            tail.drain(..tail.len() - keep);
        }
        seen
    })
    .await
    .expect("reader");
    sending.join().expect("writer");
    assert_eq!(answered, SENT);

    let records = sim.requests();
    assert!(
        records.len() <= RECORD_CAP,
        "{} requests recorded",
        records.len()
    );
    assert_eq!(
        records.last().map(|r| r.path.as_str()),
        Some(format!("/v3/seq/{}", SENT - 1).as_str()),
        "the newest request is kept"
    );
    assert!(
        records.iter().all(|r| r.path != "/v3/seq/0"),
        "the oldest request is dropped"
    );
    sim.shutdown().await;
}
