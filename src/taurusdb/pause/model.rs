//! The `taurusdb_replication_pause` resource's schema and its typed state.
//!
//! Attribute names live here once (those that name the task are shared with every
//! schema that names one, see [`task::attrs`](crate::taurusdb::task::attrs)), and so do
//! the defaults; everything else reads them through [`PauseState`].

use std::collections::BTreeMap;
use std::time::Duration;

use crate::taurusdb::task::{ImportId, identity, validate};
use taurusdb_api::TaskRef;
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::path::{AttrPath, PathStep};
use tfplugin::tf::schema::{Attribute, Block, NestedBlock, Nesting, Presence, Schema};
use tfplugin::tf::types::Type;
use tfplugin::tf::value::Value;

pub const TYPE_NAME: &str = "taurusdb_replication_pause";
/// Version 1 added stage, triggers, wait_for_completion, resume_on_destroy, timeouts.
pub const SCHEMA_VERSION: i64 = 1;
/// How long create (pause and wait) and delete (resume and wait) may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// [`DEFAULT_TIMEOUT`] as the schema descriptions write it (Go duration syntax).
pub const DEFAULT_TIMEOUT_TEXT: &str = "30m";

/// wait_for_completion when not set.
pub const DEFAULT_WAIT_FOR_COMPLETION: bool = true;
/// resume_on_destroy when not set.
pub const DEFAULT_RESUME_ON_DESTROY: bool = false;

pub mod attrs {
    pub use crate::taurusdb::task::attrs::{INSTANCE_ID, PROJECT_ID, TASK_NAME};
    pub const ID: &str = "id";
    pub const JOB_ID: &str = "job_id";
    pub const STAGE: &str = "stage";
    pub const TRIGGERS: &str = "triggers";
    pub const WAIT_FOR_COMPLETION: &str = "wait_for_completion";
    pub const RESUME_ON_DESTROY: &str = "resume_on_destroy";
    pub const TIMEOUTS: &str = "timeouts";
    pub const CREATE: &str = "create";
    pub const DELETE: &str = "delete";
}

pub fn schema() -> Schema {
    let string = |name, presence| Attribute::new(name, Type::String, presence);
    let flag = |name| Attribute::new(name, Type::Bool, Presence::OptionalComputed);
    let default_timeout = DEFAULT_TIMEOUT_TEXT;
    Schema::new(
        SCHEMA_VERSION,
        Block {
            attributes: vec![
                string(attrs::ID, Presence::Computed).describe(
                    "`<instance_id>/<task_name>`: the task this resource pauses, in the form \
                     `terraform import` takes.",
                ),
                string(attrs::INSTANCE_ID, Presence::Required).describe(
                    "ID of the TaurusDB HTAP (StarRocks) instance. Changing it replaces the \
                     resource: another task is paused.",
                ),
                string(attrs::TASK_NAME, Presence::Required).describe(
                    "Name of the data synchronization task: 3 to 128 letters, digits and \
                     underscores. Changing it replaces the resource.",
                ),
                string(attrs::PROJECT_ID, Presence::OptionalComputed).describe(
                    "Project of the instance; defaults to the provider's `project_id`. \
                     Changing it replaces the resource.",
                ),
                string(attrs::JOB_ID, Presence::Computed).describe(
                    "ID of the job the pause request started. `null` when no job is known: \
                     after an import, when the service refused the pause because the task \
                     already read `Paused`, or when the answer to the pause was lost.",
                ),
                string(attrs::STAGE, Presence::Computed).describe(
                    "The task's stage as last read (`Paused` after a completed pause). When \
                     the task was resumed outside Terraform, the next plan updates the \
                     resource in place and the apply pauses it again.",
                ),
                Attribute::new(attrs::TRIGGERS, Type::map(Type::String), Presence::Optional)
                    .describe(
                        "Arbitrary values; changing any of them pauses the task again (an \
                         in-place update: the task is not resumed in between).",
                    ),
                flag(attrs::WAIT_FOR_COMPLETION).describe(format!(
                    "Whether create waits, after the pause request, until the task's stage \
                     reads `Paused` (a job the jobs API reports `Failed` ends the wait with \
                     its `fail_reason`). With `false`, create ends as soon as the pause was \
                     accepted. Defaults to `{DEFAULT_WAIT_FOR_COMPLETION}`."
                )),
                flag(attrs::RESUME_ON_DESTROY).describe(format!(
                    "Whether destroy resumes the task and waits until it runs again (within \
                     `timeouts.delete`). Defaults to `{DEFAULT_RESUME_ON_DESTROY}`: destroy \
                     only removes the resource from state, with a warning."
                )),
            ],
            blocks: vec![NestedBlock {
                type_name: attrs::TIMEOUTS,
                nesting: Nesting::Single,
                block: Block {
                    attributes: vec![
                        string(attrs::CREATE, Presence::Optional).describe(format!(
                            "Bound for the pause request (retries included) and the wait, in \
                             Go duration syntax (`90s`, `20m`, `1h30m`). Defaults to \
                             `{default_timeout}`."
                        )),
                        string(attrs::DELETE, Presence::Optional).describe(format!(
                            "Bound for the resume request and the wait, when \
                             `resume_on_destroy` is set, in Go duration syntax. Defaults to \
                             `{default_timeout}`."
                        )),
                    ],
                    blocks: Vec::new(),
                    description: "How long create and delete may take.",
                },
                max_items: 0,
            }],
            description: "Pauses a TaurusDB HTAP (StarRocks) data synchronization task, waits \
                          until it reads `Paused`, and keeps the ID of the job that paused it. \
                          Destroying it only removes it from state, unless \
                          `resume_on_destroy` is set.",
        },
    )
}

/// The `timeouts` block; None when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Attr<String>,
    pub delete: Attr<String>,
}

impl Timeouts {
    fn read(value: &Value) -> Result<Option<Self>, Diagnostic> {
        match value.attr(attrs::TIMEOUTS) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Unknown) => Ok(Some(Timeouts {
                create: Attr::Unknown,
                delete: Attr::Unknown,
            })),
            Some(block) => Ok(Some(Self {
                create: Attr::read(block, attrs::CREATE)
                    .map_err(|d| within_timeouts(d, attrs::CREATE))?,
                delete: Attr::read(block, attrs::DELETE)
                    .map_err(|d| within_timeouts(d, attrs::DELETE))?,
            })),
        }
    }

    fn to_value(timeouts: &Option<Self>) -> Value {
        match timeouts {
            None => Value::Null,
            Some(t) => Value::object([
                (attrs::CREATE, t.create.to_value()),
                (attrs::DELETE, t.delete.to_value()),
            ]),
        }
    }
}

fn within_timeouts(diagnostic: Diagnostic, name: &str) -> Diagnostic {
    diagnostic.at(timeout_path(name))
}

/// `timeouts.<name>`.
pub fn timeout_path(name: &str) -> AttrPath {
    AttrPath::attr(attrs::TIMEOUTS).child(PathStep::Attribute(name.to_string()))
}

/// The resource's values, in plan, state or config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PauseState {
    pub id: Attr<String>,
    pub instance_id: Attr<String>,
    pub task_name: Attr<String>,
    pub project_id: Attr<String>,
    pub job_id: Attr<String>,
    pub stage: Attr<String>,
    pub triggers: Triggers,
    pub wait_for_completion: Attr<bool>,
    pub resume_on_destroy: Attr<bool>,
    pub timeouts: Option<Timeouts>,
}

impl PauseState {
    pub fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        Ok(Self {
            id: Attr::read(value, attrs::ID)?,
            instance_id: Attr::read(value, attrs::INSTANCE_ID)?,
            task_name: Attr::read(value, attrs::TASK_NAME)?,
            project_id: Attr::read(value, attrs::PROJECT_ID)?,
            job_id: Attr::read(value, attrs::JOB_ID)?,
            stage: Attr::read(value, attrs::STAGE)?,
            triggers: Triggers::read(value)?,
            wait_for_completion: Attr::read(value, attrs::WAIT_FOR_COMPLETION)?,
            resume_on_destroy: Attr::read(value, attrs::RESUME_ON_DESTROY)?,
            timeouts: Timeouts::read(value)?,
        })
    }

    pub fn to_value(&self) -> Value {
        Value::object([
            (attrs::ID, self.id.to_value()),
            (attrs::INSTANCE_ID, self.instance_id.to_value()),
            (attrs::TASK_NAME, self.task_name.to_value()),
            (attrs::PROJECT_ID, self.project_id.to_value()),
            (attrs::JOB_ID, self.job_id.to_value()),
            (attrs::STAGE, self.stage.to_value()),
            (attrs::TRIGGERS, self.triggers.0.clone()),
            (
                attrs::WAIT_FOR_COMPLETION,
                self.wait_for_completion.to_value(),
            ),
            (attrs::RESUME_ON_DESTROY, self.resume_on_destroy.to_value()),
            (attrs::TIMEOUTS, Timeouts::to_value(&self.timeouts)),
        ])
    }

    /// Whether a change of `name` from `prior` to `self` means another task.
    pub fn replaces(&self, prior: &PauseState, name: &str) -> bool {
        match name {
            attrs::INSTANCE_ID => self.instance_id != prior.instance_id,
            attrs::TASK_NAME => self.task_name != prior.task_name,
            attrs::PROJECT_ID => self.project_id != prior.project_id,
            _ => false,
        }
    }

    /// `<instance_id>/<task_name>` when both are known.
    pub fn derived_id(&self) -> Attr<String> {
        match (&self.instance_id, &self.task_name) {
            (Attr::Known(instance), Attr::Known(task)) => Attr::Known(format!("{instance}/{task}")),
            _ => Attr::Unknown,
        }
    }

    /// The flags that are not set get their defaults; unknown ones stay unknown.
    pub fn with_defaults(self) -> Self {
        Self {
            wait_for_completion: self
                .wait_for_completion
                .or(Attr::Known(DEFAULT_WAIT_FOR_COMPLETION)),
            resume_on_destroy: self
                .resume_on_destroy
                .or(Attr::Known(DEFAULT_RESUME_ON_DESTROY)),
            ..self
        }
    }

    /// wait_for_completion, or its default.
    pub fn waits(&self) -> bool {
        *self
            .wait_for_completion
            .known()
            .unwrap_or(&DEFAULT_WAIT_FOR_COMPLETION)
    }

    /// resume_on_destroy, or its default.
    pub fn resumes_on_destroy(&self) -> bool {
        *self
            .resume_on_destroy
            .known()
            .unwrap_or(&DEFAULT_RESUME_ON_DESTROY)
    }

    /// The task this pause is about, once project, instance and task name are known.
    pub fn task_ref(&self) -> Result<TaskRef, Diagnostic> {
        match (
            self.project_id.known(),
            self.instance_id.known(),
            self.task_name.known(),
        ) {
            (Some(project), Some(instance), Some(task)) => {
                Ok(TaskRef::new(project, instance, task))
            }
            _ => Err(Diagnostic::error(
                "Values are not known",
                format!(
                    "{}, {} and {} must be known here. This is a bug in the provider or \
                     Terraform.",
                    attrs::INSTANCE_ID,
                    attrs::TASK_NAME,
                    attrs::PROJECT_ID
                ),
            )),
        }
    }

    /// A configured timeout, or the default.
    pub fn timeout(&self, name: &str) -> Result<Duration, Diagnostic> {
        let text = self.timeouts.as_ref().and_then(|t| match name {
            attrs::CREATE => t.create.known(),
            _ => t.delete.known(),
        });
        match text {
            None => Ok(DEFAULT_TIMEOUT),
            Some(text) => validate::timeout_at(text, timeout_path(name)),
        }
    }

    /// Problems with the timeouts block (unknown values pass).
    pub fn validate_timeouts(&self) -> Diagnostics {
        [attrs::CREATE, attrs::DELETE]
            .into_iter()
            .filter_map(|name| self.timeout(name).err())
            .collect()
    }
}

/// The `triggers` map as Terraform sent it. Kept as a value, not a Rust map, because
/// its elements may be unknown at plan time and the plan must carry them unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Triggers(pub Value);

impl Default for Triggers {
    fn default() -> Self {
        Self(Value::Null)
    }
}

impl Triggers {
    fn read(object: &Value) -> Result<Self, Diagnostic> {
        let value = object.attr(attrs::TRIGGERS).cloned().unwrap_or(Value::Null);
        let valid = match &value {
            Value::Null | Value::Unknown => true,
            Value::Map(entries) => entries
                .values()
                .all(|v| matches!(v, Value::String(_) | Value::Unknown | Value::Null)),
            _ => false,
        };
        if valid {
            Ok(Self(value))
        } else {
            Err(Diagnostic::error(
                "Invalid attribute value",
                format!("The value of {} must be a map of strings.", attrs::TRIGGERS),
            )
            .at(AttrPath::attr(attrs::TRIGGERS)))
        }
    }

    /// A map of known strings (an empty map and no map are the same).
    fn known(&self) -> Option<BTreeMap<&str, Option<&str>>> {
        match &self.0 {
            Value::Null => Some(BTreeMap::new()),
            Value::Map(entries) if entries.values().all(|v| !v.is_unknown()) => Some(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// Whether two trigger sets are certainly equal; anything unknown is a change.
    pub fn same_as(&self, other: &Triggers) -> bool {
        match (self.known(), other.known()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

impl From<BTreeMap<String, String>> for Triggers {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(Value::Map(
            map.into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ))
    }
}

/// Attributes whose change means another task: a replacement.
pub const REPLACING: [&str; 3] = [attrs::INSTANCE_ID, attrs::TASK_NAME, attrs::PROJECT_ID];

impl PauseState {
    /// The static checks of a configuration: the attributes that name the task, and the
    /// timeouts.
    pub fn validate(&self) -> Diagnostics {
        let mut diagnostics =
            validate::validate_task(&self.instance_id, &self.task_name, &self.project_id);
        diagnostics.extend(self.validate_timeouts());
        diagnostics
    }

    /// The identity of the task this state names.
    pub fn identity(&self) -> Value {
        identity::of(&self.instance_id, &self.task_name, &self.project_id)
    }

    /// The state an import starts from: the task `import` names, `default_project` where
    /// the ID names none, the flags at their defaults.
    pub fn from_import(import: ImportId, default_project: Attr<String>) -> Self {
        PauseState {
            instance_id: Attr::Known(import.instance_id),
            task_name: Attr::Known(import.task_name),
            project_id: Attr::from(import.project_id).or(default_project),
            ..PauseState::default()
        }
        .with_defaults()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_default_timeout_is_the_default_timeout() {
        assert_eq!(
            stdx::duration::parse_go_duration(DEFAULT_TIMEOUT_TEXT),
            Ok(DEFAULT_TIMEOUT)
        );
    }

    #[test]
    fn an_import_starts_from_the_task_it_names() {
        let task = TaskRef::new("p", "inst", "orders_sync");
        let id = ImportId::from(&task);
        let state = PauseState::from_import(id, Attr::Null);
        assert_eq!(state.task_ref(), Ok(task));
        assert_eq!(state.wait_for_completion, Attr::Known(true));
        assert_eq!(state.resume_on_destroy, Attr::Known(false));
        let imported = ImportId::parse("inst/orders_sync").expect("parses");
        let state = PauseState::from_import(imported, Attr::Known("default".into()));
        assert_eq!(state.task_ref().map(|t| t.project), Ok("default".into()));
    }

    #[test]
    fn defaults_fill_only_what_is_not_set() {
        let state = PauseState {
            wait_for_completion: Attr::Unknown,
            resume_on_destroy: Attr::Known(true),
            ..PauseState::default()
        }
        .with_defaults();
        assert_eq!(state.wait_for_completion, Attr::Unknown);
        assert!(state.waits(), "unknown waits, as by default");
        assert!(state.resumes_on_destroy());
        let defaults = PauseState::default().with_defaults();
        assert_eq!(defaults.waits(), DEFAULT_WAIT_FOR_COMPLETION);
        assert_eq!(defaults.resumes_on_destroy(), DEFAULT_RESUME_ON_DESTROY);
    }

    #[test]
    fn state_round_trips_through_values() {
        let state = PauseState {
            id: Attr::Known("i/t".into()),
            instance_id: Attr::Known("i".into()),
            task_name: Attr::Known("t".into()),
            project_id: Attr::Null,
            job_id: Attr::Unknown,
            stage: Attr::Known("Paused".into()),
            triggers: BTreeMap::from([("k".to_string(), "v".to_string())]).into(),
            wait_for_completion: Attr::Known(true),
            resume_on_destroy: Attr::Null,
            timeouts: Some(Timeouts {
                create: Attr::Known("5m".into()),
                delete: Attr::Null,
            }),
        };
        let value = state.to_value();
        assert_eq!(
            tfplugin::tf::value::decode_msgpack(
                &tfplugin::tf::value::encode_msgpack(&value, schema().value_type())
                    .expect("encode"),
                schema().value_type()
            )
            .expect("decode"),
            value
        );
        assert_eq!(PauseState::from_value(&value), Ok(state));
    }

    #[test]
    fn timeouts_default_parse_and_point_at_the_attribute() {
        let mut state = PauseState::default();
        assert_eq!(state.timeout(attrs::CREATE), Ok(DEFAULT_TIMEOUT));
        state.timeouts = Some(Timeouts {
            create: Attr::Known("90s".into()),
            delete: Attr::Known("soon".into()),
        });
        assert_eq!(state.timeout(attrs::CREATE), Ok(Duration::from_secs(90)));
        let err = state.timeout(attrs::DELETE).expect_err("invalid");
        assert_eq!(err.path, Some(timeout_path("delete")));
        assert_eq!(state.validate_timeouts().0.len(), 1);
    }

    #[test]
    fn empty_and_absent_triggers_are_the_same_but_unknown_ones_differ() {
        let a = PauseState {
            triggers: BTreeMap::new().into(),
            ..Default::default()
        };
        let b = PauseState::default();
        assert!(a.triggers.same_as(&b.triggers));
        let c = PauseState {
            triggers: BTreeMap::from([("k".to_string(), "v".to_string())]).into(),
            ..Default::default()
        };
        assert!(!c.triggers.same_as(&b.triggers));
        assert!(c.triggers.same_as(&c.clone().triggers));
        let partly_unknown = PauseState {
            triggers: Triggers(Value::Map(BTreeMap::from([
                ("k".to_string(), Value::string("v")),
                ("later".to_string(), Value::Unknown),
            ]))),
            ..Default::default()
        };
        assert!(!partly_unknown.triggers.same_as(&c.triggers));
        let read = PauseState::from_value(&partly_unknown.to_value()).expect("decodes");
        assert_eq!(
            read.triggers, partly_unknown.triggers,
            "unknown elements survive"
        );
    }
}
