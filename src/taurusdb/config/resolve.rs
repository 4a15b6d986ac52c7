//! From the provider block and the environment to [`Settings`] (every fallback taken,
//! every value checked, secrets wrapped), to credentials, and to the API client a
//! resource gets ([`Configured`]).

use super::setting::{CREDENTIAL_CHOICES, Kind, Setting, attrs, hint_all};
use super::{EnvLookup, ProviderConfig, check_language, check_project_id, check_region, check_url};
use crate::taurusdb::api::ca_file::{self, CaFileError};
use crate::taurusdb::api::retry::RetryPolicy;
use crate::taurusdb::api::{
    ApiClient, ClientConfig, Credentials, IamPassword, ProjectScope, Secret, endpoint, signer,
};
use crate::tf::attr::Attr;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::path::AttrPath;

fn unusable_ca_file(path: &str, from_env: bool, err: &CaFileError) -> Diagnostic {
    let source = if from_env {
        format!(" (from {})", attrs::CA_FILE.env)
    } else {
        String::new()
    };
    Diagnostic::error(
        format!("Unreadable {}", attrs::CA_FILE.attr),
        format!("Could not use the CA file {path:?}{source}: {err}."),
    )
    .at(AttrPath::attr(attrs::CA_FILE.attr))
}

/// Settings after environment fallbacks; secrets wrapped so they never print.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub region: Option<String>,
    pub project_id: Option<String>,
    pub auth_token: Option<Secret>,
    pub access_key: Option<Secret>,
    pub secret_key: Option<Secret>,
    pub security_token: Option<Secret>,
    pub user_name: Option<String>,
    pub password: Option<Secret>,
    pub domain_name: Option<String>,
    pub auth_url: Option<String>,
    pub endpoint: Option<String>,
    pub language: Option<String>,
    pub max_retries: i64,
    pub insecure: bool,
    pub ca_pem: Option<Vec<u8>>,
}

/// Resolves each setting from config, then environment, collecting diagnostics.
struct Resolver<'a> {
    env: &'a EnvLookup,
    diagnostics: Diagnostics,
}

impl Resolver<'_> {
    /// A setting's value; an empty string counts as not set (a variable defaulting to
    /// "" must not become an empty token that outranks other credentials).
    fn text(&mut self, attr: &Attr<String>, setting: Setting) -> Option<String> {
        match attr {
            Attr::Known(v) => Some(v.clone()).filter(|v| !v.trim().is_empty()),
            Attr::Unknown => {
                self.diagnostics.push(unknown_at_configure(setting));
                None
            }
            Attr::Null => (self.env)(setting.env).filter(|v| !v.trim().is_empty()),
        }
    }

    fn secret(&mut self, attr: &Attr<String>, setting: Setting) -> Option<Secret> {
        self.text(attr, setting).map(Secret::new)
    }

    /// A text setting that must pass `check`. A configured value was checked with the
    /// block ([`ProviderConfig::validate`]); one from the environment is checked here,
    /// and the diagnostic names the variable.
    fn checked_text(
        &mut self,
        attr: &Attr<String>,
        setting: Setting,
        check: impl Fn(&str, Setting) -> Option<Diagnostic>,
    ) -> Option<String> {
        let value = self.text(attr, setting);
        if attr.is_null()
            && let Some(v) = &value
            && let Some(problem) = check(v, setting)
        {
            self.diagnostics.push(
                Diagnostic::error(
                    format!("Invalid {}", setting.env),
                    format!(
                        "{} (from {}): {}",
                        setting.attr, setting.env, problem.detail
                    ),
                )
                .at(AttrPath::attr(setting.attr)),
            );
        }
        value
    }

    /// A [`Kind::Count`] setting; its default when unset or invalid.
    fn count(&mut self, attr: &Attr<i64>, setting: Setting) -> i64 {
        let Kind::Count { default, min, max } = setting.kind else {
            return 0;
        };
        match attr {
            Attr::Known(n) => *n,
            Attr::Unknown => {
                self.diagnostics.push(unknown_at_configure(setting));
                default
            }
            Attr::Null => match (self.env)(setting.env) {
                None => default,
                Some(raw) => match raw.trim().parse::<i64>() {
                    Ok(n) if (min..=max).contains(&n) => n,
                    _ => {
                        self.diagnostics.push(Diagnostic::error(
                            format!("Invalid {}", setting.env),
                            format!(
                                "{} must be a whole number from {min} to {max}, got {raw:?}.",
                                setting.env
                            ),
                        ));
                        default
                    }
                },
            },
        }
    }

    fn flag(&mut self, attr: &Attr<bool>, setting: Setting) -> bool {
        match attr {
            Attr::Known(b) => *b,
            Attr::Unknown => {
                self.diagnostics.push(unknown_at_configure(setting));
                false
            }
            Attr::Null => match (self.env)(setting.env).as_deref().map(str::trim) {
                None | Some("") => false,
                Some(raw) => match raw.to_ascii_lowercase().as_str() {
                    "1" | "true" => true,
                    "0" | "false" => false,
                    _ => {
                        self.diagnostics.push(Diagnostic::error(
                            format!("Invalid {}", setting.env),
                            format!("{} must be true or false, got {raw:?}.", setting.env),
                        ));
                        false
                    }
                },
            },
        }
    }
}

impl Settings {
    /// The settings from the provider block and the environment. Async because the CA
    /// file is read on the blocking pool (see [`ca_file`]).
    pub async fn resolve(config: &ProviderConfig, env: &EnvLookup) -> Result<Self, Diagnostics> {
        let mut r = Resolver {
            env,
            diagnostics: config.validate(),
        };
        let language = r.checked_text(&config.language, attrs::LANGUAGE, check_language);
        let endpoint = r.checked_text(&config.endpoint, attrs::ENDPOINT, check_url);
        let auth_url = r.checked_text(&config.auth_url, attrs::AUTH_URL, check_url);
        let region = r.checked_text(&config.region, attrs::REGION, check_region);
        let ca_pem = match r.text(&config.ca_file, attrs::CA_FILE) {
            None => None,
            Some(path) => match ca_file::read_ca_file(path.clone().into()).await {
                Ok(pem) => Some(pem),
                Err(err) => {
                    let from_env = config.ca_file.is_null();
                    r.diagnostics.push(unusable_ca_file(&path, from_env, &err));
                    None
                }
            },
        };
        let settings = Self {
            region,
            project_id: r.checked_text(&config.project_id, attrs::PROJECT_ID, check_project_id),
            auth_token: r.secret(&config.auth_token, attrs::AUTH_TOKEN),
            access_key: r.secret(&config.access_key, attrs::ACCESS_KEY),
            secret_key: r.secret(&config.secret_key, attrs::SECRET_KEY),
            security_token: r.secret(&config.security_token, attrs::SECURITY_TOKEN),
            user_name: r.text(&config.user_name, attrs::USER_NAME),
            password: r.secret(&config.password, attrs::PASSWORD),
            domain_name: r.text(&config.domain_name, attrs::DOMAIN_NAME),
            auth_url,
            endpoint,
            language,
            max_retries: r.count(&config.max_retries, attrs::MAX_RETRIES),
            insecure: r.flag(&config.insecure, attrs::INSECURE),
            ca_pem,
        };
        let mut diagnostics = r.diagnostics;
        // An invalid region is reported once, above, not again as unusable credentials.
        let region_valid = settings
            .region
            .as_deref()
            .is_none_or(endpoint::is_region_name);
        if region_valid && let Err(CredentialProblem::HalfGiven(d)) = settings.credentials() {
            diagnostics.push(d);
        }
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        Ok(settings)
    }

    /// The endpoint to call: the override, else the region's.
    pub fn api_endpoint(&self) -> Option<String> {
        self.endpoint.clone().or_else(|| {
            self.region
                .as_deref()
                .and_then(|region| endpoint::regional(region, None))
        })
    }

    /// The credentials to use, in the order token > AK/SK > password.
    pub fn credentials(&self) -> Result<Credentials, CredentialProblem> {
        if let Some(token) = &self.auth_token {
            return Ok(Credentials::Token(token.clone()));
        }
        match (&self.access_key, &self.secret_key, &self.security_token) {
            (Some(access_key), Some(secret_key), _) => {
                return Ok(Credentials::AkSk(signer::Credentials {
                    access_key: access_key.clone(),
                    secret_key: secret_key.clone(),
                    security_token: self.security_token.clone(),
                }));
            }
            (Some(_), None, _) => return Err(half_given(attrs::ACCESS_KEY, attrs::SECRET_KEY)),
            (None, Some(_), _) => return Err(half_given(attrs::SECRET_KEY, attrs::ACCESS_KEY)),
            // A security token belongs to temporary AK/SK credentials.
            (None, None, Some(_)) => {
                return Err(half_given(attrs::SECURITY_TOKEN, attrs::ACCESS_KEY));
            }
            (None, None, None) => {}
        }
        if self.user_name.is_none() && self.password.is_none() {
            return Err(CredentialProblem::Missing);
        }
        let (Some(user_name), Some(password)) = (&self.user_name, &self.password) else {
            return Err(if self.user_name.is_some() {
                half_given(attrs::USER_NAME, attrs::PASSWORD)
            } else {
                half_given(attrs::PASSWORD, attrs::USER_NAME)
            });
        };
        let Some(domain_name) = &self.domain_name else {
            return Err(half_given(attrs::USER_NAME, attrs::DOMAIN_NAME));
        };
        let auth_url = match (&self.auth_url, &self.region) {
            (Some(url), _) => url.clone(),
            (None, Some(region)) => match endpoint::iam(region, None) {
                Some(url) => url,
                None => {
                    return Err(CredentialProblem::HalfGiven(
                        check_region(region, attrs::REGION).unwrap_or_else(|| {
                            Diagnostic::error(
                                format!("Invalid {}", attrs::REGION.attr),
                                format!("{} is not a region name.", attrs::REGION.attr),
                            )
                        }),
                    ));
                }
            },
            (None, None) => return Err(half_given(attrs::USER_NAME, attrs::AUTH_URL)),
        };
        let scope = match (&self.project_id, &self.region) {
            (Some(id), _) => ProjectScope::Id(id.clone()),
            (None, Some(region)) => ProjectScope::Name(region.clone()),
            (None, None) => return Err(half_given(attrs::USER_NAME, attrs::PROJECT_ID)),
        };
        Ok(Credentials::Password(IamPassword {
            user_name: user_name.clone(),
            password: password.clone(),
            domain_name: domain_name.clone(),
            auth_url,
            scope,
        }))
    }
}

/// Why no credentials can be used.
#[derive(Debug, Clone)]
pub enum CredentialProblem {
    /// None given at all: reported when a resource needs the API.
    Missing,
    /// Given in part: reported at configure time.
    HalfGiven(Diagnostic),
}

fn half_given(given: Setting, missing: Setting) -> CredentialProblem {
    CredentialProblem::HalfGiven(Diagnostic::error(
        "Incomplete TaurusDB credentials",
        format!(
            "{} is set, but {} is not. Set both, or use {}.",
            given.hint(),
            missing.hint(),
            attrs::AUTH_TOKEN.hint()
        ),
    ))
}

fn unknown_at_configure(setting: Setting) -> Diagnostic {
    Diagnostic::error(
        format!("Provider attribute {} is unknown", setting.attr),
        format!(
            "The value of {} depends on something known only after apply, but the provider \
             must be configured before planning. Use a known value, or set {} in the \
             environment instead.",
            setting.attr, setting.env
        ),
    )
    .at(AttrPath::attr(setting.attr))
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
            format!(
                "Set {} so the regional endpoint is used, or {} in the provider block.",
                attrs::REGION.or_env(),
                attrs::ENDPOINT.or_env()
            ),
        ));
    };
    let credentials = settings.credentials().map_err(|problem| match problem {
        CredentialProblem::HalfGiven(d) => d,
        CredentialProblem::Missing => {
            let [token, aksk, password] = CREDENTIAL_CHOICES.map(hint_all);
            Diagnostic::error(
                "Missing TaurusDB credentials",
                format!(
                    "Set one of: {token}; {aksk}; or {password} in the provider block or the \
                     environment."
                ),
            )
        }
    })?;
    let mut config = ClientConfig::new(endpoint, credentials);
    config.language = settings.language.clone();
    config.retry = RetryPolicy {
        max_retries: u32::try_from(settings.max_retries).unwrap_or(0),
        ..RetryPolicy::default()
    };
    config.ca_pem = settings.ca_pem.clone();
    config.insecure = settings.insecure;
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

    /// Resolves on a runtime of its own (the CA file is read on its blocking pool).
    fn resolve(config: &ProviderConfig, pairs: &[(&str, &str)]) -> Result<Settings, Diagnostics> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(Settings::resolve(config, &*env(pairs)))
    }

    #[test]
    fn config_wins_over_environment() {
        let config = ProviderConfig {
            region: Attr::Known("cn-north-4".into()),
            ..Default::default()
        };
        let settings = resolve(
            &config,
            &[
                ("HW_REGION_NAME", "ap-southeast-1"),
                ("HW_PROJECT_ID", "p1"),
            ],
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
        let err = resolve(&config, &[]).expect_err("unknown token");
        let d = &err.0[0];
        assert!(d.summary.contains("auth_token"));
        assert!(d.detail.contains("HW_AUTH_TOKEN"));
        assert_eq!(d.path, Some(AttrPath::attr("auth_token")));
    }

    #[test]
    fn missing_credentials_are_reported_when_a_client_is_needed() {
        let settings = resolve(
            &ProviderConfig::default(),
            &[("HW_REGION_NAME", "cn-north-4")],
        )
        .expect("settings");
        let configured = Configured::new(settings);
        let err = configured.client().expect_err("no credentials");
        assert!(err.detail.contains("HW_AUTH_TOKEN"));
        assert!(err.detail.contains("HW_ACCESS_KEY"));
    }

    #[test]
    fn bad_language_from_env_is_rejected() {
        let err = resolve(&ProviderConfig::default(), &[("HW_LANGUAGE", "fr-fr")])
            .expect_err("bad language");
        assert!(err.0[0].summary.contains("HW_LANGUAGE"));
    }

    #[test]
    fn credentials_follow_token_then_aksk_then_password() {
        let all = [
            ("HW_AUTH_TOKEN", "t"),
            ("HW_ACCESS_KEY", "ak"),
            ("HW_SECRET_KEY", "sk"),
            ("HW_USER_NAME", "u"),
            ("HW_USER_PASSWORD", "p"),
            ("HW_DOMAIN_NAME", "d"),
            ("HW_REGION_NAME", "cn-north-4"),
        ];
        let kind = |pairs: &[(&str, &str)]| {
            resolve(&ProviderConfig::default(), pairs)
                .expect("settings")
                .credentials()
                .map(|c| c.kind())
                .ok()
        };
        assert_eq!(kind(&all), Some("token"));
        assert_eq!(kind(&all[1..]), Some("aksk"));
        assert_eq!(kind(&all[3..]), Some("password"));
    }

    #[test]
    fn password_auth_derives_iam_url_and_scope_from_region() {
        let settings = resolve(
            &ProviderConfig::default(),
            &[
                ("HW_USER_NAME", "u"),
                ("HW_USER_PASSWORD", "p"),
                ("HW_DOMAIN_NAME", "d"),
                ("HW_REGION_NAME", "eu-west-101"),
            ],
        )
        .expect("settings");
        let Ok(Credentials::Password(iam)) = settings.credentials() else {
            panic!("password credentials expected");
        };
        assert_eq!(iam.auth_url, "https://iam.eu-west-101.myhuaweicloud.eu/v3");
        assert_eq!(iam.scope, ProjectScope::Name("eu-west-101".into()));
    }

    #[test]
    fn half_given_credentials_are_an_error_at_configure() {
        let err = resolve(&ProviderConfig::default(), &[("HW_ACCESS_KEY", "ak")])
            .expect_err("secret key missing");
        let detail = &err.0[0].detail;
        assert!(
            detail.contains("secret_key") && detail.contains("HW_SECRET_KEY"),
            "{detail}"
        );
        assert!(!detail.contains("ak\""), "no secret values in diagnostics");
        let err = resolve(
            &ProviderConfig::default(),
            &[("HW_USER_NAME", "u"), ("HW_USER_PASSWORD", "p")],
        )
        .expect_err("domain missing");
        assert!(err.0[0].detail.contains("HW_DOMAIN_NAME"));
    }

    #[test]
    fn a_security_token_without_access_keys_is_incomplete() {
        let err = resolve(&ProviderConfig::default(), &[("HW_SECURITY_TOKEN", "st")])
            .expect_err("incomplete");
        assert!(err.0[0].detail.contains("HW_ACCESS_KEY"), "{:?}", err.0[0]);
        // With a token it does not matter.
        assert!(
            resolve(
                &ProviderConfig::default(),
                &[("HW_SECURITY_TOKEN", "st"), ("HW_AUTH_TOKEN", "t")]
            )
            .is_ok()
        );
    }

    #[test]
    fn unreadable_ca_file_points_at_the_attribute() {
        let config = ProviderConfig {
            ca_file: Attr::Known("/nonexistent/ca.pem".into()),
            ..Default::default()
        };
        let err = resolve(&config, &[]).expect_err("unreadable");
        assert_eq!(err.0[0].path, Some(AttrPath::attr("ca_file")));
    }

    #[test]
    fn empty_credentials_in_config_count_as_unset() {
        let config = ProviderConfig {
            auth_token: Attr::Known(String::new()),
            ..Default::default()
        };
        let settings = resolve(&config, &[("HW_ACCESS_KEY", "ak"), ("HW_SECRET_KEY", "sk")])
            .expect("settings");
        assert_eq!(settings.credentials().map(|c| c.kind()).ok(), Some("aksk"));
    }

    #[test]
    fn debug_output_hides_credentials() {
        let config = ProviderConfig {
            auth_token: Attr::Known("tok-123".into()),
            secret_key: Attr::Known("sk-456".into()),
            password: Attr::Known("pw-789".into()),
            ..Default::default()
        };
        let text = format!("{config:?}");
        for secret in ["tok-123", "sk-456", "pw-789"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    #[test]
    fn a_region_must_be_a_region_name_in_config_and_environment() {
        let config = ProviderConfig {
            region: Attr::Known("x@127.0.0.1:9/".into()),
            ..Default::default()
        };
        let err = resolve(&config, &[]).expect_err("not a region");
        assert_eq!(err.0.len(), 1, "{:?}", err.0);
        assert_eq!(err.0[0].path, Some(AttrPath::attr("region")));
        // From the environment, with password credentials whose IAM URL would be derived
        // from it: one diagnostic, at region.
        let err = resolve(
            &ProviderConfig::default(),
            &[
                ("HW_REGION_NAME", "cn-north-4.evil.example"),
                ("HW_USER_NAME", "u"),
                ("HW_USER_PASSWORD", "p"),
                ("HW_DOMAIN_NAME", "d"),
            ],
        )
        .expect_err("not a region");
        assert_eq!(err.0.len(), 1, "{:?}", err.0);
        assert_eq!(err.0[0].path, Some(AttrPath::attr("region")));
        assert!(err.0[0].detail.contains("HW_REGION_NAME"));
        // Settings built some other way still never derive a URL from it.
        let settings = Settings {
            region: Some("x@127.0.0.1:9/".into()),
            ..Default::default()
        };
        assert_eq!(settings.api_endpoint(), None);
    }

    #[test]
    fn urls_with_userinfo_are_refused_without_repeating_them() {
        for (attr, env) in [
            ("endpoint", "HW_TAURUSDB_ENDPOINT"),
            ("auth_url", "HW_AUTH_URL"),
        ] {
            let url = "https://admin:Pa55@gaussdb.example.com";
            let mut config = ProviderConfig::default();
            match attr {
                "endpoint" => config.endpoint = Attr::Known(url.into()),
                _ => config.auth_url = Attr::Known(url.into()),
            }
            let err = resolve(&config, &[]).expect_err("userinfo");
            assert_eq!(err.0[0].path, Some(AttrPath::attr(attr)));
            let err_env = resolve(&ProviderConfig::default(), &[(env, url)]).expect_err("userinfo");
            assert_eq!(err_env.0[0].path, Some(AttrPath::attr(attr)));
            for d in err.0.iter().chain(err_env.0.iter()) {
                assert!(
                    !d.detail.contains("Pa55") && !d.summary.contains("Pa55"),
                    "{d:?}"
                );
            }
        }
    }

    #[test]
    fn insecure_reads_booleans_from_env() {
        let settings = resolve(&ProviderConfig::default(), &[("HW_INSECURE", "true")]).expect("ok");
        assert!(settings.insecure);
        assert!(resolve(&ProviderConfig::default(), &[("HW_INSECURE", "maybe")]).is_err());
    }
}
