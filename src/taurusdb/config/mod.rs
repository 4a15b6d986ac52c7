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
                .iter()
                .map(setting::attribute)
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

/// The provider block as Terraform sent it: every setting of [`attrs::ALL`], read by
/// walking that table (so a new setting needs no code here), plus the `endpoints` map
/// and the nested blocks. Its Debug output hides the credentials.
#[derive(Clone, Default)]
pub struct ProviderConfig {
    /// Text and secret settings, by attribute name; absent is null. Read them with
    /// [`ProviderConfig::text`], [`flag`](ProviderConfig::flag) and
    /// [`count`](ProviderConfig::count).
    pub(crate) texts: BTreeMap<&'static str, Attr<String>>,
    pub(crate) flags: BTreeMap<&'static str, Attr<bool>>,
    pub(crate) counts: BTreeMap<&'static str, Attr<i64>>,
    pub endpoints: Attr<BTreeMap<String, String>>,
    pub assume_role: Attr<Vec<AssumeRoleBlock>>,
    pub assume_role_with_oidc: Attr<OidcBlock>,
}

static NULL_TEXT: Attr<String> = Attr::Null;
static NULL_FLAG: Attr<bool> = Attr::Null;
static NULL_COUNT: Attr<i64> = Attr::Null;

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |attr: &Attr<String>| match attr {
            Attr::Known(_) => "Known(***)",
            Attr::Unknown => "Unknown",
            Attr::Null => "Null",
        };
        let mut out = f.debug_struct("ProviderConfig");
        for setting in attrs::ALL {
            match setting.kind {
                Kind::Secret => out.field(setting.attr, &hidden(self.text(*setting))),
                Kind::Text => out.field(setting.attr, self.text(*setting)),
                Kind::Flag => out.field(setting.attr, self.flag(*setting)),
                Kind::Count { .. } => out.field(setting.attr, self.count(*setting)),
            };
        }
        out.field("endpoints", &self.endpoints)
            .field("assume_role", &self.assume_role)
            .field("assume_role_with_oidc", &self.assume_role_with_oidc)
            .finish()
    }
}

impl ProviderConfig {
    pub fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        let mut config = Self {
            endpoints: Attr::read(value, endpoints::ATTR)?,
            assume_role: AssumeRoleBlock::read_all(value)?,
            assume_role_with_oidc: OidcBlock::read(value)?,
            ..Self::default()
        };
        for setting in attrs::ALL {
            match setting.kind {
                Kind::Text | Kind::Secret => {
                    config.set_text(*setting, Attr::read(value, setting.attr)?);
                }
                Kind::Flag => config.set_flag(*setting, Attr::read(value, setting.attr)?),
                Kind::Count { .. } => config.set_count(*setting, Attr::read(value, setting.attr)?),
            }
        }
        Ok(config)
    }

    /// A text (or secret) setting as the block gives it.
    pub fn text(&self, setting: Setting) -> &Attr<String> {
        self.texts.get(setting.attr).unwrap_or(&NULL_TEXT)
    }

    /// A flag as the block gives it.
    pub fn flag(&self, setting: Setting) -> &Attr<bool> {
        self.flags.get(setting.attr).unwrap_or(&NULL_FLAG)
    }

    /// A count as the block gives it.
    pub fn count(&self, setting: Setting) -> &Attr<i64> {
        self.counts.get(setting.attr).unwrap_or(&NULL_COUNT)
    }

    pub fn set_text(&mut self, setting: Setting, value: Attr<String>) {
        self.texts.insert(setting.attr, value);
    }

    pub fn set_flag(&mut self, setting: Setting, value: Attr<bool>) {
        self.flags.insert(setting.attr, value);
    }

    pub fn set_count(&mut self, setting: Setting, value: Attr<i64>) {
        self.counts.insert(setting.attr, value);
    }

    /// This block with `setting` (text or secret) set to `value` (tests).
    pub fn with(mut self, setting: Setting, value: Attr<String>) -> Self {
        self.set_text(setting, value);
        self
    }

    /// This block with the flag `setting` set to `value` (tests).
    pub fn with_flag(mut self, setting: Setting, value: Attr<bool>) -> Self {
        self.set_flag(setting, value);
        self
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
                attrs::TOKEN,
                attrs::AUTH_TOKEN,
                attrs::ACCESS_KEY,
                attrs::SECRET_KEY,
                attrs::SECURITY_TOKEN,
                attrs::USER_NAME,
                attrs::USER_ID,
                attrs::PASSWORD,
                attrs::DOMAIN_NAME,
                attrs::DOMAIN_ID,
                attrs::SHARED_CONFIG_FILE,
                attrs::PROFILE,
            ]
            .into_iter()
            .any(|setting| given(self.text(setting)))
    }

    /// Checks of configured values that do not depend on the environment.
    pub fn validate(&self) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        if let Some(language) = self.text(attrs::LANGUAGE).known() {
            diagnostics.extend(
                check_language(language, attrs::LANGUAGE)
                    .into_iter()
                    .collect(),
            );
        }
        for (attr, setting) in [
            (self.text(attrs::ENDPOINT), attrs::ENDPOINT),
            (self.text(attrs::AUTH_URL), attrs::AUTH_URL),
        ] {
            if let Some(url) = attr.known() {
                diagnostics.extend(check_url(url, setting).into_iter().collect());
            }
        }
        if let Some(map) = self.endpoints.known() {
            diagnostics.extend(check_endpoints(map));
        }
        if let Some(cloud) = self.text(attrs::CLOUD).known()
            && !cloud.trim().is_empty()
        {
            diagnostics.extend(check_cloud(cloud, attrs::CLOUD).into_iter().collect());
        }
        if self.text(attrs::AUTH_TOKEN).known().is_some() {
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
        if let Some(region) = self.text(attrs::REGION).known()
            && !region.trim().is_empty()
        {
            diagnostics.extend(check_region(region, attrs::REGION).into_iter().collect());
        }
        if let Some(project_id) = self.text(attrs::PROJECT_ID).known()
            && !project_id.trim().is_empty()
        {
            diagnostics.extend(
                check_project_id(project_id, attrs::PROJECT_ID)
                    .into_iter()
                    .collect(),
            );
        }
        if let Some(retries) = self.count(attrs::MAX_RETRIES).known() {
            diagnostics.extend(
                check_count(*retries, attrs::MAX_RETRIES)
                    .into_iter()
                    .collect(),
            );
        }
        for (attr, setting) in [
            (self.text(attrs::REGION), attrs::REGION),
            (self.text(attrs::PROJECT_ID), attrs::PROJECT_ID),
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
