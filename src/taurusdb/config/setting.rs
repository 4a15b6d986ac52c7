//! The provider's settings, the one place each one's facts live: attribute,
//! environment variable, kind (with default and range), what applies when it is unset,
//! and what it does. The schema (whose descriptions are the reference documentation:
//! `terraform-provider-taurusdb docs` renders them and a table of these settings into
//! docs/index.md), the environment fallbacks and every message that names a setting come
//! from [`attrs`]; README's table is checked against it by `tests/architecture.rs`.

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
    /// What it does, as markdown without its environment variable or default (the
    /// schema description adds both).
    pub about: &'static str,
    /// What applies when neither the block nor the environment sets a text setting, as
    /// markdown (e.g. the endpoint derived from `region`); None when nothing does.
    /// Counts and flags have their default in their [`Kind`].
    pub unset: Option<&'static str>,
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
            unset: None,
        }
    }

    /// The same setting with what applies when it is unset.
    const fn when_unset(mut self, unset: &'static str) -> Self {
        self.unset = Some(unset);
        self
    }

    /// What applies when the setting is unset, as markdown; None when nothing does.
    pub fn default_markdown(self) -> Option<String> {
        match self.kind {
            Kind::Count { default, .. } => Some(format!("`{default}`")),
            Kind::Flag => Some("`false`".to_string()),
            Kind::Text | Kind::Secret => self.unset.map(str::to_string),
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

    /// The attribute of the provider block's schema: what it does, its default and its
    /// environment variable.
    pub fn attribute(self) -> Attribute {
        let ty = match self.kind {
            Kind::Text | Kind::Secret => Type::String,
            Kind::Flag => Type::Bool,
            Kind::Count { .. } => Type::Number,
        };
        let mut description = self.about.to_string();
        if let Some(default) = self.default_markdown() {
            description.push_str(&format!(" Defaults to {default}."));
        }
        description.push_str(&format!(" Environment variable: `{}`.", self.env));
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
        "Huawei Cloud region, e.g. `cn-north-4`: a region name (lowercase letters, digits \
         and dashes; anything else is an error at configure). It picks the TaurusDB endpoint \
         `https://gaussdb.{region}.myhuaweicloud.com` (`gaussdbformysql` for \
         `ap-southeast-1`, `ap-southeast-2`, `cn-north-11`, `me-east-1` and `tr-west-1`; \
         `gaussdb-mysql` for `af-south-1`, `cn-east-5` and `la-north-2`; the `.eu` domain \
         for `eu-west-1*`) and the IAM endpoint.",
    );
    pub const PROJECT_ID: Setting = Setting::new(
        "project_id",
        "HW_PROJECT_ID",
        Kind::Text,
        "Project ID used by every resource, action, data source and list that does not \
         name its own `project_id`.",
    );
    pub const AUTH_TOKEN: Setting = Setting::new(
        "auth_token",
        "HW_AUTH_TOKEN",
        Kind::Secret,
        "IAM token, sent as `X-Auth-Token`. The first choice of credential: used before \
         AK/SK and the IAM password.",
    );
    pub const ACCESS_KEY: Setting = Setting::new(
        "access_key",
        "HW_ACCESS_KEY",
        Kind::Secret,
        "Access key (AK) for AK/SK authentication: every request, retries included, is \
         signed with SDK-HMAC-SHA256. Needs `secret_key`.",
    );
    pub const SECRET_KEY: Setting = Setting::new(
        "secret_key",
        "HW_SECRET_KEY",
        Kind::Secret,
        "Secret key (SK) of `access_key`.",
    );
    pub const SECURITY_TOKEN: Setting = Setting::new(
        "security_token",
        "HW_SECURITY_TOKEN",
        Kind::Secret,
        "Security token of temporary AK/SK credentials, sent (and signed) as \
         `X-Security-Token`.",
    );
    pub const USER_NAME: Setting = Setting::new(
        "user_name",
        "HW_USER_NAME",
        Kind::Text,
        "IAM user name for password authentication (the third choice of credential). \
         Needs `password` and `domain_name`; the provider gets one token per process and \
         renews it once when the service rejects it.",
    );
    pub const PASSWORD: Setting = Setting::new(
        "password",
        "HW_USER_PASSWORD",
        Kind::Secret,
        "Password of the IAM user `user_name`.",
    );
    pub const DOMAIN_NAME: Setting = Setting::new(
        "domain_name",
        "HW_DOMAIN_NAME",
        Kind::Text,
        "Account (domain) name of the IAM user `user_name`.",
    );
    pub const AUTH_URL: Setting = Setting::new(
        "auth_url",
        "HW_AUTH_URL",
        Kind::Text,
        "IAM endpoint for password authentication, e.g. \
         `https://iam.cn-north-4.myhuaweicloud.com/v3`. An `http://` or `https://` URL \
         without a user name or password in it.",
    )
    .when_unset("`https://iam.{region}.myhuaweicloud.com/v3`, from `region`");
    pub const ENDPOINT: Setting = Setting::new(
        "endpoint",
        "HW_TAURUSDB_ENDPOINT",
        Kind::Text,
        "TaurusDB API endpoint, e.g. for a private cloud; it wins over the one `region` \
         picks. An `http://` or `https://` URL without a user name or password in it.",
    )
    .when_unset("the regional endpoint `region` picks");
    pub const LANGUAGE: Setting = Setting::new(
        "language",
        "HW_LANGUAGE",
        Kind::Text,
        "Language of the API's messages, `en-us` or `zh-cn`, sent as `X-Language`.",
    )
    .when_unset("no `X-Language` header (the service's own default)");
    pub const MAX_RETRIES: Setting = Setting::new(
        "max_retries",
        "HW_MAX_RETRIES",
        Kind::Count {
            default: DEFAULT_MAX_RETRIES as i64,
            min: 0,
            max: 100,
        },
        "How often a request is retried, from 0 to 100: a throttled (429) or \
         \"instance busy\" answer, a refused connection, and for reads also a 5xx, a \
         timeout or a broken connection. A pause or resume is never re-sent once it may \
         have been processed.",
    );
    pub const INSECURE: Setting = Setting::new(
        "insecure",
        "HW_INSECURE",
        Kind::Flag,
        "Skip TLS certificate verification of the API and IAM endpoints (private clouds \
         only; prefer `ca_file`). A client of `terraform-provider-taurusdb serve` may set \
         it only with its own `endpoint` and credentials.",
    );
    pub const CA_FILE: Setting = Setting::new(
        "ca_file",
        "HW_CA_FILE",
        Kind::Text,
        "PEM file of extra CA certificates to trust (private clouds): a regular file of at \
         most 1 MiB, read within 10 s. Refused from clients of \
         `terraform-provider-taurusdb serve`, which reads no file a client names (its \
         operator's `HW_CA_FILE` applies).",
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
