//! Resource identity over gRPC, as Terraform 1.12+ and OpenTofu 1.12+ use it: the schema,
//! the identity with every plan, apply, read and import, import by identity, and the
//! upgrade of a stored identity. The simulator stands behind the provider.

use crate::common;

use common::discovery::*;
use common::*;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::tf::value::Value;

/// The identity of [`TASK`] on [`INSTANCE`] in [`PROJECT`].
fn seeded_identity() -> Value {
    identity_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
        ("project_id", Value::string(PROJECT)),
    ])
}

async fn import_by_identity(
    provider: &mut TestProvider,
    identity: &Value,
) -> pb::import_resource_state::Response {
    provider
        .client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: RESOURCE_TYPE.into(),
            id: String::new(),
            identity: Some(pb::ResourceIdentityData {
                identity_data: Some(dv(identity, &identity_type())),
            }),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner()
}

async fn upgrade_identity(
    provider: &mut TestProvider,
    version: i64,
    json: &[u8],
) -> pb::upgrade_resource_identity::Response {
    provider
        .client
        .upgrade_resource_identity(pb::upgrade_resource_identity::Request {
            type_name: RESOURCE_TYPE.into(),
            version,
            raw_identity: Some(pb::RawState {
                json: json.to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .expect("rpc")
        .into_inner()
}

#[tokio::test]
async fn the_identity_schema_names_the_task() {
    let mut provider = start_provider(&[]).await;
    let response = provider
        .client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("served, not UNIMPLEMENTED")
        .into_inner();
    assert!(response.diagnostics.is_empty());
    let schema = &response.identity_schemas[RESOURCE_TYPE];
    assert_eq!(schema.version, 0);
    let attribute = |name: &str| {
        schema
            .identity_attributes
            .iter()
            .find(|a| a.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name}"))
    };
    for required in ["instance_id", "task_name"] {
        let a = attribute(required);
        assert!(
            a.required_for_import && !a.optional_for_import,
            "{required}"
        );
        assert_eq!(a.r#type, b"\"string\"");
    }
    let project = attribute("project_id");
    assert!(project.optional_for_import && !project.required_for_import);
    assert_eq!(schema.identity_attributes.len(), 3);
}

#[tokio::test]
async fn plan_apply_and_read_carry_the_identity() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let config = task_config();

    // A create may plan an identity that is not known yet.
    let unknown_instance = resource_value(&[
        ("instance_id", Value::Unknown),
        ("task_name", Value::string(TASK)),
    ]);
    let planned = plan(&mut provider, &Value::Null, &unknown_instance).await;
    assert!(errors(&planned.diagnostics).is_empty());
    let identity = identity_of(&planned.planned_identity);
    assert_eq!(attr(&identity, "instance_id"), &Value::Unknown);
    assert_eq!(attr(&identity, "project_id"), &Value::string(PROJECT));

    // Known configuration: the planned identity is the task, project from the provider.
    let planned = plan(&mut provider, &Value::Null, &config).await;
    assert_eq!(identity_of(&planned.planned_identity), seeded_identity());
    let planned_state = undv(&planned.planned_state, &resource_type());
    let applied = apply(&mut provider, &Value::Null, &planned_state, &config).await;
    assert!(errors(&applied.diagnostics).is_empty());
    assert_eq!(identity_of(&applied.new_identity), seeded_identity());
    let state = undv(&applied.new_state, &resource_type());

    // A refresh of state that has no identity yet (written by an older provider or
    // Terraform) answers with one.
    let read = provider
        .client
        .read_resource(pb::read_resource::Request {
            type_name: RESOURCE_TYPE.into(),
            current_state: Some(dv(&state, &resource_type())),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(identity_of(&read.new_identity), seeded_identity());

    // An update in place (changed triggers) plans the same, wholly known identity.
    let retriggered = resource_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
        (
            "triggers",
            Value::Map([("release".to_string(), Value::string("2"))].into()),
        ),
    ]);
    let update = plan(&mut provider, &state, &retriggered).await;
    assert!(update.requires_replace.is_empty());
    assert_eq!(identity_of(&update.planned_identity), seeded_identity());

    // A destroy plans no identity, and the destroy's apply answers with none.
    let destroy = plan(&mut provider, &state, &Value::Null).await;
    assert!(destroy.planned_identity.is_none());
    let destroyed = apply(&mut provider, &state, &Value::Null, &Value::Null).await;
    assert!(destroyed.new_identity.is_none());
}

#[tokio::test]
async fn a_vanished_task_reads_as_null_without_identity() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let applied = plan_and_create(&mut provider, &task_config()).await;
    let state = undv(&applied.new_state, &resource_type());
    assert!(sim.remove_task(PROJECT, INSTANCE, TASK));
    let read = provider
        .client
        .read_resource(pb::read_resource::Request {
            type_name: RESOURCE_TYPE.into(),
            current_state: Some(dv(&state, &resource_type())),
            current_identity: Some(pb::ResourceIdentityData {
                identity_data: Some(dv(&seeded_identity(), &identity_type())),
            }),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(undv(&read.new_state, &resource_type()), Value::Null);
    assert!(read.new_identity.is_none());
}

#[tokio::test]
async fn import_by_id_and_by_identity_answer_with_the_identity() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;

    let by_id = provider
        .client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: RESOURCE_TYPE.into(),
            id: format!("{INSTANCE}/{TASK}"),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(
        identity_of(&by_id.imported_resources[0].identity),
        seeded_identity()
    );

    // `import { identity = { instance_id = ..., task_name = ... } }`: no ID, no project;
    // the provider's project fills it in, in the state and in the identity.
    let given = identity_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
    ]);
    let by_identity = import_by_identity(&mut provider, &given).await;
    assert!(
        by_identity.diagnostics.is_empty(),
        "{:?}",
        by_identity.diagnostics
    );
    let imported = &by_identity.imported_resources[0];
    assert_eq!(imported.type_name, RESOURCE_TYPE);
    assert_eq!(identity_of(&imported.identity), seeded_identity());
    let state = undv(&imported.state, &resource_type());
    assert_eq!(
        attr(&state, "id"),
        &Value::string(format!("{INSTANCE}/{TASK}"))
    );
    assert_eq!(attr(&state, "project_id"), &Value::string(PROJECT));
    assert_eq!(attr(&state, "job_id"), &Value::Null);
    assert_eq!(attr(&state, "wait_for_completion"), &Value::Bool(true));

    // A project given in the identity wins.
    let elsewhere = identity_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
        ("project_id", Value::string("another_project")),
    ]);
    let imported = import_by_identity(&mut provider, &elsewhere).await;
    assert_eq!(
        identity_of(&imported.imported_resources[0].identity),
        elsewhere
    );

    // Missing or invalid parts are errors that say what to give, and import nothing.
    for (bad, says) in [
        (
            identity_value(&[("instance_id", Value::string(INSTANCE))]),
            "task_name is required",
        ),
        (
            identity_value(&[
                ("instance_id", Value::string(INSTANCE)),
                ("task_name", Value::string("no-dashes")),
            ]),
            "letters, digits and underscores",
        ),
    ] {
        let refused = import_by_identity(&mut provider, &bad).await;
        assert!(refused.imported_resources.is_empty(), "{says}");
        let error = errors(&refused.diagnostics)[0];
        assert!(error.detail.contains(says), "{}", error.detail);
    }
    assert!(
        sim.requests().is_empty(),
        "import reads nothing; the refresh after it does"
    );
}

#[tokio::test]
async fn stored_identities_are_upgraded_from_version_zero_only() {
    let mut provider = start_provider(&[]).await;
    let stored = serde_json::json!({
        "instance_id": INSTANCE,
        "task_name": TASK,
        "project_id": PROJECT,
    });
    let current = upgrade_identity(&mut provider, 0, stored.to_string().as_bytes()).await;
    assert!(current.diagnostics.is_empty(), "{:?}", current.diagnostics);
    assert_eq!(identity_of(&current.upgraded_identity), seeded_identity());

    // Without project_id (optional): null, not an error.
    let partial = serde_json::json!({ "instance_id": INSTANCE, "task_name": TASK });
    let upgraded = upgrade_identity(&mut provider, 0, partial.to_string().as_bytes()).await;
    assert_eq!(
        attr(&identity_of(&upgraded.upgraded_identity), "project_id"),
        &Value::Null
    );

    let newer = upgrade_identity(&mut provider, 1, stored.to_string().as_bytes()).await;
    assert!(newer.upgraded_identity.is_none());
    let error = errors(&newer.diagnostics)[0];
    assert!(
        error.summary.contains("newer provider") && error.detail.contains("version 1"),
        "{error:?}"
    );

    let garbage = upgrade_identity(&mut provider, 0, b"{not json").await;
    assert!(garbage.upgraded_identity.is_none());
    assert!(
        errors(&garbage.diagnostics)[0]
            .summary
            .contains("Malformed")
    );
}
