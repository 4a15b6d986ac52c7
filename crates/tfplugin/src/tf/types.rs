//! Terraform value types, as a provider schema declares them.
//!
//! Terraform does not send type information alongside values: both sides agree on the
//! schema beforehand, and every `DynamicValue` is decoded against the type that the
//! schema gives for it. This module models those types (cty's type system) and their
//! JSON form, which the plugin protocol carries in `Schema.Attribute.type` and which
//! Terraform uses when it needs to name a type on the wire.

use std::collections::BTreeMap;
use std::fmt;

/// How deeply type JSON may nest before it is rejected.
///
/// Real schemas nest a handful of levels; the limit only exists so that hostile input
/// cannot exhaust the stack.
pub const MAX_TYPE_DEPTH: usize = 64;

/// A Terraform (cty) type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// A Unicode string.
    String,
    /// An arbitrary-precision number.
    Number,
    /// `true` or `false`.
    Bool,
    /// Any type, decided at run time (cty's `DynamicPseudoType`).
    Dynamic,
    /// An ordered sequence of elements of one type.
    List(Box<Type>),
    /// An unordered collection of distinct elements of one type.
    Set(Box<Type>),
    /// String keys mapping to elements of one type.
    Map(Box<Type>),
    /// A fixed set of named attributes, each with its own type.
    Object(BTreeMap<String, Type>),
    /// A fixed-length sequence whose elements each have their own type.
    Tuple(Vec<Type>),
}

/// Why a piece of type JSON could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum TypeError {
    /// The bytes were not JSON at all.
    #[error("invalid type JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A string where a primitive type name was expected, but not one Terraform knows.
    #[error("unknown primitive type {0:?}")]
    UnknownPrimitive(String),
    /// An array whose first element names no known type kind.
    #[error("unknown type kind {0:?}")]
    UnknownKind(String),
    /// JSON of the wrong shape for a type.
    #[error("malformed type JSON: {0}")]
    Malformed(String),
    /// Type JSON nested more deeply than [`MAX_TYPE_DEPTH`].
    #[error("type JSON nested more than {MAX_TYPE_DEPTH} levels deep")]
    TooDeep,
}

impl Type {
    /// A list of `t`.
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    /// A set of `t`.
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    /// A map from strings to `t`.
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    /// An object type with the given attributes.
    pub fn object<I, K>(attrs: I) -> Type
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object(attrs.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    /// The type's JSON form: `"string"`, `["list","number"]`, `["object",{"a":"bool"}]`, ...
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Type::String => J::from("string"),
            Type::Number => J::from("number"),
            Type::Bool => J::from("bool"),
            Type::Dynamic => J::from("dynamic"),
            Type::List(t) => J::Array(vec![J::from("list"), t.to_json()]),
            Type::Set(t) => J::Array(vec![J::from("set"), t.to_json()]),
            Type::Map(t) => J::Array(vec![J::from("map"), t.to_json()]),
            Type::Object(attrs) => {
                let attrs: serde_json::Map<String, J> = attrs
                    .iter()
                    .map(|(name, t)| (name.clone(), t.to_json()))
                    .collect();
                J::Array(vec![J::from("object"), J::Object(attrs)])
            }
            Type::Tuple(elems) => J::Array(vec![
                J::from("tuple"),
                J::Array(elems.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// The type's compact JSON bytes, as `Schema.Attribute.type` carries them.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // `Display` of a JSON value is its compact serialization and cannot fail.
        self.to_json().to_string().into_bytes()
    }

    /// Parses a type from its JSON form (see [`Type::to_json`]).
    pub fn from_json(v: &serde_json::Value) -> Result<Type, TypeError> {
        parse_type(v, 0)
    }

    /// Parses a type from JSON bytes such as `Schema.Attribute.type`.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, TypeError> {
        let v: serde_json::Value = serde_json::from_slice(bytes)?;
        Type::from_json(&v)
    }
}

fn parse_type(v: &serde_json::Value, depth: usize) -> Result<Type, TypeError> {
    use serde_json::Value as J;
    if depth >= MAX_TYPE_DEPTH {
        return Err(TypeError::TooDeep);
    }
    match v {
        J::String(name) => match name.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(TypeError::UnknownPrimitive(other.to_owned())),
        },
        J::Array(items) => {
            let Some(J::String(kind)) = items.first() else {
                return Err(TypeError::Malformed(
                    "a complex type must be an array starting with its kind".to_owned(),
                ));
            };
            let arg = match items.as_slice() {
                [_, arg] => arg,
                _ => {
                    return Err(TypeError::Malformed(format!(
                        "{kind:?} type must be a two-element array, got {} elements",
                        items.len()
                    )));
                }
            };
            match kind.as_str() {
                "list" => Ok(Type::list(parse_type(arg, depth + 1)?)),
                "set" => Ok(Type::set(parse_type(arg, depth + 1)?)),
                "map" => Ok(Type::map(parse_type(arg, depth + 1)?)),
                "object" => {
                    let J::Object(attrs) = arg else {
                        return Err(TypeError::Malformed(
                            "object attributes must be a JSON object".to_owned(),
                        ));
                    };
                    let mut out = BTreeMap::new();
                    for (name, t) in attrs {
                        out.insert(name.clone(), parse_type(t, depth + 1)?);
                    }
                    Ok(Type::Object(out))
                }
                "tuple" => {
                    let J::Array(elems) = arg else {
                        return Err(TypeError::Malformed(
                            "tuple element types must be a JSON array".to_owned(),
                        ));
                    };
                    let elems = elems
                        .iter()
                        .map(|t| parse_type(t, depth + 1))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(Type::Tuple(elems))
                }
                other => Err(TypeError::UnknownKind(other.to_owned())),
            }
        }
        _ => Err(TypeError::Malformed(format!(
            "expected a type name or array, got {v}"
        ))),
    }
}

/// A short human-readable name, as used in error messages ("list of string", "object").
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(t) => write!(f, "list of {t}"),
            Type::Set(t) => write!(f, "set of {t}"),
            Type::Map(t) => write!(f, "map of {t}"),
            Type::Object(_) => f.write_str("object"),
            Type::Tuple(_) => f.write_str("tuple"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all_shapes() -> Vec<Type> {
        vec![
            Type::String,
            Type::Number,
            Type::Bool,
            Type::Dynamic,
            Type::list(Type::String),
            Type::set(Type::Number),
            Type::map(Type::Bool),
            Type::object(Vec::<(String, Type)>::new()),
            Type::Tuple(vec![]),
            Type::Tuple(vec![Type::String, Type::list(Type::Number), Type::Dynamic]),
            Type::object([
                ("name", Type::String),
                ("tags", Type::map(Type::String)),
                (
                    "rules",
                    Type::list(Type::object([
                        ("port", Type::Number),
                        ("cidrs", Type::set(Type::String)),
                        ("pair", Type::Tuple(vec![Type::Bool, Type::String])),
                    ])),
                ),
            ]),
        ]
    }

    #[test]
    fn json_round_trip_all_shapes() {
        for t in all_shapes() {
            let j = t.to_json();
            assert_eq!(Type::from_json(&j).unwrap(), t, "via value {j}");
            assert_eq!(Type::from_json_bytes(&t.to_json_bytes()).unwrap(), t);
        }
    }

    #[test]
    fn exact_json_forms() {
        assert_eq!(
            Type::map(Type::String).to_json_bytes(),
            br#"["map","string"]"#
        );
        assert_eq!(Type::String.to_json_bytes(), br#""string""#);
        assert_eq!(
            Type::object([("b", Type::Number), ("a", Type::list(Type::Bool))]).to_json_bytes(),
            br#"["object",{"a":["list","bool"],"b":"number"}]"#
        );
        assert_eq!(
            Type::Tuple(vec![Type::String, Type::Dynamic]).to_json(),
            json!(["tuple", ["string", "dynamic"]])
        );
        assert_eq!(Type::set(Type::Number).to_json(), json!(["set", "number"]));
    }

    #[test]
    fn parses_terraform_written_json() {
        let t = Type::from_json_bytes(br#"["object", {"x": ["map", "number"], "y": "string"}]"#)
            .unwrap();
        assert_eq!(
            t,
            Type::object([("x", Type::map(Type::Number)), ("y", Type::String)])
        );
    }

    #[test]
    fn rejects_malformed_type_json() {
        assert!(matches!(
            Type::from_json(&json!("text")),
            Err(TypeError::UnknownPrimitive(_))
        ));
        assert!(matches!(
            Type::from_json(&json!(["array", "string"])),
            Err(TypeError::UnknownKind(_))
        ));
        for bad in [
            json!([]),
            json!(["list"]),
            json!(["list", "string", "extra"]),
            json!(["object", ["a"]]),
            json!(["tuple", {"a": "string"}]),
            json!([1, "string"]),
            json!(42),
            json!(null),
            json!({"list": "string"}),
        ] {
            assert!(
                matches!(Type::from_json(&bad), Err(TypeError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Type::from_json(&json!(["list", "strin"])),
            Err(TypeError::UnknownPrimitive(_))
        ));
        assert!(matches!(
            Type::from_json_bytes(b"[\"list\","),
            Err(TypeError::Json(_))
        ));
    }

    #[test]
    fn rejects_deep_nesting() {
        let mut j = json!("string");
        for _ in 0..100 {
            j = json!(["list", j]);
        }
        assert!(matches!(Type::from_json(&j), Err(TypeError::TooDeep)));

        let mut ok = json!("string");
        for _ in 0..10 {
            ok = json!(["list", ok]);
        }
        assert!(Type::from_json(&ok).is_ok());
    }

    #[test]
    fn display_names() {
        assert_eq!(
            Type::list(Type::map(Type::String)).to_string(),
            "list of map of string"
        );
        assert_eq!(Type::object([("a", Type::Bool)]).to_string(), "object");
    }
}
