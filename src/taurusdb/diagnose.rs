//! API and wait failures turned into what a Terraform user reads: the HTTP status,
//! error_code, error_msg and request id, pointed at the attribute the error is about,
//! with a hint where one helps.

use crate::taurusdb::api::ApiError;
use crate::taurusdb::api::wait::WaitError;
use crate::taurusdb::pause::model::attrs;
use crate::tf::diagnostics::Diagnostic;
use crate::tf::path::AttrPath;

/// What the provider was doing when the API failed.
#[derive(Debug, Clone, Copy)]
pub struct Operation<'a> {
    /// "pause", "resume" or "read".
    pub action: &'a str,
    pub project: &'a str,
    pub instance: &'a str,
    pub task: &'a str,
}

/// The diagnostic for a failed API call.
pub fn api_failed(err: &ApiError, op: Operation<'_>) -> Diagnostic {
    let summary = match op.action {
        "read" => format!("Failed to read replication task {:?}", op.task),
        action => format!("Failed to {action} replication task {:?}", op.task),
    };
    let mut detail = format!("TaurusDB API error: {err}");
    let mut path = None;
    match err.code() {
        Some("DBS.200022") => {
            detail.push_str(&format!(
                "\n\nNo StarRocks instance {:?} exists in project {:?}.",
                op.instance, op.project
            ));
            path = Some(attrs::INSTANCE_ID);
        }
        Some("DBS.270022") => {
            detail.push_str(&format!(
                "\n\nInstance {:?} has no synchronization task {:?}.",
                op.instance, op.task
            ));
            path = Some(attrs::TASK_NAME);
        }
        _ => {}
    }
    if matches!(err, ApiError::IamToken(_)) {
        detail.push_str(
            "\n\nCheck user_name, password and domain_name (HW_USER_NAME, HW_USER_PASSWORD, HW_DOMAIN_NAME) and auth_url (HW_AUTH_URL).",
        );
    } else if matches!(err.status(), Some(401 | 403)) {
        detail.push_str(
            "\n\nThe credentials were rejected. Check auth_token (HW_AUTH_TOKEN), or access_key/secret_key (HW_ACCESS_KEY/HW_SECRET_KEY) and the machine's clock.",
        );
    }
    let diagnostic = Diagnostic::error(summary, detail);
    match path {
        Some(attr) => diagnostic.at(AttrPath::attr(attr)),
        None => diagnostic,
    }
}

/// The pause or resume request was sent, but the answer does not prove whether the
/// service carried it out (a broken connection, a timeout, a 5xx from the gateway, a
/// redirect): it may have happened.
pub fn uncertain(err: &ApiError, op: Operation<'_>, timed_out: bool) -> Diagnostic {
    let (bound, kept) = if op.action == "resume" {
        (
            "timeouts.delete",
            "The resource stays in state; the next destroy resumes the task again (and ends well if the task already runs).",
        )
    } else {
        (
            "timeouts.create",
            "The resource is recorded without a job ID (tainted); the next apply pauses the task again (and ends well if the task already reads Paused).",
        )
    };
    let why = if timed_out {
        format!(
            "{bound} ran out while the {} request was in flight",
            op.action
        )
    } else {
        format!("{err}")
    };
    Diagnostic::error(
        format!(
            "The {} of task {:?} may or may not have happened",
            op.action, op.task
        ),
        format!(
            "The {} request was sent, but the answer does not show whether TaurusDB carried it out: {why}.\n\n{kept}",
            op.action
        ),
    )
}

/// A warning: the service refused the pause or resume, but the task already reads the
/// stage the operation was for, so nothing needed doing.
pub fn already_at_target(err: &ApiError, op: Operation<'_>, stage: &str) -> Diagnostic {
    let summary = if op.action == "resume" {
        format!("Task {:?} is not paused", op.task)
    } else {
        format!("Task {:?} is already paused", op.task)
    };
    Diagnostic::warning(
        summary,
        format!(
            "TaurusDB refused the {} ({err}), and the task's stage reads {stage:?}, which is what the {} was for. Nothing was changed, and no job ID is recorded.",
            op.action, op.action
        ),
    )
}

/// The deadline passed before the pause or resume request could be sent.
pub fn timed_out_before_sending(op: Operation<'_>, timeout: std::time::Duration) -> Diagnostic {
    let (bound, done) = if op.action == "resume" {
        (
            "timeouts.delete",
            "Nothing was resumed; the resource stays in state",
        )
    } else {
        ("timeouts.create", "Nothing was paused")
    };
    Diagnostic::error(
        format!("Timed out before the {} of task {:?}", op.action, op.task),
        format!(
            "{bound} ({timeout:?}) ran out before the {} request could be sent (for example while retrying a throttled request). {done}.",
            op.action
        ),
    )
}

/// A warning: the jobs API could not be read, so only the task's stage was checked.
pub fn job_unreadable(err: &ApiError, op: Operation<'_>) -> Diagnostic {
    Diagnostic::warning(
        format!("Could not read the {} job", op.action),
        format!(
            "The jobs API answered {err}. The wait relied on the task's stage alone, which reached the expected value. Allow the credentials to read jobs to have failed jobs reported with their reason."
        ),
    )
}

/// The diagnostic for a wait that did not end well.
pub fn wait_failed(err: &WaitError, op: Operation<'_>, job_id: &str) -> Diagnostic {
    let kept = if op.action == "resume" {
        "The resource stays in state; the next destroy resumes the task again.".to_string()
    } else {
        format!(
            "The job ID {job_id} is recorded in state, and the next apply pauses the task again."
        )
    };
    let (summary, detail) = match err {
        WaitError::JobFailed { reason, .. } => (
            format!("The {} job for task {:?} failed", op.action, op.task),
            format!("Job {job_id} failed: {reason}\n\n{kept}"),
        ),
        WaitError::TimedOut {
            waited, last_seen, ..
        } => (
            format!(
                "Timed out waiting for the {} of task {:?}",
                op.action, op.task
            ),
            format!(
                "Waited {waited:.0?} for job {job_id}; last seen: {last_seen}. Raise timeouts.{} if the service is slow.\n\n{kept}",
                if op.action == "resume" {
                    "delete"
                } else {
                    "create"
                }
            ),
        ),
        WaitError::Cancelled => (
            format!(
                "Stopped waiting for the {} of task {:?}",
                op.action, op.task
            ),
            format!(
                "Terraform asked the provider to stop while job {job_id} was running.\n\n{kept}"
            ),
        ),
        WaitError::TaskGone { .. } => (
            format!("Task {:?} disappeared during the {}", op.task, op.action),
            format!("{err}.\n\n{kept}"),
        ),
        WaitError::Api(api) => {
            let inner = api_failed(api, op);
            (inner.summary, format!("{}\n\n{kept}", inner.detail))
        }
    };
    Diagnostic::error(summary, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const OP: Operation<'static> = Operation {
        action: "pause",
        project: "p",
        instance: "i",
        task: "t",
    };

    #[test]
    fn unknown_instance_points_at_instance_id() {
        let err = ApiError::Status {
            status: 400,
            code: Some("DBS.200022".into()),
            message: "Instance not found.".into(),
            request_id: Some("rid".into()),
            retry_after: None,
        };
        let d = api_failed(&err, OP);
        assert_eq!(d.path, Some(AttrPath::attr("instance_id")));
        for part in ["400", "DBS.200022", "Instance not found.", "rid"] {
            assert!(d.detail.contains(part), "{part} missing from {}", d.detail);
        }
    }

    #[test]
    fn failed_jobs_carry_the_reason_and_the_job_id() {
        let err = WaitError::JobFailed {
            job_id: "j1".into(),
            reason: "replication channel broken".into(),
        };
        let d = wait_failed(&err, OP, "j1");
        assert!(d.detail.contains("replication channel broken") && d.detail.contains("j1"));
        let timeout = WaitError::TimedOut {
            job_id: "j1".into(),
            waited: Duration::from_secs(2),
            last_seen: "job Running 50%".into(),
        };
        let d = wait_failed(&timeout, OP, "j1");
        assert!(d.detail.contains("timeouts.create") && d.detail.contains("Running"));
    }

    #[test]
    fn uncertain_and_already_done_say_what_happens_next() {
        let gateway = ApiError::Status {
            status: 504,
            code: None,
            message: "Gateway Timeout".into(),
            request_id: None,
            retry_after: None,
        };
        let d = uncertain(&gateway, OP, false);
        assert!(d.summary.contains("pause") && d.summary.contains("may or may not"));
        assert!(d.detail.contains("HTTP 504") && d.detail.contains("tainted"));
        let resume = Operation {
            action: "resume",
            ..OP
        };
        let d = uncertain(&gateway, resume, true);
        assert!(d.detail.contains("timeouts.delete") && d.detail.contains("stays in state"));
        let d = already_at_target(&gateway, resume, "Incremental");
        assert_eq!(d.summary, "Task \"t\" is not paused");
        assert!(d.detail.contains("\"Incremental\""));
    }
}
