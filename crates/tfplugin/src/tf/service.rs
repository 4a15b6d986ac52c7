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

mod codec;
mod data_source;
mod identity;
mod list;
mod resources;
mod spans;
mod stop;

/// The action RPCs (Terraform 1.14+): their bodies, the schemas and names listed.
mod actions;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as ProviderRpc;
use crate::session::Session;
use crate::tf::data_source::DataSource;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::list::ListResource;
use crate::tf::provider::{Provider, RequestContext, Resource};
use actions::Actions;
use codec::{decode, encode, encode_noted};
use spans::{RequestIds, traced};
use stop::ConnectionStop;
pub use stop::StopScope;

/// The largest message accepted or sent, as Terraform's own SDKs allow.
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// Serves one [`Provider`] over the plugin protocol.
pub struct ProviderService {
    provider: Arc<dyn Provider>,
    resources: HashMap<&'static str, Arc<dyn Resource>>,
    actions: Actions,
    list_resources: HashMap<&'static str, Arc<dyn ListResource>>,
    data_sources: HashMap<&'static str, Arc<dyn DataSource>>,
    /// Built on the first GetProviderSchema, not at start: Terraform caches schemas
    /// (`get_provider_schema_optional`), so most plugin processes never ask, and the
    /// handshake is not kept waiting for it.
    schema_response: OnceLock<pb::get_provider_schema::Response>,
    /// Cancels all work, current and future: the server is shutting down.
    shutdown: CancellationToken,
    /// Cancels the current work; StopProvider fires it and puts a fresh one in place.
    stop: Mutex<CancellationToken>,
    /// Whose work StopProvider cancels.
    stop_scope: StopScope,
    request_ids: RequestIds,
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
        let shutdown = CancellationToken::new();
        Self {
            provider,
            resources,
            actions,
            list_resources,
            data_sources,
            schema_response: OnceLock::new(),
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

    /// Every schema this provider serves, built once.
    fn schema_response(&self) -> &pb::get_provider_schema::Response {
        self.schema_response
            .get_or_init(|| pb::get_provider_schema::Response {
                provider: Some(self.provider.schema().to_proto()),
                resource_schemas: self
                    .resources
                    .iter()
                    .map(|(name, r)| (name.to_string(), r.schema().to_proto()))
                    .collect(),
                data_source_schemas: self
                    .data_sources
                    .iter()
                    .map(|(name, d)| (name.to_string(), d.schema().to_proto()))
                    .collect(),
                list_resource_schemas: self
                    .list_resources
                    .iter()
                    .map(|(name, l)| (name.to_string(), l.schema().to_proto()))
                    .collect(),
                action_schemas: self.actions.schemas(),
                diagnostics: Vec::new(),
                provider_meta: None,
                server_capabilities: Some(capabilities()),
            })
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
            (self.schema_response().clone(), Diagnostics::new())
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
            }
            .away_from_secrets(self.provider.schema());
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
        let response = traced(span, async { self.upgrade_state(req) }).await;
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
            }
            .away_from_secrets(self.provider.schema());
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
        let response = traced(span, self.read_state(&ctx, req)).await;
        Ok(Response::new(response))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("PlanResourceChange", &req.type_name);
        let response = traced(span, self.plan_change(&ctx, req)).await;
        Ok(Response::new(response))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("ApplyResourceChange", &req.type_name);
        let response = traced(span, self.apply_change(&ctx, req)).await;
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
