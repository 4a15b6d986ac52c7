//! The interface between the protocol layer and a concrete provider.
//!
//! The gRPC service decodes every request against the schemas these traits expose and
//! hands the provider plain [`Value`]s; it encodes what comes back. Implementations
//! never see protobuf or msgpack, and this layer never sees what the provider manages.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::session::Session;
use crate::tf::action::Action;
use crate::tf::data_source::DataSource;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::identity::IdentitySchema;
use crate::tf::list::ListResource;
use crate::tf::path::AttrPath;
use crate::tf::schema::Schema;
use crate::tf::value::Value;

/// Per-request context.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// Cancelled when the client calls StopProvider or the server shuts down.
    pub cancel: CancellationToken,
    /// The connection the request came on, when the server tracks connections.
    pub session: Option<Session>,
}

/// PlanResourceChange input. `prior` is Null on create, `proposed` is Null on destroy.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub prior: Value,
    pub proposed: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct PlanResponse {
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// ApplyResourceChange input. `prior` is Null on create, `planned` is Null on destroy.
#[derive(Debug, Clone)]
pub struct ApplyRequest {
    pub prior: Value,
    pub planned: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

/// ApplyResourceChange output. When the remote change happened but something after it
/// failed, `new_state` still carries what was done and `diagnostics` the error.
#[derive(Debug, Clone)]
pub struct ApplyResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone)]
pub struct ReadRequest {
    pub current: Value,
    pub private: Vec<u8>,
}

/// ReadResource output; a Null `new_state` removes the resource from state.
#[derive(Debug, Clone)]
pub struct ReadResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone, Default)]
pub struct ImportResponse {
    pub state: Option<Value>,
    pub diagnostics: Diagnostics,
}

/// A managed resource type.
#[tonic::async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    /// Static checks of a configuration; values may be unknown. None by default.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn plan(&self, ctx: &RequestContext, req: PlanRequest) -> PlanResponse;
    async fn apply(&self, ctx: &RequestContext, req: ApplyRequest) -> ApplyResponse;
    /// Refreshes the state; by default it stays what it was (nothing remote to read).
    async fn read(&self, _ctx: &RequestContext, req: ReadRequest) -> ReadResponse {
        ReadResponse {
            new_state: req.current,
            private: req.private,
            diagnostics: Diagnostics::new(),
        }
    }
    /// `terraform import`; by default the type cannot be imported.
    async fn import(&self, _ctx: &RequestContext, _id: &str) -> ImportResponse {
        ImportResponse {
            state: None,
            diagnostics: Diagnostic::error(
                "Import not supported",
                format!("{} cannot be imported.", self.type_name()),
            )
            .into(),
        }
    }
    /// Brings state stored at `version` (already decoded with the current schema's
    /// type) to the current version. By default only the current version is known.
    fn upgrade(&self, version: i64, state: Value) -> Result<Value, Diagnostics> {
        let current = self.schema().version;
        if version == current {
            return Ok(state);
        }
        Err(Diagnostic::error(
            "Unsupported state version",
            format!(
                "The state of this {} was stored at version {version}; this provider \
                 knows version {current}.",
                self.type_name()
            ),
        )
        .into())
    }

    /// The identity schema (Terraform 1.12+, OpenTofu 1.12+), if the type has one. With
    /// one, the service sends [`identity_of`](Self::identity_of) the state after every
    /// read, plan, apply and import.
    fn identity_schema(&self) -> Option<&IdentitySchema> {
        None
    }

    /// The identity of the object `state` describes (values may be unknown in a plan);
    /// None for a null state or one without identity.
    fn identity_of(&self, _state: &Value) -> Option<Value> {
        None
    }

    /// `import { identity = {...} }`: the state of the object `identity` names.
    async fn import_by_identity(&self, _ctx: &RequestContext, _identity: &Value) -> ImportResponse {
        ImportResponse {
            state: None,
            diagnostics: Diagnostic::error(
                "Import by identity not supported",
                format!("{} is imported by ID only.", self.type_name()),
            )
            .into(),
        }
    }

    /// Brings an identity stored at `version` (decoded with the current identity type)
    /// to the current version. By default only the current version is understood.
    fn upgrade_identity(&self, version: i64, identity: Value) -> Result<Value, Diagnostics> {
        let current = self.identity_schema().map_or(0, |schema| schema.version);
        if version == current {
            return Ok(identity);
        }
        Err(Diagnostic::error(
            "Unsupported identity version",
            format!(
                "The identity of this {} was stored at version {version}; this provider \
                 knows version {current}.",
                self.type_name()
            ),
        )
        .into())
    }
}

/// A provider: its configuration block and the resource types it serves.
#[tonic::async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider block; an empty one by default.
    fn schema(&self) -> &Schema {
        static EMPTY: std::sync::LazyLock<Schema> =
            std::sync::LazyLock::new(|| Schema::new(0, crate::tf::schema::Block::default()));
        &EMPTY
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>>;
    /// The action types it offers (Terraform 1.14+); none unless it says so.
    fn actions(&self) -> Vec<Arc<dyn Action>> {
        Vec::new()
    }
    /// List resource types (`terraform query`); none by default.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }
    /// Data source types; none by default.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
    /// Static checks of the provider block; none by default.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// Takes the provider block's values; nothing to configure by default.
    async fn configure(&self, _ctx: &RequestContext, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
}
