//! The values themselves: [`Value`] (null, unknown, or known, without a type: the
//! schema supplies that) and [`Number`] (Terraform's arbitrary-precision numbers).

use std::collections::BTreeMap;

use super::decimal::{float_to_i64, parse_decimal};
use crate::tf::types::Type;

/// A Terraform number.
///
/// Terraform numbers are arbitrary-precision. Integers that fit 64 bits are `Int`;
/// numbers Terraform sends as binary floats are `Float`; numbers it sends as decimal
/// text (which it does for anything that fits neither, such as `0.1` written in a
/// configuration) are `Decimal`, keeping every digit.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A binary floating-point number.
    Float(f64),
    /// A decimal number as text, such as `"0.1"`, `"1e400"` or
    /// `"123456789012345678901234567890"`.
    Decimal(String),
}

impl Number {
    /// The number as an `i64`, if it is an integer within range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(f) => float_to_i64(*f),
            Number::Decimal(s) => parse_decimal(s)?.to_i64(),
        }
    }

    /// The number as an `f64`, rounding if need be (huge decimals become infinite).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Number::Int(i) => Some(*i as f64),
            Number::Float(f) => Some(*f),
            Number::Decimal(s) => {
                parse_decimal(s)?;
                s.parse().ok()
            }
        }
    }
}

/// A Terraform value, without its type (the schema supplies that).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A null value of any type.
    Null,
    /// A value of any type that is not known until apply.
    Unknown,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// The elements of a list.
    List(Vec<Value>),
    /// The elements of a set, in no particular order.
    Set(Vec<Value>),
    /// The entries of a map.
    Map(BTreeMap<String, Value>),
    /// The attributes of an object.
    Object(BTreeMap<String, Value>),
    /// The elements of a tuple.
    Tuple(Vec<Value>),
}

impl Value {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is [`Value::Unknown`] (only the top level; see [`Value::is_wholly_known`]).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Whether no [`Value::Unknown`] appears anywhere in this value.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
        }
    }

    /// The string, if this is a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is a [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as an `i64`, if this is a number that is an integer within range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The number as an `f64` (rounded if need be), if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// An attribute of an object; `None` if absent or if this is not an object.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(attrs) => attrs.get(name),
            _ => None,
        }
    }

    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An object value with the given attributes.
    pub fn object<I, K>(attrs: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A null value of the given type. Values carry no type, so this is just
    /// [`Value::Null`]; it exists so call sites can say which type they mean.
    pub fn null_of(_ty: &Type) -> Value {
        Value::Null
    }
}
