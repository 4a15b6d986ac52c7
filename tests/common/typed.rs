//! The typed Replication API served in-process (the same routes as `serve`) on a real
//! unix socket with the simulator behind it, a tonic client for it, and readers for the
//! statuses' details and trailers.

use std::sync::Arc;

use taurusdb_grpc::ServerApi;
use taurusdb_grpc::proto::replication::v1 as rpb;
use taurusdb_grpc::proto::replication::v1::replication_client::ReplicationClient;
use taurusdb_provider::Audience;
use taurusdb_provider::taurusdb::TaurusDbProvider;
use taurusdb_provider::taurusdb::config::file;
use taurusdb_provider::taurusdb::typed_api_setup::{self, ApiSetup};
use taurusdb_sim::SimHandle;
use tfplugin::plugin::conn::Listener;
use tfplugin::plugin::serve::{ServeOptions, serve_routes};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;

use super::{INSTANCE, PROJECT, TASK, TOKEN, fast_waits, unix_channel};

/// The server's API configuration for `sim`, as `--api-config` would give it, with
/// `extra` JSON members (e.g. `"max_retries": 1`).
pub fn api_config_json(sim: &SimHandle, extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(", {extra}")
    };
    format!(
        r#"{{"endpoint": "{}", "project_id": "{PROJECT}", "auth_token": "{TOKEN}"{extra}}}"#,
        sim.endpoint()
    )
}

/// The server's API access from an `--api-config` JSON text, with fast waits.
pub async fn server_api(json: &str) -> ServerApi {
    let setup = ApiSetup {
        file: Some(file::parse(json.as_bytes()).expect("a valid api config")),
        credentials_from_env: false,
    };
    typed_api_setup::resolve(setup, Arc::new(|_: &str| None))
        .await
        .expect("the configuration resolves")
        .with_wait_policy(fast_waits())
}

/// `serve`'s routes in-process on a unix socket.
pub struct TypedServer {
    pub client: ReplicationClient<Channel>,
    pub channel: Channel,
    /// For more connections.
    pub socket: std::path::PathBuf,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for TypedServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Serves `serve`'s routes with `api` as the server's own configuration; tfplugin6
/// clients configure each connection, as `serve`'s do.
pub async fn start_typed(api: ServerApi) -> TypedServer {
    let provider = TaurusDbProvider::with_env(Box::new(|_| None))
        .with_wait_policy(fast_waits())
        .for_audience(Audience::Clients {
            credentials_from_env: false,
        });
    let served = taurusdb_provider::standalone_routes_for(Arc::new(provider), api);
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("serve.sock");
    let listener =
        Listener::Unix(tokio::net::UnixListener::bind(&socket).expect("bind unix socket"));
    let shutdown = CancellationToken::new();
    tokio::spawn(serve_routes(
        served,
        listener,
        ServeOptions::default(),
        shutdown.clone(),
    ));
    let channel = unix_channel(socket.clone()).await;
    TypedServer {
        client: ReplicationClient::new(channel.clone()),
        channel,
        socket,
        shutdown,
        _dir: dir,
    }
}

/// The typed API configured against `sim` (with `extra` JSON members).
pub async fn typed_for(sim: &SimHandle, extra: &str) -> TypedServer {
    start_typed(server_api(&api_config_json(sim, extra)).await).await
}

/// A request for the demo task.
pub fn demo_request() -> rpb::JobRequest {
    request_for(TASK)
}

/// A request for task `name` on the demo instance (the server's default project).
pub fn request_for(name: &str) -> rpb::JobRequest {
    rpb::JobRequest {
        project_id: String::new(),
        instance_id: INSTANCE.to_string(),
        task_name: name.to_string(),
        wait: None,
        timeout: None,
    }
}

/// A plain `taurusdb-*` trailer of `status`.
pub fn trailer(status: &tonic::Status, name: &str) -> Option<String> {
    status
        .metadata()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// ErrorInfo's reason and metadata of `status`.
pub fn error_info(status: &tonic::Status) -> (String, std::collections::HashMap<String, String>) {
    let info = status
        .get_error_details()
        .error_info()
        .cloned()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"));
    assert_eq!(info.domain, "taurusdb.replication.v1");
    (info.reason, info.metadata)
}

/// Every message of a watch stream, then how it ended (None: it ended well).
pub async fn read_watch(
    stream: &mut tonic::Streaming<rpb::JobEvent>,
) -> (Vec<rpb::job_event::Event>, Option<tonic::Status>) {
    let mut events = Vec::new();
    loop {
        match stream.message().await {
            Ok(Some(event)) => events.push(event.event.expect("an event")),
            Ok(None) => return (events, None),
            Err(status) => return (events, Some(status)),
        }
    }
}
