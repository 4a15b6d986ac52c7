//! What the MessagePack and JSON codecs share: a walk over a value and its type
//! together, keeping the path for error messages and refusing to go deeper than
//! [`MAX_VALUE_DEPTH`], and the checks and number readings both make.

use std::collections::BTreeMap;

use super::decimal::parse_decimal;
use super::model::{Number, Value};
use super::{MAX_VALUE_DEPTH, ValueError};
use crate::tf::path::{AttrPath, PathStep};
use crate::tf::types::Type;

/// The kind of a [`Value`], for error messages.
pub(super) fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
    }
}

pub(super) const DYNAMIC_UNSUPPORTED: &str = "dynamic values are not supported";

/// Walks a value and its type together, keeping the path for error messages.
#[derive(Default)]
pub(super) struct Walker {
    pub(super) path: Vec<PathStep>,
}

impl Walker {
    pub(super) fn err(&self, message: impl Into<String>) -> ValueError {
        ValueError::new(AttrPath(self.path.clone()), message)
    }

    pub(super) fn err_at(&self, step: PathStep, message: impl Into<String>) -> ValueError {
        let mut steps = self.path.clone();
        steps.push(step);
        ValueError::new(AttrPath(steps), message)
    }

    /// Runs `f` one step deeper, refusing to go past [`MAX_VALUE_DEPTH`].
    pub(super) fn descend<T>(
        &mut self,
        step: PathStep,
        f: impl FnOnce(&mut Self) -> Result<T, ValueError>,
    ) -> Result<T, ValueError> {
        if self.path.len() >= MAX_VALUE_DEPTH {
            return Err(self.err(format!(
                "value nested more than {MAX_VALUE_DEPTH} levels deep"
            )));
        }
        self.path.push(step);
        let result = f(self);
        self.path.pop();
        result
    }

    pub(super) fn index_step(i: usize) -> PathStep {
        PathStep::Index(i64::try_from(i).unwrap_or(i64::MAX))
    }

    pub(super) fn float(&self, f: f64) -> Result<Value, ValueError> {
        if f.is_nan() {
            Err(self.err("NaN is not a valid number"))
        } else {
            Ok(Value::Number(Number::Float(f)))
        }
    }

    /// A number written as decimal text.
    pub(super) fn number_text(&self, s: String) -> Result<Value, ValueError> {
        match parse_decimal(&s) {
            Some(d) => Ok(Value::Number(match d.to_i64() {
                Some(i) => Number::Int(i),
                None => Number::Decimal(s),
            })),
            None => Err(self.err(format!("invalid number {:?}", truncate(&s)))),
        }
    }

    pub(super) fn check_extra_attributes(
        &self,
        attrs: &BTreeMap<String, Type>,
        values: &BTreeMap<String, Value>,
    ) -> Result<(), ValueError> {
        match values.keys().find(|k| !attrs.contains_key(*k)) {
            Some(extra) => Err(self.err_at(
                PathStep::Attribute(extra.clone()),
                "attribute is not part of the object type",
            )),
            None => Ok(()),
        }
    }

    /// A tuple value must have as many elements as its type.
    pub(super) fn tuple_len(&self, expected: usize, got: usize) -> Result<(), ValueError> {
        if got == expected {
            Ok(())
        } else {
            Err(self.err(format!(
                "expected a tuple of {expected} elements, got {got}"
            )))
        }
    }
}

/// Shortens untrusted text before it goes into an error message.
pub(super) fn truncate(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}
