//! API errors turned into what a Terraform user reads: the HTTP status, error_code,
//! error_msg and request id, pointed at the attribute the error is about.

use crate::taurusdb::api::ApiError;
use crate::taurusdb::pause::model::attrs;
use crate::tf::diagnostics::Diagnostic;
use crate::tf::path::AttrPath;

/// The diagnostic for a failed pause call.
pub fn pause_failed(err: &ApiError, project: &str, instance: &str, task: &str) -> Diagnostic {
    let summary = format!("Failed to pause replication task {task:?}");
    let hint = match err.code() {
        Some("DBS.200022") => Some((
            attrs::INSTANCE_ID,
            format!("No StarRocks instance {instance:?} exists in project {project:?}."),
        )),
        Some("DBS.270022") => Some((
            attrs::TASK_NAME,
            format!("Instance {instance:?} has no synchronization task {task:?}."),
        )),
        _ => None,
    };
    let auth_hint = matches!(err.status(), Some(401 | 403))
        .then_some("Check the provider's credentials (auth_token / HW_AUTH_TOKEN).");
    let mut detail = format!("TaurusDB API error: {err}");
    if let Some((_, text)) = &hint {
        detail = format!("{detail}\n\n{text}");
    }
    if let Some(text) = auth_hint {
        detail = format!("{detail}\n\n{text}");
    }
    let diagnostic = Diagnostic::error(summary, detail);
    match hint {
        Some((attr, _)) => diagnostic.at(AttrPath::attr(attr)),
        None => diagnostic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_instance_points_at_instance_id() {
        let err = ApiError::Status {
            status: 400,
            code: Some("DBS.200022".into()),
            message: "Instance not found.".into(),
            request_id: Some("rid".into()),
        };
        let d = pause_failed(&err, "p", "i", "t");
        assert_eq!(d.path, Some(AttrPath::attr("instance_id")));
        for part in ["400", "DBS.200022", "Instance not found.", "rid"] {
            assert!(d.detail.contains(part), "{part} missing from {}", d.detail);
        }
    }
}
