//! Helpers for the discovery tests: the identity, list and data source types, and the
//! calls that carry them.

use futures_util::StreamExt as _;
use taurusdb_provider::taurusdb::discovery::{list, tasks};
use taurusdb_provider::taurusdb::task::identity;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::tf::types::Type;
use tfplugin::tf::value::Value;

use super::{RESOURCE_TYPE, TestProvider, dv, undv};

pub const DATA_SOURCE: &str = "taurusdb_replication_tasks";

pub fn identity_type() -> Type {
    identity::schema().value_type().clone()
}

pub fn list_config_type() -> Type {
    list::schema().value_type().clone()
}

pub fn tasks_type() -> Type {
    tasks::model::schema().value_type().clone()
}

/// An object of `ty` with the given attributes set and all others null.
pub fn object_of(ty: &Type, attrs: &[(&str, Value)]) -> Value {
    let Type::Object(fields) = ty else {
        panic!("object type expected")
    };
    let mut map: std::collections::BTreeMap<String, Value> =
        fields.keys().map(|k| (k.clone(), Value::Null)).collect();
    for (k, v) in attrs {
        assert!(map.contains_key(*k), "no attribute {k}");
        map.insert(k.to_string(), v.clone());
    }
    Value::Object(map)
}

/// An identity with the given attributes set.
pub fn identity_value(attrs: &[(&str, Value)]) -> Value {
    object_of(&identity_type(), attrs)
}

/// The identity in a response, decoded.
pub fn identity_of(data: &Option<pb::ResourceIdentityData>) -> Value {
    let data = data.as_ref().expect("an identity");
    undv(&data.identity_data, &identity_type())
}

/// ListResource read to its end.
pub async fn list_all(
    provider: &mut TestProvider,
    config: &Value,
    include_resource_object: bool,
    limit: i64,
) -> Vec<pb::list_resource::Event> {
    let mut stream = provider
        .client
        .list_resource(pb::list_resource::Request {
            type_name: RESOURCE_TYPE.into(),
            config: Some(dv(config, &list_config_type())),
            include_resource_object,
            limit,
        })
        .await
        .expect("rpc")
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.expect("no stream error"));
    }
    events
}

/// ReadDataSource of `taurusdb_replication_tasks`.
pub async fn read_tasks(
    provider: &mut TestProvider,
    config: &Value,
) -> pb::read_data_source::Response {
    provider
        .client
        .read_data_source(pb::read_data_source::Request {
            type_name: DATA_SOURCE.into(),
            config: Some(dv(config, &tasks_type())),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner()
}
