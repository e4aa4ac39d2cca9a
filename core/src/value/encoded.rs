//! Typed decoding straight from `convex_encoded_json` text: the wire text of a query result
//! goes into the caller's `Deserialize` type in one pass, with no [`Value`] tree in between.
//!
//! [`Encoded`] wraps the JSON text deserializer ([`crate::json`]) and reads the Convex wrappers on the way:
//! `{"$integer": ..}` arrives as an `i64`, `{"$float": ..}` as an `f64`, `{"$bytes": ..}` as
//! bytes. Plain JSON numbers are Convex float64s, so they reach `deserialize_any` callers as
//! `f64`, and integer fields take any integral one within ±2^53, exactly as [`from_value`]
//! reads a [`Value`]. The result is the same as `from_value(Value::from_json_str(text)?)`
//! (tested), at a fraction of the cost; object keys are not checked against Convex's
//! field-name rules here, since the typed target names the keys it reads.
//!
//! [`from_value`]: super::from_value

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::json::{decode_wrapper_content, WrapperContent};
use super::model::{integral, with_integer_methods, Value, ValueError};

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
    crate::json::from_str_with(text, |d| T::deserialize(Encoded(d)))
        .map_err(|e| ValueError::Serde(e.to_string()))
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

/// A deserializer over encoded JSON: any JSON deserializer, with the Convex wrappers read on
/// the way.
pub struct Encoded<D>(pub D);

/// How a number or wrapper is handed to the visitor.
#[derive(Clone, Copy)]
enum Want {
    /// `deserialize_any` and friends: a plain number is a float64.
    Any,
    /// An integer type: an integral number within ±2^53 comes as `i64`.
    Integer,
}

struct Wrap<V> {
    visitor: V,
    want: Want,
}

struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Encoded(d))
    }
}

struct Seq<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
    type Error = A::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// An object's first key, read to tell a wrapper from a document.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v))
    }
}

/// A wrapper's content: a string, null, or anything else (skipped).
enum Content<'de> {
    Str(Key<'de>),
    Null,
    Other,
}

struct ContentSeed;

impl<'de> DeserializeSeed<'de> for ContentSeed {
    type Value = Content<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Content<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ContentSeed {
    type Value = Content<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a wrapper's content")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Content<'de>, E> {
        Ok(Content::Str(Key::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Content<'de>, E> {
        Ok(Content::Str(Key::Owned(v.to_owned())))
    }
    fn visit_unit<E>(self) -> Result<Content<'de>, E> {
        Ok(Content::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Content<'de>, E> {
        Ok(Content::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Content<'de>, E> {
        Ok(Content::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Content<'de>, E> {
        Ok(Content::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Content<'de>, E> {
        Ok(Content::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Content<'de>, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Content::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Content<'de>, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Content::Other)
    }
}

/// An object's entries after its first key was read.
struct Map<'de, A> {
    first: Option<Key<'de>>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'de, A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(Key::Borrowed(k)) => seed
                .deserialize(de::value::BorrowedStrDeserializer::new(k))
                .map(Some),
            Some(Key::Owned(k)) => seed
                .deserialize(de::value::StringDeserializer::new(k))
                .map(Some),
            None => self.rest.next_key_seed(seed),
        }
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.rest.next_value_seed(Seed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.rest
            .size_hint()
            .map(|n| n + usize::from(self.first.is_some()))
    }
}

impl<V> Wrap<V> {
    fn number<'de, E: de::Error>(self, f: f64) -> Result<V::Value, E>
    where
        V: Visitor<'de>,
    {
        match (self.want, integral(f)) {
            (Want::Integer, Some(i)) => self.visitor.visit_i64(i),
            _ => self.visitor.visit_f64(f),
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.visitor.expecting(f)
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Encoded(d))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.visitor.visit_bool(v)
    }
    // JSON numbers are Convex float64s, whatever their spelling.
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.number(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.number(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.number(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.visitor.visit_str(v)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.visitor.visit_borrowed_str(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.visitor.visit_string(v)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(Seq(seq))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
        let Some(first) = map.next_key_seed(KeySeed)? else {
            return self.visitor.visit_map(Map {
                first: None,
                rest: map,
            });
        };
        if !first.as_str().starts_with('$') {
            return self.visitor.visit_map(Map {
                first: Some(first),
                rest: map,
            });
        }
        // A wrapper: its only key names the type, its content is small.
        let content = map.next_value_seed(ContentSeed)?;
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(ValueError::InvalidFieldName {
                name: first.as_str().to_owned(),
                reason: "starts with '$'",
            }));
        }
        let content = match &content {
            Content::Str(k) => WrapperContent::Str(k.as_str()),
            Content::Null => WrapperContent::Null,
            Content::Other => WrapperContent::Other,
        };
        match decode_wrapper_content(first.as_str(), content).map_err(de::Error::custom)? {
            Value::Int64(i) => self.visitor.visit_i64(i),
            Value::Float64(f) => self.visitor.visit_f64(f),
            Value::Bytes(b) => self.visitor.visit_byte_buf(b),
            _ => self.visitor.visit_unit(),
        }
    }
}

struct Enum<A>(A);
struct Variant<A>(A);

impl<'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Enum<A> {
    type Error = A::Error;
    type Variant = Variant<A::Variant>;
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        self.0
            .variant_seed(seed)
            .map(|(v, rest)| (v, Variant(rest)))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Variant<A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(
            len,
            Wrap {
                visitor,
                want: Want::Any,
            },
        )
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(
            fields,
            Wrap {
                visitor,
                want: Want::Any,
            },
        )
    }
}

struct EnumVisitor<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for EnumVisitor<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Enum(data))
    }
}

macro_rules! integers {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.deserialize_any(Wrap { visitor, want: Want::Integer })
        }
    )*};
}

macro_rules! forward {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(Wrap { visitor, want: Want::Any })
        }
    )*};
}

impl<'de, D: de::Deserializer<'de>> de::Deserializer<'de> for Encoded<D> {
    type Error = D::Error;

    with_integer_methods!(integers);

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_option
    );

    // Numbers and wrapped values arrive through `deserialize_any`.
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.deserialize_any(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.deserialize_any(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.deserialize_any(visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.deserialize_any(visitor)
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(
            name,
            Wrap {
                visitor,
                want: Want::Any,
            },
        )
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        visitor.visit_newtype_struct(self)
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(
            len,
            Wrap {
                visitor,
                want: Want::Any,
            },
        )
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(
            name,
            len,
            Wrap {
                visitor,
                want: Want::Any,
            },
        )
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(
            name,
            fields,
            Wrap {
                visitor,
                want: Want::Any,
            },
        )
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_enum(name, variants, EnumVisitor(visitor))
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_ignored_any(visitor)
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
