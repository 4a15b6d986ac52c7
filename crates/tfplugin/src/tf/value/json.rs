//! The JSON form of values: stored state handed to `UpgradeResourceState` (lenient, as
//! cty is: missing attributes are null, numbers may come as strings) and its encoding.

use std::collections::BTreeMap;

use super::ValueError;
use super::decimal::{float_to_i64, parse_decimal};
use super::model::{Number, Value};
use super::walk::{DYNAMIC_UNSUPPORTED, Walker, truncate, value_kind};
use crate::tf::path::{AttrPath, PathStep};
use crate::tf::types::Type;

/// Decodes JSON bytes (such as stored state) against `ty`.
///
/// Objects may lack attributes (they become null) or carry extra keys (ignored), and a
/// string holding a number is accepted where a number is expected (as is a number or a
/// bool where a string is expected, as cty does).
///
/// JSON numbers are read through `serde_json`'s standard number support: integers beyond
/// `u64` are read as `f64` (losing digits) and numbers beyond `f64`'s range are rejected.
/// Numbers given as JSON strings keep every digit.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let raw: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ValueError::new(AttrPath::root(), format!("invalid JSON: {e}")))?;
    Walker::default().read_json(raw, ty)
}

/// Encodes `value` as JSON shaped like `ty`. Unknown values cannot be represented and
/// are an error.
///
/// Decimal numbers other than `i64` integers are written as JSON strings, keeping every
/// digit; Terraform (and [`decode_json`]) accept strings in number positions.
pub fn encode_json(value: &Value, ty: &Type) -> Result<serde_json::Value, ValueError> {
    Walker::default().write_json(value, ty)
}

/// The kind of a raw JSON value, for error messages.
fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

impl Walker {
    fn read_json(&mut self, raw: serde_json::Value, ty: &Type) -> Result<Value, ValueError> {
        use serde_json::Value as J;
        if raw.is_null() {
            return Ok(Value::Null);
        }
        match (ty, raw) {
            (Type::Dynamic, _) => Err(self.err(DYNAMIC_UNSUPPORTED)),
            (Type::String, J::String(s)) => Ok(Value::String(s)),
            // cty's JSON decoder converts primitives to strings the same way.
            (Type::String, J::Number(n)) => Ok(Value::String(n.to_string())),
            (Type::String, J::Bool(b)) => Ok(Value::String(b.to_string())),
            (Type::Bool, J::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Bool, J::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (Type::Number, J::Number(n)) => {
                if let Some(i) = n.as_i64() {
                    Ok(Value::Number(Number::Int(i)))
                } else if n.is_u64() {
                    Ok(Value::Number(Number::Decimal(n.to_string())))
                } else {
                    match n.as_f64() {
                        Some(f) => self.float(f),
                        None => self.number_text(n.to_string()),
                    }
                }
            }
            (Type::Number, J::String(s)) => self.number_text(s),
            (Type::List(elem), J::Array(items)) => {
                Ok(Value::List(self.json_elements(items, elem)?))
            }
            (Type::Set(elem), J::Array(items)) => Ok(Value::Set(self.json_elements(items, elem)?)),
            (Type::Tuple(elems), J::Array(items)) => {
                self.tuple_len(elems.len(), items.len())?;
                let mut out = Vec::with_capacity(items.len());
                for (i, (item, ty)) in items.into_iter().zip(elems).enumerate() {
                    out.push(self.descend(Self::index_step(i), |w| w.read_json(item, ty))?);
                }
                Ok(Value::Tuple(out))
            }
            (Type::Map(elem), J::Object(entries)) => {
                let mut out = BTreeMap::new();
                for (key, item) in entries {
                    let v =
                        self.descend(PathStep::Key(key.clone()), |w| w.read_json(item, elem))?;
                    out.insert(key, v);
                }
                Ok(Value::Map(out))
            }
            (Type::Object(attrs), J::Object(mut entries)) => {
                let mut out = BTreeMap::new();
                for (name, attr_ty) in attrs {
                    let v = match entries.remove(name) {
                        Some(item) => self.descend(PathStep::Attribute(name.clone()), |w| {
                            w.read_json(item, attr_ty)
                        })?,
                        None => Value::Null,
                    };
                    out.insert(name.clone(), v);
                }
                Ok(Value::Object(out))
            }
            (ty, raw) => Err(self.err(format!("expected {ty}, got JSON {}", json_kind(&raw)))),
        }
    }

    fn json_elements(
        &mut self,
        items: Vec<serde_json::Value>,
        elem: &Type,
    ) -> Result<Vec<Value>, ValueError> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            out.push(self.descend(Self::index_step(i), |w| w.read_json(item, elem))?);
        }
        Ok(out)
    }

    fn write_json(&mut self, value: &Value, ty: &Type) -> Result<serde_json::Value, ValueError> {
        use serde_json::Value as J;
        match value {
            Value::Null => return Ok(J::Null),
            Value::Unknown => return Err(self.err("unknown values cannot be encoded as JSON")),
            _ => {}
        }
        match (ty, value) {
            (Type::Dynamic, _) => Err(self.err(DYNAMIC_UNSUPPORTED)),
            (Type::String, Value::String(s)) => Ok(J::String(s.clone())),
            (Type::Bool, Value::Bool(b)) => Ok(J::Bool(*b)),
            (Type::Number, Value::Number(n)) => self.json_number(n),
            (Type::List(elem), Value::List(items)) | (Type::Set(elem), Value::Set(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.descend(Self::index_step(i), |w| w.write_json(item, elem))?);
                }
                Ok(J::Array(out))
            }
            (Type::Tuple(elems), Value::Tuple(items)) => {
                self.tuple_len(elems.len(), items.len())?;
                let mut out = Vec::with_capacity(items.len());
                for (i, (item, ty)) in items.iter().zip(elems).enumerate() {
                    out.push(self.descend(Self::index_step(i), |w| w.write_json(item, ty))?);
                }
                Ok(J::Array(out))
            }
            (Type::Map(elem), Value::Map(entries)) => {
                let mut out = serde_json::Map::new();
                for (key, item) in entries {
                    let v =
                        self.descend(PathStep::Key(key.clone()), |w| w.write_json(item, elem))?;
                    out.insert(key.clone(), v);
                }
                Ok(J::Object(out))
            }
            (Type::Object(attrs), Value::Object(values)) => {
                self.check_extra_attributes(attrs, values)?;
                let mut out = serde_json::Map::new();
                for (name, attr_ty) in attrs {
                    let item = values.get(name).unwrap_or(&Value::Null);
                    let v = self.descend(PathStep::Attribute(name.clone()), |w| {
                        w.write_json(item, attr_ty)
                    })?;
                    out.insert(name.clone(), v);
                }
                Ok(J::Object(out))
            }
            (ty, value) => Err(self.err(format!("expected {ty}, got {}", value_kind(value)))),
        }
    }

    fn json_number(&self, n: &Number) -> Result<serde_json::Value, ValueError> {
        match n {
            Number::Int(i) => Ok((*i).into()),
            Number::Float(f) => match float_to_i64(*f) {
                Some(i) => Ok(i.into()),
                None => serde_json::Number::from_f64(*f)
                    .map(serde_json::Value::Number)
                    .ok_or_else(|| self.err(format!("{f} cannot be represented in JSON"))),
            },
            Number::Decimal(s) => {
                let Some(d) = parse_decimal(s) else {
                    return Err(self.err(format!("invalid number {:?}", truncate(s))));
                };
                Ok(match d.to_i64() {
                    Some(i) => i.into(),
                    // A JSON number would lose precision; a string keeps every digit.
                    None => serde_json::Value::String(s.clone()),
                })
            }
        }
    }
}
