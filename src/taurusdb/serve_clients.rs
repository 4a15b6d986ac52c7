//! What a client of `serve` may ask of the server with its provider configuration.
//!
//! The server is not the client's machine: it reads no file a client names (`ca_file`,
//! refused in the same words whatever it names, so nothing is learnt about the server's
//! files), lets a client turn off TLS verification (`insecure`) only for its own
//! credentials at its own endpoint, and lends its own credentials (the environment's,
//! with `--credentials-from-env`) only for the hosts and TLS settings its operator
//! configured, never to assume an agency a client names (`assume_role`,
//! `assume_role_with_oidc`), and never mixed with credentials a client brings. Terraform's
//! modes keep every setting as it is (one client, the user).

use crate::taurusdb::config::{
    CREDENTIAL_CHOICES, EnvLookup, ProviderConfig, attr_list, attrs, endpoints, oidc,
};
use crate::taurusdb::provider::CREDENTIAL_SETTINGS;
use taurusdb_api::endpoint::is_region_name;
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::Diagnostic;
use tfplugin::tf::path::AttrPath;

const CREDENTIALS_STAY_HOME: &str = "This server uses its own TaurusDB credentials \
     (--credentials-from-env) only with the endpoints and TLS settings its operator configured.";

/// Checks a client's configuration against the rules above. Ok: whether the server's
/// credential environment variables may fill it (`credentials_from_env` read from
/// `env`); an error (at the attribute) for what the client may not ask.
pub fn check(
    config: &ProviderConfig,
    credentials_from_env: bool,
    env: &EnvLookup,
) -> Result<bool, Diagnostic> {
    refuse_ca_file(config)?;
    refuse_server_files(config)?;
    refuse_insecure_unless_own(config)?;
    env_credentials_allowed(config, credentials_from_env, env)
}

fn set(attr: &Attr<String>) -> bool {
    match attr {
        Attr::Known(value) => !value.trim().is_empty(),
        Attr::Unknown => true,
        Attr::Null => false,
    }
}

/// A client's `ca_file` would be a path on the server's disk: never read, and refused
/// without a word about what it names.
fn refuse_ca_file(config: &ProviderConfig) -> Result<(), Diagnostic> {
    if !set(config.text(attrs::CA_FILE)) {
        return Ok(());
    }
    Err(Diagnostic::error(
        format!(
            "{} is not available to clients of this server",
            attrs::CA_FILE.attr
        ),
        format!(
            "This server reads no file its clients name, so {} is refused whatever it names \
             (nothing was read). Remove it: an endpoint with a private CA is reached through \
             a server whose operator set {} in its environment, or with Terraform, where \
             {} is read on your own machine.",
            attrs::CA_FILE.attr,
            attrs::CA_FILE.env,
            attrs::CA_FILE.attr
        ),
    )
    .at(AttrPath::attr(attrs::CA_FILE.attr)))
}

/// A client's `shared_config_file`, `profile` or OIDC `id_token_file` would make the
/// server read its own files (and lend what they hold): refused unread, in the same
/// words whatever they name.
fn refuse_server_files(config: &ProviderConfig) -> Result<(), Diagnostic> {
    let id_token_file = match &config.assume_role_with_oidc {
        Attr::Known(block) => set(&block.id_token_file),
        _ => false,
    };
    let (attr, path) = if set(config.text(attrs::SHARED_CONFIG_FILE)) {
        (
            attrs::SHARED_CONFIG_FILE.attr,
            AttrPath::attr(attrs::SHARED_CONFIG_FILE.attr),
        )
    } else if set(config.text(attrs::PROFILE)) {
        (attrs::PROFILE.attr, AttrPath::attr(attrs::PROFILE.attr))
    } else if id_token_file {
        (
            oidc::ID_TOKEN_FILE.attr,
            crate::taurusdb::config::blocks::path(oidc::BLOCK, 0, oidc::ID_TOKEN_FILE),
        )
    } else {
        return Ok(());
    };
    Err(Diagnostic::error(
        format!("{attr} is not available to clients of this server"),
        format!(
            "This server reads no file its clients name and lends no profile of its own, so \
             {attr} is refused whatever it names (nothing was read). Give credentials in the \
             provider configuration instead ({}, or {} in the {} block), or use Terraform, \
             where {attr} is read on your own machine.",
            attr_list(&[attrs::TOKEN, attrs::ACCESS_KEY, attrs::SECRET_KEY]),
            oidc::ID_TOKEN.attr,
            oidc::BLOCK
        ),
    )
    .at(path))
}

/// `insecure = true` only for the client's own credentials at the client's own
/// endpoint: never for the endpoint the operator configured (or the region's), never
/// without credentials of the client's own.
fn refuse_insecure_unless_own(config: &ProviderConfig) -> Result<(), Diagnostic> {
    if config.flag(attrs::INSECURE).known() != Some(&true) {
        return Ok(());
    }
    let (insecure, endpoint) = (attrs::INSECURE.attr, attrs::ENDPOINT.attr);
    let problem = if !set(config.text(attrs::ENDPOINT)) {
        format!(
            "{insecure} = true turns off TLS verification, which a client of this server may do \
             only at an endpoint it sets itself ({endpoint}), never at the endpoint this \
             server's operator configured."
        )
    } else if !config.brings_credentials() {
        let [token, aksk, password] = CREDENTIAL_CHOICES.map(attr_list);
        format!(
            "{insecure} = true turns off TLS verification, which a client of this server may do \
             at its own {endpoint} only with credentials of its own in the provider \
             configuration ({token}, {aksk}, or {password})."
        )
    } else {
        return Ok(());
    };
    Err(Diagnostic::error(
        format!("{insecure} is refused by this server"),
        format!("{problem} Nothing was sent."),
    )
    .at(AttrPath::attr(insecure)))
}

/// Whether the environment's credentials may fill this configuration. An error (at the
/// attribute) when a client asks the server to send its credentials to a host or over
/// a channel the client chose, or to assume an agency the client names with them.
///
/// A client that brings any credential of its own gets none of the server's: the
/// environment's would otherwise fill what it left out, or win over what it gave (a
/// token outranks an OIDC block; `domain_name` alone is no credential), and its
/// `assume_role` blocks would then be assumed with the server's keys.
fn env_credentials_allowed(
    config: &ProviderConfig,
    credentials_from_env: bool,
    env: &EnvLookup,
) -> Result<bool, Diagnostic> {
    if !credentials_from_env || config.brings_credentials() {
        // The client's own credentials only: never mixed with the server's.
        return Ok(false);
    }
    let assumes = match &config.assume_role {
        Attr::Known(hops) => !hops.is_empty(),
        Attr::Unknown => true,
        Attr::Null => false,
    };
    // Without a token of its own, an OIDC block's agency would be assumed with the
    // server's ID token (its variables fill the token).
    let oidc_block = !config.assume_role_with_oidc.is_null();
    let refused_block = if assumes {
        Some(crate::taurusdb::config::assume_role::BLOCK)
    } else if oidc_block {
        Some(oidc::BLOCK)
    } else {
        None
    };
    if let Some(block) = refused_block {
        return Err(Diagnostic::error(
            "Server credentials are not lent to assume agencies",
            format!(
                "{CREDENTIALS_STAY_HOME} A client's {block} block would assume an agency of \
                 its choosing with them; supply credentials of your own in the provider \
                 configuration to assume an agency. Nothing was sent."
            ),
        )
        .at(AttrPath::attr(block)));
    }
    let Some(chosen) = client_chosen_channel(config) else {
        return Ok(true);
    };
    let env_has_credentials = CREDENTIAL_SETTINGS
        .iter()
        .any(|s| env(s.env).is_some_and(|v| !v.trim().is_empty()));
    if env_has_credentials {
        let [token, aksk, password] = CREDENTIAL_CHOICES.map(attr_list);
        return Err(Diagnostic::error(
            "Server credentials are not lent to client-chosen hosts",
            format!(
                "{CREDENTIALS_STAY_HOME} A client that sets {chosen} must supply its own \
                 credentials in the provider configuration ({token}, {aksk}, or \
                 {password}); nothing was sent."
            ),
        )
        .at(AttrPath::attr(chosen)));
    }
    // Nor the machine's identity (the ECS metadata service) for a client-chosen host.
    Ok(false)
}

/// The first attribute by which a client chose where (or how safely) requests go:
/// `endpoint`, `endpoints`, `auth_url`, `cloud` (it becomes part of every derived host),
/// `insecure = true`, `ca_file`, or a `region` that is not a plain region name (it
/// becomes part of the endpoint's host).
fn client_chosen_channel(config: &ProviderConfig) -> Option<&'static str> {
    let endpoints_set = match &config.endpoints {
        Attr::Known(map) => map.values().any(|v| !v.trim().is_empty()),
        Attr::Unknown => true,
        Attr::Null => false,
    };
    if config
        .text(attrs::REGION)
        .known()
        .is_some_and(|r| !is_region_name(r))
    {
        Some(attrs::REGION.attr)
    } else if set(config.text(attrs::CLOUD)) {
        Some(attrs::CLOUD.attr)
    } else if endpoints_set {
        Some(endpoints::ATTR)
    } else if set(config.text(attrs::ENDPOINT)) {
        Some(attrs::ENDPOINT.attr)
    } else if set(config.text(attrs::AUTH_URL)) {
        Some(attrs::AUTH_URL.attr)
    } else if config.flag(attrs::INSECURE).known() == Some(&true) {
        Some(attrs::INSECURE.attr)
    } else if set(config.text(attrs::CA_FILE)) {
        Some(attrs::CA_FILE.attr)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_env(key: &str) -> Option<String> {
        (key == "HW_AUTH_TOKEN").then(|| "server-token".to_string())
    }

    fn named(attr: &str) -> crate::taurusdb::config::Setting {
        *attrs::ALL
            .iter()
            .find(|s| s.attr == attr)
            .expect("a setting")
    }

    fn with(attr: &str, value: &str) -> ProviderConfig {
        ProviderConfig::default().with(named(attr), Attr::Known(value.to_string()))
    }

    #[test]
    fn a_client_that_picks_the_cloud_or_an_endpoints_key_does_not_get_the_servers_credentials() {
        let refused = check(&with("cloud", "evil.example"), true, &server_env).expect_err("cloud");
        assert_eq!(refused.path, Some(AttrPath::attr("cloud")));
        let config = ProviderConfig {
            endpoints: Attr::Known(
                [("metadata".to_string(), "http://evil.example".to_string())].into(),
            ),
            ..ProviderConfig::default()
        };
        let refused = check(&config, true, &server_env).expect_err("endpoints");
        assert_eq!(refused.path, Some(AttrPath::attr("endpoints")));
    }

    #[test]
    fn the_servers_credentials_do_not_assume_agencies_a_client_names() {
        let hop = crate::taurusdb::config::AssumeRoleBlock {
            agency_name: Attr::Known("admin".into()),
            domain_name: Attr::Known("other_account".into()),
            ..Default::default()
        };
        let config = ProviderConfig {
            assume_role: Attr::Known(vec![hop]),
            ..ProviderConfig::default()
        };
        let refused = check(&config, true, &server_env).expect_err("assume_role");
        assert_eq!(refused.path, Some(AttrPath::attr("assume_role")));
        // With its own credentials, a client may assume what they allow.
        let own = ProviderConfig {
            ..config.with(attrs::TOKEN, Attr::Known("client-token".into()))
        };
        assert!(check(&own, true, &server_env).is_ok());
    }

    #[test]
    fn a_client_bringing_any_credential_gets_none_of_the_servers() {
        let hop = crate::taurusdb::config::AssumeRoleBlock {
            agency_name: Attr::Known("admin".into()),
            domain_name: Attr::Known("other_account".into()),
            ..Default::default()
        };
        // `domain_name` is no credential alone: the server's would be the hop's base.
        let config = ProviderConfig {
            assume_role: Attr::Known(vec![hop]),
            ..ProviderConfig::default().with(attrs::DOMAIN_NAME, Attr::Known("x".into()))
        };
        assert_eq!(check(&config, true, &server_env), Ok(false));
        // An OIDC block without a token of its own would use the server's.
        let oidc = |id_token: &str| ProviderConfig {
            assume_role_with_oidc: Attr::Known(crate::taurusdb::config::OidcBlock {
                agency_name: Attr::Known("admin".into()),
                id_token: Attr::Known(id_token.into()),
                ..Default::default()
            }),
            ..ProviderConfig::default()
        };
        let refused = check(&oidc(""), true, &server_env).expect_err("server's ID token");
        assert_eq!(refused.path, Some(AttrPath::attr("assume_role_with_oidc")));
        assert_eq!(check(&oidc("own-token"), true, &server_env), Ok(false));
    }

    #[test]
    fn server_files_and_profiles_are_refused_unread_in_the_same_words() {
        for attr in ["shared_config_file", "profile"] {
            let refusals: Vec<Diagnostic> = ["/etc/shadow", "/nonexistent"]
                .into_iter()
                .map(|value| check(&with(attr, value), true, &server_env).expect_err(attr))
                .collect();
            assert_eq!(refusals[0], refusals[1]);
            assert_eq!(refusals[0].path, Some(AttrPath::attr(attr)));
            assert!(!refusals[0].detail.contains("shadow"));
        }
        let config = ProviderConfig {
            assume_role_with_oidc: Attr::Known(crate::taurusdb::config::OidcBlock {
                id_token_file: Attr::Known("/var/run/secrets/token".into()),
                ..Default::default()
            }),
            ..ProviderConfig::default()
        };
        let refused = check(&config, false, &server_env).expect_err("id token file");
        assert!(refused.summary.contains("id_token_file"));
        assert!(!refused.detail.contains("/var/run"));
    }

    #[test]
    fn a_client_that_picks_the_host_does_not_get_the_servers_credentials() {
        for attr in ["endpoint", "auth_url"] {
            let refused = check(&with(attr, "https://x"), true, &server_env).expect_err(attr);
            assert_eq!(refused.path, Some(AttrPath::attr(attr)));
        }
        assert!(check(&with("region", "x@127.0.0.1:1/"), true, &server_env).is_err());
        assert_eq!(
            check(&with("region", "cn-north-4"), true, &server_env),
            Ok(true)
        );
        assert_eq!(
            check(&ProviderConfig::default(), false, &server_env),
            Ok(false)
        );
        // Its own credentials: allowed, and the server's are not mixed in.
        let mut own = with("endpoint", "https://x");
        own.set_text(attrs::AUTH_TOKEN, Attr::Known("client-token".into()));
        assert_eq!(check(&own, true, &server_env), Ok(false));
    }

    #[test]
    fn ca_file_is_refused_in_the_same_words_whatever_it_names() {
        let refusals: Vec<Diagnostic> = ["/etc/shadow", "/nonexistent", "ca.pem"]
            .into_iter()
            .map(|path| check(&with("ca_file", path), false, &server_env).expect_err(path))
            .collect();
        assert!(refusals.iter().all(|d| d == &refusals[0]));
        assert_eq!(refusals[0].path, Some(AttrPath::attr("ca_file")));
        assert!(!refusals[0].detail.contains("shadow"));
        assert_eq!(check(&with("ca_file", " "), false, &server_env), Ok(false));
    }

    #[test]
    fn insecure_only_with_the_clients_own_endpoint_and_credentials() {
        let insecure = |attrs: &[(&str, &str)]| {
            let mut config =
                ProviderConfig::default().with_flag(attrs::INSECURE, Attr::Known(true));
            for (attr, value) in attrs {
                config = config.with(named(attr), Attr::Known(value.to_string()));
            }
            check(&config, true, &server_env)
        };
        let operators = insecure(&[("auth_token", "own")]).expect_err("operator's endpoint");
        assert_eq!(operators.path, Some(AttrPath::attr("insecure")));
        assert!(operators.detail.contains("endpoint"));
        assert!(insecure(&[("endpoint", "https://mine")]).is_err());
        assert_eq!(
            insecure(&[("endpoint", "https://mine"), ("auth_token", "own")]),
            Ok(false)
        );
    }
}
