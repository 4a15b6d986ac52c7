//! A direct client of the typed `taurusdb.replication.v1.Replication` API: list an
//! instance's tasks, then pause one, printing the progress events as they come and, if
//! it fails, the status code with TaurusDB's error_code, request id, the outcome and the
//! job ID. No Terraform, no msgpack: plain protobuf messages.
//!
//! ```sh
//! cargo run --release -- sim --listen 127.0.0.1:8790 --job-duration 2s &   # token: demo-token
//! echo '{"endpoint": "http://127.0.0.1:8790", "auth_token": "demo-token",
//!        "project_id": "2f6c8a4e1b3d4c5f9a7e6d5c4b3a2918"}' > api.json
//! head -c 24 /dev/urandom | base64 > token   # a server with credentials authenticates clients
//! cargo run --release -- serve --listen 127.0.0.1:50051 --api-config api.json \
//!     --auth-token-file token &
//! SERVE_TOKEN=$(cat token) cargo run --release --example replication_client -- \
//!     http://127.0.0.1:50051 5c1f0e9a2b7d4e3f8a6c1d2e3f4a5b6cin17 orders_sync
//! ```
//!
//! Set SERVE_TOKEN to send `authorization: Bearer $SERVE_TOKEN` (a server started with
//! --auth-token-file).

use taurusdb_grpc::proto::replication::v1 as pb;
use taurusdb_grpc::proto::replication::v1::replication_client::ReplicationClient;
use tonic::metadata::MetadataValue;
use tonic_types::StatusExt as _;

type Error = Box<dyn std::error::Error>;

/// What a failed call says: the code, the message, and the facts a program acts on.
fn explain(status: &tonic::Status) -> String {
    let trailer = |name: &str| {
        status
            .metadata()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_string()
    };
    let reason = status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default();
    format!(
        "{:?}: {}\n  reason {reason}, error_code {}, request id {}, outcome {}, job {}",
        status.code(),
        status.message(),
        trailer("taurusdb-error-code"),
        trailer("taurusdb-request-id"),
        trailer("taurusdb-outcome"),
        trailer("taurusdb-job-id"),
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [server, instance_id, task_name] = args.as_slice() else {
        return Err("usage: replication_client SERVER_URL INSTANCE_ID TASK_NAME".into());
    };
    let channel = tonic::transport::Endpoint::from_shared(server.clone())?
        .connect()
        .await?;
    let token = match std::env::var("SERVE_TOKEN") {
        Ok(token) => Some(MetadataValue::try_from(format!("Bearer {token}"))?),
        Err(_) => None,
    };
    let mut client =
        ReplicationClient::with_interceptor(channel, move |mut request: tonic::Request<()>| {
            if let Some(token) = &token {
                request
                    .metadata_mut()
                    .insert("authorization", token.clone());
            }
            Ok(request)
        });

    let listed = client
        .list_tasks(pb::ListTasksRequest {
            instance_id: instance_id.clone(),
            ..Default::default()
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    for task in &listed.tasks {
        println!(
            "task {:<16} stage {:<12} {} -> {}",
            task.task_name, task.stage, task.source_database, task.target_database
        );
    }

    let mut events = client
        .watch_pause(pb::JobRequest {
            instance_id: instance_id.clone(),
            task_name: task_name.clone(),
            timeout: Some(prost_types::Duration {
                seconds: 600,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    loop {
        match events.message().await {
            Ok(Some(pb::JobEvent { event: Some(event) })) => match event {
                pb::job_event::Event::Started(s) => println!("pause requested: job {}", s.job_id),
                pb::job_event::Event::AlreadyThere(a) => println!("already {}", a.stage),
                pb::job_event::Event::Job(j) => println!("job {} {}", j.status, j.progress),
                pb::job_event::Event::Stage(s) => println!("task stage {}", s.stage),
                pb::job_event::Event::Completed(done) => {
                    println!("paused: job {:?}, stage {}", done.job_id, done.stage);
                    for warning in done.warnings {
                        println!("warning: {warning}");
                    }
                }
            },
            Ok(Some(_)) => {}
            Ok(None) => return Ok(()),
            Err(status) => return Err(explain(&status).into()),
        }
    }
}
