//! [`TaskRef`]: which synchronization task a call is about. One identity for every
//! layer above the client: the API calls, the waits, the diagnostics and the resource.

use std::fmt;

/// A data synchronization task: its project, its StarRocks instance and its name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskRef {
    pub project: String,
    pub instance: String,
    pub task: String,
}

impl TaskRef {
    pub fn new(
        project: impl Into<String>,
        instance: impl Into<String>,
        task: impl Into<String>,
    ) -> Self {
        Self {
            project: project.into(),
            instance: instance.into(),
            task: task.into(),
        }
    }
}

/// `<project>/<instance>/<task>`, the long form of an import ID.
impl fmt::Display for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.project, self.instance, self.task)
    }
}
