//! DynamicValue in and out: every request value decoded with its schema's type (msgpack,
//! or JSON where Terraform sent it), every response value encoded as msgpack; malformed
//! input becomes a diagnostic, never a panic.

use crate::proto::tfplugin6 as pb;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::types::Type;
use crate::tf::value::{self, Value};

/// Decodes a request value; a missing value is Null.
pub(super) fn decode(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostic> {
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

/// Encodes a response value; a failure (a provider bug) is noted in `diagnostics`.
pub(super) fn encode_noted(
    value: &Value,
    ty: &Type,
    what: &str,
    diagnostics: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    encode(value, ty, what)
        .map_err(|d| diagnostics.push(d))
        .ok()
}

pub(super) fn encode(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
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
