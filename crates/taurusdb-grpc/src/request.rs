//! A request's fields, checked as the resource checks its attributes and turned into
//! what the job flow and the API client take. A bad field is INVALID_ARGUMENT naming it.

use std::time::Duration;

use tonic::metadata::MetadataMap;

use crate::error::CallError;
use crate::proto::replication::v1 as pb;
use taurusdb_api::TaskRef;
use taurusdb_api::filter::{TaskFilter, name_regex};
use taurusdb_api::names::{instance_id_problem, task_name_problem};

/// The request fields, as errors name them.
pub mod fields {
    pub const PROJECT_ID: &str = "project_id";
    pub const INSTANCE_ID: &str = "instance_id";
    pub const TASK_NAME: &str = "task_name";
    pub const TIMEOUT: &str = "timeout";
    pub const NAME_REGEX: &str = "name_regex";
    pub const STAGE: &str = "stage";
    pub const JOB_ID: &str = "job_id";
}

/// A pause or resume when the request sets no timeout (the resource's default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// The least time a pause or resume may have, from its `timeout` or what is left of the
/// call's deadline: enough for one request to TaurusDB and its answer (signing, a fresh
/// TLS connection, the service's reply: well under a second when it is healthy). With
/// less, the request could be sent and its answer, the job ID, lost: the call is refused
/// before anything is sent. A fixed floor, not the client's connect (10 s) or request
/// (60 s) timeout: those bound a slow service, and would refuse reasonable short calls.
pub const MIN_JOB_TIME: Duration = Duration::from_secs(1);
/// The longest timeout a request may ask for.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// The longest `name_regex`.
pub const MAX_REGEX_LEN: usize = 1024;
/// The longest job ID accepted (real ones are UUIDs).
pub const MAX_JOB_ID_LEN: usize = 256;
/// The longest stage filter (real stages are a word).
const MAX_STAGE_LEN: usize = 64;

fn invalid(field: &'static str, problem: impl Into<String>) -> CallError {
    CallError::InvalidArgument {
        field,
        problem: problem.into(),
    }
}

/// A checked pause or resume request.
#[derive(Debug, Clone)]
pub struct JobCall {
    pub task: TaskRef,
    pub wait: bool,
    /// The whole call's bound: the request's timeout, or less to answer within the
    /// call's own deadline.
    pub timeout: Duration,
}

impl JobCall {
    /// Checks `request`; `call_deadline` is how much longer the client will wait for the
    /// answer (its `grpc-timeout`, less the time since the call arrived), when it said. A
    /// call that would leave the job less than [`MIN_JOB_TIME`] is refused: nothing is
    /// sent.
    pub fn from_request(
        request: &pb::JobRequest,
        default_project: Option<&str>,
        call_deadline: Option<Duration>,
    ) -> Result<Self, CallError> {
        let task = TaskRef::new(
            project(&request.project_id, default_project)?,
            instance(&request.instance_id)?,
            task_name(&request.task_name)?,
        );
        let timeout = timeout(request.timeout.as_ref())?;
        let bound = within_deadline(timeout, call_deadline);
        if bound < MIN_JOB_TIME {
            return Err(CallError::DeadlineTooShort {
                left: call_deadline.unwrap_or_default(),
                minimum: MIN_JOB_TIME,
            });
        }
        Ok(Self {
            task,
            wait: request.wait.unwrap_or(true),
            timeout: bound,
        })
    }
}

/// The project: as given, else the server's default; one URL path segment.
pub fn project(given: &str, default: Option<&str>) -> Result<String, CallError> {
    let project = match (given.is_empty(), default) {
        (false, _) => given,
        (true, Some(default)) => default,
        (true, None) => {
            return Err(invalid(
                fields::PROJECT_ID,
                "is required: this server has no default project (project_id in its \
                 --api-config, or HW_PROJECT_ID)",
            ));
        }
    };
    match instance_id_problem(project) {
        Some(problem) => Err(invalid(fields::PROJECT_ID, problem)),
        None => Ok(project.to_string()),
    }
}

/// The instance ID: non-empty, one URL path segment.
pub fn instance(given: &str) -> Result<String, CallError> {
    match instance_id_problem(given) {
        Some(problem) => Err(invalid(fields::INSTANCE_ID, problem)),
        None => Ok(given.to_string()),
    }
}

/// The task name: 3 to 128 of A-Z a-z 0-9 and `_`.
pub fn task_name(given: &str) -> Result<String, CallError> {
    match task_name_problem(given) {
        Some(problem) => Err(invalid(fields::TASK_NAME, format!("{given:?} {problem}"))),
        None => Ok(given.to_string()),
    }
}

/// The timeout: unset means [`DEFAULT_TIMEOUT`]; at least [`MIN_JOB_TIME`], at most
/// [`MAX_TIMEOUT`].
pub fn timeout(given: Option<&prost_types::Duration>) -> Result<Duration, CallError> {
    let Some(given) = given else {
        return Ok(DEFAULT_TIMEOUT);
    };
    let too_short = || {
        invalid(
            fields::TIMEOUT,
            format!(
                "must be at least {}s: a shorter one cannot cover the request and its answer",
                MIN_JOB_TIME.as_secs()
            ),
        )
    };
    let timeout = Duration::try_from(*given).map_err(|_| too_short())?;
    if timeout < MIN_JOB_TIME {
        return Err(too_short());
    }
    if timeout > MAX_TIMEOUT {
        return Err(invalid(
            fields::TIMEOUT,
            format!("must be at most {}s (24 hours)", MAX_TIMEOUT.as_secs()),
        ));
    }
    Ok(timeout)
}

/// A job ID: non-empty, at most [`MAX_JOB_ID_LEN`] characters, no control characters.
pub fn job_id(given: &str) -> Result<String, CallError> {
    if given.trim().is_empty() {
        return Err(invalid(fields::JOB_ID, "is required"));
    }
    if given.chars().count() > MAX_JOB_ID_LEN || given.chars().any(char::is_control) {
        return Err(invalid(
            fields::JOB_ID,
            format!("must be at most {MAX_JOB_ID_LEN} printable characters"),
        ));
    }
    Ok(given.to_string())
}

/// Which listed tasks a ListTasks request keeps: the discovery filter, its fields
/// checked as INVALID_ARGUMENT naming them.
pub fn task_filter(request: &pb::ListTasksRequest) -> Result<TaskFilter, CallError> {
    let name =
        match request.name_regex.as_str() {
            "" => None,
            pattern if pattern.chars().count() > MAX_REGEX_LEN => {
                return Err(invalid(
                    fields::NAME_REGEX,
                    format!("must be at most {MAX_REGEX_LEN} characters"),
                ));
            }
            pattern => Some(name_regex(pattern).map_err(|err| {
                invalid(fields::NAME_REGEX, format!("is not a valid regex: {err}"))
            })?),
        };
    let stage = match request.stage.trim() {
        "" => None,
        stage if stage.chars().count() > MAX_STAGE_LEN => {
            return Err(invalid(
                fields::STAGE,
                format!("must be at most {MAX_STAGE_LEN} characters"),
            ));
        }
        stage => Some(stage.to_string()),
    };
    Ok(TaskFilter { name, stage })
}

/// How long the client will wait for the answer: its `grpc-timeout` header.
pub fn call_deadline(metadata: &MetadataMap) -> Option<Duration> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    parse_grpc_timeout(value)
}

/// `grpc-timeout`'s value: up to 8 digits and a unit (H, M, S, m, u, n).
fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// `timeout`, cut so the answer (with the job ID it has) leaves before the client's
/// deadline: a twentieth of the deadline, between 50 ms and 1 s, is kept for it. Zero
/// when the deadline leaves nothing.
fn within_deadline(timeout: Duration, call_deadline: Option<Duration>) -> Duration {
    let Some(deadline) = call_deadline else {
        return timeout;
    };
    let margin = (deadline / 20).clamp(Duration::from_millis(50), Duration::from_secs(1));
    timeout.min(deadline.saturating_sub(margin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use taurusdb_api::wire::ReplicationTask;

    fn field_of(err: CallError) -> &'static str {
        match err {
            CallError::InvalidArgument { field, .. } => field,
            other => panic!("invalid argument expected, got {other:?}"),
        }
    }

    fn request(task: &str) -> pb::JobRequest {
        pb::JobRequest {
            project_id: String::new(),
            instance_id: "abc123in17".into(),
            task_name: task.into(),
            wait: None,
            timeout: None,
        }
    }

    #[test]
    fn requests_are_checked_as_the_resource_checks_its_attributes() {
        let call = JobCall::from_request(&request("orders_sync"), Some("p1"), None).expect("ok");
        assert_eq!(call.task, TaskRef::new("p1", "abc123in17", "orders_sync"));
        assert!(call.wait, "unset wait means true");
        assert_eq!(call.timeout, DEFAULT_TIMEOUT);
        let bad = |r: pb::JobRequest, default: Option<&str>| {
            field_of(JobCall::from_request(&r, default, None).expect_err("invalid"))
        };
        assert_eq!(bad(request("orders-sync"), Some("p")), fields::TASK_NAME);
        assert_eq!(bad(request("ab"), Some("p")), fields::TASK_NAME);
        assert_eq!(bad(request("orders_sync"), None), fields::PROJECT_ID);
        let mut slash = request("orders_sync");
        slash.instance_id = "a/b".into();
        assert_eq!(bad(slash, Some("p")), fields::INSTANCE_ID);
        for (seconds, nanos) in [(-1, 0), (0, 0), (0, 999_999_999), (24 * 3600 + 1, 0)] {
            let mut r = request("orders_sync");
            r.timeout = Some(prost_types::Duration { seconds, nanos });
            assert_eq!(bad(r, Some("p")), fields::TIMEOUT, "{seconds}s");
        }
    }

    #[test]
    fn the_calls_deadline_bounds_the_job() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("123456789S"), None);
        assert_eq!(parse_grpc_timeout("S"), None);
        assert_eq!(parse_grpc_timeout("5x"), None);
        let minute = Duration::from_secs(60);
        assert_eq!(within_deadline(minute, None), minute);
        assert_eq!(
            within_deadline(minute, Some(Duration::from_secs(10))),
            Duration::from_millis(9500)
        );
        assert_eq!(
            within_deadline(Duration::from_secs(1), Some(Duration::from_secs(10))),
            Duration::from_secs(1)
        );
        assert_eq!(
            within_deadline(minute, Some(Duration::from_millis(1))),
            Duration::ZERO
        );
    }

    #[test]
    fn a_deadline_that_cannot_cover_one_request_is_refused_before_anything_is_sent() {
        let call = |deadline: Duration| {
            JobCall::from_request(&request("orders_sync"), Some("p"), Some(deadline))
        };
        for deadline in [Duration::from_millis(1), Duration::from_millis(1050)] {
            match call(deadline) {
                Err(CallError::DeadlineTooShort { left, minimum }) => {
                    assert_eq!((left, minimum), (deadline, MIN_JOB_TIME));
                }
                other => panic!("{deadline:?}: refused expected, got {other:?}"),
            }
        }
        let enough = call(Duration::from_millis(1100)).expect("one request fits");
        assert_eq!(enough.timeout, Duration::from_millis(1045));
        let mut at_least = request("orders_sync");
        at_least.timeout = Some(prost_types::Duration {
            seconds: 1,
            nanos: 0,
        });
        let call = JobCall::from_request(&at_least, Some("p"), None).expect("1 s is enough");
        assert_eq!(call.timeout, MIN_JOB_TIME);
    }

    #[test]
    fn filters_match_names_and_stages() {
        let filter = |name_regex: &str, stage: &str| {
            task_filter(&pb::ListTasksRequest {
                project_id: String::new(),
                instance_id: "i".into(),
                name_regex: name_regex.into(),
                stage: stage.into(),
            })
        };
        let task = |name: &str, stage: &str| ReplicationTask {
            task_name: name.into(),
            stage: Some(stage.into()),
            ..ReplicationTask::default()
        };
        let paused_orders = filter("^orders", "paused").expect("filter");
        assert!(paused_orders.keeps(&task("orders_sync", "Paused")));
        assert!(!paused_orders.keeps(&task("orders_sync", "Incremental")));
        assert!(!paused_orders.keeps(&task("users_sync", "Paused")));
        assert!(filter("", "").expect("all").keeps(&task("x", "y")));
        assert_eq!(
            field_of(filter("(", "").expect_err("bad")),
            fields::NAME_REGEX
        );
        let huge = "a".repeat(MAX_REGEX_LEN + 1);
        assert_eq!(
            field_of(filter(&huge, "").expect_err("long")),
            fields::NAME_REGEX
        );
        assert_eq!(
            field_of(filter("", &"x".repeat(65)).expect_err("long")),
            fields::STAGE
        );
    }
}
