//! A query's successful result as the client keeps it: the wire text the server sent, decoded
//! on demand. Typed readers ([`ResultValue::decode`]) go straight from that text into their
//! own types, and only code that needs the [`Value`] tree (optimistic updates, pagination,
//! untyped hooks) builds it, once. Clones share one allocation.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;

use super::encoded::from_encoded_json;
use super::model::{Value, ValueError};

/// A query's value: the server's encoded JSON text, or a [`Value`] set locally by an
/// optimistic update. Cheap to clone.
#[derive(Clone)]
pub struct ResultValue(Arc<Inner>);

struct Inner {
    /// The server's `convex_encoded_json` text, when the value came from the server.
    wire: Option<Box<str>>,
    /// The value tree, built on first use.
    value: OnceLock<Result<Value, ValueError>>,
}

impl ResultValue {
    /// A value set locally (an optimistic update's, or a test's).
    pub fn new(value: Value) -> Self {
        ResultValue(Arc::new(Inner {
            wire: None,
            value: OnceLock::from(Ok(value)),
        }))
    }

    /// A value as the server sent it: encoded JSON text, not decoded yet. Its JSON syntax
    /// was checked when the frame was read; Convex's own rules are checked when it is
    /// decoded, so a malformed result fails only its readers.
    pub fn from_wire(text: &str) -> Self {
        ResultValue(Arc::new(Inner {
            wire: Some(text.into()),
            value: OnceLock::new(),
        }))
    }

    /// The value tree, decoded on the first call; the error names what the server sent
    /// wrong.
    pub fn value(&self) -> Result<&Value, &ValueError> {
        self.0
            .value
            .get_or_init(|| match &self.0.wire {
                Some(text) => Value::from_json_str(text),
                // `new` always fills the cell.
                None => Ok(Value::Null),
            })
            .as_ref()
    }

    /// Decodes the value into `T`: straight from the wire text when there is one, with no
    /// value tree in between.
    ///
    /// ```
    /// use convex_yew_core::value::ResultValue;
    /// let r = ResultValue::from_wire(r#"[{"n":{"$integer":"AgAAAAAAAAA="}}]"#);
    /// #[derive(serde::Deserialize)]
    /// struct Row { n: i64 }
    /// let rows: Vec<Row> = r.decode().unwrap();
    /// assert_eq!(rows[0].n, 2);
    /// ```
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        match &self.0.wire {
            Some(text) => from_encoded_json(text),
            None => match self.value() {
                Ok(v) => from_encoded_json(&v.to_json_text()),
                Err(e) => Err(e.clone()),
            },
        }
    }

    /// The encoded JSON text the server sent, if this value came from the server.
    pub fn wire_text(&self) -> Option<&str> {
        self.0.wire.as_deref()
    }

    /// Whether both handles share one allocation (then they are equal without a look inside).
    pub fn ptr_eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl From<Value> for ResultValue {
    fn from(v: Value) -> Self {
        ResultValue::new(v)
    }
}

/// Two server values are equal when the server sent the same text (its encoding is
/// deterministic, so this decodes nothing); a local value compares with anything by value
/// (a value that fails to decode equals only the same text).
impl PartialEq for ResultValue {
    fn eq(&self, other: &Self) -> bool {
        if self.ptr_eq(other) {
            return true;
        }
        if let (Some(a), Some(b)) = (&self.0.wire, &other.0.wire) {
            return a == b;
        }
        matches!((self.value(), other.value()), (Ok(a), Ok(b)) if a == b)
    }
}

impl fmt::Debug for ResultValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value() {
            Ok(v) => v.fmt(f),
            Err(e) => write!(f, "<malformed: {e}>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_and_local_values_compare_by_value() {
        let text = r#"{"a":[1,{"$integer":"AQAAAAAAAAA="}]}"#;
        let wire = ResultValue::from_wire(text);
        let spaced = ResultValue::from_wire(r#"{ "a": [1, {"$integer":"AQAAAAAAAAA="}] }"#);
        assert_eq!(wire, ResultValue::from_wire(text));
        assert_ne!(wire, spaced, "server values compare by text");
        assert_ne!(wire, ResultValue::from_wire("null"));
        assert!(
            wire.0.value.get().is_none() && spaced.0.value.get().is_none(),
            "comparing server values decodes nothing"
        );
        let local = ResultValue::new(Value::from_json_str(text).unwrap());
        assert_eq!(wire, local);
        assert_eq!(local, spaced);
    }

    #[test]
    fn a_malformed_value_fails_its_readers_only() {
        let bad = ResultValue::from_wire(r#"{"$bytes":"%%"}"#);
        assert!(bad.value().is_err());
        assert!(bad.decode::<Vec<u8>>().is_err());
        assert_eq!(bad, bad.clone());
        assert_ne!(bad, ResultValue::from_wire(r#"{"$bytes":"%%%%"}"#));
        assert!(format!("{bad:?}").contains("malformed"));
    }

    #[test]
    fn local_values_decode_like_wire_values() {
        let local = ResultValue::new(Value::Array(vec![Value::Int64(7), Value::Float64(2.0)]));
        assert_eq!(local.decode::<Vec<i64>>().unwrap(), vec![7, 2]);
        assert_eq!(local.wire_text(), None);
    }
}
