//! Pausing a task through the provider's gRPC service directly, without Terraform.
//!
//! Start the simulator and the standalone service, then run this example:
//!
//! ```sh
//! cargo run --release -- sim --listen 127.0.0.1:8790 &        # token: demo-token
//! cargo run --release -- serve --listen 127.0.0.1:50051 &
//! cargo run --release --example grpc_client -- http://127.0.0.1:50051 \
//!     http://127.0.0.1:8790 2f6c8a4e1b3d4c5f9a7e6d5c4b3a2918 \
//!     5c1f0e9a2b7d4e3f8a6c1d2e3f4a5b6cin17 orders_sync
//! ```
//!
//! The token is read from HW_AUTH_TOKEN (default `demo-token`, the simulator's).
//! Values travel as msgpack DynamicValues shaped by the schema; the crate's codec
//! builds and reads them.

use std::collections::BTreeMap;

use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tfplugin::tf::types::Type;
use tfplugin::tf::value::{self, Value};

type Error = Box<dyn std::error::Error>;

/// An object of `ty` with the given attributes set and every other one null.
fn object(ty: &Type, set: &[(&str, Value)]) -> Result<Value, Error> {
    let Type::Object(fields) = ty else {
        return Err("schema type is not an object".into());
    };
    let mut attrs: BTreeMap<String, Value> =
        fields.keys().map(|k| (k.clone(), Value::Null)).collect();
    for (name, v) in set {
        attrs.insert(name.to_string(), v.clone());
    }
    Ok(Value::Object(attrs))
}

fn dynamic(value: &Value, ty: &Type) -> Result<pb::DynamicValue, Error> {
    Ok(pb::DynamicValue {
        msgpack: value::encode_msgpack(value, ty)?,
        json: Vec::new(),
    })
}

/// Fails on error diagnostics, prints warnings.
fn check(step: &str, diagnostics: &[pb::Diagnostic]) -> Result<(), Error> {
    for d in diagnostics {
        eprintln!("{step}: {} - {}", d.summary, d.detail);
    }
    if diagnostics.iter().any(|d| d.severity == 1) {
        return Err(format!("{step} failed").into());
    }
    Ok(())
}

/// The object type a schema's values have: attributes plus nested blocks.
fn type_of(schema: &pb::Schema) -> Result<Type, Error> {
    let block = schema.block.as_ref().ok_or("schema without a block")?;
    block_type(block)
}

fn block_type(block: &pb::schema::Block) -> Result<Type, Error> {
    let mut fields = BTreeMap::new();
    for attr in &block.attributes {
        fields.insert(attr.name.clone(), Type::from_json_bytes(&attr.r#type)?);
    }
    for nested in &block.block_types {
        let inner = block_type(
            nested
                .block
                .as_ref()
                .ok_or("nested block without a block")?,
        )?;
        let ty = match pb::schema::nested_block::NestingMode::try_from(nested.nesting) {
            Ok(pb::schema::nested_block::NestingMode::List) => Type::list(inner),
            Ok(pb::schema::nested_block::NestingMode::Set) => Type::set(inner),
            _ => inner,
        };
        fields.insert(nested.type_name.clone(), ty);
    }
    Ok(Type::Object(fields))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [service, endpoint, project, instance, task] = args.as_slice() else {
        return Err(
            "usage: grpc_client SERVICE_URL API_ENDPOINT PROJECT_ID INSTANCE_ID TASK_NAME".into(),
        );
    };
    let token = std::env::var("HW_AUTH_TOKEN").unwrap_or_else(|_| "demo-token".into());
    let mut client = ProviderClient::connect(service.clone()).await?;

    // The schema tells the value types of the provider block and the resource.
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await?
        .into_inner();
    let provider_ty = type_of(schema.provider.as_ref().ok_or("no provider schema")?)?;
    let resource_ty = type_of(
        schema
            .resource_schemas
            .get("taurusdb_replication_pause")
            .ok_or("no taurusdb_replication_pause")?,
    )?;

    let config = object(
        &provider_ty,
        &[
            ("endpoint", Value::string(endpoint.as_str())),
            ("project_id", Value::string(project.as_str())),
            ("auth_token", Value::string(token)),
        ],
    )?;
    let configured = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "grpc-client-example".into(),
            config: Some(dynamic(&config, &provider_ty)?),
            client_capabilities: None,
        })
        .await?
        .into_inner();
    check("ConfigureProvider", &configured.diagnostics)?;

    let resource = object(
        &resource_ty,
        &[
            ("instance_id", Value::string(instance.as_str())),
            ("task_name", Value::string(task.as_str())),
        ],
    )?;
    let planned = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "taurusdb_replication_pause".into(),
            prior_state: Some(dynamic(&Value::Null, &resource_ty)?),
            proposed_new_state: Some(dynamic(&resource, &resource_ty)?),
            config: Some(dynamic(&resource, &resource_ty)?),
            ..Default::default()
        })
        .await?
        .into_inner();
    check("PlanResourceChange", &planned.diagnostics)?;

    let applied = client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "taurusdb_replication_pause".into(),
            prior_state: Some(dynamic(&Value::Null, &resource_ty)?),
            planned_state: planned.planned_state,
            config: Some(dynamic(&resource, &resource_ty)?),
            ..Default::default()
        })
        .await?
        .into_inner();
    check("ApplyResourceChange", &applied.diagnostics)?;
    let state = applied.new_state.ok_or("no new state")?;
    let state = value::decode_msgpack(&state.msgpack, &resource_ty)?;
    let job_id = state
        .attr("job_id")
        .and_then(Value::as_str)
        .ok_or("no job_id in state")?;
    let stage = state.attr("stage").and_then(Value::as_str).unwrap_or("?");
    println!("paused {task} on {instance}: job ID {job_id}, stage {stage}");
    Ok(())
}
