//! The API errors the simulator can answer with, and how they are rendered.
//!
//! Every error body has the real service's shape `{"error_code": ..., "error_msg": ...}`; this
//! module is the single table of codes, HTTP statuses and (where known) localized messages, so
//! handlers only say *which* error happened.

use std::convert::Infallible;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer of the simulated API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ApiError {
    /// The instance does not exist (or not in the project of the URL).
    #[error("Instance not found.")]
    InstanceNotFound,
    /// The instance exists but has no replication task of that name.
    #[error("The synchronization task does not exist.")]
    TaskNotFound,
    /// No job with that id in the project.
    #[error("Job not found.")]
    JobNotFound,
    /// A pause of a task that is already paused. The real service's answer to this is not
    /// documented; the simulator refuses with its own code so clients must cope with a refusal.
    #[error("The synchronization task is already paused.")]
    AlreadyPaused,
    /// A resume of a task that is not paused (simulator-specific code, like `AlreadyPaused`).
    #[error("The synchronization task is not paused.")]
    NotPaused,
    /// A malformed body or query parameter; the text says what is wrong.
    #[error("{0}")]
    InvalidParameter(String),
    /// Missing or wrong (or revoked) `X-Auth-Token`, and no AK/SK signature.
    #[error("Incorrect IAM authentication information: verify token fail")]
    Unauthorized,
    /// An AK/SK signature that does not verify (wrong secret, tampered request, stale or
    /// missing `X-Sdk-Date`, unsigned `X-Security-Token`, malformed header).
    #[error("Incorrect IAM authentication information: verify aksk signature fail")]
    SignatureInvalid,
    /// An AK/SK signature by a temporary access key that has expired.
    #[error("Incorrect IAM authentication information: the security token has expired")]
    TemporaryCredentialExpired,
    /// An AK/SK signature by an access key the simulator does not know.
    #[error("Incorrect IAM authentication information: ak {0} not exist")]
    UnknownAccessKey(String),
    /// The gateway's rate limit (an injected throttling fault).
    #[error("The throttling threshold has been reached: policy user over ratelimit")]
    Throttled,
    /// No such route (or method) on the gateway.
    #[error("The API does not exist or has not been published in the environment.")]
    NoSuchApi,
    /// A hung request was released because the simulator is stopping.
    #[error("The simulator is shutting down.")]
    ShuttingDown,
}

impl ApiError {
    /// Shorthand for [`ApiError::InvalidParameter`].
    pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::InvalidParameter(message.into())
    }

    /// HTTP status the real service uses for this error.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::InstanceNotFound
            | ApiError::TaskNotFound
            | ApiError::JobNotFound
            | ApiError::AlreadyPaused
            | ApiError::NotPaused
            | ApiError::InvalidParameter(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized
            | ApiError::SignatureInvalid
            | ApiError::TemporaryCredentialExpired
            | ApiError::UnknownAccessKey(_) => StatusCode::UNAUTHORIZED,
            ApiError::Throttled => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NoSuchApi => StatusCode::NOT_FOUND,
            ApiError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `error_code` field.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            ApiError::InstanceNotFound => "DBS.200022",
            ApiError::TaskNotFound => "DBS.270022",
            ApiError::JobNotFound => "DBS.200009",
            ApiError::AlreadyPaused => "SIM.270101",
            ApiError::NotPaused => "SIM.270102",
            ApiError::InvalidParameter(_) => "DBS.200001",
            ApiError::Unauthorized
            | ApiError::SignatureInvalid
            | ApiError::TemporaryCredentialExpired
            | ApiError::UnknownAccessKey(_) => "APIGW.0301",
            ApiError::Throttled => "APIGW.0308",
            ApiError::NoSuchApi => "APIGW.0101",
            ApiError::ShuttingDown => "SIM.0503",
        }
    }

    /// The `error_msg` field in the requested language (English where no translation is known).
    pub(crate) fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ApiError::InstanceNotFound, Lang::ZhCn) => "实例不存在。".to_owned(),
            _ => self.to_string(),
        }
    }

    /// Renders the error as the real service would, in `lang`.
    pub(crate) fn into_response_in(self, lang: Lang) -> Response {
        let body = json!({ "error_code": self.code(), "error_msg": self.message(lang) });
        (self.status(), Json(body)).into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.into_response_in(Lang::EnUs)
    }
}

/// Language of error messages, chosen by the `X-Language` request header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Lang {
    /// `en-us`, also used when the header is absent or unknown.
    #[default]
    EnUs,
    /// `zh-cn`.
    ZhCn,
}

impl Lang {
    /// Reads `X-Language`; anything but `zh-cn` (case-insensitive) means English.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Lang {
        match headers.get("x-language").and_then(|v| v.to_str().ok()) {
            Some(v) if v.trim().eq_ignore_ascii_case("zh-cn") => Lang::ZhCn,
            _ => Lang::EnUs,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
}

/// Turns a handler outcome into a response: JSON 200 on success, the error's own shape otherwise.
pub(crate) fn respond(lang: Lang, outcome: Result<serde_json::Value, ApiError>) -> Response {
    match outcome {
        Ok(body) => (StatusCode::OK, Json(body)).into_response(),
        Err(err) => err.into_response_in(lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn codes_and_statuses_match_the_service() {
        assert_eq!(ApiError::InstanceNotFound.code(), "DBS.200022");
        assert_eq!(ApiError::InstanceNotFound.status(), StatusCode::BAD_REQUEST);
        assert_eq!(ApiError::TaskNotFound.code(), "DBS.270022");
        assert_eq!(ApiError::JobNotFound.code(), "DBS.200009");
        assert_eq!(ApiError::Unauthorized.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(ApiError::SignatureInvalid.code(), "APIGW.0301");
        assert_eq!(
            ApiError::UnknownAccessKey("AK1".to_owned()).to_string(),
            "Incorrect IAM authentication information: ak AK1 not exist"
        );
        assert_eq!(ApiError::Throttled.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(ApiError::Throttled.code(), "APIGW.0308");
        assert_eq!(ApiError::NoSuchApi.status(), StatusCode::NOT_FOUND);
        assert_eq!(ApiError::AlreadyPaused.status(), StatusCode::BAD_REQUEST);
        assert_eq!(ApiError::AlreadyPaused.code(), "SIM.270101");
        assert_eq!(ApiError::NotPaused.code(), "SIM.270102");
    }

    #[test]
    fn language_header_selects_chinese_only_for_zh_cn() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::from_headers(&headers), Lang::EnUs);
        headers.insert("x-language", HeaderValue::from_static("ZH-CN"));
        assert_eq!(Lang::from_headers(&headers), Lang::ZhCn);
        headers.insert("x-language", HeaderValue::from_static("en-us"));
        assert_eq!(Lang::from_headers(&headers), Lang::EnUs);
        assert_eq!(
            ApiError::InstanceNotFound.message(Lang::ZhCn),
            "实例不存在。"
        );
        assert_eq!(
            ApiError::TaskNotFound.message(Lang::ZhCn),
            "The synchronization task does not exist."
        );
    }
}
