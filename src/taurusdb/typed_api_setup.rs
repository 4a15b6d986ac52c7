//! The typed API's TaurusDB configuration, resolved: the serving process's own, never
//! anything a client sends. The gRPC service gets only the result
//! ([`ServerApi`]: a client and the default project, or why there is none).
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
use taurusdb_grpc::ServerApi;

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

/// Resolves the server's configuration. Errors in an `--api-config` the operator gave
/// stop `serve`; without one, a problem only makes the API answer FAILED_PRECONDITION
/// (the same environment serves the tfplugin6 clients, who may not need it).
pub async fn resolve(setup: ApiSetup, env: Arc<EnvLookup>) -> Result<ServerApi, ApiSetupError> {
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
            return Ok(ServerApi::invalid(format!(
                "This server's TaurusDB configuration is invalid: {problems}"
            )));
        }
    };
    let ignored_env_credentials = !credentials_from_env
        && CREDENTIAL_SETTINGS
            .iter()
            .any(|s| env(s.env).is_some_and(|v| !v.trim().is_empty()));
    Ok(match what_is_missing(&settings, ignored_env_credentials) {
        Some(missing) => ServerApi::unconfigured(missing),
        None => {
            let configured = Configured::new(settings);
            match configured.client() {
                Ok(client) => ServerApi::configured(
                    client.clone(),
                    configured.default_project_source().clone(),
                ),
                Err(d) => ServerApi::invalid(format!("{}: {}", d.summary, d.detail)),
            }
        }
    })
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
    use taurusdb_grpc::access::INVALID_SERVER_CONFIGURATION;

    fn resolve_with(setup: ApiSetup, env: &[(&str, &str)]) -> Result<ServerApi, ApiSetupError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(resolve(setup, Arc::new(lookup)))
    }

    #[test]
    fn credential_variables_count_only_with_the_operators_consent() {
        let env = [
            ("HW_TAURUSDB_ENDPOINT", "http://127.0.0.1:9"),
            ("HW_AUTH_TOKEN", "server-token"),
        ];
        let without = resolve_with(ApiSetup::default(), &env).expect("serves");
        let reason = without.access().err().expect("no credentials").to_string();
        assert!(
            reason.contains("--credentials-from-env") && reason.contains("ignored"),
            "{reason}"
        );
        assert!(!reason.contains("server-token"), "{reason}");
        let with = resolve_with(
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
        let api = resolve_with(
            file(r#"{"endpoint": "http://127.0.0.1:9", "auth_token": "t", "project_id": "p1"}"#),
            &[],
        )
        .expect("serves");
        let access = api.access().expect("configured");
        assert_eq!(access.default_project.configured(), Some("p1"));

        let err = resolve_with(file(r#"{"endpoint": "ftp://admin:Pa55w0rd@x"}"#), &[])
            .err()
            .expect("refused");
        assert!(err.to_string().contains("endpoint"), "{err}");
        assert!(!err.to_string().contains("Pa55w0rd"), "{err}");
    }

    #[test]
    fn an_invalid_environment_is_explained_to_the_operator_not_to_clients() {
        let secret_dir = "/etc/internal/secret-dir/ca.pem";
        let api = resolve_with(
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
        let api = resolve_with(ApiSetup::default(), &[]).expect("serves");
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
