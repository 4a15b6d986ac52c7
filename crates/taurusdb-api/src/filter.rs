//! Which tasks a discovery keeps (the data source, `terraform query`, and the typed API's
//! ListTasks): a regular expression on the task name and a stage, compared
//! case-insensitively (the service's SDKs spell stages in lower case, its console
//! capitalised).
//!
//! Name patterns are matched with ASCII classes: `\d`, `\w`, `\s` and `(?i)` mean what
//! they mean in Go's RE2, the syntax Terraform users know from other providers. Task
//! names are ASCII (letters, digits, underscores), so nothing is lost, and the Unicode
//! tables (~0.7 MB, ~5,000 relocations every process start pays for) stay out of the binary.

use regex::bytes::{Regex, RegexBuilder};

use crate::ReplicationTask;

/// The compiled size a name pattern may take: ample for any name filter (alternations of
/// names, bounded classes), small enough that a pathological pattern is refused rather
/// than built. Matching time grows with this size: at 1 MiB a crafted pattern
/// (nested counted repetitions) cost ~18 ms per 128-byte name on the async worker that
/// filters, at 64 KiB at most ~1.6 ms (measured on the project machine).
const REGEX_SIZE_LIMIT: usize = 64 << 10;

/// A name pattern as a [`Regex`], or the reason it is not one (Unicode classes such as
/// `\p{L}` are refused by name).
pub fn name_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .unicode(false)
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
    pub fn keeps(&self, task: &ReplicationTask) -> bool {
        let name_ok = self
            .name
            .as_ref()
            .is_none_or(|re| re.is_match(task.task_name.as_bytes()));
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

    fn task(name: &str, stage: Option<&str>) -> ReplicationTask {
        ReplicationTask {
            task_name: name.into(),
            stage: stage.map(Into::into),
            ..ReplicationTask::default()
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
        // Nested counted repetitions that would cost milliseconds per name to match.
        let err = name_regex(r"(?:[a-z]{0,30}){0,200}x").expect_err("too costly");
        assert!(err.contains("size limit"), "{err}");
        // Real filters are far below the limit.
        for pattern in [
            r"^(orders|users|payments)_sync$",
            r"(?i)^prod_[a-z0-9_]{3,64}$",
            r"^\w+_(cdc|sync)_\d{1,4}$",
        ] {
            assert!(name_regex(pattern).is_ok(), "{pattern}");
        }
    }

    #[test]
    fn perl_classes_and_case_folding_are_ascii_as_in_re2_unicode_classes_are_refused() {
        let names = name_regex(r"(?i)^ORDERS_\w+\d$").expect("valid");
        assert!(names.is_match(b"orders_sync2"));
        assert!(!names.is_match(b"orders-sync2"));
        // As in Go's RE2: \d is [0-9], \w is [0-9A-Za-z_].
        assert!(!name_regex(r"^\d$").expect("valid").is_match("٣".as_bytes()));
        assert!(!name_regex(r"^\w$").expect("valid").is_match("é".as_bytes()));
        // A non-ASCII literal still matches itself.
        assert!(name_regex("é").expect("valid").is_match("café".as_bytes()));
        // Unicode class tables are not in the binary: a clear refusal, no panic.
        for pattern in [r"\p{Greek}", r"\p{Lu}", r"[é]", r"(?u)\d"] {
            let err = name_regex(pattern).expect_err(pattern);
            assert!(err.contains("Unicode"), "{pattern}: {err}");
        }
    }
}
