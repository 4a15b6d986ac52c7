//! The typed API's TaurusDB access: the serving process's own configuration, never
//! anything a client sends.
//!
//! It is the provider block, resolved exactly as for Terraform ([`Settings::resolve`]):
//! from `serve --api-config FILE` (the block as JSON, see [`config::file`]) and the HW_*
//! environment variables. The credential variables count only when the operator started
//! `serve` with `--credentials-from-env`, as for the tfplugin6 clients: a token that
//! happens to be in the environment is never lent without that consent. Without an
//! endpoint or credentials the API still serves, answering every call FAILED_PRECONDITION
//! with what the operator must set.
//!
//! [`config::file`]: crate::taurusdb::config::file

use std::sync::Arc;

use crate::taurusdb::config::{
    CREDENTIAL_CHOICES, Configured, CredentialProblem, EnvLookup, ProviderConfig, Settings, attrs,
    hint_all,
};
use crate::taurusdb::provider::{CREDENTIAL_SETTINGS, is_credential_variable};
use taurusdb_api::wait::WaitPolicy;
use taurusdb_api::{ApiClient, ApiError};

/// Where the server's configuration comes from, as the operator gave it.
#[derive(Debug, Clone, Default)]
pub struct ApiSetup {
    /// The provider block of `--api-config`, when given.
    pub file: Option<ProviderConfig>,
    /// `--credentials-from-env`: the HW_* credential variables may be used.
    pub credentials_from_env: bool,
}

/// A configuration the operator asked for that cannot work: `serve` does not start.
#[derive(Debug, Clone, thiserror::Error)]
#[error("--api-config: {0}")]
pub struct ApiSetupError(pub String);

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
    /// The project used when a request names none.
    pub default_project: Option<String>,
    /// Without a default project, whether the client looks up its region's.
    pub looks_up_project: bool,
    pub wait_policy: WaitPolicy,
}

impl Access {
    /// The default project: configured, or looked up for the server's region (once per
    /// process); None when there is neither.
    pub async fn default_project(
        &self,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<Option<String>, ApiError> {
        match (&self.default_project, self.looks_up_project) {
            (Some(project), _) => Ok(Some(project.clone())),
            (None, true) => self.client.default_project(cancel).await.map(Some),
            (None, false) => Ok(None),
        }
    }
}

impl ServerApi {
    /// Resolves the server's configuration. Errors in an `--api-config` the operator gave
    /// stop `serve`; without one, a problem only makes the API answer FAILED_PRECONDITION
    /// (the same environment serves the tfplugin6 clients, who may not need it).
    pub async fn resolve(setup: ApiSetup, env: Arc<EnvLookup>) -> Result<Self, ApiSetupError> {
        let from_file = setup.file.is_some();
        let config = setup.file.unwrap_or_default();
        let credentials_from_env = setup.credentials_from_env;
        let process_env = env.clone();
        let filtered = move |key: &str| {
            if is_credential_variable(key) && !credentials_from_env {
                None
            } else {
                process_env(key)
            }
        };
        let settings = match Settings::resolve(&config, &filtered).await {
            Ok(mut settings) => {
                // The machine's own identity is the server's: only with the flag.
                settings.machine_identity = credentials_from_env;
                settings
            }
            Err(diagnostics) => {
                let problems: Vec<String> = diagnostics
                    .iter()
                    .map(|d| format!("{}: {}", d.summary, d.detail))
                    .collect();
                let problems = problems.join("; ");
                if from_file {
                    return Err(ApiSetupError(problems));
                }
                return Ok(Self::invalid(format!(
                    "This server's TaurusDB configuration is invalid: {problems}"
                )));
            }
        };
        let ignored_env_credentials = !credentials_from_env
            && CREDENTIAL_SETTINGS
                .iter()
                .any(|s| env(s.env).is_some_and(|v| !v.trim().is_empty()));
        Ok(match what_is_missing(&settings, ignored_env_credentials) {
            Some(missing) => Self::unconfigured(missing),
            None => {
                let default_project = settings.project_id.clone();
                let looks_up_project = settings.region.is_some();
                let configured = Configured::new(settings);
                match configured.client() {
                    Ok(client) => {
                        let mut api = Self::configured(client.clone(), default_project);
                        if let Ok(access) = &mut api.access {
                            access.looks_up_project = looks_up_project;
                        }
                        api
                    }
                    Err(d) => Self::invalid(format!("{}: {}", d.summary, d.detail)),
                }
            }
        })
    }

    /// Acting with `client`; requests that name no project use `default_project`.
    pub fn configured(client: ApiClient, default_project: Option<String>) -> Self {
        Self {
            access: Ok(Access {
                client,
                default_project,
                looks_up_project: false,
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

    /// No access because the configuration is invalid: clients are told only that;
    /// `detail` is for the operator's log ([`ServerApi::operator_reason`]).
    fn invalid(detail: String) -> Self {
        Self {
            access: Err(INVALID_SERVER_CONFIGURATION.to_string()),
            operator_detail: Some(detail),
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

/// What the operator must add before the API can act, if anything.
fn what_is_missing(settings: &Settings, ignored_env_credentials: bool) -> Option<String> {
    let mut missing = Vec::new();
    if settings.api_endpoint().is_none() {
        missing.push(format!(
            "an endpoint: {} or {} in --api-config, or {} or {} in its environment",
            attrs::REGION.attr,
            attrs::ENDPOINT.attr,
            attrs::REGION.env,
            attrs::ENDPOINT.env
        ));
    }
    match settings.credentials() {
        Ok(_) => {}
        Err(CredentialProblem::HalfGiven(d)) => missing.push(d.detail),
        Err(CredentialProblem::Missing) => {
            let [token, aksk, password] = CREDENTIAL_CHOICES.map(hint_all);
            let mut text = format!(
                "credentials: one of {token}; {aksk}; or {password}, in --api-config, or as \
                 environment variables with --credentials-from-env"
            );
            if ignored_env_credentials {
                text.push_str(
                    " (credential variables are set in its environment, but are ignored \
                     without --credentials-from-env)",
                );
            }
            missing.push(text);
        }
    }
    if missing.is_empty() {
        return None;
    }
    Some(format!(
        "This server has no TaurusDB configuration to act with. Its operator must set {}.",
        missing.join("; and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(setup: ApiSetup, env: &[(&str, &str)]) -> Result<ServerApi, ApiSetupError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(ServerApi::resolve(setup, Arc::new(lookup)))
    }

    #[test]
    fn credential_variables_count_only_with_the_operators_consent() {
        let env = [
            ("HW_TAURUSDB_ENDPOINT", "http://127.0.0.1:9"),
            ("HW_AUTH_TOKEN", "server-token"),
        ];
        let without = resolve(ApiSetup::default(), &env).expect("serves");
        let reason = without.access().err().expect("no credentials").to_string();
        assert!(
            reason.contains("--credentials-from-env") && reason.contains("ignored"),
            "{reason}"
        );
        assert!(!reason.contains("server-token"), "{reason}");
        let with = resolve(
            ApiSetup {
                credentials_from_env: true,
                ..ApiSetup::default()
            },
            &env,
        )
        .expect("serves");
        assert!(with.is_configured());
    }

    #[test]
    fn the_file_configures_and_its_mistakes_stop_serve() {
        let file = |json: &str| ApiSetup {
            file: Some(crate::taurusdb::config::file::parse(json.as_bytes()).expect("json")),
            credentials_from_env: false,
        };
        let api = resolve(
            file(r#"{"endpoint": "http://127.0.0.1:9", "auth_token": "t", "project_id": "p1"}"#),
            &[],
        )
        .expect("serves");
        let access = api.access().expect("configured");
        assert_eq!(access.default_project.as_deref(), Some("p1"));

        let err = resolve(file(r#"{"endpoint": "ftp://admin:Pa55w0rd@x"}"#), &[])
            .err()
            .expect("refused");
        assert!(err.to_string().contains("endpoint"), "{err}");
        assert!(!err.to_string().contains("Pa55w0rd"), "{err}");
    }

    #[test]
    fn an_invalid_environment_is_explained_to_the_operator_not_to_clients() {
        let secret_dir = "/etc/internal/secret-dir/ca.pem";
        let api = resolve(
            ApiSetup {
                credentials_from_env: true,
                ..ApiSetup::default()
            },
            &[
                ("HW_TAURUSDB_ENDPOINT", "https://127.0.0.1:9"),
                ("HW_AUTH_TOKEN", "server-token"),
                ("HW_CA_FILE", secret_dir),
            ],
        )
        .expect("serves");
        let told = api.access().err().expect("unusable");
        assert_eq!(told, INVALID_SERVER_CONFIGURATION);
        let logged = api.operator_reason().expect("a reason");
        assert!(logged.contains(secret_dir), "{logged}");
        assert!(!logged.contains("server-token"), "{logged}");
    }

    #[test]
    fn nothing_configured_says_what_to_set() {
        let api = resolve(ApiSetup::default(), &[]).expect("serves");
        let reason = api.access().err().expect("unconfigured");
        for what in [
            "HW_REGION_NAME",
            "HW_TAURUSDB_ENDPOINT",
            "token (HW_AUTH_TOKEN)",
            "--api-config",
        ] {
            assert!(reason.contains(what), "{what} missing from {reason}");
        }
    }
}
