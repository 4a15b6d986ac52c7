//! The `tfplugin6.Provider` gRPC service.
//!
//! Every RPC takes the same path: decode DynamicValues with the schema's type, call the
//! [`Provider`]/[`Resource`] method on plain values, encode the result. Failures become
//! diagnostics; a gRPC error status is never returned for anything a user can cause.
//! Each RPC runs in a tracing span carrying `tf_rpc`, `tf_req_id` and, where one
//! applies, `tf_resource_type`, as Terraform's own SDKs log. StopProvider cancels the
//! process's work, or with [`StopScope::Connection`] (a shared server) only the calling
//! connection's.
//!
//! Resource identity, list resources and data sources live in the child modules
//! [`identity`], [`list`] and [`data_source`]; the RPCs here delegate to them.

mod data_source;
mod identity;
mod list;

/// The action RPCs (Terraform 1.14+): their bodies, the schemas and names listed.
mod actions;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as ProviderRpc;
use crate::session::Session;
use crate::tf::data_source::DataSource;
use crate::tf::diagnostics::{Diagnostic, Diagnostics, path_to_proto};
use crate::tf::list::ListResource;
use crate::tf::provider::{
    ApplyRequest, PlanRequest, Provider, ReadRequest, RequestContext, Resource,
};
use crate::tf::types::Type;
use crate::tf::value::{self, Value};
use actions::Actions;
use identity::{Unknowns, identity_data};

/// The largest message accepted or sent, as Terraform's own SDKs allow.
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// Serves one [`Provider`] over the plugin protocol.
pub struct ProviderService {
    provider: Arc<dyn Provider>,
    resources: HashMap<&'static str, Arc<dyn Resource>>,
    actions: Actions,
    list_resources: HashMap<&'static str, Arc<dyn ListResource>>,
    data_sources: HashMap<&'static str, Arc<dyn DataSource>>,
    schema_response: pb::get_provider_schema::Response,
    /// Cancels all work, current and future: the server is shutting down.
    shutdown: CancellationToken,
    /// Cancels the current work; StopProvider fires it and puts a fresh one in place.
    stop: Mutex<CancellationToken>,
    /// Whose work StopProvider cancels.
    stop_scope: StopScope,
    request_ids: RequestIds,
}

/// Whose work StopProvider cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StopScope {
    /// All work in the process: Terraform is the only client.
    #[default]
    Process,
    /// The calling connection's work only: a server shared by many clients, where one
    /// client's Ctrl-C must not cancel another's apply. Requests without a connection
    /// fall back to the process's token.
    Connection,
}

/// A connection's current stop token, kept in its [`Session`].
#[derive(Default)]
struct ConnectionStop(Mutex<Option<CancellationToken>>);

impl ConnectionStop {
    fn with<R>(&self, f: impl FnOnce(&mut Option<CancellationToken>) -> R) -> R {
        match self.0.lock() {
            Ok(mut token) => f(&mut token),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// The token this connection's work hangs off, made under `shutdown` on first use.
    fn current(&self, shutdown: &CancellationToken) -> CancellationToken {
        self.with(|token| token.get_or_insert_with(|| shutdown.child_token()).clone())
    }

    /// Puts a fresh token in place and returns the one to cancel.
    fn renew(&self, shutdown: &CancellationToken) -> Option<CancellationToken> {
        self.with(|token| token.replace(shutdown.child_token()))
    }
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        let resources: HashMap<_, _> = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), r))
            .collect();
        let actions = Actions::new(provider.actions());
        let list_resources: HashMap<_, _> = provider
            .list_resources()
            .into_iter()
            .map(|l| (l.type_name(), l))
            .collect();
        let data_sources: HashMap<_, _> = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), d))
            .collect();
        let schema_response = pb::get_provider_schema::Response {
            provider: Some(provider.schema().to_proto()),
            resource_schemas: resources
                .iter()
                .map(|(name, r)| (name.to_string(), r.schema().to_proto()))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(name, d)| (name.to_string(), d.schema().to_proto()))
                .collect(),
            list_resource_schemas: list_resources
                .iter()
                .map(|(name, l)| (name.to_string(), l.schema().to_proto()))
                .collect(),
            action_schemas: actions.schemas(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(capabilities()),
        };
        let shutdown = CancellationToken::new();
        Self {
            provider,
            resources,
            actions,
            list_resources,
            data_sources,
            schema_response,
            stop: Mutex::new(shutdown.child_token()),
            shutdown,
            stop_scope: StopScope::Process,
            request_ids: RequestIds::new(),
        }
    }

    /// Ties all work to `shutdown`: when it fires, every running and later request's
    /// context is cancelled, as StopProvider cancels the running ones. The server
    /// fires it before it stops, so applies return their state (with job IDs) first.
    pub fn cancelled_by(mut self, shutdown: CancellationToken) -> Self {
        self.stop = Mutex::new(shutdown.child_token());
        self.shutdown = shutdown;
        self
    }

    /// Whose work StopProvider cancels (the process's unless told).
    pub fn stop_scope(mut self, scope: StopScope) -> Self {
        self.stop_scope = scope;
        self
    }

    /// The tonic server for this service, with Terraform's message size limits.
    pub fn into_server(self) -> pb::provider_server::ProviderServer<Self> {
        pb::provider_server::ProviderServer::new(self)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE)
    }

    /// The context of `request`: cancellation, and the connection it came on.
    fn context<T>(&self, request: &Request<T>) -> RequestContext {
        let session = request.extensions().get::<Session>().cloned();
        let cancel = match (self.stop_scope, &session) {
            (StopScope::Connection, Some(session)) => session
                .value::<ConnectionStop>()
                .current(&self.shutdown)
                .child_token(),
            _ => match self.stop.lock() {
                Ok(token) => token.child_token(),
                Err(poisoned) => poisoned.into_inner().child_token(),
            },
        };
        RequestContext { cancel, session }
    }

    fn resource(&self, type_name: &str) -> Result<&Arc<dyn Resource>, Diagnostic> {
        self.resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!("This provider does not serve a resource type named {type_name:?}."),
            )
        })
    }

    fn span(&self, rpc: &'static str, resource_type: &str) -> tracing::Span {
        tracing::info_span!(
            "rpc",
            tf_rpc = rpc,
            tf_req_id = %self.request_ids.next(),
            tf_resource_type = (!resource_type.is_empty()).then_some(resource_type),
        )
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

/// Request ids unique within the process: a random prefix and a counter, so log lines
/// from two provider processes never share one.
struct RequestIds {
    prefix: String,
    counter: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        Self {
            prefix,
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n:06}", self.prefix)
    }
}

/// Decodes a request value; a missing value is Null.
fn decode(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let Some(dv) = dv else {
        return Ok(Value::Null);
    };
    let result = if !dv.msgpack.is_empty() {
        value::decode_msgpack(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        value::decode_json(&dv.json, ty)
    } else {
        return Ok(Value::Null);
    };
    result.map_err(|err| {
        Diagnostic::error(
            format!("Malformed {what}"),
            format!("The provider could not decode the {what} it received: {err}."),
        )
        .at(err.path.clone())
    })
}

fn encode(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
    value::encode_msgpack(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|err| {
            Diagnostic::error(
                format!("Provider produced an invalid {what}"),
                format!("This is a bug in the provider: {err}."),
            )
        })
}

fn log_outcome(diagnostics: &Diagnostics) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.0.len() - errors;
    tracing::debug!(
        diagnostic_error_count = errors,
        diagnostic_warning_count = warnings,
        "Served request"
    );
    for d in diagnostics.iter() {
        if d.is_error() {
            tracing::warn!(
                diagnostic_summary = %d.summary,
                diagnostic_detail = %d.detail,
                "Response contains error diagnostic"
            );
        }
    }
}

/// Runs `body` inside the RPC's span with the usual request/response log lines.
async fn traced<T>(span: tracing::Span, body: impl Future<Output = (T, Diagnostics)>) -> T {
    async move {
        tracing::debug!("Received request");
        let (out, diagnostics) = body.await;
        log_outcome(&diagnostics);
        out
    }
    .instrument(span)
    .await
}

#[tonic::async_trait]
impl ProviderRpc for ProviderService {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let span = self.span("GetMetadata", "");
        let resources = self
            .resources
            .keys()
            .map(|name| pb::get_metadata::ResourceMetadata {
                type_name: name.to_string(),
            })
            .collect();
        let data_sources = self
            .data_sources
            .keys()
            .map(|name| pb::get_metadata::DataSourceMetadata {
                type_name: name.to_string(),
            })
            .collect();
        let list_resources = self
            .list_resources
            .keys()
            .map(|name| pb::get_metadata::ListResourceMetadata {
                type_name: name.to_string(),
            })
            .collect();
        let response = traced(span, async {
            let response = pb::get_metadata::Response {
                server_capabilities: Some(capabilities()),
                diagnostics: Vec::new(),
                data_sources,
                resources,
                list_resources,
                actions: self.actions.metadata(),
            };
            (response, Diagnostics::new())
        })
        .await;
        Ok(Response::new(response))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let span = self.span("GetProviderSchema", "");
        let response = traced(span, async {
            (self.schema_response.clone(), Diagnostics::new())
        })
        .await;
        Ok(Response::new(response))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ValidateProviderConfig", "");
        let diagnostics = traced(span, async {
            let ty = self.provider.schema().value_type();
            let diagnostics = match decode(req.config.as_ref(), ty, "provider configuration") {
                Ok(config) => self.provider.validate(&config),
                Err(d) => d.into(),
            };
            (diagnostics.clone(), diagnostics)
        })
        .await;
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ValidateResourceConfig", &req.type_name);
        let diagnostics = traced(span, async {
            let diagnostics = match self.resource(&req.type_name) {
                Ok(resource) => {
                    let ty = resource.schema().value_type();
                    match decode(req.config.as_ref(), ty, "resource configuration") {
                        Ok(config) => resource.validate(&config),
                        Err(d) => d.into(),
                    }
                }
                Err(d) => d.into(),
            };
            (diagnostics.clone(), diagnostics)
        })
        .await;
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ValidateDataResourceConfig", &req.type_name);
        let diagnostics = traced(span, async {
            let diagnostics = self.validate_data(&req);
            (diagnostics.clone(), diagnostics)
        })
        .await;
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("UpgradeResourceState", &req.type_name);
        let response = traced(span, async {
            let mut response = pb::upgrade_resource_state::Response::default();
            let result = self
                .resource(&req.type_name)
                .map_err(Diagnostics::from)
                .and_then(|resource| {
                    let ty = resource.schema().value_type();
                    let raw = req.raw_state.unwrap_or_default();
                    if raw.json.is_empty() && !raw.flatmap.is_empty() {
                        return Err(Diagnostic::error(
                            "Unsupported state format",
                            "The stored state uses the legacy flatmap format, which this provider \
                             never wrote.",
                        )
                        .into());
                    }
                    let state = value::decode_json(&raw.json, ty).map_err(|err| {
                        Diagnostics::from(
                            Diagnostic::error(
                                "Malformed stored state",
                                format!("The stored state could not be read: {err}."),
                            )
                            .at(err.path.clone()),
                        )
                    })?;
                    let upgraded = resource.upgrade(req.version, state)?;
                    encode(&upgraded, ty, "upgraded state").map_err(Diagnostics::from)
                });
            let diagnostics = match result {
                Ok(dv) => {
                    response.upgraded_state = Some(dv);
                    Diagnostics::new()
                }
                Err(diagnostics) => diagnostics,
            };
            response.diagnostics = diagnostics.to_proto();
            (response, diagnostics)
        })
        .await;
        Ok(Response::new(response))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("ConfigureProvider", "");
        let diagnostics = traced(span, async {
            let ty = self.provider.schema().value_type();
            let diagnostics = match decode(req.config.as_ref(), ty, "provider configuration") {
                Ok(config) => self.provider.configure(&ctx, &config).await,
                Err(d) => d.into(),
            };
            (diagnostics.clone(), diagnostics)
        })
        .await;
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("ReadResource", &req.type_name);
        let response = traced(span, async {
            let mut response = pb::read_resource::Response {
                new_state: req.current_state.clone(),
                private: req.private.clone(),
                new_identity: req.current_identity.clone(),
                ..Default::default()
            };
            let diagnostics = match self.resource(&req.type_name) {
                Ok(resource) => {
                    let ty = resource.schema().value_type();
                    match decode(req.current_state.as_ref(), ty, "current state") {
                        Ok(current) => {
                            let read = resource
                                .read(
                                    &ctx,
                                    ReadRequest {
                                        current,
                                        private: req.private,
                                    },
                                )
                                .await;
                            let mut diagnostics = read.diagnostics;
                            match encode(&read.new_state, ty, "state") {
                                Ok(dv) => {
                                    response.new_state = Some(dv);
                                    response.private = read.private;
                                    response.new_identity = identity_data(
                                        resource.as_ref(),
                                        &read.new_state,
                                        Unknowns::Refused,
                                        &mut diagnostics,
                                    );
                                }
                                Err(d) => diagnostics.push(d),
                            }
                            diagnostics
                        }
                        Err(d) => d.into(),
                    }
                }
                Err(d) => d.into(),
            };
            response.diagnostics = diagnostics.to_proto();
            (response, diagnostics)
        })
        .await;
        Ok(Response::new(response))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("PlanResourceChange", &req.type_name);
        let response = traced(span, async {
            let mut response = pb::plan_resource_change::Response::default();
            let diagnostics = match self.plan(&ctx, req).await {
                Ok((planned, plan)) => {
                    response.planned_state = Some(planned.state);
                    response.planned_identity = planned.identity;
                    response.requires_replace =
                        plan.requires_replace.iter().map(path_to_proto).collect();
                    response.planned_private = plan.planned_private;
                    plan.diagnostics
                }
                Err(diagnostics) => diagnostics,
            };
            response.diagnostics = diagnostics.to_proto();
            (response, diagnostics)
        })
        .await;
        Ok(Response::new(response))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("ApplyResourceChange", &req.type_name);
        let response = traced(span, async {
            let mut response = pb::apply_resource_change::Response::default();
            let diagnostics = match self.apply(&ctx, req).await {
                Ok((new_state, apply)) => {
                    response.new_state = Some(new_state.state);
                    response.new_identity = new_state.identity;
                    response.private = apply.private;
                    apply.diagnostics
                }
                Err(diagnostics) => diagnostics,
            };
            response.diagnostics = diagnostics.to_proto();
            (response, diagnostics)
        })
        .await;
        Ok(Response::new(response))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("ImportResourceState", &req.type_name);
        let response = traced(span, self.import(&ctx, req)).await;
        Ok(Response::new(response))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("ReadDataSource", &req.type_name);
        let response = traced(span, self.read_data(&ctx, req)).await;
        Ok(Response::new(response))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        let span = self.span("GetResourceIdentitySchemas", "");
        let response = traced(span, async {
            (self.identity_schemas(), Diagnostics::new())
        })
        .await;
        Ok(Response::new(response))
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("UpgradeResourceIdentity", &req.type_name);
        let response = traced(span, async {
            let (upgraded_identity, diagnostics) = match self.upgrade_identity(req) {
                Ok(identity) => (Some(identity), Diagnostics::new()),
                Err(diagnostics) => (None, diagnostics),
            };
            let response = pb::upgrade_resource_identity::Response {
                upgraded_identity,
                diagnostics: diagnostics.to_proto(),
            };
            (response, diagnostics)
        })
        .await;
        Ok(Response::new(response))
    }

    type ListResourceStream = EventStream<pb::list_resource::Event>;

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("ListResource", &req.type_name);
        Ok(Response::new(self.list(ctx, req, span)))
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ValidateListResourceConfig", &req.type_name);
        let diagnostics = traced(span, async {
            let diagnostics = self.validate_list(&req);
            (diagnostics.clone(), diagnostics)
        })
        .await;
        Ok(Response::new(pb::validate_list_resource_config::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        Ok(Response::new(self.serve_plan_action(request).await))
    }

    type InvokeActionStream = EventStream<pb::invoke_action::Event>;

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<Self::InvokeActionStream>, Status> {
        Ok(Response::new(self.serve_invoke_action(request)))
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        Ok(Response::new(self.serve_validate_action(request).await))
    }

    async fn stop_provider(
        &self,
        request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        let span = self.span("StopProvider", "");
        let session = request.extensions().get::<Session>().cloned();
        traced(span, async {
            let previous = match (self.stop_scope, &session) {
                (StopScope::Connection, Some(session)) => {
                    session.value::<ConnectionStop>().renew(&self.shutdown)
                }
                _ => {
                    let fresh = self.shutdown.child_token();
                    Some(match self.stop.lock() {
                        Ok(mut token) => std::mem::replace(&mut *token, fresh),
                        Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), fresh),
                    })
                }
            };
            if let Some(previous) = previous {
                previous.cancel();
            }
            tracing::info!("Cancelled in-flight operations");
            ((), Diagnostics::new())
        })
        .await;
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

impl ProviderService {
    async fn plan(
        &self,
        ctx: &RequestContext,
        req: pb::plan_resource_change::Request,
    ) -> Result<(Encoded, crate::tf::provider::PlanResponse), Diagnostics> {
        let resource = self.resource(&req.type_name)?;
        let ty = resource.schema().value_type();
        let prior = decode(req.prior_state.as_ref(), ty, "prior state")?;
        let creates = prior.is_null();
        let proposed = decode(req.proposed_new_state.as_ref(), ty, "proposed new state")?;
        let config = decode(req.config.as_ref(), ty, "configuration")?;
        let mut plan = resource
            .plan(
                ctx,
                PlanRequest {
                    prior,
                    proposed,
                    config,
                    prior_private: req.prior_private,
                },
            )
            .await;
        let planned = encode(&plan.planned, ty, "planned state")?;
        // Only a create or a replacement may plan an identity with unknown values.
        let unknowns = if creates || !plan.requires_replace.is_empty() {
            Unknowns::Allowed
        } else {
            Unknowns::Refused
        };
        let identity = if plan.diagnostics.has_errors() {
            None
        } else {
            identity_data(
                resource.as_ref(),
                &plan.planned,
                unknowns,
                &mut plan.diagnostics,
            )
        };
        let planned = Encoded {
            state: planned,
            identity,
        };
        Ok((planned, plan))
    }

    async fn apply(
        &self,
        ctx: &RequestContext,
        req: pb::apply_resource_change::Request,
    ) -> Result<(Encoded, crate::tf::provider::ApplyResponse), Diagnostics> {
        let resource = self.resource(&req.type_name)?;
        let ty = resource.schema().value_type();
        let prior = decode(req.prior_state.as_ref(), ty, "prior state")?;
        let planned = decode(req.planned_state.as_ref(), ty, "planned state")?;
        let config = decode(req.config.as_ref(), ty, "configuration")?;
        let mut apply = resource
            .apply(
                ctx,
                ApplyRequest {
                    prior,
                    planned,
                    config,
                    planned_private: req.planned_private,
                },
            )
            .await;
        let state = encode(&apply.new_state, ty, "new state")?;
        let identity = identity_data(
            resource.as_ref(),
            &apply.new_state,
            Unknowns::Refused,
            &mut apply.diagnostics,
        );
        Ok((Encoded { state, identity }, apply))
    }
}

/// A state for the protocol with its identity (None when the resource has none).
struct Encoded {
    state: pb::DynamicValue,
    identity: Option<pb::ResourceIdentityData>,
}

/// A server-streaming RPC's answer.
type EventStream<T> =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The diagnostic for a feature this provider does not offer under that name.
fn not_offered(kind: &str, type_name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Unknown {kind}"),
        format!("This provider offers no {kind} named {type_name:?}."),
    )
}
