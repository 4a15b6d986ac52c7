//! The `taurusdb` provider: its configuration and the resource types it serves.

use std::sync::{Arc, RwLock};

use crate::taurusdb::api::wait::WaitPolicy;
use crate::taurusdb::config::{self, Configured, EnvLookup, ProviderConfig, Settings};
use crate::taurusdb::pause::ReplicationPause;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::provider::{Provider, RequestContext, Resource};
use crate::tf::schema::Schema;
use crate::tf::value::Value;

/// Source address in docs and examples.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/taurusdb/taurusdb";

/// What resources share with their provider: the configuration, once it is known.
pub struct ProviderHandle {
    configured: RwLock<Option<Arc<Configured>>>,
}

impl ProviderHandle {
    /// The configured provider, or an error if ConfigureProvider has not succeeded.
    pub fn configured(&self) -> Result<Arc<Configured>, Diagnostic> {
        let guard = match self.configured.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.clone().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The taurusdb provider was not configured before use (ConfigureProvider was not called or failed).",
            )
        })
    }

    fn set(&self, configured: Configured) {
        let mut guard = match self.configured.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Some(Arc::new(configured));
    }
}

pub struct TaurusDbProvider {
    schema: Schema,
    handle: Arc<ProviderHandle>,
    env: Box<EnvLookup>,
    wait_policy: WaitPolicy,
}

impl TaurusDbProvider {
    /// A provider reading its environment fallbacks from the process environment.
    pub fn new() -> Self {
        Self::with_env(Box::new(|key| std::env::var(key).ok()))
    }

    /// A provider with its own environment (tests).
    pub fn with_env(env: Box<EnvLookup>) -> Self {
        Self {
            schema: config::schema(),
            handle: Arc::new(ProviderHandle {
                configured: RwLock::new(None),
            }),
            env,
            wait_policy: WaitPolicy::default(),
        }
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

    fn validate(&self, config: &Value) -> Diagnostics {
        match ProviderConfig::from_value(config) {
            Ok(config) => config.validate(),
            Err(d) => d.into(),
        }
    }

    async fn configure(&self, _ctx: &RequestContext, config: &Value) -> Diagnostics {
        let config = match ProviderConfig::from_value(config) {
            Ok(config) => config,
            Err(d) => return d.into(),
        };
        match Settings::resolve(&config, &*self.env).await {
            Ok(settings) => {
                tracing::debug!(
                    region = settings.region.as_deref().unwrap_or(""),
                    endpoint = settings.api_endpoint().as_deref().unwrap_or(""),
                    credentials = settings.credentials().map(|c| c.kind()).unwrap_or("none"),
                    "provider configured"
                );
                self.handle.set(Configured::new(settings));
                Diagnostics::new()
            }
            Err(diagnostics) => diagnostics,
        }
    }
}
