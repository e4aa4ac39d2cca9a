//! The `convex_encoded_json` encoding: what values look like on the WebSocket and in
//! `/api/*` bodies.
//!
//! Plain JSON for null, booleans, strings, arrays, objects and ordinary floats; wrappers for the
//! rest: `{"$integer": base64(8 LE bytes)}`, `{"$float": base64(8 LE bytes)}` for NaN, the
//! infinities and -0, and `{"$bytes": base64}`. Every plain JSON number decodes to a float64.
use crate::base64;

use serde_json::{Map, Number, Value as Json};

use super::model::{validate_field_name, Object, Value, ValueError};
use crate::json::WrapperContent;

/// The largest integer a JS `number` holds exactly (2^53).
const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

impl Value {
    /// Encodes this value as `convex_encoded_json`.
    ///
    /// Integral floats are written without a fraction (`1`, not `1.0`), as `JSON.stringify` does,
    /// so the text matches the official client byte for byte.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Boolean(b) => Json::Bool(*b),
            Value::Int64(i) => wrapper("$integer", base64::encode(&i.to_le_bytes())),
            Value::Float64(f) => float_to_json(*f),
            Value::String(s) => Json::String(s.clone()),
            Value::Bytes(b) => wrapper("$bytes", base64::encode(b)),
            Value::Array(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(fields) => {
                // Inserted one by one, already in order: collecting would sort them again
                // (a stable sort is 8 KB of wasm).
                let mut object = Map::new();
                for (k, v) in fields {
                    object.insert(k.clone(), v.to_json());
                }
                Json::Object(object)
            }
        }
    }

    /// Decodes `convex_encoded_json`, checking wrappers and field names as the backend does.
    pub fn from_json(json: &Json) -> Result<Value, ValueError> {
        Ok(match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Boolean(*b),
            Json::Number(n) => Value::Float64(n.as_f64().unwrap_or(f64::NAN)),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(
                items
                    .iter()
                    .map(Value::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(map) => {
                if map.len() == 1 {
                    if let Some((key, inner)) = map.iter().next() {
                        if key.starts_with('$') {
                            return decode_wrapper(key, inner);
                        }
                    }
                }
                let mut fields = Object::new();
                for (k, v) in map {
                    validate_field_name(k)?;
                    fields.insert(k.clone(), Value::from_json(v)?);
                }
                Value::Object(fields)
            }
        })
    }
}

impl Value {
    /// [`from_json`](Value::from_json) for an owned value: strings, arrays and objects are moved,
    /// not copied (the client's hot path: every query result goes through here).
    pub fn from_json_owned(json: Json) -> Result<Value, ValueError> {
        Ok(match json {
            Json::String(s) => Value::String(s),
            Json::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(Value::from_json_owned)
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(map) => {
                if map.len() == 1 && map.keys().next().is_some_and(|k| k.starts_with('$')) {
                    let (key, inner) = map.into_iter().next().unwrap_or_default();
                    return decode_wrapper(&key, &inner);
                }
                let mut fields = Object::new();
                for (k, v) in map {
                    validate_field_name(&k)?;
                    let v = Value::from_json_owned(v)?;
                    fields.insert(k, v);
                }
                Value::Object(fields)
            }
            other => Value::from_json(&other)?,
        })
    }
}

fn wrapper(key: &str, content: String) -> Json {
    let mut m = Map::new();
    m.insert(key.to_owned(), Json::String(content));
    Json::Object(m)
}

fn float_to_json(f: f64) -> Json {
    let negative_zero = f == 0.0 && f.is_sign_negative();
    if !f.is_finite() || negative_zero {
        return wrapper("$float", base64::encode(&f.to_le_bytes()));
    }
    if f.fract() == 0.0 && f.abs() < MAX_SAFE {
        // Exact: |f| < 2^53 fits in i64 without rounding.
        return Json::Number(Number::from(f as i64));
    }
    Number::from_f64(f).map_or(Json::Null, Json::Number)
}

impl<'a> From<&'a Json> for WrapperContent<'a> {
    fn from(j: &'a Json) -> Self {
        match j {
            Json::String(s) => WrapperContent::Str(s),
            Json::Null => WrapperContent::Null,
            _ => WrapperContent::Other,
        }
    }
}

fn content_text<'a>(
    wrapper: &'static str,
    inner: WrapperContent<'a>,
) -> Result<&'a str, ValueError> {
    match inner {
        WrapperContent::Str(s) => Ok(s),
        _ => Err(ValueError::MalformedWrapper {
            wrapper,
            reason: "content is not a string".into(),
        }),
    }
}

fn decode_eight(wrapper: &'static str, inner: WrapperContent) -> Result<[u8; 8], ValueError> {
    let bytes = base64::decode(content_text(wrapper, inner)?).map_err(|e| {
        ValueError::MalformedWrapper {
            wrapper,
            reason: e.to_string(),
        }
    })?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| ValueError::MalformedWrapper {
            wrapper,
            reason: format!("expected 8 bytes, found {}", bytes.len()),
        })
}

pub(crate) fn decode_wrapper(key: &str, inner: &Json) -> Result<Value, ValueError> {
    decode_wrapper_content(key, inner.into())
}

pub(crate) fn decode_wrapper_content(
    key: &str,
    inner: WrapperContent,
) -> Result<Value, ValueError> {
    match key {
        "$integer" => Ok(Value::Int64(i64::from_le_bytes(decode_eight(
            "$integer", inner,
        )?))),
        "$float" => {
            let f = f64::from_le_bytes(decode_eight("$float", inner)?);
            let special = !f.is_finite() || (f == 0.0 && f.is_sign_negative());
            if special {
                Ok(Value::Float64(f))
            } else {
                Err(ValueError::MalformedWrapper {
                    wrapper: "$float",
                    reason: "an ordinary float must be sent as a plain JSON number".into(),
                })
            }
        }
        "$bytes" => base64::decode(content_text("$bytes", inner)?)
            .map(Value::Bytes)
            .map_err(|e| ValueError::MalformedWrapper {
                wrapper: "$bytes",
                reason: e.to_string(),
            }),
        // The commit-ts placeholder only exists inside the mutation that writes it; a client
        // never needs its value, so it reads as null.
        "$commitTs" if matches!(inner, WrapperContent::Null) => Ok(Value::Null),
        other => Err(ValueError::UnsupportedWrapper(other.to_owned())),
    }
}

/// Encodes function arguments as the one-element array the WebSocket protocol sends.
pub fn args_to_wire(args: &Object) -> Json {
    Json::Array(vec![Value::Object(args.clone()).to_json()])
}

/// [`args_to_wire`] written straight to text, with no JSON tree in between: the same bytes as
/// `args_to_wire(args).to_string()`.
pub fn args_to_text(args: &Object) -> String {
    let mut out = String::from("[");
    write_object(&mut out, args);
    out.push(']');
    out
}

impl Value {
    /// The value's `convex_encoded_json` text, written directly: the same bytes as
    /// `self.to_json().to_string()`.
    pub fn to_json_text(&self) -> String {
        let mut out = String::new();
        write_value(&mut out, self);
        out
    }
}

/// Writes a value in its wire encoding (wrappers for int64, bytes and special floats), as
/// serde_json writes the JSON tree of [`Value::to_json`].
fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int64(i) => write_wrapped(out, "$integer", &base64::encode(&i.to_le_bytes())),
        Value::Float64(f) => {
            let f = *f;
            if !f.is_finite() || (f == 0.0 && f.is_sign_negative()) {
                write_wrapped(out, "$float", &base64::encode(&f.to_le_bytes()))
            } else if f.fract() == 0.0 && f.abs() < MAX_SAFE {
                use std::fmt::Write;
                let _ = write!(out, "{}", f as i64);
            } else {
                crate::json::write_f64(out, f)
            }
        }
        Value::String(v) => crate::json::write_str(out, v),
        Value::Bytes(b) => write_wrapped(out, "$bytes", &base64::encode(b)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(fields) => write_object(out, fields),
    }
}

fn write_object(out: &mut String, fields: &Object) {
    out.push('{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::json::write_str(out, k);
        out.push(':');
        write_value(out, v);
    }
    out.push('}');
}

/// `{"$integer":"<base64>"}`: neither the key nor base64 needs escaping.
fn write_wrapped(out: &mut String, key: &str, base64: &str) {
    out.push_str("{\"");
    out.push_str(key);
    out.push_str("\":\"");
    out.push_str(base64);
    out.push_str("\"}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn enc(v: Value) -> String {
        v.to_json().to_string()
    }

    #[test]
    fn vectors_match_the_official_client() {
        assert_eq!(enc(Value::Int64(1)), r#"{"$integer":"AQAAAAAAAAA="}"#);
        assert_eq!(enc(Value::Int64(-1)), r#"{"$integer":"//////////8="}"#);
        assert_eq!(enc(Value::Int64(1 << 62)), r#"{"$integer":"AAAAAAAAAEA="}"#);
        assert_eq!(
            enc(Value::Float64(f64::NAN)),
            r#"{"$float":"AAAAAAAA+H8="}"#
        );
        assert_eq!(
            enc(Value::Float64(f64::INFINITY)),
            r#"{"$float":"AAAAAAAA8H8="}"#
        );
        assert_eq!(
            enc(Value::Float64(f64::NEG_INFINITY)),
            r#"{"$float":"AAAAAAAA8P8="}"#
        );
        assert_eq!(enc(Value::Float64(-0.0)), r#"{"$float":"AAAAAAAAAIA="}"#);
        assert_eq!(enc(Value::Float64(0.0)), "0");
        assert_eq!(enc(Value::Float64(1.5)), "1.5");
        assert_eq!(enc(Value::Bytes(vec![1, 2, 3])), r#"{"$bytes":"AQID"}"#);
    }

    #[test]
    fn floats_parse_exactly() {
        // serde_json's default parser is off by one ulp here; `float_roundtrip` fixes it.
        for text in [
            "1000.9886287503407",
            "0.1",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
        ] {
            let json: Json = serde_json::from_str(text).unwrap();
            let v = Value::from_json(&json).unwrap();
            assert_eq!(v, Value::Float64(text.parse::<f64>().unwrap()), "{text}");
            assert_eq!(
                v.to_json().to_string().parse::<f64>().unwrap(),
                text.parse::<f64>().unwrap()
            );
        }
    }

    #[test]
    fn owned_and_borrowed_decoding_agree() {
        for j in [
            json!({"a": [1, {"$integer": "AQAAAAAAAAA="}, "s"], "b": {"$bytes": "AQID"}}),
            json!({"$set": []}),
            json!({"$x": 1, "y": 2}),
            json!(null),
        ] {
            assert_eq!(
                Value::from_json(&j),
                Value::from_json_owned(j.clone()),
                "{j}"
            );
        }
    }

    #[test]
    fn objects_are_sorted() {
        let v = Value::from_json(&json!({"b": 1, "a": [true, null, "x"]})).unwrap();
        assert_eq!(enc(v), r#"{"a":[true,null,"x"],"b":1}"#);
    }

    #[test]
    fn round_trips() {
        let values = [
            Value::Null,
            Value::Boolean(true),
            Value::Int64(i64::MIN),
            Value::Int64(i64::MAX),
            Value::Float64(f64::NAN),
            Value::Float64(-0.0),
            Value::Float64(1e300),
            Value::Float64(-2.5),
            Value::Float64(9_007_199_254_740_993.0),
            Value::String("héllo".into()),
            Value::Bytes(vec![]),
            Value::Array(vec![Value::Int64(3), Value::Float64(3.0)]),
        ];
        for v in values {
            let back = Value::from_json(&v.to_json()).unwrap();
            assert_eq!(back, v, "{v:?}");
        }
    }

    #[test]
    fn rejects_bad_wrappers_and_names() {
        for bad in [
            json!({"$integer": "AQ=="}),
            json!({"$integer": 5}),
            json!({"$float": "AAAAAAAA8D8="}), // 1.0 must be a plain number
            json!({"$bytes": "%%%"}),
            json!({"$set": []}),
            json!({"$map": []}),
            json!({"a": {"$weird": 1}}),
            json!({"$x": 1, "y": 2}),
            json!({"caf\u{e9}": 1}),
        ] {
            assert!(Value::from_json(&bad).is_err(), "{bad}");
        }
        assert_eq!(
            Value::from_json(&json!({"$commitTs": null})).unwrap(),
            Value::Null
        );
    }
}
