//! AutoMTLS as go-plugin does it, with client authentication that actually holds.
//!
//! Each start generates a fresh self-signed server certificate; the host learns it from
//! the handshake line and trusts only it. The host's client certificate arrives in
//! PLUGIN_CLIENT_CERT and is *pinned*: a connection must present exactly that
//! certificate and prove possession of its key. Terraform's certificate is ECDSA P-521
//! with SHA-512 and marked CA:TRUE, which the usual WebPKI path rejects; so the check
//! is our own verifier, backed by aws-lc-rs, whose signature algorithms include
//! ecdsa_secp521r1_sha512. If that scheme were not offered, the Go client would
//! silently send no certificate at all.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT holds no PEM certificate")]
    NoClientCertificate,
    #[error("could not generate the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("could not build the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    #[error("--tls-cert holds no PEM certificate")]
    NoServerCertificate,
    #[error("--tls-key holds no PEM private key")]
    NoServerKey,
    #[error("--client-ca holds no usable PEM CA certificate")]
    NoClientCa,
    #[error("--client-ca: {0}")]
    ClientVerifier(#[from] rustls::server::VerifierBuilderError),
}

/// The crypto provider for every TLS use in this crate.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A server certificate and key generated for this process only.
pub struct ServerIdentity {
    pub cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl ServerIdentity {
    /// A P-256 certificate for `localhost`, valid from a little in the past (clock skew)
    /// for one year.
    pub fn generate() -> Result<Self, TlsError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
        params.distinguished_name.push(
            rcgen::DnType::OrganizationName,
            "terraform-provider-taurusdb",
        );
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::seconds(30);
        params.not_after = now + time::Duration::days(365);
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }
}

/// Accepts exactly one client certificate and checks the handshake signature with
/// every algorithm aws-lc-rs offers (P-521/SHA-512 included).
#[derive(Debug)]
pub struct PinnedClientCert {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCert {
    pub fn new(expected: CertificateDer<'static>, provider: &CryptoProvider) -> Self {
        Self {
            expected,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    /// From the PEM text of PLUGIN_CLIENT_CERT.
    pub fn from_pem(pem: &str, provider: &CryptoProvider) -> Result<Self, TlsError> {
        let cert = CertificateDer::from_pem_slice(pem.as_bytes())
            .map_err(|_| TlsError::NoClientCertificate)?;
        Ok(Self::new(cert, provider))
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The TLS server configuration for AutoMTLS: our fresh certificate, the pinned client
/// certificate required, ALPN h2 (newer grpc-go refuses TLS servers without it).
pub fn server_config(
    identity: &ServerIdentity,
    client_cert_pem: &str,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = crypto_provider();
    let verifier = Arc::new(PinnedClientCert::from_pem(client_cert_pem, &provider)?);
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![identity.cert_der.clone()],
            PrivateKeyDer::Pkcs8(identity.key_der.clone_key()),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// The TLS configuration of `serve --tls-cert/--tls-key [--client-ca]`: the operator's
/// certificate chain and key; with a client CA, every client must present a
/// certificate that CA issued (mutual TLS). ALPN h2.
pub fn operator_server_config(
    cert_chain_pem: &[u8],
    key_pem: &[u8],
    client_ca_pem: Option<&[u8]>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = crypto_provider();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_chain_pem)
        .collect::<Result<_, _>>()
        .map_err(|_| TlsError::NoServerCertificate)?;
    if chain.is_empty() {
        return Err(TlsError::NoServerCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| TlsError::NoServerKey)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match client_ca_pem {
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|_| TlsError::NoClientCa)?;
                roots.add(cert).map_err(|_| TlsError::NoClientCa)?;
            }
            if roots.is_empty() {
                return Err(TlsError::NoClientCa);
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p521_sha512_is_offered_to_clients() {
        let provider = crypto_provider();
        let identity = ServerIdentity::generate().expect("identity");
        let verifier = PinnedClientCert::new(identity.cert_der.clone(), &provider);
        assert!(
            verifier
                .supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
        );
        assert!(verifier.client_auth_mandatory());
    }

    #[test]
    fn only_the_pinned_certificate_passes() {
        let provider = crypto_provider();
        let pinned = ServerIdentity::generate().expect("identity");
        let other = ServerIdentity::generate().expect("identity");
        let verifier = PinnedClientCert::new(pinned.cert_der.clone(), &provider);
        let now = UnixTime::now();
        assert!(
            verifier
                .verify_client_cert(&pinned.cert_der, &[], now)
                .is_ok()
        );
        assert!(
            verifier
                .verify_client_cert(&other.cert_der, &[], now)
                .is_err()
        );
    }

    #[test]
    fn garbage_pem_is_an_error() {
        let provider = crypto_provider();
        assert!(matches!(
            PinnedClientCert::from_pem("not a certificate", &provider),
            Err(TlsError::NoClientCertificate)
        ));
    }
}
