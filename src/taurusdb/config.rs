//! The `provider "taurusdb"` block: its schema, its typed form, and how each setting
//! falls back to its environment variable.
//!
//! Rules: a configured value wins over its environment variable; a value unknown at
//! configure time is an error naming the attribute and variable; missing credentials
//! are reported only when a resource needs them (see [`Configured::client`]).

use crate::taurusdb::api::{ApiClient, ClientConfig, Secret, endpoint};
use crate::tf::attr::Attr;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::path::AttrPath;
use crate::tf::schema::{Attribute, Block, Presence, Schema};
use crate::tf::types::Type;
use crate::tf::value::Value;

/// Attribute names of the provider block, with their environment variables.
pub mod attrs {
    pub const REGION: (&str, &str) = ("region", "HW_REGION_NAME");
    pub const PROJECT_ID: (&str, &str) = ("project_id", "HW_PROJECT_ID");
    pub const AUTH_TOKEN: (&str, &str) = ("auth_token", "HW_AUTH_TOKEN");
    pub const ACCESS_KEY: (&str, &str) = ("access_key", "HW_ACCESS_KEY");
    pub const SECRET_KEY: (&str, &str) = ("secret_key", "HW_SECRET_KEY");
    pub const ENDPOINT: (&str, &str) = ("endpoint", "HW_TAURUSDB_ENDPOINT");
    pub const LANGUAGE: (&str, &str) = ("language", "HW_LANGUAGE");
    pub const MAX_RETRIES: (&str, &str) = ("max_retries", "HW_MAX_RETRIES");
}

pub const LANGUAGES: [&str; 2] = ["en-us", "zh-cn"];
pub const DEFAULT_MAX_RETRIES: i64 = 5;

/// Reads an environment variable; injectable so tests need not touch the process env.
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The provider block's schema.
pub fn schema() -> Schema {
    let text = |(name, _): (&'static str, &'static str), description: &'static str| {
        Attribute::new(name, Type::String, Presence::Optional).describe(description)
    };
    Schema::new(
        0,
        Block {
            attributes: vec![
                text(
                    attrs::REGION,
                    "Huawei Cloud region, e.g. `cn-north-4`; picks the regional endpoint. Env: `HW_REGION_NAME`.",
                ),
                text(
                    attrs::PROJECT_ID,
                    "Default project ID for resources. Env: `HW_PROJECT_ID`.",
                ),
                text(
                    attrs::AUTH_TOKEN,
                    "IAM token sent as `X-Auth-Token`. Env: `HW_AUTH_TOKEN`.",
                )
                .sensitive(),
                text(
                    attrs::ACCESS_KEY,
                    "Access key for AK/SK request signing. Env: `HW_ACCESS_KEY`.",
                )
                .sensitive(),
                text(
                    attrs::SECRET_KEY,
                    "Secret key for AK/SK request signing. Env: `HW_SECRET_KEY`.",
                )
                .sensitive(),
                text(
                    attrs::ENDPOINT,
                    "TaurusDB API endpoint; overrides the regional one. Env: `HW_TAURUSDB_ENDPOINT`.",
                ),
                text(
                    attrs::LANGUAGE,
                    "Language of API messages: `en-us` or `zh-cn` (`X-Language`). Env: `HW_LANGUAGE`.",
                ),
                Attribute::new(attrs::MAX_RETRIES.0, Type::Number, Presence::Optional).describe(
                    "How often a throttled request is retried (default 5). Env: `HW_MAX_RETRIES`.",
                ),
            ],
            blocks: Vec::new(),
            description: "Pauses TaurusDB HTAP (StarRocks) data synchronization tasks.",
        },
    )
}

/// The provider block as Terraform sent it.
#[derive(Debug, Clone, Default)]
pub struct ProviderConfig {
    pub region: Attr<String>,
    pub project_id: Attr<String>,
    pub auth_token: Attr<String>,
    pub access_key: Attr<String>,
    pub secret_key: Attr<String>,
    pub endpoint: Attr<String>,
    pub language: Attr<String>,
    pub max_retries: Attr<i64>,
}

impl ProviderConfig {
    pub fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        Ok(Self {
            region: Attr::read(value, attrs::REGION.0)?,
            project_id: Attr::read(value, attrs::PROJECT_ID.0)?,
            auth_token: Attr::read(value, attrs::AUTH_TOKEN.0)?,
            access_key: Attr::read(value, attrs::ACCESS_KEY.0)?,
            secret_key: Attr::read(value, attrs::SECRET_KEY.0)?,
            endpoint: Attr::read(value, attrs::ENDPOINT.0)?,
            language: Attr::read(value, attrs::LANGUAGE.0)?,
            max_retries: Attr::read(value, attrs::MAX_RETRIES.0)?,
        })
    }

    /// Checks of configured values that do not depend on the environment.
    pub fn validate(&self) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        if let Some(language) = self.language.known() {
            diagnostics.extend(
                check_language(language, attrs::LANGUAGE.0)
                    .into_iter()
                    .collect(),
            );
        }
        if let Some(endpoint) = self.endpoint.known() {
            diagnostics.extend(check_endpoint(endpoint).into_iter().collect());
        }
        if let Some(retries) = self.max_retries.known()
            && !(0..=100).contains(retries)
        {
            diagnostics.push(
                Diagnostic::error(
                    "Invalid max_retries",
                    format!("max_retries must be between 0 and 100, got {retries}."),
                )
                .at(AttrPath::attr(attrs::MAX_RETRIES.0)),
            );
        }
        for (attr, name) in [
            (&self.region, attrs::REGION.0),
            (&self.project_id, attrs::PROJECT_ID.0),
        ] {
            if attr.known().is_some_and(|v| v.trim().is_empty()) {
                diagnostics.push(
                    Diagnostic::error(
                        format!("Empty {name}"),
                        format!("{name} must not be empty when set."),
                    )
                    .at(AttrPath::attr(name)),
                );
            }
        }
        diagnostics
    }
}

fn check_language(language: &str, attr: &str) -> Option<Diagnostic> {
    (!LANGUAGES.contains(&language)).then(|| {
        Diagnostic::error(
            "Invalid language",
            format!("language must be one of {LANGUAGES:?}, got {language:?}."),
        )
        .at(AttrPath::attr(attr))
    })
}

fn check_endpoint(endpoint: &str) -> Option<Diagnostic> {
    let ok = endpoint.starts_with("https://") || endpoint.starts_with("http://");
    (!ok).then(|| {
        Diagnostic::error(
            "Invalid endpoint",
            format!("endpoint must be an http:// or https:// URL, got {endpoint:?}."),
        )
        .at(AttrPath::attr(attrs::ENDPOINT.0))
    })
}

/// Settings after environment fallbacks; secrets wrapped so they never print.
#[derive(Debug, Clone)]
pub struct Settings {
    pub region: Option<String>,
    pub project_id: Option<String>,
    pub auth_token: Option<Secret>,
    pub access_key: Option<Secret>,
    pub secret_key: Option<Secret>,
    pub endpoint: Option<String>,
    pub language: Option<String>,
    pub max_retries: i64,
}

impl Settings {
    pub fn resolve(config: &ProviderConfig, env: &EnvLookup) -> Result<Self, Diagnostics> {
        let mut diagnostics = config.validate();
        let mut text = |attr: &Attr<String>, (name, var): (&str, &str)| -> Option<String> {
            match attr {
                Attr::Known(v) => Some(v.clone()),
                Attr::Unknown => {
                    diagnostics.push(unknown_at_configure(name, var));
                    None
                }
                Attr::Null => env(var).filter(|v| !v.trim().is_empty()),
            }
        };
        let region = text(&config.region, attrs::REGION);
        let project_id = text(&config.project_id, attrs::PROJECT_ID);
        let auth_token = text(&config.auth_token, attrs::AUTH_TOKEN).map(Secret::new);
        let access_key = text(&config.access_key, attrs::ACCESS_KEY).map(Secret::new);
        let secret_key = text(&config.secret_key, attrs::SECRET_KEY).map(Secret::new);
        let endpoint = text(&config.endpoint, attrs::ENDPOINT);
        let language = text(&config.language, attrs::LANGUAGE);
        let max_retries = match &config.max_retries {
            Attr::Known(n) => *n,
            Attr::Unknown => {
                diagnostics.push(unknown_at_configure(
                    attrs::MAX_RETRIES.0,
                    attrs::MAX_RETRIES.1,
                ));
                DEFAULT_MAX_RETRIES
            }
            Attr::Null => {
                match env(attrs::MAX_RETRIES.1) {
                    None => DEFAULT_MAX_RETRIES,
                    Some(raw) => match raw.trim().parse::<i64>() {
                        Ok(n) if (0..=100).contains(&n) => n,
                        _ => {
                            diagnostics.push(Diagnostic::error(
                            "Invalid HW_MAX_RETRIES",
                            format!("HW_MAX_RETRIES must be a whole number from 0 to 100, got {raw:?}."),
                        ));
                            DEFAULT_MAX_RETRIES
                        }
                    },
                }
            }
        };
        // Values from the environment get the same checks as configured ones.
        if config.language.is_null()
            && let Some(language) = &language
            && !LANGUAGES.contains(&language.as_str())
        {
            diagnostics.push(Diagnostic::error(
                "Invalid HW_LANGUAGE",
                format!("HW_LANGUAGE must be one of {LANGUAGES:?}, got {language:?}."),
            ));
        }
        if config.endpoint.is_null()
            && let Some(endpoint) = &endpoint
            && check_endpoint(endpoint).is_some()
        {
            diagnostics.push(Diagnostic::error(
                "Invalid HW_TAURUSDB_ENDPOINT",
                format!(
                    "HW_TAURUSDB_ENDPOINT must be an http:// or https:// URL, got {endpoint:?}."
                ),
            ));
        }
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        Ok(Self {
            region,
            project_id,
            auth_token,
            access_key,
            secret_key,
            endpoint,
            language,
            max_retries,
        })
    }

    /// The endpoint to call: the override, else the region's.
    pub fn api_endpoint(&self) -> Option<String> {
        self.endpoint
            .clone()
            .or_else(|| self.region.as_deref().map(endpoint::regional))
    }
}

fn unknown_at_configure(name: &str, var: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Provider attribute {name} is unknown"),
        format!(
            "The value of {name} depends on something known only after apply, but the provider must be configured before planning. Use a known value, or set {var} in the environment instead."
        ),
    )
    .at(AttrPath::attr(name))
}

/// The provider after ConfigureProvider: settings plus the API client, or the reason
/// there is none (reported when a resource needs it).
#[derive(Debug)]
pub struct Configured {
    pub settings: Settings,
    client: Result<ApiClient, Diagnostic>,
}

impl Configured {
    pub fn new(settings: Settings) -> Self {
        let client = build_client(&settings);
        Self { settings, client }
    }

    /// The API client, or a diagnostic naming what is missing.
    pub fn client(&self) -> Result<&ApiClient, Diagnostic> {
        self.client.as_ref().map_err(Clone::clone)
    }
}

fn build_client(settings: &Settings) -> Result<ApiClient, Diagnostic> {
    let Some(endpoint) = settings.api_endpoint() else {
        return Err(Diagnostic::error(
            "No TaurusDB endpoint configured",
            "Set region (or HW_REGION_NAME) so the regional endpoint is used, or endpoint (or HW_TAURUSDB_ENDPOINT) in the provider block.",
        ));
    };
    let Some(token) = settings.auth_token.clone() else {
        let detail = if settings.access_key.is_some() || settings.secret_key.is_some() {
            "access_key/secret_key (HW_ACCESS_KEY/HW_SECRET_KEY) were given, but AK/SK request signing is not available in this version yet. Set auth_token (or HW_AUTH_TOKEN) in the provider block."
        } else {
            "Set auth_token (or HW_AUTH_TOKEN) in the provider block to an IAM token."
        };
        return Err(Diagnostic::error("Missing TaurusDB credentials", detail));
    };
    let mut config = ClientConfig::new(endpoint, token);
    config.language = settings.language.clone();
    ApiClient::new(config)
        .map_err(|err| Diagnostic::error("Invalid TaurusDB client configuration", err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Box<EnvLookup> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Box::new(move |key| map.get(key).cloned())
    }

    #[test]
    fn config_wins_over_environment() {
        let config = ProviderConfig {
            region: Attr::Known("cn-north-4".into()),
            ..Default::default()
        };
        let settings = Settings::resolve(
            &config,
            &*env(&[
                ("HW_REGION_NAME", "ap-southeast-1"),
                ("HW_PROJECT_ID", "p1"),
            ]),
        )
        .expect("settings");
        assert_eq!(settings.region.as_deref(), Some("cn-north-4"));
        assert_eq!(settings.project_id.as_deref(), Some("p1"));
        assert_eq!(
            settings.api_endpoint().as_deref(),
            Some("https://gaussdb.cn-north-4.myhuaweicloud.com")
        );
    }

    #[test]
    fn unknown_values_name_attribute_and_variable() {
        let config = ProviderConfig {
            auth_token: Attr::Unknown,
            ..Default::default()
        };
        let err = Settings::resolve(&config, &*env(&[])).expect_err("unknown token");
        let d = &err.0[0];
        assert!(d.summary.contains("auth_token"));
        assert!(d.detail.contains("HW_AUTH_TOKEN"));
        assert_eq!(d.path, Some(AttrPath::attr("auth_token")));
    }

    #[test]
    fn missing_credentials_are_reported_when_a_client_is_needed() {
        let settings = Settings::resolve(
            &ProviderConfig::default(),
            &*env(&[("HW_REGION_NAME", "cn-north-4")]),
        )
        .expect("settings");
        let configured = Configured::new(settings);
        let err = configured.client().expect_err("no token");
        assert!(err.detail.contains("HW_AUTH_TOKEN"));
    }

    #[test]
    fn bad_language_from_env_is_rejected() {
        let err = Settings::resolve(
            &ProviderConfig::default(),
            &*env(&[("HW_LANGUAGE", "fr-fr")]),
        )
        .expect_err("bad language");
        assert!(err.0[0].summary.contains("HW_LANGUAGE"));
    }
}
