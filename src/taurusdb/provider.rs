//! The `taurusdb` provider: its configuration and the resource, action, list resource
//! and data source types it serves.
//!
//! Where the configuration lives and which environment variables may fill it depend on
//! who the provider serves ([`Audience`]): Terraform (one client, pinned by mTLS) gets
//! one process-wide configuration with every environment fallback; the clients of
//! `serve` each get their own, within what [`serve_clients`] lets them ask (the
//! server's credentials only when its operator allows it and only for the hosts the
//! operator configured; no `ca_file`; `insecure` only for their own credentials at
//! their own endpoint).

use std::sync::Arc;

use crate::taurusdb::action::ReplicationAction;
use crate::taurusdb::config::{
    self, Configured, EnvLookup, ProviderConfig, Setting, Settings, assume_role, attrs, oidc,
};
use crate::taurusdb::discovery::Provider as Discovery;
use crate::taurusdb::discovery::list::ReplicationPauseList;
use crate::taurusdb::discovery::tasks::ReplicationTasks;
use crate::taurusdb::handle::ProviderHandle;
use crate::taurusdb::pause::ReplicationPause;
use crate::taurusdb::serve_clients;
use taurusdb_api::wait::WaitPolicy;
use tfplugin::tf::action::Action as TfAction;
use tfplugin::tf::data_source::DataSource;
use tfplugin::tf::diagnostics::Diagnostics;
use tfplugin::tf::list::ListResource;
use tfplugin::tf::provider::{Provider, RequestContext, Resource};
use tfplugin::tf::schema::Schema;
use tfplugin::tf::value::Value;

/// Source address in docs and examples.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/taurusdb/taurusdb";

/// The settings that are credentials or say where the server's own come from (its
/// shared config file, its agencies, its OIDC token): in `serve` mode their environment
/// variables apply only with the operator's consent.
pub const CREDENTIAL_SETTINGS: [Setting; 16] = [
    attrs::TOKEN,
    attrs::ACCESS_KEY,
    attrs::SECRET_KEY,
    attrs::SECURITY_TOKEN,
    attrs::USER_NAME,
    attrs::USER_ID,
    attrs::PASSWORD,
    attrs::DOMAIN_NAME,
    attrs::DOMAIN_ID,
    attrs::SHARED_CONFIG_FILE,
    attrs::PROFILE,
    assume_role::AGENCY_NAME,
    assume_role::DOMAIN_NAME,
    assume_role::DOMAIN_ID,
    oidc::IDP_ID,
    oidc::ID_TOKEN,
];

/// Variables that only matter beside the credential ones (still the server's own).
pub const CREDENTIAL_COMPANIONS: [Setting; 2] = [oidc::ID_TOKEN_FILE, assume_role::DURATION];

/// Whether `key` is a variable of the server's own credentials.
pub fn is_credential_variable(key: &str) -> bool {
    !key.is_empty()
        && CREDENTIAL_SETTINGS
            .iter()
            .chain(&CREDENTIAL_COMPANIONS)
            .any(|s| s.env == key)
        || key == "HOME"
}

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
}

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
        let env_credentials = match self.audience {
            Audience::Terraform => true,
            Audience::Clients {
                credentials_from_env,
            } => match serve_clients::check(&config, credentials_from_env, &*self.env) {
                Ok(allowed) => allowed,
                Err(d) => return d.into(),
            },
        };
        let process_env = self.env.clone();
        let env = move |key: &str| {
            if is_credential_variable(key) && !env_credentials {
                None
            } else {
                process_env(key)
            }
        };
        match Settings::resolve(&config, &env).await {
            Ok(mut settings) => {
                // The machine's own identity (the ECS metadata service) is the server's
                // credentials too: lent only when its environment's are.
                settings.machine_identity = env_credentials;
                let configured = Configured::new(settings);
                // What the client was built with, not the credentials chosen a second time.
                let client = configured.client().ok();
                tracing::debug!(
                    region = configured.settings.region().unwrap_or(""),
                    endpoint = client.map_or("", |c| c.endpoint()),
                    credentials = client.map_or("none", |c| c.credentials_kind()),
                    session = ctx.session.as_ref().map(|s| s.id()),
                    "provider configured"
                );
                match self.handle.set(ctx, configured) {
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
    use taurusdb_api::endpoint::is_region_name;

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
}
