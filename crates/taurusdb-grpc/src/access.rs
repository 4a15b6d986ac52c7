//! The typed API's TaurusDB access: a client and the default project of the serving
//! process's own configuration, never anything a client sends; or, without one, what a
//! client is told (and, for an invalid configuration, what only the operator's log says).
//!
//! How the configuration is resolved (`serve --api-config`, the HW_* variables, which
//! credentials count) is the provider's business
//! ([`typed_api_setup`](crate::taurusdb::typed_api_setup)); this module holds only the
//! result, in `taurusdb_api` types.

use taurusdb_api::wait::WaitPolicy;
use taurusdb_api::{ApiClient, ApiError, DefaultProject};

/// What the typed API acts with: a client and the default project, or why there is none.
pub struct ServerApi {
    /// The access, or what a client is told: never the server's file paths or values.
    access: Result<Access, String>,
    /// Why the configuration is unusable, for the operator's log only.
    operator_detail: Option<String>,
}

/// What a client is told when the server's own configuration is invalid: the details
/// (file paths, hosts) are the operator's, in the server's log.
pub const INVALID_SERVER_CONFIGURATION: &str = "This server's TaurusDB configuration is \
    invalid; its operator can see why in the server's log.";

/// A usable configuration.
#[derive(Clone)]
pub struct Access {
    pub client: ApiClient,
    /// The project used when a request names none: configured, or the region's.
    pub default_project: DefaultProject,
    pub wait_policy: WaitPolicy,
}

impl Access {
    /// The default project: configured, or looked up for the server's region (once per
    /// process); None when there is neither.
    pub async fn default_project(
        &self,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<Option<String>, ApiError> {
        self.default_project.get(&self.client, cancel).await
    }
}

impl ServerApi {
    /// Acting with `client`; requests that name no project use `default_project`.
    pub fn configured(client: ApiClient, default_project: DefaultProject) -> Self {
        Self {
            access: Ok(Access {
                client,
                default_project,
                wait_policy: WaitPolicy::default(),
            }),
            operator_detail: None,
        }
    }

    /// No access; every call is answered FAILED_PRECONDITION with `reason`.
    pub fn unconfigured(reason: impl Into<String>) -> Self {
        Self {
            access: Err(reason.into()),
            operator_detail: None,
        }
    }

    /// No access because the configuration is invalid: clients are told only that
    /// ([`INVALID_SERVER_CONFIGURATION`]); `detail` is for the operator's log
    /// ([`ServerApi::operator_reason`]).
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self {
            access: Err(INVALID_SERVER_CONFIGURATION.to_string()),
            operator_detail: Some(detail.into()),
        }
    }

    /// Why the API cannot act, as the operator should read it (with the details a
    /// client is not told), or None when it can.
    pub fn operator_reason(&self) -> Option<&str> {
        match &self.access {
            Ok(_) => None,
            Err(reason) => Some(self.operator_detail.as_deref().unwrap_or(reason)),
        }
    }

    /// Poll timing of waits (tests shorten it).
    pub fn with_wait_policy(mut self, wait_policy: WaitPolicy) -> Self {
        if let Ok(access) = &mut self.access {
            access.wait_policy = wait_policy;
        }
        self
    }

    pub fn is_configured(&self) -> bool {
        self.access.is_ok()
    }

    /// The access, or what the operator must set.
    pub fn access(&self) -> Result<&Access, &str> {
        self.access.as_ref().map_err(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_configuration_tells_clients_only_that_it_is_invalid() {
        let api = ServerApi::invalid("HW_CA_FILE /etc/x: unreadable");
        assert_eq!(api.access().err(), Some(INVALID_SERVER_CONFIGURATION));
        assert_eq!(api.operator_reason(), Some("HW_CA_FILE /etc/x: unreadable"));
        let api = ServerApi::unconfigured("set things");
        assert_eq!(api.operator_reason(), Some("set things"));
    }
}
