//! The service's side of managed resources: UpgradeResourceState, ReadResource,
//! PlanResourceChange and ApplyResourceChange, decoded with the resource's schema,
//! dispatched to its [`Resource`](crate::tf::provider::Resource), and encoded with the
//! identity derived from the state sent back.

use super::identity::{Unknowns, identity_data};
use super::{ProviderService, decode, encode};
use crate::proto::tfplugin6 as pb;
use crate::tf::diagnostics::{Diagnostic, Diagnostics, path_to_proto};
use crate::tf::provider::{ApplyRequest, PlanRequest, ReadRequest, RequestContext};
use crate::tf::value;

impl ProviderService {
    /// ReadResource: the refreshed state and identity, or the current ones with the
    /// diagnostics.
    pub(super) async fn read_state(
        &self,
        ctx: &RequestContext,
        req: pb::read_resource::Request,
    ) -> (pb::read_resource::Response, Diagnostics) {
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
                                ctx,
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
    }

    /// UpgradeResourceState: the stored state, read as JSON, brought to the current
    /// schema by the resource.
    pub(super) fn upgrade_state(
        &self,
        req: pb::upgrade_resource_state::Request,
    ) -> (pb::upgrade_resource_state::Response, Diagnostics) {
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
    }

    /// PlanResourceChange: the resource's answer with its identity, or the diagnostics.
    pub(super) async fn plan_change(
        &self,
        ctx: &RequestContext,
        req: pb::plan_resource_change::Request,
    ) -> (pb::plan_resource_change::Response, Diagnostics) {
        let mut response = pb::plan_resource_change::Response::default();
        let diagnostics = match self.plan(ctx, req).await {
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
    }

    /// ApplyResourceChange: the resource's answer with its identity, or the diagnostics.
    pub(super) async fn apply_change(
        &self,
        ctx: &RequestContext,
        req: pb::apply_resource_change::Request,
    ) -> (pb::apply_resource_change::Response, Diagnostics) {
        let mut response = pb::apply_resource_change::Response::default();
        let diagnostics = match self.apply(ctx, req).await {
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
    }

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
