//! Shared test fixtures: an in-process provider served over a real unix socket, a
//! tonic client for it, the simulator, and value helpers.
#![allow(dead_code)]

pub mod cli;
pub mod discovery;
pub mod h2grpc;
pub mod pki;
pub mod process;
pub mod skip;
pub mod typed;
pub mod workspace;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use taurusdb_api::TaskRef;
use taurusdb_api::poll_schedule::PollSchedule;
use taurusdb_api::wait::WaitPolicy;
use taurusdb_provider::taurusdb::TaurusDbProvider;
use taurusdb_provider::taurusdb::pause::model;
use taurusdb_sim::{self as sim, Seed, SimConfig, SimHandle};
use tfplugin::plugin::conn::Listener;
use tfplugin::plugin::serve::{ServeOptions, serve_routes};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tfplugin::tf::types::Type;
use tfplugin::tf::value::{self, Value};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};

pub const TOKEN: &str = "test-token-3f9a";
/// Where tests point the ECS metadata service unless a test serves one: a local port
/// nothing listens on, so a provider without credentials is refused at once and no test
/// ever sends a request to the real 169.254.169.254.
pub const NO_METADATA: &str = "http://127.0.0.1:9";
pub const PROJECT: &str = "2f6c8a4e1b3d4c5f9a7e6d5c4b3a2918";
pub const INSTANCE: &str = "5c1f0e9a2b7d4e3f8a6c1d2e3f4a5b6cin17";
pub const TASK: &str = "orders_sync";

/// The seeded task: [`TASK`] on [`INSTANCE`] in [`PROJECT`].
pub static SEEDED: std::sync::LazyLock<TaskRef> =
    std::sync::LazyLock::new(|| TaskRef::new(PROJECT, INSTANCE, TASK));

/// Task `name` on [`INSTANCE`] in [`PROJECT`].
pub fn task_on_instance(name: &str) -> TaskRef {
    TaskRef::new(PROJECT, INSTANCE, name)
}

pub const ACCESS_KEY: &str = "SIMACCESSKEY0001";
pub const SECRET_KEY: &str = "sim-secret-key-0001";
pub const IAM_USER: &str = "ops";
pub const IAM_PASSWORD: &str = "ops-password-1";
pub const IAM_DOMAIN: &str = "acme";

/// A simulator seeded with the demo project, accepting [`TOKEN`] and the
/// [`ACCESS_KEY`]/[`SECRET_KEY`] pair.
pub async fn start_sim() -> SimHandle {
    sim::start(
        "127.0.0.1:0".parse().expect("addr"),
        SimConfig {
            auth_token: TOKEN.to_string(),
            access_keys: vec![(ACCESS_KEY.to_string(), SECRET_KEY.to_string())],
            iam_users: vec![sim::IamUser {
                name: IAM_USER.to_string(),
                password: IAM_PASSWORD.to_string(),
                domain: IAM_DOMAIN.to_string(),
            }],
            ..Default::default()
        },
        Seed::demo(),
    )
    .await
    .expect("simulator starts")
}

/// A provider served in-process on a unix socket, with a tonic client connected.
pub struct TestProvider {
    pub client: ProviderClient<Channel>,
    /// The client's channel, for the other services (e.g. GRPCController).
    pub channel: Channel,
    pub socket: PathBuf,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Serves a provider whose environment is exactly `env`.
pub async fn start_provider(env: &[(&str, &str)]) -> TestProvider {
    start_provider_with(env, fast_waits()).await
}

/// Poll timing that keeps tests quick: task list and job read every 10-40 ms.
pub fn fast_waits() -> WaitPolicy {
    let quick = PollSchedule {
        min_interval: std::time::Duration::from_millis(10),
        max_interval: std::time::Duration::from_millis(40),
        growth: 0.5,
    };
    WaitPolicy {
        stage_polls: quick,
        job_polls: quick,
        not_found_grace: std::time::Duration::from_secs(30),
    }
}

/// Serves a provider with the given environment and wait timing.
pub async fn start_provider_with(env: &[(&str, &str)], waits: WaitPolicy) -> TestProvider {
    let mut env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.entry("HW_METADATA_ENDPOINT".into())
        .or_insert_with(|| NO_METADATA.into());
    let provider = TaurusDbProvider::with_env(Box::new(move |key| env.get(key).cloned()))
        .with_wait_policy(waits);
    let served = taurusdb_provider::provider_routes_for(Arc::new(provider));
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("provider.sock");
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
    TestProvider {
        channel: channel.clone(),
        client: ProviderClient::new(channel)
            .max_decoding_message_size(256 * 1024 * 1024)
            .max_encoding_message_size(256 * 1024 * 1024),
        socket,
        shutdown,
        _dir: dir,
    }
}

/// A plaintext gRPC channel over a unix socket.
pub async fn unix_channel(socket: PathBuf) -> Channel {
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                Ok::<_, std::io::Error>(TokioIo::new(stream))
            }
        }))
        .await
        .expect("connect to provider")
}

/// A provider configured against `sim` with the right token.
pub async fn configured_provider(sim: &SimHandle) -> TestProvider {
    let mut provider = start_provider(&[]).await;
    let diags = configure(
        &mut provider,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string(PROJECT)),
            ("auth_token", Value::string(TOKEN)),
        ]),
    )
    .await;
    assert!(diags.is_empty(), "configure failed: {diags:?}");
    provider
}

pub fn provider_type() -> Type {
    taurusdb_provider::taurusdb::config::schema()
        .value_type()
        .clone()
}

pub fn resource_type() -> Type {
    model::schema().value_type().clone()
}

/// A provider block value with the given attributes set and all others null.
pub fn provider_config(attrs: &[(&str, Value)]) -> Value {
    object_of(&provider_type(), attrs)
}

/// A resource value with the given attributes set and all others null.
pub fn resource_value(attrs: &[(&str, Value)]) -> Value {
    object_of(&resource_type(), attrs)
}

fn object_of(ty: &Type, attrs: &[(&str, Value)]) -> Value {
    let Type::Object(fields) = ty else {
        panic!("object type expected")
    };
    let mut map: std::collections::BTreeMap<String, Value> =
        fields.keys().map(|k| (k.clone(), Value::Null)).collect();
    for (k, v) in attrs {
        assert!(map.contains_key(*k), "no attribute {k}");
        map.insert(k.to_string(), v.clone());
    }
    Value::Object(map)
}

pub fn dv(value: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: value::encode_msgpack(value, ty).expect("encode"),
        json: Vec::new(),
    }
}

pub fn undv(dv: &Option<pb::DynamicValue>, ty: &Type) -> Value {
    let dv = dv.as_ref().expect("dynamic value present");
    value::decode_msgpack(&dv.msgpack, ty).expect("decode")
}

pub async fn configure(provider: &mut TestProvider, config: Value) -> Vec<pb::Diagnostic> {
    configure_with(&mut provider.client, config).await
}

/// ConfigureProvider on any client.
pub async fn configure_with(
    client: &mut ProviderClient<Channel>,
    config: Value,
) -> Vec<pb::Diagnostic> {
    client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: Some(dv(&config, &provider_type())),
            client_capabilities: None,
        })
        .await
        .expect("rpc")
        .into_inner()
        .diagnostics
}

pub fn path_of(diag: &pb::Diagnostic) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    diag.attribute
        .as_ref()
        .map(|p| {
            p.steps
                .iter()
                .filter_map(|s| match &s.selector {
                    Some(Selector::AttributeName(n)) => Some(n.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn errors(diags: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    diags.iter().filter(|d| d.severity == 1).collect()
}

pub fn attr<'a>(value: &'a Value, name: &str) -> &'a Value {
    value
        .attr(name)
        .unwrap_or_else(|| panic!("attribute {name}"))
}

pub const RESOURCE_TYPE: &str = "taurusdb_replication_pause";

/// PlanResourceChange with `config` as both proposed state and configuration.
pub async fn plan(
    provider: &mut TestProvider,
    prior: &Value,
    config: &Value,
) -> pb::plan_resource_change::Response {
    plan_with(&mut provider.client, prior, config).await
}

/// PlanResourceChange on any client.
pub async fn plan_with(
    client: &mut ProviderClient<Channel>,
    prior: &Value,
    config: &Value,
) -> pb::plan_resource_change::Response {
    let ty = resource_type();
    client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: RESOURCE_TYPE.into(),
            prior_state: Some(dv(prior, &ty)),
            proposed_new_state: Some(dv(config, &ty)),
            config: Some(dv(config, &ty)),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner()
}

/// ApplyResourceChange from `prior` to `planned`.
pub async fn apply(
    provider: &mut TestProvider,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> pb::apply_resource_change::Response {
    apply_with(&mut provider.client, prior, planned, config).await
}

/// A create's ApplyResourceChange running in its own task on a clone of the client,
/// so the test can act (e.g. call StopProvider) while it is in flight.
pub fn spawn_create_apply(
    provider: &TestProvider,
    planned: Value,
    config: Value,
) -> tokio::task::JoinHandle<pb::apply_resource_change::Response> {
    let mut client = provider.client.clone();
    tokio::spawn(async move { apply_with(&mut client, &Value::Null, &planned, &config).await })
}

pub async fn apply_with(
    client: &mut ProviderClient<Channel>,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> pb::apply_resource_change::Response {
    let ty = resource_type();
    client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: RESOURCE_TYPE.into(),
            prior_state: Some(dv(prior, &ty)),
            planned_state: Some(dv(planned, &ty)),
            config: Some(dv(config, &ty)),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner()
}

/// Plans a create of `config` (which must succeed) and applies it.
pub async fn plan_and_create(
    provider: &mut TestProvider,
    config: &Value,
) -> pb::apply_resource_change::Response {
    let planned = plan(provider, &Value::Null, config).await;
    assert!(
        errors(&planned.diagnostics).is_empty(),
        "{:?}",
        planned.diagnostics
    );
    let planned = undv(&planned.planned_state, &resource_type());
    apply(provider, &Value::Null, &planned, config).await
}

/// UpgradeResourceState of stored JSON state written at `version`.
pub async fn upgrade(
    provider: &mut TestProvider,
    version: i64,
    stored: &serde_json::Value,
) -> pb::upgrade_resource_state::Response {
    provider
        .client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: RESOURCE_TYPE.into(),
            version,
            raw_state: Some(pb::RawState {
                json: serde_json::to_vec(stored).expect("json"),
                flatmap: Default::default(),
            }),
        })
        .await
        .expect("rpc")
        .into_inner()
}

/// A plaintext gRPC client for `serve` at `addr` (HOST:PORT); every call opens a new
/// connection.
pub async fn tcp_client(addr: &str) -> ProviderClient<Channel> {
    ProviderClient::connect(format!("http://{addr}"))
        .await
        .expect("connect over TCP")
        .max_decoding_message_size(256 * 1024 * 1024)
}

/// A resource configuration for the demo task.
pub fn task_config() -> Value {
    resource_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
    ])
}

/// A canned task-list page in which two of four tasks have a `task_name` that is not a
/// string (a number at position 2, null at position 3): those two are left out with a
/// warning, [`TASK`] (Paused) and `users_sync` are listed.
pub fn page_with_unreadable_names() -> serde_json::Value {
    serde_json::json!({
        "total_count": 4,
        "replications": [
            {"task_name": TASK, "stage": "Paused"},
            {"task_name": 42, "stage": "Paused"},
            {"task_name": null, "stage": "Incremental"},
            {"task_name": "users_sync", "stage": "Incremental"},
        ]
    })
}

/// What every warning about [`page_with_unreadable_names`] says.
pub const UNREADABLE_NAMES_WARNING: &str = "TaurusDB listed 2 tasks whose task_name is not a \
     string (position 2: a number, position 3: null); they are left out";
