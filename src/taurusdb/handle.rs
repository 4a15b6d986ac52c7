//! [`ProviderHandle`]: what the provider shares with its resources (and whatever else
//! serves requests for it): the configuration, once ConfigureProvider has set it, for
//! the whole process or for one client connection.

use std::sync::{Arc, RwLock};

use crate::taurusdb::config::Configured;
use tfplugin::tf::diagnostics::Diagnostic;
use tfplugin::tf::provider::RequestContext;

/// One configuration slot: the process's, or one connection's.
#[derive(Default)]
struct ConfiguredSlot(RwLock<Option<Arc<Configured>>>);

impl ConfiguredSlot {
    fn get(&self) -> Option<Arc<Configured>> {
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, configured: Configured) {
        let mut guard = match self.0.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Some(Arc::new(configured));
    }
}

/// What resources share with their provider: the configuration, once it is known.
pub struct ProviderHandle {
    scope: StateScope,
}

/// Where configurations live.
enum StateScope {
    /// One for the whole process.
    Process(Arc<ConfiguredSlot>),
    /// One per client connection, kept in its [`Session`](tfplugin::session::Session).
    PerSession,
}

impl ProviderHandle {
    /// One configuration for the whole process (Terraform: a reconnect keeps it).
    pub fn per_process() -> Self {
        Self {
            scope: StateScope::Process(Arc::default()),
        }
    }

    /// One configuration per client connection (`serve`).
    pub fn per_connection() -> Self {
        Self {
            scope: StateScope::PerSession,
        }
    }

    /// The configuration slot a request sees; none for a request without a
    /// connection when each connection has its own.
    fn slot(&self, ctx: &RequestContext) -> Option<Arc<ConfiguredSlot>> {
        match &self.scope {
            StateScope::Process(slot) => Some(slot.clone()),
            StateScope::PerSession => ctx.session.as_ref().map(|s| s.value::<ConfiguredSlot>()),
        }
    }

    /// The configured provider, or an error if ConfigureProvider has not succeeded (on
    /// this connection, when each connection has its own).
    pub fn configured(&self, ctx: &RequestContext) -> Result<Arc<Configured>, Diagnostic> {
        self.slot(ctx).and_then(|slot| slot.get()).ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The taurusdb provider was not configured before use (ConfigureProvider was \
                 not called or failed).",
            )
        })
    }

    /// Keeps the configuration for the requests that follow (on this connection, when
    /// each connection has its own).
    pub fn set(&self, ctx: &RequestContext, configured: Configured) -> Result<(), Diagnostic> {
        let slot = self.slot(ctx).ok_or_else(|| {
            Diagnostic::error(
                "No client connection",
                "This server keeps one configuration per client connection, and this request \
                 arrived without one.",
            )
        })?;
        slot.set(configured);
        Ok(())
    }
}
