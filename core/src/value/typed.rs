//! Typed building blocks for Rust types that mirror Convex validators (what the code
//! generator emits): [`Id<T>`] for `v.id("table")` and [`Bytes`] for `v.bytes()`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A Convex table, named as in the schema. The code generator emits one marker type per table.
pub trait TableName {
    /// The table's name.
    const NAME: &'static str;
}

/// The id of a document in table `T` (`v.id("T")`): a string on the wire, a distinct type per
/// table in Rust, so an id of one table cannot be passed where another's is expected.
pub struct Id<T> {
    id: String,
    _table: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    /// Wraps an id string (as the server returned it).
    pub fn new(id: impl Into<String>) -> Id<T> {
        Id {
            id: id.into(),
            _table: PhantomData,
        }
    }

    /// The id as the server writes it.
    pub fn as_str(&self) -> &str {
        &self.id
    }
}

impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        Id::new(self.id.clone())
    }
}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl<T> Eq for Id<T> {}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}
impl<T> std::hash::Hash for Id<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state)
    }
}
impl<T: TableName> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id<{}>({})", T::NAME, self.id)
    }
}
impl<T> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}
impl<T> Serialize for Id<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id)
    }
}
impl<'de, T> Deserialize<'de> for Id<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Id::new)
    }
}

/// Convex bytes (`v.bytes()`, an `ArrayBuffer` in JS): serialised as bytes, not as an array of
/// numbers as a plain `Vec<u8>` would be.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct BytesVisitor;
        impl<'de> Visitor<'de> for BytesVisitor {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bytes, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Bytes(out))
            }
        }
        d.deserialize_byte_buf(BytesVisitor)
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{from_value, to_value, Value};

    enum Messages {}
    impl TableName for Messages {
        const NAME: &'static str = "messages";
    }

    #[test]
    fn ids_and_bytes_round_trip_as_convex_values() {
        let id: Id<Messages> = Id::new("k57abc");
        assert_eq!(to_value(&id).unwrap(), Value::String("k57abc".into()));
        assert_eq!(
            from_value::<Id<Messages>>(Value::String("k57abc".into())).unwrap(),
            id
        );
        assert_eq!(format!("{id:?}"), "Id<messages>(k57abc)");
        let b = Bytes(vec![0, 1, 255]);
        assert_eq!(to_value(&b).unwrap(), Value::Bytes(vec![0, 1, 255]));
        assert_eq!(
            from_value::<Bytes>(Value::Bytes(vec![0, 1, 255])).unwrap(),
            b
        );
    }
}
