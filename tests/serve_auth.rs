//! `serve` is safe to expose: the server's own credentials serve only its operator's
//! hosts and only when the operator says so, each connection configures its own
//! provider, plaintext is refused off loopback, and TLS, mutual TLS and the bearer
//! token keep unauthenticated clients out. The built binary, real sockets, real
//! certificates, the simulator behind it.

use crate::common;

use common::pki::{self, Ca};
use common::process::{self, Process};
use common::*;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tfplugin::tf::value::Value;
use tonic::transport::Channel;

/// `serve` on 127.0.0.1 with `args` and `env`, its address once it listens.
fn serve(args: &[&str], env: &[(&str, &str)]) -> (Process, String) {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut process = process::spawn(process::command(&all, env));
    let addr = process.serving_addr();
    (process, addr)
}

/// `serve` on a unix socket in a fresh directory with `args` and `env`, its socket once
/// it listens.
fn serve_unix(
    args: &[&str],
    env: &[(&str, &str)],
) -> (Process, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let listen = format!("unix:{}", dir.path().join("serve.sock").display());
    let mut all = vec!["serve", "--listen", &listen];
    all.extend_from_slice(args);
    let mut process = process::spawn(process::command(&all, env));
    let socket = process::unix_path(&process.serving_addr());
    (process, socket, dir)
}

/// A tfplugin6 client on its own connection to a unix socket.
async fn unix_client(socket: &std::path::Path) -> ProviderClient<Channel> {
    ProviderClient::new(unix_channel(socket.to_path_buf()).await)
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

fn sent_token(sim: &taurusdb_sim::SimHandle, token: &str) -> bool {
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
        !errs.is_empty() && errs[0].detail.contains("token (HW_AUTH_TOKEN)"),
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
    // Server credentials are lent only over a socket its owner alone can reach (or to
    // authenticated clients).
    let (_serve, socket, _dir) = serve_unix(
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
    let mut client = unix_client(&socket).await;
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
    let map = |key: &str| Value::Map([(key.to_string(), Value::string(clients.endpoint()))].into());
    for (attr, value) in [
        ("endpoint", Value::string(clients.endpoint())),
        (
            "auth_url",
            Value::string(format!("{}/v3", clients.endpoint())),
        ),
        // Every derived host (TaurusDB, IAM, STS) would be under the client's domain.
        ("cloud", Value::string("clients.example")),
        ("endpoints", map("gaussdb")),
        ("endpoints", map("iam")),
        ("endpoints", map("sts")),
        // The machine identity (ECS metadata) is the server's credentials too.
        ("endpoints", map("metadata")),
    ] {
        let mut other = unix_client(&socket).await;
        let diags = configure_with(&mut other, provider_config(&[(attr, value)])).await;
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
    let mut own = unix_client(&socket).await;
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
    // The client's host does not know the client's token: its requests arrived and were
    // refused (the simulator keeps nothing but method, path and status of those), whereas
    // the server's token or password would have been accepted there, and recorded.
    let reached = clients.requests();
    assert!(
        !reached.is_empty() && reached.iter().all(|r| r.refused && r.status == 401),
        "{reached:?}"
    );
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

/// A start-up error reaches stderr once, as one plain line: not also as a JSON log line
/// (issue 15, item 13). Both kinds: refused before serving (the flags) and failing while
/// starting (the address is taken); the simulator's start-up errors too. Log lines before
/// the error (a warning about the typed API's configuration) may come and go.
#[test]
fn a_start_up_error_is_printed_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = taken.local_addr().expect("addr").to_string();
    let listening_on_taken = format!("could not listen on {taken}");
    let cases: [(&[&str], &str); 3] = [
        (
            &["serve", "--listen", "0.0.0.0:0"],
            "which is not a loopback address",
        ),
        (&["serve", "--listen", &taken], &listening_on_taken),
        (&["sim", "--listen", "0.0.0.0:0"], "0.0.0.0:0"),
    ];
    for (args, marker) in cases {
        let (status, stderr) = process::run_to_exit(process::command(args, &[]));
        assert!(!status.success(), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(marker)).collect();
        assert_eq!(lines.len(), 1, "{args:?}: printed once: {stderr}");
        assert_eq!(
            stderr.matches(marker).count(),
            1,
            "{args:?}: printed once: {stderr}"
        );
        assert!(
            lines[0].starts_with("terraform-provider-taurusdb: "),
            "{args:?}: a plain line a person reads: {stderr}"
        );
        assert!(
            !stderr.contains("stopped with an error"),
            "{args:?}: no JSON copy of it: {stderr}"
        );
    }
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
        tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient::new(channel.clone())
            .shutdown(tfplugin::proto::plugin::Empty {})
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

#[test]
fn the_servers_credentials_are_not_lent_over_plain_loopback_tcp() {
    const LENT: &str = "t0k3n-lent-9c2";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |p: &std::path::Path| p.to_str().expect("utf-8 path").to_string();
    let with_credentials = path(&pki::write(
        dir.path(),
        "api.json",
        &format!(r#"{{"endpoint": "http://127.0.0.1:9", "auth_token": "{LENT}"}}"#),
    ));
    let without_credentials = path(&pki::write(
        dir.path(),
        "api-plain.json",
        &format!(r#"{{"endpoint": "http://127.0.0.1:9", "project_id": "{PROJECT}"}}"#),
    ));
    let env = [("HW_AUTH_TOKEN", LENT)];
    // Every local account can reach 127.0.0.1: the server's credentials would be theirs.
    for lending in [
        vec!["--credentials-from-env"],
        vec!["--api-config", with_credentials.as_str()],
    ] {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(&lending);
        let (status, stderr) = process::run_to_exit(process::command(&args, &env));
        assert!(!status.success(), "{lending:?} must be refused: {stderr}");
        assert!(
            stderr.contains(lending[0])
                && stderr.contains("--auth-token-file")
                && stderr.contains("--client-ca")
                && stderr.contains("unix:PATH"),
            "the refusal says what lends and what to add: {stderr}"
        );
        assert!(!stderr.contains(LENT), "{stderr}");
    }

    // Allowed: clients authenticated by token or certificate, a unix socket, or a
    // server without credentials of its own.
    let token = path(&pki::write(dir.path(), "token", "a-token\n"));
    let ca = Ca::new("loopback mTLS CA");
    let server = ca.server();
    let cert = path(&pki::write(dir.path(), "server.pem", &server.cert_pem));
    let key = path(&pki::write(dir.path(), "server.key", &server.key_pem));
    let clients = path(&pki::write(dir.path(), "clients.pem", &ca.pem()));
    let socket = format!("unix:{}", dir.path().join("serve.sock").display());
    let allowed: [Vec<&str>; 4] = [
        vec![
            "--listen",
            "127.0.0.1:0",
            "--credentials-from-env",
            "--auth-token-file",
            &token,
        ],
        vec![
            "--listen",
            "127.0.0.1:0",
            "--api-config",
            &with_credentials,
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--client-ca",
            &clients,
        ],
        vec!["--listen", &socket, "--credentials-from-env"],
        vec![
            "--listen",
            "127.0.0.1:0",
            "--api-config",
            &without_credentials,
        ],
    ];
    for args in allowed {
        let mut all = vec!["serve"];
        all.extend_from_slice(&args);
        let mut serving = process::spawn(process::command(&all, &env));
        serving.serving_addr();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_does_not_offer_go_plugins_shutdown_to_its_clients() {
    use tfplugin::proto::plugin::Empty;
    use tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
    let (serve, addr) = serve(&[], &[]);
    let mut client = tcp_client(&addr).await;
    let refused = GrpcControllerClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
        .shutdown(Empty {})
        .await
        .expect_err("no client may stop the server for everyone");
    assert_eq!(refused.code(), tonic::Code::Unimplemented, "{refused:?}");
    schema(&mut client)
        .await
        .expect("the server still serves its other clients");
    let mut another = tcp_client(&addr).await;
    schema(&mut another)
        .await
        .expect("and takes new connections");
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_make_the_server_read_a_ca_file() {
    let sim = start_sim().await;
    let (_serve, addr) = serve(&[], &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new("a real CA");
    let pem = pki::write(dir.path(), "ca.pem", &ca.pem());
    let mut refusals = Vec::new();
    for path in [
        "/etc/shadow".to_string(),
        "/nonexistent/ca.pem".to_string(),
        dir.path().display().to_string(),
        pem.display().to_string(),
    ] {
        let mut client = tcp_client(&addr).await;
        let diags = configure_with(
            &mut client,
            provider_config(&[
                ("endpoint", Value::string(sim.endpoint())),
                ("auth_token", Value::string(TOKEN)),
                ("ca_file", Value::string(&path)),
            ]),
        )
        .await;
        let errs = errors(&diags);
        assert_eq!(errs.len(), 1, "{path}: {diags:?}");
        assert_eq!(path_of(errs[0]), vec!["ca_file".to_string()], "{path}");
        assert!(!errs[0].detail.contains(&path), "{path}: {:?}", errs[0]);
        refusals.push((errs[0].summary.clone(), errs[0].detail.clone()));
    }
    refusals.dedup();
    assert_eq!(
        refusals.len(),
        1,
        "the same words whatever the path, so nothing is learnt about the server's files: \
         {refusals:?}"
    );
    assert!(sim.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_only_for_the_clients_own_credentials_at_its_own_endpoint() {
    let operators = start_sim().await;
    let clients = start_sim().await;
    let endpoint = operators.endpoint();
    let (_serve, addr) = serve(
        &[],
        &[
            ("HW_TAURUSDB_ENDPOINT", &endpoint),
            ("HW_PROJECT_ID", PROJECT),
        ],
    );
    let configure = |attrs: Vec<(&'static str, Value)>| {
        let addr = addr.clone();
        async move {
            let mut client = tcp_client(&addr).await;
            configure_with(&mut client, provider_config(&attrs)).await
        }
    };
    // The operator's endpoint, even with the client's own token: refused.
    let diags = configure(vec![
        ("insecure", Value::Bool(true)),
        ("auth_token", Value::string("the-clients-own-token")),
    ])
    .await;
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert_eq!(path_of(errs[0]), vec!["insecure".to_string()]);
    assert!(errs[0].detail.contains("endpoint"), "{:?}", errs[0]);
    // Its own endpoint but no credentials of its own: refused.
    let diags = configure(vec![
        ("insecure", Value::Bool(true)),
        ("endpoint", Value::string(clients.endpoint())),
    ])
    .await;
    assert_eq!(errors(&diags).len(), 1, "{diags:?}");
    // Its own endpoint and its own token: its own business.
    let diags = configure(vec![
        ("insecure", Value::Bool(true)),
        ("endpoint", Value::string(clients.endpoint())),
        ("auth_token", Value::string("the-clients-own-token")),
    ])
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    assert!(operators.requests().is_empty() && clients.requests().is_empty());
}

/// One nested block of the provider block (`assume_role`, `assume_role_with_oidc`) as a
/// list of one element with the given attributes set and all others null.
fn provider_block(block: &str, attrs: &[(&str, Value)]) -> Value {
    use tfplugin::tf::types::Type;
    let Type::Object(fields) = provider_type() else {
        panic!("object type expected")
    };
    let Some(Type::List(element)) = fields.get(block) else {
        panic!("no list block {block}")
    };
    let Type::Object(element) = element.as_ref() else {
        panic!("object element expected")
    };
    let mut map: std::collections::BTreeMap<String, Value> =
        element.keys().map(|k| (k.clone(), Value::Null)).collect();
    for (k, v) in attrs {
        assert!(map.contains_key(*k), "no attribute {k} in {block}");
        map.insert(k.to_string(), v.clone());
    }
    Value::List(vec![Value::Object(map)])
}

/// The agency a client of `serve` names is never assumed with the server's own
/// credentials: not by an `assume_role` block beside a credential attribute that is no
/// credential alone (`domain_name`), nor by an `assume_role_with_oidc` block that names
/// an agency and leaves the ID token to the server's environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_assume_an_agency_of_its_choosing_with_the_servers_credentials() {
    use taurusdb_sim as sim;
    const SERVER_ID_TOKEN: &str = "the-servers-id-token-7d1";
    const CLIENTS_AGENCY: &str = "clients_chosen_agency";
    let sim = start_sim().await;
    let endpoint = sim.endpoint();
    let auth_url = format!("{endpoint}/v3");
    let (_serve, socket, _dir) = serve_unix(
        &["--credentials-from-env"],
        &[
            ("HW_ACCESS_KEY", ACCESS_KEY),
            ("HW_SECRET_KEY", SECRET_KEY),
            ("HW_TAURUSDB_ENDPOINT", &endpoint),
            ("HW_AUTH_URL", &auth_url),
            ("HW_STS_ENDPOINT", &endpoint),
            ("HW_PROJECT_ID", PROJECT),
        ],
    );
    let assume = provider_block(
        "assume_role",
        &[
            ("agency_name", Value::string(CLIENTS_AGENCY)),
            ("domain_name", Value::string(sim::DEMO_DOMAIN_NAME)),
        ],
    );
    // `domain_name` (or `user_name`, `domain_id`, ...) alone is no credential: the
    // server's AK/SK would still be the base of the client's hop.
    let mut client = unix_client(&socket).await;
    let diags = configure_with(
        &mut client,
        provider_config(&[
            ("domain_name", Value::string("anything")),
            ("assume_role", assume),
        ]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    // Its own credentials only, and `domain_name` is none: the plan says so.
    let planned = plan_with(&mut client, &Value::Null, &task_config()).await;
    let errs = errors(&planned.diagnostics);
    assert!(
        !errs.is_empty() && errs[0].summary.contains("Missing TaurusDB credentials"),
        "{:?}",
        planned.diagnostics
    );
    let _ = apply_with(&mut client, &Value::Null, &planned_create(), &task_config()).await;
    let assumed: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.body.contains(CLIENTS_AGENCY))
        .collect();
    assert!(
        assumed.is_empty(),
        "the server's credentials assumed the client's agency: {assumed:?}"
    );
    assert!(sim.jobs().is_empty(), "nothing was paused");

    // The server's OIDC token for an agency the client names.
    let (_serve, socket, _dir) = serve_unix(
        &["--credentials-from-env"],
        &[
            ("HW_ASSUME_ROLE_IDP_ID", sim::DEMO_IDP_ID),
            ("HW_ASSUME_ROLE_ID_TOKEN", SERVER_ID_TOKEN),
            ("HW_ASSUME_ROLE_AGENCY_NAME", sim::DEMO_AGENCY_NAME),
            ("HW_ASSUME_ROLE_DOMAIN_ID", sim::DEMO_DOMAIN_ID),
            ("HW_TAURUSDB_ENDPOINT", &endpoint),
            ("HW_AUTH_URL", &auth_url),
            ("HW_STS_ENDPOINT", &endpoint),
            ("HW_PROJECT_ID", PROJECT),
        ],
    );
    let mut client = unix_client(&socket).await;
    let oidc = provider_block(
        "assume_role_with_oidc",
        &[("agency_name", Value::string(CLIENTS_AGENCY))],
    );
    let diags = configure_with(
        &mut client,
        provider_config(&[("assume_role_with_oidc", oidc)]),
    )
    .await;
    let _ = plan_with(&mut client, &Value::Null, &task_config()).await;
    let _ = apply_with(&mut client, &Value::Null, &planned_create(), &task_config()).await;
    assert!(
        !sent_token(&sim, SERVER_ID_TOKEN),
        "the server's ID token was exchanged for the client's agency: {:?}",
        sim.requests()
    );
    let errs = errors(&diags);
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert_eq!(path_of(errs[0]), vec!["assume_role_with_oidc".to_string()]);
}

/// An `--api-config` that names a shared config file (or a profile of one) holds the
/// server's own credentials as surely as one with a token: the typed API acts with the
/// profile's keys, so on loopback TCP every local account would act as its owner.
#[test]
fn an_api_config_with_a_shared_config_profile_is_not_lent_over_plain_loopback_tcp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |p: &std::path::Path| p.to_str().expect("utf-8 path").to_string();
    let hcloud = path(&pki::write(
        dir.path(),
        "config.json",
        &format!(
            r#"{{"current": "ops", "profiles": [{{"name": "ops", "mode": "AKSK",
                "accessKeyId": "{ACCESS_KEY}", "secretAccessKey": "{SECRET_KEY}",
                "region": "cn-north-4", "projectId": "{PROJECT}"}}]}}"#
        ),
    ));
    for (name, setting) in [
        ("file.json", format!(r#""shared_config_file": "{hcloud}""#)),
        ("profile.json", r#""profile": "ops""#.to_string()),
    ] {
        let api_config = path(&pki::write(
            dir.path(),
            name,
            &format!(r#"{{"endpoint": "http://127.0.0.1:9", {setting}}}"#),
        ));
        let args = [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--api-config",
            &api_config,
        ];
        let (status, stderr) = process::run_to_exit(process::command(&args, &[]));
        assert!(!status.success(), "{setting} must be refused: {stderr}");
        assert!(
            stderr.contains("--api-config") && stderr.contains("--auth-token-file"),
            "the refusal says what lends and what to add: {stderr}"
        );
        assert!(!stderr.contains(SECRET_KEY), "{stderr}");
    }
}
