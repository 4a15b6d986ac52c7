//! The `taurusdb_replication_pause` resource's schema and its typed state.
//!
//! Attribute names live here once; everything else reads them through [`PauseState`].

use crate::tf::attr::Attr;
use crate::tf::diagnostics::Diagnostic;
use crate::tf::schema::{Attribute, Block, Presence, Schema};
use crate::tf::types::Type;
use crate::tf::value::Value;

pub const TYPE_NAME: &str = "taurusdb_replication_pause";
pub const SCHEMA_VERSION: i64 = 0;

pub mod attrs {
    pub const ID: &str = "id";
    pub const INSTANCE_ID: &str = "instance_id";
    pub const TASK_NAME: &str = "task_name";
    pub const PROJECT_ID: &str = "project_id";
    pub const JOB_ID: &str = "job_id";
}

/// Attributes whose change plans a new pause.
pub const REPLACING: [&str; 3] = [attrs::INSTANCE_ID, attrs::TASK_NAME, attrs::PROJECT_ID];

pub fn schema() -> Schema {
    let string = |name, presence| Attribute::new(name, Type::String, presence);
    Schema::new(
        SCHEMA_VERSION,
        Block {
            attributes: vec![
                string(attrs::ID, Presence::Computed)
                    .describe("`<instance_id>/<task_name>`."),
                string(attrs::INSTANCE_ID, Presence::Required)
                    .describe("ID of the TaurusDB StarRocks instance. Changing it pauses again (replacement)."),
                string(attrs::TASK_NAME, Presence::Required).describe(
                    "Name of the data synchronization task: 3 to 128 letters, digits and underscores. Changing it pauses again (replacement).",
                ),
                string(attrs::PROJECT_ID, Presence::OptionalComputed)
                    .describe("Project of the instance; defaults to the provider's project_id. Changing it pauses again (replacement)."),
                string(attrs::JOB_ID, Presence::Computed)
                    .describe("ID of the job the pause call started."),
            ],
            blocks: Vec::new(),
            description: "Pauses a TaurusDB HTAP (StarRocks) data synchronization task. Destroying it only removes it from state.",
        },
    )
}

/// The resource's values, in plan, state or config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PauseState {
    pub id: Attr<String>,
    pub instance_id: Attr<String>,
    pub task_name: Attr<String>,
    pub project_id: Attr<String>,
    pub job_id: Attr<String>,
}

impl PauseState {
    pub fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        Ok(Self {
            id: Attr::read(value, attrs::ID)?,
            instance_id: Attr::read(value, attrs::INSTANCE_ID)?,
            task_name: Attr::read(value, attrs::TASK_NAME)?,
            project_id: Attr::read(value, attrs::PROJECT_ID)?,
            job_id: Attr::read(value, attrs::JOB_ID)?,
        })
    }

    pub fn to_value(&self) -> Value {
        Value::object([
            (attrs::ID, self.id.to_value()),
            (attrs::INSTANCE_ID, self.instance_id.to_value()),
            (attrs::TASK_NAME, self.task_name.to_value()),
            (attrs::PROJECT_ID, self.project_id.to_value()),
            (attrs::JOB_ID, self.job_id.to_value()),
        ])
    }

    /// The value of a replacing attribute by name.
    pub fn replacing(&self, name: &str) -> &Attr<String> {
        match name {
            attrs::INSTANCE_ID => &self.instance_id,
            attrs::TASK_NAME => &self.task_name,
            _ => &self.project_id,
        }
    }

    /// `<instance_id>/<task_name>` when both are known.
    pub fn derived_id(&self) -> Attr<String> {
        match (&self.instance_id, &self.task_name) {
            (Attr::Known(instance), Attr::Known(task)) => Attr::Known(format!("{instance}/{task}")),
            _ => Attr::Unknown,
        }
    }
}

/// The import ID: `<instance_id>/<task_name>` or `<project_id>/<instance_id>/<task_name>`.
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
    fn state_round_trips_through_values() {
        let state = PauseState {
            id: Attr::Known("i/t".into()),
            instance_id: Attr::Known("i".into()),
            task_name: Attr::Known("t".into()),
            project_id: Attr::Null,
            job_id: Attr::Unknown,
        };
        assert_eq!(PauseState::from_value(&state.to_value()), Ok(state));
    }
}
