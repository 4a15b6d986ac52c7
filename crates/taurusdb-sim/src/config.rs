//! What a simulator starts with: its credentials ([`SimConfig`]) and its initial data ([`Seed`]).
//!
//! Kept apart from the server so callers can build and tweak a starting world without touching
//! any HTTP machinery, and so the demo data lives in exactly one place.

use std::fmt;
use std::time::Duration;

use super::identities::{Agency, DEFAULT_TEMPORARY_LIFETIME, IamProject, OidcProvider};
use super::jobs::JobPlan;
use super::record::RecordLimits;

/// Settings of one simulator instance.
///
/// Build it with struct-update syntax so new fields do not break callers:
/// `SimConfig { auth_token: "t".to_owned(), ..Default::default() }`.
///
/// The default knows the demo agency, identity provider and project (see
/// [`identities`](super::identities)), serves the ECS metadata service with session tokens,
/// and issues temporary credentials for an hour.
#[derive(Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// A value of `X-Auth-Token` the simulator always accepts on `/v3` requests (besides the
    /// tokens its IAM endpoint issues). Empty disables it: an empty token never authenticates.
    pub auth_token: String,
    /// AK/SK pairs accepted in `Authorization: SDK-HMAC-SHA256 ...` signatures.
    pub access_keys: Vec<(String, String)>,
    /// Users that may obtain a token from `POST /v3/auth/tokens`.
    pub iam_users: Vec<IamUser>,
    /// How jobs created by pause/resume progress (see [`JobPlan`]); the default finishes them
    /// at once. [`SimHandle::set_job_plan`](super::SimHandle::set_job_plan) changes it later.
    pub job_plan: JobPlan,
    /// Agencies that `assume_role` (IAM) and `AssumeAgency` (STS) grant.
    pub agencies: Vec<Agency>,
    /// OIDC identity providers of `POST /v3.0/OS-AUTH/id-token/tokens`.
    pub oidc_providers: Vec<OidcProvider>,
    /// Projects of `GET /v3/projects?name=...`. Empty means the seed's project under the
    /// default region name (`cn-north-4`).
    pub projects: Vec<IamProject>,
    /// Whether the ECS metadata service (`/openstack/latest/securitykey`,
    /// `/meta-data/latest/api/token`) answers; off, both answer 404.
    pub metadata_service: bool,
    /// Whether the metadata service hands out session tokens and requires one
    /// (`X-Metadata-Token`) to read credentials; off, `PUT .../api/token` answers 404.
    pub metadata_session_tokens: bool,
    /// Longest lifetime of issued temporary credentials; a shorter `duration_seconds` asked
    /// for is honoured.
    pub temporary_credentials_lifetime: Duration,
    /// How much of the requests received is kept for
    /// [`SimHandle::requests`](super::SimHandle::requests): a ring of the most recent,
    /// bodies cut.
    pub record_limits: RecordLimits,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            auth_token: String::new(),
            access_keys: Vec::new(),
            iam_users: Vec::new(),
            job_plan: JobPlan::default(),
            agencies: vec![Agency::demo()],
            oidc_providers: vec![OidcProvider::demo()],
            projects: Vec::new(),
            metadata_service: true,
            metadata_session_tokens: true,
            temporary_credentials_lifetime: DEFAULT_TEMPORARY_LIFETIME,
            record_limits: RecordLimits::default(),
        }
    }
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tokens and secret keys are credentials: never print them.
        let access_keys: Vec<&str> = self.access_keys.iter().map(|(ak, _)| ak.as_str()).collect();
        f.debug_struct("SimConfig")
            .field("auth_token", &"<redacted>")
            .field("access_keys", &access_keys)
            .field("iam_users", &self.iam_users)
            .field("job_plan", &self.job_plan)
            .field("agencies", &self.agencies)
            .field("oidc_providers", &self.oidc_providers)
            .field("projects", &self.projects)
            .field("metadata_service", &self.metadata_service)
            .field("metadata_session_tokens", &self.metadata_session_tokens)
            .field(
                "temporary_credentials_lifetime",
                &self.temporary_credentials_lifetime,
            )
            .field("record_limits", &self.record_limits)
            .finish()
    }
}

/// An IAM user of the simulated `POST /v3/auth/tokens` endpoint (password method).
#[derive(Clone, PartialEq, Eq)]
pub struct IamUser {
    /// User name (`auth.identity.password.user.name`).
    pub name: String,
    /// Password (`auth.identity.password.user.password`).
    pub password: String,
    /// Account (domain) name (`auth.identity.password.user.domain.name`).
    pub domain: String,
}

impl IamUser {
    /// The user's ID, as a password login may name the user instead of name and domain
    /// (`auth.identity.password.user.id`): 32 hex digits derived from the domain and the
    /// name, so tests and `sim` users know it without configuring it.
    pub fn id(&self) -> String {
        let named = format!("{}\0{}", self.domain, self.name);
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, named.as_bytes());
        digest.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Parses `NAME:PASSWORD:DOMAIN` (the password may itself contain `:`; name and domain may
    /// not). The error never repeats the input, which holds a password.
    ///
    /// # Errors
    /// When a part is missing or empty.
    pub fn from_spec(spec: &str) -> Result<IamUser, String> {
        let invalid = || "an IAM user must be given as NAME:PASSWORD:DOMAIN".to_owned();
        let (name, rest) = spec.split_once(':').ok_or_else(invalid)?;
        let (password, domain) = rest.rsplit_once(':').ok_or_else(invalid)?;
        if name.is_empty() || password.is_empty() || domain.is_empty() {
            return Err(invalid());
        }
        Ok(IamUser {
            name: name.to_owned(),
            password: password.to_owned(),
            domain: domain.to_owned(),
        })
    }
}

impl fmt::Debug for IamUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamUser")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .field("domain", &self.domain)
            .finish()
    }
}

/// The initial data of a simulator: one project and the StarRocks instances in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// Project (tenant) id the seeded instances belong to.
    pub project_id: String,
    /// Instances to create, each with its replication tasks.
    pub instances: Vec<SeedInstance>,
}

/// One seeded StarRocks instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedInstance {
    /// StarRocks instance id (36 characters in the real service, e.g. ending in `in17`).
    pub instance_id: String,
    /// Names of its replication tasks, in list order; each starts at stage `Incremental`.
    pub tasks: Vec<String>,
}

/// Project id used by [`Seed::demo`].
pub(crate) const DEMO_PROJECT_ID: &str = "2f6c8a4e1b3d4c5f9a7e6d5c4b3a2918";
/// Instance id used by [`Seed::demo`].
pub(crate) const DEMO_INSTANCE_ID: &str = "5c1f0e9a2b7d4e3f8a6c1d2e3f4a5b6cin17";
/// Task names used by [`Seed::demo`], in list order.
pub(crate) const DEMO_TASKS: [&str; 3] = ["orders_sync", "users_sync", "payments_sync"];

impl Seed {
    /// The demo world: one project, one instance, tasks `orders_sync`, `users_sync` and
    /// `payments_sync`, all replicating (`Incremental`).
    pub fn demo() -> Seed {
        Seed {
            project_id: DEMO_PROJECT_ID.to_owned(),
            instances: vec![SeedInstance {
                instance_id: DEMO_INSTANCE_ID.to_owned(),
                tasks: DEMO_TASKS.iter().map(|t| (*t).to_owned()).collect(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_has_the_documented_ids() {
        let seed = Seed::demo();
        assert_eq!(seed.project_id, "2f6c8a4e1b3d4c5f9a7e6d5c4b3a2918");
        assert_eq!(seed.instances.len(), 1);
        let instance = &seed.instances[0];
        assert_eq!(instance.instance_id.len(), 36);
        assert!(instance.instance_id.ends_with("in17"));
        assert_eq!(
            instance.tasks,
            vec!["orders_sync", "users_sync", "payments_sync"]
        );
    }

    #[test]
    fn config_debug_hides_the_token() {
        let config = SimConfig {
            auth_token: "super-secret".to_owned(),
            access_keys: vec![("AKVISIBLE".to_owned(), "sk-hidden".to_owned())],
            iam_users: vec![IamUser {
                name: "alice".to_owned(),
                password: "pw-hidden".to_owned(),
                domain: "acme".to_owned(),
            }],
            ..Default::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("super-secret"), "{shown}");
        assert!(!shown.contains("sk-hidden"), "{shown}");
        assert!(!shown.contains("pw-hidden"), "{shown}");
        assert!(
            shown.contains("AKVISIBLE") && shown.contains("alice"),
            "{shown}"
        );
    }

    #[test]
    fn iam_user_specs() {
        let user = IamUser::from_spec("alice:pa:ss:acme").expect("valid");
        assert_eq!(user.name, "alice");
        assert_eq!(user.password, "pa:ss");
        assert_eq!(user.domain, "acme");
        for bad in [
            "",
            "alice",
            "alice:pw",
            "alice::acme",
            ":pw:acme",
            "alice:pw:",
        ] {
            let err = IamUser::from_spec(bad).expect_err(bad);
            assert!(!err.contains("pw"), "{err}");
        }
        assert_eq!(SimConfig::default().auth_token, "");
        let id = user.id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert_eq!(
            id,
            IamUser::from_spec("alice:other:acme").expect("valid").id()
        );
        assert_ne!(
            id,
            IamUser::from_spec("alice:pa:ss:other").expect("valid").id()
        );
    }
}
