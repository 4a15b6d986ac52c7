//! The store of temporary credentials (AK, SK, security token, expiry) the simulator issued.
//!
//! The ECS metadata service, IAM `securitytokens` and STS `AssumeAgency` all hand out
//! temporary keys; the gateway accepts a request signed with one only with its security token
//! and only before it expires. Keeping issuance, lookup and the counters tests assert on
//! (issued per endpoint, uses of expired keys) in one place makes "renewed exactly once" and
//! "never signed with expired credentials" checkable.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::clock::format_rfc3339;
use taurusdb_api::Secret;

/// The endpoints that issue credentials, for [`SimHandle::issued_credentials`](super::SimHandle::issued_credentials).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialEndpoint {
    /// ECS metadata service, `GET /openstack/latest/securitykey`.
    Metadata,
    /// IAM `POST /v3.0/OS-CREDENTIAL/securitytokens`, method `assume_role`.
    AssumeRole,
    /// IAM `POST /v3.0/OS-CREDENTIAL/securitytokens`, method `token`.
    TokenExchange,
    /// STS `POST /v5/agencies/assume`.
    StsAssumeAgency,
    /// IAM `POST /v3.0/OS-AUTH/id-token/tokens` (issues an IAM token, not keys).
    OidcToken,
}

/// A set of temporary credentials as issued.
#[derive(Clone)]
pub(crate) struct Temporary {
    pub access_key: String,
    pub secret_key: Secret,
    pub security_token: Secret,
    pub expires_at: SystemTime,
}

impl fmt::Debug for Temporary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Temporary")
            .field("access_key", &self.access_key)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What the store knows of an access key at some instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TemporaryKey {
    /// Not a temporary access key the simulator issued.
    Unknown,
    /// Issued, but expired.
    Expired,
    /// Issued and valid: its secret key and the security token that must come with it.
    Valid {
        secret_key: Secret,
        security_token: Secret,
    },
}

struct Entry {
    secret_key: Secret,
    security_token: Secret,
    expires_at: SystemTime,
}

/// Issued temporary credentials and the counters tests read.
#[derive(Default)]
pub(crate) struct TemporaryStore {
    keys: HashMap<String, Entry>,
    issued: HashMap<CredentialEndpoint, usize>,
    expired_uses: usize,
}

impl fmt::Debug for TemporaryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryStore")
            .field("keys", &self.keys.len())
            .field("issued", &self.issued)
            .field("expired_uses", &self.expired_uses)
            .finish()
    }
}

/// A random string of `len` characters from uppercase hex and letters.
fn random_chars(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string().to_uppercase());
    }
    out.truncate(len);
    out
}

impl TemporaryStore {
    /// Issues fresh credentials valid until `expires_at`, counted for `endpoint`.
    pub(crate) fn issue(
        &mut self,
        endpoint: CredentialEndpoint,
        expires_at: SystemTime,
    ) -> Temporary {
        let access_key = format!("TMP{}", random_chars(17));
        let secret_key = Secret::new(random_chars(40));
        let security_token = Secret::new(format!("gQsim{}", random_chars(160)));
        self.keys.insert(
            access_key.clone(),
            Entry {
                secret_key: secret_key.clone(),
                security_token: security_token.clone(),
                expires_at,
            },
        );
        self.count(endpoint);
        Temporary {
            access_key,
            secret_key,
            security_token,
            expires_at,
        }
    }

    /// Counts one issuance by `endpoint` (for endpoints that issue something else than keys).
    pub(crate) fn count(&mut self, endpoint: CredentialEndpoint) {
        *self.issued.entry(endpoint).or_default() += 1;
    }

    /// What `access_key` is at `now`.
    pub(crate) fn lookup(&self, access_key: &str, now: SystemTime) -> TemporaryKey {
        match self.keys.get(access_key) {
            None => TemporaryKey::Unknown,
            Some(entry) if now >= entry.expires_at => TemporaryKey::Expired,
            Some(entry) => TemporaryKey::Valid {
                secret_key: entry.secret_key.clone(),
                security_token: entry.security_token.clone(),
            },
        }
    }

    /// Counts one request signed with an expired temporary access key.
    pub(crate) fn note_expired_use(&mut self) {
        self.expired_uses += 1;
    }

    /// Makes every credential issued so far expire at `now` (if not expired before).
    pub(crate) fn expire_all(&mut self, now: SystemTime) {
        for entry in self.keys.values_mut() {
            entry.expires_at = entry.expires_at.min(now);
        }
    }

    /// How many credentials `endpoint` issued.
    pub(crate) fn issued(&self, endpoint: CredentialEndpoint) -> usize {
        self.issued.get(&endpoint).copied().unwrap_or(0)
    }

    /// How many requests were signed with an expired temporary access key.
    pub(crate) fn expired_uses(&self) -> usize {
        self.expired_uses
    }
}

/// IAM's and the metadata service's shape of temporary credentials:
/// `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`.
pub(crate) fn iam_credential_json(issued: &Temporary) -> Value {
    json!({
        "credential": {
            "access": issued.access_key,
            "secret": issued.secret_key.expose(),
            "securitytoken": issued.security_token.expose(),
            "expires_at": format_rfc3339(issued.expires_at),
        }
    })
}

/// The lifetime of credentials asked for `requested` seconds (the cap when not asked), at
/// most `cap`.
pub(crate) fn lifetime(cap: Duration, requested: Option<u64>) -> Duration {
    requested.map_or(cap, |secs| cap.min(Duration::from_secs(secs)))
}

/// Compares secrets without an early exit on the first differing byte.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_keys_are_valid_until_they_expire() {
        let mut store = TemporaryStore::default();
        let now = SystemTime::now();
        let issued = store.issue(CredentialEndpoint::Metadata, now + Duration::from_secs(1));
        let other = store.issue(CredentialEndpoint::Metadata, now + Duration::from_secs(60));
        assert_ne!(issued.access_key, other.access_key);
        assert_eq!(issued.access_key.len(), 20);
        assert_eq!(issued.secret_key.expose().len(), 40);
        assert_eq!(
            store.lookup(&issued.access_key, now),
            TemporaryKey::Valid {
                secret_key: issued.secret_key.clone(),
                security_token: issued.security_token.clone(),
            }
        );
        let later = now + Duration::from_secs(1);
        assert_eq!(
            store.lookup(&issued.access_key, later),
            TemporaryKey::Expired
        );
        assert_eq!(store.lookup("NOPE", now), TemporaryKey::Unknown);
        assert!(matches!(
            store.lookup(&other.access_key, later),
            TemporaryKey::Valid { .. }
        ));
        store.expire_all(later);
        assert_eq!(
            store.lookup(&other.access_key, later),
            TemporaryKey::Expired
        );
        assert_eq!(store.issued(CredentialEndpoint::Metadata), 2);
        assert_eq!(store.issued(CredentialEndpoint::AssumeRole), 0);
        store.note_expired_use();
        assert_eq!(store.expired_uses(), 1);
        let shown = format!("{store:?} {issued:?}");
        assert!(!shown.contains(issued.secret_key.expose()), "{shown}");
        assert!(!shown.contains(issued.security_token.expose()), "{shown}");
    }

    #[test]
    fn lifetime_is_the_shorter_of_cap_and_request() {
        let cap = Duration::from_secs(8);
        assert_eq!(lifetime(cap, None), cap);
        assert_eq!(lifetime(cap, Some(900)), cap);
        assert_eq!(lifetime(cap, Some(3)), Duration::from_secs(3));
    }

    mod over_http {
        use super::*;
        use crate::SimHandle;
        use crate::identities::{DEMO_AGENCY_NAME, DEMO_DOMAIN_NAME};
        use crate::test_support::{
            ACCESS_KEY, DEMO_INSTANCE, DEMO_PROJECT, SECRET_KEY, list_url, pause_body, pause_url,
            send_signed, signed_get, start_full,
        };

        /// (AK, SK, security token) from the metadata service (session tokens off).
        async fn metadata_keys(sim: &SimHandle) -> (String, String, String) {
            sim.set_metadata_session_tokens(false);
            let body: Value =
                reqwest::get(format!("{}/openstack/latest/securitykey", sim.endpoint()))
                    .await
                    .expect("securitykey")
                    .json()
                    .await
                    .expect("json");
            let field = |name: &str| {
                body["credential"][name]
                    .as_str()
                    .expect("credential field")
                    .to_owned()
            };
            (field("access"), field("secret"), field("securitytoken"))
        }

        async fn expect_apigw_401(response: reqwest::Response, message: &str) {
            assert_eq!(response.status().as_u16(), 401);
            let body: Value = response.json().await.expect("json");
            assert_eq!(body["error_code"], "APIGW.0301");
            assert_eq!(body["error_msg"], message);
        }

        const SIGNATURE_FAIL: &str =
            "Incorrect IAM authentication information: verify aksk signature fail";
        const EXPIRED: &str =
            "Incorrect IAM authentication information: the security token has expired";

        #[tokio::test]
        async fn temporary_keys_need_their_own_security_token() {
            let sim = start_full().await;
            let (ak, sk, st) = metadata_keys(&sim).await;
            let url = list_url(&sim, "");
            expect_apigw_401(signed_get(&sim, &url, &ak, &sk, None).await, SIGNATURE_FAIL).await;
            let (_, _, other_st) = metadata_keys(&sim).await;
            expect_apigw_401(
                signed_get(&sim, &url, &ak, &sk, Some(&other_st)).await,
                SIGNATURE_FAIL,
            )
            .await;
            expect_apigw_401(
                signed_get(&sim, &url, &ak, "wrong-secret", Some(&st)).await,
                SIGNATURE_FAIL,
            )
            .await;
            let ok = signed_get(&sim, &url, &ak, &sk, Some(&st)).await;
            assert_eq!(ok.status().as_u16(), 200);
            // A POST with a body too.
            let body = pause_body("orders_sync").to_string();
            let paused = send_signed(
                &sim,
                "POST",
                &pause_url(&sim),
                (&ak, &sk, Some(&st)),
                body.as_bytes(),
            )
            .await;
            assert_eq!(paused.status().as_u16(), 200);
            assert_eq!(
                sim.task_stage(DEMO_PROJECT, DEMO_INSTANCE, "orders_sync")
                    .as_deref(),
                Some("Paused")
            );
            // Permanent keys are unaffected; nothing expired was used.
            let permanent = signed_get(&sim, &url, ACCESS_KEY, SECRET_KEY, None).await;
            assert_eq!(permanent.status().as_u16(), 200);
            assert_eq!(sim.expired_credential_uses(), 0);
            sim.shutdown().await;
        }

        #[tokio::test]
        async fn expired_keys_are_refused_and_counted() {
            let sim = start_full().await;
            sim.set_temporary_credentials_lifetime(Duration::from_secs(1));
            let (ak, sk, st) = metadata_keys(&sim).await;
            let url = list_url(&sim, "");
            assert_eq!(
                signed_get(&sim, &url, &ak, &sk, Some(&st))
                    .await
                    .status()
                    .as_u16(),
                200
            );
            sim.advance_clock(Duration::from_secs(1));
            expect_apigw_401(signed_get(&sim, &url, &ak, &sk, Some(&st)).await, EXPIRED).await;
            assert_eq!(sim.expired_credential_uses(), 1);

            // Expired keys cannot get new ones either (and count again).
            let role = serde_json::json!({"auth": {"identity": {"methods": ["assume_role"],
                "assume_role": {"agency_name": DEMO_AGENCY_NAME, "domain_name": DEMO_DOMAIN_NAME}}}})
            .to_string();
            let refused = send_signed(
                &sim,
                "POST",
                &format!("{}/v3.0/OS-CREDENTIAL/securitytokens", sim.endpoint()),
                (&ak, &sk, Some(&st)),
                role.as_bytes(),
            )
            .await;
            assert_eq!(refused.status().as_u16(), 401);
            assert_eq!(sim.expired_credential_uses(), 2);
            assert_eq!(sim.issued_credentials(CredentialEndpoint::AssumeRole), 0);

            // Fresh keys work; expire_temporary_credentials ends them at once.
            sim.set_temporary_credentials_lifetime(Duration::from_secs(3600));
            let (ak, sk, st) = metadata_keys(&sim).await;
            let granted = send_signed(
                &sim,
                "POST",
                &format!("{}/v3.0/OS-CREDENTIAL/securitytokens", sim.endpoint()),
                (&ak, &sk, Some(&st)),
                role.as_bytes(),
            )
            .await;
            assert_eq!(granted.status().as_u16(), 201);
            sim.expire_temporary_credentials();
            expect_apigw_401(signed_get(&sim, &url, &ak, &sk, Some(&st)).await, EXPIRED).await;
            assert_eq!(sim.expired_credential_uses(), 3);
            assert_eq!(sim.issued_credentials(CredentialEndpoint::Metadata), 2);
            sim.shutdown().await;
        }
    }
}
