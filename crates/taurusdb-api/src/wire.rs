//! What the API answers, as data: the JSON bodies of its answers and errors, the typed
//! results callers get from them, and a raw [`Reply`] turned into either.
//!
//! Nothing the service sends is kept at whatever size it comes: every text field is cut
//! at [`MAX_TEXT_BYTES`] (marked with `…`) as it is read, a page holds at most the
//! [`PAGE_SIZE`] tasks asked for, and values of the wrong JSON type are skipped without
//! being built, so a hostile answer costs no more memory than its own bytes.

use reqwest::StatusCode;
use serde::Deserialize;

use crate::error::ApiError;
use crate::listing::PAGE_SIZE;
use crate::retry;

/// The most bytes of any one text field the service sends (a task name, stage, status,
/// progress, reason, error message) that is kept; longer ones are cut at a character
/// boundary and end in `…`. Real values are a few dozen bytes (task names at most 128).
pub const MAX_TEXT_BYTES: usize = 1024;

/// `text`, cut to [`MAX_TEXT_BYTES`] (plus the `…` that marks a cut).
pub fn bounded_text(text: &str) -> String {
    if text.len() <= MAX_TEXT_BYTES {
        return text.to_string();
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut cut = String::with_capacity(end + '…'.len_utf8());
    cut.push_str(&text[..end]);
    cut.push('…');
    cut
}

/// The answer to a call that starts an asynchronous job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStarted {
    pub job_id: String,
    pub request_id: Option<String>,
}

/// One data synchronization task as the list call reports it. Besides the name, every
/// field is optional and read leniently: the service (and its SDKs) spell numbers as
/// strings or numbers and flags as bools or `"true"`/`"false"`. A task whose name is not
/// a string is no `ReplicationTask`: it is left out of its page ([`UnreadableTask`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplicationTask {
    pub task_name: String,
    pub stage: Option<String>,
    /// `Yes` (normal) or `No` (abnormal).
    pub status: Option<String>,
    pub source_database: Option<String>,
    pub target_database: Option<String>,
    /// Progress in percent, as the service wrote it (e.g. `"100"`).
    pub percentage: Option<String>,
    pub catchup_stage: Option<String>,
    pub catchup_percentage: Option<String>,
    pub is_main_task: Option<bool>,
    pub is_need_repair: Option<bool>,
}

/// A listed task left out because its `task_name` is not a string (a number, null, ...,
/// or no `task_name` at all): there is no name to pause, show or filter it by, and one
/// such task must not cost the whole listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnreadableTask {
    /// Where the service listed it, counted from 1 over the whole listing.
    pub position: usize,
    /// What came instead of a name: `"a number"`, `"null"`, `"missing"`, ...
    pub found: &'static str,
}

/// One task of a page as it came: [`ReplicationTask`]'s fields, the name as whatever JSON
/// value it was.
#[derive(Debug, Deserialize)]
struct ListedTask {
    #[serde(default, deserialize_with = "lenient::name")]
    task_name: lenient::Name,
    #[serde(default, deserialize_with = "lenient::string")]
    stage: Option<String>,
    /// `Yes` (normal) or `No` (abnormal).
    #[serde(default, deserialize_with = "lenient::text")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    source_database: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    target_database: Option<String>,
    /// Progress in percent, as the service wrote it (e.g. `"100"`).
    #[serde(default, deserialize_with = "lenient::text")]
    percentage: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    catchup_stage: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    catchup_percentage: Option<String>,
    #[serde(default, deserialize_with = "lenient::flag")]
    is_main_task: Option<bool>,
    #[serde(default, deserialize_with = "lenient::flag")]
    is_need_repair: Option<bool>,
}

impl ListedTask {
    /// The task, or what its name was instead of a string.
    fn into_task(self) -> Result<ReplicationTask, &'static str> {
        let task_name = match self.task_name {
            lenient::Name::Text(name) => name,
            lenient::Name::Not(found) => return Err(found),
        };
        Ok(ReplicationTask {
            task_name,
            stage: self.stage,
            status: self.status,
            source_database: self.source_database,
            target_database: self.target_database,
            percentage: self.percentage,
            catchup_stage: self.catchup_stage,
            catchup_percentage: self.catchup_percentage,
            is_main_task: self.is_main_task,
            is_need_repair: self.is_need_repair,
        })
    }
}

/// Field readers that take what the service sends, whatever JSON type it chose; a value
/// that cannot mean anything (an object, an odd string for a flag) reads as absent
/// rather than failing the whole listing. None of them builds a value it does not keep:
/// arrays and objects are skipped as they are read, and text is cut to
/// [`MAX_TEXT_BYTES`](super::MAX_TEXT_BYTES) before it is copied.
pub(super) mod lenient {
    use std::fmt;

    use serde::Deserializer;
    use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

    use super::bounded_text;

    /// What a JSON value read as a scalar is, if it is one.
    enum Scalar {
        Text(String),
        Number(String),
        Bool(bool),
        /// null, an array or an object (skipped unbuilt).
        Nothing,
    }

    struct ScalarVisitor;

    impl<'de> Visitor<'de> for ScalarVisitor {
        type Value = Scalar;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
            Ok(Scalar::Text(bounded_text(v)))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
            Ok(Scalar::Bool(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
            Ok(Scalar::Number(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
            Ok(Scalar::Number(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
            Ok(Scalar::Number(
                serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()),
            ))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
            Ok(Scalar::Nothing)
        }
        fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
            Ok(Scalar::Nothing)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Scalar::Nothing)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Scalar::Nothing)
        }
    }

    fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }

    /// A string, number or bool as text.
    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match scalar(d)? {
            Scalar::Text(s) | Scalar::Number(s) => Some(s),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Nothing => None,
        })
    }

    /// A string (or null); anything else is not what the API documents.
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match scalar(d)? {
            Scalar::Text(s) => Ok(Some(s)),
            Scalar::Nothing => Ok(None),
            Scalar::Number(_) | Scalar::Bool(_) => Err(de::Error::custom("expected a string")),
        }
    }

    /// A task's name as it came: a string, or what JSON value stood there instead.
    #[derive(Debug)]
    pub enum Name {
        Text(String),
        Not(&'static str),
    }

    impl Default for Name {
        /// No `task_name` at all.
        fn default() -> Self {
            Name::Not("missing")
        }
    }

    /// A task's name; any other JSON value is read (unbuilt) as what it was, so the one
    /// task can be left out without failing its page.
    pub fn name<'de, D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Name, E> {
                Ok(Name::Text(bounded_text(v)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Name, E> {
                Ok(Name::Not("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Name, E> {
                Ok(Name::Not("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Name, E> {
                Ok(Name::Not("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Name, E> {
                Ok(Name::Not("a number"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Name, E> {
                Ok(Name::Not("null"))
            }
            fn visit_none<E: de::Error>(self) -> Result<Name, E> {
                Ok(Name::Not("null"))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Name, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Name, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Name::Not("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Name, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Name::Not("an object"))
            }
        }
        d.deserialize_any(NameVisitor)
    }

    /// A bool, `"true"`/`"false"` in any case, or 0/1.
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(match scalar(d)? {
            Scalar::Bool(b) => Some(b),
            Scalar::Text(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
            Scalar::Text(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
            Scalar::Number(n) if n == "1" => Some(true),
            Scalar::Number(n) if n == "0" => Some(false),
            _ => None,
        })
    }

    /// A count: a non-negative integer, as a number or a string.
    pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
        Ok(match scalar(d)? {
            Scalar::Number(n) | Scalar::Text(n) => n.trim().parse().ok(),
            _ => None,
        })
    }

    /// A page's tasks: at most `PAGE_SIZE` entries (what every request asks for); a
    /// longer page is refused before its extra tasks are built. An entry whose name is
    /// not a string is left out and noted by its place on the page.
    pub fn page<'de, D: Deserializer<'de>>(d: D) -> Result<super::Page, D::Error> {
        struct PageVisitor;
        impl<'de> Visitor<'de> for PageVisitor {
            type Value = super::Page;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of tasks")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(super::Page::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut page = super::Page::default();
                while let Some(task) = seq.next_element::<super::ListedTask>()? {
                    if page.entries == super::PAGE_SIZE {
                        return Err(de::Error::custom(format!(
                            "the page holds more than the {} tasks asked for",
                            super::PAGE_SIZE
                        )));
                    }
                    match task.into_task() {
                        Ok(task) => page.tasks.push(task),
                        Err(found) => page.unreadable.push((page.entries, found)),
                    }
                    page.entries += 1;
                }
                Ok(page)
            }
        }
        d.deserialize_any(PageVisitor)
    }

    /// Optional text kept to the bound (error messages, job fields).
    pub fn bounded<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        string(d)
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
    #[serde(default, deserialize_with = "lenient::text")]
    error_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    error_msg: Option<String>,
    error: Option<GatewayError>,
}

/// The gateway's and IAM's variant of the error body (`code` may be a number).
#[derive(Debug, Deserialize)]
struct GatewayError {
    #[serde(default, deserialize_with = "lenient::text")]
    code: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct JobStartedBody {
    job_id: Option<String>,
}

/// The tasks of one page of the list call.
#[derive(Debug, Default)]
pub(super) struct Page {
    /// How many entries the page listed, tasks left out included.
    pub entries: usize,
    /// The tasks, in the order listed.
    pub tasks: Vec<ReplicationTask>,
    /// The entries left out (their name is not a string): index on the page, and what
    /// stood there instead of a name.
    pub unreadable: Vec<(usize, &'static str)>,
}

/// One page of the list call.
#[derive(Debug, Deserialize)]
pub(super) struct ListBody {
    #[serde(default, deserialize_with = "lenient::count")]
    total_count: Option<usize>,
    #[serde(default, rename = "replications", deserialize_with = "lenient::page")]
    pub page: Page,
}

impl ListBody {
    /// How many tasks the service says there are, when it says so (a number or a string).
    pub fn total_count(&self) -> Option<usize> {
        self.total_count
    }
}

#[derive(Debug, Deserialize)]
struct JobEnvelope {
    job: Option<JobBody>,
}

#[derive(Debug, Deserialize)]
struct JobBody {
    #[serde(default, deserialize_with = "lenient::bounded")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::bounded")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    process: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
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
        Some(job_id) if job_id.len() > MAX_TEXT_BYTES => Err(invalid(
            &reply,
            &format!("the job_id is longer than {MAX_TEXT_BYTES} bytes"),
        )),
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
            let (gw_code, gw_message) = error.map(|e| (e.code, e.message)).unwrap_or_default();
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
        let count = |json: &str| {
            serde_json::from_str::<ListBody>(json)
                .expect("parses")
                .total_count()
        };
        assert_eq!(count(r#"{"total_count": "2"}"#), Some(2));
        assert_eq!(count(r#"{"total_count": 7}"#), Some(7));
        assert_eq!(count(r#"{"total_count": null}"#), None);
        assert_eq!(count(r#"{"total_count": [1, [2], {"a": 3}]}"#), None);
    }

    #[test]
    fn text_fields_are_cut_at_the_bound_on_a_character_boundary() {
        let long = format!("{}é{}", "a".repeat(MAX_TEXT_BYTES - 1), "b".repeat(5000));
        let page: ListBody = serde_json::from_value(serde_json::json!({
            "replications": [{"task_name": long, "stage": long, "status": long}]
        }))
        .expect("a page");
        let task = &page.page.tasks[0];
        for text in [
            &task.task_name,
            task.stage.as_ref().expect("stage"),
            task.status.as_ref().expect("status"),
        ] {
            assert_eq!(text, &format!("{}…", "a".repeat(MAX_TEXT_BYTES - 1)));
        }
        assert_eq!(bounded_text("short"), "short");
    }

    #[test]
    fn a_page_longer_than_asked_for_is_refused() {
        let tasks: Vec<_> = (0..=PAGE_SIZE)
            .map(|n| serde_json::json!({"task_name": format!("t{n}")}))
            .collect();
        let err = serde_json::from_value::<ListBody>(serde_json::json!({"replications": tasks}))
            .expect_err("refused");
        assert!(err.to_string().contains("more than the 100 tasks"), "{err}");
    }

    #[test]
    fn a_task_whose_name_is_not_a_string_is_left_out_of_its_page() {
        let page: ListBody = serde_json::from_str(
            r#"{"replications": [
                {"task_name": 7}, {"task_name": "a"}, {"task_name": null},
                {"stage": "Paused"}, {"task_name": true}, {"task_name": [1, [2]]},
                {"task_name": {"x": "y"}}, {"task_name": 1.5}, {"task_name": "b"}
            ]}"#,
        )
        .expect("the page survives");
        let page = page.page;
        assert_eq!(page.entries, 9);
        let names: Vec<_> = page.tasks.iter().map(|t| t.task_name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            page.unreadable,
            [
                (0, "a number"),
                (2, "null"),
                (3, "missing"),
                (4, "a boolean"),
                (5, "an array"),
                (6, "an object"),
                (7, "a number")
            ]
        );
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
        let [a, b, c] = page.page.tasks.as_slice() else {
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
        let full = &page.page.tasks[0];
        assert_eq!(full.percentage.as_deref(), Some("100"));
        assert_eq!(full.catchup_percentage.as_deref(), Some("100"));
        assert_eq!(full.source_database.as_deref(), Some("orders"));
        assert_eq!(full.is_need_repair, Some(false));
        assert_eq!(full.is_main_task, Some(true));
        let bare = &page.page.tasks[1];
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
