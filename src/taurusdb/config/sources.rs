//! Which credentials the client uses, from the resolved [`Settings`], in the order the
//! huaweicloud provider documents (the first one given wins):
//!
//! 1. static: `token`; `access_key`/`secret_key` (+ `security_token`); an IAM password
//!    with `user_name` (+ `domain_name` or `domain_id`) or `user_id`;
//! 2. the shared config file's profile (AK/SK, or an SSO profile's STS token; a profile
//!    with `agencyName` and `agencyDomainName` then assumes that agency);
//! 3. `assume_role_with_oidc` (the ID token is the credential);
//! 4. the ECS metadata service (the agency bound to the ECS), when nothing else is
//!    given and the machine's own identity may be used.
//!
//! Then every `assume_role` hop, in order, each assumed with the credentials before it.
//! Half-given credentials are an error naming what is missing; none at all is
//! [`CredentialProblem::Missing`], reported when a resource needs the API with
//! [`every_way_to_give_credentials`](taurusdb_api::settings::every_way_to_give_credentials).

use std::sync::Arc;

use super::resolve::{CredentialProblem, Hop, Settings, half_given};
use super::setting::{Setting, assume_role, attrs, endpoints, oidc};
use taurusdb_api::issuers::metadata::DEFAULT_ENDPOINT;
use taurusdb_api::issuers::{AssumeHop, AssumeRole, EcsMetadata, Issuer, OidcRole};
use taurusdb_api::{
    Credentials, Domain, IamPassword, IamUser, ProjectScope, TemporaryCredentials, endpoint, signer,
};
use tfplugin::tf::diagnostics::Diagnostic;
use tfplugin::tf::path::AttrPath;

/// The client's credentials (see the module's order).
pub fn choose(settings: &Settings) -> Result<Credentials, CredentialProblem> {
    let (mut credentials, mut hops) = match static_credentials(settings)? {
        Some(credentials) => (credentials, Vec::new()),
        None => match profile_credentials(settings)? {
            Some((credentials, hop)) => (credentials, hop.into_iter().collect()),
            None => match oidc_credentials(settings)? {
                Some(credentials) => (credentials, Vec::new()),
                None if settings.machine_identity => (metadata(settings), Vec::new()),
                None => return Err(CredentialProblem::Missing),
            },
        },
    };
    hops.extend(settings.assume_role.iter().cloned());
    for (index, hop) in hops.into_iter().enumerate() {
        let hop = assume_hop(settings, &hop, index, &credentials)?;
        credentials = temporary(Issuer::Assume(AssumeRole {
            base: credentials,
            hop,
        }));
    }
    Ok(credentials)
}

fn temporary(issuer: Issuer) -> Credentials {
    Credentials::Temporary(Arc::new(TemporaryCredentials::new(issuer)))
}

/// Token, AK/SK or an IAM password from the block or the environment.
fn static_credentials(settings: &Settings) -> Result<Option<Credentials>, CredentialProblem> {
    if let Some(token) = settings.values.secret(attrs::TOKEN) {
        return Ok(Some(Credentials::Token(token.clone())));
    }
    match (
        settings.values.secret(attrs::ACCESS_KEY),
        settings.values.secret(attrs::SECRET_KEY),
        settings.values.secret(attrs::SECURITY_TOKEN),
    ) {
        (Some(access_key), Some(secret_key), _) => {
            return Ok(Some(Credentials::AkSk(signer::AkSk {
                access_key: access_key.clone(),
                secret_key: secret_key.clone(),
                security_token: settings.values.secret(attrs::SECURITY_TOKEN).cloned(),
            })));
        }
        (Some(_), None, _) => return Err(half_given(attrs::ACCESS_KEY, attrs::SECRET_KEY)),
        (None, Some(_), _) => return Err(half_given(attrs::SECRET_KEY, attrs::ACCESS_KEY)),
        // A security token belongs to temporary AK/SK credentials.
        (None, None, Some(_)) => return Err(half_given(attrs::SECURITY_TOKEN, attrs::ACCESS_KEY)),
        (None, None, None) => {}
    }
    password(settings)
}

fn password(settings: &Settings) -> Result<Option<Credentials>, CredentialProblem> {
    let named = settings.values.text(attrs::USER_NAME).is_some()
        || settings.values.text(attrs::USER_ID).is_some();
    if !named && settings.values.secret(attrs::PASSWORD).is_none() {
        return Ok(None);
    }
    let Some(password) = settings.values.secret(attrs::PASSWORD) else {
        let given = if settings.values.text(attrs::USER_ID).is_some() {
            attrs::USER_ID
        } else {
            attrs::USER_NAME
        };
        return Err(half_given(given, attrs::PASSWORD));
    };
    let user = match (
        settings.values.text(attrs::USER_ID),
        settings.values.text(attrs::USER_NAME),
    ) {
        (Some(id), _) => IamUser::Id(id.to_string()),
        (None, Some(name)) => {
            let domain = match (
                settings.values.text(attrs::DOMAIN_ID),
                settings.values.text(attrs::DOMAIN_NAME),
            ) {
                (Some(id), _) => Domain::Id(id.to_string()),
                (None, Some(name)) => Domain::Name(name.to_string()),
                (None, None) => return Err(half_given(attrs::USER_NAME, attrs::DOMAIN_NAME)),
            };
            IamUser::Name {
                name: name.to_string(),
                domain,
            }
        }
        (None, None) => return Err(half_given(attrs::PASSWORD, attrs::USER_NAME)),
    };
    let auth_url = iam_url(settings, attrs::USER_NAME)?;
    let scope = match (settings.project_id(), settings.region()) {
        (Some(id), _) => ProjectScope::Id(id.to_string()),
        (None, Some(region)) => ProjectScope::Name(region.to_string()),
        (None, None) => return Err(half_given(attrs::USER_NAME, attrs::PROJECT_ID)),
    };
    Ok(Some(Credentials::Password(IamPassword {
        user,
        password: password.clone(),
        auth_url,
        scope,
        token: Arc::default(),
    })))
}

/// The profile's keys, and the agency it assumes when it names one.
fn profile_credentials(
    settings: &Settings,
) -> Result<Option<(Credentials, Option<Hop>)>, CredentialProblem> {
    let Some(profile) = &settings.profile else {
        return Ok(None);
    };
    let (Some(access_key), Some(secret_key)) = (&profile.access_key, &profile.secret_key) else {
        return Err(CredentialProblem::HalfGiven(
            Diagnostic::error(
                "Incomplete shared config profile",
                format!(
                    "Profile {:?} of the shared config file holds no access key and secret \
                     key. Configure it with `hcloud configure set \
                     --cli-profile={}`, or choose another with {}.",
                    profile.name,
                    profile.name,
                    attrs::PROFILE.hint()
                ),
            )
            .at(AttrPath::attr(attrs::PROFILE.attr)),
        ));
    };
    let keys = Credentials::AkSk(signer::AkSk {
        access_key: access_key.clone(),
        secret_key: secret_key.clone(),
        security_token: profile.security_token.clone(),
    });
    let hop = match (&profile.agency_name, &profile.agency_domain_name) {
        (Some(agency_name), Some(domain_name)) => Some(Hop {
            agency_name: agency_name.clone(),
            domain: Domain::Name(domain_name.clone()),
            duration: default_duration(),
            path: AttrPath::attr(attrs::PROFILE.attr),
        }),
        _ => None,
    };
    Ok(Some((keys, hop)))
}

fn default_duration() -> u32 {
    match assume_role::DURATION.kind {
        super::setting::Kind::Count { default, .. } => u32::try_from(default).unwrap_or(3600),
        _ => 3600,
    }
}

fn oidc_credentials(settings: &Settings) -> Result<Option<Credentials>, CredentialProblem> {
    let Some(oidc) = &settings.oidc else {
        return Ok(None);
    };
    let at = AttrPath::attr(oidc::BLOCK);
    Ok(Some(temporary(Issuer::Oidc(OidcRole {
        auth_url: iam_url(settings, oidc::IDP_ID).map_err(|p| at_path(p, &at))?,
        sts_url: sts_url(settings, oidc::IDP_ID).map_err(|p| at_path(p, &at))?,
        idp_id: oidc.idp_id.clone(),
        id_token: oidc.id_token.clone(),
        agency_name: oidc.agency_name.clone(),
        domain_id: oidc.domain_id.clone(),
        duration_seconds: oidc.duration,
    }))))
}

fn metadata(settings: &Settings) -> Credentials {
    temporary(Issuer::Metadata(EcsMetadata {
        endpoint: settings
            .metadata_endpoint
            .clone()
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string()),
        last_resort: true,
    }))
}

/// One hop of the chain: IAM by domain name, STS v5 by domain ID.
fn assume_hop(
    settings: &Settings,
    hop: &Hop,
    index: usize,
    base: &Credentials,
) -> Result<AssumeHop, CredentialProblem> {
    let duration = hop.duration;
    Ok(match &hop.domain {
        Domain::Name(domain_name) => AssumeHop::iam(
            iam_url(settings, assume_role::AGENCY_NAME).map_err(|p| at_path(p, &hop.path))?,
            hop.agency_name.clone(),
            domain_name.clone(),
            duration,
        ),
        Domain::Id(domain_id) => {
            if index == 0 && matches!(base, Credentials::Token(_) | Credentials::Password(_)) {
                return Err(CredentialProblem::HalfGiven(
                    Diagnostic::error(
                        "assume_role with domain_id needs AK/SK",
                        format!(
                            "STS signs the request that assumes an agency by {} with AK/SK \
                             credentials, but the credentials configured are an IAM token or \
                             password. Use {} instead (IAM issues the credentials), or \
                             configure {}.",
                            assume_role::DOMAIN_ID.attr,
                            assume_role::DOMAIN_NAME.attr,
                            super::setting::hint_all(&[attrs::ACCESS_KEY, attrs::SECRET_KEY])
                        ),
                    )
                    .at(hop.path.clone()),
                ));
            }
            AssumeHop::sts(
                sts_url(settings, assume_role::AGENCY_NAME).map_err(|p| at_path(p, &hop.path))?,
                hop.agency_name.clone(),
                domain_id.clone(),
                duration,
            )
        }
    })
}

fn at_path(problem: CredentialProblem, path: &AttrPath) -> CredentialProblem {
    match problem {
        CredentialProblem::HalfGiven(d) if d.path.is_none() => {
            CredentialProblem::HalfGiven(d.at(path.clone()))
        }
        other => other,
    }
}

/// IAM's URL for `who` (what needs it): configured, or derived from the region.
fn iam_url(settings: &Settings, who: Setting) -> Result<String, CredentialProblem> {
    settings
        .iam_url()
        .ok_or_else(|| region_problem(settings).unwrap_or_else(|| half_given(who, attrs::AUTH_URL)))
}

/// STS's URL for `who`: configured, or derived from the region.
fn sts_url(settings: &Settings, who: Setting) -> Result<String, CredentialProblem> {
    settings
        .sts_url()
        .ok_or_else(|| region_problem(settings).unwrap_or_else(|| half_given(who, endpoints::STS)))
}

/// A region (or cloud) that no URL can be derived from, reported at the attribute.
fn region_problem(settings: &Settings) -> Option<CredentialProblem> {
    let region = settings.region()?;
    if endpoint::is_region_name(region) {
        return None;
    }
    Some(CredentialProblem::HalfGiven(
        Diagnostic::error(
            format!("Invalid {}", attrs::REGION.attr),
            format!(
                "{} must be a region name ({}).",
                attrs::REGION.attr,
                endpoint::REGION_FORMAT
            ),
        )
        .at(AttrPath::attr(attrs::REGION.attr)),
    ))
}

/// The diagnostic for temporary credentials that could not be had from the ECS
/// metadata service, the source of last resort: no credentials were found anywhere.
pub fn no_credentials(err: &taurusdb_api::ApiError) -> Diagnostic {
    Diagnostic::error(
        "Missing TaurusDB credentials",
        format!(
            "No credentials are configured, and the ECS metadata service gave none \
             ({err}): this machine is probably not an ECS with an agency. Set one of these \
             in the provider block or the environment: {}; or run on an ECS whose agency \
             may use TaurusDB.",
            taurusdb_api::settings::every_way_to_give_credentials()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use taurusdb_api::SettingValues;

    fn base() -> Settings {
        Settings {
            values: SettingValues::default().with(attrs::REGION, "cn-north-4"),
            machine_identity: true,
            ..Settings::default()
        }
    }

    fn hop(agency: &str, domain: Domain) -> Hop {
        Hop {
            agency_name: agency.into(),
            domain,
            duration: 900,
            path: AttrPath::attr("assume_role"),
        }
    }

    #[test]
    fn nothing_given_is_the_ecs_metadata_service_or_missing() {
        let chosen = choose(&base()).expect("metadata");
        assert_eq!(chosen.kind(), "ecs-metadata");
        let Credentials::Temporary(source) = chosen else {
            panic!("temporary");
        };
        let Issuer::Metadata(metadata) = source.issuer() else {
            panic!("metadata");
        };
        assert_eq!(metadata.endpoint, "http://169.254.169.254");
        let settings = Settings {
            machine_identity: false,
            ..base()
        };
        assert!(matches!(choose(&settings), Err(CredentialProblem::Missing)));
    }

    #[test]
    fn static_credentials_win_then_each_hop_wraps_the_one_before() {
        let settings = Settings {
            values: base()
                .values
                .with(attrs::ACCESS_KEY, "ak")
                .with(attrs::SECRET_KEY, "sk"),
            assume_role: vec![
                hop("first", Domain::Name("acct".into())),
                hop("second", Domain::Id("0123".into())),
            ],
            ..base()
        };
        let Credentials::Temporary(outer) = choose(&settings).expect("chain") else {
            panic!("temporary");
        };
        let Issuer::Assume(second) = outer.issuer() else {
            panic!("assume");
        };
        let AssumeHop::Sts { sts_url, .. } = &second.hop else {
            panic!("sts by domain id");
        };
        assert_eq!(sts_url, "https://sts.cn-north-4.myhuaweicloud.com");
        let Credentials::Temporary(inner) = &second.base else {
            panic!("the first hop");
        };
        let Issuer::Assume(first) = inner.issuer() else {
            panic!("assume");
        };
        let AssumeHop::Iam { auth_url, .. } = &first.hop else {
            panic!("iam by domain name");
        };
        assert_eq!(auth_url, "https://iam.cn-north-4.myhuaweicloud.com/v3");
        assert_eq!(first.base.kind(), "aksk");
    }

    #[test]
    fn sts_hops_need_keys_not_a_token() {
        let settings = Settings {
            values: base().values.with(attrs::TOKEN, "t"),
            assume_role: vec![hop("a", Domain::Id("0123".into()))],
            ..base()
        };
        let Err(CredentialProblem::HalfGiven(d)) = choose(&settings) else {
            panic!("refused");
        };
        assert_eq!(d.path, Some(AttrPath::attr("assume_role")));
        assert!(d.detail.contains("domain_name"), "{}", d.detail);
    }

    #[test]
    fn password_by_user_id_or_by_name_in_a_domain_given_by_id() {
        let settings = Settings {
            values: base()
                .values
                .with(attrs::USER_ID, "uid")
                .with(attrs::PASSWORD, "p"),
            ..base()
        };
        let Ok(Credentials::Password(iam)) = choose(&settings) else {
            panic!("password");
        };
        assert_eq!(iam.user, IamUser::Id("uid".into()));
        let settings = Settings {
            values: base()
                .values
                .with(attrs::USER_NAME, "u")
                .with(attrs::DOMAIN_ID, "did")
                .with(attrs::PASSWORD, "p"),
            ..base()
        };
        let Ok(Credentials::Password(iam)) = choose(&settings) else {
            panic!("password");
        };
        assert_eq!(
            iam.user,
            IamUser::Name {
                name: "u".into(),
                domain: Domain::Id("did".into())
            }
        );
    }

    #[test]
    fn the_cloud_builds_every_derived_host() {
        let settings = Settings {
            values: base()
                .values
                .with(attrs::CLOUD, "example-cloud.com")
                .with(attrs::ACCESS_KEY, "ak")
                .with(attrs::SECRET_KEY, "sk"),
            assume_role: vec![hop("a", Domain::Id("0123".into()))],
            ..base()
        };
        assert_eq!(
            settings.api_endpoint().as_deref(),
            Some("https://gaussdb.cn-north-4.example-cloud.com")
        );
        assert_eq!(
            settings.iam_url().as_deref(),
            Some("https://iam.cn-north-4.example-cloud.com/v3")
        );
        let Ok(Credentials::Temporary(outer)) = choose(&settings) else {
            panic!("temporary");
        };
        let Issuer::Assume(role) = outer.issuer() else {
            panic!("assume");
        };
        let AssumeHop::Sts { sts_url, .. } = &role.hop else {
            panic!("sts");
        };
        assert_eq!(sts_url, "https://sts.cn-north-4.example-cloud.com");
    }

    #[test]
    fn the_list_of_ways_names_every_attribute_and_variable() {
        let text = taurusdb_api::settings::every_way_to_give_credentials();
        for name in [
            "token",
            "HW_AUTH_TOKEN",
            "access_key",
            "HW_SECRET_KEY",
            "user_id",
            "HW_DOMAIN_ID",
            "shared_config_file",
            "HW_PROFILE",
            "assume_role_with_oidc",
            "HW_ASSUME_ROLE_IDP_ID",
        ] {
            assert!(text.contains(name), "{name}: {text}");
        }
    }
}
