//! A refused pause (or resume) may only mean the task is already where it should be.
//!
//! After a pause whose answer was uncertain the next apply pauses again, and the service
//! may refuse to pause a task that is already paused (its code for that is not
//! documented). Refusing forever would leave the resource uncreatable. So when the service
//! refuses with a 4xx that is not throttling, "busy", an authentication failure or "no
//! such instance/task", the task's stage (the ground truth) is read: if it already reads
//! the target, the call ends well without a job
//! ([`JobOutcome::AlreadyThere`](super::JobOutcome::AlreadyThere)).

use tokio_util::sync::CancellationToken;

use crate::wait::TargetStage;
use crate::{ApiClient, ApiError, TaskRef};

/// Whether a refusal could mean the task already reads the target stage: a 4xx that is
/// not throttling, "busy", an authentication failure or "no such instance/task".
pub fn may_mean_already_there(err: &ApiError) -> bool {
    let ApiError::Status { status, .. } = err else {
        return false;
    };
    let refusal = (400..500).contains(status) && !matches!(status, 401 | 403 | 429);
    refusal && !err.is_instance_busy() && !err.is_task_gone()
}

/// The task's stage when it already reads `target`; None when it does not, or when it
/// cannot be read (then the refusal stands).
pub async fn stage_if_already_there(
    client: &ApiClient,
    task: &TaskRef,
    target: TargetStage,
    cancel: &CancellationToken,
) -> Option<String> {
    match client.find_replication(task, cancel).await {
        Ok(Some(found)) => found.stage.filter(|stage| target.reached(stage)),
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the task's stage after a refusal");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: u16, code: &str) -> ApiError {
        ApiError::Status {
            status,
            code: Some(code.to_string()),
            message: String::new(),
            request_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn only_plain_refusals_are_checked_against_the_stage() {
        assert!(may_mean_already_there(&refusal(400, "SIM.270101")));
        assert!(may_mean_already_there(&refusal(400, "DBS.200001")));
        assert!(may_mean_already_there(&refusal(409, "DBS.999999")));
        for (status, code) in [
            (401, "APIGW.0301"),
            (403, "APIGW.0302"),
            (429, "APIGW.0308"),
            (409, "DBS.200019"),
            (400, "DBS.200022"),
            (400, "DBS.270022"),
            (500, "DBS.05000001"),
        ] {
            assert!(
                !may_mean_already_there(&refusal(status, code)),
                "{status} {code}"
            );
        }
        let refused = ApiError::Connect {
            endpoint: String::new(),
            detail: String::new(),
            attempts: 1,
            waited: std::time::Duration::ZERO,
        };
        assert!(!may_mean_already_there(&refused));
    }
}
