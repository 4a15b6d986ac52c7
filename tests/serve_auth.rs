//! `serve` is safe to expose: the server's own credentials serve only its operator's
//! hosts and only when the operator says so, each connection configures its own
//! provider, plaintext is refused off loopback, and TLS, mutual TLS and the bearer
//! token keep unauthenticated clients out. The built binary, real sockets, real
//! certificates, the simulator behind it.

mod common;

use common::pki::{self, Ca};
use common::process::{self, Process};
use common::*;
use taurusdb_provider::proto::tfplugin6 as pb;
use taurusdb_provider::proto::tfplugin6::provider_client::ProviderClient;
use taurusdb_provider::tf::value::Value;
use tonic::transport::Channel;

/// `serve` on 127.0.0.1 with `args` and `env`, its address once it listens.
fn serve(args: &[&str], env: &[(&str, &str)]) -> (Process, String) {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut process = process::spawn(process::command(&all, env));
    let addr = process.serving_addr();
    (process, addr)
}

/// The planned state of a create of the demo task, as a plan would make it.
fn planned_create() -> Value {
    resource_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
        ("project_id", Value::string(PROJECT)),
        ("wait_for_completion", Value::Bool(true)),
        ("resume_on_destroy", Value::Bool(false)),
    ])
}

fn sent_token(sim: &taurusdb_provider::sim::SimHandle, token: &str) -> bool {
    sim.requests()
        .iter()
        .any(|r| r.headers.iter().any(|(_, v)| v.contains(token)) || r.body.contains(token))
}

async fn schema(client: &mut ProviderClient<Channel>) -> Result<(), tonic::Status> {
    client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_the_servers_credentials_are_not_lent() {
    let sim = start_sim().await;
    let endpoint = sim.endpoint();
    let (_serve, addr) = serve(
        &[],
        &[
            ("HW_AUTH_TOKEN", TOKEN),
            ("HW_TAURUSDB_ENDPOINT", &endpoint),
            ("HW_PROJECT_ID", PROJECT),
        ],
    );
    let mut client = tcp_client(&addr).await;
    let diags = configure_with(&mut client, provider_config(&[])).await;
    assert!(errors(&diags).is_empty(), "{diags:?}");

    let planned = plan_with(&mut client, &Value::Null, &task_config()).await;
    let errs = errors(&planned.diagnostics);
    assert!(
        !errs.is_empty() && errs[0].detail.contains("auth_token"),
        "a create plan reports missing credentials: {:?}",
        planned.diagnostics
    );
    let applied = apply_with(&mut client, &Value::Null, &planned_create(), &task_config()).await;
    assert!(!errors(&applied.diagnostics).is_empty());
    assert!(
        !sent_token(&sim, TOKEN),
        "the server's token reached the API: {:?}",
        sim.requests()
    );
    assert!(sim.jobs().is_empty(), "nothing was paused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_flag_the_servers_credentials_go_only_to_the_operators_hosts() {
    let operators = start_sim().await;
    let clients = start_sim().await;
    let endpoint = operators.endpoint();
    let (_serve, addr) = serve(
        &["--credentials-from-env"],
        &[
            ("HW_AUTH_TOKEN", TOKEN),
            ("HW_USER_NAME", IAM_USER),
            ("HW_USER_PASSWORD", IAM_PASSWORD),
            ("HW_DOMAIN_NAME", IAM_DOMAIN),
            ("HW_TAURUSDB_ENDPOINT", &endpoint),
            ("HW_PROJECT_ID", PROJECT),
        ],
    );

    // The operator's endpoint: the server's token is used.
    let mut client = tcp_client(&addr).await;
    let diags = configure_with(&mut client, provider_config(&[])).await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    let planned = plan_with(&mut client, &Value::Null, &task_config()).await;
    assert!(
        errors(&planned.diagnostics).is_empty(),
        "{:?}",
        planned.diagnostics
    );
    let planned = undv(&planned.planned_state, &resource_type());
    let applied = apply_with(&mut client, &Value::Null, &planned, &task_config()).await;
    assert!(
        errors(&applied.diagnostics).is_empty(),
        "{:?}",
        applied.diagnostics
    );
    assert!(sent_token(&operators, TOKEN));

    // A client-chosen endpoint or IAM URL without the client's own credentials: refused
    // at the attribute, nothing sent anywhere.
    for (attr, url) in [
        ("endpoint", clients.endpoint()),
        ("auth_url", format!("{}/v3", clients.endpoint())),
    ] {
        let mut other = tcp_client(&addr).await;
        let diags =
            configure_with(&mut other, provider_config(&[(attr, Value::string(url))])).await;
        let errs = errors(&diags);
        assert_eq!(errs.len(), 1, "{diags:?}");
        assert_eq!(path_of(errs[0]), vec![attr.to_string()], "{:?}", errs[0]);
        assert!(errs[0].detail.contains("own credentials"), "{:?}", errs[0]);
        let planned = plan_with(&mut other, &Value::Null, &task_config()).await;
        assert!(!errors(&planned.diagnostics).is_empty());
        let applied = apply_with(&mut other, &Value::Null, &planned_create(), &task_config()).await;
        assert!(!errors(&applied.diagnostics).is_empty());
    }
    assert!(
        clients.requests().is_empty(),
        "the client's host received: {:?}",
        clients.requests()
    );

    // With its own credentials a client may use its own endpoint; the server's are not
    // mixed in.
    let mut own = tcp_client(&addr).await;
    let diags = configure_with(
        &mut own,
        provider_config(&[
            ("endpoint", Value::string(clients.endpoint())),
            ("auth_token", Value::string("the-clients-own-token")),
        ]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    let _ = apply_with(&mut own, &Value::Null, &planned_create(), &task_config()).await;
    assert!(sent_token(&clients, "the-clients-own-token"));
    assert!(!sent_token(&clients, TOKEN));
    assert!(!sent_token(&clients, IAM_PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_connection_configures_its_own_provider() {
    let sim = start_sim().await;
    let (_serve, addr) = serve(&[], &[]);
    let mut first = tcp_client(&addr).await;
    let mut second = tcp_client(&addr).await;
    let diags = configure_with(
        &mut first,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string(PROJECT)),
            ("auth_token", Value::string(TOKEN)),
        ]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");

    let with_project = resource_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
        ("project_id", Value::string(PROJECT)),
    ]);
    let theirs = plan_with(&mut second, &Value::Null, &with_project).await;
    let errs = errors(&theirs.diagnostics);
    assert!(
        !errs.is_empty() && errs[0].summary.contains("not configured"),
        "the second connection must not inherit the first's configuration: {:?}",
        theirs.diagnostics
    );
    let applied = apply_with(&mut second, &Value::Null, &planned_create(), &task_config()).await;
    assert!(!errors(&applied.diagnostics).is_empty());
    assert!(
        sim.jobs().is_empty(),
        "the second connection paused nothing"
    );

    let mine = plan_with(&mut first, &Value::Null, &task_config()).await;
    assert!(
        errors(&mine.diagnostics).is_empty(),
        "{:?}",
        mine.diagnostics
    );
}

#[test]
fn plaintext_off_loopback_is_refused_at_start() {
    let (status, stderr) =
        process::run_to_exit(process::command(&["serve", "--listen", "0.0.0.0:0"], &[]));
    assert!(!status.success());
    assert!(
        stderr.contains("not a loopback address")
            && stderr.contains("--tls-cert")
            && stderr.contains("--client-ca")
            && stderr.contains("--auth-token-file"),
        "the refusal says what to add: {stderr}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let token = pki::write(dir.path(), "token", "a-token\n");
    let token = token.to_str().expect("utf-8 path");
    let (status, stderr) = process::run_to_exit(process::command(
        &["serve", "--listen", "0.0.0.0:0", "--auth-token-file", token],
        &[],
    ));
    assert!(!status.success());
    assert!(
        stderr.contains("plaintext") && stderr.contains("--tls-cert"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_bearer_token_authenticates_every_call() {
    const SECRET: &str = "bearer-7f3e9a1c5d";
    let ca = Ca::new("serve test CA");
    let server = ca.server();
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = pki::write(dir.path(), "server.pem", &server.cert_pem);
    let key = pki::write(dir.path(), "server.key", &server.key_pem);
    let token = pki::write(dir.path(), "token", &format!("{SECRET}\n"));
    let (serve, addr) = serve(
        &[
            "--tls-cert",
            cert.to_str().expect("path"),
            "--tls-key",
            key.to_str().expect("path"),
            "--auth-token-file",
            token.to_str().expect("path"),
        ],
        &[("TF_LOG", "trace")],
    );
    let channel = pki::tls_channel(&addr, &ca, None)
        .await
        .expect("TLS connect");

    // No token, a wrong one, the wrong scheme: UNAUTHENTICATED, on every service.
    let mut bare = ProviderClient::new(channel.clone());
    assert_eq!(
        schema(&mut bare).await.expect_err("no token").code(),
        tonic::Code::Unauthenticated
    );
    for header in [
        "Bearer wrong-token".to_string(),
        format!("Basic {SECRET}"),
        format!("Bearer {SECRET}x"),
    ] {
        let mut client = ProviderClient::with_interceptor(channel.clone(), with_header(header));
        let err = client
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .expect_err("refused");
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
    }
    let shutdown =
        taurusdb_provider::proto::plugin::grpc_controller_client::GrpcControllerClient::new(
            channel.clone(),
        )
        .shutdown(taurusdb_provider::proto::plugin::Empty {})
        .await
        .expect_err("Shutdown needs the token too");
    assert_eq!(shutdown.code(), tonic::Code::Unauthenticated);

    // The right token works; health stays open.
    let mut client =
        ProviderClient::with_interceptor(channel.clone(), with_header(format!("Bearer {SECRET}")));
    client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("the right token is accepted");
    tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .expect("health needs no token");

    // Plaintext to a TLS port gets nowhere.
    let plain = ProviderClient::connect(format!("http://{addr}")).await;
    if let Ok(mut plain) = plain {
        assert!(schema(&mut plain).await.is_err());
    }
    assert!(
        !serve.stderr().contains(SECRET),
        "the token must never be logged"
    );
}

fn with_header(
    value: String,
) -> impl FnMut(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> + Clone {
    move |mut request| {
        request
            .metadata_mut()
            .insert("authorization", value.parse().expect("header value"));
        Ok(request)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_requires_a_certificate_from_the_client_ca() {
    let ca = Ca::new("serve test CA");
    let server = ca.server();
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = pki::write(dir.path(), "server.pem", &server.cert_pem);
    let key = pki::write(dir.path(), "server.key", &server.key_pem);
    let client_ca = pki::write(dir.path(), "clients.pem", &ca.pem());
    // Off loopback, as an operator would run it: mutual TLS makes that allowed.
    let mut process = process::spawn(process::command(
        &[
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            cert.to_str().expect("path"),
            "--tls-key",
            key.to_str().expect("path"),
            "--client-ca",
            client_ca.to_str().expect("path"),
        ],
        &[],
    ));
    let port = process
        .serving_addr()
        .rsplit(':')
        .next()
        .expect("port")
        .to_string();
    let addr = format!("127.0.0.1:{port}");

    let good = ca.client();
    let channel = pki::tls_channel(&addr, &ca, Some(&good))
        .await
        .expect("mTLS connect");
    schema(&mut ProviderClient::new(channel))
        .await
        .expect("a certificate from the client CA is accepted");

    let refused = |result: Result<(), tonic::Status>| result.is_err();
    let without = match pki::tls_channel(&addr, &ca, None).await {
        Ok(channel) => refused(schema(&mut ProviderClient::new(channel)).await),
        Err(_) => true,
    };
    assert!(without, "a client without a certificate must be refused");

    let stranger_ca = Ca::new("someone else's CA");
    let stranger = stranger_ca.client();
    let wrong = match pki::tls_channel(&addr, &ca, Some(&stranger)).await {
        Ok(channel) => refused(schema(&mut ProviderClient::new(channel)).await),
        Err(_) => true,
    };
    assert!(wrong, "a certificate from another CA must be refused");
}

#[test]
fn unusable_credential_files_are_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("token-fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let (status, stderr) = process::run_to_exit(process::command(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--auth-token-file",
            fifo.to_str().expect("path"),
        ],
        &[],
    ));
    assert!(!status.success());
    assert!(stderr.contains("not a regular file"), "{stderr}");

    let empty = pki::write(dir.path(), "empty", "\n");
    let (status, stderr) = process::run_to_exit(process::command(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--auth-token-file",
            empty.to_str().expect("path"),
        ],
        &[],
    ));
    assert!(!status.success());
    assert!(stderr.contains("holds no token"), "{stderr}");
}
