//! serde integration: plain Rust types in and out of [`Value`].
//!
//! About 640 lines (80 of them tests) in one file: serde's `Serializer` and `Deserializer`
//! traits are wide (a method per serde type), and both directions are read against the
//! mapping table below. [`from_value`] decodes through the wire text (the same decoder as
//! query results, `encoded.rs`); `impl Deserializer for Value` is kept as public API (any
//! serde consumer can read a `Value`) and as the fuzz tests' second, independent decoder.
//!
//! Mapping (chosen so that Rust types meet Convex validators the way JS values do):
//!
//! | Rust | Convex |
//! |---|---|
//! | `i64`, `u64` (≤ i64::MAX), `i128`/`u128` in range | `int64` (`v.int64()`) |
//! | `i8`..`i32`, `u8`..`u32`, `f32`, `f64` | `float64` (`v.number()`) |
//! | `bool`, `String`/`&str`/`char` | boolean, string |
//! | `serde_bytes::ByteBuf` and other `serialize_bytes` users | bytes |
//! | `Vec`, tuples, slices | array |
//! | structs, maps with string keys | object |
//! | `Option::None` as a struct field or map value | the field is left out (JS `undefined`) |
//! | `Option::None` elsewhere, `()` | null |
//! | unit enum variant | its name as a string |
//! | newtype / struct / tuple variant | `{ "Variant": ... }` |
//!
//! Reading back, a float64 with no fraction deserialises into any integer type that holds it,
//! so `count: u32` reads a JS `number` fine.

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};

use super::model::{with_integer_methods, Object, Value, ValueError};
use crate::json::integral;

/// Converts any `Serialize` type into a Convex [`Value`].
///
/// ```
/// use convex_yew_core::value::{to_value, Value};
/// #[derive(serde::Serialize)]
/// struct Args { count: u32, note: Option<String> }
/// let v = to_value(&Args { count: 10, note: None }).unwrap();
/// assert_eq!(v.to_json().to_string(), r#"{"count":10}"#);
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ValueError> {
    Ok(value.serialize(ValueSerializer)?.unwrap_or(Value::Null))
}

/// Converts function arguments into the argument object: a struct or map, or `()` / `None`
/// for no arguments.
///
/// ```
/// use convex_yew_core::value::to_args;
/// #[derive(serde::Serialize)]
/// struct Args { count: u32 }
/// assert_eq!(to_args(&Args { count: 1 }).unwrap().len(), 1);
/// assert!(to_args(&()).unwrap().is_empty());
/// assert!(to_args(&5).is_err());
/// ```
pub fn to_args<T: Serialize + ?Sized>(args: &T) -> Result<Object, ValueError> {
    match to_value(args)? {
        Value::Object(o) => Ok(o),
        Value::Null => Ok(Object::new()),
        other => Err(ValueError::ArgsNotObject(other.type_name())),
    }
}

/// Converts a Convex [`Value`] into any `DeserializeOwned` type.
///
/// ```
/// use convex_yew_core::value::{from_value, Value};
/// let v = Value::Array(vec![Value::Float64(1.0), Value::Float64(2.0)]);
/// let numbers: Vec<u32> = from_value(v).unwrap();
/// assert_eq!(numbers, vec![1, 2]);
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ValueError> {
    // Through the wire text: one typed decoder for values and server results alike, so an
    // app's types are compiled into the wasm once, not once per source (see `encoded`).
    super::encoded::from_encoded_json(&value.to_json_text())
}

impl ser::Error for ValueError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ValueError::Serde(msg.to_string())
    }
}

impl de::Error for ValueError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ValueError::Serde(msg.to_string())
    }
    // serde's own words, with strings quoted as JSON (see `json::Unexpected`).
    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        let unexp = crate::json::Unexpected(unexp);
        Self::custom(format_args!("invalid type: {unexp}, expected {exp}"))
    }
    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        let unexp = crate::json::Unexpected(unexp);
        Self::custom(format_args!("invalid value: {unexp}, expected {exp}"))
    }
}

/// Serialises into `Some(value)`, or `None` for "undefined" (an absent optional).
struct ValueSerializer;

type Slot = Option<Value>;

fn int_from_i128(v: i128) -> Result<Slot, ValueError> {
    i64::try_from(v)
        .map(|i| Some(Value::Int64(i)))
        .map_err(|_| ValueError::IntegerOutOfRange(v.to_string()))
}

impl ser::Serializer for ValueSerializer {
    type Ok = Slot;
    type Error = ValueError;
    type SerializeSeq = SeqSerializer;
    type SerializeTuple = SeqSerializer;
    type SerializeTupleStruct = SeqSerializer;
    type SerializeTupleVariant = VariantSerializer<SeqSerializer>;
    type SerializeMap = MapSerializer;
    type SerializeStruct = MapSerializer;
    type SerializeStructVariant = VariantSerializer<MapSerializer>;

    fn serialize_bool(self, v: bool) -> Result<Slot, ValueError> {
        Ok(Some(Value::Boolean(v)))
    }
    fn serialize_i8(self, v: i8) -> Result<Slot, ValueError> {
        self.serialize_f64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Slot, ValueError> {
        self.serialize_f64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Slot, ValueError> {
        self.serialize_f64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Slot, ValueError> {
        Ok(Some(Value::Int64(v)))
    }
    fn serialize_i128(self, v: i128) -> Result<Slot, ValueError> {
        int_from_i128(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Slot, ValueError> {
        self.serialize_f64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Slot, ValueError> {
        self.serialize_f64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Slot, ValueError> {
        self.serialize_f64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Slot, ValueError> {
        int_from_i128(v.into())
    }
    fn serialize_u128(self, v: u128) -> Result<Slot, ValueError> {
        i128::try_from(v)
            .map_err(|_| ValueError::IntegerOutOfRange(v.to_string()))
            .and_then(int_from_i128)
    }
    fn serialize_f32(self, v: f32) -> Result<Slot, ValueError> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Slot, ValueError> {
        Ok(Some(Value::Float64(v)))
    }
    fn serialize_char(self, v: char) -> Result<Slot, ValueError> {
        Ok(Some(Value::String(v.to_string())))
    }
    fn serialize_str(self, v: &str) -> Result<Slot, ValueError> {
        Ok(Some(Value::String(v.to_owned())))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Slot, ValueError> {
        Ok(Some(Value::Bytes(v.to_vec())))
    }
    fn serialize_none(self) -> Result<Slot, ValueError> {
        Ok(None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Slot, ValueError> {
        // `Some(None)` is still absent; `Some(x)` is x.
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Slot, ValueError> {
        Ok(Some(Value::Null))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Slot, ValueError> {
        Ok(Some(Value::Null))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Slot, ValueError> {
        Ok(Some(Value::String(variant.to_owned())))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Slot, ValueError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Slot, ValueError> {
        let mut o = Object::new();
        o.insert(variant.to_owned(), to_value(value)?);
        Ok(Some(Value::Object(o)))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSerializer, ValueError> {
        Ok(SeqSerializer(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSerializer, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqSerializer, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Ok(VariantSerializer {
            variant,
            inner: SeqSerializer(Vec::with_capacity(len)),
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapSerializer, ValueError> {
        Ok(MapSerializer::default())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<MapSerializer, ValueError> {
        Ok(MapSerializer::default())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Ok(VariantSerializer {
            variant,
            inner: MapSerializer::default(),
        })
    }
}

struct SeqSerializer(Vec<Value>);

impl SeqSerializer {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.0.push(to_value(value)?);
        Ok(())
    }
}

/// Sequences, tuples and tuple structs all become arrays: one impl each, through one macro.
macro_rules! array_serializer {
    ($($trait:ident::$method:ident),*) => {$(
        impl ser::$trait for SeqSerializer {
            type Ok = Slot;
            type Error = ValueError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
                self.push(value)
            }
            fn end(self) -> Result<Slot, ValueError> {
                Ok(Some(Value::Array(self.0)))
            }
        }
    )*};
}

array_serializer!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

#[derive(Default)]
struct MapSerializer {
    fields: Object,
    next_key: Option<String>,
}

impl MapSerializer {
    fn insert<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), ValueError> {
        super::model::validate_field_name(&key)?;
        if let Some(v) = value.serialize(ValueSerializer)? {
            self.fields.insert(key, v);
        }
        Ok(())
    }
}

impl ser::SerializeMap for MapSerializer {
    type Ok = Slot;
    type Error = ValueError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        match to_value(key)? {
            Value::String(s) => {
                self.next_key = Some(s);
                Ok(())
            }
            other => Err(ValueError::NonStringKey(other.type_name())),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let key = self
            .next_key
            .take()
            .ok_or_else(|| ValueError::Serde("map value without a key".into()))?;
        self.insert(key, value)
    }
    fn end(self) -> Result<Slot, ValueError> {
        Ok(Some(Value::Object(self.fields)))
    }
}

impl ser::SerializeStruct for MapSerializer {
    type Ok = Slot;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        self.insert(key.to_owned(), value)
    }
    fn end(self) -> Result<Slot, ValueError> {
        Ok(Some(Value::Object(self.fields)))
    }
}

struct VariantSerializer<S> {
    variant: &'static str,
    inner: S,
}

impl<S> VariantSerializer<S> {
    fn wrap(variant: &'static str, inner: Slot) -> Slot {
        let mut o = Object::new();
        o.insert(variant.to_owned(), inner.unwrap_or(Value::Null));
        Some(Value::Object(o))
    }
}

impl ser::SerializeTupleVariant for VariantSerializer<SeqSerializer> {
    type Ok = Slot;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.inner.push(value)
    }
    fn end(self) -> Result<Slot, ValueError> {
        Ok(Self::wrap(self.variant, Some(Value::Array(self.inner.0))))
    }
}

impl ser::SerializeStructVariant for VariantSerializer<MapSerializer> {
    type Ok = Slot;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        self.inner.insert(key.to_owned(), value)
    }
    fn end(self) -> Result<Slot, ValueError> {
        Ok(Self::wrap(
            self.variant,
            Some(Value::Object(self.inner.fields)),
        ))
    }
}

impl Serialize for Value {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => s.serialize_unit(),
            Value::Boolean(b) => s.serialize_bool(*b),
            Value::Int64(i) => s.serialize_i64(*i),
            Value::Float64(f) => s.serialize_f64(*f),
            Value::String(v) => s.serialize_str(v),
            Value::Bytes(b) => s.serialize_bytes(b),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Convex value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int64(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int64)
            .map_err(|_| E::custom(ValueError::IntegerOutOfRange(v.to_string())))
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
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bytes(v))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        // At most Convex's 1024 entries: an object is a sorted vector, and a hostile server's
        // keys inserted in descending order would otherwise cost O(n²) moves (80,000 keys:
        // seconds). 1024 scrambled keys take about 0.5 ms.
        let mut fields = Object::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            if fields.len() == super::model::MAX_OBJECT_ENTRIES {
                return Err(de::Error::invalid_length(
                    fields.len() + 1,
                    &"an object of at most 1024 entries (Convex's limit)",
                ));
            }
            fields.insert(k, v);
        }
        Ok(Value::Object(fields))
    }
}

macro_rules! deserialize_integer {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            match self {
                Value::Int64(i) => visitor.visit_i64(i),
                Value::Float64(f) => match integral(f) {
                    Some(i) => visitor.visit_i64(i),
                    None => visitor.visit_f64(f),
                },
                other => other.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Boolean(b) => visitor.visit_bool(b),
            Value::Int64(i) => visitor.visit_i64(i),
            Value::Float64(f) => visitor.visit_f64(f),
            Value::String(s) => visitor.visit_string(s),
            Value::Bytes(b) => visitor.visit_byte_buf(b),
            Value::Array(items) => {
                visitor.visit_seq(de::value::SeqDeserializer::new(items.into_iter()))
            }
            Value::Object(fields) => {
                visitor.visit_map(de::value::MapDeserializer::new(fields.into_iter()))
            }
        }
    }

    with_integer_methods!(deserialize_integer);

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            Value::Object(fields) if fields.len() == 1 => {
                visitor.visit_enum(de::value::MapAccessDeserializer::new(
                    de::value::MapDeserializer::new(fields.into_iter()),
                ))
            }
            other => Err(ValueError::Serde(format!(
                "expected an enum (a string or a one-key object), found {}",
                other.type_name()
            ))),
        }
    }

    serde::forward_to_deserialize_any! {
        bool f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, ValueError> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum Shape {
        Dot,
        Circle(f64),
        Rect { w: u32, h: u32 },
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Doc {
        count: u32,
        big: i64,
        ratio: f64,
        name: String,
        tags: Vec<String>,
        note: Option<String>,
        shapes: Vec<Shape>,
        nothing: (),
    }

    #[test]
    fn struct_round_trip_and_wire_form() {
        let doc = Doc {
            count: 10,
            big: 1 << 40,
            ratio: 0.5,
            name: "n".into(),
            tags: vec!["a".into()],
            note: None,
            shapes: vec![Shape::Dot, Shape::Circle(1.5), Shape::Rect { w: 1, h: 2 }],
            nothing: (),
        };
        let v = to_value(&doc).unwrap();
        let wire = v.to_json().to_string();
        assert_eq!(
            wire,
            r#"{"big":{"$integer":"AAAAAAABAAA="},"count":10,"name":"n","nothing":null,"ratio":0.5,"shapes":["Dot",{"Circle":1.5},{"Rect":{"h":2,"w":1}}],"tags":["a"]}"#
        );
        let back: Doc = from_value(Value::from_json(&v.to_json()).unwrap()).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn numbers_convert_as_documented() {
        assert_eq!(to_value(&5u32).unwrap(), Value::Float64(5.0));
        assert_eq!(to_value(&5i64).unwrap(), Value::Int64(5));
        assert!(to_value(&u64::MAX).is_err());
        let x: u8 = from_value(Value::Float64(200.0)).unwrap();
        assert_eq!(x, 200);
        assert!(from_value::<u8>(Value::Float64(300.0)).is_err());
        assert!(from_value::<u8>(Value::Float64(1.5)).is_err());
        let f: f64 = from_value(Value::Int64(3)).unwrap();
        assert_eq!(f, 3.0);
        let nan: f64 = from_value(Value::Float64(f64::NAN)).unwrap();
        assert!(nan.is_nan());
    }

    #[test]
    fn value_passes_through_unchanged() {
        let v = Value::from_json(&serde_json::json!({"a":{"$integer":"AQAAAAAAAAA="},"b":{"$bytes":"AQID"},"c":[1.5,null]})).unwrap();
        assert_eq!(to_value(&v).unwrap(), v);
        assert_eq!(from_value::<Value>(v.clone()).unwrap(), v);
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        let mut m = std::collections::HashMap::new();
        m.insert("$bad", 1);
        assert!(matches!(
            to_value(&m),
            Err(ValueError::InvalidFieldName { .. })
        ));
        let mut m2 = std::collections::BTreeMap::new();
        m2.insert(1, 1);
        assert!(matches!(to_value(&m2), Err(ValueError::NonStringKey(_))));
        assert!(from_value::<Doc>(Value::Null).is_err());
        assert!(from_value::<Shape>(Value::Int64(1)).is_err());
    }
}
