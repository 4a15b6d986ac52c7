//! The `taurusdb_replication_tasks` data source's schema and its typed configuration and
//! results: attribute names live here once.

use taurusdb_api::ReplicationTask;
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::Diagnostic;
use tfplugin::tf::schema::{Attribute, Block, Nesting, Presence, Schema};
use tfplugin::tf::types::Type;
use tfplugin::tf::value::Value;

pub const TYPE_NAME: &str = "taurusdb_replication_tasks";

pub mod attrs {
    pub use crate::taurusdb::task::attrs::{INSTANCE_ID, PROJECT_ID, TASK_NAME};
    pub const NAME_REGEX: &str = "name_regex";
    pub const STAGE: &str = "stage";
    pub const TASKS: &str = "tasks";
    pub const SOURCE_DATABASE: &str = "source_database";
    pub const TARGET_DATABASE: &str = "target_database";
    pub const STATUS: &str = "status";
    pub const PERCENTAGE: &str = "percentage";
    pub const CATCHUP_STAGE: &str = "catchup_stage";
    pub const CATCHUP_PERCENTAGE: &str = "catchup_percentage";
    pub const IS_MAIN_TASK: &str = "is_main_task";
    pub const IS_NEED_REPAIR: &str = "is_need_repair";
}

/// The text attributes of one task, with their descriptions.
const TASK_TEXT: [(&str, &str); 8] = [
    (attrs::TASK_NAME, "Name of the data synchronization task."),
    (
        attrs::SOURCE_DATABASE,
        "The TaurusDB database the task reads.",
    ),
    (
        attrs::TARGET_DATABASE,
        "The StarRocks database the task writes.",
    ),
    (attrs::STATUS, "`Yes` (normal) or `No` (abnormal)."),
    (
        attrs::STAGE,
        "Synchronization stage as the service spells it: `Wait`, `Full`, `Incremental`, \
         `Paused` or `Cancelled`.",
    ),
    (
        attrs::PERCENTAGE,
        "Progress in percent, as text (the service sends a string or a number).",
    ),
    (attrs::CATCHUP_STAGE, "Catch-up stage."),
    (
        attrs::CATCHUP_PERCENTAGE,
        "Catch-up progress in percent, as text.",
    ),
];

/// The flags of one task, with their descriptions.
const TASK_FLAGS: [(&str, &str); 2] = [
    (
        attrs::IS_MAIN_TASK,
        "Whether it is a main task (the service may send a boolean or the text \
         `\"true\"`/`\"false\"`).",
    ),
    (attrs::IS_NEED_REPAIR, "Whether the task needs repair."),
];

/// The attributes of one element of `tasks`.
fn task_attributes() -> Vec<Attribute> {
    let field = |(name, what): &(&'static str, &'static str), ty| {
        Attribute::new(name, ty, Presence::Computed).describe(*what)
    };
    TASK_TEXT
        .iter()
        .map(|f| field(f, Type::String))
        .chain(TASK_FLAGS.iter().map(|f| field(f, Type::Bool)))
        .collect()
}

pub fn schema() -> Schema {
    let string = |name, presence| Attribute::new(name, Type::String, presence);
    Schema::new(
        0,
        Block {
            attributes: vec![
                string(attrs::INSTANCE_ID, Presence::Required)
                    .describe("ID of the TaurusDB HTAP (StarRocks) instance whose tasks are read."),
                string(attrs::PROJECT_ID, Presence::OptionalComputed).describe(
                    "Project of the instance; defaults to the provider's `project_id`. \
                     Read back as the project that was listed.",
                ),
                string(attrs::NAME_REGEX, Presence::Optional).describe(
                    "Only tasks whose name matches this regular expression (RE2 syntax, as \
                     in Go: `\\d`, `\\w`, `\\s` and `(?i)` are ASCII, like the task names \
                     themselves; Unicode classes such as `\\p{L}` are refused). It matches \
                     anywhere in the name: use `^...$` for a whole name. An invalid expression \
                     is an error at this attribute, and no API call is made.",
                ),
                string(attrs::STAGE, Presence::Optional).describe(
                    "Only tasks at this stage, compared without regard to case: `Wait`, \
                     `Full`, `Incremental`, `Paused` or `Cancelled`.",
                ),
                Attribute::nested(
                    attrs::TASKS,
                    Nesting::List,
                    task_attributes(),
                    Presence::Computed,
                )
                .describe(
                    "The instance's tasks that pass the filters, in the order the service \
                     lists them. An attribute the service did not report is `null`.",
                ),
            ],
            blocks: Vec::new(),
            description: "The data synchronization tasks of a TaurusDB HTAP (StarRocks) \
                          instance (every page of the list API), optionally filtered by name \
                          and stage.",
        },
    )
}

/// The data source's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TasksConfig {
    pub instance_id: Attr<String>,
    pub project_id: Attr<String>,
    pub name_regex: Attr<String>,
    pub stage: Attr<String>,
}

impl TasksConfig {
    pub fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        Ok(Self {
            instance_id: Attr::read(value, attrs::INSTANCE_ID)?,
            project_id: Attr::read(value, attrs::PROJECT_ID)?,
            name_regex: Attr::read(value, attrs::NAME_REGEX)?,
            stage: Attr::read(value, attrs::STAGE)?,
        })
    }

    /// The state: this configuration (with the project it used) and the tasks found.
    pub fn to_state(&self, tasks: &[&ReplicationTask]) -> Value {
        Value::object([
            (attrs::INSTANCE_ID, self.instance_id.to_value()),
            (attrs::PROJECT_ID, self.project_id.to_value()),
            (attrs::NAME_REGEX, self.name_regex.to_value()),
            (attrs::STAGE, self.stage.to_value()),
            (
                attrs::TASKS,
                Value::List(tasks.iter().map(|t| task_value(t)).collect()),
            ),
        ])
    }
}

/// One element of `tasks`.
pub fn task_value(task: &ReplicationTask) -> Value {
    let text = |v: &Option<String>| Attr::from(v.clone()).to_value();
    let flag = |v: Option<bool>| Attr::from(v).to_value();
    Value::object([
        (attrs::TASK_NAME, Value::string(task.task_name.clone())),
        (attrs::SOURCE_DATABASE, text(&task.source_database)),
        (attrs::TARGET_DATABASE, text(&task.target_database)),
        (attrs::STATUS, text(&task.status)),
        (attrs::STAGE, text(&task.stage)),
        (attrs::PERCENTAGE, text(&task.percentage)),
        (attrs::CATCHUP_STAGE, text(&task.catchup_stage)),
        (attrs::CATCHUP_PERCENTAGE, text(&task.catchup_percentage)),
        (attrs::IS_MAIN_TASK, flag(task.is_main_task)),
        (attrs::IS_NEED_REPAIR, flag(task.is_need_repair)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_encodes_with_the_schemas_type() {
        let task = ReplicationTask {
            task_name: "orders_sync".into(),
            stage: Some("Incremental".into()),
            percentage: Some("87.5".into()),
            is_main_task: Some(true),
            ..ReplicationTask::default()
        };
        let config = TasksConfig {
            instance_id: Attr::Known("i".into()),
            project_id: Attr::Known("p".into()),
            ..TasksConfig::default()
        };
        let state = config.to_state(&[&task]);
        let ty = schema().value_type().clone();
        let bytes = tfplugin::tf::value::encode_msgpack(&state, &ty).expect("encodes");
        let back = tfplugin::tf::value::decode_msgpack(&bytes, &ty).expect("decodes");
        assert_eq!(back, state);
        let Some(Value::List(tasks)) = state.attr(attrs::TASKS) else {
            panic!("a list of tasks");
        };
        assert_eq!(tasks[0].attr(attrs::IS_NEED_REPAIR), Some(&Value::Null));
        assert_eq!(
            tasks[0].attr(attrs::PERCENTAGE),
            Some(&Value::string("87.5"))
        );
    }
}
