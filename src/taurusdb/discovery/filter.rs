//! Which tasks a discovery keeps: a regular expression on the task name and a stage,
//! compared case-insensitively (the service's SDKs spell stages in lower case, its
//! console capitalised).

use regex::{Regex, RegexBuilder};

use crate::taurusdb::api::Replication;

/// The compiled size a name pattern may take: ample for any name filter, small enough
/// that a pathological pattern is refused rather than built.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A name pattern as a [`Regex`], or the reason it is not one.
pub fn name_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|err| err.to_string())
}

/// The conditions a task must meet; none keeps every task.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Matches somewhere in the task name (anchor it with `^...$` for a whole name).
    pub name: Option<Regex>,
    /// The task's stage, in any case.
    pub stage: Option<String>,
}

impl TaskFilter {
    pub fn keeps(&self, task: &Replication) -> bool {
        let name_ok = self
            .name
            .as_ref()
            .is_none_or(|re| re.is_match(&task.task_name));
        let stage_ok = self.stage.as_ref().is_none_or(|wanted| {
            task.stage
                .as_deref()
                .is_some_and(|stage| stage.trim().eq_ignore_ascii_case(wanted.trim()))
        });
        name_ok && stage_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str, stage: Option<&str>) -> Replication {
        Replication {
            task_name: name.into(),
            stage: stage.map(Into::into),
            ..Replication::default()
        }
    }

    #[test]
    fn stage_is_compared_in_any_case_and_name_by_regex() {
        let filter = TaskFilter {
            name: Some(name_regex("^orders").expect("valid")),
            stage: Some("incremental".into()),
        };
        assert!(filter.keeps(&task("orders_sync", Some("Incremental"))));
        assert!(filter.keeps(&task("orders_2", Some("INCREMENTAL"))));
        assert!(!filter.keeps(&task("orders_sync", Some("Paused"))));
        assert!(!filter.keeps(&task("orders_sync", None)));
        assert!(!filter.keeps(&task("users_sync", Some("Incremental"))));
        assert!(TaskFilter::default().keeps(&task("any", None)));
    }

    #[test]
    fn bad_and_oversized_patterns_are_refused_with_a_reason() {
        let err = name_regex("orders(").expect_err("unclosed group");
        assert!(err.contains("unclosed"), "{err}");
        assert!(name_regex(r"\w{1000}{1000}").is_err());
    }

    #[test]
    fn perl_classes_and_case_folding_work_other_unicode_classes_are_refused() {
        let names = name_regex(r"(?i)^ORDERS_\w+\d$").expect("valid");
        assert!(names.is_match("orders_sync2"));
        assert!(!names.is_match("orders-sync2"));
        // Script and category tables are not in the binary: a clear refusal, no panic.
        for pattern in [r"\p{Greek}", r"\p{Lu}"] {
            let err = name_regex(pattern).expect_err(pattern);
            assert!(err.contains("Unicode"), "{pattern}: {err}");
        }
    }
}
