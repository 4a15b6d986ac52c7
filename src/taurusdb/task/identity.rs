//! The identity of anything that names one task (Terraform 1.12+, OpenTofu 1.12+):
//! `{instance_id, task_name, project_id}`, today `taurusdb_replication_pause`'s, and the
//! same identity names each result of `terraform query`. Import by identity needs
//! instance_id and task_name; project_id defaults to the provider's.

use crate::taurusdb::task::{ImportId, attrs};
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::identity::{ForImport, IdentityAttribute, IdentitySchema};
use tfplugin::tf::types::Type;
use tfplugin::tf::value::Value;

/// Version 0 is the first and current identity.
pub const IDENTITY_VERSION: i64 = 0;

pub fn schema() -> IdentitySchema {
    let string = |name, for_import| IdentityAttribute::new(name, Type::String, for_import);
    IdentitySchema::new(
        IDENTITY_VERSION,
        vec![
            string(attrs::INSTANCE_ID, ForImport::Required)
                .describe("ID of the TaurusDB HTAP (StarRocks) instance."),
            string(attrs::TASK_NAME, ForImport::Required)
                .describe("Name of the data synchronization task."),
            string(attrs::PROJECT_ID, ForImport::Optional).describe(
                "Project of the instance; an import defaults it to the provider's \
                 `project_id`. The stored identity always carries the project the task was \
                 found in (`null` when neither the resource nor the provider names one).",
            ),
        ],
    )
}

/// The identity of the task these attributes name; values unknown in a plan stay
/// unknown.
pub fn of(
    instance_id: &Attr<String>,
    task_name: &Attr<String>,
    project_id: &Attr<String>,
) -> Value {
    Value::object([
        (attrs::INSTANCE_ID, instance_id.to_value()),
        (attrs::TASK_NAME, task_name.to_value()),
        (attrs::PROJECT_ID, project_id.to_value()),
    ])
}

/// The task an `import { identity = {...} }` names.
pub fn import_id(identity: &Value) -> Result<ImportId, Diagnostic> {
    let text = |name: &str| match identity.attr(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(_)) => Err(invalid_identity(format!("{name} must not be empty."))),
        Some(_) => Err(invalid_identity(format!("{name} must be a known string."))),
    };
    let required = |name: &str| {
        text(name)?.ok_or_else(|| {
            invalid_identity(format!(
                "{name} is required: import {{ identity = {{ {i} = \"...\", {t} = \"...\" }} }}.",
                i = attrs::INSTANCE_ID,
                t = attrs::TASK_NAME
            ))
        })
    };
    Ok(ImportId {
        instance_id: required(attrs::INSTANCE_ID)?,
        task_name: required(attrs::TASK_NAME)?,
        project_id: text(attrs::PROJECT_ID)?,
    })
}

/// Brings an identity stored at `version` to the current one: version 0 is current.
pub fn upgrade(version: i64, identity: Value) -> Result<Value, Diagnostics> {
    if version == IDENTITY_VERSION {
        return Ok(identity);
    }
    Err(Diagnostic::error(
        "Unsupported identity version",
        format!(
            "This identity was stored at version {version}; this provider knows version \
             {IDENTITY_VERSION}. Use a newer provider."
        ),
    )
    .into())
}

fn invalid_identity(detail: String) -> Diagnostic {
    Diagnostic::error("Invalid import identity", detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(instance: Value, task: Value, project: Value) -> Value {
        Value::object([
            (attrs::INSTANCE_ID, instance),
            (attrs::TASK_NAME, task),
            (attrs::PROJECT_ID, project),
        ])
    }

    #[test]
    fn an_identity_names_the_task_and_back() {
        let named = of(
            &Attr::Known("inst".into()),
            &Attr::Known("orders_sync".into()),
            &Attr::Known("p".into()),
        );
        let id = import_id(&named).expect("valid");
        assert_eq!(id, ImportId::parse("p/inst/orders_sync").expect("parses"));
        let without_project = identity(
            Value::string("inst"),
            Value::string("orders_sync"),
            Value::Null,
        );
        assert_eq!(import_id(&without_project).expect("valid").project_id, None);
    }

    #[test]
    fn instance_and_task_are_required_and_not_empty() {
        for (bad, says) in [
            (
                identity(Value::Null, Value::string("t"), Value::Null),
                "instance_id is required",
            ),
            (
                identity(Value::string("i"), Value::string(""), Value::Null),
                "task_name must not be empty",
            ),
            (
                identity(Value::string("i"), Value::string("t"), Value::Unknown),
                "project_id must be a known string",
            ),
        ] {
            let err = import_id(&bad).expect_err(says);
            assert!(err.detail.contains(says), "{}", err.detail);
        }
    }

    #[test]
    fn only_version_zero_is_understood() {
        let id = identity(Value::string("i"), Value::string("t"), Value::Null);
        assert_eq!(upgrade(0, id.clone()), Ok(id.clone()));
        assert!(upgrade(1, id).is_err());
    }
}
