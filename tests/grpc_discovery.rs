//! Discovering tasks over gRPC: the `taurusdb_replication_pause` list resource (what
//! `terraform query` calls) and the `taurusdb_replication_tasks` data source, against the
//! simulator.

use crate::common;

use common::discovery::*;
use common::*;
use taurusdb_sim::{Fault, FaultKind};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::tf::value::Value;

const SEEDED_TASKS: [&str; 3] = ["orders_sync", "users_sync", "payments_sync"];

fn list_config(attrs: &[(&str, Value)]) -> Value {
    object_of(&list_config_type(), attrs)
}

fn instance_list() -> Value {
    list_config(&[("instance_id", Value::string(INSTANCE))])
}

fn tasks_config(attrs: &[(&str, Value)]) -> Value {
    object_of(&tasks_type(), attrs)
}

/// Adds `n` tasks `bulk_000`... to the seeded instance: more than one page.
fn add_bulk_tasks(sim: &taurusdb_sim::SimHandle, n: usize) {
    for i in 0..n {
        sim.add_task(PROJECT, INSTANCE, &format!("bulk_{i:03}"));
    }
}

/// The list reads the simulator has answered.
fn list_reads(sim: &taurusdb_sim::SimHandle) -> usize {
    sim.count("GET", "/starrocks/databases/replication")
}

fn display_names(events: &[pb::list_resource::Event]) -> Vec<&str> {
    events.iter().map(|e| e.display_name.as_str()).collect()
}

#[tokio::test]
async fn metadata_and_schema_offer_the_list_resource_and_the_data_source() {
    let mut provider = start_provider(&[]).await;
    let meta = provider
        .client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(meta.list_resources[0].type_name, RESOURCE_TYPE);
    assert_eq!(meta.data_sources[0].type_name, DATA_SOURCE);
    let schema = provider
        .client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("rpc")
        .into_inner();
    let list = schema.list_resource_schemas[RESOURCE_TYPE]
        .block
        .clone()
        .expect("block");
    let required: Vec<_> = list
        .attributes
        .iter()
        .filter(|a| a.required)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(required, ["instance_id"]);
    let data = schema.data_source_schemas[DATA_SOURCE]
        .block
        .clone()
        .expect("block");
    let tasks = data
        .attributes
        .iter()
        .find(|a| a.name == "tasks")
        .expect("tasks");
    assert!(tasks.computed && !tasks.optional);
    // A list of nested attributes, each field described (Terraform takes no `type` then).
    assert!(tasks.r#type.is_empty(), "nested attributes carry no type");
    let nested = tasks.nested_type.as_ref().expect("nested attributes");
    assert_eq!(nested.nesting, pb::schema::object::NestingMode::List as i32);
    let fields: Vec<(&str, &[u8])> = nested
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.r#type.as_slice()))
        .collect();
    assert_eq!(
        fields,
        [
            ("task_name", &b"\"string\""[..]),
            ("source_database", b"\"string\""),
            ("target_database", b"\"string\""),
            ("status", b"\"string\""),
            ("stage", b"\"string\""),
            ("percentage", b"\"string\""),
            ("catchup_stage", b"\"string\""),
            ("catchup_percentage", b"\"string\""),
            ("is_main_task", b"\"bool\""),
            ("is_need_repair", b"\"bool\""),
        ]
    );
    assert!(
        nested
            .attributes
            .iter()
            .all(|a| a.computed && !a.optional && !a.description.is_empty())
    );
}

#[tokio::test]
async fn a_list_streams_one_event_per_task_with_its_identity() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    sim.set_task_stage(PROJECT, INSTANCE, "users_sync", "Paused");
    let events = list_all(&mut provider, &instance_list(), false, 100).await;
    assert_eq!(
        display_names(&events),
        [
            "orders_sync (Incremental)",
            "users_sync (Paused)",
            "payments_sync (Incremental)"
        ]
    );
    for (event, task) in events.iter().zip(SEEDED_TASKS) {
        assert!(event.diagnostic.is_empty(), "{:?}", event.diagnostic);
        assert!(event.resource_object.is_none(), "not asked for");
        assert_eq!(
            identity_of(&event.identity),
            identity_value(&[
                ("instance_id", Value::string(INSTANCE)),
                ("task_name", Value::string(task)),
                ("project_id", Value::string(PROJECT)),
            ])
        );
    }
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "a list only reads"
    );
}

#[tokio::test]
async fn listed_tasks_with_names_the_resource_refuses_are_skipped_with_a_warning() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    sim.add_task(PROJECT, INSTANCE, "bad/slash");
    sim.add_task(PROJECT, INSTANCE, "evil\u{1b}[2J\nforged_sync");
    sim.set_task_stage(PROJECT, INSTANCE, "users_sync", "Paused\u{1b}]0;owned\u{7}");
    let events = list_all(&mut provider, &instance_list(), false, 4).await;
    let results: Vec<_> = events.iter().filter(|e| e.identity.is_some()).collect();
    assert_eq!(
        results
            .iter()
            .map(|e| e.display_name.as_str())
            .collect::<Vec<_>>(),
        [
            "orders_sync (Incremental)",
            "users_sync (Paused\\u{1b}]0;owned\\u{7})",
            "payments_sync (Incremental)"
        ],
        "valid names listed, the stage escaped"
    );
    let skipped: Vec<_> = events.iter().filter(|e| e.identity.is_none()).collect();
    assert_eq!(skipped.len(), 2, "{events:?}");
    for (event, shown) in skipped
        .iter()
        .zip(["bad/slash", "evil\\u{1b}[2J\\nforged_sync"])
    {
        let [diagnostic] = event.diagnostic.as_slice() else {
            panic!("one diagnostic: {event:?}");
        };
        assert_eq!(
            diagnostic.severity,
            pb::diagnostic::Severity::Warning as i32,
            "{diagnostic:?}"
        );
        assert!(diagnostic.detail.contains(shown), "{diagnostic:?}");
        assert!(
            !diagnostic.detail.chars().any(char::is_control),
            "{diagnostic:?}"
        );
    }
}

/// The canned page [`page_with_unreadable_names`] as the next list read.
fn inject_unreadable_names(sim: &taurusdb_sim::SimHandle) {
    sim.inject(Fault::on(
        "GET",
        "/starrocks/databases/replication",
        FaultKind::json(200, &page_with_unreadable_names()),
    ));
}

#[tokio::test]
async fn listed_tasks_whose_name_is_not_a_string_are_skipped_with_a_warning() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;

    inject_unreadable_names(&sim);
    let events = list_all(&mut provider, &instance_list(), false, 10).await;
    assert_eq!(
        display_names(&events),
        ["", "orders_sync (Paused)", "users_sync (Incremental)"],
        "{events:?}"
    );
    let [warning] = events[0].diagnostic.as_slice() else {
        panic!("one diagnostic: {events:?}");
    };
    assert_eq!(warning.severity, pb::diagnostic::Severity::Warning as i32);
    assert!(
        warning.detail.starts_with(UNREADABLE_NAMES_WARNING),
        "{warning:?}"
    );

    inject_unreadable_names(&sim);
    let read = read_tasks(
        &mut provider,
        &tasks_config(&[("instance_id", Value::string(INSTANCE))]),
    )
    .await;
    let [warning] = read.diagnostics.as_slice() else {
        panic!("one diagnostic: {:?}", read.diagnostics);
    };
    assert_eq!(warning.severity, pb::diagnostic::Severity::Warning as i32);
    assert!(
        warning.detail.starts_with(UNREADABLE_NAMES_WARNING),
        "{warning:?}"
    );
    let state = undv(&read.state, &tasks_type());
    let Value::List(tasks) = attr(&state, "tasks") else {
        panic!("tasks is a list");
    };
    let names: Vec<_> = tasks
        .iter()
        .map(|t| attr(t, "task_name").as_str().expect("name"))
        .collect();
    assert_eq!(names, ["orders_sync", "users_sync"]);
    assert_eq!(list_reads(&sim), 2, "one read each");
}

#[tokio::test]
async fn asked_for_it_each_result_carries_the_resource_object() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let events = list_all(&mut provider, &instance_list(), true, 100).await;
    assert_eq!(events.len(), 3);
    let object = undv(&events[0].resource_object, &resource_type());
    assert_eq!(
        attr(&object, "id"),
        &Value::string(format!("{INSTANCE}/orders_sync"))
    );
    assert_eq!(attr(&object, "instance_id"), &Value::string(INSTANCE));
    assert_eq!(attr(&object, "task_name"), &Value::string("orders_sync"));
    assert_eq!(attr(&object, "project_id"), &Value::string(PROJECT));
    assert_eq!(attr(&object, "stage"), &Value::string("Incremental"));
    assert_eq!(attr(&object, "job_id"), &Value::Null);
    assert_eq!(attr(&object, "wait_for_completion"), &Value::Bool(true));
    assert_eq!(attr(&object, "resume_on_destroy"), &Value::Bool(false));
    assert_eq!(attr(&object, "triggers"), &Value::Null);
}

#[tokio::test]
async fn the_stage_filter_ignores_case() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    sim.set_task_stage(PROJECT, INSTANCE, "payments_sync", "PAUSED");
    let config = list_config(&[
        ("instance_id", Value::string(INSTANCE)),
        ("project_id", Value::string(PROJECT)),
        ("stage", Value::string("paused")),
    ]);
    let events = list_all(&mut provider, &config, false, 100).await;
    assert_eq!(display_names(&events), ["payments_sync (PAUSED)"]);
}

#[tokio::test]
async fn the_limit_ends_the_stream_and_the_reading_of_pages() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    add_bulk_tasks(&sim, 250);

    let five = list_all(&mut provider, &instance_list(), false, 5).await;
    assert_eq!(five.len(), 5);
    assert_eq!(list_reads(&sim), 1, "the first page held all five");

    let before = list_reads(&sim);
    let many = list_all(&mut provider, &instance_list(), false, 150).await;
    assert_eq!(many.len(), 150);
    assert_eq!(list_reads(&sim) - before, 2, "two pages of 100 for 150");

    let before = list_reads(&sim);
    let all = list_all(&mut provider, &instance_list(), false, 1000).await;
    assert_eq!(all.len(), 253, "every page");
    assert_eq!(list_reads(&sim) - before, 3);

    // The filter applies before the limit: the two paused tasks are on the last page.
    sim.set_task_stage(PROJECT, INSTANCE, "bulk_240", "Paused");
    sim.set_task_stage(PROJECT, INSTANCE, "bulk_249", "Paused");
    let paused = list_config(&[
        ("instance_id", Value::string(INSTANCE)),
        ("stage", Value::string("Paused")),
    ]);
    let events = list_all(&mut provider, &paused, false, 1).await;
    assert_eq!(display_names(&events), ["bulk_240 (Paused)"]);

    let before = list_reads(&sim);
    let none = list_all(&mut provider, &instance_list(), false, 0).await;
    assert!(none.is_empty());
    assert_eq!(list_reads(&sim), before, "a limit of 0 reads nothing");
}

#[tokio::test]
async fn a_client_that_walks_away_mid_list_leaves_the_provider_serving() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    add_bulk_tasks(&sim, 250);
    let mut stream = provider
        .client
        .list_resource(pb::list_resource::Request {
            type_name: RESOURCE_TYPE.into(),
            config: Some(dv(&instance_list(), &list_config_type())),
            include_resource_object: false,
            limit: 1000,
        })
        .await
        .expect("rpc")
        .into_inner();
    let first = stream.message().await.expect("event").expect("one");
    assert_eq!(first.display_name, "orders_sync (Incremental)");
    drop(stream);
    // (How far the abandoned list got depends on how much HTTP/2 buffered before the
    // reset arrived; the limit, not the reset, is what bounds the reads.)
    let events = list_all(&mut provider, &instance_list(), false, 1).await;
    assert_eq!(display_names(&events), ["orders_sync (Incremental)"]);
}

#[tokio::test]
async fn api_failures_and_bad_configurations_are_error_events() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let unknown = list_config(&[(
        "instance_id",
        Value::string("0000000000000000000000000000000in07"),
    )]);
    let events = list_all(&mut provider, &unknown, false, 100).await;
    assert_eq!(events.len(), 1);
    assert!(events[0].identity.is_none());
    let error = errors(&events[0].diagnostic)[0];
    assert!(error.detail.contains("DBS.200022"), "{}", error.detail);
    assert!(error.summary.contains("list"), "{}", error.summary);
    assert_eq!(path_of(error), ["config", "instance_id"]);

    let bad = list_config(&[("instance_id", Value::string("a/b"))]);
    let events = list_all(&mut provider, &bad, false, 100).await;
    assert_eq!(
        path_of(errors(&events[0].diagnostic)[0]),
        ["config", "instance_id"]
    );

    // Unconfigured: says what is missing instead of failing the stream.
    let mut bare = start_provider(&[]).await;
    let events = list_all(&mut bare, &instance_list(), false, 100).await;
    assert_eq!(events.len(), 1);
    assert!(!errors(&events[0].diagnostic).is_empty());

    // Not a list resource here.
    let unknown_type = bare
        .client
        .list_resource(pb::list_resource::Request {
            type_name: "taurusdb_other".into(),
            ..Default::default()
        })
        .await
        .expect("an event, not a gRPC error")
        .into_inner()
        .message()
        .await
        .expect("event")
        .expect("one");
    assert!(
        errors(&unknown_type.diagnostic)[0]
            .detail
            .contains("taurusdb_other")
    );
}

#[tokio::test]
async fn list_configurations_are_validated_at_the_attribute() {
    let mut provider = start_provider(&[]).await;
    let mut validate = async |config: Value, limit: Option<i64>| {
        provider
            .client
            .validate_list_resource_config(pb::validate_list_resource_config::Request {
                type_name: RESOURCE_TYPE.into(),
                config: Some(dv(&config, &list_config_type())),
                include_resource_object: None,
                limit: limit.map(|n| {
                    dv(
                        &Value::Number(tfplugin::tf::value::Number::Int(n)),
                        &tfplugin::tf::types::Type::Number,
                    )
                }),
            })
            .await
            .expect("rpc")
            .into_inner()
            .diagnostics
    };
    assert!(validate(instance_list(), Some(10)).await.is_empty());
    assert!(
        validate(list_config(&[("instance_id", Value::Unknown)]), None)
            .await
            .is_empty(),
        "unknown values pass"
    );
    let bad_instance = validate(list_config(&[("instance_id", Value::string(" "))]), None).await;
    assert_eq!(path_of(errors(&bad_instance)[0]), ["config", "instance_id"]);
    let bad_project = validate(
        list_config(&[
            ("instance_id", Value::string(INSTANCE)),
            ("project_id", Value::string("../x")),
        ]),
        None,
    )
    .await;
    assert_eq!(path_of(errors(&bad_project)[0]), ["config", "project_id"]);
    let negative = validate(instance_list(), Some(-1)).await;
    assert!(errors(&negative)[0].summary.contains("limit"));
}

#[tokio::test]
async fn the_data_source_reads_every_page_and_filters() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    add_bulk_tasks(&sim, 150);
    sim.set_task_stage(PROJECT, INSTANCE, "bulk_120", "Paused");
    sim.set_task_stage(PROJECT, INSTANCE, "bulk_149", "paused");

    let all = read_tasks(
        &mut provider,
        &tasks_config(&[("instance_id", Value::string(INSTANCE))]),
    )
    .await;
    assert!(all.diagnostics.is_empty(), "{:?}", all.diagnostics);
    let state = undv(&all.state, &tasks_type());
    assert_eq!(attr(&state, "project_id"), &Value::string(PROJECT));
    let Value::List(tasks) = attr(&state, "tasks") else {
        panic!("tasks is a list");
    };
    assert_eq!(tasks.len(), 153, "both pages");
    let orders = &tasks[0];
    for (field, value) in [
        ("task_name", Value::string("orders_sync")),
        ("source_database", Value::string("orders")),
        ("target_database", Value::string("orders")),
        ("status", Value::string("Yes")),
        ("stage", Value::string("Incremental")),
        ("percentage", Value::string("100")),
        ("catchup_stage", Value::string("-")),
        ("catchup_percentage", Value::string("100")),
        ("is_main_task", Value::Bool(true)),
        ("is_need_repair", Value::Bool(false)),
    ] {
        assert_eq!(attr(orders, field), &value, "{field}");
    }

    let filtered = read_tasks(
        &mut provider,
        &tasks_config(&[
            ("instance_id", Value::string(INSTANCE)),
            ("name_regex", Value::string("^bulk_1[0-9]{2}$")),
            ("stage", Value::string("PAUSED")),
        ]),
    )
    .await;
    let state = undv(&filtered.state, &tasks_type());
    let Value::List(tasks) = attr(&state, "tasks") else {
        panic!("tasks is a list");
    };
    let names: Vec<_> = tasks
        .iter()
        .map(|t| attr(t, "task_name").as_str().expect("name"))
        .collect();
    assert_eq!(names, ["bulk_120", "bulk_149"]);
    assert_eq!(
        attr(&state, "name_regex"),
        &Value::string("^bulk_1[0-9]{2}$"),
        "configuration kept"
    );
}

#[tokio::test]
async fn an_invalid_name_regex_is_refused_at_the_attribute() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let config = |regex: Value| {
        tasks_config(&[
            ("instance_id", Value::string(INSTANCE)),
            ("name_regex", regex),
        ])
    };
    let mut validate = async |config: Value| {
        provider
            .client
            .validate_data_resource_config(pb::validate_data_resource_config::Request {
                type_name: DATA_SOURCE.into(),
                config: Some(dv(&config, &tasks_type())),
            })
            .await
            .expect("rpc")
            .into_inner()
            .diagnostics
    };
    let invalid = validate(config(Value::string("orders("))).await;
    let error = errors(&invalid)[0];
    assert_eq!(path_of(error), ["name_regex"]);
    assert!(error.detail.contains("unclosed group"), "{}", error.detail);
    assert!(validate(config(Value::Unknown)).await.is_empty());
    assert!(validate(config(Value::string("^orders_"))).await.is_empty());

    // Unknown at validate, known at read: refused there, before any API call.
    let read = read_tasks(&mut provider, &config(Value::string("["))).await;
    assert_eq!(path_of(errors(&read.diagnostics)[0]), ["name_regex"]);
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn data_source_api_failures_point_at_the_instance() {
    let sim = start_sim().await;
    let mut provider = configured_provider(&sim).await;
    let read = read_tasks(
        &mut provider,
        &tasks_config(&[(
            "instance_id",
            Value::string("0000000000000000000000000000000in07"),
        )]),
    )
    .await;
    let error = errors(&read.diagnostics)[0];
    assert!(error.detail.contains("DBS.200022"), "{}", error.detail);
    assert!(error.detail.contains("request id"), "{}", error.detail);
    assert_eq!(path_of(error), ["instance_id"]);
}
