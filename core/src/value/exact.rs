//! Types that carry exactly what a Convex validator allows, for code the generator writes
//! (`convex-yew-codegen`): literals of every kind, commit timestamps, function handles,
//! nullable fields that keep their `null`, and the [`Shape`] of a union's members, by which a
//! union value is matched to the one member whose wire form it has.
//!
//! A decoded value always encodes back to the same wire text: a literal only accepts its
//! exact value (an `int64` literal never a float64 that looks like it), a union member only
//! the values its validator accepts (an object member no value with fields it does not
//! declare, a `v.number()` member no `int64`).

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use super::model::Value;
use super::serde::from_value;

/// `v.literal(b)` for a boolean `B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LiteralBool<const B: bool>;

/// `v.literal(n)` for a `bigint` `N` (an `int64` on the wire, `{"$integer": ..}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LiteralInt64<const N: i64>;

/// `v.literal(x)` for a `number` whose IEEE 754 bits are `BITS` (`f64::to_bits`), so every
/// float literal has a type, NaN, the infinities and `-0` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LiteralFloat64<const BITS: u64>;

impl<const BITS: u64> LiteralFloat64<BITS> {
    /// The literal's value.
    pub const VALUE: f64 = f64::from_bits(BITS);
}

/// A literal's Convex value.
trait Literal {
    fn value() -> Value;
}

impl<const B: bool> Literal for LiteralBool<B> {
    fn value() -> Value {
        Value::Boolean(B)
    }
}

impl<const N: i64> Literal for LiteralInt64<N> {
    fn value() -> Value {
        Value::Int64(N)
    }
}

impl<const BITS: u64> Literal for LiteralFloat64<BITS> {
    fn value() -> Value {
        Value::Float64(f64::from_bits(BITS))
    }
}

macro_rules! literal_serde {
    ($($ty:ident<const $p:ident: $t:ty>),*) => {$(
        impl<const $p: $t> Serialize for $ty<$p> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                <Self as Literal>::value().serialize(s)
            }
        }
        impl<'de, const $p: $t> Deserialize<'de> for $ty<$p> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = Value::deserialize(d)?;
                let want = <Self as Literal>::value();
                // Float literals compare by bits (Value's equality), NaN matching any NaN.
                let same = v == want
                    || matches!((&v, &want), (Value::Float64(a), Value::Float64(b)) if a.is_nan() && b.is_nan());
                if same {
                    Ok($ty)
                } else {
                    Err(de::Error::custom(format_args!(
                        "expected the literal {}, found {}",
                        want.to_json(),
                        v.to_json()
                    )))
                }
            }
        }
    )*};
}
literal_serde!(LiteralBool<const B: bool>, LiteralInt64<const N: i64>, LiteralFloat64<const BITS: u64>);

/// `v.commitTs()`: a commit timestamp, an `int64` on the wire (nanoseconds since the Unix
/// epoch, as Convex's `_creationTime`-style timestamps in int64 form).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct CommitTs(pub i64);

/// `v.function()`: a function handle, a string naming a Convex function (JS
/// `FunctionHandle`), passed to functions that call it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FunctionHandle(pub String);

/// For a required struct field typed `v.union(x, v.null())` (`Option<X>`): `None` goes out as
/// `null`, where a plain `Option` field would be left out (and the server refuse the missing
/// field). Used as `#[serde(serialize_with = "nullable::serialize")]`.
pub mod nullable {
    use serde::{Serialize, Serializer};

    /// `Some(x)` as `x`, `None` as `null`.
    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => v.serialize(s),
            None => s.serialize_unit(),
        }
    }
}

/// For an optional struct field that may also be `null` (`v.optional(v.union(x, v.null()))`,
/// `Option<Option<X>>`): absent is `None`, `null` is `Some(None)`, a value `Some(Some(x))`,
/// each written back as it came. Used as `#[serde(default, skip_serializing_if =
/// "Option::is_none", with = "optional_nullable")]`.
pub mod optional_nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// `Some(None)` as `null`, `Some(Some(x))` as `x` (`None` is skipped by the field).
    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(Some(v)) => v.serialize(s),
            _ => s.serialize_unit(),
        }
    }

    /// A present field: `null` is `Some(None)`.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// The wire form a validator accepts: what a union's members are told apart by. Read from
/// the validator's JSON as the function spec carries it ([`Shape::parse`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// `v.any()`, and kinds this version does not know.
    Any,
    /// `v.null()`.
    Null,
    /// `v.boolean()`, or a boolean literal.
    Boolean(Option<bool>),
    /// `v.number()` (a JSON number or `{"$float": ..}`, never `{"$integer": ..}`), or a float
    /// literal by its bits (any NaN matches a NaN literal).
    Float64(Option<u64>),
    /// `v.int64()`, `v.commitTs()` (`{"$integer": ..}`, never a JSON number), or a literal.
    Int64(Option<i64>),
    /// `v.string()`, `v.id(..)`, `v.function()`, or a string literal.
    String(Option<String>),
    /// `v.bytes()`.
    Bytes,
    /// `v.array(element)`.
    Array(Box<Shape>),
    /// `v.record(keys, values)`.
    Record(Box<Shape>, Box<Shape>),
    /// `v.object({..})`: exactly these fields (no others), the required ones present.
    Object(Vec<(String, Shape, bool)>),
    /// `v.union(..)`.
    Union(Vec<Shape>),
}

impl Shape {
    /// Reads a validator's JSON (`{"type": "object", "value": {..}}` and so on). `None` for
    /// JSON that is not a validator.
    pub fn parse(json: &serde_json::Value) -> Option<Shape> {
        use serde_json::Value as Json;
        let field = |k: &str| json.get(k);
        let literal = |v: &Json| -> Option<Shape> {
            match v {
                Json::String(s) => Some(Shape::String(Some(s.clone()))),
                Json::Bool(b) => Some(Shape::Boolean(Some(*b))),
                Json::Number(n) => n.as_f64().map(|f| Shape::Float64(Some(float_key(f)))),
                other => match Value::from_json(other).ok()? {
                    Value::Int64(n) => Some(Shape::Int64(Some(n))),
                    Value::Float64(f) => Some(Shape::Float64(Some(float_key(f)))),
                    _ => None,
                },
            }
        };
        Some(match field("type")?.as_str()? {
            "null" => Shape::Null,
            "boolean" => Shape::Boolean(None),
            "number" | "float64" => Shape::Float64(None),
            "bigint" | "int64" | "commitTs" => Shape::Int64(None),
            "string" | "id" | "function" => Shape::String(None),
            "bytes" => Shape::Bytes,
            "literal" => literal(field("value")?)?,
            "array" => Shape::Array(Box::new(Shape::parse(field("value")?)?)),
            "record" => {
                let values = field("values")?;
                let values = values.get("fieldType").unwrap_or(values);
                Shape::Record(
                    Box::new(Shape::parse(field("keys")?)?),
                    Box::new(Shape::parse(values)?),
                )
            }
            "object" => Shape::Object(
                field("value")?
                    .as_object()?
                    .iter()
                    .map(|(k, f)| {
                        let optional = f.get("optional").and_then(Json::as_bool) == Some(true);
                        Some((k.clone(), Shape::parse(f.get("fieldType")?)?, optional))
                    })
                    .collect::<Option<_>>()?,
            ),
            "union" => Shape::Union(
                field("value")?
                    .as_array()?
                    .iter()
                    .map(Shape::parse)
                    .collect::<Option<_>>()?,
            ),
            _ => Shape::Any,
        })
    }

    /// Whether `v` has this shape (the validator would accept it).
    pub fn matches(&self, v: &Value) -> bool {
        match (self, v) {
            (Shape::Any, _) => true,
            (Shape::Null, Value::Null) | (Shape::Bytes, Value::Bytes(_)) => true,
            (Shape::Boolean(want), Value::Boolean(b)) => want.is_none_or(|w| w == *b),
            (Shape::Float64(want), Value::Float64(f)) => want.is_none_or(|w| w == float_key(*f)),
            (Shape::Int64(want), Value::Int64(n)) => want.is_none_or(|w| w == *n),
            (Shape::String(want), Value::String(s)) => want.as_ref().is_none_or(|w| w == s),
            (Shape::Array(e), Value::Array(items)) => items.iter().all(|i| e.matches(i)),
            (Shape::Record(k, val), Value::Object(o)) => o
                .iter()
                .all(|(key, v)| k.matches(&Value::String(key.clone())) && val.matches(v)),
            (Shape::Object(fields), Value::Object(o)) => {
                o.keys()
                    .all(|k| fields.iter().any(|(name, _, _)| name == k))
                    && fields
                        .iter()
                        .all(|(name, shape, optional)| match o.get(name) {
                            Some(v) => shape.matches(v),
                            None => *optional,
                        })
            }
            (Shape::Union(members), v) => members.iter().any(|m| m.matches(v)),
            _ => false,
        }
    }
}

/// Float literals compare by bits, every NaN as one.
fn float_key(f: f64) -> u64 {
    if f.is_nan() {
        f64::NAN.to_bits()
    } else {
        f.to_bits()
    }
}

/// A union's members in the order they are tried, as a JSON array of their validators: a
/// generated union enum keeps one in a `static` and decodes with [`pick`](Self::pick) and
/// [`member`]. The JSON is read once, on first use.
#[derive(Debug)]
pub struct UnionMembers {
    validators: &'static str,
    shapes: std::sync::OnceLock<Vec<Shape>>,
}

impl UnionMembers {
    /// The members: a JSON array of validators (`[{"type":"number"},{"type":"null"}]`).
    pub const fn new(validators: &'static str) -> UnionMembers {
        UnionMembers {
            validators,
            shapes: std::sync::OnceLock::new(),
        }
    }

    fn shapes(&self) -> &[Shape] {
        self.shapes.get_or_init(|| {
            let members: Vec<serde_json::Value> =
                crate::json::from_str(self.validators).unwrap_or_default();
            members
                .iter()
                .map(|j| Shape::parse(j).unwrap_or(Shape::Any))
                .collect()
        })
    }

    /// Reads a union value and the index of the first member whose shape it has.
    pub fn pick<'de, D: Deserializer<'de>>(&self, d: D) -> Result<(usize, Value), D::Error> {
        let v = Value::deserialize(d)?;
        match self.shapes().iter().position(|m| m.matches(&v)) {
            Some(i) => Ok((i, v)),
            None => Err(de::Error::custom(NoMember(&v))),
        }
    }
}

struct NoMember<'a>(&'a Value);

impl fmt::Display for NoMember<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_json_text();
        let shown: String = text.chars().take(80).collect();
        write!(f, "no member of the union accepts {shown}")
    }
}

/// Decodes a union member's value (picked by [`UnionMembers::pick`]) into its type.
pub fn member<T: serde::de::DeserializeOwned, E: de::Error>(v: Value) -> Result<T, E> {
    from_value(v).map_err(E::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{from_encoded_json, to_value};

    #[test]
    fn literals_accept_only_their_exact_value() {
        assert_eq!(to_value(&LiteralInt64::<5>).unwrap(), Value::Int64(5));
        assert!(from_encoded_json::<LiteralInt64<5>>(r#"{"$integer":"BQAAAAAAAAA="}"#).is_ok());
        assert!(
            from_encoded_json::<LiteralInt64<5>>("5").is_err(),
            "a float64 5 is not the int64 literal 5"
        );
        assert!(from_encoded_json::<LiteralFloat64<{ 1.5f64.to_bits() }>>("1.5").is_ok());
        assert!(from_encoded_json::<LiteralFloat64<{ 1.5f64.to_bits() }>>("2").is_err());
        let nan = from_encoded_json::<LiteralFloat64<{ f64::NAN.to_bits() }>>(
            r#"{"$float":"AAAAAAAA+H8="}"#,
        );
        assert!(nan.is_ok());
        assert!(from_encoded_json::<LiteralFloat64<{ (-0.0f64).to_bits() }>>("0").is_err());
        assert!(from_encoded_json::<LiteralBool<true>>("true").is_ok());
        assert!(from_encoded_json::<LiteralBool<true>>("false").is_err());
        assert_eq!(
            to_value(&LiteralFloat64::<{ f64::INFINITY.to_bits() }>).unwrap(),
            Value::Float64(f64::INFINITY)
        );
    }

    #[test]
    fn shapes_tell_wire_forms_apart() {
        let shape = |j: serde_json::Value| Shape::parse(&j).unwrap();
        let v = |j: serde_json::Value| Value::from_json(&j).unwrap();
        let obj = shape(serde_json::json!({"type": "object", "value": {
            "id": {"fieldType": {"type": "string"}, "optional": false}}}));
        assert!(obj.matches(&v(serde_json::json!({"id": "x"}))));
        assert!(!obj.matches(&v(serde_json::json!({"id": "x", "name": "y"}))));
        assert!(!obj.matches(&v(serde_json::json!({}))));
        let int = shape(serde_json::json!({"type": "bigint"}));
        let float = shape(serde_json::json!({"type": "number"}));
        assert!(int.matches(&Value::Int64(1)) && !int.matches(&Value::Float64(1.0)));
        assert!(float.matches(&Value::Float64(1.0)) && !float.matches(&Value::Int64(1)));
        let five =
            shape(serde_json::json!({"type": "literal", "value": {"$integer": "BQAAAAAAAAA="}}));
        assert!(five.matches(&Value::Int64(5)) && !five.matches(&Value::Float64(5.0)));
        assert_eq!(
            shape(serde_json::json!({"type": "someNewKind"})),
            Shape::Any
        );
        assert!(Shape::parse(&serde_json::json!({"type": "array"})).is_none());
    }
}
