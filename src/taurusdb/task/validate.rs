//! Static checks of the attributes every schema that names a task shares (the pause
//! resource, the replication actions), each at its attribute, and of a timeout written
//! in Go duration syntax. Unknown values pass; they are checked again when known. The
//! rules themselves are the API's ([`taurusdb_api::names`]).

use std::time::Duration;

use crate::taurusdb::task::attrs;
use stdx::duration::parse_go_duration;
use taurusdb_api::names::{instance_id_problem, task_name_problem};
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::path::AttrPath;

/// The checks of the attributes that name a task (see [`attrs`]), each at its
/// attribute.
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
}
