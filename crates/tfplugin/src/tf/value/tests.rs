//! The codecs against hand-written wire bytes, round trips, and malformed input that
//! must fail with a path instead of panicking.

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::tf::path::PathStep;
use crate::tf::types::Type;

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
            Value::Object(x) => Value::Object(x.into_iter().map(|(k, v)| (k, known(v))).collect()),
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
        0x81, 0xa5, b'o', b'u', b't', b'e', b'r', 0x81, 0xa4, b'f', b'l', b'a', b'g', 0xa3, b'y',
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
        0x81, 0xa5, b'o', b'u', b't', b'e', b'r', 0x81, 0xa4, b'f', b'l', b'a', b'g', 0xa3, b'y',
        b'e', b's',
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
