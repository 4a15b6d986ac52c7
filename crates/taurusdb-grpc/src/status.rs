//! Failures as gRPC statuses a client can act on: the code says what kind of failure it
//! is, and the TaurusDB facts (error_code, error_msg, request id, HTTP status), the
//! outcome of a pause or resume and the job ID travel twice: as google.rpc status
//! details (ErrorInfo, RequestInfo, BadRequest, RetryInfo) and as plain `taurusdb-*`
//! trailers for clients that do not decode details. The proto file documents both.

use std::collections::HashMap;
use std::time::Duration;

use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

use crate::error::{CallError, Failed, JobFailure, Outcome};
use taurusdb_api::ApiError;
use taurusdb_api::job::{Gone, NotDone, Uncertain};
use taurusdb_api::wait::WaitError;

/// ErrorInfo's domain.
pub const DOMAIN: &str = "taurusdb.replication.v1";

/// The plain trailers (values are ASCII; one that is not is left out).
pub mod trailers {
    pub const ERROR_CODE: &str = "taurusdb-error-code";
    pub const REQUEST_ID: &str = "taurusdb-request-id";
    pub const HTTP_STATUS: &str = "taurusdb-http-status";
    pub const OUTCOME: &str = "taurusdb-outcome";
    pub const JOB_ID: &str = "taurusdb-job-id";
    pub const FIELD: &str = "taurusdb-field";
}

/// ErrorInfo metadata keys.
pub mod keys {
    pub const ERROR_CODE: &str = "error_code";
    pub const ERROR_MSG: &str = "error_msg";
    pub const REQUEST_ID: &str = "request_id";
    pub const HTTP_STATUS: &str = "http_status";
    pub const OUTCOME: &str = "outcome";
    pub const JOB_ID: &str = "job_id";
    pub const FIELD: &str = "field";
}

/// What TaurusDB said, when it said something.
#[derive(Debug, Default)]
struct ApiFacts {
    http_status: Option<u16>,
    error_code: Option<String>,
    error_msg: Option<String>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
}

impl ApiFacts {
    fn of(err: &ApiError) -> Self {
        match err {
            ApiError::Status {
                status,
                code,
                message,
                request_id,
                retry_after,
            } => Self {
                http_status: Some(*status),
                error_code: code.clone(),
                error_msg: Some(message.clone()),
                request_id: request_id.clone(),
                retry_after: *retry_after,
            },
            ApiError::InvalidResponse {
                status, request_id, ..
            }
            | ApiError::Redirect {
                status, request_id, ..
            }
            | ApiError::BodyTooLarge {
                status, request_id, ..
            } => Self {
                http_status: Some(*status),
                request_id: request_id.clone(),
                ..Self::default()
            },
            ApiError::IamToken(inner) | ApiError::TemporaryCredentials { error: inner, .. } => {
                Self::of(inner)
            }
            _ => Self::default(),
        }
    }
}

/// Everything a status is made of.
struct StatusParts {
    code: Code,
    message: String,
    /// ErrorInfo's reason: TaurusDB's error_code, or one of ours.
    reason: String,
    api: ApiFacts,
    outcome: Option<Outcome>,
    job_id: Option<String>,
    field: Option<(&'static str, String)>,
}

impl From<CallError> for Status {
    fn from(err: CallError) -> Self {
        parts(err).into_status()
    }
}

fn parts(err: CallError) -> StatusParts {
    let message = one_line(&err.to_string());
    let plain = |code: Code, reason: &str| StatusParts {
        code,
        message: message.clone(),
        reason: reason.to_string(),
        api: ApiFacts::default(),
        outcome: None,
        job_id: None,
        field: None,
    };
    match err {
        CallError::InvalidArgument { field, problem } => StatusParts {
            field: Some((field, format!("{field} {problem}"))),
            ..plain(Code::InvalidArgument, "INVALID_ARGUMENT")
        },
        CallError::NotConfigured(_) => plain(Code::FailedPrecondition, "NOT_CONFIGURED"),
        CallError::DeadlineTooShort { .. } => StatusParts {
            outcome: Some(Outcome::NotDone),
            ..plain(Code::DeadlineExceeded, "DEADLINE_TOO_SHORT")
        },
        CallError::JobNotFound { .. } => plain(Code::NotFound, "JOB_NOT_FOUND"),
        CallError::Internal(_) => plain(Code::Internal, "INTERNAL"),
        CallError::Read { err, .. } => {
            let (code, reason) = api_code(&err);
            StatusParts {
                api: ApiFacts::of(&err),
                ..plain(code, &reason)
            }
        }
        CallError::Job(failure) => job_parts(*failure, message),
    }
}

fn job_parts(failure: JobFailure, message: String) -> StatusParts {
    let JobFailure {
        failed,
        shutting_down,
        ..
    } = failure;
    let outcome = failed.outcome();
    let job_id = failed.job_id().map(str::to_string);
    let cancelled = || {
        if shutting_down {
            (Code::Unavailable, "SHUTTING_DOWN".to_string())
        } else {
            (Code::Cancelled, "CANCELLED".to_string())
        }
    };
    let mut api = ApiFacts::default();
    let (code, reason) = match &failed {
        // The request was sent and its answer lost: nobody knows what happened.
        Failed::Uncertain(Uncertain::Request { err, .. }) => {
            api = ApiFacts::of(err);
            let reason = err.code().map_or_else(|| own_reason(err), str::to_string);
            (Code::Unknown, reason)
        }
        Failed::NotDone(NotDone::Api(ApiError::Cancelled | ApiError::Interrupted { .. }))
        | Failed::Gone(Gone::Refused(ApiError::Cancelled | ApiError::Interrupted { .. })) => {
            cancelled()
        }
        Failed::NotDone(NotDone::Api(err)) | Failed::Gone(Gone::Refused(err)) => {
            api = ApiFacts::of(err);
            api_code(err)
        }
        Failed::NotDone(NotDone::Busy(_)) => (Code::Aborted, "TASK_BUSY".to_string()),
        Failed::NotDone(NotDone::TimedOutBeforeSending { .. }) => (
            Code::DeadlineExceeded,
            "TIMED_OUT_BEFORE_SENDING".to_string(),
        ),
        Failed::Gone(Gone::DuringWait) => (Code::NotFound, "TASK_GONE".to_string()),
        Failed::Uncertain(Uncertain::Wait { err, .. }) => match err {
            WaitError::JobFailed { .. } => (Code::Aborted, "JOB_FAILED".to_string()),
            WaitError::TaskGone { .. } => (Code::NotFound, "TASK_GONE".to_string()),
            WaitError::TaskCancelled { .. } => {
                (Code::FailedPrecondition, "TASK_CANCELLED".to_string())
            }
            WaitError::TimedOut { .. } => (Code::DeadlineExceeded, "TIMED_OUT".to_string()),
            WaitError::Cancelled => cancelled(),
            WaitError::Api(err) => {
                api = ApiFacts::of(err);
                api_code(err)
            }
        },
    };
    StatusParts {
        code,
        message,
        reason,
        api,
        outcome: Some(outcome),
        job_id,
        field: None,
    }
}

/// The code for a failed call of the API, and ErrorInfo's reason.
fn api_code(err: &ApiError) -> (Code, String) {
    let code = match err {
        ApiError::Status { status, .. } => match status {
            _ if err.is_task_gone() => Code::NotFound,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            429 => Code::ResourceExhausted,
            _ if err.is_instance_busy() => Code::Aborted,
            400..=499 => Code::FailedPrecondition,
            _ => Code::Unavailable,
        },
        // No credentials configured and none from the ECS: the operator must set some.
        ApiError::TemporaryCredentials {
            last_resort: true, ..
        } => Code::FailedPrecondition,
        ApiError::IamToken(inner) | ApiError::TemporaryCredentials { error: inner, .. } => {
            match inner.status() {
                Some(400..=499) => Code::Unauthenticated,
                _ => api_code(inner).0,
            }
        }
        ApiError::ProjectLookup { .. } => Code::FailedPrecondition,
        ApiError::Connect { .. } | ApiError::Timeout { .. } | ApiError::Transport { .. } => {
            Code::Unavailable
        }
        ApiError::Cancelled | ApiError::Interrupted { .. } => Code::Cancelled,
        ApiError::Redirect { .. } | ApiError::Config(_) => Code::FailedPrecondition,
        ApiError::InvalidResponse { .. }
        | ApiError::BodyTooLarge { .. }
        | ApiError::ListTooLarge { .. } => Code::Internal,
        ApiError::ListTooSlow { .. } => Code::Unavailable,
    };
    let reason = match err {
        ApiError::TemporaryCredentials {
            last_resort: true, ..
        } => "NO_CREDENTIALS".to_string(),
        ApiError::IamToken(inner) | ApiError::TemporaryCredentials { error: inner, .. }
            if matches!(inner.status(), Some(400..=499)) =>
        {
            "IAM_REFUSED".to_string()
        }
        _ => err.code().map_or_else(|| own_reason(err), str::to_string),
    };
    (code, reason)
}

/// Our reason for a failure that came without TaurusDB's error_code.
fn own_reason(err: &ApiError) -> String {
    match err {
        ApiError::Status { status, .. } => format!("HTTP_{status}"),
        ApiError::IamToken(inner) => own_reason(inner),
        ApiError::TemporaryCredentials {
            last_resort: true, ..
        } => "NO_CREDENTIALS".into(),
        ApiError::TemporaryCredentials { .. } => "NO_TEMPORARY_CREDENTIALS".into(),
        ApiError::ProjectLookup { .. } => "PROJECT_NOT_FOUND".into(),
        ApiError::Connect { .. } => "UNREACHABLE".into(),
        ApiError::Timeout { .. } => "UPSTREAM_TIMEOUT".into(),
        ApiError::Transport { .. } => "CONNECTION_BROKEN".into(),
        ApiError::Cancelled | ApiError::Interrupted { .. } => "CANCELLED".into(),
        ApiError::Redirect { .. } => "REDIRECT_REFUSED".into(),
        ApiError::InvalidResponse { .. } => "INVALID_RESPONSE".into(),
        ApiError::BodyTooLarge { .. } => "RESPONSE_TOO_LARGE".into(),
        ApiError::ListTooLarge { .. } => "LIST_TOO_LARGE".into(),
        ApiError::ListTooSlow { .. } => "LIST_TOO_SLOW".into(),
        ApiError::Config(_) => "CLIENT_CONFIG".into(),
    }
}

/// Paragraphs joined into one line (grpc-message is shown on one line).
fn one_line(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl StatusParts {
    fn into_status(self) -> Status {
        let StatusParts {
            code,
            message,
            reason,
            api,
            outcome,
            job_id,
            field,
        } = self;
        let http_status = api.http_status.map(|s| s.to_string());
        let facts: [(&str, &str, Option<&str>); 6] = [
            (
                keys::ERROR_CODE,
                trailers::ERROR_CODE,
                api.error_code.as_deref(),
            ),
            (
                keys::REQUEST_ID,
                trailers::REQUEST_ID,
                api.request_id.as_deref(),
            ),
            (
                keys::HTTP_STATUS,
                trailers::HTTP_STATUS,
                http_status.as_deref(),
            ),
            (
                keys::OUTCOME,
                trailers::OUTCOME,
                outcome.map(Outcome::as_str),
            ),
            (keys::JOB_ID, trailers::JOB_ID, job_id.as_deref()),
            (
                keys::FIELD,
                trailers::FIELD,
                field.as_ref().map(|(f, _)| *f),
            ),
        ];
        let mut info: HashMap<String, String> = HashMap::new();
        let mut metadata = MetadataMap::new();
        for (key, trailer, value) in facts {
            let Some(value) = value else { continue };
            info.insert(key.to_string(), value.to_string());
            if let Ok(value) = MetadataValue::try_from(value) {
                metadata.insert(trailer, value);
            }
        }
        if let Some(error_msg) = &api.error_msg {
            info.insert(keys::ERROR_MSG.to_string(), error_msg.clone());
        }
        let mut details = ErrorDetails::new();
        details.set_error_info(reason, DOMAIN, info);
        if let Some(request_id) = &api.request_id {
            details.set_request_info(request_id.clone(), "");
        }
        if let Some((field, problem)) = field {
            details.add_bad_request_violation(field, problem);
        }
        if code == Code::ResourceExhausted && api.retry_after.is_some() {
            details.set_retry_info(api.retry_after);
        }
        Status::with_error_details_and_metadata(code, message, details, metadata)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, code: Option<&str>) -> ApiError {
        ApiError::Status {
            status,
            code: code.map(str::to_string),
            message: "m".into(),
            request_id: Some("rid-1".into()),
            retry_after: None,
        }
    }

    #[test]
    fn api_failures_map_to_codes_a_client_can_act_on() {
        let cases = [
            (
                status(400, Some("DBS.200022")),
                Code::NotFound,
                "DBS.200022",
            ),
            (
                status(400, Some("DBS.05000044")),
                Code::NotFound,
                "DBS.05000044",
            ),
            // "No such instance" although 403: NOT_FOUND, not PERMISSION_DENIED.
            (
                status(403, Some("DBS.2000044")),
                Code::NotFound,
                "DBS.2000044",
            ),
            (
                status(400, Some("DBS.270022")),
                Code::NotFound,
                "DBS.270022",
            ),
            (
                status(401, Some("APIGW.0301")),
                Code::Unauthenticated,
                "APIGW.0301",
            ),
            (
                status(403, Some("APIGW.0302")),
                Code::PermissionDenied,
                "APIGW.0302",
            ),
            (
                status(429, Some("APIGW.0308")),
                Code::ResourceExhausted,
                "APIGW.0308",
            ),
            (status(409, Some("DBS.200019")), Code::Aborted, "DBS.200019"),
            (
                status(400, Some("DBS.999999")),
                Code::FailedPrecondition,
                "DBS.999999",
            ),
            (status(503, None), Code::Unavailable, "HTTP_503"),
            (
                ApiError::IamToken(Box::new(status(401, Some("401")))),
                Code::Unauthenticated,
                "IAM_REFUSED",
            ),
            (
                ApiError::Connect {
                    endpoint: "e".into(),
                    detail: "refused".into(),
                    attempts: 1,
                    waited: std::time::Duration::ZERO,
                },
                Code::Unavailable,
                "UNREACHABLE",
            ),
            // Nothing configured and no ECS agency: the operator must act.
            (
                ApiError::TemporaryCredentials {
                    from: "the ECS metadata service".into(),
                    last_resort: true,
                    error: Box::new(status(404, None)),
                },
                Code::FailedPrecondition,
                "NO_CREDENTIALS",
            ),
            // An agency that refuses: the credentials' problem.
            (
                ApiError::TemporaryCredentials {
                    from: "agency".into(),
                    last_resort: false,
                    error: Box::new(status(403, None)),
                },
                Code::Unauthenticated,
                "IAM_REFUSED",
            ),
            (
                ApiError::InvalidResponse {
                    status: 200,
                    reason: "r".into(),
                    request_id: None,
                },
                Code::Internal,
                "INVALID_RESPONSE",
            ),
        ];
        for (err, code, reason) in cases {
            assert_eq!(api_code(&err), (code, reason.to_string()), "{err}");
        }
    }

    #[test]
    fn a_lost_answer_is_unknown_and_marked_uncertain() {
        let failure = JobFailure {
            failed: Failed::Uncertain(Uncertain::Request {
                err: status(502, None),
                timed_out: false,
            }),
            shutting_down: false,
            message: "The pause may or may not have happened:\n\nHTTP 502".into(),
        };
        let status = Status::from(CallError::Job(Box::new(failure)));
        assert_eq!(status.code(), Code::Unknown);
        assert_eq!(
            status.message(),
            "The pause may or may not have happened: HTTP 502"
        );
        let trailer = |name: &str| {
            status
                .metadata()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(trailer(trailers::OUTCOME).as_deref(), Some("uncertain"));
        assert_eq!(trailer(trailers::HTTP_STATUS).as_deref(), Some("502"));
        assert_eq!(trailer(trailers::REQUEST_ID).as_deref(), Some("rid-1"));
        assert_eq!(trailer(trailers::ERROR_CODE), None);
        let details = status.get_error_details();
        let info = details.error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "HTTP_502");
        assert_eq!(info.domain, DOMAIN);
        assert_eq!(
            info.metadata.get("outcome").map(String::as_str),
            Some("uncertain")
        );
        assert_eq!(
            info.metadata.get("error_msg").map(String::as_str),
            Some("m")
        );
        let request = details.request_info().expect("RequestInfo");
        assert_eq!(request.request_id, "rid-1");
    }

    #[test]
    fn a_cancelled_task_is_a_failed_precondition_after_the_job_started() {
        let failure = JobFailure {
            failed: Failed::Uncertain(Uncertain::Wait {
                job_id: "job-1".into(),
                err: WaitError::TaskCancelled {
                    task_name: "t".into(),
                    stage: "Cancelled".into(),
                },
            }),
            shutting_down: false,
            message: "Task \"t\" was cancelled during the resume".into(),
        };
        let status = Status::from(CallError::Job(Box::new(failure)));
        assert_eq!(status.code(), Code::FailedPrecondition);
        let info = status
            .get_error_details()
            .error_info()
            .cloned()
            .expect("info");
        assert_eq!(info.reason, "TASK_CANCELLED");
        assert_eq!(
            status
                .metadata()
                .get(trailers::JOB_ID)
                .and_then(|v| v.to_str().ok()),
            Some("job-1")
        );
    }

    #[test]
    fn non_ascii_values_stay_out_of_trailers_but_reach_the_details() {
        let err = ApiError::Status {
            status: 400,
            code: Some("DBS.200022".into()),
            message: "实例不存在".into(),
            request_id: Some("rid".into()),
            retry_after: None,
        };
        let status = Status::from(CallError::Read {
            what: "list".into(),
            err,
        });
        assert_eq!(status.code(), Code::NotFound);
        let info = status
            .get_error_details()
            .error_info()
            .cloned()
            .expect("info");
        assert_eq!(
            info.metadata.get("error_msg").map(String::as_str),
            Some("实例不存在")
        );
        assert_eq!(
            status
                .metadata()
                .get(trailers::ERROR_CODE)
                .and_then(|v| v.to_str().ok()),
            Some("DBS.200022")
        );
    }
}
