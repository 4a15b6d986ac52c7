//! The binary started the way Terraform starts it: magic cookie, protocol versions and
//! a go-plugin style P-521 client certificate; then mutual TLS over the unix socket.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tfplugin::plugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_client::HealthClient;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-taurusdb");

/// A client certificate made like go-plugin's: ECDSA P-521, SHA-512, self-signed CA.
struct ClientIdentity {
    pem: String,
    der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn go_plugin_client_identity() -> ClientIdentity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
    ];
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let cert = params.self_signed(&key).expect("self-signed");
    ClientIdentity {
        pem: cert.pem(),
        der: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// Trusts exactly the certificate from the handshake line, as go-plugin's client does.
#[derive(Debug)]
struct PinnedServer {
    der: Vec<u8>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "not the handshake certificate".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

struct Plugin {
    child: Child,
    fields: Vec<String>,
}

impl Plugin {
    fn socket(&self) -> PathBuf {
        PathBuf::from(&self.fields[3])
    }

    fn server_cert(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&self.fields[5])
            .expect("certificate is unpadded standard base64")
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_plugin(client_cert_pem: Option<&str>) -> Plugin {
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(pem) = client_cert_pem {
        command.env("PLUGIN_CLIENT_CERT", pem);
    }
    let mut child = command.spawn().expect("spawn provider");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("handshake line");
    let fields: Vec<String> = line.trim_end().split('|').map(str::to_string).collect();
    Plugin { child, fields }
}

async fn tls_channel(plugin: &Plugin, client: Option<&ClientIdentity>) -> Result<Channel, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer {
            der: plugin.server_cert(),
            provider,
        }));
    let mut config = match client {
        Some(identity) => builder
            .with_client_auth_cert(
                vec![identity.der.clone()],
                PrivateKeyDer::Pkcs8(identity.key.clone_key()),
            )
            .expect("client cert"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let socket = plugin.socket();
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let connector = connector.clone();
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                let tls = connector
                    .connect(ServerName::try_from("localhost").expect("name"), stream)
                    .await?;
                if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
                    return Err(std::io::Error::other("ALPN did not negotiate h2"));
                }
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
        .map_err(|e| e.to_string())
}

async fn schema_call(channel: Channel) -> Result<pb::get_provider_schema::Response, tonic::Status> {
    ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .map(tonic::Response::into_inner)
}

fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    // A safety net so a broken shutdown fails the test instead of hanging it.
    for _ in 0..600 {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the provider did not exit after Shutdown");
}

#[test]
fn without_the_cookie_it_explains_and_exits_1() {
    let output = Command::new(BINARY).env_clear().output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("This binary is a plugin"), "{stderr}");
}

#[test]
fn a_host_without_protocol_6_is_refused() {
    let output = Command::new(BINARY)
        .env_clear()
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no handshake line");
    assert!(String::from_utf8_lossy(&output.stderr).contains("protocol"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automtls_accepts_only_the_hosts_certificate() {
    let identity = go_plugin_client_identity();
    let mut plugin = start_plugin(Some(&identity.pem));
    assert_eq!(&plugin.fields[..3], ["1", "6", "unix"]);
    assert_eq!(plugin.fields[4], "grpc");
    assert!(
        plugin.socket().exists(),
        "socket is bound before the line is printed"
    );
    assert!(!plugin.fields[5].ends_with('='), "no base64 padding");

    // The host's own certificate works, over TLS with ALPN h2.
    let channel = tls_channel(&plugin, Some(&identity))
        .await
        .expect("mTLS connect");
    let schema = schema_call(channel.clone())
        .await
        .expect("GetProviderSchema");
    assert!(
        schema
            .resource_schemas
            .contains_key("taurusdb_replication_pause")
    );
    let health = HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    // No client certificate: refused.
    let refused = match tls_channel(&plugin, None).await {
        Ok(channel) => schema_call(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(refused, "a client without a certificate must be refused");

    // Another P-521 certificate, however well-formed: refused.
    let stranger = go_plugin_client_identity();
    let refused = match tls_channel(&plugin, Some(&stranger)).await {
        Ok(channel) => schema_call(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(refused, "a client with another certificate must be refused");

    // Shutdown through the controller ends the process and removes the socket.
    GrpcControllerClient::new(channel)
        .shutdown(tfplugin::proto::plugin::Empty {})
        .await
        .expect("shutdown");
    let status = wait_for_exit(&mut plugin.child);
    assert!(status.success(), "{status:?}");
    assert!(!plugin.socket().exists(), "socket removed");
}

#[tokio::test]
async fn without_a_client_certificate_it_serves_plaintext() {
    let plugin = start_plugin(None);
    assert_eq!(plugin.fields.len(), 6);
    assert_eq!(plugin.fields[5], "", "no certificate in the line");
    let socket = plugin.socket();
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move {
                Ok::<_, std::io::Error>(TokioIo::new(
                    tokio::net::UnixStream::connect(socket).await?,
                ))
            }
        }))
        .await
        .expect("plaintext connect");
    assert!(schema_call(channel).await.is_ok());
}

/// Reads lines from a child's stdout until one contains `marker`.
fn line_with(child: &mut Child, marker: &str) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("read stdout");
        assert!(read > 0, "stdout ended before {marker:?}");
        if line.contains(marker) {
            return line;
        }
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    wait_for_exit(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_serve_answers_any_grpc_client() {
    let mut child = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let line = line_with(&mut child, "serving tfplugin6 on ");
    let addr = line.trim().rsplit(' ').next().expect("address").to_string();
    let mut client = ProviderClient::connect(format!("http://{addr}"))
        .await
        .expect("connect over TCP");
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("schema")
        .into_inner();
    assert!(
        schema
            .resource_schemas
            .contains_key("taurusdb_replication_pause")
    );
    assert!(terminate(&mut child).success(), "SIGTERM stops it cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_mode_prints_a_reattach_line_terraform_understands() {
    let mut child = Command::new(BINARY)
        .arg("--debug")
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn --debug");
    let line = line_with(&mut child, "TF_REATTACH_PROVIDERS=");
    let json = line
        .trim()
        .trim_start_matches("TF_REATTACH_PROVIDERS=")
        .trim_matches('\'');
    let reattach: serde_json::Value = serde_json::from_str(json).expect("reattach JSON");
    let entry = &reattach["registry.terraform.io/taurusdb/taurusdb"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(
        entry["Test"], true,
        "without Test:true Terraform assumes protocol 5"
    );
    assert_eq!(entry["Addr"]["Network"], "unix");
    let socket = PathBuf::from(entry["Addr"]["String"].as_str().expect("socket path"));
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move {
                Ok::<_, std::io::Error>(TokioIo::new(
                    tokio::net::UnixStream::connect(socket).await?,
                ))
            }
        }))
        .await
        .expect("connect to the debug socket");
    let schema = schema_call(channel).await;
    assert!(schema.is_ok(), "{schema:?}");
    assert!(terminate(&mut child).success());
}

#[test]
fn the_socket_goes_where_the_host_asks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(BINARY)
        .env_clear()
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn provider");
    let line = line_with(&mut child, "|unix|");
    let socket = PathBuf::from(line.split('|').nth(3).expect("address field"));
    let private_dir = socket.parent().expect("socket directory").to_path_buf();
    assert_eq!(private_dir.parent(), Some(dir.path()));
    assert!(socket.exists());
    assert!(terminate(&mut child).success());
    assert!(!socket.exists(), "removed on exit");
    assert!(!private_dir.exists(), "its private directory too");
}
