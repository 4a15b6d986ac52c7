//! The replication actions' schema and their typed configuration.
//!
//! The attributes that name a task are the resource's (see
//! [`task::attrs`](crate::taurusdb::task::attrs)), and so are `wait_for_completion`, its
//! default and the default timeout; an action has no `timeouts` block but one
//! `timeout`, as it has one operation to bound.

use std::time::Duration;

use crate::taurusdb::config::attrs as settings;
use crate::taurusdb::pause::model::{
    DEFAULT_TIMEOUT, DEFAULT_TIMEOUT_TEXT, DEFAULT_WAIT_FOR_COMPLETION,
};
use crate::taurusdb::task::validate;
use taurusdb_api::TaskRef;
use taurusdb_api::job::JobKind;
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::path::AttrPath;
use tfplugin::tf::schema::{Attribute, Block, Presence, Schema};
use tfplugin::tf::types::Type;
use tfplugin::tf::value::Value;

pub const PAUSE_TYPE_NAME: &str = "taurusdb_replication_pause";
pub const RESUME_TYPE_NAME: &str = "taurusdb_replication_resume";

pub mod attrs {
    pub use crate::taurusdb::pause::model::attrs::WAIT_FOR_COMPLETION;
    pub use crate::taurusdb::task::attrs::{INSTANCE_ID, PROJECT_ID, TASK_NAME};
    pub const TIMEOUT: &str = "timeout";
}

/// The action type that runs a `kind` job on a task.
pub fn type_name(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Pause => PAUSE_TYPE_NAME,
        JobKind::Resume => RESUME_TYPE_NAME,
    }
}

pub fn schema(kind: JobKind) -> Schema {
    let verb = kind.verb();
    let string = |name, presence| Attribute::new(name, Type::String, presence);
    let (target, description) = match kind {
        JobKind::Pause => (
            "reads `Paused`",
            "Pauses a TaurusDB HTAP (StarRocks) data synchronization task and, by default, \
             waits until it reads `Paused`, showing progress as it goes. An action keeps \
             nothing in state: run it before a migration (`action_trigger`) or on demand \
             (`terraform apply -invoke`).",
        ),
        JobKind::Resume => (
            "runs again, no longer reading `Paused`",
            "Resumes a paused TaurusDB HTAP (StarRocks) data synchronization task and, by \
             default, waits until it runs again, showing progress as it goes. An action \
             keeps nothing in state.",
        ),
    };
    Schema::new(
        0,
        Block {
            attributes: vec![
                string(attrs::INSTANCE_ID, Presence::Required)
                    .describe("ID of the TaurusDB HTAP (StarRocks) instance."),
                string(attrs::TASK_NAME, Presence::Required).describe(
                    "Name of the data synchronization task: 3 to 128 letters, digits and \
                     underscores.",
                ),
                string(attrs::PROJECT_ID, Presence::Optional)
                    .describe("Project of the instance; defaults to the provider's `project_id`."),
                Attribute::new(attrs::WAIT_FOR_COMPLETION, Type::Bool, Presence::Optional)
                    .describe(format!(
                        "Whether the action waits, after the {verb} request, until the task \
                         {target}; a job the jobs API reports `Failed` ends the wait with its \
                         `fail_reason`. With `false`, it ends as soon as the {verb} was \
                         accepted. Defaults to `{DEFAULT_WAIT_FOR_COMPLETION}`."
                    )),
                string(attrs::TIMEOUT, Presence::Optional).describe(format!(
                    "Bound for the {verb} request (retries included) and the wait, in Go \
                     duration syntax (`90s`, `20m`, `1h30m`). Defaults to \
                     `{DEFAULT_TIMEOUT_TEXT}`."
                )),
            ],
            blocks: Vec::new(),
            description,
        },
    )
}

/// An action's configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionConfig {
    pub instance_id: Attr<String>,
    pub task_name: Attr<String>,
    pub project_id: Attr<String>,
    pub wait_for_completion: Attr<bool>,
    pub timeout: Attr<String>,
}

impl ActionConfig {
    pub fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        Ok(Self {
            instance_id: Attr::read(value, attrs::INSTANCE_ID)?,
            task_name: Attr::read(value, attrs::TASK_NAME)?,
            project_id: Attr::read(value, attrs::PROJECT_ID)?,
            wait_for_completion: Attr::read(value, attrs::WAIT_FOR_COMPLETION)?,
            timeout: Attr::read(value, attrs::TIMEOUT)?,
        })
    }

    /// The resource's checks of the task's attributes, and the timeout's syntax;
    /// unknown values pass.
    pub fn validate(&self) -> Diagnostics {
        let mut diagnostics =
            validate::validate_task(&self.instance_id, &self.task_name, &self.project_id);
        if let Err(d) = self.timeout() {
            diagnostics.push(d);
        }
        diagnostics
    }

    /// wait_for_completion, or its default.
    pub fn waits(&self) -> bool {
        *self
            .wait_for_completion
            .known()
            .unwrap_or(&DEFAULT_WAIT_FOR_COMPLETION)
    }

    /// The configured timeout (the default when unset or not known yet).
    pub fn timeout(&self) -> Result<Duration, Diagnostic> {
        match self.timeout.known() {
            None => Ok(DEFAULT_TIMEOUT),
            Some(text) => validate::timeout_at(text, AttrPath::attr(attrs::TIMEOUT)),
        }
    }

    /// The project: the configuration's, else the provider's. An error at `project_id`
    /// when neither has one; Unknown while the configuration's is not known.
    /// The project: the action's own, else the provider's (Unknown while it is still
    /// to be looked up); an error at `project_id` when there is none.
    pub fn project(&self, default_project: Attr<String>) -> Result<Attr<String>, Diagnostic> {
        let project = self.project_id.clone().or(default_project);
        if project.is_null() {
            return Err(Diagnostic::error(
                format!("Missing {}", attrs::PROJECT_ID),
                format!(
                    "Set {} in the action's config block, or {} in the provider block.",
                    attrs::PROJECT_ID,
                    settings::PROJECT_ID.or_env()
                ),
            )
            .at(AttrPath::attr(attrs::PROJECT_ID)));
        }
        Ok(project)
    }

    /// The task the action is about; every value must be known (they are at invoke).
    pub fn task_ref(&self, default_project: Attr<String>) -> Result<TaskRef, Diagnostic> {
        let project = self.project(default_project)?;
        match (
            project.known(),
            self.instance_id.known(),
            self.task_name.known(),
        ) {
            (Some(project), Some(instance), Some(task)) => {
                Ok(TaskRef::new(project, instance, task))
            }
            _ => Err(Diagnostic::error(
                "Values are not known",
                format!(
                    "{}, {} and {} must be known when the action runs. This is a bug in the \
                     provider or Terraform.",
                    attrs::INSTANCE_ID,
                    attrs::TASK_NAME,
                    attrs::PROJECT_ID
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(attrs: &[(&str, Value)]) -> ActionConfig {
        let Type::Object(fields) = schema(JobKind::Pause).value_type().clone() else {
            panic!("object")
        };
        let mut values: std::collections::BTreeMap<String, Value> =
            fields.keys().map(|k| (k.clone(), Value::Null)).collect();
        for (k, v) in attrs {
            values.insert(k.to_string(), v.clone());
        }
        ActionConfig::from_value(&Value::Object(values)).expect("decodes")
    }

    #[test]
    fn defaults_apply_when_unset() {
        let c = config(&[]);
        assert!(c.waits());
        assert_eq!(c.timeout(), Ok(DEFAULT_TIMEOUT));
        let c = config(&[
            (attrs::WAIT_FOR_COMPLETION, Value::Bool(false)),
            (attrs::TIMEOUT, Value::string("90s")),
        ]);
        assert!(!c.waits());
        assert_eq!(c.timeout(), Ok(Duration::from_secs(90)));
    }

    #[test]
    fn problems_point_at_their_attribute_and_unknowns_pass() {
        let c = config(&[
            (attrs::TASK_NAME, Value::string("bad-name!")),
            (attrs::INSTANCE_ID, Value::string("a/b")),
            (attrs::TIMEOUT, Value::string("soon")),
        ]);
        let paths: Vec<_> = c.validate().iter().map(|d| d.path.clone()).collect();
        assert_eq!(
            paths,
            [attrs::TASK_NAME, attrs::INSTANCE_ID, attrs::TIMEOUT].map(|a| Some(AttrPath::attr(a)))
        );
        let unknown = config(&[
            (attrs::TASK_NAME, Value::Unknown),
            (attrs::TIMEOUT, Value::Unknown),
        ]);
        assert!(unknown.validate().is_empty());
    }

    #[test]
    fn the_project_comes_from_the_config_then_the_provider() {
        let own = config(&[(attrs::PROJECT_ID, Value::string("p1"))]);
        assert_eq!(
            own.project(Attr::Known("p0".into())),
            Ok(Attr::Known("p1".into()))
        );
        assert_eq!(
            config(&[]).project(Attr::Known("p0".into())),
            Ok(Attr::Known("p0".into()))
        );
        let missing = config(&[]).project(Attr::Null).expect_err("no project");
        assert_eq!(missing.path, Some(AttrPath::attr(attrs::PROJECT_ID)));
        let later = config(&[(attrs::PROJECT_ID, Value::Unknown)]);
        assert_eq!(later.project(Attr::Null), Ok(Attr::Unknown));
    }
}
