//! The import ID of anything that names one task (`terraform import`, a listed task's
//! identity): `<instance_id>/<task_name>` or `<project_id>/<instance_id>/<task_name>`.

use taurusdb_api::TaskRef;

/// The import ID: `<instance_id>/<task_name>` or `<project_id>/<instance_id>/<task_name>`
/// (a [`TaskRef`]'s text). Without a project, the provider's applies, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportId {
    pub project_id: Option<String>,
    pub instance_id: String,
    pub task_name: String,
}

impl ImportId {
    pub fn parse(id: &str) -> Option<Self> {
        let parts: Vec<&str> = id.split('/').collect();
        let (project_id, instance_id, task_name) = match parts.as_slice() {
            [instance, task] => (None, *instance, *task),
            [project, instance, task] => (Some(project.to_string()), *instance, *task),
            _ => return None,
        };
        if instance_id.is_empty() || task_name.is_empty() || project_id.as_deref() == Some("") {
            return None;
        }
        Some(Self {
            project_id,
            instance_id: instance_id.to_string(),
            task_name: task_name.to_string(),
        })
    }
}

impl From<&TaskRef> for ImportId {
    fn from(task: &TaskRef) -> Self {
        Self {
            project_id: Some(task.project.clone()),
            instance_id: task.instance.clone(),
            task_name: task.task.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_have_two_or_three_parts() {
        assert_eq!(
            ImportId::parse("inst/orders_sync"),
            Some(ImportId {
                project_id: None,
                instance_id: "inst".into(),
                task_name: "orders_sync".into()
            })
        );
        assert_eq!(
            ImportId::parse("p/inst/orders_sync").and_then(|i| i.project_id),
            Some("p".into())
        );
        for bad in ["", "inst", "inst/", "/task", "a/b/c/d", "/a/b"] {
            assert_eq!(ImportId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_task_ref_is_an_import_id_and_back() {
        let task = TaskRef::new("p", "inst", "orders_sync");
        let id = ImportId::parse(&task.to_string()).expect("parses");
        assert_eq!(id, ImportId::from(&task));
    }
}
