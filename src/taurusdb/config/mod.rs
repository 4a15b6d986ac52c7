//! The `provider "taurusdb"` block: its schema, its typed form ([`ProviderConfig`]), and
//! how each setting falls back to its environment variable ([`resolve`]); the settings
//! themselves are listed once, in [`setting`], the nested blocks in [`blocks`]; [`file`]
//! reads the block from JSON (the typed API's `serve --api-config`); [`shared_file`]
//! reads the hcloud CLI's profiles; [`sources`] turns the resolved settings into the
//! client's credentials (static, profile, OIDC, ECS metadata, then `assume_role` hops).
//!
//! Rules: a configured value wins over its environment variable; a value unknown at
//! configure time is an error naming the attribute and variable; credentials are chosen
//! in the order token > AK/SK > password > shared config profile > OIDC > ECS metadata,
//! and `assume_role` hops are taken from there; half-given credentials are an error at
//! configure time; missing ones are reported only when a resource needs them (see
//! [`Configured::client`]). Settings that pick where credentials go (region, cloud,
//! endpoints, auth_url) are checked at configure, from the block and from the
//! environment alike, before any URL is built from them; files are read off the async
//! workers.

pub mod blocks;
pub mod file;
pub mod resolve;
pub mod setting;
pub mod shared_file;
pub mod sources;

pub use blocks::{AssumeRoleBlock, OidcBlock};
pub use resolve::{Configured, CredentialProblem, Settings};
pub use setting::{
    CREDENTIAL_CHOICES, Kind, LANGUAGES, Setting, assume_role, attr_list, attrs, endpoints,
    hint_all, oidc,
};

use std::collections::BTreeMap;
use taurusdb_api::endpoint::{self, UrlProblem};
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::path::AttrPath;
use tfplugin::tf::schema::{Attribute, Block, Presence, Schema};
use tfplugin::tf::types::Type;
use tfplugin::tf::value::Value;

/// Reads an environment variable; injectable so tests need not touch the process env.
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The provider block's schema.
pub fn schema() -> Schema {
    Schema::new(
        0,
        Block {
            attributes: attrs::ALL
                .into_iter()
                .map(Setting::attribute)
                .chain([endpoints_attribute()])
                .collect(),
            blocks: blocks::schema(),
            description: "The `taurusdb` provider pauses and resumes Huawei Cloud TaurusDB \
                          HTAP (StarRocks) data synchronization tasks. Every setting is \
                          optional and falls back to its environment variable.",
        },
    )
}

/// The `endpoints` map: one host override per key, each with its variable.
fn endpoints_attribute() -> Attribute {
    let keys: Vec<String> = endpoints::ALL
        .iter()
        .map(|key| {
            let unset = key
                .unset
                .map(|u| format!("; defaults to {u}"))
                .unwrap_or_default();
            format!("`{}`: {} (`{}`{unset})", key.attr, key.about, key.env)
        })
        .collect();
    Attribute::new(endpoints::ATTR, Type::map(Type::String), Presence::Optional).describe(format!(
        "Hosts to use instead of those derived from `region` and `cloud`, as the \
             huaweicloud provider's `endpoints`: {}. Each an `http://` or `https://` URL \
             without a user name or password in it.",
        keys.join("; ")
    ))
}

/// The provider block as Terraform sent it. Its Debug output hides the credentials.
#[derive(Clone, Default)]
pub struct ProviderConfig {
    pub region: Attr<String>,
    pub project_id: Attr<String>,
    pub token: Attr<String>,
    pub auth_token: Attr<String>,
    pub access_key: Attr<String>,
    pub secret_key: Attr<String>,
    pub security_token: Attr<String>,
    pub user_name: Attr<String>,
    pub user_id: Attr<String>,
    pub password: Attr<String>,
    pub domain_name: Attr<String>,
    pub domain_id: Attr<String>,
    pub shared_config_file: Attr<String>,
    pub profile: Attr<String>,
    pub cloud: Attr<String>,
    pub auth_url: Attr<String>,
    pub endpoint: Attr<String>,
    pub language: Attr<String>,
    pub max_retries: Attr<i64>,
    pub insecure: Attr<bool>,
    pub ca_file: Attr<String>,
    pub endpoints: Attr<BTreeMap<String, String>>,
    pub assume_role: Attr<Vec<AssumeRoleBlock>>,
    pub assume_role_with_oidc: Attr<OidcBlock>,
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
            .field("token", &hidden(&self.token))
            .field("auth_token", &hidden(&self.auth_token))
            .field("access_key", &hidden(&self.access_key))
            .field("secret_key", &hidden(&self.secret_key))
            .field("security_token", &hidden(&self.security_token))
            .field("user_name", &self.user_name)
            .field("user_id", &self.user_id)
            .field("password", &hidden(&self.password))
            .field("domain_name", &self.domain_name)
            .field("domain_id", &self.domain_id)
            .field("shared_config_file", &self.shared_config_file)
            .field("profile", &self.profile)
            .field("cloud", &self.cloud)
            .field("auth_url", &self.auth_url)
            .field("endpoint", &self.endpoint)
            .field("language", &self.language)
            .field("max_retries", &self.max_retries)
            .field("insecure", &self.insecure)
            .field("ca_file", &self.ca_file)
            .field("endpoints", &self.endpoints)
            .field("assume_role", &self.assume_role)
            .field("assume_role_with_oidc", &self.assume_role_with_oidc)
            .finish()
    }
}

impl ProviderConfig {
    pub fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        Ok(Self {
            region: Attr::read(value, attrs::REGION.attr)?,
            project_id: Attr::read(value, attrs::PROJECT_ID.attr)?,
            token: Attr::read(value, attrs::TOKEN.attr)?,
            auth_token: Attr::read(value, attrs::AUTH_TOKEN.attr)?,
            access_key: Attr::read(value, attrs::ACCESS_KEY.attr)?,
            secret_key: Attr::read(value, attrs::SECRET_KEY.attr)?,
            security_token: Attr::read(value, attrs::SECURITY_TOKEN.attr)?,
            user_name: Attr::read(value, attrs::USER_NAME.attr)?,
            user_id: Attr::read(value, attrs::USER_ID.attr)?,
            password: Attr::read(value, attrs::PASSWORD.attr)?,
            domain_name: Attr::read(value, attrs::DOMAIN_NAME.attr)?,
            domain_id: Attr::read(value, attrs::DOMAIN_ID.attr)?,
            shared_config_file: Attr::read(value, attrs::SHARED_CONFIG_FILE.attr)?,
            profile: Attr::read(value, attrs::PROFILE.attr)?,
            cloud: Attr::read(value, attrs::CLOUD.attr)?,
            auth_url: Attr::read(value, attrs::AUTH_URL.attr)?,
            endpoint: Attr::read(value, attrs::ENDPOINT.attr)?,
            language: Attr::read(value, attrs::LANGUAGE.attr)?,
            max_retries: Attr::read(value, attrs::MAX_RETRIES.attr)?,
            insecure: Attr::read(value, attrs::INSECURE.attr)?,
            ca_file: Attr::read(value, attrs::CA_FILE.attr)?,
            endpoints: Attr::read(value, endpoints::ATTR)?,
            assume_role: AssumeRoleBlock::read_all(value)?,
            assume_role_with_oidc: OidcBlock::read(value)?,
        })
    }

    /// Whether the block sets any credential (token, AK/SK, IAM password, an OIDC token,
    /// a shared config file or profile) itself: a value that is not blank (blank counts
    /// as unset), or one not known yet.
    pub fn brings_credentials(&self) -> bool {
        let given = |attr: &Attr<String>| match attr {
            Attr::Known(value) => !value.trim().is_empty(),
            Attr::Unknown => true,
            Attr::Null => false,
        };
        let oidc_token = match &self.assume_role_with_oidc {
            Attr::Known(block) => given(&block.id_token) || given(&block.id_token_file),
            Attr::Unknown => true,
            Attr::Null => false,
        };
        oidc_token
            || [
                &self.token,
                &self.auth_token,
                &self.access_key,
                &self.secret_key,
                &self.security_token,
                &self.user_name,
                &self.user_id,
                &self.password,
                &self.domain_name,
                &self.domain_id,
                &self.shared_config_file,
                &self.profile,
            ]
            .into_iter()
            .any(given)
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
        if let Some(map) = self.endpoints.known() {
            diagnostics.extend(check_endpoints(map));
        }
        if let Some(cloud) = self.cloud.known()
            && !cloud.trim().is_empty()
        {
            diagnostics.extend(check_cloud(cloud, attrs::CLOUD).into_iter().collect());
        }
        if self.auth_token.known().is_some() {
            diagnostics.push(
                Diagnostic::warning(
                    format!("{} is deprecated", attrs::AUTH_TOKEN.attr),
                    format!(
                        "Use {} instead (the same IAM token, the name the huaweicloud \
                         provider uses); {} will be removed in a future version.",
                        attrs::TOKEN.attr,
                        attrs::AUTH_TOKEN.attr
                    ),
                )
                .at(AttrPath::attr(attrs::AUTH_TOKEN.attr)),
            );
        }
        if let Some(chain) = self.assume_role.known() {
            for (index, hop) in chain.iter().enumerate() {
                diagnostics.extend(hop.validate(index));
            }
        }
        if let Some(block) = self.assume_role_with_oidc.known() {
            diagnostics.extend(block.validate());
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

/// The `endpoints` map: known keys only, each value a URL the client would call.
fn check_endpoints(map: &BTreeMap<String, String>) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    for (key, url) in map {
        let path =
            AttrPath::attr(endpoints::ATTR).child(tfplugin::tf::path::PathStep::Key(key.clone()));
        if !endpoints::ALL.iter().any(|k| k.attr == key) {
            let known: Vec<&str> = endpoints::ALL.iter().map(|k| k.attr).collect();
            diagnostics.push(
                Diagnostic::error(
                    format!("Unknown key in {}", endpoints::ATTR),
                    format!(
                        "{} takes the keys {}; {key:?} is not one of them (this provider \
                         calls no other service).",
                        endpoints::ATTR,
                        known.join(", ")
                    ),
                )
                .at(path),
            );
            continue;
        }
        if let Some(mut d) = check_url(url, attrs::ENDPOINT) {
            d.summary = format!("Invalid {}[{key:?}]", endpoints::ATTR);
            d.detail = d.detail.replacen(
                attrs::ENDPOINT.attr,
                &format!("{}[{key:?}]", endpoints::ATTR),
                1,
            );
            diagnostics.push(d.at(path));
        }
    }
    diagnostics
}

/// A cloud becomes part of every derived host name: only DNS names pass.
fn check_cloud(cloud: &str, setting: Setting) -> Option<Diagnostic> {
    (!endpoint::is_cloud_name(cloud)).then(|| {
        let detail = format!(
            "{} must be a domain name ({}), got {}.",
            setting.attr,
            endpoint::CLOUD_FORMAT,
            endpoint::quoted_for_error(cloud)
        );
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
