//! The data model: [`Value`] (Convex's types one to one), [`Object`], [`ValueError`], and
//! the rules on field names.

use crate::json::Quoted;

/// A Convex object: string keys in sorted order (as the official client sorts them on the wire).
///
/// A [`SortedMap`](crate::sorted_map::SortedMap) (one sorted vector), with `BTreeMap`'s API
/// for what objects need: `new`, `insert`, `get`, `remove`, iteration in key order (also
/// `for (k, v) in &object`), `collect`, `extend`, `object["key"]`, serde as a map.
/// Inserting keys in random order costs O(n²) moves, so a `Value` decoded from JSON holds at
/// most Convex's 1024 entries per object (a larger one is an error for
/// that value; 1024 scrambled keys take about 0.5 ms natively, against 0.14 ms for a
/// `BTreeMap`), and deserializing a `SortedMap` sorts its entries once (O(n log n)).
pub type Object = crate::sorted_map::SortedMap<String, Value>;

/// The most entries a Convex object holds ("Objects can have at most 1024 entries", Convex's
/// documented limit); decoding a larger one is an error for that value.
pub(crate) const MAX_OBJECT_ENTRIES: usize = 1024;

/// One Convex value.
///
/// Equality compares floats by their bits, so `NaN == NaN` and `0.0 != -0.0`: two values are
/// equal exactly when they encode to the same wire form. This is what change detection needs.
#[derive(Debug, Clone)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Boolean(bool),
    /// A 64-bit signed integer (`v.int64()`, a JS `bigint`).
    Int64(i64),
    /// A 64-bit float (`v.number()`, a JS `number`), including NaN, the infinities and -0.
    Float64(f64),
    /// A UTF-8 string. Document ids are strings too.
    String(String),
    /// Raw bytes (`v.bytes()`, a JS `ArrayBuffer`).
    Bytes(Vec<u8>),
    /// An array.
    Array(Vec<Value>),
    /// An object with sorted keys.
    Object(Object),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Boolean(a), Value::Boolean(b)) => a == b,
            (Value::Int64(a), Value::Int64(b)) => a == b,
            (Value::Float64(a), Value::Float64(b)) => a.to_bits() == b.to_bits(),
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Value {
    /// The Convex type name of this value, as used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Boolean(_) => "boolean",
            Value::Int64(_) => "int64",
            Value::Float64(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// The string inside a `Value::String`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object inside a `Value::Object`.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The elements of a `Value::Array`.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// A number as f64: a float, or an int64 (possibly losing precision).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float64(f) => Some(*f),
            Value::Int64(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// Checks the rules the Convex backend enforces on every value it receives: field names
    /// of at most 1024 printable ASCII characters that do not start with `$`.
    pub fn validate(&self) -> Result<(), ValueError> {
        match self {
            Value::Array(items) => items.iter().try_for_each(Value::validate),
            Value::Object(fields) => validate_object(fields),
            _ => Ok(()),
        }
    }
}

/// [`Value::validate`] for an object, without wrapping it in a value.
pub fn validate_object(fields: &Object) -> Result<(), ValueError> {
    fields.iter().try_for_each(|(k, v)| {
        validate_field_name(k)?;
        v.validate()
    })
}

/// Checks one object field name against Convex's rules.
pub fn validate_field_name(name: &str) -> Result<(), ValueError> {
    if name.len() > 1024 {
        return Err(ValueError::InvalidFieldName {
            name: name.chars().take(40).collect(),
            reason: "longer than 1024 characters",
        });
    }
    if name.starts_with('$') {
        return Err(ValueError::InvalidFieldName {
            name: name.to_owned(),
            reason: "starts with '$'",
        });
    }
    if !name.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(ValueError::InvalidFieldName {
            name: name.to_owned(),
            reason: "has a character outside printable ASCII",
        });
    }
    Ok(())
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int64(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float64(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}
impl From<Object> for Value {
    fn from(v: Object) -> Self {
        Value::Object(v)
    }
}

/// Why a value could not be encoded, decoded or converted.
#[derive(Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// An object key breaks Convex's field-name rules.
    #[error("invalid field name {}: {reason}", Quoted(name))]
    InvalidFieldName {
        /// The offending name (cut to 40 characters when too long).
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A `$integer`, `$float` or `$bytes` wrapper whose content is malformed.
    #[error("malformed {wrapper} value: {reason}")]
    MalformedWrapper {
        /// The wrapper key, e.g. `$integer`.
        wrapper: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A wrapper the protocol no longer supports (`$set`, `$map`) or does not know.
    #[error("unsupported value wrapper {}", Quoted(.0))]
    UnsupportedWrapper(String),
    /// An unsigned or 128-bit integer that does not fit in Convex's int64.
    #[error("integer {0} does not fit in a Convex int64")]
    IntegerOutOfRange(String),
    /// Map keys must be strings.
    #[error("object keys must be strings, found {0}")]
    NonStringKey(&'static str),
    /// Function arguments must be an object.
    #[error("function arguments must be an object, found {0}")]
    ArgsNotObject(&'static str),
    /// A serde (de)serialisation error, e.g. a missing field or a type mismatch.
    #[error("{0}")]
    Serde(String),
}

/// Calls `$m!` with every integer method of serde's `Deserializer`: the two typed decoders
/// (`encoded.rs` and `serde.rs`) read integers by the same rule, over the same list.
macro_rules! with_integer_methods {
    ($m:ident) => {
        $m!(
            deserialize_i8,
            deserialize_i16,
            deserialize_i32,
            deserialize_i64,
            deserialize_i128,
            deserialize_u8,
            deserialize_u16,
            deserialize_u32,
            deserialize_u64,
            deserialize_u128
        );
    };
}
pub(super) use with_integer_methods;

debug_as_message!(ValueError);
