//! The service's side of resource identity: GetResourceIdentitySchemas,
//! UpgradeResourceIdentity, ImportResourceState (by ID or by identity), and the identity
//! that goes with every state Read, Plan, Apply and Import return.
//!
//! Terraform (1.12+) checks what it gets: an identity from Read, Apply, Import and from a
//! Plan that neither creates nor replaces must be wholly known. The identity is derived
//! from the state the resource returns, so it is as known as that state; a plan with
//! errors carries none.

use std::collections::HashMap;

use super::{ProviderService, decode, encode, encode_noted};
use crate::proto::tfplugin6 as pb;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::provider::{ImportResponse, RequestContext, Resource};
use crate::tf::types::Type;
use crate::tf::value::{self, Value};

impl ProviderService {
    /// The identity schemas of every resource type that has one.
    pub(super) fn identity_schemas(&self) -> pb::get_resource_identity_schemas::Response {
        let identity_schemas: HashMap<String, pb::ResourceIdentitySchema> = self
            .resources
            .iter()
            .filter_map(|(name, resource)| {
                let schema = resource.identity_schema()?;
                Some((name.to_string(), schema.to_proto()))
            })
            .collect();
        pb::get_resource_identity_schemas::Response {
            identity_schemas,
            diagnostics: Vec::new(),
        }
    }

    /// UpgradeResourceIdentity: the stored JSON decoded with the current identity type,
    /// brought to the current version by the resource.
    pub(super) fn upgrade_identity(
        &self,
        req: pb::upgrade_resource_identity::Request,
    ) -> Result<pb::ResourceIdentityData, Diagnostics> {
        let resource = self.resource(&req.type_name)?;
        let schema = resource
            .identity_schema()
            .ok_or_else(|| no_identity(&req.type_name))?;
        if req.version > schema.version {
            return Err(Diagnostic::error(
                "Identity from a newer provider",
                format!(
                    "This {} identity was stored at version {}; this provider knows version \
                     {}. Use a newer provider.",
                    req.type_name, req.version, schema.version
                ),
            )
            .into());
        }
        let ty = schema.value_type();
        let raw = req.raw_identity.unwrap_or_default();
        let stored = value::decode_json(&raw.json, ty).map_err(|err| {
            Diagnostics::from(
                Diagnostic::error(
                    "Malformed stored identity",
                    format!("The stored identity could not be read: {err}."),
                )
                .at(err.path.clone()),
            )
        })?;
        let upgraded = resource.upgrade_identity(req.version, stored)?;
        if !upgraded.is_wholly_known() {
            return Err(invalid_identity("an upgraded identity has unknown values").into());
        }
        Ok(pb::ResourceIdentityData {
            identity_data: Some(encode(&upgraded, ty, "upgraded identity")?),
        })
    }

    /// ImportResourceState: by identity when the request carries one (an empty ID), by
    /// ID otherwise; the imported state goes with its identity.
    pub(super) async fn import(
        &self,
        ctx: &RequestContext,
        req: pb::import_resource_state::Request,
    ) -> (pb::import_resource_state::Response, Diagnostics) {
        let mut response = pb::import_resource_state::Response::default();
        let resource = match self.resource(&req.type_name) {
            Ok(resource) => resource,
            Err(d) => return (response, d.into()),
        };
        let given = req.identity.as_ref().and_then(|i| i.identity_data.as_ref());
        let imported = match (given, resource.identity_schema()) {
            (Some(data), Some(schema)) => {
                match decode(Some(data), schema.value_type(), "identity") {
                    Ok(identity) => resource.import_by_identity(ctx, &identity).await,
                    Err(d) => ImportResponse {
                        state: None,
                        diagnostics: d.into(),
                    },
                }
            }
            (Some(_), None) => ImportResponse {
                state: None,
                diagnostics: no_identity(&req.type_name).into(),
            },
            (None, _) => resource.import(ctx, &req.id).await,
        };
        let mut diagnostics = imported.diagnostics;
        if let Some(state) = imported.state {
            match encode(&state, resource.schema().value_type(), "imported state") {
                Ok(dv) => {
                    let identity = identity_data(
                        resource.as_ref(),
                        &state,
                        Unknowns::Refused,
                        &mut diagnostics,
                    );
                    response
                        .imported_resources
                        .push(pb::import_resource_state::ImportedResource {
                            type_name: req.type_name.clone(),
                            state: Some(dv),
                            private: Vec::new(),
                            identity,
                        });
                }
                Err(d) => diagnostics.push(d),
            }
        }
        response.diagnostics = diagnostics.to_proto();
        (response, diagnostics)
    }
}

/// Whether an identity may hold unknown values: only a plan that creates or replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unknowns {
    Allowed,
    Refused,
}

/// The identity of `state` for the protocol, when the resource has identity. An identity
/// that does not fit the schema, or has unknown values where Terraform refuses them (a
/// provider bug), becomes an error diagnostic.
pub(super) fn identity_data(
    resource: &dyn Resource,
    state: &Value,
    unknowns: Unknowns,
    diagnostics: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let schema = resource.identity_schema()?;
    if state.is_null() {
        return None;
    }
    let identity = resource.identity_of(state)?;
    if unknowns == Unknowns::Refused && !identity.is_wholly_known() {
        diagnostics.push(invalid_identity("the identity has unknown values"));
        return None;
    }
    encode_identity(&identity, schema.value_type(), diagnostics)
}

/// An identity as the protocol carries it; a failure to encode is noted.
pub(super) fn encode_identity(
    identity: &Value,
    ty: &Type,
    diagnostics: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    encode_noted(identity, ty, "identity", diagnostics).map(|dv| pb::ResourceIdentityData {
        identity_data: Some(dv),
    })
}

fn no_identity(type_name: &str) -> Diagnostic {
    Diagnostic::error(
        "No resource identity",
        format!("{type_name:?} has no resource identity in this provider."),
    )
}

fn invalid_identity(why: &str) -> Diagnostic {
    Diagnostic::error(
        "Provider produced an invalid identity",
        format!("This is a bug in the provider: {why}."),
    )
}
