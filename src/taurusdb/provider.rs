//! The `taurusdb` provider: its configuration and the resource, action, list resource
//! and data source types it serves.
//!
//! Where the configuration lives and which environment variables may fill it depend on
//! who the provider serves ([`Audience`]): Terraform (one client, pinned by mTLS) gets
//! one process-wide configuration with every environment fallback; the clients of
//! `serve` each get their own, and the server's credentials only when its operator
//! allows it and only for the hosts the operator configured.

use std::sync::Arc;

use crate::taurusdb::action::ReplicationAction;
use crate::taurusdb::api::endpoint::is_region_name;
use crate::taurusdb::api::wait::WaitPolicy;
use crate::taurusdb::config::{
    self, CREDENTIAL_CHOICES, Configured, EnvLookup, ProviderConfig, Setting, Settings, attr_list,
    attrs,
};
use crate::taurusdb::discovery::Provider as Discovery;
use crate::taurusdb::discovery::list::ReplicationPauseList;
use crate::taurusdb::discovery::tasks::ReplicationTasks;
use crate::taurusdb::handle::ProviderHandle;
use crate::taurusdb::pause::ReplicationPause;
use crate::tf::action::Action as TfAction;
use crate::tf::attr::Attr;
use crate::tf::data_source::DataSource;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::list::ListResource;
use crate::tf::path::AttrPath;
use crate::tf::provider::{Provider, RequestContext, Resource};
use crate::tf::schema::Schema;
use crate::tf::value::Value;

/// Source address in docs and examples.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/taurusdb/taurusdb";

/// The settings that are credentials: in `serve` mode their environment variables
/// apply only with the operator's consent.
pub const CREDENTIAL_SETTINGS: [Setting; 7] = [
    attrs::AUTH_TOKEN,
    attrs::ACCESS_KEY,
    attrs::SECRET_KEY,
    attrs::SECURITY_TOKEN,
    attrs::USER_NAME,
    attrs::PASSWORD,
    attrs::DOMAIN_NAME,
];

/// Who the provider serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Audience {
    /// Terraform (plugin and debug modes): the only client. One configuration for the
    /// whole process (a reconnect keeps it) and every environment fallback, as
    /// Terraform users expect.
    #[default]
    Terraform,
    /// Any gRPC client of `serve`: each connection configures its own provider.
    /// Credentials come from the environment only with `credentials_from_env`, and
    /// then never for an endpoint, IAM URL or TLS setting the client chose.
    Clients { credentials_from_env: bool },
}

pub struct TaurusDbProvider {
    schema: Schema,
    handle: Arc<ProviderHandle>,
    env: Arc<EnvLookup>,
    wait_policy: WaitPolicy,
    audience: Audience,
}

impl TaurusDbProvider {
    /// A provider for Terraform reading its environment fallbacks from the process
    /// environment.
    pub fn new() -> Self {
        Self::with_env(Box::new(|key| std::env::var(key).ok()))
    }

    /// A provider with its own environment (tests).
    pub fn with_env(env: Box<EnvLookup>) -> Self {
        Self {
            schema: config::schema(),
            handle: Arc::new(ProviderHandle::per_process()),
            env: Arc::from(env),
            wait_policy: WaitPolicy::default(),
            audience: Audience::Terraform,
        }
    }

    /// Who is served: decides where configuration lives and which environment
    /// variables apply.
    pub fn for_audience(mut self, audience: Audience) -> Self {
        self.audience = audience;
        self.handle = Arc::new(match audience {
            Audience::Terraform => ProviderHandle::per_process(),
            Audience::Clients { .. } => ProviderHandle::per_connection(),
        });
        self
    }

    /// Poll timing for waits (tests shorten it).
    pub fn with_wait_policy(mut self, wait_policy: WaitPolicy) -> Self {
        self.wait_policy = wait_policy;
        self
    }

    /// Whether the environment's credentials may fill this configuration. An error
    /// (at the attribute) when a client asks the server to send its credentials to a
    /// host or over a channel the client chose.
    fn env_credentials_allowed(&self, config: &ProviderConfig) -> Result<bool, Diagnostic> {
        let Audience::Clients {
            credentials_from_env,
        } = self.audience
        else {
            return Ok(true);
        };
        if !credentials_from_env {
            return Ok(false);
        }
        let Some(chosen) = client_chosen_channel(config) else {
            return Ok(true);
        };
        let client_brings_credentials = [
            &config.auth_token,
            &config.access_key,
            &config.secret_key,
            &config.security_token,
            &config.user_name,
            &config.password,
            &config.domain_name,
        ]
        .into_iter()
        .any(|attr| !attr.is_null());
        let env_has_credentials = CREDENTIAL_SETTINGS
            .iter()
            .any(|s| (self.env)(s.env).is_some_and(|v| !v.trim().is_empty()));
        if env_has_credentials && !client_brings_credentials {
            let [token, aksk, password] = CREDENTIAL_CHOICES.map(attr_list);
            return Err(Diagnostic::error(
                "Server credentials are not lent to client-chosen hosts",
                format!(
                    "{CREDENTIALS_STAY_HOME} A client that sets {chosen} must supply its own \
                     credentials in the provider configuration ({token}, {aksk}, or \
                     {password}); nothing was sent."
                ),
            )
            .at(AttrPath::attr(chosen)));
        }
        // The client's own credentials only: never mixed with the server's.
        Ok(false)
    }
}

/// The first attribute by which a client chose where (or how safely) requests go:
/// `endpoint`, `auth_url`, `insecure = true`, `ca_file`, or a `region` that is not a
/// plain region name (it becomes part of the endpoint's host).
fn client_chosen_channel(config: &ProviderConfig) -> Option<&'static str> {
    let set = |attr: &Attr<String>| attr.known().is_some_and(|v| !v.trim().is_empty());
    if config.region.known().is_some_and(|r| !is_region_name(r)) {
        Some(attrs::REGION.attr)
    } else if set(&config.endpoint) {
        Some(attrs::ENDPOINT.attr)
    } else if set(&config.auth_url) {
        Some(attrs::AUTH_URL.attr)
    } else if config.insecure.known() == Some(&true) {
        Some(attrs::INSECURE.attr)
    } else if set(&config.ca_file) {
        Some(attrs::CA_FILE.attr)
    } else {
        None
    }
}

const CREDENTIALS_STAY_HOME: &str = "This server uses its own TaurusDB credentials \
     (--credentials-from-env) only with the endpoints and TLS settings its operator configured.";

impl Default for TaurusDbProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[tonic::async_trait]
impl Provider for TaurusDbProvider {
    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(ReplicationPause::new(
            self.handle.clone(),
            self.wait_policy,
        ))]
    }

    fn actions(&self) -> Vec<Arc<dyn TfAction>> {
        ReplicationAction::both(&self.handle, self.wait_policy)
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![Arc::new(ReplicationPauseList::new(Discovery(
            self.handle.clone(),
        )))]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(ReplicationTasks::new(Discovery(
            self.handle.clone(),
        )))]
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match ProviderConfig::from_value(config) {
            Ok(config) => config.validate(),
            Err(d) => d.into(),
        }
    }

    async fn configure(&self, ctx: &RequestContext, config: &Value) -> Diagnostics {
        let config = match ProviderConfig::from_value(config) {
            Ok(config) => config,
            Err(d) => return d.into(),
        };
        let env_credentials = match self.env_credentials_allowed(&config) {
            Ok(allowed) => allowed,
            Err(d) => return d.into(),
        };
        let process_env = self.env.clone();
        let env = move |key: &str| {
            let is_credential = CREDENTIAL_SETTINGS.iter().any(|s| s.env == key);
            if is_credential && !env_credentials {
                None
            } else {
                process_env(key)
            }
        };
        match Settings::resolve(&config, &env).await {
            Ok(settings) => {
                tracing::debug!(
                    region = settings.region.as_deref().unwrap_or(""),
                    endpoint = settings.api_endpoint().as_deref().unwrap_or(""),
                    credentials = settings.credentials().map(|c| c.kind()).unwrap_or("none"),
                    session = ctx.session.as_ref().map(|s| s.id()),
                    "provider configured"
                );
                match self.handle.set(ctx, Configured::new(settings)) {
                    Ok(()) => Diagnostics::new(),
                    Err(d) => d.into(),
                }
            }
            Err(diagnostics) => diagnostics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_are_plain() {
        for good in ["cn-north-4", "ap-southeast-1", "la-south-2", "cn-east-3"] {
            assert!(is_region_name(good), "{good}");
        }
        for bad in [
            "x@127.0.0.1:8080/",
            "cn",
            "CN-north-4",
            "cn-",
            "cn-north-4.evil.com",
            "cn--4",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_client_that_picks_the_host_does_not_get_the_servers_credentials() {
        let provider = TaurusDbProvider::with_env(Box::new(|key| {
            (key == "HW_AUTH_TOKEN").then(|| "server-token".to_string())
        }))
        .for_audience(Audience::Clients {
            credentials_from_env: true,
        });
        let with = |attr: &str, value: Attr<String>| {
            let mut config = ProviderConfig::default();
            match attr {
                "endpoint" => config.endpoint = value,
                "auth_url" => config.auth_url = value,
                "ca_file" => config.ca_file = value,
                "region" => config.region = value,
                _ => unreachable!(),
            }
            config
        };
        for attr in ["endpoint", "auth_url", "ca_file"] {
            let refused = provider
                .env_credentials_allowed(&with(attr, Attr::Known("https://x".into())))
                .expect_err(attr);
            assert_eq!(refused.path, Some(AttrPath::attr(attr)));
        }
        let insecure = ProviderConfig {
            insecure: Attr::Known(true),
            ..ProviderConfig::default()
        };
        assert!(provider.env_credentials_allowed(&insecure).is_err());
        assert!(
            provider
                .env_credentials_allowed(&with("region", Attr::Known("x@127.0.0.1:1/".into())))
                .is_err()
        );
        assert_eq!(
            provider.env_credentials_allowed(&with("region", Attr::Known("cn-north-4".into()))),
            Ok(true)
        );
        // Its own credentials: allowed, and the server's are not mixed in.
        let mut own = with("endpoint", Attr::Known("https://x".into()));
        own.auth_token = Attr::Known("client-token".into());
        assert_eq!(provider.env_credentials_allowed(&own), Ok(false));
    }
}
