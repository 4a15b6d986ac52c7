//! The live side of the simulated IAM, STS and ECS metadata service: what they currently
//! grant (agencies, identity providers, projects, switches, credential lifetime, changed by
//! tests through the handle) and what they issued (temporary credentials, metadata session
//! tokens, the id tokens presented).
//!
//! It lives inside the simulator's locked world (`SimState`) so handlers and the gateway see
//! one consistent view; the rules are plain methods, testable without HTTP.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use super::config::SimConfig;
use super::identities::{Agency, IamProject, OidcProvider};
use super::temporary::{CredentialEndpoint, Temporary, TemporaryStore, constant_time_eq, lifetime};

/// What the identity endpoints grant and what they issued.
pub(crate) struct IdentityState {
    pub agencies: Vec<Agency>,
    pub oidc_providers: Vec<OidcProvider>,
    pub projects: Vec<IamProject>,
    pub metadata_service: bool,
    pub metadata_session_tokens: bool,
    /// Longest lifetime of issued temporary credentials.
    pub lifetime: Duration,
    pub temporary: TemporaryStore,
    /// Metadata session tokens and their expiry.
    metadata_tokens: HashMap<String, SystemTime>,
    /// Every id token presented to the OIDC endpoint, in order.
    presented_id_tokens: Vec<String>,
}

impl fmt::Debug for IdentityState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityState")
            .field("agencies", &self.agencies)
            .field("oidc_providers", &self.oidc_providers)
            .field("projects", &self.projects)
            .field("metadata_service", &self.metadata_service)
            .field("metadata_session_tokens", &self.metadata_session_tokens)
            .field("lifetime", &self.lifetime)
            .field("temporary", &self.temporary)
            .field("metadata_tokens", &self.metadata_tokens.len())
            .field("presented_id_tokens", &self.presented_id_tokens.len())
            .finish()
    }
}

impl Default for IdentityState {
    fn default() -> IdentityState {
        IdentityState::new(&SimConfig::default(), "")
    }
}

impl IdentityState {
    /// The identity world of `config`; with no configured projects, `seed_project_id` is
    /// the project of the default region name.
    pub(crate) fn new(config: &SimConfig, seed_project_id: &str) -> IdentityState {
        let projects = if config.projects.is_empty() {
            vec![IamProject::default_region(seed_project_id)]
        } else {
            config.projects.clone()
        };
        IdentityState {
            agencies: config.agencies.clone(),
            oidc_providers: config.oidc_providers.clone(),
            projects,
            metadata_service: config.metadata_service,
            metadata_session_tokens: config.metadata_session_tokens,
            lifetime: config.temporary_credentials_lifetime,
            temporary: TemporaryStore::default(),
            metadata_tokens: HashMap::new(),
            presented_id_tokens: Vec::new(),
        }
    }

    /// The agency `agency_name` of the account named `domain_name`, if known.
    pub(crate) fn agency_in_domain_named(
        &self,
        domain_name: &str,
        agency_name: &str,
    ) -> Option<&Agency> {
        self.agencies
            .iter()
            .find(|a| a.domain_name == domain_name && a.agency_name == agency_name)
    }

    /// The agency `agency_name` of the account `domain_id`, if known.
    pub(crate) fn agency_in_domain_id(
        &self,
        domain_id: &str,
        agency_name: &str,
    ) -> Option<&Agency> {
        self.agencies
            .iter()
            .find(|a| a.domain_id == domain_id && a.agency_name == agency_name)
    }

    /// Records that `id_token` was presented, and says whether identity provider `idp_id`
    /// accepts it.
    pub(crate) fn present_id_token(&mut self, idp_id: &str, id_token: &str) -> bool {
        self.presented_id_tokens.push(id_token.to_owned());
        self.oidc_providers
            .iter()
            .filter(|p| p.idp_id == idp_id)
            .flat_map(|p| &p.id_tokens)
            .any(|t| constant_time_eq(t.as_bytes(), id_token.as_bytes()))
    }

    /// Every id token presented so far, in order.
    pub(crate) fn presented_id_tokens(&self) -> Vec<String> {
        self.presented_id_tokens.clone()
    }

    /// The identity provider `idp_id`, created (accepting nothing) if needed.
    pub(crate) fn oidc_provider_mut(&mut self, idp_id: &str) -> &mut OidcProvider {
        let index = match self.oidc_providers.iter().position(|p| p.idp_id == idp_id) {
            Some(index) => index,
            None => {
                self.oidc_providers.push(OidcProvider {
                    idp_id: idp_id.to_owned(),
                    id_tokens: Vec::new(),
                });
                self.oidc_providers.len() - 1
            }
        };
        &mut self.oidc_providers[index]
    }

    /// Projects named `name` (all projects when `None`).
    pub(crate) fn projects_named(&self, name: Option<&str>) -> Vec<IamProject> {
        self.projects
            .iter()
            .filter(|p| name.is_none_or(|n| p.name == n))
            .cloned()
            .collect()
    }

    /// Issues a metadata session token valid for `ttl` from `now`.
    pub(crate) fn issue_metadata_token(&mut self, ttl: Duration, now: SystemTime) -> String {
        let token = format!(
            "mdsim{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        self.metadata_tokens.insert(token.clone(), now + ttl);
        token
    }

    /// Whether `token` is a metadata session token still valid at `now`.
    pub(crate) fn metadata_token_is_valid(&self, token: &str, now: SystemTime) -> bool {
        self.metadata_tokens
            .get(token)
            .is_some_and(|expires| now < *expires)
    }

    /// Issues temporary credentials for `endpoint`, valid for the configured lifetime or the
    /// `requested` seconds if shorter, from `now`.
    pub(crate) fn issue_temporary(
        &mut self,
        endpoint: CredentialEndpoint,
        requested: Option<u64>,
        now: SystemTime,
    ) -> Temporary {
        let expires_at = now + lifetime(self.lifetime, requested);
        self.temporary.issue(endpoint, expires_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identities::{
        DEMO_AGENCY_NAME, DEMO_DOMAIN_ID, DEMO_DOMAIN_NAME, DEMO_ID_TOKEN, DEMO_IDP_ID,
    };

    #[test]
    fn demo_world_grants_the_demo_identities() {
        let mut identity = IdentityState::new(&SimConfig::default(), "proj");
        assert!(
            identity
                .agency_in_domain_named(DEMO_DOMAIN_NAME, DEMO_AGENCY_NAME)
                .is_some()
        );
        assert!(
            identity
                .agency_in_domain_id(DEMO_DOMAIN_ID, DEMO_AGENCY_NAME)
                .is_some()
        );
        assert!(
            identity
                .agency_in_domain_named(DEMO_DOMAIN_ID, DEMO_AGENCY_NAME)
                .is_none()
        );
        assert!(identity.present_id_token(DEMO_IDP_ID, DEMO_ID_TOKEN));
        assert!(!identity.present_id_token("other_idp", DEMO_ID_TOKEN));
        assert!(!identity.present_id_token(DEMO_IDP_ID, "forged"));
        assert_eq!(
            identity.presented_id_tokens(),
            [DEMO_ID_TOKEN, DEMO_ID_TOKEN, "forged"]
        );
        identity
            .oidc_provider_mut("new_idp")
            .id_tokens
            .push("t2".to_owned());
        assert!(identity.present_id_token("new_idp", "t2"));
        let projects = identity.projects_named(Some("cn-north-4"));
        assert_eq!(projects.len(), 1);
        assert_eq!(projects[0].id, "proj");
        assert!(identity.projects_named(Some("eu-west-101")).is_empty());
        assert!(!format!("{identity:?}").contains(DEMO_ID_TOKEN));
    }

    #[test]
    fn metadata_tokens_expire() {
        let mut identity = IdentityState::default();
        let now = SystemTime::now();
        let token = identity.issue_metadata_token(Duration::from_secs(10), now);
        assert!(identity.metadata_token_is_valid(&token, now));
        assert!(!identity.metadata_token_is_valid(&token, now + Duration::from_secs(10)));
        assert!(!identity.metadata_token_is_valid("other", now));
    }
}
