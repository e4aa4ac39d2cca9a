//! Decoding `convex_encoded_json` straight from text into [`Value`], in one pass: no
//! intermediate `serde_json::Value` tree. Wrappers (`$integer`, `$float`, `$bytes`) and field
//! names are checked exactly as [`Value::from_json`] checks them.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::json::decode_wrapper;
use super::{validate_field_name, Object, Value};

/// A `DeserializeSeed` producing a [`Value`] from encoded JSON.
#[derive(Clone, Copy, Default)]
pub struct EncodedValue;

impl<'de> DeserializeSeed<'de> for EncodedValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EncodedValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a convex_encoded_json value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Float64(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Float64(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(EncodedValue)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Object::new();
        let Some(first) = map.next_key::<String>()? else {
            return Ok(Value::Object(fields));
        };
        if first.starts_with('$') {
            // A wrapper must be the object's only key.
            let inner: serde_json::Value = map.next_value()?;
            if map.next_key::<de::IgnoredAny>()?.is_some() {
                return Err(de::Error::custom(super::ValueError::InvalidFieldName {
                    name: first,
                    reason: "starts with '$'",
                }));
            }
            return decode_wrapper(&first, &inner).map_err(de::Error::custom);
        }
        validate_field_name(&first).map_err(de::Error::custom)?;
        let v = map.next_value_seed(EncodedValue)?;
        fields.insert(first, v);
        while let Some(k) = map.next_key::<String>()? {
            validate_field_name(&k).map_err(de::Error::custom)?;
            let v = map.next_value_seed(EncodedValue)?;
            fields.insert(k, v);
        }
        Ok(Value::Object(fields))
    }
}

impl Value {
    /// Decodes encoded JSON text straight into a value (one pass).
    pub fn from_json_str(text: &str) -> Result<Value, super::ValueError> {
        let mut d = serde_json::Deserializer::from_str(text);
        let v = EncodedValue
            .deserialize(&mut d)
            .map_err(|e| super::ValueError::Serde(e.to_string()))?;
        d.end()
            .map_err(|e| super::ValueError::Serde(e.to_string()))?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn agrees_with_the_tree_decoder() {
        for j in [
            json!({"a": [1, 2.5, {"$integer": "AQAAAAAAAAA="}, "s", null, true], "b": {"$bytes": "AQID"}, "c": {"$float": "AAAAAAAA+H8="}}),
            json!({"$set": []}),
            json!({"$x": 1, "y": 2}),
            json!({"y": 2, "$x": 1}),
            json!({"caf\u{e9}": 1}),
            json!({"$float": "AAAAAAAA8D8="}),
            json!([]),
            json!({}),
            json!(12345678901234567890u64),
        ] {
            let tree = Value::from_json(&j);
            let direct = Value::from_json_str(&j.to_string());
            assert_eq!(tree.is_ok(), direct.is_ok(), "{j}");
            if let (Ok(a), Ok(b)) = (tree, direct) {
                assert_eq!(a, b, "{j}");
            }
        }
        assert!(Value::from_json_str("{").is_err());
        assert!(Value::from_json_str("1 2").is_err());
    }
}
