//! One hop of an `assume_role` chain: credentials of an agency, obtained with the
//! credentials before it (static, a profile's, the ECS's, or the previous hop's).
//!
//! Without a domain ID, IAM issues them (`POST {iam}/v3.0/OS-CREDENTIAL/securitytokens`,
//! method `assume_role`, by domain name); with one, STS v5 does
//! (`POST {sts}/v5/agencies/assume`, by agency URN). Both answer temporary AK/SK with a
//! security token, renewed like any other temporary credentials.

use reqwest::Method;
use tokio_util::sync::CancellationToken;

use super::{MAX_ANSWER_BYTES, SESSION_NAME, Shape, iam_v3_0, keys, read_keys};
use crate::auth::Credentials;
use crate::error::ApiError;
use crate::temporary::IssuedKeys;
use crate::transport::{Call, CallAuth, Transport};

/// An agency assumed with `base`.
#[derive(Debug)]
pub struct AssumeRole {
    pub base: Credentials,
    pub hop: AssumeHop,
}

/// Which service issues the agency's credentials, and for which agency.
#[derive(Debug)]
pub enum AssumeHop {
    /// IAM, by the agency's account name.
    Iam {
        /// IAM's v3 base URL (`auth_url`); the call goes to its `/v3.0/`.
        auth_url: String,
        agency_name: String,
        domain_name: String,
        duration_seconds: u32,
        /// "agency NAME of account DOMAIN (IAM)", for error texts.
        described: String,
    },
    /// STS v5, by the agency's account ID.
    Sts {
        /// STS base URL, e.g. `https://sts.cn-north-4.myhuaweicloud.com`.
        sts_url: String,
        agency_name: String,
        domain_id: String,
        duration_seconds: u32,
        described: String,
    },
}

impl AssumeHop {
    pub fn iam(auth_url: String, agency_name: String, domain_name: String, duration: u32) -> Self {
        let described = format!("agency {agency_name:?} of account {domain_name:?} (IAM)");
        AssumeHop::Iam {
            auth_url,
            agency_name,
            domain_name,
            duration_seconds: duration,
            described,
        }
    }

    pub fn sts(sts_url: String, agency_name: String, domain_id: String, duration: u32) -> Self {
        let described = format!("agency {agency_name:?} of account ID {domain_id:?} (STS)");
        AssumeHop::Sts {
            sts_url,
            agency_name,
            domain_id,
            duration_seconds: duration,
            described,
        }
    }

    pub fn describe(&self) -> &str {
        match self {
            AssumeHop::Iam { described, .. } | AssumeHop::Sts { described, .. } => described,
        }
    }
}

impl AssumeRole {
    pub(super) async fn issue(
        &self,
        transport: &Transport,
        cancel: &CancellationToken,
    ) -> Result<IssuedKeys, ApiError> {
        let (call, shape): (Call<'_>, Shape) = match &self.hop {
            AssumeHop::Iam {
                auth_url,
                agency_name,
                domain_name,
                duration_seconds,
                ..
            } => {
                let body = serde_json::json!({
                    "auth": {
                        "identity": {
                            "methods": ["assume_role"],
                            "assume_role": {
                                "agency_name": agency_name,
                                "domain_name": domain_name,
                                "duration_seconds": duration_seconds,
                            }
                        }
                    }
                });
                let url = iam_v3_0(auth_url, "/OS-CREDENTIAL/securitytokens");
                (json_post(url, &body)?, keys::from_iam)
            }
            AssumeHop::Sts {
                sts_url,
                agency_name,
                domain_id,
                duration_seconds,
                ..
            } => (
                sts_assume_call(sts_url, domain_id, agency_name, *duration_seconds)?,
                keys::from_sts,
            ),
        };
        let call = call.with_auth(CallAuth::As(&self.base));
        let reply = transport.send(call, cancel).await?;
        read_keys(&reply, shape)
    }
}

/// The STS v5 call that assumes `agency_name` of account `domain_id`.
pub(super) fn sts_assume_call(
    sts_url: &str,
    domain_id: &str,
    agency_name: &str,
    duration_seconds: u32,
) -> Result<Call<'static>, ApiError> {
    let body = serde_json::json!({
        "agency_urn": format!("iam::{domain_id}:agency:{agency_name}"),
        "agency_session_name": SESSION_NAME,
        "duration_seconds": duration_seconds,
    });
    let url = format!("{}/v5/agencies/assume", sts_url.trim_end_matches('/'));
    json_post(url, &body)
}

/// A POST of a JSON body whose answer is credentials.
pub(super) fn json_post(url: String, body: &serde_json::Value) -> Result<Call<'static>, ApiError> {
    let body = serde_json::to_vec(body).map_err(|err| ApiError::Config(err.to_string()))?;
    Ok(Call::new(Method::POST, url, Some(body)).with_body_limit(MAX_ANSWER_BYTES))
}
