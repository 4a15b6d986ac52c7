//! `assume_role_with_oidc`: a CI system's OIDC ID token exchanged for an agency's
//! temporary credentials, in three calls to IAM and STS.
//!
//! 1. `POST {iam}/v3.0/OS-AUTH/id-token/tokens`, header `X-Idp-Id`, body
//!    `{"auth":{"id_token":{"id": TOKEN}}}`: an IAM token (201, `X-Subject-Token`).
//! 2. `POST {iam}/v3.0/OS-CREDENTIAL/securitytokens`, method `token`: temporary AK/SK.
//! 3. `POST {sts}/v5/agencies/assume` signed with those: the agency's credentials.
//!
//! A token file is read again at every renewal: CI systems rotate it while a job runs.
//! It is read like the CA file (regular file, bounded, off the async workers).

use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use super::assume::{json_post, sts_assume_call};
use super::{iam_v3_0, keys, read_keys};
use crate::auth::Credentials;
use crate::ca_file;
use crate::error::ApiError;
use crate::secret::Secret;
use crate::temporary::IssuedKeys;
use crate::transport::{CallAuth, Transport};
use crate::wire;

/// The ID token, as given or as a file to read at every renewal.
#[derive(Debug, Clone)]
pub enum IdToken {
    Value(Secret),
    File(PathBuf),
}

/// An agency assumed with an OIDC ID token.
#[derive(Debug)]
pub struct OidcRole {
    /// IAM's v3 base URL (`auth_url`).
    pub auth_url: String,
    /// STS base URL.
    pub sts_url: String,
    pub idp_id: String,
    pub id_token: IdToken,
    pub agency_name: String,
    pub domain_id: String,
    pub duration_seconds: u32,
}

impl OidcRole {
    pub(super) async fn issue(
        &self,
        transport: &Transport,
        cancel: &CancellationToken,
    ) -> Result<IssuedKeys, ApiError> {
        let id_token = self.read_id_token().await?;
        // 1. The ID token for an IAM token.
        let body = serde_json::json!({ "auth": { "id_token": { "id": id_token.expose() } } });
        let call = json_post(iam_v3_0(&self.auth_url, "/OS-AUTH/id-token/tokens"), &body)?
            .with_auth(CallAuth::Anonymous)
            .with_header("X-Idp-Id", self.idp_id.clone());
        let reply = transport.send(call, cancel).await?;
        let iam_token = reply
            .subject_token
            .clone()
            .filter(|t| !t.trim().is_empty())
            .map(Secret::new)
            .ok_or_else(|| wire::invalid(&reply, "no X-Subject-Token header"))?;
        // 2. The IAM token for temporary AK/SK.
        let body = serde_json::json!({
            "auth": {
                "identity": {
                    "methods": ["token"],
                    "token": { "id": iam_token.expose() }
                }
            }
        });
        let with_token = Credentials::Token(iam_token.clone());
        let call = json_post(
            iam_v3_0(&self.auth_url, "/OS-CREDENTIAL/securitytokens"),
            &body,
        )?
        .with_auth(CallAuth::As(&with_token));
        let reply = transport.send(call, cancel).await?;
        let federated = read_keys(&reply, keys::from_iam)?;
        // 3. Those for the agency's.
        let signing = Credentials::AkSk(federated.keys);
        let call = sts_assume_call(
            &self.sts_url,
            &self.domain_id,
            &self.agency_name,
            self.duration_seconds,
        )?
        .with_auth(CallAuth::As(&signing));
        let reply = transport.send(call, cancel).await?;
        read_keys(&reply, keys::from_sts)
    }

    async fn read_id_token(&self) -> Result<Secret, ApiError> {
        match &self.id_token {
            IdToken::Value(token) => Ok(token.clone()),
            IdToken::File(path) => {
                let bytes = ca_file::read_ca_file(path.clone()).await.map_err(|err| {
                    ApiError::Config(format!(
                        "could not read the ID token file {}: {err}",
                        path.display()
                    ))
                })?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    ApiError::Config(format!("the ID token file {} is not text", path.display()))
                })?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(ApiError::Config(format!(
                        "the ID token file {} is empty",
                        path.display()
                    )));
                }
                Ok(Secret::new(token))
            }
        }
    }
}
