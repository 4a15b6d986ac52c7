//! How requests prove who sends them: an IAM token, an AK/SK signature, a token the
//! client obtains itself from IAM with a user's password, or temporary AK/SK credentials
//! it obtains (and renews) from the ECS metadata service, an assumed agency or OIDC.
//!
//! A password-derived token is fetched once per set of credentials (so once per provider
//! process) and shared by every concurrent request; a 401 makes the client fetch a new
//! one, once. Temporary credentials are renewed before they expire
//! ([`temporary`](super::temporary)).

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::secret::Secret;
use crate::signer;
use crate::temporary::TemporaryCredentials;

/// Which credential the client uses, in the provider's precedence order.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// `X-Auth-Token` as given.
    Token(Secret),
    /// SDK-HMAC-SHA256 signatures, computed afresh for every attempt.
    AkSk(signer::AkSk),
    /// A token obtained from IAM with a user name and password.
    Password(IamPassword),
    /// Temporary AK/SK credentials from a source that issues them (the ECS metadata
    /// service, an assumed agency, OIDC), renewed before they expire.
    Temporary(Arc<TemporaryCredentials>),
}

impl Credentials {
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::Token(_) => "token",
            Credentials::AkSk(_) => "aksk",
            Credentials::Password(_) => "password",
            Credentials::Temporary(source) => source.kind(),
        }
    }
}

/// What the token should be scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectScope {
    Id(String),
    Name(String),
}

/// Who the IAM user is: by name within a domain (account) given by name or ID, or by
/// user ID alone (IAM user IDs are unique).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamUser {
    Name { name: String, domain: Domain },
    Id(String),
}

/// An account (domain), by name or by ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    Name(String),
    Id(String),
}

/// IAM password credentials. Clones share the token obtained with them.
#[derive(Debug, Clone)]
pub struct IamPassword {
    pub user: IamUser,
    pub password: Secret,
    /// IAM's v3 base URL, e.g. `https://iam.cn-north-4.myhuaweicloud.com/v3`.
    pub auth_url: String,
    pub scope: ProjectScope,
    /// The token obtained with these credentials, shared by every request.
    pub token: Arc<TokenCache>,
}

impl IamPassword {
    /// The token request body (reference §5).
    pub fn token_request(&self) -> serde_json::Value {
        let project = match &self.scope {
            ProjectScope::Id(id) => serde_json::json!({ "id": id }),
            ProjectScope::Name(name) => serde_json::json!({ "name": name }),
        };
        let user = match &self.user {
            IamUser::Name { name, domain } => {
                let domain = match domain {
                    Domain::Name(name) => serde_json::json!({ "name": name }),
                    Domain::Id(id) => serde_json::json!({ "id": id }),
                };
                serde_json::json!({
                    "name": name,
                    "password": self.password.expose(),
                    "domain": domain
                })
            }
            IamUser::Id(id) => serde_json::json!({ "id": id, "password": self.password.expose() }),
        };
        serde_json::json!({
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": { "user": user }
                },
                "scope": { "project": project }
            }
        })
    }
}

/// The IAM token shared by all requests of one client.
#[derive(Debug, Default)]
pub struct TokenCache {
    token: Mutex<Option<Secret>>,
}

impl TokenCache {
    /// The cached token, or the one `fetch` obtains (one fetch at a time: concurrent
    /// callers wait for it and share its result).
    pub async fn get_or_fetch<F, Fut, E>(&self, fetch: F) -> Result<Secret, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Secret, E>>,
    {
        let mut guard = self.token.lock().await;
        if let Some(token) = guard.as_ref() {
            return Ok(token.clone());
        }
        let token = fetch().await?;
        *guard = Some(token.clone());
        Ok(token)
    }

    /// Forgets `used` if it is still the cached token (another request may already
    /// have replaced it).
    pub async fn invalidate(&self, used: &Secret) {
        let mut guard = self.token.lock().await;
        if guard.as_ref() == Some(used) {
            *guard = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let cache = cache.clone();
            let fetches = fetches.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch(|| async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Ok::<_, ()>(Secret::new("t1"))
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.expect("task"), Ok(Secret::new("t1")));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidation_only_drops_the_token_that_failed() {
        let cache = TokenCache::default();
        let first = cache
            .get_or_fetch(|| async { Ok::<_, ()>(Secret::new("old")) })
            .await
            .expect("token");
        cache.invalidate(&Secret::new("other")).await;
        let same = cache
            .get_or_fetch(|| async { Ok::<_, ()>(Secret::new("new")) })
            .await
            .expect("token");
        assert_eq!(same, first);
        cache.invalidate(&first).await;
        let renewed = cache
            .get_or_fetch(|| async { Ok::<_, ()>(Secret::new("new")) })
            .await
            .expect("token");
        assert_eq!(renewed, Secret::new("new"));
    }

    #[test]
    fn token_request_scopes_by_id_or_name() {
        let mut iam = IamPassword {
            user: IamUser::Name {
                name: "u".into(),
                domain: Domain::Name("d".into()),
            },
            password: Secret::new("p"),
            auth_url: "https://iam.example/v3".into(),
            scope: ProjectScope::Id("pid".into()),
            token: Arc::default(),
        };
        assert_eq!(iam.token_request()["auth"]["scope"]["project"]["id"], "pid");
        iam.scope = ProjectScope::Name("cn-north-4".into());
        assert_eq!(
            iam.token_request()["auth"]["scope"]["project"]["name"],
            "cn-north-4"
        );
        assert_eq!(
            iam.token_request()["auth"]["identity"]["password"]["user"]["domain"]["name"],
            "d"
        );
        iam.user = IamUser::Name {
            name: "u".into(),
            domain: Domain::Id("did".into()),
        };
        assert_eq!(
            iam.token_request()["auth"]["identity"]["password"]["user"]["domain"]["id"],
            "did"
        );
        iam.user = IamUser::Id("uid".into());
        let user = &iam.token_request()["auth"]["identity"]["password"]["user"];
        assert_eq!(user["id"], "uid");
        assert!(user.get("domain").is_none() && user.get("name").is_none());
    }
}
