//! Unix sockets in every mode: owner-only whatever the umask, an operator's path
//! never deleted unless it is a stale socket or our own, and removed on every
//! stopping signal; the `:authority` values stock gRPC clients send on a unix socket
//! accepted, while TCP still refuses one that is no host. The built binary under
//! `sh -c 'umask 000; exec ...'`.

use crate::common;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use common::h2grpc::{self, raw};
use common::process::{self, Process};
use common::unix_channel;
use prost::Message as _;
use tfplugin::plugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;

/// The modes, each started in `dir`: plugin and debug put their socket in
/// PLUGIN_UNIX_SOCKET_DIR, serve at `dir/serve.sock`.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Plugin,
    Debug,
    Serve,
}

fn start(mode: Mode, dir: &Path, umask: &str) -> (Process, PathBuf) {
    let dir_text = dir.to_str().expect("utf-8 path");
    let serve_path = format!("unix:{}", dir.join("serve.sock").display());
    let command = match mode {
        Mode::Plugin => process::command(
            &[],
            &[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_PROTOCOL_VERSIONS", "6"),
                ("PLUGIN_UNIX_SOCKET_DIR", dir_text),
            ],
        ),
        Mode::Debug => process::command(&["--debug"], &[("PLUGIN_UNIX_SOCKET_DIR", dir_text)]),
        Mode::Serve => process::command(&["serve", "--listen", &serve_path], &[]),
    };
    let mut process = process::spawn(process::under_umask(umask, &command));
    let socket = match mode {
        Mode::Plugin => {
            let line = process.line_with("|unix|");
            PathBuf::from(line.split('|').nth(3).expect("address field"))
        }
        Mode::Debug => {
            let line = process.line_with("TF_REATTACH_PROVIDERS=");
            let json = line
                .trim()
                .trim_start_matches("TF_REATTACH_PROVIDERS=")
                .trim_matches('\'');
            let reattach: serde_json::Value = serde_json::from_str(json).expect("JSON");
            PathBuf::from(
                reattach["registry.terraform.io/taurusdb/taurusdb"]["Addr"]["String"]
                    .as_str()
                    .expect("socket path"),
            )
        }
        Mode::Serve => process::unix_path(&process.serving_addr()),
    };
    (process, socket)
}

/// A directory like /tmp: world-writable with the sticky bit.
fn shared_tmp() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    dir
}

fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("stat")
        .permissions()
        .mode()
        & 0o7777
}

async fn answers(socket: &Path) -> bool {
    let channel = unix_channel(socket.to_path_buf()).await;
    ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_and_debug_sockets_are_owner_only_at_umask_000() {
    for mode in [Mode::Plugin, Mode::Debug] {
        let tmp = shared_tmp();
        let (mut process, socket) = start(mode, tmp.path(), "000");
        let private = socket.parent().expect("socket directory");
        assert_ne!(
            private,
            tmp.path(),
            "{mode:?}: not directly in the shared dir"
        );
        assert_eq!(private.parent(), Some(tmp.path()), "{mode:?}");
        assert_eq!(mode_of(private), 0o700, "{mode:?}: private directory");
        assert_eq!(mode_of(&socket) & 0o077, 0, "{mode:?}: socket owner-only");
        assert!(answers(&socket).await, "{mode:?}: the owner still connects");
        process.signal("TERM");
        assert!(process.wait().success());
        assert!(!private.exists(), "{mode:?}: directory removed on exit");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_unix_socket_is_0600_at_umask_000_and_works_through_its_path() {
    let tmp = shared_tmp();
    let (mut process, socket) = start(Mode::Serve, tmp.path(), "000");
    assert_eq!(socket, tmp.path().join("serve.sock"));
    assert_eq!(mode_of(&socket), 0o600, "socket is 0600 whatever the umask");
    assert!(answers(&socket).await, "connecting through the path works");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        leftovers,
        vec!["serve.sock"],
        "no staging files left behind"
    );
    process.signal("TERM");
    assert!(process.wait().success());
    assert!(!socket.exists(), "removed on exit");
}

#[test]
fn a_regular_file_at_the_path_is_refused_and_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("precious");
    std::fs::write(&path, "keep me").expect("write");
    let listen = format!("unix:{}", path.display());
    let (status, stderr) =
        process::run_to_exit(process::command(&["serve", "--listen", &listen], &[]));
    assert!(!status.success());
    assert!(stderr.contains("not a socket"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&path).expect("still there"),
        "keep me"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_socket_is_refused_and_its_server_keeps_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_first, socket) = start(Mode::Serve, dir.path(), "077");
    let listen = format!("unix:{}", socket.display());
    let (status, stderr) =
        process::run_to_exit(process::command(&["serve", "--listen", &listen], &[]));
    assert!(!status.success());
    assert!(stderr.contains("another server is listening"), "{stderr}");
    assert!(socket.exists());
    assert!(
        answers(&socket).await,
        "the first server is still reachable"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_socket_is_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("serve.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
    assert!(path.exists(), "a socket file nobody listens on");
    let (mut process, socket) = start(Mode::Serve, dir.path(), "077");
    assert_eq!(socket, path);
    assert!(answers(&socket).await);
    process.signal("TERM");
    assert!(process.wait().success());
}

#[test]
fn on_exit_the_path_is_removed_only_while_it_is_our_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut process, socket) = start(Mode::Serve, dir.path(), "077");
    std::fs::remove_file(&socket).expect("remove");
    std::fs::write(&socket, "someone else's file").expect("write");
    process.signal("TERM");
    assert!(process.wait().success());
    assert_eq!(
        std::fs::read_to_string(&socket).expect("left alone"),
        "someone else's file"
    );
}

#[test]
fn hup_and_quit_stop_every_mode_and_remove_its_socket() {
    for signal in ["HUP", "QUIT"] {
        for mode in [Mode::Plugin, Mode::Debug, Mode::Serve] {
            let tmp = tempfile::tempdir().expect("tempdir");
            let (mut process, socket) = start(mode, tmp.path(), "077");
            assert!(socket.exists());
            process.signal(signal);
            let status = process.wait();
            assert!(status.success(), "{mode:?} on SIG{signal}: {status:?}");
            assert!(!socket.exists(), "{mode:?} on SIG{signal}: socket removed");
            let left: Vec<_> = std::fs::read_dir(tmp.path()).expect("read dir").collect();
            assert!(
                left.is_empty(),
                "{mode:?} on SIG{signal}: nothing left: {left:?}"
            );
        }
    }
}

/// A health Check on stream `id` whose `:authority` field is `authority`, as raw frames.
fn health_check_with(id: u32, authority: &[u8]) -> Vec<u8> {
    let headers = raw::request_with_authority(h2grpc::HEALTH_CHECK, None, authority);
    let mut frames = raw::frame_on(id, raw::HEADERS, raw::END_HEADERS, &headers);
    frames.extend(raw::frame_on(
        id,
        raw::DATA,
        raw::END_STREAM,
        &h2grpc::grpc_frame(&h2grpc::health_request("")),
    ));
    frames
}

#[test]
fn the_authorities_stock_grpc_clients_send_are_accepted_on_a_unix_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_serve, socket) = start(Mode::Serve, dir.path(), "077");
    let path = socket.to_str().expect("utf-8 path");
    // grpcio (gRPC core) sends the path percent-encoded, without its leading slash.
    let percent_encoded = path.trim_start_matches('/').replace('/', "%2F");
    let authorities = [
        // grpcio's first call adds its authority to the HPACK table ...
        raw::indexed_authority(&percent_encoded),
        // ... and its next calls name that entry by index.
        vec![0xbe],
        // grpc-java: the bare path.
        raw::literal_authority(path),
        // grpc-go: `localhost`.
        raw::literal_authority("localhost"),
    ];
    let (mut stream, mut reader) = raw::connect_unix(&socket);
    let mut calls = Vec::new();
    for (n, authority) in (0u32..).zip(&authorities) {
        calls.extend(health_check_with(2 * n + 1, authority));
    }
    stream.write_all(&calls).expect("requests");
    let serving = h2grpc::grpc_frame(
        &tonic_health::pb::HealthCheckResponse {
            status: tonic_health::pb::health_check_response::ServingStatus::Serving as i32,
        }
        .encode_to_vec(),
    );
    let mut answered = std::collections::BTreeSet::new();
    while answered.len() < authorities.len() {
        let frame = reader.next(&mut stream).expect("the connection stays open");
        assert_ne!(
            frame.kind,
            raw::RST_STREAM,
            "stream {} was reset (error {:?}): its :authority was refused",
            frame.stream,
            frame.payload
        );
        if frame.kind == raw::DATA && frame.payload == serving {
            answered.insert(frame.stream);
        }
    }
    assert_eq!(answered, [1, 3, 5, 7].into(), "every call answered SERVING");
}

#[test]
fn on_tcp_an_authority_that_is_no_host_is_still_refused() {
    let mut serve = process::spawn(process::command(&["serve", "--listen", "127.0.0.1:0"], &[]));
    let addr = serve.serving_addr();
    let (mut stream, mut reader) = raw::connect(&addr);
    stream
        .write_all(&health_check_with(
            1,
            &raw::literal_authority("tmp%2Fserve.sock"),
        ))
        .expect("request");
    loop {
        let frame = reader
            .next(&mut stream)
            .expect("the stream is reset, the connection kept");
        assert_ne!(
            frame.kind,
            raw::DATA,
            "TCP accepted an authority that is no host"
        );
        if frame.kind == raw::RST_STREAM {
            assert_eq!(frame.stream, 1);
            assert_eq!(frame.payload, raw::PROTOCOL_ERROR.to_be_bytes());
            break;
        }
    }
}
