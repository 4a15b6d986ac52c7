//! The provider's settings, the one place each one's facts live: attribute name,
//! environment variable, kind (with default and range), what applies when it is unset,
//! and what it does. Plain data, no Terraform types: the provider builds its schema,
//! environment fallbacks, messages and documentation from these tables, reads every
//! setting of [`attrs::ALL`] by walking it, and hands the values to the client
//! ([`SettingValues`](crate::setting_values::SettingValues)), which reads the ones it
//! sends where it sends them.

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
    /// The setting to use instead, when this one is deprecated.
    pub replaced_by: Option<&'static str>,
}

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A credential value: sensitive in the schema, a [`Secret`](crate::Secret) once read.
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
            replaced_by: None,
        }
    }

    /// The same setting without an environment variable (the second and later
    /// `assume_role` blocks: the variables describe one hop).
    pub const fn without_env(mut self) -> Self {
        self.env = "";
        self
    }

    /// The same setting, deprecated in favour of `replacement`.
    const fn deprecated_for(mut self, replacement: &'static str) -> Self {
        self.replaced_by = Some(replacement);
        self
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

/// Every way to give credentials, attributes with their variables, for the message
/// that says none was found.
pub fn every_way_to_give_credentials() -> String {
    let hint = hint_all;
    [
        hint(&[attrs::TOKEN]),
        hint(&[attrs::ACCESS_KEY, attrs::SECRET_KEY]),
        format!(
            "{} with {} or {}",
            hint(&[attrs::USER_NAME, attrs::PASSWORD]),
            attrs::DOMAIN_NAME.hint(),
            attrs::DOMAIN_ID.hint()
        ),
        hint(&[attrs::USER_ID, attrs::PASSWORD]),
        format!(
            "a shared config file profile: {}",
            hint(&[attrs::SHARED_CONFIG_FILE, attrs::PROFILE])
        ),
        format!(
            "an {} block ({}, {})",
            oidc::BLOCK,
            oidc::IDP_ID.env,
            oidc::ID_TOKEN_FILE.env
        ),
    ]
    .join("; ")
}

/// The provider block's settings, in schema order.
pub mod attrs {
    use super::{Kind, Setting};
    use crate::retry::DEFAULT_MAX_RETRIES;

    pub const REGION: Setting = Setting::new(
        "region",
        "HW_REGION_NAME",
        Kind::Text,
        "Huawei Cloud region, e.g. `cn-north-4`: a region name (lowercase letters, digits \
         and dashes; anything else is an error at configure). It picks the TaurusDB endpoint \
         `https://gaussdb.{region}.myhuaweicloud.com` (`gaussdbformysql` for \
         `ap-southeast-1`, `ap-southeast-2`, `cn-north-11`, `me-east-1` and `tr-west-1`; \
         `gaussdb-mysql` for `af-south-1`, `cn-east-5` and `la-north-2`; the `.eu` domain \
         for `eu-west-1*`) and the IAM and STS endpoints.",
    );
    pub const PROJECT_ID: Setting = Setting::new(
        "project_id",
        "HW_PROJECT_ID",
        Kind::Text,
        "Project ID used by every resource, action, data source and list that does not \
         name its own `project_id`.",
    );
    pub const TOKEN: Setting = Setting::new(
        "token",
        "HW_AUTH_TOKEN",
        Kind::Secret,
        "IAM token, sent as `X-Auth-Token`. The first choice of credential: used before \
         AK/SK and the IAM password.",
    );
    pub const AUTH_TOKEN: Setting = Setting::new(
        "auth_token",
        "HW_AUTH_TOKEN",
        Kind::Secret,
        "Deprecated: the earlier name of `token`, which wins when both are set.",
    )
    .deprecated_for("token");
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
         Needs `password` and `domain_name` or `domain_id`; the provider gets one token \
         per process and renews it once when the service rejects it.",
    );
    pub const USER_ID: Setting = Setting::new(
        "user_id",
        "HW_USER_ID",
        Kind::Text,
        "IAM user ID for password authentication, instead of `user_name` (needs no \
         domain).",
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
    pub const DOMAIN_ID: Setting = Setting::new(
        "domain_id",
        "HW_DOMAIN_ID",
        Kind::Text,
        "Account (domain) ID of the IAM user `user_name`, instead of `domain_name`.",
    );
    pub const SHARED_CONFIG_FILE: Setting = Setting::new(
        "shared_config_file",
        "HW_SHARED_CONFIG_FILE",
        Kind::Text,
        "The hcloud (KooCLI) configuration file to take credentials, region and project \
         from, when no credential is set in the block or the environment: its `current` \
         profile, or `profile`. A regular file of at most 1 MiB, read within 10 s; its \
         values must not be encrypted (`hcloud configure set --cli-auth-encrypt=false`). \
         Refused from clients of `terraform-provider-taurusdb serve`.",
    )
    .when_unset("`$HOME/.hcloud/config.json` when `profile` is set; otherwise none is read");
    pub const PROFILE: Setting = Setting::new(
        "profile",
        "HW_PROFILE",
        Kind::Text,
        "The profile of `shared_config_file` to use (an AKSK or SSO profile; one with \
         `agencyName` and `agencyDomainName` assumes that agency). Refused from clients \
         of `terraform-provider-taurusdb serve`.",
    )
    .when_unset("the file's `current` profile");
    pub const CLOUD: Setting = Setting::new(
        "cloud",
        "HW_CLOUD",
        Kind::Text,
        "The cloud's domain name, from which the TaurusDB, IAM and STS hosts of `region` \
         are derived (e.g. `https://iam.{region}.{cloud}/v3`): a DNS name such as \
         `myhuaweicloud.com`.",
    )
    .when_unset("`myhuaweicloud.com` (`myhuaweicloud.eu` for `eu-west-1*` regions)");
    pub const AUTH_URL: Setting = Setting::new(
        "auth_url",
        "HW_AUTH_URL",
        Kind::Text,
        "IAM endpoint (password tokens, `assume_role` by domain name, OIDC, the project \
         lookup), e.g. `https://iam.cn-north-4.myhuaweicloud.com/v3`. An `http://` or `https://` URL \
         without a user name or password in it.",
    )
    .when_unset("`https://iam.{region}.{cloud}/v3`, from `region` and `cloud`");
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
        "Skip TLS certificate verification of the TaurusDB, IAM and STS endpoints (private \
         clouds only; prefer `ca_file`). A client of `terraform-provider-taurusdb serve` may set \
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

    /// Every top-level setting, in schema order.
    pub const ALL: &[Setting] = &[
        REGION,
        PROJECT_ID,
        TOKEN,
        AUTH_TOKEN,
        ACCESS_KEY,
        SECRET_KEY,
        SECURITY_TOKEN,
        USER_NAME,
        USER_ID,
        PASSWORD,
        DOMAIN_NAME,
        DOMAIN_ID,
        SHARED_CONFIG_FILE,
        PROFILE,
        CLOUD,
        AUTH_URL,
        ENDPOINT,
        LANGUAGE,
        MAX_RETRIES,
        INSECURE,
        CA_FILE,
    ];
}

/// The keys of the `endpoints` map, each a host override with its environment variable.
/// `endpoint` and `auth_url` win over `endpoints["gaussdb"]` and `endpoints["iam"]`.
pub mod endpoints {
    use super::{Kind, Setting};

    /// The attribute holding the map.
    pub const ATTR: &str = "endpoints";

    pub const GAUSSDB: Setting = Setting::new(
        "gaussdb",
        "HW_TAURUSDB_ENDPOINT",
        Kind::Text,
        "The TaurusDB API, like `endpoint`.",
    )
    .when_unset("the regional endpoint `region` picks");
    pub const IAM: Setting = Setting::new(
        "iam",
        "HW_AUTH_URL",
        Kind::Text,
        "IAM, like `auth_url` (`/v3` is added when missing).",
    )
    .when_unset("`https://iam.{region}.{cloud}/v3`");
    pub const STS: Setting = Setting::new(
        "sts",
        "HW_STS_ENDPOINT",
        Kind::Text,
        "STS, for `assume_role` with `domain_id` and for OIDC.",
    )
    .when_unset("`https://sts.{region}.{cloud}`");
    pub const METADATA: Setting = Setting::new(
        "metadata",
        "HW_METADATA_ENDPOINT",
        Kind::Text,
        "The ECS metadata service.",
    )
    .when_unset("`http://169.254.169.254`");

    pub const ALL: [Setting; 4] = [GAUSSDB, IAM, STS, METADATA];
}

/// The attributes of an `assume_role` block, and the environment variables that make
/// one hop without a block.
pub mod assume_role {
    use super::{Kind, Setting};

    /// The block's type name.
    pub const BLOCK: &str = "assume_role";

    pub const AGENCY_NAME: Setting = Setting::new(
        "agency_name",
        "HW_ASSUME_ROLE_AGENCY_NAME",
        Kind::Text,
        "The agency to assume.",
    );
    pub const DOMAIN_NAME: Setting = Setting::new(
        "domain_name",
        "HW_ASSUME_ROLE_DOMAIN_NAME",
        Kind::Text,
        "The account (domain) name the agency belongs to (IAM issues the credentials).",
    );
    pub const DOMAIN_ID: Setting = Setting::new(
        "domain_id",
        "HW_ASSUME_ROLE_DOMAIN_ID",
        Kind::Text,
        "The account (domain) ID the agency belongs to; when set, STS issues the \
         credentials (`/v5/agencies/assume`).",
    );
    pub const DURATION: Setting = Setting::new(
        "duration",
        "HW_ASSUME_ROLE_DURATION",
        Kind::Count {
            default: 3600,
            min: 900,
            max: 43200,
        },
        "How long the agency's credentials last, in seconds; they are renewed before \
         they expire.",
    );

    pub const ALL: [Setting; 4] = [AGENCY_NAME, DOMAIN_NAME, DOMAIN_ID, DURATION];
}

/// The attributes of the `assume_role_with_oidc` block.
pub mod oidc {
    use super::{Kind, Setting, assume_role};

    /// The block's type name.
    pub const BLOCK: &str = "assume_role_with_oidc";

    pub const AGENCY_NAME: Setting = assume_role::AGENCY_NAME;
    pub const DOMAIN_ID: Setting = Setting::new(
        "domain_id",
        "HW_ASSUME_ROLE_DOMAIN_ID",
        Kind::Text,
        "The account (domain) ID the agency belongs to.",
    );
    pub const DURATION: Setting = assume_role::DURATION;
    pub const IDP_ID: Setting = Setting::new(
        "idp_id",
        "HW_ASSUME_ROLE_IDP_ID",
        Kind::Text,
        "The identity provider configured in IAM for the OIDC issuer.",
    );
    pub const ID_TOKEN: Setting = Setting::new(
        "id_token",
        "HW_ASSUME_ROLE_ID_TOKEN",
        Kind::Secret,
        "The OIDC ID token.",
    );
    pub const ID_TOKEN_FILE: Setting = Setting::new(
        "id_token_file",
        "HW_ASSUME_ROLE_ID_TOKEN_FILE",
        Kind::Text,
        "A file holding the OIDC ID token, read again at every renewal (CI systems \
         rotate it). Refused from clients of `terraform-provider-taurusdb serve`.",
    );

    pub const ALL: [Setting; 6] = [
        AGENCY_NAME,
        DOMAIN_ID,
        DURATION,
        IDP_ID,
        ID_TOKEN,
        ID_TOKEN_FILE,
    ];
}
pub const LANGUAGES: [&str; 2] = ["en-us", "zh-cn"];

/// The settings of each way to authenticate in the block or the environment, in the
/// order they are chosen.
pub const CREDENTIAL_CHOICES: [&[Setting]; 3] = [
    &[attrs::TOKEN],
    &[attrs::ACCESS_KEY, attrs::SECRET_KEY],
    &[attrs::USER_NAME, attrs::PASSWORD, attrs::DOMAIN_NAME],
];
