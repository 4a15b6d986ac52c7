//! The `provider "taurusdb"` block: its schema, its typed form ([`ProviderConfig`]), and
//! how each setting falls back to its environment variable ([`resolve`]); the settings
//! themselves are listed once, in [`setting`]; [`file`] reads the block from JSON (the
//! typed API's `serve --api-config`); [`shared_file`] reads a profile of the hcloud CLI's
//! shared config file.
//!
//! Rules: a configured value wins over its environment variable; a value unknown at
//! configure time is an error naming the attribute and variable; credentials are chosen
//! in the order token > AK/SK > password; half-given credentials are an error at
//! configure time; missing ones are reported only when a resource needs them (see
//! [`Configured::client`]). Settings that pick where credentials go (region, endpoint,
//! auth_url) are checked at configure, from the block and from the environment alike,
//! before any URL is built from them; the CA file is read off the async workers.

pub mod file;
pub mod resolve;
pub mod setting;
pub mod shared_file;

pub use resolve::{Configured, CredentialProblem, Settings};
pub use setting::{CREDENTIAL_CHOICES, Kind, LANGUAGES, Setting, attr_list, attrs, hint_all};

use crate::taurusdb::api::endpoint::{self, UrlProblem};
use crate::tf::attr::Attr;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::path::AttrPath;
use crate::tf::schema::{Block, Schema};
use crate::tf::value::Value;

/// Reads an environment variable; injectable so tests need not touch the process env.
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The provider block's schema.
pub fn schema() -> Schema {
    Schema::new(
        0,
        Block {
            attributes: attrs::ALL.into_iter().map(Setting::attribute).collect(),
            blocks: Vec::new(),
            description: "The `taurusdb` provider pauses and resumes Huawei Cloud TaurusDB \
                          HTAP (StarRocks) data synchronization tasks. Every setting is \
                          optional and falls back to its environment variable.",
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

    /// Whether the block sets any credential (token, AK/SK, IAM password) itself: a
    /// value that is not blank (blank counts as unset), or one not known yet.
    pub fn brings_credentials(&self) -> bool {
        [
            &self.auth_token,
            &self.access_key,
            &self.secret_key,
            &self.security_token,
            &self.user_name,
            &self.password,
            &self.domain_name,
        ]
        .into_iter()
        .any(|attr| match attr {
            Attr::Known(value) => !value.trim().is_empty(),
            Attr::Unknown => true,
            Attr::Null => false,
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
        if let Some(project_id) = self.project_id.known()
            && !project_id.trim().is_empty()
        {
            diagnostics.extend(
                check_project_id(project_id, attrs::PROJECT_ID)
                    .into_iter()
                    .collect(),
            );
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

/// `Invalid <attr>`, at the attribute.
fn invalid(setting: Setting, detail: String) -> Diagnostic {
    Diagnostic::error(format!("Invalid {}", setting.attr), detail).at(AttrPath::attr(setting.attr))
}

fn check_language(language: &str, setting: Setting) -> Option<Diagnostic> {
    (!LANGUAGES.contains(&language)).then(|| {
        let detail = format!(
            "{} must be one of {LANGUAGES:?}, got {language:?}.",
            setting.attr
        );
        invalid(setting, detail)
    })
}

/// A configured number outside its setting's range.
fn check_count(value: i64, setting: Setting) -> Option<Diagnostic> {
    let Kind::Count { min, max, .. } = setting.kind else {
        return None;
    };
    (!(min..=max).contains(&value)).then(|| {
        let detail = format!(
            "{} must be between {min} and {max}, got {value}.",
            setting.attr
        );
        invalid(setting, detail)
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
    Some(invalid(setting, detail))
}

/// A region becomes part of the endpoint and IAM host names: only region names pass.
/// A project ID goes into every API path: it must be one path segment.
fn check_project_id(project_id: &str, setting: Setting) -> Option<Diagnostic> {
    endpoint::path_segment_problem(project_id).map(|problem| {
        let detail = format!("{} {problem}.", setting.attr);
        invalid(setting, detail)
    })
}

fn check_region(region: &str, setting: Setting) -> Option<Diagnostic> {
    (!endpoint::is_region_name(region)).then(|| {
        let detail = format!(
            "{} must be a region name ({}), got {region:?}.",
            setting.attr,
            endpoint::REGION_FORMAT
        );
        invalid(setting, detail)
    })
}
