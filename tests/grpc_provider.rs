//! The provider's gRPC service driven by a tonic client, as Terraform drives it, with
//! the simulator behind the HTTP client.

use crate::common;

use common::*;
use taurusdb_sim::{Fault, FaultKind};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::tf::value::{Number, Value};

fn config_for(task: &str) -> Value {
    resource_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(task)),
    ])
}

/// Plans and applies a create of `task`; returns the apply response.
async fn create(provider: &mut TestProvider, task: &str) -> pb::apply_resource_change::Response {
    plan_and_create(provider, &config_for(task)).await
}

#[tokio::test]
async fn schema_describes_provider_and_resource() {
    let mut provider = start_provider(&[]).await;
    let schema = provider
        .client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("rpc")
        .into_inner();
    assert!(
        schema
            .server_capabilities
            .expect("capabilities")
            .plan_destroy
    );
    let block = schema.provider.expect("provider").block.expect("block");
    let token = block
        .attributes
        .iter()
        .find(|a| a.name == "auth_token")
        .expect("auth_token");
    assert!(token.sensitive && token.optional);
    for name in [
        "region",
        "project_id",
        "endpoint",
        "language",
        "access_key",
        "secret_key",
        "max_retries",
    ] {
        assert!(block.attributes.iter().any(|a| a.name == name), "{name}");
    }
    let resource = schema.resource_schemas["taurusdb_replication_pause"]
        .block
        .clone()
        .expect("block");
    let find = |n: &str| {
        resource
            .attributes
            .iter()
            .find(|a| a.name == n)
            .cloned()
            .expect(n)
    };
    assert!(find("instance_id").required && find("task_name").required);
    assert!(find("project_id").optional && find("project_id").computed);
    assert!(find("job_id").computed && !find("job_id").optional);
    assert!(find("id").computed);
    assert_eq!(find("task_name").r#type, b"\"string\"");
}

#[tokio::test]
async fn metadata_lists_the_resource() {
    let mut provider = start_provider(&[]).await;
    let meta = provider
        .client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(meta.resources[0].type_name, "taurusdb_replication_pause");
}

#[tokio::test]
async fn validation_points_at_the_offending_attribute() {
    let mut provider = start_provider(&[]).await;
    let ty = resource_type();
    let cases = [
        (
            resource_value(&[
                ("instance_id", Value::string(INSTANCE)),
                ("task_name", Value::string("no-dashes")),
            ]),
            "task_name",
        ),
        (
            resource_value(&[
                ("instance_id", Value::string("")),
                ("task_name", Value::string(TASK)),
            ]),
            "instance_id",
        ),
        (
            resource_value(&[
                ("instance_id", Value::string(INSTANCE)),
                ("task_name", Value::string("ab")),
            ]),
            "task_name",
        ),
    ];
    for (config, attribute) in cases {
        let diags = provider
            .client
            .validate_resource_config(pb::validate_resource_config::Request {
                type_name: "taurusdb_replication_pause".into(),
                config: Some(dv(&config, &ty)),
                client_capabilities: None,
            })
            .await
            .expect("rpc")
            .into_inner()
            .diagnostics;
        let errs = errors(&diags);
        assert_eq!(errs.len(), 1, "{diags:?}");
        assert_eq!(path_of(errs[0]), vec![attribute.to_string()]);
    }
    // Unknown values are fine at validation time.
    let unknown = resource_value(&[
        ("instance_id", Value::Unknown),
        ("task_name", Value::Unknown),
    ]);
    let diags = provider
        .client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "taurusdb_replication_pause".into(),
            config: Some(dv(&unknown, &ty)),
            client_capabilities: None,
        })
        .await
        .expect("rpc")
        .into_inner()
        .diagnostics;
    assert!(diags.is_empty(), "{diags:?}");
}

#[tokio::test]
async fn provider_config_validation_and_unknown_values() {
    let mut provider = start_provider(&[]).await;
    let diags = provider
        .client
        .validate_provider_config(pb::validate_provider_config::Request {
            config: Some(dv(
                &provider_config(&[("language", Value::string("fr-fr"))]),
                &provider_type(),
            )),
        })
        .await
        .expect("rpc")
        .into_inner()
        .diagnostics;
    assert_eq!(path_of(errors(&diags)[0]), vec!["language".to_string()]);

    // Unknown values are no error at configure: Terraform plans with them.
    let diags = configure(
        &mut provider,
        provider_config(&[("auth_token", Value::Unknown)]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
}

#[tokio::test]
async fn a_provider_configured_with_unknowns_plans_then_applies_once_known() {
    let sim = start_sim().await;
    let mut provider = start_provider(&[]).await;
    // As in a plan where the token and the project come from resources not created yet.
    let diags = configure(
        &mut provider,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("token", Value::Unknown),
            ("project_id", Value::Unknown),
        ]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    let response = plan(&mut provider, &Value::Null, &config_for(TASK)).await;
    assert!(errors(&response.diagnostics).is_empty(), "{response:?}");
    let planned = undv(&response.planned_state, &resource_type());
    assert_eq!(attr(&planned, "project_id"), &Value::Unknown);
    assert_eq!(attr(&planned, "job_id"), &Value::Unknown);
    // A data source must read now: it says what is not known yet, naming it.
    let read = common::discovery::read_tasks(
        &mut provider,
        &common::discovery::object_of(
            &common::discovery::tasks_type(),
            &[("instance_id", Value::string(INSTANCE))],
        ),
    )
    .await;
    let err = errors(&read.diagnostics)[0];
    assert!(err.detail.contains("token (HW_AUTH_TOKEN)"), "{err:?}");
    assert!(
        sim.requests().is_empty(),
        "nothing called with unknown settings"
    );

    // Apply: Terraform configures a new provider with the values now known.
    let mut provider = start_provider(&[]).await;
    let diags = configure(
        &mut provider,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("token", Value::string(TOKEN)),
            ("project_id", Value::string(PROJECT)),
        ]),
    )
    .await;
    assert!(errors(&diags).is_empty(), "{diags:?}");
    let applied = apply(&mut provider, &Value::Null, &planned, &config_for(TASK)).await;
    assert!(errors(&applied.diagnostics).is_empty(), "{applied:?}");
    let state = undv(&applied.new_state, &resource_type());
    assert_eq!(attr(&state, "project_id"), &Value::string(PROJECT));
    assert!(attr(&state, "job_id").as_str().is_some(), "{state:?}");
    assert_eq!(sim.count("POST", "/pause"), 1);
}

#[tokio::test]
async fn plan_create_calls_no_api_and_leaves_job_id_unknown() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let response = plan(&mut provider, &Value::Null, &config_for(TASK)).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let planned = undv(&response.planned_state, &resource_type());
    assert_eq!(attr(&planned, "job_id"), &Value::Unknown);
    assert_eq!(
        attr(&planned, "id"),
        &Value::string(format!("{INSTANCE}/{TASK}"))
    );
    assert_eq!(attr(&planned, "project_id"), &Value::string(PROJECT));
    assert!(sim.requests().is_empty(), "plan must not call the API");
}

#[tokio::test]
async fn apply_pauses_once_and_stores_the_job_id() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let response = create(&mut provider, TASK).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = undv(&response.new_state, &resource_type());
    let job_id = attr(&state, "job_id")
        .as_str()
        .expect("job_id known")
        .to_string();
    let job = sim.job(&job_id).expect("the simulator knows the job");
    assert_eq!(job.task_name, TASK);
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
    assert_eq!(
        sim.task_stage(PROJECT, INSTANCE, TASK).as_deref(),
        Some("Paused")
    );

    let request = &sim.requests()[0];
    assert_eq!(
        request.path,
        format!("/v3/{PROJECT}/instances/{INSTANCE}/starrocks/databases/replication/pause")
    );
    assert_eq!(request.header("x-auth-token"), Some(TOKEN));
    assert!(
        request
            .header("content-type")
            .unwrap_or("")
            .starts_with("application/json")
    );
    let body: serde_json::Value = serde_json::from_str(&request.body).expect("json body");
    assert_eq!(body, serde_json::json!({"task_name": TASK}));
}

#[tokio::test]
async fn language_header_is_sent_when_configured() {
    let sim = start_sim().await;
    let mut provider = start_provider(&[("HW_LANGUAGE", "zh-cn")]).await;
    let diags = configure(
        &mut provider,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string(PROJECT)),
            ("auth_token", Value::string(TOKEN)),
        ]),
    )
    .await;
    assert!(diags.is_empty(), "{diags:?}");
    let response = create(&mut provider, TASK).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(sim.requests()[0].header("x-language"), Some("zh-cn"));
}

#[tokio::test]
async fn replan_after_apply_is_empty_and_changes_replace() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let created = create(&mut provider, TASK).await;
    let state = undv(&created.new_state, &resource_type());

    let same = plan(&mut provider, &state, &config_for(TASK)).await;
    assert!(same.requires_replace.is_empty());
    assert_eq!(undv(&same.planned_state, &resource_type()), state);

    let changed = plan(&mut provider, &state, &config_for("users_sync")).await;
    let replaced: Vec<Vec<String>> = changed
        .requires_replace
        .iter()
        .map(|p| {
            path_of(&pb::Diagnostic {
                attribute: Some(p.clone()),
                ..Default::default()
            })
        })
        .collect();
    assert_eq!(replaced, vec![vec!["task_name".to_string()]]);
    let planned = undv(&changed.planned_state, &resource_type());
    assert_eq!(attr(&planned, "job_id"), &Value::Unknown);
    assert_eq!(
        sim.count("POST", "/replication/pause"),
        1,
        "plan calls no API"
    );
}

#[tokio::test]
async fn api_errors_become_diagnostics_with_status_code_and_request_id() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let config = resource_value(&[
        (
            "instance_id",
            Value::string("0000000000000000000000000000000in07"),
        ),
        ("task_name", Value::string(TASK)),
    ]);
    let planned = undv(
        &plan(&mut provider, &Value::Null, &config)
            .await
            .planned_state,
        &resource_type(),
    );
    let response = apply(&mut provider, &Value::Null, &planned, &config).await;
    let err = errors(&response.diagnostics)[0].clone();
    assert!(err.detail.contains("HTTP 400"), "{err:?}");
    assert!(err.detail.contains("DBS.200022"), "{err:?}");
    assert!(err.detail.contains("Instance not found."), "{err:?}");
    let request_id = sim.requests()[0].request_id.clone();
    assert!(err.detail.contains(&request_id), "{err:?}");
    assert_eq!(path_of(&err), vec!["instance_id".to_string()]);
    assert_eq!(
        undv(&response.new_state, &resource_type()),
        Value::Null,
        "nothing created"
    );
}

#[tokio::test]
async fn unknown_task_points_at_task_name() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let response = create(&mut provider, "no_such_task").await;
    let err = errors(&response.diagnostics)[0].clone();
    assert!(err.detail.contains("DBS.270022"), "{err:?}");
    assert_eq!(path_of(&err), vec!["task_name".to_string()]);
}

#[tokio::test]
async fn server_errors_non_json_bodies_and_missing_job_ids_are_reported() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let cases = [
        (
            FaultKind::Respond {
                status: 500,
                body: r#"{"error_code":"DBS.05000001","error_msg":"Internal error."}"#.into(),
                content_type: "application/json".into(),
            },
            vec![
                "HTTP 500",
                "DBS.05000001",
                "Internal error.",
                "may or may not have happened",
            ],
            true,
        ),
        (
            FaultKind::Respond {
                status: 502,
                body: "<html>upstream gone</html>".into(),
                content_type: "text/html".into(),
            },
            vec!["HTTP 502", "upstream gone", "may or may not have happened"],
            true,
        ),
        (
            FaultKind::Respond {
                status: 200,
                body: "{}".into(),
                content_type: "application/json".into(),
            },
            vec!["HTTP 200", "no job_id", "may or may not have happened"],
            true,
        ),
    ];
    // `recorded`: no answer proves the pause was not processed (a 5xx may come from a
    // gateway after the service did the work; a 200 without job_id probably did it), so
    // the resource is kept (without a job ID): Terraform taints it and the next apply
    // pauses again.
    for (fault, expected, recorded) in cases {
        sim.inject(Fault::on("POST", "/replication/pause", fault));
        let response = create(&mut provider, TASK).await;
        let errs = errors(&response.diagnostics);
        assert_eq!(errs.len(), 1, "{:?}", response.diagnostics);
        let text = format!("{}\n{}", errs[0].summary, errs[0].detail);
        for part in expected {
            assert!(text.contains(part), "{part:?} not in {text:?}");
        }
        let state = undv(&response.new_state, &resource_type());
        if recorded {
            assert_eq!(attr(&state, "job_id"), &Value::Null);
            assert_eq!(attr(&state, "task_name"), &Value::string(TASK));
        } else {
            assert_eq!(state, Value::Null);
        }
    }
    assert_eq!(
        sim.count("POST", "/replication/pause"),
        3,
        "a failed POST is not re-sent"
    );
}

/// An endpoint nothing listens on: the error says the pause never reached TaurusDB
/// (so nothing was paused), how many attempts were made, and what to check.
#[tokio::test]
async fn an_unreachable_endpoint_says_nothing_was_paused_and_what_to_check() {
    // Bind and drop a listener: nothing listens on that port afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut provider = start_provider(&[]).await;
    let diags = configure(
        &mut provider,
        provider_config(&[
            (
                "endpoint",
                Value::string(format!("http://127.0.0.1:{port}")),
            ),
            ("project_id", Value::string(PROJECT)),
            ("auth_token", Value::string(TOKEN)),
            ("max_retries", Value::Number(Number::Int(2))),
        ]),
    )
    .await;
    assert!(diags.is_empty());
    let response = create(&mut provider, TASK).await;
    let errs = errors(&response.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", response.diagnostics);
    let err = errs[0];
    assert_eq!(
        err.summary,
        format!("Failed to pause replication task {TASK:?}")
    );
    for part in [
        "could not connect to http://127.0.0.1:",
        // 1 try + 2 retries; how long they took is not asserted.
        "(3 attempts over ",
        "Nothing was paused: the request never reached TaurusDB",
        "never delivered",
        "endpoint (HW_TAURUSDB_ENDPOINT)",
        "region (HW_REGION_NAME)",
        "proxy (HTTPS_PROXY",
        "private cloud",
        "ca_file (HW_CA_FILE)",
        "insecure (HW_INSECURE)",
    ] {
        assert!(
            err.detail.contains(part),
            "{part:?} missing from {}",
            err.detail
        );
    }
    assert!(!err.detail.contains(TOKEN));
    assert!(
        undv(&response.new_state, &resource_type()).is_null(),
        "nothing happened, so nothing is in state"
    );
}

#[tokio::test]
async fn wrong_token_is_an_auth_error_without_the_token() {
    let sim = start_sim().await;
    let mut provider = start_provider(&[("HW_AUTH_TOKEN", "wrong-token")]).await;
    let diags = configure(
        &mut provider,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string(PROJECT)),
        ]),
    )
    .await;
    assert!(diags.is_empty());
    let response = create(&mut provider, TASK).await;
    let err = errors(&response.diagnostics)[0];
    assert!(
        err.detail.contains("HTTP 401") && err.detail.contains("APIGW.0301"),
        "{err:?}"
    );
    assert!(err.detail.contains("HW_AUTH_TOKEN"));
    assert!(!err.detail.contains("wrong-token"));
}

#[tokio::test]
async fn missing_credentials_fail_the_plan_naming_the_variable() {
    let sim = start_sim().await;
    let mut provider = start_provider(&[]).await;
    let diags = configure(
        &mut provider,
        provider_config(&[
            ("endpoint", Value::string(sim.endpoint())),
            ("project_id", Value::string(PROJECT)),
        ]),
    )
    .await;
    assert!(
        diags.is_empty(),
        "configure succeeds; credentials are needed later"
    );
    let response = plan(&mut provider, &Value::Null, &config_for(TASK)).await;
    let err = errors(&response.diagnostics)[0];
    assert!(
        err.detail.contains("token (HW_AUTH_TOKEN)") && err.detail.contains("metadata"),
        "{err:?}"
    );
}

#[tokio::test]
async fn destroy_calls_nothing_and_warns() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let created = create(&mut provider, TASK).await;
    let state = undv(&created.new_state, &resource_type());
    let planned = plan(&mut provider, &state, &Value::Null).await;
    assert_eq!(undv(&planned.planned_state, &resource_type()), Value::Null);
    let destroyed = apply(&mut provider, &state, &Value::Null, &Value::Null).await;
    assert_eq!(undv(&destroyed.new_state, &resource_type()), Value::Null);
    let warning = &destroyed.diagnostics[0];
    assert_eq!(warning.severity, 2);
    assert!(
        warning
            .detail
            .contains("only removes it from Terraform state")
    );
    let posts = sim.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(
        posts, 1,
        "only the create's pause call; destroy posts nothing"
    );
}

#[tokio::test]
async fn import_builds_state_from_the_id() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let response = provider
        .client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "taurusdb_replication_pause".into(),
            id: format!("{INSTANCE}/{TASK}"),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = undv(&response.imported_resources[0].state, &resource_type());
    assert_eq!(attr(&state, "instance_id"), &Value::string(INSTANCE));
    assert_eq!(attr(&state, "task_name"), &Value::string(TASK));
    assert_eq!(attr(&state, "project_id"), &Value::string(PROJECT));
    assert_eq!(
        attr(&state, "id"),
        &Value::string(format!("{INSTANCE}/{TASK}"))
    );

    // Planning the matching config against the imported state changes nothing.
    let replan = plan(&mut provider, &state, &config_for(TASK)).await;
    assert!(replan.requires_replace.is_empty());
    assert_eq!(undv(&replan.planned_state, &resource_type()), state);

    let bad = provider
        .client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "taurusdb_replication_pause".into(),
            id: "just-one-part".into(),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner();
    assert!(bad.imported_resources.is_empty());
    assert!(
        errors(&bad.diagnostics)[0]
            .detail
            .contains("<instance_id>/<task_name>")
    );
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn malformed_dynamic_values_give_diagnostics_and_the_server_keeps_working() {
    let mut provider = start_provider(&[]).await;
    for garbage in [
        vec![0xc1],
        vec![0x85, 0xa2],
        b"\xd4\x05\x00".to_vec(),
        vec![0x92, 0x01],
    ] {
        let response = provider
            .client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: "taurusdb_replication_pause".into(),
                prior_state: None,
                proposed_new_state: Some(pb::DynamicValue {
                    msgpack: garbage.clone(),
                    json: Vec::new(),
                }),
                config: Some(pb::DynamicValue {
                    msgpack: garbage,
                    json: Vec::new(),
                }),
                ..Default::default()
            })
            .await
            .expect("a diagnostic, not a gRPC error")
            .into_inner();
        let errs = errors(&response.diagnostics);
        assert_eq!(errs.len(), 1, "{:?}", response.diagnostics);
        assert!(errs[0].summary.starts_with("Malformed"), "{:?}", errs[0]);
    }
    let schema = provider
        .client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await;
    assert!(schema.is_ok(), "the server still answers");
}

#[tokio::test]
async fn stored_json_state_is_upgraded_to_msgpack() {
    let mut provider = start_provider(&[]).await;
    let json = serde_json::json!({
        "id": format!("{INSTANCE}/{TASK}"),
        "instance_id": INSTANCE,
        "task_name": TASK,
        "project_id": PROJECT,
        "job_id": "job-1",
        "attribute_from_an_old_version": true
    });
    let response = upgrade(&mut provider, 0, &json).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = undv(&response.upgraded_state, &resource_type());
    assert_eq!(attr(&state, "job_id"), &Value::string("job-1"));

    let newer = upgrade(&mut provider, 7, &json).await;
    assert!(errors(&newer.diagnostics)[0].summary.contains("newer"));
}

/// A stored `id` that is not `<instance_id>/<task_name>` (edited by hand, or written by
/// an older version): upgrade corrects it, and a plan from the uncorrected state plans
/// the `id` that apply returns, so Terraform sees a consistent result after the pause.
#[tokio::test]
async fn a_stored_id_that_is_not_instance_slash_task_is_derived_by_upgrade_and_plan() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let derived = Value::string(format!("{INSTANCE}/{TASK}"));
    for (version, legacy) in [(1, "hand-edited"), (0, TASK)] {
        let stored = serde_json::json!({
            "id": legacy,
            "instance_id": INSTANCE,
            "task_name": TASK,
            "project_id": PROJECT,
            "job_id": "job-1",
            "stage": "Paused",
        });
        let upgraded = upgrade(&mut provider, version, &stored).await;
        assert!(
            upgraded.diagnostics.is_empty(),
            "{:?}",
            upgraded.diagnostics
        );
        let upgraded = undv(&upgraded.upgraded_state, &resource_type());
        assert_eq!(attr(&upgraded, "id"), &derived, "upgraded from {legacy:?}");
    }

    // A prior state that kept its odd id (no upgrade in between), triggers changed: the
    // plan pauses again in place, and apply returns exactly the planned id.
    let mut prior = stored_state("Paused");
    if let Value::Object(fields) = &mut prior {
        fields.insert("id".into(), Value::string("hand-edited"));
    }
    let config = resource_value(&[
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
        (
            "triggers",
            Value::Map([("release".to_string(), Value::string("2"))].into()),
        ),
    ]);
    let planned = plan(&mut provider, &prior, &config).await;
    assert!(
        errors(&planned.diagnostics).is_empty(),
        "{:?}",
        planned.diagnostics
    );
    assert!(planned.requires_replace.is_empty(), "paused again in place");
    let planned = undv(&planned.planned_state, &resource_type());
    assert_eq!(attr(&planned, "id"), &derived);
    let applied = apply(&mut provider, &prior, &planned, &config).await;
    assert!(
        errors(&applied.diagnostics).is_empty(),
        "{:?}",
        applied.diagnostics
    );
    let applied = undv(&applied.new_state, &resource_type());
    assert_eq!(
        attr(&applied, "id"),
        attr(&planned, "id"),
        "apply keeps the plan's id"
    );
    assert_eq!(sim.count("POST", "/replication/pause"), 1);
}

fn stored_state(stage: &str) -> Value {
    resource_value(&[
        ("id", Value::string(format!("{INSTANCE}/{TASK}"))),
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string(TASK)),
        ("project_id", Value::string(PROJECT)),
        ("job_id", Value::string("job-1")),
        ("stage", Value::string(stage)),
        ("wait_for_completion", Value::Bool(true)),
        ("resume_on_destroy", Value::Bool(false)),
    ])
}

async fn read(provider: &mut TestProvider, state: &Value) -> pb::read_resource::Response {
    provider
        .client
        .read_resource(pb::read_resource::Request {
            type_name: "taurusdb_replication_pause".into(),
            current_state: Some(dv(state, &resource_type())),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner()
}

#[tokio::test]
async fn read_without_credentials_keeps_the_state_and_warns() {
    let mut provider = start_provider(&[]).await;
    let state = stored_state("Paused");
    let response = read(&mut provider, &state).await;
    assert!(errors(&response.diagnostics).is_empty());
    assert_eq!(response.diagnostics[0].severity, 2, "a warning");
    assert_eq!(undv(&response.new_state, &resource_type()), state);
}

#[tokio::test]
async fn read_refreshes_the_stage_and_drift_plans_a_new_pause() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let created = create(&mut provider, TASK).await;
    let state = undv(&created.new_state, &resource_type());
    assert_eq!(attr(&state, "stage"), &Value::string("Paused"));

    // Someone resumes the task behind Terraform's back.
    sim.set_task_stage(PROJECT, INSTANCE, TASK, "Incremental");
    let refreshed = read(&mut provider, &state).await;
    assert!(
        refreshed.diagnostics.is_empty(),
        "{:?}",
        refreshed.diagnostics
    );
    let refreshed = undv(&refreshed.new_state, &resource_type());
    assert_eq!(attr(&refreshed, "stage"), &Value::string("Incremental"));

    let replan = plan(&mut provider, &refreshed, &config_for(TASK)).await;
    assert!(
        replan.requires_replace.is_empty(),
        "same task: paused again in place"
    );
    let planned = undv(&replan.planned_state, &resource_type());
    assert_eq!(attr(&planned, "job_id"), &Value::Unknown);
    assert_eq!(attr(&planned, "stage"), &Value::Unknown);
}

#[tokio::test]
async fn read_of_a_vanished_task_removes_it_with_a_warning() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let state = resource_value(&[
        ("id", Value::string(format!("{INSTANCE}/gone_task"))),
        ("instance_id", Value::string(INSTANCE)),
        ("task_name", Value::string("gone_task")),
        ("project_id", Value::string(PROJECT)),
        ("job_id", Value::string("job-1")),
        ("stage", Value::string("Paused")),
    ]);
    let response = read(&mut provider, &state).await;
    assert_eq!(undv(&response.new_state, &resource_type()), Value::Null);
    assert_eq!(response.diagnostics[0].severity, 2);
    assert!(response.diagnostics[0].summary.contains("no longer exists"));
}

#[tokio::test]
async fn unknown_resource_types_are_diagnostics() {
    let mut provider = start_provider(&[]).await;
    let response = provider
        .client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "taurusdb_nonsense".into(),
            config: None,
            client_capabilities: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert!(
        errors(&response.diagnostics)[0]
            .detail
            .contains("taurusdb_nonsense")
    );
}

#[tokio::test]
async fn stop_provider_cancels_an_in_flight_apply() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    sim.inject(Fault::on("POST", "/replication/pause", FaultKind::Hang));
    let config = config_for(TASK);
    let planned = undv(
        &plan(&mut provider, &Value::Null, &config)
            .await
            .planned_state,
        &resource_type(),
    );
    let in_flight = spawn_create_apply(&provider, planned, config.clone());
    sim.wait_for_requests(1).await;
    provider
        .client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("stop");
    let response = in_flight.await.expect("apply task");
    let err = errors(&response.diagnostics)[0];
    assert!(
        err.summary.contains("may or may not have happened"),
        "{err:?}"
    );
    assert!(err.detail.contains("interrupted"), "{err:?}");
    // The request was in flight: the resource is recorded (tainted) without a job ID.
    let state = undv(&response.new_state, &resource_type());
    assert_eq!(attr(&state, "job_id"), &Value::Null);

    // The server keeps serving after StopProvider, and new work is not cancelled.
    let response = create(&mut provider, "users_sync").await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
}

#[tokio::test]
async fn data_source_calls_answer_with_a_diagnostic() {
    let mut provider = start_provider(&[]).await;
    let validate = provider
        .client
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "taurusdb_anything".into(),
            config: None,
        })
        .await
        .expect("a diagnostic, not a gRPC error")
        .into_inner();
    assert!(
        errors(&validate.diagnostics)[0]
            .detail
            .contains("taurusdb_anything")
    );
    let read = provider
        .client
        .read_data_source(pb::read_data_source::Request {
            type_name: "taurusdb_anything".into(),
            ..Default::default()
        })
        .await
        .expect("a diagnostic, not a gRPC error")
        .into_inner();
    assert_eq!(errors(&read.diagnostics).len(), 1);
}
