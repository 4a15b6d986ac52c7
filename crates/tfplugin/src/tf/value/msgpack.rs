//! The MessagePack form of values (`DynamicValue.msgpack`): a cursor over untrusted bytes
//! ([`Reader`]) and the walk that decodes them against a type, or encodes a value for one.

use std::collections::BTreeMap;

use super::decimal::{float_to_i64, parse_decimal};
use super::model::{Number, Value};
use super::walk::{DYNAMIC_UNSUPPORTED, Walker, truncate, value_kind};
use super::{MAX_VALUE_DEPTH, ValueError};
use crate::tf::path::{AttrPath, PathStep};
use crate::tf::types::Type;

/// The MessagePack extension type cty uses for an unknown value.
const EXT_UNKNOWN: i8 = 0;
/// The MessagePack extension type cty uses for an unknown value with refinements.
const EXT_REFINED_UNKNOWN: i8 = 12;
/// How cty writes an unknown value: fixext1, type 0, one zero byte of payload.
const UNKNOWN_BYTES: [u8; 3] = [0xd4, 0x00, 0x00];

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

impl Walker {
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
                self.tuple_len(elems.len(), len)?;
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
            (Type::String, Value::String(s)) => self.write_str(s, out),
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
                self.tuple_len(elems.len(), items.len())?;
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
                        w.write_str(key, out)?;
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
                        w.write_str(name, out)?;
                        w.write_msgpack(item, attr_ty, out)
                    })?;
                }
                Ok(())
            }
            (ty, value) => Err(self.err(format!("expected {ty}, got {}", value_kind(value)))),
        }
    }

    /// Writes a string: its length header, then its bytes.
    fn write_str(&self, s: &str, out: &mut Vec<u8>) -> Result<(), ValueError> {
        self.write_len(rmp::encode::write_str_len, s.len(), out)?;
        out.extend_from_slice(s.as_bytes());
        Ok(())
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
                    // Terraform parses numbers sent as strings at full precision.
                    None => return self.write_str(s, out),
                }
            }
        };
        written.map_err(|e| self.err(format!("failed to write msgpack number: {e}")))
    }
}
