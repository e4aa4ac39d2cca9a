use crate::base64;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A Convex timestamp: nanoseconds since the Unix epoch, at most `i64::MAX`.
///
/// On the wire it is "EncodedTS": standard base64 of the 8 little-endian bytes. Compare
/// timestamps as numbers (this type's `Ord`), never as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ts(pub u64);

impl Ts {
    /// Encodes as the wire string.
    pub fn encode(self) -> String {
        base64::encode(&self.0.to_le_bytes())
    }

    /// Decodes the wire string; `None` when it is not base64 of 8 bytes or exceeds `i64::MAX`.
    pub fn decode(text: &str) -> Option<Ts> {
        let bytes = base64::decode(text).ok()?;
        let arr: [u8; 8] = bytes.as_slice().try_into().ok()?;
        let v = u64::from_le_bytes(arr);
        (v <= i64::MAX as u64).then_some(Ts(v))
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Ts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ts, D::Error> {
        let text = String::deserialize(d)?;
        Ts::decode(&text).ok_or_else(|| {
            de::Error::custom(format!("invalid EncodedTS {}", crate::json::Quoted(&text)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        assert_eq!(Ts(0).encode(), "AAAAAAAAAAA=");
        assert_eq!(Ts(10).encode(), "CgAAAAAAAAA=");
        assert_eq!(Ts::decode("CgAAAAAAAAA="), Some(Ts(10)));
        assert_eq!(Ts::decode("//////////8="), None); // above i64::MAX
        assert_eq!(Ts::decode("AQ=="), None);
        assert_eq!(Ts::decode("not base64!"), None);
    }
}
