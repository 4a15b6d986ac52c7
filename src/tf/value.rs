//! Terraform values and their wire encodings.
//!
//! Every configuration, state and plan crosses the plugin protocol as a `DynamicValue`:
//! MessagePack bytes (or, for stored state handed to `UpgradeResourceState`, JSON) that
//! carry no type information of their own. This module decodes such bytes against the
//! [`Type`] that the provider's schema declares, and encodes values back the same way,
//! following Terraform's `object-wire-format.md` and go-cty's `msgpack` and `json`
//! packages.
//!
//! The bytes come from another process, so decoding never panics, never allocates on the
//! strength of a length header and refuses to nest deeper than [`MAX_VALUE_DEPTH`].
//! MessagePack is read in one pass guided by the type (rather than via `rmpv::Value`,
//! which would silently read the reserved marker `0xc1` as nil and could not say where a
//! truncation happened), and every error names the [`AttrPath`] where it was found.

use std::collections::BTreeMap;
use std::fmt;

use crate::tf::path::{AttrPath, PathStep};
use crate::tf::types::Type;

/// How many containers deep a value may nest.
///
/// Real schemas nest a handful of levels; the limit keeps hostile input from exhausting
/// the stack.
pub const MAX_VALUE_DEPTH: usize = 64;

/// The MessagePack extension type cty uses for an unknown value.
const EXT_UNKNOWN: i8 = 0;
/// The MessagePack extension type cty uses for an unknown value with refinements.
const EXT_REFINED_UNKNOWN: i8 = 12;
/// How cty writes an unknown value: fixext1, type 0, one zero byte of payload.
const UNKNOWN_BYTES: [u8; 3] = [0xd4, 0x00, 0x00];

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

/// Why bytes could not be decoded against a type, or a value could not be encoded.
#[derive(Debug, thiserror::Error)]
#[error("{message} {}", Where(.path))]
pub struct ValueError {
    /// Where in the value the problem was found.
    pub path: AttrPath,
    /// What the problem is.
    pub message: String,
}

impl ValueError {
    /// An error at `path`.
    pub fn new(path: AttrPath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }
}

/// Renders "at PATH", or "at the top level" for the root path.
struct Where<'a>(&'a AttrPath);

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_root() {
            f.write_str("at the top level")
        } else {
            write!(f, "at {}", self.0)
        }
    }
}

/// Decodes MessagePack `DynamicValue` bytes against `ty`.
///
/// The whole input must be one value; trailing bytes are an error.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut rd = Reader { buf: bytes };
    let value = Walker::default().read_msgpack(&mut rd, ty)?;
    if rd.remaining() > 0 {
        return Err(ValueError::new(
            AttrPath::root(),
            format!(
                "{} unexpected bytes after the msgpack value",
                rd.remaining()
            ),
        ));
    }
    Ok(value)
}

/// Encodes `value` as MessagePack `DynamicValue` bytes for `ty`.
///
/// Fails if the value does not conform to the type. Object types get every attribute
/// (missing ones as nil); unknowns are written as cty writes them (`d4 00 00`). Numbers
/// that are integers within `i64` become msgpack integers in their smallest form, other
/// floats become float64, and other decimals are sent as their text, which Terraform
/// parses at full precision.
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    Walker::default().write_msgpack(value, ty, &mut out)?;
    Ok(out)
}

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

const TRUNCATED: &str = "truncated msgpack: unexpected end of input";

/// A cursor over untrusted MessagePack bytes that never reads past the end and never
/// allocates on the strength of a length header.
struct Reader<'a> {
    buf: &'a [u8],
}

/// A MessagePack item's header: its marker and the fixed-size data after it. Payloads
/// (string bytes, container elements, extension data) are read separately.
#[derive(Debug, Clone, Copy)]
enum Head {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    F32(f32),
    F64(f64),
    Str(usize),
    Bin(usize),
    Array(usize),
    Map(usize),
    Ext(i8, usize),
}

impl Head {
    /// The kind of item, for error messages.
    fn kind(self) -> &'static str {
        match self {
            Head::Nil => "nil",
            Head::Bool(_) => "bool",
            Head::Int(_) | Head::Uint(_) => "integer",
            Head::F32(_) | Head::F64(_) => "float",
            Head::Str(_) => "string",
            Head::Bin(_) => "binary",
            Head::Array(_) => "array",
            Head::Map(_) => "map",
            Head::Ext(_, _) => "extension",
        }
    }
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.buf.len() {
            return Err(TRUNCATED.to_owned());
        }
        let (taken, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(taken)
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, String> {
        let [b] = self.bytes()?;
        Ok(b)
    }

    fn i8(&mut self) -> Result<i8, String> {
        Ok(i8::from_be_bytes(self.bytes()?))
    }

    fn len8(&mut self) -> Result<usize, String> {
        Ok(usize::from(self.u8()?))
    }

    fn len16(&mut self) -> Result<usize, String> {
        Ok(usize::from(u16::from_be_bytes(self.bytes()?)))
    }

    fn len32(&mut self) -> Result<usize, String> {
        let len = u32::from_be_bytes(self.bytes()?);
        // On a 16-bit target a huge length could not be satisfied by the input anyway.
        Ok(usize::try_from(len).unwrap_or(usize::MAX))
    }

    fn head(&mut self) -> Result<Head, String> {
        let marker = self.u8()?;
        Ok(match marker {
            0x00..=0x7f => Head::Int(i64::from(marker)),
            0x80..=0x8f => Head::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Head::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => Head::Str(usize::from(marker & 0x1f)),
            0xc0 => Head::Nil,
            0xc1 => return Err("malformed msgpack: reserved marker 0xc1".to_owned()),
            0xc2 => Head::Bool(false),
            0xc3 => Head::Bool(true),
            0xc4 => Head::Bin(self.len8()?),
            0xc5 => Head::Bin(self.len16()?),
            0xc6 => Head::Bin(self.len32()?),
            0xc7 => {
                let len = self.len8()?;
                Head::Ext(self.i8()?, len)
            }
            0xc8 => {
                let len = self.len16()?;
                Head::Ext(self.i8()?, len)
            }
            0xc9 => {
                let len = self.len32()?;
                Head::Ext(self.i8()?, len)
            }
            0xca => Head::F32(f32::from_be_bytes(self.bytes()?)),
            0xcb => Head::F64(f64::from_be_bytes(self.bytes()?)),
            0xcc => Head::Uint(u64::from(self.u8()?)),
            0xcd => Head::Uint(u64::from(u16::from_be_bytes(self.bytes()?))),
            0xce => Head::Uint(u64::from(u32::from_be_bytes(self.bytes()?))),
            0xcf => Head::Uint(u64::from_be_bytes(self.bytes()?)),
            0xd0 => Head::Int(i64::from(self.i8()?)),
            0xd1 => Head::Int(i64::from(i16::from_be_bytes(self.bytes()?))),
            0xd2 => Head::Int(i64::from(i32::from_be_bytes(self.bytes()?))),
            0xd3 => Head::Int(i64::from_be_bytes(self.bytes()?)),
            0xd4 => Head::Ext(self.i8()?, 1),
            0xd5 => Head::Ext(self.i8()?, 2),
            0xd6 => Head::Ext(self.i8()?, 4),
            0xd7 => Head::Ext(self.i8()?, 8),
            0xd8 => Head::Ext(self.i8()?, 16),
            0xd9 => Head::Str(self.len8()?),
            0xda => Head::Str(self.len16()?),
            0xdb => Head::Str(self.len32()?),
            0xdc => Head::Array(self.len16()?),
            0xdd => Head::Array(self.len32()?),
            0xde => Head::Map(self.len16()?),
            0xdf => Head::Map(self.len32()?),
            0xe0..=0xff => Head::Int(i64::from(i8::from_be_bytes([marker]))),
        })
    }

    /// Reads past one item without keeping it, refusing to nest deeper than `depth_left`.
    fn skip(&mut self, depth_left: usize) -> Result<(), String> {
        match self.head()? {
            Head::Str(len) | Head::Bin(len) | Head::Ext(_, len) => {
                self.take(len)?;
            }
            Head::Array(len) => {
                let depth_left = nested(depth_left)?;
                for _ in 0..len {
                    self.skip(depth_left)?;
                }
            }
            Head::Map(len) => {
                let depth_left = nested(depth_left)?;
                for _ in 0..len {
                    self.skip(depth_left)?;
                    self.skip(depth_left)?;
                }
            }
            Head::Nil
            | Head::Bool(_)
            | Head::Int(_)
            | Head::Uint(_)
            | Head::F32(_)
            | Head::F64(_) => {}
        }
        Ok(())
    }
}

fn nested(depth_left: usize) -> Result<usize, String> {
    depth_left
        .checked_sub(1)
        .ok_or_else(|| format!("value nested more than {MAX_VALUE_DEPTH} levels deep"))
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

/// The kind of a [`Value`], for error messages.
fn value_kind(v: &Value) -> &'static str {
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

const DYNAMIC_UNSUPPORTED: &str = "dynamic values are not supported";

/// Walks a value and its type together, keeping the path for error messages.
#[derive(Default)]
struct Walker {
    path: Vec<PathStep>,
}

impl Walker {
    fn err(&self, message: impl Into<String>) -> ValueError {
        ValueError::new(AttrPath(self.path.clone()), message)
    }

    fn err_at(&self, step: PathStep, message: impl Into<String>) -> ValueError {
        let mut steps = self.path.clone();
        steps.push(step);
        ValueError::new(AttrPath(steps), message)
    }

    /// Runs `f` one step deeper, refusing to go past [`MAX_VALUE_DEPTH`].
    fn descend<T>(
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

    fn index_step(i: usize) -> PathStep {
        PathStep::Index(i64::try_from(i).unwrap_or(i64::MAX))
    }

    // ----- MessagePack decoding -----

    /// Attaches the current path to a reader error.
    fn read<T>(&self, result: Result<T, String>) -> Result<T, ValueError> {
        result.map_err(|message| self.err(message))
    }

    fn read_msgpack(&mut self, rd: &mut Reader<'_>, ty: &Type) -> Result<Value, ValueError> {
        let head = self.read(rd.head())?;
        match head {
            Head::Nil => return Ok(Value::Null),
            Head::Ext(kind, len) => {
                // The payload of a refined unknown describes its refinements; we ignore it.
                self.read(rd.take(len))?;
                return match kind {
                    EXT_UNKNOWN | EXT_REFINED_UNKNOWN => Ok(Value::Unknown),
                    other => Err(self.err(format!("unsupported msgpack extension type {other}"))),
                };
            }
            _ => {}
        }
        match (ty, head) {
            (Type::Dynamic, _) => Err(self.err(DYNAMIC_UNSUPPORTED)),
            (Type::String, Head::Str(len) | Head::Bin(len)) => {
                let bytes = self.read(rd.take(len))?;
                match std::str::from_utf8(bytes) {
                    Ok(s) => Ok(Value::String(s.to_owned())),
                    Err(_) => Err(self.err("string is not valid UTF-8")),
                }
            }
            (Type::Bool, Head::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Number, Head::Int(i)) => Ok(Value::Number(Number::Int(i))),
            (Type::Number, Head::Uint(u)) => Ok(Value::Number(match i64::try_from(u) {
                Ok(i) => Number::Int(i),
                Err(_) => Number::Decimal(u.to_string()),
            })),
            (Type::Number, Head::F32(f)) => self.float(f64::from(f)),
            (Type::Number, Head::F64(f)) => self.float(f),
            (Type::Number, Head::Str(len)) => {
                let bytes = self.read(rd.take(len))?;
                match std::str::from_utf8(bytes) {
                    Ok(s) => self.number_text(s.to_owned()),
                    Err(_) => Err(self.err("number string is not valid UTF-8")),
                }
            }
            (Type::List(elem), Head::Array(len)) => {
                Ok(Value::List(self.msgpack_elements(rd, len, |_| elem)?))
            }
            (Type::Set(elem), Head::Array(len)) => {
                Ok(Value::Set(self.msgpack_elements(rd, len, |_| elem)?))
            }
            (Type::Tuple(elems), Head::Array(len)) => {
                if len != elems.len() {
                    return Err(self.err(format!(
                        "expected a tuple of {} elements, got {len}",
                        elems.len()
                    )));
                }
                // `i < len == elems.len()`, so the fallback is never used.
                let items =
                    self.msgpack_elements(rd, len, |i| elems.get(i).unwrap_or(&Type::Dynamic))?;
                Ok(Value::Tuple(items))
            }
            (Type::Map(elem), Head::Map(len)) => {
                let mut out = BTreeMap::new();
                for _ in 0..len {
                    let key = self.msgpack_key(rd)?;
                    let v =
                        self.descend(PathStep::Key(key.clone()), |w| w.read_msgpack(rd, elem))?;
                    if out.insert(key.clone(), v).is_some() {
                        return Err(self.err_at(PathStep::Key(key), "duplicate map key"));
                    }
                }
                Ok(Value::Map(out))
            }
            (Type::Object(attrs), Head::Map(len)) => {
                let mut out = BTreeMap::new();
                for _ in 0..len {
                    let key = self.msgpack_key(rd)?;
                    let step = PathStep::Attribute(key.clone());
                    let Some(attr_ty) = attrs.get(&key) else {
                        // Not in the schema: skipped, as Terraform does.
                        self.descend(step, |w| {
                            let depth_left = MAX_VALUE_DEPTH.saturating_sub(w.path.len());
                            w.read(rd.skip(depth_left))
                        })?;
                        continue;
                    };
                    let v = self.descend(step, |w| w.read_msgpack(rd, attr_ty))?;
                    if out.insert(key.clone(), v).is_some() {
                        return Err(
                            self.err_at(PathStep::Attribute(key), "duplicate object attribute")
                        );
                    }
                }
                for name in attrs.keys() {
                    if !out.contains_key(name) {
                        out.insert(name.clone(), Value::Null);
                    }
                }
                Ok(Value::Object(out))
            }
            (ty, head) => Err(self.err(format!("expected {ty}, got msgpack {}", head.kind()))),
        }
    }

    /// Decodes `len` array elements, the `i`th of type `elem_ty(i)`.
    fn msgpack_elements<'t>(
        &mut self,
        rd: &mut Reader<'_>,
        len: usize,
        elem_ty: impl Fn(usize) -> &'t Type,
    ) -> Result<Vec<Value>, ValueError> {
        // Every element takes at least one byte, so the input bounds the allocation.
        let mut out = Vec::with_capacity(len.min(rd.remaining()));
        for i in 0..len {
            let ty = elem_ty(i);
            out.push(self.descend(Self::index_step(i), |w| w.read_msgpack(rd, ty))?);
        }
        Ok(out)
    }

    fn msgpack_key(&self, rd: &mut Reader<'_>) -> Result<String, ValueError> {
        match self.read(rd.head())? {
            Head::Str(len) => {
                let bytes = self.read(rd.take(len))?;
                std::str::from_utf8(bytes)
                    .map(str::to_owned)
                    .map_err(|_| self.err("map key is not valid UTF-8"))
            }
            other => Err(self.err(format!(
                "map keys must be strings, got msgpack {}",
                other.kind()
            ))),
        }
    }

    fn float(&self, f: f64) -> Result<Value, ValueError> {
        if f.is_nan() {
            Err(self.err("NaN is not a valid number"))
        } else {
            Ok(Value::Number(Number::Float(f)))
        }
    }

    /// A number written as decimal text.
    fn number_text(&self, s: String) -> Result<Value, ValueError> {
        match parse_decimal(&s) {
            Some(d) => Ok(Value::Number(match d.to_i64() {
                Some(i) => Number::Int(i),
                None => Number::Decimal(s),
            })),
            None => Err(self.err(format!("invalid number {:?}", truncate(&s)))),
        }
    }

    // ----- MessagePack encoding -----

    fn write_msgpack(
        &mut self,
        value: &Value,
        ty: &Type,
        out: &mut Vec<u8>,
    ) -> Result<(), ValueError> {
        match value {
            Value::Null => {
                out.push(0xc0);
                return Ok(());
            }
            Value::Unknown => {
                out.extend_from_slice(&UNKNOWN_BYTES);
                return Ok(());
            }
            _ => {}
        }
        match (ty, value) {
            (Type::Dynamic, _) => Err(self.err(DYNAMIC_UNSUPPORTED)),
            (Type::String, Value::String(s)) => {
                self.write_len(rmp::encode::write_str_len, s.len(), out)?;
                out.extend_from_slice(s.as_bytes());
                Ok(())
            }
            (Type::Bool, Value::Bool(b)) => {
                out.push(if *b { 0xc3 } else { 0xc2 });
                Ok(())
            }
            (Type::Number, Value::Number(n)) => self.write_number(n, out),
            (Type::List(elem), Value::List(items)) | (Type::Set(elem), Value::Set(items)) => {
                self.write_len(rmp::encode::write_array_len, items.len(), out)?;
                for (i, item) in items.iter().enumerate() {
                    self.descend(Self::index_step(i), |w| w.write_msgpack(item, elem, out))?;
                }
                Ok(())
            }
            (Type::Tuple(elems), Value::Tuple(items)) => {
                if items.len() != elems.len() {
                    return Err(self.err(format!(
                        "expected a tuple of {} elements, got {}",
                        elems.len(),
                        items.len()
                    )));
                }
                self.write_len(rmp::encode::write_array_len, items.len(), out)?;
                for (i, (item, ty)) in items.iter().zip(elems).enumerate() {
                    self.descend(Self::index_step(i), |w| w.write_msgpack(item, ty, out))?;
                }
                Ok(())
            }
            (Type::Map(elem), Value::Map(entries)) => {
                self.write_len(rmp::encode::write_map_len, entries.len(), out)?;
                for (key, item) in entries {
                    self.descend(PathStep::Key(key.clone()), |w| {
                        w.write_len(rmp::encode::write_str_len, key.len(), out)?;
                        out.extend_from_slice(key.as_bytes());
                        w.write_msgpack(item, elem, out)
                    })?;
                }
                Ok(())
            }
            (Type::Object(attrs), Value::Object(values)) => {
                self.check_extra_attributes(attrs, values)?;
                self.write_len(rmp::encode::write_map_len, attrs.len(), out)?;
                for (name, attr_ty) in attrs {
                    let item = values.get(name).unwrap_or(&Value::Null);
                    self.descend(PathStep::Attribute(name.clone()), |w| {
                        w.write_len(rmp::encode::write_str_len, name.len(), out)?;
                        out.extend_from_slice(name.as_bytes());
                        w.write_msgpack(item, attr_ty, out)
                    })?;
                }
                Ok(())
            }
            (ty, value) => Err(self.err(format!("expected {ty}, got {}", value_kind(value)))),
        }
    }

    fn check_extra_attributes(
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

    /// Writes a length header, failing if the length exceeds what msgpack can express.
    fn write_len<E>(
        &self,
        write: fn(&mut Vec<u8>, u32) -> Result<rmp::Marker, E>,
        len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), ValueError> {
        let len = u32::try_from(len).map_err(|_| self.err("too long to encode as msgpack"))?;
        write(out, len)
            .map(|_| ())
            .map_err(|_| self.err("failed to write msgpack length"))
    }

    fn write_number(&self, n: &Number, out: &mut Vec<u8>) -> Result<(), ValueError> {
        let written = match n {
            Number::Int(i) => rmp::encode::write_sint(out, *i).map(|_| ()),
            Number::Float(f) if f.is_nan() => {
                return Err(self.err("NaN is not a valid number"));
            }
            Number::Float(f) => match float_to_i64(*f) {
                Some(i) => rmp::encode::write_sint(out, i).map(|_| ()),
                None => rmp::encode::write_f64(out, *f),
            },
            Number::Decimal(s) => {
                let Some(d) = parse_decimal(s) else {
                    return Err(self.err(format!("invalid number {:?}", truncate(s))));
                };
                match d.to_i64() {
                    Some(i) => rmp::encode::write_sint(out, i).map(|_| ()),
                    None => {
                        // Terraform parses numbers sent as strings at full precision.
                        self.write_len(rmp::encode::write_str_len, s.len(), out)?;
                        out.extend_from_slice(s.as_bytes());
                        Ok(())
                    }
                }
            }
        };
        written.map_err(|e| self.err(format!("failed to write msgpack number: {e}")))
    }

    // ----- JSON decoding -----

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
                if items.len() != elems.len() {
                    return Err(self.err(format!(
                        "expected a tuple of {} elements, got {}",
                        elems.len(),
                        items.len()
                    )));
                }
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

    // ----- JSON encoding -----

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
                if items.len() != elems.len() {
                    return Err(self.err(format!(
                        "expected a tuple of {} elements, got {}",
                        elems.len(),
                        items.len()
                    )));
                }
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

/// Shortens untrusted text before it goes into an error message.
fn truncate(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

/// `f` as an `i64`, if it is an integer within range.
fn float_to_i64(f: f64) -> Option<i64> {
    // 2^63 is exactly representable; every integral f64 in [-2^63, 2^63) fits an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

/// A decimal number broken into parts: `(-1)^negative × digits × 10^exponent`.
#[derive(Debug, PartialEq)]
struct Decimal {
    negative: bool,
    /// Significant digits, without leading or trailing zeros; empty for zero.
    digits: String,
    exponent: i64,
}

impl Decimal {
    fn to_i64(&self) -> Option<i64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        if self.exponent < 0 {
            return None; // trailing zeros were stripped, so there is a fraction
        }
        let width = i64::try_from(self.digits.len())
            .ok()?
            .checked_add(self.exponent)?;
        if width > 19 {
            return None;
        }
        let zeros = usize::try_from(self.exponent).ok()?;
        let mut text = String::with_capacity(21);
        if self.negative {
            text.push('-');
        }
        text.push_str(&self.digits);
        text.extend(std::iter::repeat_n('0', zeros));
        text.parse().ok()
    }
}

/// Parses decimal number text: `[+-]digits[.digits][(e|E)[+-]digits]`, with at least one
/// digit in the mantissa. Returns `None` for anything else.
fn parse_decimal(s: &str) -> Option<Decimal> {
    // Exponents beyond this are clamped; they only matter for "is it an i64".
    const EXP_CLAMP: i64 = 1 << 40;
    let bytes = s.as_bytes();
    let mut i = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut mantissa = String::new();
    let mut seen_digit = false;
    let mut frac_len: i64 = 0;
    while let Some(&b) = bytes.get(i) {
        if !b.is_ascii_digit() {
            break;
        }
        seen_digit = true;
        if !(mantissa.is_empty() && b == b'0') {
            mantissa.push(char::from(b));
        }
        i += 1;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&b) = bytes.get(i) {
            if !b.is_ascii_digit() {
                break;
            }
            seen_digit = true;
            frac_len = frac_len.saturating_add(1);
            // A leading zero, before or after the point, only shifts the exponent.
            if !(mantissa.is_empty() && b == b'0') {
                mantissa.push(char::from(b));
            }
            i += 1;
        }
    }
    if !seen_digit {
        return None;
    }
    let mut exponent: i64 = 0;
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = match bytes.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let mut exp_digits = false;
        while let Some(&b) = bytes.get(i) {
            if !b.is_ascii_digit() {
                break;
            }
            exp_digits = true;
            exponent = (exponent * 10 + i64::from(b - b'0')).min(EXP_CLAMP);
            i += 1;
        }
        if !exp_digits {
            return None;
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != bytes.len() {
        return None;
    }
    let mut exponent = exponent.saturating_sub(frac_len);
    let trimmed_len = mantissa.trim_end_matches('0').len();
    let trailing = mantissa.len() - trimmed_len;
    mantissa.truncate(trimmed_len);
    exponent = exponent.saturating_add(i64::try_from(trailing).unwrap_or(i64::MAX));
    Some(Decimal {
        negative,
        digits: mantissa,
        exponent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    fn dec(s: &str) -> Value {
        Value::Number(Number::Decimal(s.to_owned()))
    }

    fn round_trip(value: &Value, ty: &Type) -> Value {
        let bytes = encode_msgpack(value, ty).unwrap();
        decode_msgpack(&bytes, ty).unwrap()
    }

    fn err_path(result: Result<Value, ValueError>) -> AttrPath {
        match result {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e.path,
        }
    }

    fn path(steps: Vec<PathStep>) -> AttrPath {
        AttrPath(steps)
    }

    fn attr(name: &str) -> PathStep {
        PathStep::Attribute(name.to_owned())
    }

    fn big_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("count", Type::Number),
            ("enabled", Type::Bool),
            ("tags", Type::map(Type::String)),
            ("zones", Type::set(Type::String)),
            ("pair", Type::Tuple(vec![Type::String, Type::Number])),
            (
                "rules",
                Type::list(Type::object([
                    ("port", Type::Number),
                    ("cidrs", Type::list(Type::String)),
                    ("meta", Type::map(Type::list(Type::Bool))),
                ])),
            ),
        ])
    }

    fn big_value() -> Value {
        Value::object([
            ("id", Value::string("abc")),
            ("count", int(3)),
            ("enabled", Value::Unknown),
            (
                "tags",
                Value::Map(BTreeMap::from([
                    ("env".to_owned(), Value::string("prod")),
                    ("owner".to_owned(), Value::Null),
                    ("later".to_owned(), Value::Unknown),
                ])),
            ),
            (
                "zones",
                Value::Set(vec![Value::string("b"), Value::string("a"), Value::Unknown]),
            ),
            ("pair", Value::Tuple(vec![Value::Null, dec("0.1")])),
            (
                "rules",
                Value::List(vec![
                    Value::object([
                        ("port", int(443)),
                        ("cidrs", Value::List(vec![Value::string("10.0.0.0/8")])),
                        (
                            "meta",
                            Value::Map(BTreeMap::from([(
                                "x".to_owned(),
                                Value::List(vec![Value::Bool(true), Value::Null, Value::Unknown]),
                            )])),
                        ),
                    ]),
                    Value::object([
                        ("port", Value::Unknown),
                        ("cidrs", Value::Null),
                        ("meta", Value::Map(BTreeMap::new())),
                    ]),
                    Value::Null,
                ]),
            ),
        ])
    }

    #[test]
    fn round_trips_primitives() {
        for (v, t) in [
            (Value::string("héllo"), Type::String),
            (Value::string(""), Type::String),
            (Value::Bool(true), Type::Bool),
            (Value::Bool(false), Type::Bool),
            (int(0), Type::Number),
            (int(-1), Type::Number),
            (int(i64::MAX), Type::Number),
            (int(i64::MIN), Type::Number),
            (Value::Number(Number::Float(1.5)), Type::Number),
            (Value::Number(Number::Float(-2.25e-300)), Type::Number),
            (Value::Number(Number::Float(f64::INFINITY)), Type::Number),
            (dec("123456789012345678901234567890"), Type::Number),
            (dec("1e400"), Type::Number),
            (dec("0.1"), Type::Number),
            (Value::Null, Type::String),
            (Value::Unknown, Type::Number),
            (Value::Null, Type::Dynamic),
            (Value::Unknown, Type::Dynamic),
        ] {
            assert_eq!(round_trip(&v, &t), v, "{t}");
        }
    }

    #[test]
    fn round_trips_nested_structures() {
        let (v, t) = (big_value(), big_type());
        assert_eq!(round_trip(&v, &t), v);
        for ty in [
            Type::list(Type::String),
            Type::set(Type::Number),
            Type::map(Type::Bool),
            Type::Tuple(vec![Type::Bool]),
            big_type(),
        ] {
            assert_eq!(round_trip(&Value::Null, &ty), Value::Null);
            assert_eq!(round_trip(&Value::Unknown, &ty), Value::Unknown);
        }
        let empty = Type::object(Vec::<(String, Type)>::new());
        assert_eq!(
            round_trip(&Value::object(Vec::<(String, Value)>::new()), &empty),
            Value::object(Vec::<(String, Value)>::new())
        );
        assert_eq!(
            round_trip(&Value::Tuple(vec![]), &Type::Tuple(vec![])),
            Value::Tuple(vec![])
        );
    }

    #[test]
    fn json_round_trips_known_values() {
        // JSON cannot carry unknowns; replace them.
        fn known(v: Value) -> Value {
            match v {
                Value::Unknown => Value::Null,
                Value::List(x) => Value::List(x.into_iter().map(known).collect()),
                Value::Set(x) => Value::Set(x.into_iter().map(known).collect()),
                Value::Tuple(x) => Value::Tuple(x.into_iter().map(known).collect()),
                Value::Map(x) => Value::Map(x.into_iter().map(|(k, v)| (k, known(v))).collect()),
                Value::Object(x) => {
                    Value::Object(x.into_iter().map(|(k, v)| (k, known(v))).collect())
                }
                other => other,
            }
        }
        let t = big_type();
        let v = known(big_value());
        assert!(v.is_wholly_known());
        let j = encode_json(&v, &t).unwrap();
        let bytes = serde_json::to_vec(&j).unwrap();
        assert_eq!(decode_json(&bytes, &t).unwrap(), v);
    }

    #[test]
    fn unknown_wire_forms() {
        assert_eq!(
            encode_msgpack(&Value::Unknown, &Type::String).unwrap(),
            [0xd4, 0, 0]
        );
        assert_eq!(
            encode_msgpack(&Value::Unknown, &big_type()).unwrap(),
            [0xd4, 0, 0]
        );
        assert_eq!(
            decode_msgpack(&[0xd4, 0, 0], &Type::Bool).unwrap(),
            Value::Unknown
        );
        // Refined unknown: ext8, 3 bytes, type 12, payload {1: false}.
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(
            decode_msgpack(&refined, &Type::String).unwrap(),
            Value::Unknown
        );
        // fixext1 type 12 with an arbitrary payload byte.
        assert_eq!(
            decode_msgpack(&[0xd4, 0x0c, 0x80], &Type::list(Type::Number)).unwrap(),
            Value::Unknown
        );
        // Unknown nested in an object.
        let t = Type::object([("a", Type::String)]);
        let bytes = [0x81, 0xa1, b'a', 0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(
            decode_msgpack(&bytes, &t).unwrap(),
            Value::object([("a", Value::Unknown)])
        );
        assert!(!decode_msgpack(&bytes, &t).unwrap().is_wholly_known());
    }

    #[test]
    fn null_wire_form() {
        assert_eq!(encode_msgpack(&Value::Null, &Type::String).unwrap(), [0xc0]);
        assert_eq!(decode_msgpack(&[0xc0], &big_type()).unwrap(), Value::Null);
    }

    #[test]
    fn integer_encodings() {
        let enc = |i: i64| encode_msgpack(&int(i), &Type::Number).unwrap();
        assert_eq!(enc(0), [0x00]);
        assert_eq!(enc(5), [0x05]);
        assert_eq!(enc(127), [0x7f]);
        assert_eq!(enc(200), [0xcc, 0xc8]);
        assert_eq!(enc(-1), [0xff]);
        assert_eq!(enc(-32), [0xe0]);
        assert_eq!(enc(-33), [0xd0, 0xdf]);
        assert_eq!(
            enc(i64::MAX),
            [0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(enc(i64::MIN), [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        // An integral float is sent as an integer.
        assert_eq!(
            encode_msgpack(&Value::Number(Number::Float(3.0)), &Type::Number).unwrap(),
            [0x03]
        );
        // An integral decimal too.
        assert_eq!(
            encode_msgpack(&dec("1e3"), &Type::Number).unwrap(),
            [0xcd, 0x03, 0xe8]
        );
    }

    #[test]
    fn integer_decodings() {
        let d = |b: &[u8]| decode_msgpack(b, &Type::Number).unwrap();
        assert_eq!(d(&[0x05]), int(5));
        assert_eq!(d(&[0xff]), int(-1));
        assert_eq!(d(&[0xd1, 0xff, 0x00]), int(-256));
        assert_eq!(d(&[0xcd, 0x01, 0x00]), int(256));
        assert_eq!(
            d(&[0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            int(i64::MAX)
        );
        // u64 above i64::MAX becomes a decimal.
        assert_eq!(
            d(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            dec("18446744073709551615")
        );
    }

    #[test]
    fn float_and_decimal_wire_forms() {
        let f = encode_msgpack(&Value::Number(Number::Float(1.5)), &Type::Number).unwrap();
        assert_eq!(f, [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            decode_msgpack(&f, &Type::Number).unwrap(),
            Value::Number(Number::Float(1.5))
        );
        // float32
        assert_eq!(
            decode_msgpack(&[0xca, 0x3f, 0xc0, 0, 0], &Type::Number).unwrap(),
            Value::Number(Number::Float(1.5))
        );
        let big = "123456789012345678901234567890";
        let bytes = encode_msgpack(&dec(big), &Type::Number).unwrap();
        assert_eq!(bytes[0], 0xbe); // fixstr of 30 bytes
        assert_eq!(&bytes[1..], big.as_bytes());
        assert_eq!(decode_msgpack(&bytes, &Type::Number).unwrap(), dec(big));
        // Strings holding small integers decode as Int.
        assert_eq!(
            decode_msgpack(&[0xa2, b'4', b'2'], &Type::Number).unwrap(),
            int(42)
        );
        assert_eq!(
            decode_msgpack(&[0xa3, b'1', b'e', b'2'], &Type::Number).unwrap(),
            int(100)
        );
        assert_eq!(
            decode_msgpack(&[0xa5, b'1', b'e', b'4', b'0', b'0'], &Type::Number).unwrap(),
            dec("1e400")
        );
        // Non-numeric strings are errors.
        for bad in [
            "abc", "", "1e", "-", ".", "1.2.3", "0x10", "NaN", "inf", " 1",
        ] {
            let mut bytes = vec![0xa0 | bad.len() as u8];
            bytes.extend_from_slice(bad.as_bytes());
            assert!(decode_msgpack(&bytes, &Type::Number).is_err(), "{bad:?}");
        }
        assert!(encode_msgpack(&dec("twelve"), &Type::Number).is_err());
        assert!(encode_msgpack(&Value::Number(Number::Float(f64::NAN)), &Type::Number).is_err());
    }

    #[test]
    fn decimal_parsing() {
        let i = |s: &str| parse_decimal(s).and_then(|d| d.to_i64());
        assert_eq!(i("0"), Some(0));
        assert_eq!(i("-0.000"), Some(0));
        assert_eq!(i("+17"), Some(17));
        assert_eq!(i("1.50e1"), Some(15));
        assert_eq!(i("1.5"), None);
        assert_eq!(i("9223372036854775807"), Some(i64::MAX));
        assert_eq!(i("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(i("9223372036854775808"), None);
        assert_eq!(i("1e19"), None);
        assert_eq!(i("1e99999999999999999999999"), None);
        assert_eq!(i("1e-99999999999999999999999"), None);
        assert_eq!(i("0e99999999999999999999999"), Some(0));
        assert_eq!(i("12000e-3"), Some(12));
        assert_eq!(i(".5e1"), Some(5));
        assert_eq!(i("5."), Some(5));
        assert!(parse_decimal("e5").is_none());
        assert!(parse_decimal("1e+").is_none());
    }

    #[test]
    fn accessors() {
        assert_eq!(Value::Number(Number::Float(4.0)).as_i64(), Some(4));
        assert_eq!(Value::Number(Number::Float(4.5)).as_i64(), None);
        assert_eq!(Value::Number(Number::Float(1e19)).as_i64(), None);
        assert_eq!(dec("100.0").as_i64(), Some(100));
        assert_eq!(dec("0.1").as_f64(), Some(0.1));
        assert_eq!(Value::string("7").as_i64(), None);
        assert_eq!(Value::string("x").as_str(), Some("x"));
        assert_eq!(int(1).as_str(), None);
        assert_eq!(Value::Bool(true).as_bool(), Some(true));
        let o = Value::object([("a", int(1))]);
        assert_eq!(o.attr("a"), Some(&int(1)));
        assert_eq!(o.attr("b"), None);
        assert_eq!(Value::Map(BTreeMap::new()).attr("a"), None);
        assert!(Value::null_of(&Type::String).is_null());
        assert!(Value::Unknown.is_unknown());
        assert!(!big_value().is_wholly_known());
        assert!(Value::Null.is_wholly_known());
    }

    #[test]
    fn object_attributes_missing_and_extra() {
        let t = Type::object([("a", Type::String), ("b", Type::Number)]);
        // {"a": "x", "zzz": [1, {}]}: b missing, zzz unknown to the type.
        let bytes = [
            0x82, 0xa1, b'a', 0xa1, b'x', 0xa3, b'z', b'z', b'z', 0x92, 0x01, 0x80,
        ];
        assert_eq!(
            decode_msgpack(&bytes, &t).unwrap(),
            Value::object([("a", Value::string("x")), ("b", Value::Null)])
        );
        // Extra attributes of every kind are skipped.
        let extra = Value::object([
            ("a", Value::string("x")),
            ("b", int(2)),
            ("c", big_value()),
            ("d", Value::Number(Number::Float(0.5))),
            ("e", dec("1e400")),
        ]);
        let wide = Type::object([
            ("a", Type::String),
            ("b", Type::Number),
            ("c", big_type()),
            ("d", Type::Number),
            ("e", Type::Number),
        ]);
        let bytes = encode_msgpack(&extra, &wide).unwrap();
        assert_eq!(
            decode_msgpack(&bytes, &t).unwrap(),
            Value::object([("a", Value::string("x")), ("b", int(2))])
        );
        // Encoding writes every attribute, missing ones as nil, in sorted order.
        let enc = encode_msgpack(&Value::object([("b", int(1))]), &t).unwrap();
        assert_eq!(enc, [0x82, 0xa1, b'a', 0xc0, 0xa1, b'b', 0x01]);
        // A value attribute the type does not have is an error when encoding.
        let e = encode_msgpack(&Value::object([("c", int(1))]), &t).unwrap_err();
        assert_eq!(e.path, AttrPath::attr("c"));
    }

    #[test]
    fn json_state_document() {
        let t = Type::object([
            ("id", Type::String),
            ("paused", Type::Bool),
            ("timeout", Type::Number),
            ("ratio", Type::Number),
            ("big", Type::Number),
            ("labels", Type::map(Type::String)),
            (
                "tasks",
                Type::list(Type::object([("name", Type::String), ("ok", Type::Bool)])),
            ),
            ("ids", Type::set(Type::Number)),
            ("missing", Type::String),
        ]);
        let state = br#"{
            "id": "task-1",
            "paused": true,
            "timeout": "30",
            "ratio": 0.25,
            "big": "123456789012345678901234567890",
            "labels": {"a": "b"},
            "tasks": [{"name": "t1", "ok": false, "removed_attr": 7}, {"name": null}],
            "ids": [3, 1],
            "schema_version_leftover": {"x": 1}
        }"#;
        let v = decode_json(state, &t).unwrap();
        assert_eq!(
            v,
            Value::object([
                ("id", Value::string("task-1")),
                ("paused", Value::Bool(true)),
                ("timeout", int(30)),
                ("ratio", Value::Number(Number::Float(0.25))),
                ("big", dec("123456789012345678901234567890")),
                (
                    "labels",
                    Value::Map(BTreeMap::from([("a".to_owned(), Value::string("b"))]))
                ),
                (
                    "tasks",
                    Value::List(vec![
                        Value::object([("name", Value::string("t1")), ("ok", Value::Bool(false))]),
                        Value::object([("name", Value::Null), ("ok", Value::Null)]),
                    ])
                ),
                ("ids", Value::Set(vec![int(3), int(1)])),
                ("missing", Value::Null),
            ])
        );
        let back = encode_json(&v, &t).unwrap();
        assert_eq!(back["big"], json!("123456789012345678901234567890"));
        assert_eq!(back["timeout"], json!(30));
        assert_eq!(back["missing"], json!(null));
        assert_eq!(back["tasks"][1], json!({"name": null, "ok": null}));
    }

    #[test]
    fn json_numbers() {
        let d = |text: &str| decode_json(text.as_bytes(), &Type::Number).unwrap();
        assert_eq!(d("42"), int(42));
        assert_eq!(d("-7"), int(-7));
        assert_eq!(d("18446744073709551615"), dec("18446744073709551615"));
        assert_eq!(d("2.5"), Value::Number(Number::Float(2.5)));
        assert_eq!(d(r#""1e400""#), dec("1e400"));
        assert_eq!(d(r#""12""#), int(12));
        // Beyond u64 as a bare JSON number: read as f64.
        assert_eq!(
            d("123456789012345678901234567890"),
            Value::Number(Number::Float(1.2345678901234568e29))
        );
        assert!(decode_json(br#""twelve""#, &Type::Number).is_err());
        assert!(decode_json(b"true", &Type::Number).is_err());
        // cty-style primitive conversions into strings and bools.
        assert_eq!(
            decode_json(b"12", &Type::String).unwrap(),
            Value::string("12")
        );
        assert_eq!(
            decode_json(br#""true""#, &Type::Bool).unwrap(),
            Value::Bool(true)
        );
        assert!(decode_json(br#""yes""#, &Type::Bool).is_err());
        // Encoding.
        let e = |v: Value| encode_json(&v, &Type::Number).unwrap();
        assert_eq!(e(int(i64::MIN)), json!(i64::MIN));
        assert_eq!(e(Value::Number(Number::Float(0.5))), json!(0.5));
        assert_eq!(e(Value::Number(Number::Float(8.0))), json!(8));
        assert_eq!(e(dec("1e400")), json!("1e400"));
        assert_eq!(e(dec("1.5e2")), json!(150));
    }

    #[test]
    fn json_errors() {
        let t = Type::object([("a", Type::list(Type::Number))]);
        assert_eq!(
            err_path(decode_json(br#"{"a": [1, "x"]}"#, &t)),
            path(vec![attr("a"), PathStep::Index(1)])
        );
        assert!(err_path(decode_json(br#"{"a": [1"#, &t)).is_root());
        assert!(err_path(decode_json(br#"{"a": []} x"#, &t)).is_root());
        assert!(err_path(decode_json(br#"[]"#, &t)).is_root());
        let e = encode_json(&Value::object([("a", Value::Unknown)]), &t).unwrap_err();
        assert_eq!(e.path, AttrPath::attr("a"));
        assert!(e.message.contains("unknown"));
        // Deeply nested JSON is rejected without overflowing the stack.
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(decode_json(deep.as_bytes(), &Type::list(Type::String)).is_err());
        assert!(encode_json(&Value::Number(Number::Float(f64::INFINITY)), &Type::Number).is_err());
        assert!(encode_json(&int(1), &Type::String).is_err());
        assert!(decode_json(b"1", &Type::Dynamic).is_err());
    }

    #[test]
    fn error_display() {
        let e = ValueError::new(AttrPath::root(), "bad");
        assert_eq!(e.to_string(), "bad at the top level");
        let e = ValueError::new(
            path(vec![
                attr("a"),
                PathStep::Key("k".to_owned()),
                PathStep::Index(0),
            ]),
            "bad",
        );
        assert_eq!(e.to_string(), "bad at a[\"k\"][0]");
    }

    #[test]
    fn malformed_truncated() {
        let t = big_type();
        let full = encode_msgpack(&big_value(), &t).unwrap();
        for cut in 0..full.len() {
            let e = decode_msgpack(&full[..cut], &t).unwrap_err();
            assert!(e.message.contains("truncated"), "cut at {cut}: {e}");
        }
        let e = decode_msgpack(&[0xa5, b'a'], &Type::String).unwrap_err();
        assert!(e.path.is_root());
        assert!(e.message.contains("truncated"), "{e}");
        // A truncation inside an attribute names the attribute.
        let t = Type::object([("outer", Type::object([("flag", Type::String)]))]);
        let bytes = [
            0x81, 0xa5, b'o', b'u', b't', b'e', b'r', 0x81, 0xa4, b'f', b'l', b'a', b'g', 0xa3,
            b'y',
        ];
        let e = decode_msgpack(&bytes, &t).unwrap_err();
        assert_eq!(e.path, path(vec![attr("outer"), attr("flag")]));
        assert_eq!(
            e.to_string(),
            "truncated msgpack: unexpected end of input at outer.flag"
        );
    }

    #[test]
    fn malformed_trailing_bytes() {
        let e = decode_msgpack(&[0xc3, 0x00], &Type::Bool).unwrap_err();
        assert!(e.path.is_root());
        assert!(e.message.contains("unexpected bytes"), "{e}");
        let mut bytes = encode_msgpack(&big_value(), &big_type()).unwrap();
        bytes.extend_from_slice(b"garbage");
        assert!(decode_msgpack(&bytes, &big_type()).is_err());
    }

    #[test]
    fn malformed_wrong_type_names_the_attribute() {
        let t = Type::object([("outer", Type::object([("flag", Type::Bool)]))]);
        // {"outer": {"flag": "yes"}}
        let bytes = [
            0x81, 0xa5, b'o', b'u', b't', b'e', b'r', 0x81, 0xa4, b'f', b'l', b'a', b'g', 0xa3,
            b'y', b'e', b's',
        ];
        let e = decode_msgpack(&bytes, &t).unwrap_err();
        assert_eq!(e.path, path(vec![attr("outer"), attr("flag")]));
        assert_eq!(
            e.to_string(),
            "expected bool, got msgpack string at outer.flag"
        );

        // Wrong type in a map value and a list element.
        let t = Type::map(Type::list(Type::Number));
        // {"k": [1, true]}
        let bytes = [0x81, 0xa1, b'k', 0x92, 0x01, 0xc3];
        assert_eq!(
            err_path(decode_msgpack(&bytes, &t)),
            path(vec![PathStep::Key("k".to_owned()), PathStep::Index(1)])
        );
        // Set element and tuple element.
        assert_eq!(
            err_path(decode_msgpack(
                &[0x92, 0xa1, b'a', 0x01],
                &Type::set(Type::String)
            )),
            path(vec![PathStep::Index(1)])
        );
        assert_eq!(
            err_path(decode_msgpack(
                &[0x92, 0xa1, b'a', 0xa1, b'b'],
                &Type::Tuple(vec![Type::String, Type::Bool])
            )),
            path(vec![PathStep::Index(1)])
        );
        // Tuple of the wrong length.
        assert!(decode_msgpack(&[0x91, 0xc3], &Type::Tuple(vec![Type::Bool, Type::Bool])).is_err());
        // Top-level mismatch.
        assert!(err_path(decode_msgpack(&[0x01], &Type::String)).is_root());
        assert!(err_path(decode_msgpack(&[0x90], &Type::map(Type::String))).is_root());
    }

    #[test]
    fn malformed_map_keys() {
        // {1: "a"} as a map and as an object.
        let bytes = [0x81, 0x01, 0xa1, b'a'];
        assert!(err_path(decode_msgpack(&bytes, &Type::map(Type::String))).is_root());
        let t = Type::object([("x", Type::map(Type::String))]);
        // {"x": {1: "a"}}
        let bytes = [0x81, 0xa1, b'x', 0x81, 0x01, 0xa1, b'a'];
        let e = decode_msgpack(&bytes, &t).unwrap_err();
        assert_eq!(e.path, AttrPath::attr("x"));
        assert!(e.message.contains("map keys must be strings"), "{e}");
        let obj = Type::object([("a", Type::String)]);
        assert!(decode_msgpack(&[0x81, 0xc0, 0xc0], &obj).is_err());
        // Duplicate keys.
        let bytes = [0x82, 0xa1, b'k', 0x01, 0xa1, b'k', 0x02];
        assert_eq!(
            err_path(decode_msgpack(&bytes, &Type::map(Type::Number))),
            path(vec![PathStep::Key("k".to_owned())])
        );
    }

    #[test]
    fn malformed_extension_types() {
        let e = decode_msgpack(&[0xd4, 0x05, 0x00], &Type::String).unwrap_err();
        assert!(e.message.contains("extension type 5"), "{e}");
        let t = Type::list(Type::String);
        assert_eq!(
            err_path(decode_msgpack(&[0x91, 0xd4, 0x05, 0x00], &t)),
            path(vec![PathStep::Index(0)])
        );
        assert!(decode_msgpack(&[0xd4, 0xff, 0x00], &Type::String).is_err());
    }

    #[test]
    fn malformed_deep_nesting() {
        let mut bytes = vec![0x91; 10_000];
        bytes.push(0xc0);
        let mut ty = Type::String;
        for _ in 0..10 {
            ty = Type::list(ty);
        }
        assert!(decode_msgpack(&bytes, &ty).is_err());
        assert!(decode_msgpack(&bytes, &Type::String).is_err());
        let mut deep_ty = Type::String;
        for _ in 0..200 {
            deep_ty = Type::list(deep_ty);
        }
        let e = decode_msgpack(&bytes, &deep_ty).unwrap_err();
        assert_eq!(e.path.0.len(), MAX_VALUE_DEPTH);
        assert!(e.message.contains("nested"), "{e}");
        // The same bytes under an attribute the type does not know, which is skipped.
        let t = Type::object([("a", Type::String)]);
        let mut skipped = vec![0x81, 0xa1, b'z'];
        skipped.extend_from_slice(&bytes);
        let e = decode_msgpack(&skipped, &t).unwrap_err();
        assert_eq!(e.path, AttrPath::attr("z"));
        assert!(e.message.contains("nested"), "{e}");
        // Just past the limit.
        let mut past = vec![0x91; MAX_VALUE_DEPTH + 1];
        past.push(0xc0);
        let e = decode_msgpack(&past, &deep_ty).unwrap_err();
        assert_eq!(e.path.0.len(), MAX_VALUE_DEPTH);
        assert!(e.message.contains("nested"), "{e}");
        // Encoding refuses the same depth.
        let mut v = Value::Null;
        for _ in 0..100 {
            v = Value::List(vec![v]);
        }
        assert!(encode_msgpack(&v, &deep_ty).is_err());
        assert!(encode_json(&v, &deep_ty).is_err());
        // Up to the limit works.
        let mut v = Value::string("leaf");
        let mut ty = Type::String;
        for _ in 0..MAX_VALUE_DEPTH {
            v = Value::List(vec![v]);
            ty = Type::list(ty);
        }
        assert_eq!(round_trip(&v, &ty), v);
        let mut v = Value::object([("a", Value::Unknown)]);
        let mut ty = Type::object([("a", Type::Number)]);
        for _ in 0..MAX_VALUE_DEPTH - 1 {
            v = Value::object([("a", v)]);
            ty = Type::object([("a", ty)]);
        }
        assert_eq!(round_trip(&v, &ty), v);
    }

    #[test]
    fn malformed_absurd_lengths() {
        let start = std::time::Instant::now();
        // array32 claiming 2^32 - 1 elements with 3 bytes of input.
        let bytes = [0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03];
        assert!(decode_msgpack(&bytes, &Type::list(Type::Number)).is_err());
        // map32, str32, bin32, ext32 likewise.
        for marker in [0xdf, 0xdb, 0xc6, 0xc9] {
            let bytes = [marker, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03];
            assert!(decode_msgpack(&bytes, &Type::map(Type::String)).is_err());
            assert!(decode_msgpack(&bytes, &Type::String).is_err());
        }
        // The same under an attribute that is skipped.
        let t = Type::object([("a", Type::String)]);
        for marker in [0xdd, 0xdf, 0xdb, 0xc6, 0xc9] {
            let bytes = [
                0x81, 0xa1, b'z', marker, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03,
            ];
            let e = decode_msgpack(&bytes, &t).unwrap_err();
            assert_eq!(e.path, AttrPath::attr("z"));
        }
        // Header only.
        assert!(decode_msgpack(&[0xdd, 0xff, 0xff], &Type::list(Type::Number)).is_err());
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn malformed_misc() {
        assert!(decode_msgpack(&[], &Type::String).is_err());
        assert!(decode_msgpack(&[0xc1], &Type::String).is_err()); // reserved marker
        assert!(decode_msgpack(&[0xa2, 0xff, 0xfe], &Type::String).is_err()); // bad UTF-8
        let e = decode_msgpack(&[0x01], &Type::Dynamic).unwrap_err();
        assert_eq!(e.message, "dynamic values are not supported");
        assert!(encode_msgpack(&Value::string("x"), &Type::Dynamic).is_err());
        assert!(
            decode_msgpack(&[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], &Type::Number).is_err(),
            "NaN"
        );
    }

    #[test]
    fn encode_rejects_nonconforming_values() {
        let t = Type::object([("a", Type::Bool), ("l", Type::list(Type::Number))]);
        let e = encode_msgpack(&Value::object([("a", Value::string("x"))]), &t).unwrap_err();
        assert_eq!(e.path, AttrPath::attr("a"));
        assert_eq!(e.to_string(), "expected bool, got string at a");
        let v = Value::object([("l", Value::List(vec![int(1), Value::Bool(true)]))]);
        assert_eq!(
            encode_msgpack(&v, &t).unwrap_err().path,
            path(vec![attr("l"), PathStep::Index(1)])
        );
        assert!(encode_msgpack(&Value::Set(vec![]), &Type::list(Type::String)).is_err());
        assert!(encode_msgpack(&Value::Map(BTreeMap::new()), &t).is_err());
        assert!(
            encode_msgpack(
                &Value::Tuple(vec![int(1)]),
                &Type::Tuple(vec![Type::Number; 2])
            )
            .is_err()
        );
    }

    #[test]
    fn mutated_inputs_never_panic() {
        // A deterministic xorshift generator: no dependency, reproducible failures.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let t = big_type();
        let base = encode_msgpack(&big_value(), &t).unwrap();
        let json_base = serde_json::to_vec(&json!({
            "id": "x", "count": 1, "tags": {"a": "b"}, "zones": ["z"],
            "pair": ["p", 2], "rules": [{"port": 1, "cidrs": ["c"], "meta": {"m": [true]}}]
        }))
        .unwrap();
        assert!(decode_json(&json_base, &t).is_ok());
        for _ in 0..20_000 {
            for input in [&base, &json_base] {
                let mut bytes = input.clone();
                for _ in 0..(next() % 4 + 1) {
                    let at = (next() % bytes.len() as u64) as usize;
                    match next() % 3 {
                        0 => bytes[at] = next() as u8,
                        1 => {
                            bytes.remove(at);
                        }
                        _ => bytes.insert(at, next() as u8),
                    }
                }
                let _ = decode_msgpack(&bytes, &t);
                let _ = decode_json(&bytes, &t);
            }
        }
    }

    #[test]
    fn binary_accepted_as_string() {
        assert_eq!(
            decode_msgpack(&[0xc4, 0x02, b'h', b'i'], &Type::String).unwrap(),
            Value::string("hi")
        );
    }
}
