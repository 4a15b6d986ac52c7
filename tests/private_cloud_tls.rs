//! Private clouds: an HTTPS endpoint whose certificate comes from the user's own CA.
//! The provider trusts it through `ca_file`, refuses it without, and `insecure` skips
//! the check. Real TLS on both sides: the simulator serves HTTPS with rustls.

use crate::common;

use std::sync::Arc;

use common::*;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use taurusdb_sim::{self as sim, Seed, SimConfig, SimHandle};
use tfplugin::tf::value::{Number, Value};

/// A private CA and a server certificate it signed for 127.0.0.1.
struct PrivatePki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn private_pki() -> PrivatePki {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Private Cloud Root CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA");

    let server_key = rcgen::KeyPair::generate().expect("server key");
    let mut params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("server params");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&server_key, &ca).expect("server cert");
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
    )
    .expect("server config");
    PrivatePki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
    }
}

async fn https_sim(pki: &PrivatePki) -> SimHandle {
    sim::start_https(
        "127.0.0.1:0".parse().expect("addr"),
        SimConfig {
            auth_token: TOKEN.to_string(),
            ..Default::default()
        },
        Seed::demo(),
        pki.server.clone(),
    )
    .await
    .expect("https simulator")
}

async fn pause_with(
    sim: &SimHandle,
    extra: &[(&str, Value)],
) -> Vec<tfplugin::proto::tfplugin6::Diagnostic> {
    let mut provider = start_provider(&[]).await;
    let mut attrs = vec![
        ("endpoint", Value::string(sim.endpoint())),
        ("project_id", Value::string(PROJECT)),
        ("auth_token", Value::string(TOKEN)),
        ("max_retries", Value::Number(Number::Int(0))),
    ];
    attrs.extend(extra.iter().cloned());
    let diags = configure(&mut provider, provider_config(&attrs)).await;
    assert!(diags.is_empty(), "{diags:?}");
    let config = resource_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
    ]);
    plan_and_create(&mut provider, &config).await.diagnostics
}

#[tokio::test]
async fn a_private_ca_is_trusted_through_ca_file() {
    let pki = private_pki();
    let sim = https_sim(&pki).await;
    assert!(sim.endpoint().starts_with("https://"));
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).expect("write CA");

    let diags = pause_with(
        &sim,
        &[("ca_file", Value::string(ca_file.display().to_string()))],
    )
    .await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_unless_insecure() {
    let pki = private_pki();
    let sim = https_sim(&pki).await;
    let diags = pause_with(&sim, &[]).await;
    let err = errors(&diags)[0];
    assert!(err.detail.contains("could not connect"), "{err:?}");
    assert!(err.detail.to_lowercase().contains("certificate"), "{err:?}");
    assert_eq!(
        sim.count("POST", "/replication/pause"),
        0,
        "nothing reached the service"
    );

    let diags = pause_with(&sim, &[("insecure", Value::Bool(true))]).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
}

/// Makes a FIFO with the `mkfifo` command (no unsafe code in tests).
fn make_fifo(dir: &std::path::Path) -> std::path::PathBuf {
    let fifo = dir.join("ca.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo failed");
    fifo
}

/// Bounds a call that must not hang. If it does (a provider blocked reading the FIFO),
/// opening the FIFO's write end releases the reader, so the test fails instead of hanging.
async fn within_30s<T>(fifo: &std::path::Path, call: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(std::time::Duration::from_secs(30), call).await {
        Ok(value) => value,
        Err(_) => {
            let fifo = fifo.to_path_buf();
            std::thread::spawn(move || drop(std::fs::OpenOptions::new().write(true).open(fifo)));
            panic!("configure hung reading a FIFO as ca_file");
        }
    }
}

fn ca_file_error(diags: &[tfplugin::proto::tfplugin6::Diagnostic]) -> String {
    let errs = errors(diags);
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert_eq!(path_of(errs[0]), vec!["ca_file".to_string()], "{diags:?}");
    errs[0].detail.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_as_ca_file_is_refused_and_the_provider_keeps_serving() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = make_fifo(dir.path());
    let fifo_name = fifo.display().to_string();
    let good = provider_config(&[
        ("endpoint", Value::string(sim.endpoint())),
        ("project_id", Value::string(PROJECT)),
        ("auth_token", Value::string(TOKEN)),
    ]);

    let mut provider = start_provider(&[]).await;
    let diags = within_30s(
        &fifo,
        configure(
            &mut provider,
            provider_config(&[
                ("endpoint", Value::string(sim.endpoint())),
                ("auth_token", Value::string(TOKEN)),
                ("ca_file", Value::string(&fifo_name)),
            ]),
        ),
    )
    .await;
    let detail = ca_file_error(&diags);
    assert!(detail.contains("regular file"), "{detail}");
    // Still serving: the next configure works.
    let diags = within_30s(&fifo, configure(&mut provider, good.clone())).await;
    assert!(diags.is_empty(), "{diags:?}");

    let mut provider = start_provider(&[("HW_CA_FILE", fifo_name.as_str())]).await;
    let diags = within_30s(&fifo, configure(&mut provider, good.clone())).await;
    let detail = ca_file_error(&diags);
    assert!(detail.contains("HW_CA_FILE"), "{detail}");
    let diags = within_30s(
        &fifo,
        configure(
            &mut provider,
            provider_config(&[
                ("endpoint", Value::string(sim.endpoint())),
                ("auth_token", Value::string(TOKEN)),
                ("ca_file", Value::string("")),
            ]),
        ),
    )
    .await;
    assert!(diags.is_empty(), "an empty ca_file means none: {diags:?}");
}

#[tokio::test]
async fn a_ca_file_over_the_size_cap_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("huge.pem");
    let pki = private_pki();
    // Valid PEM, repeated past 1 MiB.
    let repeats = (1 << 20) / pki.ca_pem.len() + 2;
    std::fs::write(&big, pki.ca_pem.repeat(repeats)).expect("write");
    let mut provider = start_provider(&[]).await;
    let diags = configure(
        &mut provider,
        provider_config(&[
            ("auth_token", Value::string(TOKEN)),
            ("ca_file", Value::string(big.display().to_string())),
        ]),
    )
    .await;
    let detail = ca_file_error(&diags);
    assert!(detail.contains("1 MiB"), "{detail}");

    let diags = configure(
        &mut provider,
        provider_config(&[
            ("auth_token", Value::string(TOKEN)),
            ("ca_file", Value::string(dir.path().display().to_string())),
        ]),
    )
    .await;
    ca_file_error(&diags);
}
