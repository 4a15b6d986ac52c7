//! Temporary AK/SK credentials, renewed before they expire.
//!
//! The ECS metadata service, an assumed agency and OIDC all hand out credentials that
//! last from minutes to a day. A wait of two hours must not fail at hour one, and no
//! request may be signed with credentials that expire before it reaches the service. So
//! [`TemporaryCredentials`] keeps the credentials an [`Issuer`] gave, hands them to every
//! request until a third of their lifetime is left (at most ten minutes before they
//! expire), and then obtains new ones: once, however many requests wait at that moment
//! (single flight: the first waiter renews, the others wait for its result). If renewal
//! fails while the old credentials still have a little time left, they are used and the
//! next request tries again. Times are kept on tokio's clock (tests pause it); the
//! service's `expires_at` is read against the wall clock once, on receipt.

use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::issuers::Issuer;
use crate::signer;
use crate::transport::Transport;

/// The most time before expiry at which credentials are renewed.
pub const MAX_RENEWAL_MARGIN: Duration = Duration::from_secs(600);
/// Old credentials are still used (when renewal fails) only while at least this much of
/// their life is left: a request signed now reaches the service well before they expire.
pub const MIN_TIME_LEFT: Duration = Duration::from_secs(1);
/// After a failed renewal, how long the old credentials are used before renewal is
/// tried again (less when they expire sooner).
pub const RETRY_PAUSE: Duration = Duration::from_secs(5);

/// Credentials as a source issued them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedKeys {
    /// Access key, secret key and security token.
    pub keys: signer::AkSk,
    /// When the service says they stop working.
    pub expires_at: SystemTime,
}

/// Credentials in use, with when to renew them, on tokio's clock.
#[derive(Debug, Clone)]
struct Held {
    keys: signer::AkSk,
    renew_at: Instant,
    expires_at: Instant,
}

impl Held {
    /// Times from a lifetime read now: renewal when a third of it is left, at most
    /// [`MAX_RENEWAL_MARGIN`] before expiry.
    fn new(issued: IssuedKeys, what: &str) -> Result<Self, ApiError> {
        let now = Instant::now();
        let lifetime = issued
            .expires_at
            .duration_since(SystemTime::now())
            .ok()
            .filter(|left| *left > MIN_TIME_LEFT)
            .ok_or_else(|| {
                ApiError::Config(format!(
                    "the temporary credentials from {what} expire at once (check this \
                     machine's clock)"
                ))
            })?;
        let margin = (lifetime / 3).min(MAX_RENEWAL_MARGIN);
        Ok(Self {
            keys: issued.keys,
            renew_at: now + (lifetime - margin),
            expires_at: now + lifetime,
        })
    }
}

/// What is held between requests: the credentials, and what became of the last
/// renewal.
#[derive(Debug, Default)]
struct State {
    held: Option<Held>,
    /// Renewals finished so far (well or not): a waiter that queued before one finished
    /// takes its result instead of trying again.
    renewals: u64,
    /// The last renewal's error, while it is the latest word.
    failure: Option<ApiError>,
}

/// Temporary credentials from one [`Issuer`], shared by every request of a client.
#[derive(Debug)]
pub struct TemporaryCredentials {
    issuer: Issuer,
    state: Mutex<State>,
    /// `State::renewals`, readable without the lock (to note it before queueing).
    renewals: std::sync::atomic::AtomicU64,
}

impl TemporaryCredentials {
    pub fn new(issuer: Issuer) -> Self {
        Self {
            issuer,
            state: Mutex::new(State::default()),
            renewals: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// What issues them, for logs and `Credentials::kind`.
    pub fn kind(&self) -> &'static str {
        self.issuer.kind()
    }

    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// Credentials fit to sign a request now: the held ones before their renewal time,
    /// else new ones (one renewal at a time; the others wait for it and share its
    /// result, failure included).
    pub(super) async fn keys(
        &self,
        transport: &Transport,
        cancel: &CancellationToken,
    ) -> Result<signer::AkSk, ApiError> {
        use std::sync::atomic::Ordering;
        let seen = self.renewals.load(Ordering::Acquire);
        let mut state = tokio::select! {
            state = self.state.lock() => state,
            () = cancel.cancelled() => return Err(ApiError::Cancelled),
        };
        let now = Instant::now();
        if let Some(current) = state.held.as_ref()
            && now < current.renew_at
        {
            return Ok(current.keys.clone());
        }
        if state.renewals != seen
            && let Some(failure) = state.failure.clone()
        {
            // A renewal finished (and failed) while this caller waited for the lock.
            return usable(state.held.as_ref(), now).ok_or(failure);
        }
        let issued = self
            .issuer
            .issue(transport, cancel)
            .await
            .and_then(|issued| Held::new(issued, self.issuer.describe()));
        let result = match issued {
            Ok(fresh) => {
                tracing::info!(
                    source = self.issuer.kind(),
                    valid_for_s = fresh
                        .expires_at
                        .saturating_duration_since(Instant::now())
                        .as_secs(),
                    "obtained temporary credentials"
                );
                let keys = fresh.keys.clone();
                state.held = Some(fresh);
                state.failure = None;
                Ok(keys)
            }
            // Cancelled: no renewal happened; the next caller tries.
            Err(err @ (ApiError::Cancelled | ApiError::Interrupted { .. })) => return Err(err),
            Err(err) => {
                let now = Instant::now();
                state.failure = Some(err.clone());
                match state.held.as_mut() {
                    Some(current) if now + MIN_TIME_LEFT < current.expires_at => {
                        tracing::warn!(
                            source = self.issuer.kind(),
                            error = %err,
                            "could not renew temporary credentials; using the current ones \
                             until they expire"
                        );
                        // Not again at once: the next try after a pause, while they last.
                        let left = current.expires_at - now;
                        current.renew_at = now + RETRY_PAUSE.min(left / 2);
                        Ok(current.keys.clone())
                    }
                    _ => Err(err),
                }
            }
        };
        state.renewals += 1;
        self.renewals.store(state.renewals, Ordering::Release);
        result
    }

    /// Forgets `used` if they are still the held credentials (the service refused them;
    /// another request may already have renewed).
    pub(super) async fn invalidate(&self, used: &signer::AkSk) {
        let mut state = self.state.lock().await;
        if state.held.as_ref().is_some_and(|h| &h.keys == used) {
            state.held = None;
        }
    }
}

/// The held credentials if they may still sign a request now.
fn usable(held: Option<&Held>, now: Instant) -> Option<signer::AkSk> {
    held.filter(|h| now + MIN_TIME_LEFT < h.expires_at)
        .map(|h| h.keys.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credentials;
    use crate::issuers::Scripted;
    use crate::secret::Secret;
    use crate::transport::ClientConfig;
    use std::sync::Arc;

    fn transport() -> Transport {
        Transport::new(ClientConfig::new(
            "http://127.0.0.1:9",
            Credentials::Token(Secret::new("t")),
        ))
        .expect("transport")
    }

    fn source(lifetime: Duration) -> (Arc<TemporaryCredentials>, Scripted) {
        let scripted = Scripted::new(lifetime);
        let source = Arc::new(TemporaryCredentials::new(Issuer::Scripted(
            scripted.clone(),
        )));
        (source, scripted)
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_are_kept_until_a_third_of_their_life_is_left() {
        let (source, scripted) = source(Duration::from_secs(3600));
        let transport = transport();
        let cancel = CancellationToken::new();
        let first = source.keys(&transport, &cancel).await.expect("keys");
        assert_eq!(scripted.issued(), 1);
        // 10 minutes before expiry (a third of an hour is more than that): still the same.
        tokio::time::advance(Duration::from_secs(2990)).await;
        assert_eq!(source.keys(&transport, &cancel).await.expect("keys"), first);
        assert_eq!(scripted.issued(), 1);
        tokio::time::advance(Duration::from_secs(20)).await;
        let renewed = source.keys(&transport, &cancel).await.expect("keys");
        assert_ne!(renewed, first);
        assert_eq!(scripted.issued(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn short_lived_credentials_are_renewed_with_a_third_left() {
        let (source, scripted) = source(Duration::from_secs(9));
        let transport = transport();
        let cancel = CancellationToken::new();
        source.keys(&transport, &cancel).await.expect("keys");
        tokio::time::advance(Duration::from_millis(5900)).await;
        source.keys(&transport, &cancel).await.expect("keys");
        assert_eq!(scripted.issued(), 1, "6 s of 9 are not yet two thirds");
        tokio::time::advance(Duration::from_millis(200)).await;
        source.keys(&transport, &cancel).await.expect("keys");
        assert_eq!(scripted.issued(), 2, "renewed with 3 s left");
    }

    #[tokio::test(start_paused = true)]
    async fn many_waiters_share_one_renewal() {
        let (source, scripted) = source(Duration::from_secs(60));
        scripted.hold();
        let transport = Arc::new(transport());
        let mut waiters = Vec::new();
        for _ in 0..20 {
            let (source, transport) = (source.clone(), transport.clone());
            waiters.push(tokio::spawn(async move {
                source.keys(&transport, &CancellationToken::new()).await
            }));
        }
        // Every waiter is queued behind the one renewal in progress.
        while scripted.started() == 0 {
            tokio::task::yield_now().await;
        }
        scripted.release();
        let mut keys = Vec::new();
        for waiter in waiters {
            keys.push(waiter.await.expect("task").expect("keys"));
        }
        assert_eq!(scripted.issued(), 1);
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_renewal_keeps_the_old_keys_while_they_last() {
        let (source, scripted) = source(Duration::from_secs(30));
        let transport = transport();
        let cancel = CancellationToken::new();
        let first = source.keys(&transport, &cancel).await.expect("keys");
        scripted.fail_next(true);
        tokio::time::advance(Duration::from_secs(25)).await;
        assert_eq!(source.keys(&transport, &cancel).await.expect("old"), first);
        tokio::time::advance(Duration::from_millis(4500)).await;
        assert!(
            source.keys(&transport, &cancel).await.is_err(),
            "never credentials with less than a second left"
        );
        scripted.fail_next(false);
        assert_ne!(source.keys(&transport, &cancel).await.expect("new"), first);
    }

    #[tokio::test(start_paused = true)]
    async fn refused_credentials_are_forgotten_once() {
        let (source, scripted) = source(Duration::from_secs(3600));
        let transport = transport();
        let cancel = CancellationToken::new();
        let first = source.keys(&transport, &cancel).await.expect("keys");
        let other = signer::AkSk {
            access_key: Secret::new("other"),
            ..first.clone()
        };
        source.invalidate(&other).await;
        assert_eq!(source.keys(&transport, &cancel).await.expect("same"), first);
        source.invalidate(&first).await;
        assert_ne!(source.keys(&transport, &cancel).await.expect("new"), first);
        assert_eq!(scripted.issued(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_that_expire_at_once_are_an_error() {
        let (source, _) = source(Duration::ZERO);
        let err = source
            .keys(&transport(), &CancellationToken::new())
            .await
            .expect_err("expired");
        assert!(err.to_string().contains("clock"), "{err}");
    }
}
