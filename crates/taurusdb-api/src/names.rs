//! The API's rules for the names that identify a task (its name, its instance's and its
//! project's IDs), checked before anything is sent: by the provider's resource, actions
//! and discovery at their attributes, and by the typed API at its request fields. Each
//! check returns the problem in words ("must ..."), for the caller to place.

use crate::endpoint;

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

#[cfg(test)]
mod tests {
    use super::*;

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
