//! A stock grpcio client (Python, from PyPI, pinned in `tests/python/requirements.txt`)
//! against the built binary's `serve --listen unix:PATH`, with the stubs that
//! docs/guides/typed-api.md's "From Python" example generates (`python -m
//! grpc_tools.protoc ...`) and no channel options: grpcio sends the socket path,
//! percent-encoded, as `:authority`, which the HTTP/2 server used to reset. Python is `$TAURUSDB_TEST_PYTHON`, else `python3`;
//! without it or without grpcio the test reports SKIPPED and passes, unless
//! `TAURUSDB_TEST_PYTHON` was set (`.ci/run` installs the pinned grpcio and sets it, so CI
//! runs it).

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use common::process::{self, Process};
use common::skip;
use common::typed::api_config_json;
use common::*;

/// The interpreter to run, or None (and a SKIPPED line) when it or grpcio is missing.
/// `TAURUSDB_TEST_PYTHON` set (as `.ci/run` sets it) means grpcio is expected: then a
/// missing one fails the test instead.
fn python_with_grpcio() -> Option<String> {
    let expected = std::env::var("TAURUSDB_TEST_PYTHON").ok();
    let python = expected.clone().unwrap_or_else(|| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import grpc, grpc_tools.protoc"])
        .output();
    match probe {
        Ok(output) if output.status.success() => Some(python),
        other => {
            let why = match other {
                Ok(output) => String::from_utf8_lossy(&output.stderr).trim().to_string(),
                Err(err) => err.to_string(),
            };
            assert!(
                expected.is_none(),
                "TAURUSDB_TEST_PYTHON={python} cannot import grpcio and grpcio-tools \
                 (pip install -r tests/python/requirements.txt): {why}"
            );
            skip::skipped(&format!(
                "no {python} with grpcio and grpcio-tools (pip install -r \
                 tests/python/requirements.txt); the stock grpcio client was not run"
            ));
            None
        }
    }
}

/// `command`, run to its end on the blocking pool (the simulator answers meanwhile).
async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("joined")
}

fn describe(output: &Output) -> String {
    format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_grpcio_client_calls_serve_on_a_unix_socket() {
    let Some(python) = python_with_grpcio() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let stubs = dir.path().join("stubs");
    std::fs::create_dir(&stubs).expect("stubs dir");
    // The typed-API guide's command, as a user runs it from the repository.
    let mut protoc = Command::new(&python);
    protoc
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "-m",
            "grpc_tools.protoc",
            "-I",
            "crates/taurusdb-grpc/proto",
        ])
        .arg(format!("--python_out={}", stubs.display()))
        .arg(format!("--grpc_python_out={}", stubs.display()))
        .arg("taurusdb/replication/v1/replication.proto");
    let generated = run(protoc).await;
    assert!(
        generated.status.success(),
        "protoc: {}",
        describe(&generated)
    );

    let sim = start_sim().await;
    let config = dir.path().join("api.json");
    std::fs::write(&config, api_config_json(&sim, "")).expect("api config");
    let socket = dir.path().join("serve.sock");
    let (_serve, socket) = serve_unix(&socket, &config);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/grpcio_unix.py");
    let mut client = Command::new(&python);
    client
        .arg(script)
        .arg(&socket)
        .args([INSTANCE, "users_sync"])
        .env("PYTHONPATH", &stubs);
    let output = run(client).await;
    assert!(
        output.status.success(),
        "grpcio client: {}",
        describe(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"health 0801"), "SERVING: {stdout}");
    assert!(
        lines.contains(&"task orders_sync Incremental"),
        "ListTasks answered: {stdout}"
    );
    let job = lines
        .iter()
        .find_map(|line| line.strip_prefix("pause job "))
        .unwrap_or_else(|| panic!("Pause answered: {stdout}"));
    assert!(!job.trim().is_empty(), "a job ID: {stdout}");
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.method == "POST" && r.body.contains("users_sync")),
        "the pause reached TaurusDB"
    );
}

/// `serve --listen unix:SOCKET --api-config CONFIG`, and its socket once it listens.
fn serve_unix(socket: &Path, config: &Path) -> (Process, std::path::PathBuf) {
    let listen = format!("unix:{}", socket.display());
    let mut serve = process::spawn(process::command(
        &[
            "serve",
            "--listen",
            &listen,
            "--api-config",
            config.to_str().expect("utf-8 path"),
        ],
        &[],
    ));
    let socket = process::unix_path(&serve.serving_addr());
    (serve, socket)
}
