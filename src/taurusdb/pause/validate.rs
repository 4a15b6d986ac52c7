//! Static checks of a `taurusdb_replication_pause` configuration, and of the same
//! attributes wherever else they appear (the replication actions). Unknown values pass;
//! they are checked again when known.

use std::time::Duration;

use crate::taurusdb::pause::model::{PauseState, attrs};
use stdx::duration::parse_go_duration;
use taurusdb_api::endpoint;
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::path::AttrPath;

/// The API's rule for task names: 3 to 128 of A-Z a-z 0-9 and `_`.
pub fn task_name_problem(name: &str) -> Option<String> {
    let len = name.chars().count();
    if !(3..=128).contains(&len) {
        return Some(format!("must be 3 to 128 characters long, but is {len}"));
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map(|c| format!("may contain only letters, digits and underscores, but contains {c:?}"))
}

/// An instance or project ID must be one URL path segment (see
/// [`endpoint::path_segment_problem`]).
pub fn instance_id_problem(id: &str) -> Option<String> {
    endpoint::path_segment_problem(id).map(str::to_string)
}

pub fn validate(config: &PauseState) -> Diagnostics {
    let mut diagnostics = validate_task(&config.instance_id, &config.task_name, &config.project_id);
    diagnostics.extend(config.validate_timeouts());
    diagnostics
}

/// The checks of the attributes that name a task (see
/// [`task::attrs`](crate::taurusdb::task::attrs)), each at its attribute.
pub fn validate_task(
    instance_id: &Attr<String>,
    task_name: &Attr<String>,
    project_id: &Attr<String>,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    if let Some(name) = task_name.known()
        && let Some(problem) = task_name_problem(name)
    {
        diagnostics.push(invalid(attrs::TASK_NAME, format!("{name:?} {problem}")));
    }
    for (attr, value) in [
        (attrs::INSTANCE_ID, instance_id),
        (attrs::PROJECT_ID, project_id),
    ] {
        if let Some(problem) = value.known().and_then(|id| instance_id_problem(id)) {
            diagnostics.push(invalid(attr, problem));
        }
    }
    diagnostics
}

/// A timeout written in Go duration syntax, or an error at `path`.
pub fn timeout_at(text: &str, path: AttrPath) -> Result<Duration, Diagnostic> {
    let invalid = |problem: String| {
        Diagnostic::error(
            format!("Invalid {path}"),
            format!("{problem}. Use Go duration syntax such as \"30m\" or \"1h30m\"."),
        )
        .at(path.clone())
    };
    match parse_go_duration(text) {
        // A zero timeout would end every operation before its request could be sent,
        // and still have to report it as possibly done.
        Ok(timeout) if timeout.is_zero() => Err(invalid(format!(
            "{text:?} is no time at all: the operation could never be sent"
        ))),
        Ok(timeout) => Ok(timeout),
        Err(problem) => Err(invalid(problem)),
    }
}

/// `Invalid <attr>`, at the attribute: "<attr> <problem>."
fn invalid(attr: &'static str, problem: String) -> Diagnostic {
    Diagnostic::error(format!("Invalid {attr}"), format!("{attr} {problem}."))
        .at(AttrPath::attr(attr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_must_be_some_time() {
        let at = || AttrPath::attr("timeout");
        assert_eq!(timeout_at("1h30m", at()), Ok(Duration::from_secs(5400)));
        assert_eq!(timeout_at("300ms", at()), Ok(Duration::from_millis(300)));
        for none in ["0", "0s", "0h0m"] {
            let refused = timeout_at(none, at()).expect_err(none);
            assert_eq!(refused.summary, "Invalid timeout", "{none}");
            assert!(refused.detail.contains("no time at all"), "{refused:?}");
        }
    }

    #[test]
    fn task_names_follow_the_api_rule() {
        assert_eq!(task_name_problem("orders_sync"), None);
        assert_eq!(task_name_problem("abc"), None);
        assert_eq!(task_name_problem(&"a".repeat(128)), None);
        assert!(task_name_problem("ab").is_some());
        assert!(task_name_problem(&"a".repeat(129)).is_some());
        assert!(task_name_problem("orders-sync").is_some());
        assert!(task_name_problem("ördersync").is_some());
    }

    #[test]
    fn instance_ids_must_be_one_segment() {
        assert_eq!(instance_id_problem("abc123in17"), None);
        assert!(instance_id_problem("").is_some());
        assert!(instance_id_problem("  ").is_some());
        assert!(instance_id_problem("a/b").is_some());
        assert!(instance_id_problem("..").is_some());
        assert!(instance_id_problem(".").is_some());
        assert_eq!(instance_id_problem("a..b"), None);
    }
}
