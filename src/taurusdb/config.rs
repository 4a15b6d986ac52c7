//! The `provider "taurusdb"` block: its schema, its typed form, and how each setting
//! falls back to its environment variable.
//!
//! Rules: a configured value wins over its environment variable; a value unknown at
//! configure time is an error naming the attribute and variable; credentials are chosen
//! in the order token > AK/SK > password; half-given credentials are an error at
//! configure time; missing ones are reported only when a resource needs them (see
//! [`Configured::client`]). Settings that pick where credentials go (region, endpoint,
//! auth_url) are checked at configure, from the block and from the environment alike,
//! before any URL is built from them; the CA file is read off the async workers.

use crate::taurusdb::api::ca_file::{self, CaFileError};
use crate::taurusdb::api::endpoint::UrlProblem;
use crate::taurusdb::api::retry::RetryPolicy;
use crate::taurusdb::api::{
    ApiClient, ClientConfig, Credentials, IamPassword, ProjectScope, Secret, endpoint, signer,
};
use crate::tf::attr::Attr;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::path::AttrPath;
use crate::tf::schema::{Attribute, Block, Presence, Schema};
use crate::tf::types::Type;
use crate::tf::value::Value;

/// One provider setting, the one place its facts live: attribute, environment variable,
/// kind (with default and range) and what it does. The schema, the environment
/// fallbacks and every message that names a setting are built from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub attr: &'static str,
    pub env: &'static str,
    pub kind: Kind,
    /// What it does, as one sentence without its environment variable (the schema
    /// description adds the default and the variable).
    pub about: &'static str,
}

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A credential value: sensitive in the schema, a [`Secret`] once read.
    Secret,
    Flag,
    /// A whole number from `min` to `max`, `default` when not set.
    Count {
        default: i64,
        min: i64,
        max: i64,
    },
}

impl Setting {
    const fn new(attr: &'static str, env: &'static str, kind: Kind, about: &'static str) -> Self {
        Self {
            attr,
            env,
            kind,
            about,
        }
    }

    /// `attr (ENV)`, as messages name a setting.
    pub fn hint(self) -> String {
        hint_all(&[self])
    }

    /// `attr (or ENV)`, as messages say where to set it.
    pub fn or_env(self) -> String {
        format!("{} (or {})", self.attr, self.env)
    }

    /// The attribute of the provider block's schema.
    fn attribute(self) -> Attribute {
        let (ty, default) = match self.kind {
            Kind::Text | Kind::Secret => (Type::String, String::new()),
            Kind::Flag => (Type::Bool, String::new()),
            Kind::Count { default, .. } => (Type::Number, format!(" (default {default})")),
        };
        let about = self.about.strip_suffix('.').unwrap_or(self.about);
        let description = format!("{about}{default}. Env: `{}`.", self.env);
        let attribute = Attribute::new(self.attr, ty, Presence::Optional).describe(description);
        if self.kind == Kind::Secret {
            attribute.sensitive()
        } else {
            attribute
        }
    }
}

/// `a, b and c (A, B, C)`: settings named together in a message.
pub fn hint_all(settings: &[Setting]) -> String {
    let envs: Vec<&str> = settings.iter().map(|s| s.env).collect();
    format!("{} ({})", attr_list(settings), envs.join(", "))
}

/// `a, b and c`.
pub fn attr_list(settings: &[Setting]) -> String {
    let names: Vec<&str> = settings.iter().map(|s| s.attr).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// The provider block's settings, in schema order.
pub mod attrs {
    use super::{Kind, Setting};

    pub const REGION: Setting = Setting::new(
        "region",
        "HW_REGION_NAME",
        Kind::Text,
        "Huawei Cloud region, e.g. `cn-north-4` (lowercase letters, digits and dashes); \
         picks the regional endpoints.",
    );
    pub const PROJECT_ID: Setting = Setting::new(
        "project_id",
        "HW_PROJECT_ID",
        Kind::Text,
        "Default project ID for resources.",
    );
    pub const AUTH_TOKEN: Setting = Setting::new(
        "auth_token",
        "HW_AUTH_TOKEN",
        Kind::Secret,
        "IAM token sent as `X-Auth-Token`; used before any other credential.",
    );
    pub const ACCESS_KEY: Setting = Setting::new(
        "access_key",
        "HW_ACCESS_KEY",
        Kind::Secret,
        "Access key for AK/SK request signing.",
    );
    pub const SECRET_KEY: Setting = Setting::new(
        "secret_key",
        "HW_SECRET_KEY",
        Kind::Secret,
        "Secret key for AK/SK request signing.",
    );
    pub const SECURITY_TOKEN: Setting = Setting::new(
        "security_token",
        "HW_SECURITY_TOKEN",
        Kind::Secret,
        "Security token of temporary AK/SK credentials.",
    );
    pub const USER_NAME: Setting = Setting::new(
        "user_name",
        "HW_USER_NAME",
        Kind::Text,
        "IAM user name for password authentication.",
    );
    pub const PASSWORD: Setting = Setting::new(
        "password",
        "HW_USER_PASSWORD",
        Kind::Secret,
        "IAM user password.",
    );
    pub const DOMAIN_NAME: Setting = Setting::new(
        "domain_name",
        "HW_DOMAIN_NAME",
        Kind::Text,
        "Account (domain) name of the IAM user.",
    );
    pub const AUTH_URL: Setting = Setting::new(
        "auth_url",
        "HW_AUTH_URL",
        Kind::Text,
        "IAM endpoint, e.g. `https://iam.cn-north-4.myhuaweicloud.com/v3`; derived from \
         region when unset. No user name or password in the URL.",
    );
    pub const ENDPOINT: Setting = Setting::new(
        "endpoint",
        "HW_TAURUSDB_ENDPOINT",
        Kind::Text,
        "TaurusDB API endpoint; overrides the regional one. No user name or password in \
         the URL.",
    );
    pub const LANGUAGE: Setting = Setting::new(
        "language",
        "HW_LANGUAGE",
        Kind::Text,
        "Language of API messages: `en-us` or `zh-cn` (`X-Language`).",
    );
    pub const MAX_RETRIES: Setting = Setting::new(
        "max_retries",
        "HW_MAX_RETRIES",
        Kind::Count {
            default: 5,
            min: 0,
            max: 100,
        },
        "How often a throttled or busy request is retried.",
    );
    pub const INSECURE: Setting = Setting::new(
        "insecure",
        "HW_INSECURE",
        Kind::Flag,
        "Skip TLS certificate verification (private clouds only).",
    );
    pub const CA_FILE: Setting = Setting::new(
        "ca_file",
        "HW_CA_FILE",
        Kind::Text,
        "PEM file with extra CA certificates to trust (a regular file of at most 1 MiB).",
    );

    /// Every setting, in schema order.
    pub const ALL: [Setting; 15] = [
        REGION,
        PROJECT_ID,
        AUTH_TOKEN,
        ACCESS_KEY,
        SECRET_KEY,
        SECURITY_TOKEN,
        USER_NAME,
        PASSWORD,
        DOMAIN_NAME,
        AUTH_URL,
        ENDPOINT,
        LANGUAGE,
        MAX_RETRIES,
        INSECURE,
        CA_FILE,
    ];
}

pub const LANGUAGES: [&str; 2] = ["en-us", "zh-cn"];

/// Reads an environment variable; injectable so tests need not touch the process env.
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The provider block's schema.
pub fn schema() -> Schema {
    Schema::new(
        0,
        Block {
            attributes: attrs::ALL.into_iter().map(Setting::attribute).collect(),
            blocks: Vec::new(),
            description: "Pauses TaurusDB HTAP (StarRocks) data synchronization tasks.",
        },
    )
}

/// The provider block as Terraform sent it. Its Debug output hides the credentials.
#[derive(Clone, Default)]
pub struct ProviderConfig {
    pub region: Attr<String>,
    pub project_id: Attr<String>,
    pub auth_token: Attr<String>,
    pub access_key: Attr<String>,
    pub secret_key: Attr<String>,
    pub security_token: Attr<String>,
    pub user_name: Attr<String>,
    pub password: Attr<String>,
    pub domain_name: Attr<String>,
    pub auth_url: Attr<String>,
    pub endpoint: Attr<String>,
    pub language: Attr<String>,
    pub max_retries: Attr<i64>,
    pub insecure: Attr<bool>,
    pub ca_file: Attr<String>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |attr: &Attr<String>| match attr {
            Attr::Known(_) => "Known(***)",
            Attr::Unknown => "Unknown",
            Attr::Null => "Null",
        };
        f.debug_struct("ProviderConfig")
            .field("region", &self.region)
            .field("project_id", &self.project_id)
            .field("auth_token", &hidden(&self.auth_token))
            .field("access_key", &hidden(&self.access_key))
            .field("secret_key", &hidden(&self.secret_key))
            .field("security_token", &hidden(&self.security_token))
            .field("user_name", &self.user_name)
            .field("password", &hidden(&self.password))
            .field("domain_name", &self.domain_name)
            .field("auth_url", &self.auth_url)
            .field("endpoint", &self.endpoint)
            .field("language", &self.language)
            .field("max_retries", &self.max_retries)
            .field("insecure", &self.insecure)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl ProviderConfig {
    pub fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        Ok(Self {
            region: Attr::read(value, attrs::REGION.attr)?,
            project_id: Attr::read(value, attrs::PROJECT_ID.attr)?,
            auth_token: Attr::read(value, attrs::AUTH_TOKEN.attr)?,
            access_key: Attr::read(value, attrs::ACCESS_KEY.attr)?,
            secret_key: Attr::read(value, attrs::SECRET_KEY.attr)?,
            security_token: Attr::read(value, attrs::SECURITY_TOKEN.attr)?,
            user_name: Attr::read(value, attrs::USER_NAME.attr)?,
            password: Attr::read(value, attrs::PASSWORD.attr)?,
            domain_name: Attr::read(value, attrs::DOMAIN_NAME.attr)?,
            auth_url: Attr::read(value, attrs::AUTH_URL.attr)?,
            endpoint: Attr::read(value, attrs::ENDPOINT.attr)?,
            language: Attr::read(value, attrs::LANGUAGE.attr)?,
            max_retries: Attr::read(value, attrs::MAX_RETRIES.attr)?,
            insecure: Attr::read(value, attrs::INSECURE.attr)?,
            ca_file: Attr::read(value, attrs::CA_FILE.attr)?,
        })
    }

    /// Checks of configured values that do not depend on the environment.
    pub fn validate(&self) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        if let Some(language) = self.language.known() {
            diagnostics.extend(
                check_language(language, attrs::LANGUAGE)
                    .into_iter()
                    .collect(),
            );
        }
        for (attr, setting) in [
            (&self.endpoint, attrs::ENDPOINT),
            (&self.auth_url, attrs::AUTH_URL),
        ] {
            if let Some(url) = attr.known() {
                diagnostics.extend(check_url(url, setting).into_iter().collect());
            }
        }
        if let Some(region) = self.region.known()
            && !region.trim().is_empty()
        {
            diagnostics.extend(check_region(region, attrs::REGION).into_iter().collect());
        }
        if let Some(retries) = self.max_retries.known() {
            diagnostics.extend(
                check_count(*retries, attrs::MAX_RETRIES)
                    .into_iter()
                    .collect(),
            );
        }
        for (attr, setting) in [
            (&self.region, attrs::REGION),
            (&self.project_id, attrs::PROJECT_ID),
        ] {
            if attr.known().is_some_and(|v| v.trim().is_empty()) {
                diagnostics.push(
                    Diagnostic::error(
                        format!("Empty {}", setting.attr),
                        format!("{} must not be empty when set.", setting.attr),
                    )
                    .at(AttrPath::attr(setting.attr)),
                );
            }
        }
        diagnostics
    }
}

fn check_language(language: &str, setting: Setting) -> Option<Diagnostic> {
    (!LANGUAGES.contains(&language)).then(|| {
        Diagnostic::error(
            format!("Invalid {}", setting.attr),
            format!(
                "{} must be one of {LANGUAGES:?}, got {language:?}.",
                setting.attr
            ),
        )
        .at(AttrPath::attr(setting.attr))
    })
}

/// A configured number outside its setting's range.
fn check_count(value: i64, setting: Setting) -> Option<Diagnostic> {
    let Kind::Count { min, max, .. } = setting.kind else {
        return None;
    };
    (!(min..=max).contains(&value)).then(|| {
        Diagnostic::error(
            format!("Invalid {}", setting.attr),
            format!(
                "{} must be between {min} and {max}, got {value}.",
                setting.attr
            ),
        )
        .at(AttrPath::attr(setting.attr))
    })
}

/// The client's own URL check ([`endpoint::check_url`]), as a diagnostic. A URL with a
/// user name or password is not repeated.
fn check_url(url: &str, setting: Setting) -> Option<Diagnostic> {
    let problem = endpoint::check_url(url).err()?;
    let detail = match problem {
        UrlProblem::Userinfo => format!("{} {problem}.", setting.attr),
        UrlProblem::NotHttp => format!(
            "{} {problem}, got {}.",
            setting.attr,
            endpoint::quoted_for_error(url)
        ),
    };
    Some(
        Diagnostic::error(format!("Invalid {}", setting.attr), detail)
            .at(AttrPath::attr(setting.attr)),
    )
}

/// A region becomes part of the endpoint and IAM host names: only region names pass.
fn check_region(region: &str, setting: Setting) -> Option<Diagnostic> {
    (!endpoint::is_region_name(region)).then(|| {
        Diagnostic::error(
            format!("Invalid {}", setting.attr),
            format!(
                "{} must be a region name ({}), got {region:?}.",
                setting.attr,
                endpoint::REGION_FORMAT
            ),
        )
        .at(AttrPath::attr(setting.attr))
    })
}

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

    /// A value from the environment gets the same check as a configured one.
    fn env_checked(
        &mut self,
        attr_is_null: bool,
        value: Option<String>,
        setting: Setting,
        check: impl Fn(&str, Setting) -> Option<Diagnostic>,
    ) -> Option<String> {
        if attr_is_null
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
        let language = r.text(&config.language, attrs::LANGUAGE);
        let language = r.env_checked(
            config.language.is_null(),
            language,
            attrs::LANGUAGE,
            check_language,
        );
        let endpoint = r.text(&config.endpoint, attrs::ENDPOINT);
        let endpoint = r.env_checked(
            config.endpoint.is_null(),
            endpoint,
            attrs::ENDPOINT,
            check_url,
        );
        let auth_url = r.text(&config.auth_url, attrs::AUTH_URL);
        let auth_url = r.env_checked(
            config.auth_url.is_null(),
            auth_url,
            attrs::AUTH_URL,
            check_url,
        );
        let region = r.text(&config.region, attrs::REGION);
        let region = r.env_checked(config.region.is_null(), region, attrs::REGION, check_region);
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
            project_id: r.text(&config.project_id, attrs::PROJECT_ID),
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
        self.endpoint
            .clone()
            .or_else(|| self.region.as_deref().and_then(endpoint::regional))
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
            (None, Some(region)) => match endpoint::iam(region) {
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

/// The settings of each way to authenticate, in the order they are chosen.
pub const CREDENTIAL_CHOICES: [&[Setting]; 3] = [
    &[attrs::AUTH_TOKEN],
    &[attrs::ACCESS_KEY, attrs::SECRET_KEY],
    &[attrs::USER_NAME, attrs::PASSWORD, attrs::DOMAIN_NAME],
];

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
