//! What the API answers, as data: the JSON bodies of its answers and errors, the typed
//! results callers get from them, and a raw [`Reply`] turned into either.

use reqwest::StatusCode;
use serde::Deserialize;

use crate::taurusdb::api::error::ApiError;
use crate::taurusdb::api::retry;

/// The answer to a call that starts an asynchronous job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStarted {
    pub job_id: String,
    pub request_id: Option<String>,
}

/// One data synchronization task as the list call reports it. Besides the name, every
/// field is optional and read leniently: the service (and its SDKs) spell numbers as
/// strings or numbers and flags as bools or `"true"`/`"false"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Replication {
    pub task_name: String,
    #[serde(default)]
    pub stage: Option<String>,
    /// `Yes` (normal) or `No` (abnormal).
    #[serde(default, deserialize_with = "lenient::text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub source_database: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub target_database: Option<String>,
    /// Progress in percent, as the service wrote it (e.g. `"100"`).
    #[serde(default, deserialize_with = "lenient::text")]
    pub percentage: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub catchup_stage: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub catchup_percentage: Option<String>,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub is_main_task: Option<bool>,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub is_need_repair: Option<bool>,
}

/// Field readers that take what the service sends, whatever JSON type it chose; a value
/// that cannot mean anything (an object, an odd string for a flag) reads as absent
/// rather than failing the whole listing.
mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value as J;

    /// A string, number or bool as text.
    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match J::deserialize(d)? {
            J::String(s) => Some(s),
            J::Number(n) => Some(n.to_string()),
            J::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    }

    /// A bool, `"true"`/`"false"` in any case, or 0/1.
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(match J::deserialize(d)? {
            J::Bool(b) => Some(b),
            J::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
            J::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
            J::Number(n) if n.as_u64() == Some(1) => Some(true),
            J::Number(n) if n.as_u64() == Some(0) => Some(false),
            _ => None,
        })
    }
}

/// The state of an asynchronous job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Other(String),
}

impl JobStatus {
    fn parse(status: &str) -> Self {
        match status.to_ascii_lowercase().as_str() {
            "pending" => JobStatus::Pending,
            "running" => JobStatus::Running,
            "completed" => JobStatus::Completed,
            "failed" => JobStatus::Failed,
            _ => JobStatus::Other(status.to_string()),
        }
    }

    /// The status as the service spells it (`Running`, ...).
    pub fn name(&self) -> &str {
        match self {
            JobStatus::Pending => "Pending",
            JobStatus::Running => "Running",
            JobStatus::Completed => "Completed",
            JobStatus::Failed => "Failed",
            JobStatus::Other(other) => other,
        }
    }
}

/// A job as the jobs API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub status: JobStatus,
    pub process: Option<String>,
    pub fail_reason: Option<String>,
}

/// What came back from one request.
pub(super) struct Reply {
    pub status: StatusCode,
    pub request_id: Option<String>,
    pub subject_token: Option<String>,
    pub body: bytes::Bytes,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error_code: Option<String>,
    error_msg: Option<String>,
    error: Option<GatewayError>,
}

/// The gateway's and IAM's variant of the error body (`code` may be a number).
#[derive(Debug, Deserialize)]
struct GatewayError {
    code: Option<serde_json::Value>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct JobStartedBody {
    job_id: Option<String>,
}

/// One page of the list call.
#[derive(Debug, Deserialize)]
pub(super) struct ListBody {
    #[serde(default)]
    total_count: Option<serde_json::Value>,
    #[serde(default)]
    pub replications: Vec<Replication>,
}

impl ListBody {
    /// How many tasks the service says there are, when it says so (a number or a string).
    pub fn total_count(&self) -> Option<usize> {
        self.total_count.as_ref().and_then(count_of)
    }
}

#[derive(Debug, Deserialize)]
struct JobEnvelope {
    job: Option<JobBody>,
}

#[derive(Debug, Deserialize)]
struct JobBody {
    id: Option<String>,
    status: Option<String>,
    process: Option<String>,
    fail_reason: Option<String>,
}

/// The body of a pause or resume request.
pub(super) fn job_request(task_name: &str) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(&serde_json::json!({ "task_name": task_name }))
        .map_err(|err| ApiError::Config(err.to_string()))
}

/// The job a pause or resume started; an answer without a job ID is an error.
pub(super) fn job_started(reply: Reply) -> Result<JobStarted, ApiError> {
    let parsed: JobStartedBody = parse_body(&reply)?;
    match parsed.job_id {
        Some(job_id) if !job_id.is_empty() => Ok(JobStarted {
            job_id,
            request_id: reply.request_id,
        }),
        _ => Err(invalid(&reply, "the response carries no job_id")),
    }
}

/// The job in a jobs API answer, or None when it names none.
pub(super) fn job(reply: &Reply, job_id: &str) -> Result<Option<Job>, ApiError> {
    let envelope: JobEnvelope = parse_body(reply)?;
    Ok(envelope.job.map(|job| Job {
        id: job.id.unwrap_or_else(|| job_id.to_string()),
        status: JobStatus::parse(job.status.as_deref().unwrap_or("")),
        process: job.process,
        fail_reason: job.fail_reason.filter(|r| !r.is_empty()),
    }))
}

fn count_of(value: &serde_json::Value) -> Option<usize> {
    match value {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn invalid(reply: &Reply, reason: &str) -> ApiError {
    ApiError::InvalidResponse {
        status: reply.status.as_u16(),
        reason: reason.to_string(),
        request_id: reply.request_id.clone(),
    }
}

pub(super) fn parse_body<T: serde::de::DeserializeOwned>(reply: &Reply) -> Result<T, ApiError> {
    serde_json::from_slice(&reply.body)
        .map_err(|err| invalid(reply, &format!("body is not the documented JSON ({err})")))
}

/// An error answer as an [`ApiError::Status`]: the documented error body, the gateway's
/// and IAM's variant, or an excerpt of whatever else came.
pub(super) fn status_error(reply: Reply, retry_after: Option<&str>) -> ApiError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(&reply.body).ok();
    let (code, message) = match parsed {
        Some(ErrorBody {
            error_code,
            error_msg,
            error,
        }) if error_code.is_some() || error_msg.is_some() || error.is_some() => {
            let (gw_code, gw_message) = error
                .map(|e| {
                    let code = e.code.map(|c| match c {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    });
                    (code, e.message)
                })
                .unwrap_or_default();
            (
                error_code.or(gw_code),
                error_msg
                    .or(gw_message)
                    .unwrap_or_else(|| "no error message".to_string()),
            )
        }
        _ => (None, body_excerpt(&reply.body, reply.status)),
    };
    ApiError::Status {
        status: reply.status.as_u16(),
        code,
        message,
        request_id: reply.request_id,
        retry_after: retry_after.and_then(retry::parse_retry_after),
    }
}

/// A short, single-line excerpt of a body that is not the documented error JSON.
fn body_excerpt(body: &[u8], status: StatusCode) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return status
            .canonical_reason()
            .unwrap_or("empty response body")
            .to_string();
    }
    let mut excerpt: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        excerpt.push('…');
    }
    excerpt
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// How IAM refuses a password.
    const IAM_REFUSAL: &[u8] = concat!(
        r#"{"error":{"code":401,"message":"The username or password is wrong.","#,
        r#""title":"Unauthorized"}}"#
    )
    .as_bytes();

    fn reply(status: StatusCode, body: &'static [u8]) -> Reply {
        Reply {
            status,
            request_id: Some("r".into()),
            subject_token: None,
            body: bytes::Bytes::from_static(body),
        }
    }

    #[test]
    fn non_json_error_bodies_become_an_excerpt() {
        let err = status_error(
            reply(
                StatusCode::BAD_GATEWAY,
                b"<html>\n  <body>Bad gateway</body>\n</html>",
            ),
            None,
        );
        let ApiError::Status { code, message, .. } = err else {
            panic!("status error expected");
        };
        assert_eq!(code, None);
        assert_eq!(message, "<html> <body>Bad gateway</body> </html>");
    }

    #[test]
    fn gateway_and_iam_error_shapes_are_understood() {
        let err = status_error(
            reply(
                StatusCode::TOO_MANY_REQUESTS,
                br#"{"error":{"code":"APIGW.0308","message":"throttled"}}"#,
            ),
            Some("3"),
        );
        assert_eq!(err.code(), Some("APIGW.0308"));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
        let iam = status_error(reply(StatusCode::UNAUTHORIZED, IAM_REFUSAL), None);
        assert_eq!(iam.code(), Some("401"));
        assert!(
            iam.to_string()
                .contains("The username or password is wrong.")
        );
    }

    #[test]
    fn total_count_may_be_a_string_or_a_number() {
        assert_eq!(count_of(&serde_json::json!("2")), Some(2));
        assert_eq!(count_of(&serde_json::json!(7)), Some(7));
        assert_eq!(count_of(&serde_json::json!(null)), None);
    }

    #[test]
    fn task_fields_are_read_whatever_json_type_they_come_in() {
        let page: ListBody = serde_json::from_str(
            r#"{"replications": [
                {"task_name": "a", "stage": "Paused", "status": "Yes",
                 "source_database": "db", "target_database": "db",
                 "percentage": 87.5, "catchup_stage": "-", "catchup_percentage": "100",
                 "is_main_task": "true", "is_need_repair": false},
                {"task_name": "b", "percentage": "12", "is_main_task": true,
                 "is_need_repair": "FALSE", "status": null, "catchup_percentage": 3},
                {"task_name": "c", "is_main_task": "maybe", "percentage": {"odd": 1}}
            ]}"#,
        )
        .expect("parses");
        let [a, b, c] = page.replications.as_slice() else {
            panic!("three tasks");
        };
        assert_eq!(a.percentage.as_deref(), Some("87.5"));
        assert_eq!(a.is_main_task, Some(true));
        assert_eq!(a.is_need_repair, Some(false));
        assert_eq!(a.source_database.as_deref(), Some("db"));
        assert_eq!(b.percentage.as_deref(), Some("12"));
        assert_eq!(b.catchup_percentage.as_deref(), Some("3"));
        assert_eq!(b.is_need_repair, Some(false));
        assert_eq!(b.status, None);
        assert_eq!(b.target_database, None);
        assert_eq!((c.is_main_task, c.percentage.as_deref()), (None, None));
    }

    #[test]
    fn listed_tasks_take_numbers_or_text_and_ignore_what_they_do_not_know() {
        let page: ListBody = serde_json::from_value(serde_json::json!({
            "total_count": "2",
            "replications": [
                {
                    "task_name": "orders_sync", "source_database": "orders",
                    "target_database": "orders", "status": "Yes", "stage": "Paused",
                    "percentage": 100, "catchup_stage": "-", "catchup_percentage": "100",
                    "is_need_repair": "false", "is_main_task": true, "ext_text": {"x": 1}
                },
                {"task_name": "bare", "percentage": null, "is_main_task": "maybe"}
            ]
        }))
        .expect("a page");
        let full = &page.replications[0];
        assert_eq!(full.percentage.as_deref(), Some("100"));
        assert_eq!(full.catchup_percentage.as_deref(), Some("100"));
        assert_eq!(full.source_database.as_deref(), Some("orders"));
        assert_eq!(full.is_need_repair, Some(false));
        assert_eq!(full.is_main_task, Some(true));
        let bare = &page.replications[1];
        assert_eq!(bare.percentage, None);
        assert_eq!(bare.is_main_task, None);
        assert_eq!(bare.stage, None);
    }

    #[test]
    fn job_status_is_case_insensitive() {
        assert_eq!(JobStatus::parse("Completed"), JobStatus::Completed);
        assert_eq!(JobStatus::parse("FAILED"), JobStatus::Failed);
        assert_eq!(JobStatus::parse("odd"), JobStatus::Other("odd".into()));
    }
}
