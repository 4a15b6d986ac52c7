//! The smallest useful provider on tfplugin: `hello_greeting`, whose computed `message`
//! greets its required `name`. Terraform runs it as `terraform-provider-hello` (see this
//! crate's README.md); `tests/hello_provider.rs` drives it through the gRPC service.

use std::sync::{Arc, LazyLock};

use tfplugin::tf::{diagnostics::Diagnostics, provider::*, schema::*, types::Type, value::Value};

static GREETING: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::new("name", Type::String, Presence::Required),
        Attribute::new("message", Type::String, Presence::Computed),
    ];
    Schema::new(
        0,
        Block {
            attributes,
            ..Block::default()
        },
    )
});

pub struct Greeting;

#[tonic::async_trait]
impl Resource for Greeting {
    fn type_name(&self) -> &'static str {
        "hello_greeting"
    }
    fn schema(&self) -> &Schema {
        &GREETING
    }
    async fn plan(&self, _: &RequestContext, req: PlanRequest) -> PlanResponse {
        let planned = match req.proposed.attr("name") {
            Some(Value::String(name)) => Value::object([
                ("name", Value::string(name)),
                ("message", Value::string(format!("Hello, {name}!"))),
            ]),
            _ => req.proposed, // destroyed (null) or a name not known yet
        };
        let diagnostics = Diagnostics::new();
        PlanResponse {
            planned,
            requires_replace: vec![],
            planned_private: vec![],
            diagnostics,
        }
    }
    async fn apply(&self, _: &RequestContext, req: ApplyRequest) -> ApplyResponse {
        let (new_state, diagnostics) = (req.planned, Diagnostics::new());
        ApplyResponse {
            new_state,
            private: vec![],
            diagnostics,
        }
    }
}

pub struct Hello;

impl Provider for Hello {
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Greeting)]
    }
}

#[allow(dead_code)] // the test includes this file for its provider, not its main
fn main() -> Result<(), tfplugin::plugin::serve::ServeError> {
    tfplugin::run_plugin(Arc::new(Hello))
}
