//! Who the simulated IAM, STS and ECS metadata service know: agencies, OIDC identity
//! providers, projects by name, and the demo values a default simulator starts with.
//!
//! The provider can authenticate in every way Huawei Cloud's official Terraform provider
//! can (assume an agency, exchange an IAM or OIDC token, read the ECS metadata service,
//! look its project up by region name). These types say which of those requests the
//! simulator grants, so tests and offline CI cover every path with the same demo values.

use std::fmt;
use std::time::Duration;

/// Account (domain) name of the demo agency.
pub const DEMO_DOMAIN_NAME: &str = "demo_domain";
/// Account (domain) id of the demo agency and of the demo project.
pub const DEMO_DOMAIN_ID: &str = "0d3c0bb5d7a64f56a5e0b1e2c3d4e5f6";
/// Name of the demo agency.
pub const DEMO_AGENCY_NAME: &str = "taurusdb_operator";
/// Id of the demo OIDC identity provider (`X-Idp-Id`).
pub const DEMO_IDP_ID: &str = "ci_idp";
/// The id token the demo identity provider accepts.
pub const DEMO_ID_TOKEN: &str = "demo-id-token";
/// The region name the seed's project is found under (`GET /v3/projects?name=...`).
pub const DEFAULT_REGION: &str = "cn-north-4";
/// Default lifetime of issued temporary credentials.
pub const DEFAULT_TEMPORARY_LIFETIME: Duration = Duration::from_secs(3600);

/// An agency that may be assumed (IAM `assume_role`, STS `AssumeAgency`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// Account (domain) name owning the agency (`assume_role.domain_name`).
    pub domain_name: String,
    /// Account (domain) id owning the agency (`assume_role.domain_id`, the STS URN's
    /// `iam::{domain_id}:agency:{name}`).
    pub domain_id: String,
    /// Agency name.
    pub agency_name: String,
}

impl Agency {
    /// The demo agency: `taurusdb_operator` in `demo_domain`.
    pub fn demo() -> Agency {
        Agency {
            domain_name: DEMO_DOMAIN_NAME.to_owned(),
            domain_id: DEMO_DOMAIN_ID.to_owned(),
            agency_name: DEMO_AGENCY_NAME.to_owned(),
        }
    }
}

/// An OIDC identity provider of `POST /v3.0/OS-AUTH/id-token/tokens`.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// Identity provider id, sent as `X-Idp-Id`.
    pub idp_id: String,
    /// The id tokens (JWTs) it accepts; any other is refused.
    pub id_tokens: Vec<String>,
}

impl OidcProvider {
    /// The demo identity provider: `ci_idp` accepting `demo-id-token`.
    pub fn demo() -> OidcProvider {
        OidcProvider {
            idp_id: DEMO_IDP_ID.to_owned(),
            id_tokens: vec![DEMO_ID_TOKEN.to_owned()],
        }
    }
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Id tokens are credentials: show how many, never which.
        f.debug_struct("OidcProvider")
            .field("idp_id", &self.idp_id)
            .field("id_tokens", &self.id_tokens.len())
            .finish()
    }
}

/// A project of `GET /v3/projects?name=...` (names are region names such as `cn-north-4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamProject {
    /// Project name.
    pub name: String,
    /// Project id (the `{project_id}` of API paths).
    pub id: String,
    /// Account (domain) id owning it.
    pub domain_id: String,
}

impl IamProject {
    /// The project `project_id` under the default region name, in the demo account.
    pub fn default_region(project_id: &str) -> IamProject {
        IamProject {
            name: DEFAULT_REGION.to_owned(),
            id: project_id.to_owned(),
            domain_id: DEMO_DOMAIN_ID.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_values() {
        let agency = Agency::demo();
        assert_eq!(agency.domain_name, "demo_domain");
        assert_eq!(agency.domain_id.len(), 32);
        assert_eq!(agency.agency_name, "taurusdb_operator");
        let idp = OidcProvider::demo();
        assert_eq!(idp.idp_id, "ci_idp");
        let shown = format!("{idp:?}");
        assert!(!shown.contains(DEMO_ID_TOKEN), "{shown}");
        assert_eq!(IamProject::default_region("p").name, "cn-north-4");
    }
}
