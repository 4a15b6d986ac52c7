//! Typed access to attribute values.
//!
//! Resource code works on structs whose fields are [`Attr<T>`]: Terraform's three
//! states of a value (null, unknown, known) kept explicit, so a plan can never mistake
//! "not known yet" for "not set". Conversions check the type and name the attribute
//! in their error.

use std::collections::BTreeMap;

use crate::tf::diagnostics::Diagnostic;
use crate::tf::path::AttrPath;
use crate::tf::value::Value;

/// A value as Terraform sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Attr<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Attr<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }

    /// This value, or `fallback` when null.
    pub fn or(self, fallback: Attr<T>) -> Attr<T> {
        match self {
            Attr::Null => fallback,
            other => other,
        }
    }
}

impl<T> From<Option<T>> for Attr<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Attr::Null, Attr::Known)
    }
}

/// Conversion between a Rust type and a Terraform value.
pub trait AttrValue: Sized {
    const TYPE_NAME: &'static str;
    fn from_known(value: &Value) -> Option<Self>;
    fn to_known(&self) -> Value;
}

impl AttrValue for String {
    const TYPE_NAME: &'static str = "string";
    fn from_known(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_string)
    }
    fn to_known(&self) -> Value {
        Value::String(self.clone())
    }
}

impl AttrValue for bool {
    const TYPE_NAME: &'static str = "bool";
    fn from_known(value: &Value) -> Option<Self> {
        value.as_bool()
    }
    fn to_known(&self) -> Value {
        Value::Bool(*self)
    }
}

impl AttrValue for i64 {
    const TYPE_NAME: &'static str = "whole number";
    fn from_known(value: &Value) -> Option<Self> {
        value.as_i64()
    }
    fn to_known(&self) -> Value {
        Value::Number(crate::tf::value::Number::Int(*self))
    }
}

impl AttrValue for BTreeMap<String, String> {
    const TYPE_NAME: &'static str = "map of strings";
    fn from_known(value: &Value) -> Option<Self> {
        let Value::Map(entries) = value else {
            return None;
        };
        entries
            .iter()
            .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect()
    }
    fn to_known(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

impl<T: AttrValue> Attr<T> {
    /// Reads attribute `name` of an object value (a missing attribute is null).
    pub fn read(object: &Value, name: &str) -> Result<Self, Diagnostic> {
        match object.attr(name) {
            None | Some(Value::Null) => Ok(Attr::Null),
            Some(Value::Unknown) => Ok(Attr::Unknown),
            Some(value) => T::from_known(value).map(Attr::Known).ok_or_else(|| {
                Diagnostic::error(
                    "Invalid attribute value",
                    format!("The value of {name} must be a {}.", T::TYPE_NAME),
                )
                .at(AttrPath::attr(name))
            }),
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Attr::Null => Value::Null,
            Attr::Unknown => Value::Unknown,
            Attr::Known(v) => v.to_known(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_three_states_and_rejects_wrong_types() {
        let object = Value::object([
            ("a", Value::string("x")),
            ("b", Value::Unknown),
            ("c", Value::Null),
            ("d", Value::Bool(true)),
        ]);
        assert_eq!(
            Attr::<String>::read(&object, "a"),
            Ok(Attr::Known("x".into()))
        );
        assert_eq!(Attr::<String>::read(&object, "b"), Ok(Attr::Unknown));
        assert_eq!(Attr::<String>::read(&object, "c"), Ok(Attr::Null));
        assert_eq!(Attr::<String>::read(&object, "missing"), Ok(Attr::Null));
        let err = Attr::<String>::read(&object, "d").expect_err("bool is not a string");
        assert_eq!(err.path, Some(AttrPath::attr("d")));
    }

    #[test]
    fn round_trips_through_values() {
        let map: BTreeMap<String, String> = [("k".to_string(), "v".to_string())].into();
        let attr = Attr::Known(map.clone());
        let object = Value::object([("m", attr.to_value())]);
        assert_eq!(Attr::read(&object, "m"), Ok(Attr::Known(map)));
    }
}
