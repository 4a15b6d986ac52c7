//! Where temporary credentials come from: the ECS metadata service ([`metadata`]), an
//! agency assumed through IAM or STS ([`assume`], one hop of a chain each), and OIDC
//! ([`oidc`]). Each [`Issuer`] obtains one set of credentials through the client's own
//! transport (no redirect followed, answers bounded, secrets never logged);
//! [`TemporaryCredentials`](super::temporary::TemporaryCredentials) decides when.

pub mod assume;
pub mod keys;
pub mod metadata;
pub mod oidc;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::temporary::IssuedKeys;
use crate::transport::Transport;

pub use assume::{AssumeHop, AssumeRole};
pub use metadata::EcsMetadata;
pub use oidc::{IdToken, OidcRole};

/// The largest answer read from a credential source: they are a few hundred bytes.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The session name STS records for assumed agencies.
pub const SESSION_NAME: &str = "terraform-provider-taurusdb";

/// One source of temporary credentials.
#[derive(Debug)]
pub enum Issuer {
    Metadata(EcsMetadata),
    Assume(AssumeRole),
    Oidc(OidcRole),
    #[cfg(test)]
    Scripted(Scripted),
}

impl Issuer {
    /// A short name for logs and `Credentials::kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Issuer::Metadata(_) => "ecs-metadata",
            Issuer::Assume(_) => "assume-role",
            Issuer::Oidc(_) => "assume-role-with-oidc",
            #[cfg(test)]
            Issuer::Scripted(_) => "scripted",
        }
    }

    /// Where the credentials come from, as error texts name it.
    pub fn describe(&self) -> &str {
        match self {
            Issuer::Metadata(_) => "the ECS metadata service",
            Issuer::Assume(role) => role.hop.describe(),
            Issuer::Oidc(_) => "OIDC (assume_role_with_oidc)",
            #[cfg(test)]
            Issuer::Scripted(_) => "a test",
        }
    }

    /// Obtains one set of credentials. Errors say where they were to come from.
    pub(super) fn issue<'a>(
        &'a self,
        transport: &'a Transport,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<IssuedKeys, ApiError>> {
        async move {
            let result = match self {
                Issuer::Metadata(source) => source.issue(transport, cancel).await,
                Issuer::Assume(role) => role.issue(transport, cancel).await,
                Issuer::Oidc(role) => role.issue(transport, cancel).await,
                #[cfg(test)]
                Issuer::Scripted(script) => script.issue().await,
            };
            result.map_err(|error| match error {
                // Stopped by the caller: no statement about the source.
                error @ (ApiError::Cancelled | ApiError::Interrupted { .. }) => error,
                error => ApiError::TemporaryCredentials {
                    from: self.describe().to_string(),
                    last_resort: matches!(self, Issuer::Metadata(m) if m.last_resort),
                    error: Box::new(error),
                },
            })
        }
        .boxed()
    }
}

/// The IAM v3.0 URL of `path` on the host of `auth_url` (`https://iam.x/v3` →
/// `https://iam.x/v3.0{path}`): IAM's newer calls live beside its v3 ones.
pub fn iam_v3_0(auth_url: &str, path: &str) -> String {
    let base = auth_url.trim_end_matches('/');
    let root = base.strip_suffix("/v3").unwrap_or(base);
    format!("{root}/v3.0{path}")
}

/// How one service shapes the credentials it answers with.
type Shape = fn(&[u8]) -> Result<IssuedKeys, String>;

/// A 2xx answer's body read as credentials, or an error naming what is wrong.
fn read_keys(reply: &crate::wire::Reply, shape: Shape) -> Result<IssuedKeys, ApiError> {
    shape(&reply.body).map_err(|reason| ApiError::InvalidResponse {
        status: reply.status.as_u16(),
        reason,
        request_id: reply.request_id.clone(),
    })
}

#[cfg(test)]
pub use scripted::Scripted;

#[cfg(test)]
mod scripted {
    //! An issuer for tests of renewal: counts what it issues, can be held or fail.
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::{Duration, SystemTime};

    use crate::error::ApiError;
    use crate::secret::Secret;
    use crate::signer;
    use crate::temporary::IssuedKeys;

    #[derive(Debug, Clone)]
    pub struct Scripted(Arc<Inner>);

    #[derive(Debug)]
    struct Inner {
        lifetime: Duration,
        started: AtomicUsize,
        issued: AtomicUsize,
        fail: AtomicBool,
        gate: tokio::sync::watch::Sender<bool>,
    }

    impl Scripted {
        pub fn new(lifetime: Duration) -> Self {
            Self(Arc::new(Inner {
                lifetime,
                started: AtomicUsize::new(0),
                issued: AtomicUsize::new(0),
                fail: AtomicBool::new(false),
                gate: tokio::sync::watch::Sender::new(true),
            }))
        }

        pub fn issued(&self) -> usize {
            self.0.issued.load(Ordering::SeqCst)
        }

        pub fn started(&self) -> usize {
            self.0.started.load(Ordering::SeqCst)
        }

        /// Issuing waits until [`release`](Self::release).
        pub fn hold(&self) {
            self.0.gate.send_replace(false);
        }

        pub fn release(&self) {
            self.0.gate.send_replace(true);
        }

        pub fn fail_next(&self, fail: bool) {
            self.0.fail.store(fail, Ordering::SeqCst);
        }

        pub async fn issue(&self) -> Result<IssuedKeys, ApiError> {
            self.0.started.fetch_add(1, Ordering::SeqCst);
            let mut gate = self.0.gate.subscribe();
            let _ = gate.wait_for(|open| *open).await;
            if self.0.fail.load(Ordering::SeqCst) {
                return Err(ApiError::Config("scripted failure".into()));
            }
            let n = self.0.issued.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(IssuedKeys {
                keys: signer::AkSk {
                    access_key: Secret::new(format!("AK{n}")),
                    secret_key: Secret::new(format!("SK{n}")),
                    security_token: Some(Secret::new(format!("ST{n}"))),
                },
                expires_at: SystemTime::now() + self.0.lifetime,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_v3_0_paths_stay_on_the_auth_url_host() {
        assert_eq!(
            iam_v3_0(
                "https://iam.cn-north-4.myhuaweicloud.com/v3",
                "/OS-CREDENTIAL/securitytokens"
            ),
            "https://iam.cn-north-4.myhuaweicloud.com/v3.0/OS-CREDENTIAL/securitytokens"
        );
        assert_eq!(
            iam_v3_0("http://127.0.0.1:8790/v3/", "/x"),
            "http://127.0.0.1:8790/v3.0/x"
        );
        assert_eq!(
            iam_v3_0("https://iam.example", "/x"),
            "https://iam.example/v3.0/x"
        );
    }
}
