//! The service's side of list resources (`terraform query`): ValidateListResourceConfig,
//! and ListResource's stream of events.
//!
//! The service holds the line Terraform draws: every result carries an identity in the
//! managed resource's identity schema, a resource object only when one was asked for,
//! at most `limit` results are sent, and nothing follows an event with an error. The
//! list resource's own stream is polled only as the client reads and is dropped as soon
//! as the list is over, so reads it has not started yet never happen.
//!
//! Terraform evaluates a `list` block with the list resource's schema nested as its
//! `config` block and resolves diagnostic paths against the whole `list` block, so paths
//! about the configuration are sent as `config.<attribute>`.

use futures_util::StreamExt as _;
use tracing::Instrument as _;

use super::identity::encode_identity;
use super::{EventStream, ProviderService, decode, encode_noted, not_offered};
use crate::proto::tfplugin6 as pb;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::identity::IdentitySchema;
use crate::tf::list::{ListEvent, ListRequest, ListResource, ListStream};
use crate::tf::path::PathStep;
use crate::tf::provider::RequestContext;
use crate::tf::types::Type;
use crate::tf::value::Value;

impl ProviderService {
    fn list_resource(&self, type_name: &str) -> Result<&dyn ListResource, Diagnostic> {
        self.list_resources
            .get(type_name)
            .map(|l| l.as_ref())
            .ok_or_else(|| not_offered("list resource", type_name))
    }

    /// ValidateListResourceConfig: the `config` block, and a limit that is not negative.
    pub(super) fn validate_list(
        &self,
        req: &pb::validate_list_resource_config::Request,
    ) -> Diagnostics {
        let list = match self.list_resource(&req.type_name) {
            Ok(list) => list,
            Err(d) => return d.into(),
        };
        let mut diagnostics = match decode(
            req.config.as_ref(),
            list.schema().value_type(),
            "list configuration",
        ) {
            Ok(config) => list.validate(&config),
            Err(d) => d.into(),
        };
        for d in &mut diagnostics.0 {
            in_config_block(d);
        }
        match decode(req.limit.as_ref(), &Type::Number, "limit") {
            Ok(Value::Number(n)) if n.as_f64().is_some_and(|n| n < 0.0) => {
                diagnostics.push(Diagnostic::error(
                    "Invalid limit",
                    "The limit of a list must not be negative.",
                ));
            }
            Ok(_) => {}
            Err(d) => diagnostics.push(d),
        }
        diagnostics
    }

    /// ListResource: the list resource's results, encoded, within the limit. A request
    /// that cannot be served is one event with an error diagnostic.
    pub(super) fn list(
        &self,
        ctx: RequestContext,
        req: pb::list_resource::Request,
        span: tracing::Span,
    ) -> EventStream<pb::list_resource::Event> {
        let started = span.in_scope(|| {
            tracing::debug!("Received request");
            self.start_list(ctx, req)
        });
        match started {
            Ok(lister) => lister.into_stream(span),
            Err(diagnostic) => {
                span.in_scope(
                    || tracing::warn!(diagnostic_summary = %diagnostic.summary, "List not started"),
                );
                let event = Encoder::failure(diagnostic.into());
                Box::pin(futures_util::stream::iter([Ok(event)]))
            }
        }
    }

    fn start_list(
        &self,
        ctx: RequestContext,
        req: pb::list_resource::Request,
    ) -> Result<Lister, Diagnostic> {
        let list = self.list_resource(&req.type_name)?;
        let resource = self.resource(&req.type_name).ok();
        let Some((resource_type, identity)) =
            resource.and_then(|r| Some((r.schema().value_type().clone(), r.identity_schema()?)))
        else {
            return Err(Diagnostic::error(
                "List resource without identity",
                format!(
                    "This is a bug in the provider: the list resource {:?} has no managed \
                     resource with an identity schema.",
                    req.type_name
                ),
            ));
        };
        let config = decode(
            req.config.as_ref(),
            list.schema().value_type(),
            "list configuration",
        )?;
        let limit = u64::try_from(req.limit).unwrap_or(0);
        let events = list.list(
            ctx,
            ListRequest {
                config,
                include_resource_object: req.include_resource_object,
                limit,
            },
        );
        Ok(Lister {
            events,
            remaining: limit,
            ended: false,
            encoder: Encoder {
                identity: identity.clone(),
                resource_type,
                include_resource_object: req.include_resource_object,
            },
        })
    }
}

/// A list in progress: the list resource's stream and how much more may be sent.
struct Lister {
    events: ListStream,
    remaining: u64,
    ended: bool,
    encoder: Encoder,
}

impl Lister {
    fn into_stream(self, span: tracing::Span) -> EventStream<pb::list_resource::Event> {
        let events = futures_util::stream::unfold(self, move |mut lister| {
            let span = span.clone();
            async move {
                if lister.ended || lister.remaining == 0 {
                    tracing::debug!("Served request");
                    return None;
                }
                let Some(event) = lister.events.next().await else {
                    tracing::debug!("Served request");
                    return None;
                };
                if event.is_result() {
                    lister.remaining -= 1;
                }
                let (event, failed) = lister.encoder.encode(event);
                if failed {
                    lister.ended = true;
                }
                Some((Ok(event), lister))
            }
            .instrument(span)
        });
        Box::pin(events)
    }
}

/// Turns list events into protocol events.
struct Encoder {
    identity: IdentitySchema,
    resource_type: Type,
    include_resource_object: bool,
}

impl Encoder {
    /// The protocol event, and whether it ends the list (it carries an error).
    fn encode(&self, event: ListEvent) -> (pb::list_resource::Event, bool) {
        let mut diagnostics = event.diagnostics;
        let identity = event.identity.and_then(|identity| {
            if !identity.is_wholly_known() {
                diagnostics.push(Diagnostic::error(
                    "Provider produced an invalid identity",
                    "This is a bug in the provider: a listed identity has unknown values.",
                ));
                return None;
            }
            encode_identity(&identity, self.identity.value_type(), &mut diagnostics)
        });
        let resource_object = match event.resource_object {
            Some(object) if self.include_resource_object => encode_noted(
                &object,
                &self.resource_type,
                "resource object",
                &mut diagnostics,
            ),
            _ => None,
        };
        for d in &mut diagnostics.0 {
            in_config_block(d);
        }
        for d in diagnostics.iter().filter(|d| d.is_error()) {
            tracing::warn!(
                diagnostic_summary = %d.summary,
                diagnostic_detail = %d.detail,
                "Response contains error diagnostic"
            );
        }
        let failed = diagnostics.has_errors();
        let event = pb::list_resource::Event {
            identity,
            display_name: event.display_name,
            resource_object,
            diagnostic: diagnostics.to_proto(),
        };
        (event, failed)
    }

    fn failure(mut diagnostics: Diagnostics) -> pb::list_resource::Event {
        for d in &mut diagnostics.0 {
            in_config_block(d);
        }
        pb::list_resource::Event {
            diagnostic: diagnostics.to_proto(),
            ..Default::default()
        }
    }
}

/// The name of the block a `list` block holds its configuration in.
const CONFIG_BLOCK: &str = "config";

/// Points a diagnostic about the list's configuration into the `config` block of the
/// `list` block: Terraform resolves attribute paths against the whole `list` block.
fn in_config_block(diagnostic: &mut Diagnostic) {
    if let Some(path) = &mut diagnostic.path {
        path.0
            .insert(0, PathStep::Attribute(CONFIG_BLOCK.to_string()));
    }
}
