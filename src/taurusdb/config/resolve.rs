//! From the provider block and the environment to [`Settings`] (every fallback taken,
//! every value checked, secrets wrapped, the shared config profile read), to credentials
//! ([`sources`](super::sources)), and to the API client a resource gets
//! ([`Configured`]).

use super::blocks::{self, AssumeRoleBlock, OidcBlock};
use super::setting::{Kind, Setting, assume_role, attrs, endpoints, oidc};
use super::shared_file::{self, Profile};
use super::{
    EnvLookup, ProviderConfig, check_cloud, check_language, check_project_id, check_region,
    check_url,
};
use taurusdb_api::ca_file::{self, CaFileError};
use taurusdb_api::issuers::IdToken;
use taurusdb_api::retry::RetryPolicy;
use taurusdb_api::{
    ApiClient, ApiError, ClientConfig, Credentials, DefaultProject, Domain, Secret, SettingValue,
    SettingValues, endpoint,
};
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::path::AttrPath;
use tokio_util::sync::CancellationToken;

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

/// Settings after environment fallbacks; secrets wrapped so they never print. Every
/// setting of [`attrs::ALL`] is in [`Settings::values`] (read by walking the table, and
/// handed as they are to the client); the rest is what the provider derives from them
/// (the profile, the `endpoints` map's hosts, the CA file's contents, the agencies).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Every top-level setting's value: the block's, else its environment variable's,
    /// else the shared config profile's (region and project). `endpoint` and `auth_url`
    /// include `endpoints["gaussdb"]` and `endpoints["iam"]`; `token` the deprecated
    /// `auth_token`.
    pub values: SettingValues,
    /// The shared config file's profile, when `shared_config_file` or `profile` is set.
    pub profile: Option<Profile>,
    pub sts_endpoint: Option<String>,
    pub metadata_endpoint: Option<String>,
    /// The contents of `ca_file`.
    pub ca_pem: Option<Vec<u8>>,
    /// The `assume_role` chain, in order.
    pub assume_role: Vec<Hop>,
    pub oidc: Option<Oidc>,
    /// Whether the machine's own identity (the ECS metadata service) may be used when
    /// nothing else is given: for Terraform always; for `serve` only with
    /// `--credentials-from-env`.
    pub machine_identity: bool,
    /// Settings Terraform did not know yet at configure (a plan before their values
    /// exist); the client cannot be used until it configures again with them.
    pub unknown: Vec<Setting>,
}

/// One resolved `assume_role` hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub agency_name: String,
    /// By name: IAM issues the credentials; by ID: STS v5 does.
    pub domain: Domain,
    pub duration: u32,
    /// Where it was configured, for diagnostics.
    pub path: AttrPath,
}

/// The resolved `assume_role_with_oidc`.
#[derive(Debug, Clone)]
pub struct Oidc {
    pub idp_id: String,
    pub id_token: IdToken,
    pub agency_name: String,
    pub domain_id: String,
    pub duration: u32,
}

/// Resolves each setting from config, then environment, collecting diagnostics.
struct Resolver<'a> {
    env: &'a EnvLookup,
    diagnostics: Diagnostics,
    /// Settings whose value Terraform does not know yet (it will at apply).
    unknown: Vec<Setting>,
}

impl Resolver<'_> {
    /// A setting's value; an empty string counts as not set (a variable defaulting to
    /// "" must not become an empty token that outranks other credentials).
    fn text(&mut self, attr: &Attr<String>, setting: Setting) -> Option<String> {
        match attr {
            Attr::Known(v) => Some(v.clone()).filter(|v| !v.trim().is_empty()),
            Attr::Unknown => {
                self.unknown.push(setting);
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

    /// The shared config file's profile, read when `shared_config_file` or `profile`
    /// is set (the file defaults to `$HOME/.hcloud/config.json`); None otherwise or
    /// when it cannot be used (a diagnostic says why).
    async fn profile(&mut self, values: &SettingValues) -> Option<Profile> {
        let path = values.text(attrs::SHARED_CONFIG_FILE).map(str::to_string);
        let wanted = values.text(attrs::PROFILE).map(str::to_string);
        if path.is_none() && wanted.is_none() {
            return None;
        }
        let (path, blame) = match path {
            Some(path) => (
                expand_home(&path, (self.env)("HOME").as_deref()),
                attrs::SHARED_CONFIG_FILE,
            ),
            None => match shared_file::default_path((self.env)("HOME").as_deref()) {
                Some(path) => (path, attrs::PROFILE),
                None => {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "No shared config file",
                            format!(
                                "{} is set, but HOME is not, so there is no default file; \
                                 set {}.",
                                attrs::PROFILE.hint(),
                                attrs::SHARED_CONFIG_FILE.hint()
                            ),
                        )
                        .at(AttrPath::attr(attrs::PROFILE.attr)),
                    );
                    return None;
                }
            },
        };
        match shared_file::read(path, wanted).await {
            Ok(profile) => Some(profile),
            Err(err) => {
                self.diagnostics.push(
                    Diagnostic::error("Unusable shared config file", err.to_string())
                        .at(AttrPath::attr(blame.attr)),
                );
                None
            }
        }
    }

    /// Region and project from the profile, where neither the block nor the
    /// environment gives them; each checked as if configured.
    fn take_from_profile(&mut self, settings: &mut Settings) {
        let Some(profile) = &settings.profile else {
            return;
        };
        if settings.region().is_none()
            && let Some(region) = &profile.region
        {
            match check_region(region, attrs::REGION) {
                None => settings.values = settings.values.clone().with(attrs::REGION, region),
                Some(problem) => self.diagnostics.push(
                    Diagnostic::error(
                        format!("Invalid region in profile {:?}", profile.name),
                        format!("The shared config file's {}", problem.detail),
                    )
                    .at(AttrPath::attr(attrs::PROFILE.attr)),
                ),
            }
        }
        if settings.project_id().is_none()
            && let Some(project_id) = &profile.project_id
        {
            match check_project_id(project_id, attrs::PROJECT_ID) {
                None => {
                    settings.values = settings.values.clone().with(attrs::PROJECT_ID, project_id)
                }
                Some(problem) => self.diagnostics.push(
                    Diagnostic::error(
                        format!("Invalid projectId in profile {:?}", profile.name),
                        format!("The shared config file's {}", problem.detail),
                    )
                    .at(AttrPath::attr(attrs::PROFILE.attr)),
                ),
            }
        }
    }

    /// `assume_role_with_oidc`: the block, its attributes falling back to their
    /// variables; or the variables alone when `HW_ASSUME_ROLE_IDP_ID` is set.
    fn oidc(&mut self, config: &ProviderConfig) -> Option<Oidc> {
        let block = match &config.assume_role_with_oidc {
            Attr::Known(block) => block.clone(),
            Attr::Unknown => {
                self.unknown.push(block_setting(oidc::BLOCK));
                return None;
            }
            Attr::Null if (self.env)(oidc::IDP_ID.env).is_some_and(|v| !v.trim().is_empty()) => {
                OidcBlock::default()
            }
            Attr::Null => return None,
        };
        let at = |setting: Setting| blocks::path(oidc::BLOCK, 0, setting);
        let idp_id = self.text(&block.idp_id, oidc::IDP_ID);
        let agency_name = self.text(&block.agency_name, oidc::AGENCY_NAME);
        let domain_id = self.text(&block.domain_id, oidc::DOMAIN_ID);
        let duration = self.count(&block.duration, oidc::DURATION);
        let id_token = match (
            self.secret(&block.id_token, oidc::ID_TOKEN),
            self.text(&block.id_token_file, oidc::ID_TOKEN_FILE),
        ) {
            (Some(token), _) => Some(IdToken::Value(token)),
            (None, Some(path)) => Some(IdToken::File(path.into())),
            (None, None) => None,
        };
        let mut missing = Vec::new();
        for (given, setting) in [
            (idp_id.is_some(), oidc::IDP_ID),
            (id_token.is_some(), oidc::ID_TOKEN),
            (agency_name.is_some(), oidc::AGENCY_NAME),
            (domain_id.is_some(), oidc::DOMAIN_ID),
        ] {
            if !given {
                missing.push(setting);
            }
        }
        if let Some(first) = missing.first() {
            let names: Vec<String> = missing
                .iter()
                .map(|s| {
                    if s.attr == oidc::ID_TOKEN.attr {
                        format!(
                            "{} or {} ({} or {})",
                            oidc::ID_TOKEN.attr,
                            oidc::ID_TOKEN_FILE.attr,
                            oidc::ID_TOKEN.env,
                            oidc::ID_TOKEN_FILE.env
                        )
                    } else {
                        s.hint()
                    }
                })
                .collect();
            self.diagnostics.push(
                Diagnostic::error(
                    "Incomplete assume_role_with_oidc",
                    format!(
                        "{} needs {}; missing: {}.",
                        oidc::BLOCK,
                        "idp_id, an ID token, agency_name and domain_id",
                        names.join(", ")
                    ),
                )
                .at(at(*first)),
            );
            return None;
        }
        Some(Oidc {
            idp_id: idp_id?,
            id_token: id_token?,
            agency_name: agency_name?,
            domain_id: domain_id?,
            duration: u32::try_from(duration).unwrap_or(3600),
        })
    }

    /// The `assume_role` chain: each block (the first one's unset attributes from the
    /// variables), or without blocks one hop from the variables when
    /// `HW_ASSUME_ROLE_AGENCY_NAME` is set and not taken by OIDC.
    fn assume_role(&mut self, config: &ProviderConfig, oidc_taken: bool) -> Vec<Hop> {
        let blocks = match &config.assume_role {
            Attr::Known(blocks) => blocks.clone(),
            Attr::Unknown => {
                self.unknown.push(block_setting(assume_role::BLOCK));
                return Vec::new();
            }
            Attr::Null => Vec::new(),
        };
        let from_env = blocks.is_empty()
            && !oidc_taken
            && (self.env)(assume_role::AGENCY_NAME.env).is_some_and(|v| !v.trim().is_empty());
        let blocks = if from_env {
            vec![AssumeRoleBlock::default()]
        } else {
            blocks
        };
        let mut hops = Vec::with_capacity(blocks.len());
        for (index, block) in blocks.iter().enumerate() {
            let with_env = index == 0;
            let read = |r: &mut Self, attr: &Attr<String>, setting: Setting| {
                if with_env {
                    r.text(attr, setting)
                } else {
                    r.text(attr, setting.without_env())
                }
            };
            let agency_name = read(self, &block.agency_name, assume_role::AGENCY_NAME);
            let domain_name = read(self, &block.domain_name, assume_role::DOMAIN_NAME);
            let domain_id = read(self, &block.domain_id, assume_role::DOMAIN_ID);
            let duration_setting = if with_env {
                assume_role::DURATION
            } else {
                assume_role::DURATION.without_env()
            };
            let duration = self.count(&block.duration, duration_setting);
            let path = if from_env {
                AttrPath::attr(assume_role::BLOCK)
            } else {
                blocks::path(assume_role::BLOCK, index, assume_role::AGENCY_NAME)
            };
            let domain = match (domain_id, domain_name) {
                (Some(id), _) => Some(Domain::Id(id)),
                (None, Some(name)) => Some(Domain::Name(name)),
                (None, None) => None,
            };
            let (Some(agency_name), Some(domain)) = (agency_name, domain) else {
                self.diagnostics.push(
                    Diagnostic::error(
                        "Incomplete assume_role",
                        format!(
                            "Each {} needs {} and {} or {} ({}, {} or {} without a block).",
                            assume_role::BLOCK,
                            assume_role::AGENCY_NAME.attr,
                            assume_role::DOMAIN_NAME.attr,
                            assume_role::DOMAIN_ID.attr,
                            assume_role::AGENCY_NAME.env,
                            assume_role::DOMAIN_NAME.env,
                            assume_role::DOMAIN_ID.env
                        ),
                    )
                    .at(path),
                );
                continue;
            };
            hops.push(Hop {
                agency_name,
                domain,
                duration: u32::try_from(duration).unwrap_or(3600),
                path,
            });
        }
        hops
    }

    /// One setting of [`attrs::ALL`], by its kind: the block's value, else its
    /// variable's (checked where the setting has a check).
    fn setting(&mut self, config: &ProviderConfig, setting: Setting) -> Option<SettingValue> {
        match setting.kind {
            Kind::Text => {
                let (attr, read_as) = block_text(config, setting);
                let value = match check_of(setting) {
                    Some(check) => self.checked_text(&attr, read_as, check),
                    None => self.text(&attr, read_as),
                };
                let value = if setting == attrs::AUTH_URL {
                    value.map(|url| iam_v3(&url, config.text(attrs::AUTH_URL).is_null()))
                } else {
                    value
                };
                value.map(SettingValue::Text)
            }
            Kind::Secret => {
                let (attr, read_as) = block_text(config, setting);
                self.secret(&attr, read_as).map(SettingValue::Secret)
            }
            Kind::Flag => Some(SettingValue::Flag(self.flag(config.flag(setting), setting))),
            Kind::Count { .. } => Some(SettingValue::Count(
                self.count(config.count(setting), setting),
            )),
        }
    }

    /// A [`Kind::Count`] setting; its default when unset or invalid.
    fn count(&mut self, attr: &Attr<i64>, setting: Setting) -> i64 {
        let Kind::Count { default, min, max } = setting.kind else {
            return 0;
        };
        match attr {
            Attr::Known(n) => *n,
            Attr::Unknown => {
                self.unknown.push(setting);
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
                self.unknown.push(setting);
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
    /// The settings from the provider block and the environment. Async because files
    /// (the CA file, the shared config file) are read on the blocking pool.
    pub async fn resolve(config: &ProviderConfig, env: &EnvLookup) -> Result<Self, Diagnostics> {
        let mut r = Resolver {
            env,
            diagnostics: config.validate(),
            unknown: Vec::new(),
        };
        let mut values = SettingValues::default();
        for setting in attrs::ALL {
            if setting.replaced_by.is_none() {
                let value = r.setting(config, *setting);
                values.set(*setting, value);
            }
        }
        let mapped = |key: Setting| mapped(config, key);
        let sts_endpoint = r.checked_text(&mapped(endpoints::STS), endpoints::STS, check_url);
        let metadata_endpoint =
            r.checked_text(&mapped(endpoints::METADATA), endpoints::METADATA, check_url);
        let ca_pem = match values.text(attrs::CA_FILE) {
            None => None,
            Some(path) => match ca_file::read_ca_file(path.into()).await {
                Ok(pem) => Some(pem),
                Err(err) => {
                    let from_env = config.text(attrs::CA_FILE).is_null();
                    r.diagnostics.push(unusable_ca_file(path, from_env, &err));
                    None
                }
            },
        };
        let profile = r.profile(&values).await;
        let oidc = r.oidc(config);
        let assume_role = r.assume_role(config, oidc.is_some());
        let mut settings = Self {
            values,
            profile,
            sts_endpoint,
            metadata_endpoint,
            ca_pem,
            assume_role,
            oidc,
            machine_identity: true,
            unknown: Vec::new(),
        };
        r.take_from_profile(&mut settings);
        settings.unknown = std::mem::take(&mut r.unknown);
        let mut diagnostics = r.diagnostics;
        // An invalid region is reported once, above, not again as unusable credentials.
        let region_valid = settings.region().is_none_or(endpoint::is_region_name);
        // With values still unknown, credentials may only look incomplete.
        if region_valid
            && settings.unknown.is_empty()
            && let Err(CredentialProblem::HalfGiven(d)) = settings.credentials()
        {
            diagnostics.push(d);
        }
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        Ok(settings)
    }

    pub fn region(&self) -> Option<&str> {
        self.values.text(attrs::REGION)
    }

    pub fn project_id(&self) -> Option<&str> {
        self.values.text(attrs::PROJECT_ID)
    }

    fn cloud(&self) -> Option<&str> {
        self.values.text(attrs::CLOUD)
    }

    /// The endpoint to call: the override, else the region's.
    pub fn api_endpoint(&self) -> Option<String> {
        self.values
            .text(attrs::ENDPOINT)
            .map(str::to_string)
            .or_else(|| {
                self.region()
                    .and_then(|region| endpoint::regional(region, self.cloud()))
            })
    }

    /// IAM's v3 URL: the configured one, else the region's.
    pub fn iam_url(&self) -> Option<String> {
        self.values
            .text(attrs::AUTH_URL)
            .map(str::to_string)
            .or_else(|| {
                self.region()
                    .and_then(|region| endpoint::iam(region, self.cloud()))
            })
    }

    /// STS's URL: the configured one, else the region's.
    pub fn sts_url(&self) -> Option<String> {
        self.sts_endpoint.clone().or_else(|| {
            self.region()
                .and_then(|region| endpoint::sts(region, self.cloud()))
        })
    }

    /// The credentials to use (see [`sources`](super::sources) for the order).
    pub fn credentials(&self) -> Result<Credentials, CredentialProblem> {
        super::sources::choose(self)
    }
}

/// `~/...` in a path is under `home`, as shells and the huaweicloud provider read it
/// (`shared_config_file = "~/.hcloud/config.json"`); any other path is taken as it is.
fn expand_home(path: &str, home: Option<&str>) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) if !home.is_empty() => std::path::Path::new(home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

/// `endpoints["iam"]` and `HW_AUTH_URL` may name IAM's host alone (as the huaweicloud
/// provider's `endpoints` does): `/v3` is added when missing. `auth_url` is taken as it
/// is.
fn iam_v3(url: &str, may_lack_version: bool) -> String {
    let trimmed = url.trim_end_matches('/');
    if may_lack_version && !trimmed.ends_with("/v3") {
        format!("{trimmed}/v3")
    } else {
        url.to_string()
    }
}

/// A text setting's value in the block, and the setting it is read as: a deprecated
/// setting's when the block leaves its replacement null (`token` from `auth_token`);
/// `endpoint` and `auth_url` fall back to their `endpoints` keys.
fn block_text(config: &ProviderConfig, setting: Setting) -> (Attr<String>, Setting) {
    let given = config.text(setting);
    if given.is_null()
        && let Some(old) = attrs::ALL
            .iter()
            .find(|old| old.replaced_by == Some(setting.attr))
    {
        return (config.text(*old).clone(), *old);
    }
    let key = if setting == attrs::ENDPOINT {
        Some(endpoints::GAUSSDB)
    } else if setting == attrs::AUTH_URL {
        Some(endpoints::IAM)
    } else {
        None
    };
    match key {
        Some(key) => (given.clone().or(mapped(config, key)), setting),
        None => (given.clone(), setting),
    }
}

/// An `endpoints` key's value; a blank one counts as unset.
fn mapped(config: &ProviderConfig, key: Setting) -> Attr<String> {
    match &config.endpoints {
        Attr::Known(map) => map
            .get(key.attr)
            .filter(|v| !v.trim().is_empty())
            .cloned()
            .into(),
        Attr::Unknown => Attr::Unknown,
        Attr::Null => Attr::Null,
    }
}

/// The check a value from the environment must pass (one in the block was checked with
/// the block, [`ProviderConfig::validate`]).
fn check_of(setting: Setting) -> Option<fn(&str, Setting) -> Option<Diagnostic>> {
    if setting == attrs::LANGUAGE {
        Some(check_language)
    } else if setting == attrs::CLOUD {
        Some(check_cloud)
    } else if setting == attrs::REGION {
        Some(check_region)
    } else if setting == attrs::ENDPOINT || setting == attrs::AUTH_URL {
        Some(check_url)
    } else if setting == attrs::PROJECT_ID {
        Some(check_project_id)
    } else {
        None
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

pub(super) fn half_given(given: Setting, missing: Setting) -> CredentialProblem {
    CredentialProblem::HalfGiven(Diagnostic::error(
        "Incomplete TaurusDB credentials",
        format!(
            "{} is set, but {} is not. Set both, or use {}.",
            given.hint(),
            missing.hint(),
            attrs::TOKEN.hint()
        ),
    ))
}

/// A nested block, named like a setting in the list of what is not known yet.
fn block_setting(block: &'static str) -> Setting {
    Setting {
        attr: block,
        ..attrs::REGION.without_env()
    }
}

/// Why the client cannot be used while settings are unknown: fine for a plan (what
/// depends on them is planned as unknown), an error where a call must be made.
fn not_known_yet(unknown: &[Setting]) -> Diagnostic {
    let names: Vec<String> = unknown
        .iter()
        .map(|s| {
            if s.env.is_empty() {
                s.attr.to_string()
            } else {
                s.hint()
            }
        })
        .collect();
    let first = unknown.first().map_or(attrs::REGION.attr, |s| s.attr);
    Diagnostic::error(
        "Provider configuration not known yet",
        format!(
            "The provider block's {} depends on values Terraform knows only after apply, \
             so the TaurusDB API cannot be called yet. Terraform plans without it and \
             configures the provider again with the known values before applying; this \
             call needed it now. Use known values (or the environment variables) for it.",
            names.join(", ")
        ),
    )
    .at(AttrPath::attr(first))
}

/// The provider after ConfigureProvider: settings plus the API client, or the reason
/// there is none (reported when a resource needs it).
#[derive(Debug)]
pub struct Configured {
    pub settings: Settings,
    client: Result<ApiClient, Diagnostic>,
    /// The project of calls that name none: configured, or the region's.
    default_project: DefaultProject,
}

impl Configured {
    pub fn new(settings: Settings) -> Self {
        let client = if settings.unknown.is_empty() {
            build_client(&settings)
        } else {
            Err(not_known_yet(&settings.unknown))
        };
        let default_project =
            DefaultProject::new(settings.project_id().map(str::to_string), settings.region());
        Self {
            settings,
            client,
            default_project,
        }
    }

    /// Whether some settings were not known yet (a plan before their values exist).
    pub fn is_deferred(&self) -> bool {
        !self.settings.unknown.is_empty()
    }

    /// Whether `setting` was not known yet.
    fn unknown(&self, setting: Setting) -> bool {
        self.settings.unknown.iter().any(|s| s.attr == setting.attr)
    }

    /// The API client, or a diagnostic naming what is missing.
    pub fn client(&self) -> Result<&ApiClient, Diagnostic> {
        self.client.as_ref().map_err(Clone::clone)
    }

    /// The project of calls that name none, as far as it is known without a lookup:
    /// the configured one; Unknown when it will be looked up; Null when there is none.
    pub fn default_project_unlooked(&self) -> Attr<String> {
        if self.unknown(attrs::PROJECT_ID)
            || self.is_deferred() && self.settings.project_id().is_none()
        {
            return Attr::Unknown;
        }
        match (&self.default_project, &self.client) {
            (DefaultProject::Configured(project_id), _) => Attr::Known(project_id.clone()),
            (DefaultProject::OfRegion, Ok(_)) => Attr::Unknown,
            _ => Attr::Null,
        }
    }

    /// The project of calls that name none: `project_id` (block, environment or
    /// profile), else the one IAM lists for `region` (looked up once per region and
    /// process). None when there is neither a project ID nor a way to look one up.
    /// Unknown while the provider's configuration is not known yet.
    pub async fn default_project(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Attr<String>, Diagnostic> {
        if let Some(project_id) = self.default_project.configured() {
            return Ok(Attr::Known(project_id.to_string()));
        }
        if self.is_deferred() {
            return Ok(Attr::Unknown);
        }
        let Ok(client) = &self.client else {
            return Ok(Attr::Null);
        };
        match self.default_project.get(client, cancel).await {
            Ok(Some(project_id)) => Ok(Attr::Known(project_id)),
            Ok(None) => Ok(Attr::Null),
            Err(err) => Err(project_lookup_failed(&err)),
        }
    }

    /// Where the project of calls that name none comes from.
    pub fn default_project_source(&self) -> &DefaultProject {
        &self.default_project
    }
}

/// A failed project lookup, at `project_id`.
fn project_lookup_failed(err: &ApiError) -> Diagnostic {
    let detail = match err {
        ApiError::ProjectLookup { .. } => format!(
            "{err}. Set {} to the project's ID.",
            attrs::PROJECT_ID.or_env()
        ),
        ApiError::TemporaryCredentials {
            last_resort: true, ..
        } => return super::sources::no_credentials(err),
        other => format!(
            "No {} is configured, and looking up the project of the region failed: {other}. \
             Set {}.",
            attrs::PROJECT_ID.attr,
            attrs::PROJECT_ID.or_env()
        ),
    };
    Diagnostic::error("Could not look up the project", detail)
        .at(AttrPath::attr(attrs::PROJECT_ID.attr))
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
        CredentialProblem::Missing => Diagnostic::error(
            "Missing TaurusDB credentials",
            format!(
                "Set one of these in the provider block or the environment: {}.",
                taurusdb_api::settings::every_way_to_give_credentials()
            ),
        ),
    })?;
    let mut config = ClientConfig::new(endpoint, credentials);
    config.iam_url = settings.iam_url();
    config.settings = settings.values.clone();
    config.retry = RetryPolicy {
        max_retries: u32::try_from(settings.values.count(attrs::MAX_RETRIES)).unwrap_or(0),
        ..RetryPolicy::default()
    };
    config.ca_pem = settings.ca_pem.clone();
    ApiClient::new(config)
        .map_err(|err| Diagnostic::error("Invalid TaurusDB client configuration", err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use taurusdb_api::ProjectScope;

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
            ..ProviderConfig::default().with(attrs::REGION, Attr::Known("cn-north-4".into()))
        };
        let settings = resolve(
            &config,
            &[
                ("HW_REGION_NAME", "ap-southeast-1"),
                ("HW_PROJECT_ID", "p1"),
            ],
        )
        .expect("settings");
        assert_eq!(settings.region(), Some("cn-north-4"));
        assert_eq!(settings.project_id(), Some("p1"));
        assert_eq!(
            settings.api_endpoint().as_deref(),
            Some("https://gaussdb.cn-north-4.myhuaweicloud.com")
        );
    }

    #[test]
    fn unknown_values_plan_and_name_attribute_and_variable_when_a_call_needs_them() {
        let config = ProviderConfig {
            ..ProviderConfig::default()
                .with(attrs::AUTH_TOKEN, Attr::Unknown)
                .with(attrs::REGION, Attr::Known("cn-north-4".into()))
                .with(attrs::PROJECT_ID, Attr::Unknown)
        };
        let settings = resolve(&config, &[]).expect("a plan goes on");
        let configured = Configured::new(settings);
        assert!(configured.is_deferred());
        assert_eq!(configured.default_project_unlooked(), Attr::Unknown);
        let d = configured.client().expect_err("no client yet");
        assert!(d.detail.contains("auth_token"), "{d:?}");
        assert!(d.detail.contains("HW_AUTH_TOKEN"), "{d:?}");
        assert!(d.detail.contains("project_id (HW_PROJECT_ID)"), "{d:?}");
        assert_eq!(d.path, Some(AttrPath::attr("project_id")), "the first one");
    }

    #[test]
    fn missing_credentials_are_reported_when_a_client_is_needed() {
        let settings = resolve(
            &ProviderConfig::default(),
            &[("HW_REGION_NAME", "cn-north-4")],
        )
        .expect("settings");
        // Where the machine's identity may not be used (a serve client without the
        // operator's consent), nothing given is missing credentials.
        let configured = Configured::new(Settings {
            machine_identity: false,
            ..settings.clone()
        });
        let err = configured.client().expect_err("no credentials");
        assert!(err.detail.contains("HW_AUTH_TOKEN"));
        assert!(err.detail.contains("HW_ACCESS_KEY"));
        assert!(err.detail.contains("HW_PROFILE"));
        // For Terraform, the ECS metadata service is the last resort.
        let configured = Configured::new(settings);
        let client = configured.client().expect("metadata credentials");
        assert_eq!(client.credentials_kind(), "ecs-metadata");
    }

    #[test]
    fn a_shared_config_file_under_home_is_found_as_the_huaweicloud_provider_finds_it() {
        assert_eq!(
            expand_home("~/.hcloud/config.json", Some("/home/ci")),
            std::path::PathBuf::from("/home/ci/.hcloud/config.json")
        );
        assert_eq!(
            expand_home("/etc/hcloud.json", Some("/home/ci")),
            std::path::PathBuf::from("/etc/hcloud.json")
        );
        assert_eq!(
            expand_home("~/x", None),
            std::path::PathBuf::from("~/x"),
            "no HOME: the path as given (its error names it)"
        );
    }

    #[test]
    fn token_wins_over_the_deprecated_auth_token_which_still_works_with_a_warning() {
        let both = ProviderConfig {
            ..ProviderConfig::default()
                .with(attrs::TOKEN, Attr::Known("new".into()))
                .with(attrs::AUTH_TOKEN, Attr::Known("old".into()))
        };
        let settings = resolve(&both, &[]).expect("settings");
        assert_eq!(
            settings.values.secret(attrs::TOKEN).map(Secret::expose),
            Some("new")
        );
        let old = ProviderConfig {
            ..ProviderConfig::default().with(attrs::AUTH_TOKEN, Attr::Known("old".into()))
        };
        let settings = resolve(&old, &[]).expect("settings");
        assert_eq!(
            settings.values.secret(attrs::TOKEN).map(Secret::expose),
            Some("old")
        );
        let warnings = old.validate();
        assert_eq!(warnings.0.len(), 1);
        assert!(!warnings.has_errors());
        assert!(warnings.0[0].detail.contains("token"));
        assert_eq!(warnings.0[0].path, Some(AttrPath::attr("auth_token")));
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
            ..ProviderConfig::default()
                .with(attrs::CA_FILE, Attr::Known("/nonexistent/ca.pem".into()))
        };
        let err = resolve(&config, &[]).expect_err("unreadable");
        assert_eq!(err.0[0].path, Some(AttrPath::attr("ca_file")));
    }

    #[test]
    fn empty_credentials_in_config_count_as_unset() {
        let config = ProviderConfig {
            ..ProviderConfig::default().with(attrs::AUTH_TOKEN, Attr::Known(String::new()))
        };
        let settings = resolve(&config, &[("HW_ACCESS_KEY", "ak"), ("HW_SECRET_KEY", "sk")])
            .expect("settings");
        assert_eq!(settings.credentials().map(|c| c.kind()).ok(), Some("aksk"));
    }

    #[test]
    fn debug_output_hides_credentials() {
        let config = ProviderConfig {
            ..ProviderConfig::default()
                .with(attrs::AUTH_TOKEN, Attr::Known("tok-123".into()))
                .with(attrs::SECRET_KEY, Attr::Known("sk-456".into()))
                .with(attrs::PASSWORD, Attr::Known("pw-789".into()))
        };
        let text = format!("{config:?}");
        for secret in ["tok-123", "sk-456", "pw-789"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    #[test]
    fn a_region_must_be_a_region_name_in_config_and_environment() {
        let config = ProviderConfig {
            ..ProviderConfig::default().with(attrs::REGION, Attr::Known("x@127.0.0.1:9/".into()))
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
            values: SettingValues::default().with(attrs::REGION, "x@127.0.0.1:9/"),
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
                "endpoint" => config.set_text(attrs::ENDPOINT, Attr::Known(url.into())),
                _ => config.set_text(attrs::AUTH_URL, Attr::Known(url.into())),
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
        assert!(settings.values.flag(attrs::INSECURE));
        assert!(resolve(&ProviderConfig::default(), &[("HW_INSECURE", "maybe")]).is_err());
    }
}
