//! The provider's settings, the one place each one's facts live: attribute,
//! environment variable, kind (with default and range) and what it does. The schema,
//! the environment fallbacks, README's table (checked by `tests/architecture.rs`) and
//! every message that names a setting come from [`attrs`].

use crate::tf::schema::{Attribute, Presence};
use crate::tf::types::Type;

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
    pub fn attribute(self) -> Attribute {
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
    use crate::taurusdb::api::retry::DEFAULT_MAX_RETRIES;

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
            default: DEFAULT_MAX_RETRIES as i64,
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

/// The settings of each way to authenticate, in the order they are chosen.
pub const CREDENTIAL_CHOICES: [&[Setting]; 3] = [
    &[attrs::AUTH_TOKEN],
    &[attrs::ACCESS_KEY, attrs::SECRET_KEY],
    &[attrs::USER_NAME, attrs::PASSWORD, attrs::DOMAIN_NAME],
];
