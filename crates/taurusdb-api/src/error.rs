//! Everything that can go wrong talking to the API, kept as data so the Terraform
//! layer can say precisely what happened (status, error_code, error_msg, request id).

use std::time::Duration;

/// The code of "no such instance" (in this project), as the pause/resume/list calls
/// answer it (HTTP 400 or 500).
pub const INSTANCE_NOT_FOUND: &str = "DBS.200022";
/// Every code meaning "no such instance": [`INSTANCE_NOT_FOUND`], and the ones the
/// official provider's StarRocks instance code also treats so, `DBS.05000044` (HTTP 400)
/// and `DBS.2000044` (HTTP 403). Recognised whatever the status, like DBS.200022.
pub const INSTANCE_NOT_FOUND_CODES: [&str; 3] = [INSTANCE_NOT_FOUND, "DBS.05000044", "DBS.2000044"];
/// The code of "the instance has no such synchronization task".
pub const TASK_NOT_FOUND: &str = "DBS.270022";
/// The code of "no such job (yet)".
pub const JOB_NOT_FOUND: &str = "DBS.200009";
/// 409 codes meaning "the instance is busy with another operation; try later".
pub const BUSY_CODES: [&str; 6] = [
    "DBS.200019",
    "DBS.201014",
    "DBS.201015",
    "DBS.200047",
    "DBS.05000084",
    "DBS.212033",
];

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The service answered with an error status.
    #[error("{}", describe_status(*.status, .code.as_deref(), .message, .request_id.as_deref()))]
    Status {
        status: u16,
        code: Option<String>,
        message: String,
        request_id: Option<String>,
        /// The service's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// The service answered 2xx with a body that is not what the API documents.
    #[error(
        "HTTP {status}: unexpected response: {reason}{}",
        request_suffix(.request_id.as_deref())
    )]
    InvalidResponse {
        status: u16,
        reason: String,
        request_id: Option<String>,
    },
    /// The service (or something in front of it) answered with a redirect. Redirects are
    /// never followed: credentials go only to the hosts the user configured.
    #[error(
        "HTTP {status}: redirect to {} not followed{}",
        .location.as_deref().unwrap_or("nowhere (no valid Location)"),
        request_suffix(.request_id.as_deref())
    )]
    Redirect {
        status: u16,
        /// The target, without user name, password or query.
        location: Option<String>,
        request_id: Option<String>,
    },
    /// The answer's body is larger than the client reads (the API's answers are small).
    #[error(
        "HTTP {status}: response body larger than {} MiB refused{}",
        .limit >> 20,
        request_suffix(.request_id.as_deref())
    )]
    BodyTooLarge {
        status: u16,
        limit: usize,
        request_id: Option<String>,
    },
    /// One listing of an instance's tasks went past one of its bounds (response bytes,
    /// tasks).
    #[error(
        "the task list is larger than the {bound} one listing may read (stopped after {pages} \
         pages); the service's answers look wrong"
    )]
    ListTooLarge { bound: ListBound, pages: usize },
    /// One listing of an instance's tasks took longer than its deadline.
    #[error(
        "the task list took longer than the {}s one listing may take (stopped after {pages} \
         pages); the service answers too slowly",
        .deadline.as_secs_f64()
    )]
    ListTooSlow { deadline: Duration, pages: usize },
    /// No connection could be made; the request never reached the service. `attempts`
    /// counts every try (retries included) and `waited` the time from the first to the
    /// last, so the message says how hard the client tried.
    #[error(
        "could not connect to {endpoint}: {detail} ({})",
        attempts_text(*.attempts, *.waited)
    )]
    Connect {
        endpoint: String,
        detail: String,
        attempts: u32,
        waited: Duration,
    },
    /// No answer within the request timeout.
    #[error("no answer from {endpoint} within {timeout:?}")]
    Timeout { endpoint: String, timeout: Duration },
    /// The connection failed after the request may have been sent.
    #[error("request to {endpoint} failed: {detail}")]
    Transport { endpoint: String, detail: String },
    /// Cancelled before the request was sent: the service did not see it.
    #[error("cancelled before the request was sent")]
    Cancelled,
    /// Cancelled while the request was in flight: the service may have processed it.
    #[error("interrupted while waiting for {endpoint} to answer")]
    Interrupted { endpoint: String },
    /// IAM did not issue a token for the configured user.
    #[error("could not obtain an IAM token: {0}")]
    IamToken(Box<ApiError>),
    /// The client could not be built (bad endpoint, TLS setup).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// Temporary credentials could not be obtained, so the call was never sent.
    /// `last_resort` when they were to come from the ECS metadata service only because
    /// nothing else was configured.
    #[error("could not obtain temporary credentials from {from}: {error}")]
    TemporaryCredentials {
        from: String,
        last_resort: bool,
        error: Box<ApiError>,
    },
    /// The project of a region could not be looked up: IAM knows none, or several.
    #[error(
        "IAM has {} project named {region:?} for these credentials{}",
        if *.found == 0 { "no" } else { "more than one" },
        if *.found == 0 { "" } else { " (give its ID)" }
    )]
    ProjectLookup { region: String, found: usize },
}

/// Which bound of one listing was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListBound {
    /// All response bodies together, in bytes.
    Bytes(usize),
    /// Distinct tasks.
    Tasks(usize),
}

impl std::fmt::Display for ListBound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListBound::Bytes(bytes) => write!(f, "{} MiB of answers", bytes >> 20),
            ListBound::Tasks(tasks) => write!(f, "{tasks} tasks"),
        }
    }
}

impl ApiError {
    /// The service's error code, when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Status { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The service says the instance does not exist (any of
    /// [`INSTANCE_NOT_FOUND_CODES`]).
    pub fn is_instance_not_found(&self) -> bool {
        self.code()
            .is_some_and(|code| INSTANCE_NOT_FOUND_CODES.contains(&code))
    }

    /// The service says the instance has no such task.
    pub fn is_task_not_found(&self) -> bool {
        self.code() == Some(TASK_NOT_FOUND)
    }

    /// The task, or its instance, does not exist.
    pub fn is_task_gone(&self) -> bool {
        self.is_instance_not_found() || self.is_task_not_found()
    }

    /// The jobs API does not know the job (yet): a 404, or its "not found" code.
    pub fn is_job_not_found(&self) -> bool {
        match self {
            ApiError::Status { status: 404, .. } => true,
            _ => self.code() == Some(JOB_NOT_FOUND),
        }
    }

    /// A 409 saying the instance is busy with another operation: try again later.
    pub fn is_instance_busy(&self) -> bool {
        self.status() == Some(409) && self.code().is_some_and(|code| BUSY_CODES.contains(&code))
    }

    /// How long the service asked us to wait before retrying.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the answer proves that the service did not carry the request out: it was
    /// refused with a 4xx status, no connection was made, or it was never sent. Only such
    /// answers let a POST count as "not done"; anything else (5xx, a redirect, a broken
    /// connection, a timeout, an unreadable 2xx) may come after the work was done.
    pub fn proves_not_processed(&self) -> bool {
        match self {
            ApiError::Status { status, .. } | ApiError::BodyTooLarge { status, .. } => {
                (400..500).contains(status)
            }
            ApiError::Connect { .. }
            | ApiError::Cancelled
            | ApiError::IamToken(_)
            | ApiError::TemporaryCredentials { .. }
            | ApiError::ProjectLookup { .. }
            | ApiError::Config(_) => true,
            ApiError::Redirect { .. }
            | ApiError::InvalidResponse { .. }
            | ApiError::ListTooLarge { .. }
            | ApiError::ListTooSlow { .. }
            | ApiError::Transport { .. }
            | ApiError::Timeout { .. }
            | ApiError::Interrupted { .. } => false,
        }
    }

    /// Whether the service may have carried the request out although the caller got no
    /// answer proving otherwise (so a POST must be treated as possibly done).
    pub fn may_have_been_processed(&self) -> bool {
        !self.proves_not_processed()
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. }
            | ApiError::InvalidResponse { status, .. }
            | ApiError::Redirect { status, .. }
            | ApiError::BodyTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }
}

fn describe_status(
    status: u16,
    code: Option<&str>,
    message: &str,
    request_id: Option<&str>,
) -> String {
    let code = code.map(|c| format!(" {c}")).unwrap_or_default();
    format!(
        "HTTP {status}{code}: {message}{}",
        request_suffix(request_id)
    )
}

/// `1 attempt`, or `6 attempts over 12.3s`.
fn attempts_text(attempts: u32, waited: Duration) -> String {
    if attempts <= 1 {
        "1 attempt".to_string()
    } else {
        format!("{attempts} attempts over {:.1}s", waited.as_secs_f64())
    }
}

fn request_suffix(request_id: Option<&str>) -> String {
    request_id
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_errors_name_everything_the_user_needs() {
        let err = ApiError::Status {
            status: 400,
            code: Some("DBS.200022".into()),
            message: "Instance not found.".into(),
            request_id: Some("req-1".into()),
            retry_after: None,
        };
        assert_eq!(
            err.to_string(),
            "HTTP 400 DBS.200022: Instance not found. (request id req-1)"
        );
        assert_eq!(err.code(), Some("DBS.200022"));
        assert!(err.is_instance_not_found() && err.is_task_gone());
        assert!(!err.is_task_not_found() && !err.is_job_not_found());
    }

    #[test]
    fn codes_say_what_is_missing_or_busy() {
        let coded = |status: u16, code: &str| ApiError::Status {
            status,
            code: Some(code.into()),
            message: String::new(),
            request_id: None,
            retry_after: None,
        };
        for (status, code) in [
            (400, "DBS.200022"),
            (500, "DBS.200022"),
            (400, "DBS.05000044"),
            (403, "DBS.2000044"),
        ] {
            let err = coded(status, code);
            assert!(err.is_instance_not_found(), "{code}");
            assert!(err.is_task_gone(), "{code}");
            assert!(
                !err.is_task_not_found() && !err.is_instance_busy(),
                "{code}"
            );
        }
        for near in ["DBS.20002", "DBS.0500004", "DBS.20000440", "dbs.200022"] {
            assert!(!coded(400, near).is_instance_not_found(), "{near}");
        }
        assert!(coded(400, "DBS.270022").is_task_not_found());
        assert!(coded(400, "DBS.270022").is_task_gone());
        assert!(coded(400, "DBS.200009").is_job_not_found());
        assert!(status(404).is_job_not_found());
        assert!(coded(409, "DBS.200019").is_instance_busy());
        assert!(!coded(400, "DBS.200019").is_instance_busy());
        assert!(!coded(409, "DBS.999999").is_instance_busy());
    }

    fn status(status: u16) -> ApiError {
        ApiError::Status {
            status,
            code: None,
            message: String::new(),
            request_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn only_refusals_and_unsent_requests_prove_nothing_happened() {
        for refused in [400, 401, 403, 404, 409, 429] {
            assert!(status(refused).proves_not_processed(), "{refused}");
        }
        for unknown in [500, 502, 503, 504] {
            assert!(status(unknown).may_have_been_processed(), "{unknown}");
        }
        let redirect = ApiError::Redirect {
            status: 307,
            location: Some("http://elsewhere/".into()),
            request_id: None,
        };
        assert!(redirect.may_have_been_processed());
        assert_eq!(
            redirect.to_string(),
            "HTTP 307: redirect to http://elsewhere/ not followed"
        );
        let refused = ApiError::Connect {
            endpoint: "http://h".into(),
            detail: "Connection refused".into(),
            attempts: 1,
            waited: Duration::ZERO,
        };
        assert!(refused.proves_not_processed());
        let broken = ApiError::Transport {
            endpoint: "http://h".into(),
            detail: "reset".into(),
        };
        assert!(broken.may_have_been_processed());
    }
}
