//! Typed decoding straight from `convex_encoded_json` text: the wire text of a query result
//! goes into the caller's `Deserialize` type in one pass, with no [`Value`] tree in between.
//!
//! The JSON text deserializer ([`crate::json`]) in its Convex mode reads the wrappers on the way:
//! `{"$integer": ..}` arrives as an `i64`, `{"$float": ..}` as an `f64`, `{"$bytes": ..}` as
//! bytes. Plain JSON numbers are Convex float64s, so they reach `deserialize_any` callers as
//! `f64`, and integer fields take any integral one within ±2^53, exactly as [`from_value`]
//! reads a [`Value`]. The result is the same as `from_value(Value::from_json_str(text)?)`
//! (tested), at a fraction of the cost; object keys are not checked against Convex's
//! field-name rules here, since the typed target names the keys it reads.
//!
//! [`from_value`]: super::from_value

use serde::de::DeserializeOwned;

use super::json::decode_wrapper_content;
use super::model::{Value, ValueError};
use crate::json::{Wrapped, WrapperContent};

/// Decodes `convex_encoded_json` text into any `DeserializeOwned` type.
///
/// ```
/// use convex_yew_core::value::from_encoded_json;
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Doc { count: i64, score: f64, n: u32 }
/// let doc: Doc = from_encoded_json(r#"{"count":{"$integer":"BQAAAAAAAAA="},"score":1,"n":7}"#).unwrap();
/// assert_eq!(doc, Doc { count: 5, score: 1.0, n: 7 });
/// assert!(from_encoded_json::<Doc>(r#"{"count":{"$integer":"%%"}}"#).is_err());
/// ```
pub fn from_encoded_json<T: DeserializeOwned>(text: &str) -> Result<T, ValueError> {
    crate::json::from_convex_str(text, read_wrapper).map_err(|e| ValueError::Serde(e.to_string()))
}

/// The JSON reader's view of a wrapper object, decoded by the value model's rules.
fn read_wrapper(key: &str, content: WrapperContent<'_>) -> Result<Wrapped, String> {
    match decode_wrapper_content(key, content) {
        Ok(Value::Int64(i)) => Ok(Wrapped::Int64(i)),
        Ok(Value::Float64(f)) => Ok(Wrapped::Float64(f)),
        Ok(Value::Bytes(b)) => Ok(Wrapped::Bytes(b)),
        Ok(_) => Ok(Wrapped::Null),
        Err(e) => Err(e.to_string()),
    }
}

impl Value {
    /// Decodes encoded JSON text straight into a value (one pass, no JSON tree), checking
    /// wrappers and field names as [`Value::from_json`] does.
    pub fn from_json_str(text: &str) -> Result<Value, ValueError> {
        let v: Value = from_encoded_json(text)?;
        v.validate()?;
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
        // Spellings the fast wrapper check must not misread: an escaped `$`, whitespace,
        // a wrapper with a second key, wrappers nested in documents and arrays.
        for text in [
            r#"{"\u0024integer": "AQAAAAAAAAA="}"#,
            r#"{"\u0061": {"$integer": "AQAAAAAAAAA="}}"#,
            r#"{ "$integer" : "AQAAAAAAAAA=" }"#,
            r#"{"$integer": "AQAAAAAAAAA=", "x": 1}"#,
            r#"{"x": 1, "$integer": "AQAAAAAAAAA="}"#,
            r#"[{"$bytes": ""}, {"$float": "AAAAAAAA8H8="}, {"a": {"b": {"$integer": "AQAAAAAAAAA="}}}]"#,
            r#"{"$commitTs": null}"#,
            r#"{"$integer": [1, 2]}"#,
            r#"{"$integer": null}"#,
            r#"{"$integer": "AQAAAAAAAAA="}"#,
            r#"{"\\$integer": "AQAAAAAAAAA="}"#,
            r#"{"": 1, "$": 2}"#,
            r#"{"$": 2}"#,
        ] {
            let tree = Value::from_json(&serde_json::from_str(text).unwrap());
            let direct = Value::from_json_str(text);
            assert_eq!(
                tree.is_ok(),
                direct.is_ok(),
                "{text}: {tree:?} vs {direct:?}"
            );
            if let (Ok(a), Ok(b)) = (tree, direct) {
                assert_eq!(a, b, "{text}");
            }
        }
        // Integer fields read an escaped wrapper, and integral plain numbers.
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Doc {
            n: i64,
            m: u8,
            w: i128,
        }
        let doc: Doc =
            from_encoded_json(r#"{"n": {"\u0024integer": "AgAAAAAAAAA="}, "m": 7.0, "w": 3}"#)
                .unwrap();
        assert_eq!(doc, Doc { n: 2, m: 7, w: 3 });
        // As the tree decoder reads them (found in review): `-0` as a wrapper is 0 to an
        // integer, and a wrapper holding null is `None` to an `Option`.
        assert_eq!(
            from_encoded_json::<i64>(r#"{"$float":"AAAAAAAAAIA="}"#).unwrap(),
            0
        );
        let nan = from_encoded_json::<f64>(r#"{"$float":"AAAAAAAA+H8="}"#).unwrap();
        assert!(nan.is_nan());
        assert!(from_encoded_json::<i64>(r#"{"$float":"AAAAAAAA+H8="}"#).is_err());
        assert_eq!(
            from_encoded_json::<Option<i64>>(r#"{"$commitTs":null}"#).unwrap(),
            None
        );
        assert_eq!(
            from_encoded_json::<Vec<Option<i64>>>(
                r#"[{"$commitTs":null}, {"$integer":"AQAAAAAAAAA="}, null, 3]"#
            )
            .unwrap(),
            [None, Some(1), None, Some(3)]
        );
        assert!(from_encoded_json::<Option<i64>>(r#"{"$integer":"%%"}"#).is_err());
        assert!(
            from_encoded_json::<Option<Doc>>(r#"{"n": 1, "m": 2, "w": 3}"#)
                .unwrap()
                .is_some()
        );
        assert!(from_encoded_json::<Doc>(r#"{"n": 1.5, "m": 1, "w": 1}"#).is_err());
        assert!(Value::from_json_str("{").is_err());
        assert!(Value::from_json_str("1 2").is_err());
    }

    /// An object holds at most Convex's 1024 entries: one more is an error for that value
    /// (an object is a sorted vector, and a hostile server's 80,000 keys in descending order
    /// took seconds to insert). Keys in any order, duplicates included, read as a `BTreeMap`
    /// reads them.
    #[test]
    fn objects_hold_at_most_1024_entries_in_any_order() {
        let object = |n: usize, descending: bool| {
            let keys: Vec<String> = if descending {
                (0..n).rev().map(|i| format!("\"k{i:05}\":{i}")).collect()
            } else {
                (0..n).map(|i| format!("\"k{i:05}\":{i}")).collect()
            };
            format!("{{{}}}", keys.join(","))
        };
        for descending in [false, true] {
            let v = Value::from_json_str(&object(1024, descending)).unwrap();
            let o = v.as_object().unwrap();
            assert_eq!(o.len(), 1024);
            assert!(o.keys().zip(o.keys().skip(1)).all(|(a, b)| a < b));
            let e = Value::from_json_str(&object(1025, descending)).unwrap_err();
            assert!(e.to_string().contains("at most 1024 entries"), "{e}");
        }
        // Typed decoding into a map (an `Object` field, any order) agrees with `BTreeMap`.
        let text = r#"{"c":1,"a":2,"b":3,"a":4}"#;
        let ours: crate::value::Object = crate::json::from_str(r#"{"c":1,"a":2,"b":3,"a":4}"#)
            .map(|m: crate::sorted_map::SortedMap<String, f64>| {
                m.into_iter().map(|(k, v)| (k, Value::Float64(v))).collect()
            })
            .unwrap();
        let theirs: std::collections::BTreeMap<String, f64> = serde_json::from_str(text).unwrap();
        assert!(ours
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
            .eq(theirs.into_iter()));
    }
}
