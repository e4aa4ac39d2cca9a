//! JSON text in and out, with serde: what every frame, token payload and AuthKit body goes
//! through. (The Transition reader also pulls values from the text directly, keeping each
//! query result as its text.)
//!
//! A reader and a writer of a few hundred lines instead of serde_json's text machinery, which
//! was about a fifth of the SDK's wasm (issue #24). They read and write what serde_json does
//! (tested against it, value by value and on random documents), with the differences their
//! modules name. `serde_json::Value` stays the JSON tree type of the API: it is read and
//! written through these.
//!
//! ```
//! use convex_yew_core::json;
//! let v: serde_json::Value = json::from_str(r#"{"a": [1, -2, 0.5, "\u00e9"]}"#).unwrap();
//! assert_eq!(json::to_string(&v), r#"{"a":[1,-2,0.5,"é"]}"#);
//! assert!(json::from_str::<serde_json::Value>("[1,]").is_err());
//! ```

mod de;
pub(crate) use de::{integral, Wrapped, WrapperContent, WrapperReader};
mod float;
mod ser;

pub(crate) use de::Deserializer as Reader;
/// Writers for JSON text built by hand (the Convex value writer): a string literal, and a
/// finite `f64` as serde_json writes it.
pub(crate) use ser::{write_f64, write_str};

use std::fmt;

use serde::de::Deserialize;
use serde::Serialize;

/// Why JSON text could not be read (or, rarely, a value written): the reason, and the byte
/// offset in the text where reading stopped when known.
///
/// One pointer wide, so that `Result<(), JsonError>` is returned in a register (the reader's
/// every step returns one; serde_json boxes its error for the same reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError(Box<ErrorInner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorInner {
    message: String,
    at: Option<usize>,
}

impl JsonError {
    #[cold]
    fn at(message: &str, at: usize) -> Self {
        JsonError(Box::new(ErrorInner {
            message: message.to_owned(),
            at: Some(at),
        }))
    }

    /// A pull read that found a value of another type than it reads (see
    /// [`de::Deserializer::fitting`]).
    pub(crate) fn wrong_type() -> Self {
        JsonError::at("a value of the wrong type", 0)
    }

    fn or_at(mut self, at: usize) -> Self {
        self.0.at = self.0.at.or(Some(at));
        self
    }

    /// The byte offset in the text where reading stopped, when known.
    pub fn offset(&self) -> Option<usize> {
        self.0.at
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)?;
        match self.0.at {
            Some(at) => write!(f, " at byte {at}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for JsonError {}

impl serde::de::Error for JsonError {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        JsonError(Box::new(ErrorInner {
            message: msg.to_string(),
            at: None,
        }))
    }
    fn invalid_type(unexp: serde::de::Unexpected, exp: &dyn serde::de::Expected) -> Self {
        Self::custom(format_args!(
            "invalid type: {}, expected {exp}",
            Unexpected(unexp)
        ))
    }
    fn invalid_value(unexp: serde::de::Unexpected, exp: &dyn serde::de::Expected) -> Self {
        Self::custom(format_args!(
            "invalid value: {}, expected {exp}",
            Unexpected(unexp)
        ))
    }
}

/// serde's [`Unexpected`](serde::de::Unexpected) in serde's words, with a string quoted as a
/// JSON literal ([`Quoted`]) and a float written as serde_json writes it, so that reporting a
/// wrong type compiles neither Rust's escape tables nor serde's float formatting.
pub(crate) struct Unexpected<'a>(pub serde::de::Unexpected<'a>);

impl fmt::Display for Unexpected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use serde::de::Unexpected as U;
        match self.0 {
            U::Bool(b) => write!(f, "boolean `{b}`"),
            U::Unsigned(i) => write!(f, "integer `{i}`"),
            U::Signed(i) => write!(f, "integer `{i}`"),
            // As serde_json writes the number: `2.0`, `1e+300`.
            U::Float(x) if x.is_finite() => {
                let mut text = String::new();
                ser::write_f64(&mut text, x);
                write!(f, "floating point `{text}`")
            }
            U::Float(x) => write!(f, "floating point `{x}`"),
            U::Char(c) => write!(f, "character `{c}`"),
            U::Str(s) => write!(f, "string {}", Quoted(s)),
            U::Bytes(_) => f.write_str("byte array"),
            U::Unit => f.write_str("unit value"),
            U::Option => f.write_str("Option value"),
            U::NewtypeStruct => f.write_str("newtype struct"),
            U::Seq => f.write_str("sequence"),
            U::Map => f.write_str("map"),
            U::Enum => f.write_str("enum"),
            U::UnitVariant => f.write_str("unit variant"),
            U::NewtypeVariant => f.write_str("newtype variant"),
            U::TupleVariant => f.write_str("tuple variant"),
            U::StructVariant => f.write_str("struct variant"),
            U::Other(other) => f.write_str(other),
        }
    }
}

impl serde::ser::Error for JsonError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        <Self as serde::de::Error>::custom(msg)
    }
}

/// Reads one JSON document into `T`; only whitespace may follow it.
///
/// # Errors
/// [`JsonError`] for text that is not JSON (RFC 8259), nests deeper than 127, holds a number
/// too large for `f64`, or does not have `T`'s shape.
pub fn from_str<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, JsonError> {
    let mut d = de::Deserializer::new(text);
    let value = T::deserialize(&mut d)?;
    d.end()?;
    Ok(value)
}

/// A string shown as a JSON string literal, `"a\"b"`: how messages quote what they were
/// given. Like `{:?}` for ordinary text, without compiling Rust's escape tables into wasm.
///
/// ```
/// use convex_yew_core::json::Quoted;
/// assert_eq!(format!("path {}", Quoted("a\"b\n")), r#"path "a\"b\n""#);
/// ```
pub struct Quoted<'a>(pub &'a str);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = String::with_capacity(self.0.len() + 2);
        ser::write_str(&mut text, self.0);
        f.write_str(&text)
    }
}

/// Reads JSON text with a caller's pull reader (see [`de::Deserializer::object`]); only
/// whitespace may follow the value.
pub(crate) fn from_str_with<'de, T>(
    text: &'de str,
    read: impl FnOnce(&mut de::Deserializer<'de>) -> Result<T, JsonError>,
) -> Result<T, JsonError> {
    let mut d = de::Deserializer::new(text);
    let value = read(&mut d)?;
    d.end()?;
    Ok(value)
}

/// Reads `convex_encoded_json` text (the reader's Convex mode: wrappers arrive as the values
/// they hold, plain numbers as float64s); only whitespace may follow the value.
pub(crate) fn from_convex_str<T: serde::de::DeserializeOwned>(
    text: &str,
    wrappers: WrapperReader,
) -> Result<T, JsonError> {
    let mut d = de::Deserializer::convex(text, wrappers);
    let value = T::deserialize(&mut d)?;
    d.end()?;
    Ok(value)
}

/// Checks that `text` is one JSON document as a JSON tree reads it, keeping nothing: every
/// string decoded (a lone surrogate is an error), every number converted (`1e400` is an
/// error), nesting at most 127 deep. Skipping checks less (it is serde_json's `IgnoredAny`).
pub(crate) fn validate(text: &str) -> Result<(), JsonError> {
    validate_at(text, 0)
}

/// [`validate`] for a value found `depth` levels inside a document (an object's field is one
/// level in): the nesting limit counts from the document's root, as a JSON tree counts it.
pub(crate) fn validate_at(text: &str, depth: u32) -> Result<(), JsonError> {
    let mut d = de::Deserializer::new(text);
    d.depth = depth;
    d.check_value()?;
    d.end()
}

/// A JSON string's value (`None` for anything else), read without serde's generated code.
pub(crate) fn read_string(text: &str) -> Option<String> {
    from_str_with(text, |d| d.text()).ok()
}

/// A JSON number as an `f64` (`None` for anything else or one out of range).
pub(crate) fn read_f64(text: &str) -> Option<f64> {
    from_str_with(text, |d| d.f64()).ok()
}

/// A JSON boolean (`None` for anything else).
pub(crate) fn read_bool(text: &str) -> Option<bool> {
    match text.trim_matches([' ', '\t', '\n', '\r']) {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A JSON array of strings (`None` for anything else, or one element of another type).
pub(crate) fn read_strings(text: &str) -> Option<Vec<String>> {
    from_str_with(text, |d| d.strings()).ok()
}

/// An object's keys, each with the byte range of its value's text in `text` (checked as
/// skipping checks it), in order; only whitespace may follow the object.
pub(crate) fn object_fields(
    text: &str,
) -> Result<Vec<(String, std::ops::Range<usize>)>, JsonError> {
    let mut fields = Vec::new();
    let mut d = de::Deserializer::new(text);
    d.object(&mut |r, key| {
        let raw = r.raw()?;
        let start = raw.as_ptr() as usize - text.as_ptr() as usize;
        fields.push((key.to_owned(), start..start + raw.len()));
        Ok(())
    })?;
    d.end()?;
    Ok(fields)
}

/// Writes `value` as compact JSON text. A value serde cannot write as JSON (a map with a
/// non-string key, a serializer error of its own) writes as far as it got; use
/// [`try_to_string`] to see the error.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    let _ = value.serialize(ser::Serializer { out: &mut out });
    out
}

/// Writes `value` as compact JSON text.
///
/// # Errors
/// [`JsonError`] when a map key is not a string, integer or char, or `value`'s own
/// `Serialize` fails.
pub fn try_to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, JsonError> {
    let mut out = String::new();
    value.serialize(ser::Serializer { out: &mut out })?;
    Ok(out)
}

/// A small deterministic generator for the tests' random inputs (xorshift64).
#[cfg(test)]
pub(crate) fn xorshift(mut s: u64) -> impl FnMut() -> u64 {
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value as Json;

    /// Our reading of `text` equals serde_json's (both succeed with the same tree, or both
    /// fail).
    fn same(text: &str) {
        let ours = from_str::<Json>(text).ok();
        let theirs = serde_json::from_str::<Json>(text).ok();
        assert_eq!(ours, theirs, "{text:?}");
        // The readers without serde read what serde_json's typed reads read.
        assert_eq!(
            read_string(text),
            serde_json::from_str(text).ok(),
            "{text:?}"
        );
        assert_eq!(
            read_f64(text).map(f64::to_bits),
            serde_json::from_str::<f64>(text).ok().map(f64::to_bits),
            "{text:?}"
        );
        assert_eq!(read_bool(text), serde_json::from_str(text).ok(), "{text:?}");
        assert_eq!(
            read_strings(text),
            serde_json::from_str(text).ok(),
            "{text:?}"
        );
        // The frame check reads exactly what builds a tree.
        assert_eq!(
            validate(text).is_ok(),
            theirs.is_some(),
            "validate {text:?}"
        );
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "1",
            "-1",
            "0.5",
            "-0.0",
            "1e3",
            "1E-3",
            "1.5e+300",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "2.2250738585072011e-308",
            "0.30000000000000004",
            "9007199254740993",
            "\"\"",
            "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"",
            "\"\\u00e9\\ud83d\\ude00\"",
            "\"é😀\"",
            "[]",
            "{}",
            " [ 1 , { \"a\" : [ ] } ] ",
            "{\"a\":1,\"a\":2}",
            "{\"\":null}",
            // Errors, both ways.
            "",
            " ",
            "nul",
            "tru",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "0x10",
            "NaN",
            "Infinity",
            "1e400",
            "-1e400",
            "[1,]",
            "[,1]",
            "{\"a\":1,}",
            "{a:1}",
            "{\"a\" 1}",
            "[1 2]",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"\\ud83dx\"",
            "\"\\u12\"",
            "\"\\x\"",
            "\"a\nb\"",
            "\"unterminated",
            "[1",
            "{\"a\":1",
            "1 2",
            "[]]",
            "{}}",
            "\"\\",
            "\"\\u",
            "tRue",
            "[\"a\",\"b\"",
            "{\"a\":}",
        ] {
            same(text);
        }
        // The exact float, where serde_json needs its `float_roundtrip` feature.
        assert_eq!(
            from_str::<f64>("2.2250738585072011e-308").unwrap(),
            "2.2250738585072011e-308".parse::<f64>().unwrap()
        );
        assert_eq!(from_str::<f64>("0.1e1").unwrap(), 1.0);
        assert_eq!(
            from_str::<f64>("-0").unwrap().to_bits(),
            (-0.0f64).to_bits()
        );
    }

    #[test]
    fn nesting_is_limited_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(from_str::<Json>(&deep).is_err());
        // Skipping builds nothing and has no limit, as in serde_json (a Transition's
        // result may nest as deep as its query returns; it is read where it is decoded).
        use serde::de::IgnoredAny;
        assert!(from_str::<IgnoredAny>(&deep).is_ok());
        assert!(serde_json::from_str::<IgnoredAny>(&deep).is_ok());
        assert!(from_str::<IgnoredAny>(&deep[..deep.len() - 1]).is_err());
        assert!(from_str::<IgnoredAny>(&format!("{}1,]]", "[".repeat(1000))).is_err());
        // Skipped strings check escapes as serde_json's skipping does: four hex digits.
        for text in [
            r#""\ud800""#,
            r#"["\udc00x"]"#,
            r#""\u12""#,
            r#""\q""#,
            r#"{"a":"\ud83d\ude00"}"#,
        ] {
            assert_eq!(
                from_str::<IgnoredAny>(text).is_ok(),
                serde_json::from_str::<IgnoredAny>(text).is_ok(),
                "{text}"
            );
        }
        let ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        assert!(from_str::<Json>(&ok).is_ok());
        same(&ok);
        same(&format!("{}{}", "[".repeat(128), "]".repeat(128)));
    }

    #[test]
    fn writes_what_serde_json_writes() {
        for text in [
            r#"{"a":[1,-2,0.5,1.0,-0.0,1e-7,"x\"\\\n\u0001é",null,true,{}],"b":{"c":[]}}"#,
            r#"[18446744073709551615,-9223372036854775808,123.456,3.0e10]"#,
        ] {
            let tree: Json = serde_json::from_str(text).unwrap();
            let ours = to_string(&tree);
            assert_eq!(serde_json::from_str::<Json>(&ours).unwrap(), tree, "{ours}");
        }
        assert_eq!(
            to_string(&json_tree()),
            serde_json::to_string(&json_tree()).unwrap()
        );
        assert_eq!(to_string(&f64::NAN), "null");
        assert_eq!(to_string(&1e21), "1e+21");
        assert_eq!(from_str::<f64>(&to_string(&5e-324)).unwrap(), 5e-324);
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for f in [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e-5,
            1e-6,
            9.99e-6,
            1e20,
            1e21,
            123456789.125,
            5e-324,
        ]
        .into_iter()
        .chain((0..20_000).map(|_| f64::from_bits(next())))
        {
            // The same digits and form, except that where two shortest digit strings both read
            // back as `f`, the standard library and serde_json may pick different last digits.
            let (ours, theirs) = (to_string(&f), serde_json::to_string(&f).unwrap());
            if f.is_finite() {
                assert_eq!(
                    serde_json::from_str::<f64>(&ours).unwrap().to_bits(),
                    f.to_bits()
                );
                assert_eq!(from_str::<f64>(&ours).unwrap().to_bits(), f.to_bits());
                assert_eq!(ours.len(), theirs.len(), "{ours} {theirs}");
                assert_eq!(ours.contains('e'), theirs.contains('e'), "{ours} {theirs}");
                assert_eq!(
                    ours[..ours.len() - 3],
                    theirs[..theirs.len() - 3],
                    "{ours} {theirs}"
                );
            } else {
                assert_eq!(ours, theirs);
            }
        }
    }

    fn json_tree() -> Json {
        serde_json::json!({"s": "a\u{7f}\u{1f}b", "n": [0, 1, -1, 2.5, 1.0], "o": {"k": null}})
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    enum Shape {
        Dot,
        Circle(f64),
        Pair(i32, i32),
        Rect { w: u8, h: u8 },
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Doc {
        name: String,
        tags: Vec<String>,
        shapes: Vec<Shape>,
        maybe: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        absent: Option<i8>,
        bytes: Vec<u8>,
        map: std::collections::BTreeMap<u32, bool>,
        unit: (),
        tuple: (char, i64),
    }

    #[test]
    fn typed_values_round_trip_like_serde_json() {
        let doc = Doc {
            name: "a\"b".into(),
            tags: vec!["x".into(), "é\\".into()],
            shapes: vec![
                Shape::Dot,
                Shape::Circle(1.5),
                Shape::Pair(-1, 2),
                Shape::Rect { w: 3, h: 4 },
            ],
            maybe: None,
            absent: None,
            bytes: vec![0, 255],
            map: [(7, true), (9, false)].into_iter().collect(),
            unit: (),
            tuple: ('ü', i64::MIN),
        };
        let ours = to_string(&doc);
        assert_eq!(ours, serde_json::to_string(&doc).unwrap());
        assert_eq!(from_str::<Doc>(&ours).unwrap(), doc);
        // Unknown fields are skipped (and checked); a wrong type is an error with a position.
        let extra = ours.replacen('{', r#"{"zzz":[{"deep":[1,2,{"x":"\u00e9"}]}],"#, 1);
        assert_eq!(from_str::<Doc>(&extra).unwrap(), doc);
        let broken = ours.replacen('{', r#"{"zzz":[1,],"#, 1);
        assert!(from_str::<Doc>(&broken).is_err());
        let wrong = from_str::<Doc>(r#"{"name": 5}"#).unwrap_err();
        assert!(wrong.offset().is_some(), "{wrong}");
        // A wrong type is told in serde's words, the string quoted as JSON quotes it.
        let quoted = from_str::<u32>(r#""a\"b""#).unwrap_err().to_string();
        assert!(
            quoted.starts_with(r#"invalid type: string "a\"b", expected u32"#),
            "{quoted}"
        );
        let theirs = serde_json::from_str::<u32>(r#""a\"b""#)
            .unwrap_err()
            .to_string();
        assert!(theirs.starts_with(r#"invalid type: string "a\"b", expected u32"#));
        for text in ["2.0", "-0.5", "1e300"] {
            let ours = from_str::<bool>(text).unwrap_err().to_string();
            let theirs = serde_json::from_str::<bool>(text).unwrap_err().to_string();
            let words = |m: &str| m.split(" at ").next().unwrap_or_default().to_owned();
            assert_eq!(words(&ours), words(&theirs), "{text}");
        }
        let value = crate::value::from_encoded_json::<bool>("1.5")
            .unwrap_err()
            .to_string();
        assert!(
            value.contains("invalid type: floating point `1.5`, expected a boolean"),
            "{value}"
        );
        assert!(try_to_string(&std::collections::BTreeMap::from([((1, 2), 3)])).is_err());
    }

    /// Map keys, 128-bit integers and `f32` as serde_json reads and writes them.
    #[test]
    fn keys_wide_integers_and_f32_like_serde_json() {
        use std::collections::BTreeMap;
        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        enum Color {
            Red,
            Blue,
        }
        fn agree<T>(text: &str)
        where
            T: for<'de> serde::Deserialize<'de> + serde::Serialize + PartialEq + std::fmt::Debug,
        {
            let (ours, theirs) = (
                from_str::<T>(text).ok(),
                serde_json::from_str::<T>(text).ok(),
            );
            assert_eq!(ours, theirs, "{text} as {}", std::any::type_name::<T>());
            if let Some(v) = ours {
                assert_eq!(
                    try_to_string(&v).ok(),
                    serde_json::to_string(&v).ok(),
                    "{text}"
                );
            }
        }
        for key in [
            "1",
            "+1",
            "01",
            "-0",
            "-01",
            "-1",
            "\\u0031",
            "1.5",
            "1e2",
            "x",
            "",
            "256",
            "18446744073709551616",
        ] {
            let text = format!(r#"{{"{key}":1}}"#);
            agree::<BTreeMap<u8, u8>>(&text);
            agree::<BTreeMap<i64, u8>>(&text);
            agree::<BTreeMap<u128, u8>>(&text);
            agree::<BTreeMap<i128, u8>>(&text);
            agree::<BTreeMap<String, u8>>(&text);
        }
        agree::<BTreeMap<Color, u8>>(r#"{"Red":1,"Blue":2}"#);
        agree::<BTreeMap<Color, u8>>(r#"{"Green":1}"#);
        agree::<BTreeMap<bool, u8>>(r#"{"true":1,"false":2}"#);
        agree::<BTreeMap<bool, u8>>(r#"{"1":1}"#);
        for n in [
            "0",
            "-0",
            "1",
            "-1",
            "18446744073709551616",
            "-9223372036854775809",
            "170141183460469231731687303715884105727",
            "340282366920938463463374607431768211455",
            "340282366920938463463374607431768211456",
            "1.0",
            "1e3",
            "\"1\"",
        ] {
            agree::<i128>(n);
            agree::<u128>(n);
            agree::<Vec<i128>>(&format!("[{n}]"));
        }
        assert_eq!(
            to_string(&u128::MAX),
            serde_json::to_string(&u128::MAX).unwrap()
        );
        assert_eq!(
            to_string(&i128::MIN),
            serde_json::to_string(&i128::MIN).unwrap()
        );
        for n in [
            "0.1",
            "3.4028235e38",
            "3.4028236e38",
            "1.00000005960464477539062500001",
            "7.006492321624086e-46",
            "1e-45",
            "16777217",
            "-0",
            "5",
            "1e39",
        ] {
            agree::<f32>(n);
        }
        let mut next = xorshift(0x1234_5678);
        for _ in 0..20_000 {
            let f = f32::from_bits(next() as u32);
            let (ours, theirs) = (to_string(&f), serde_json::to_string(&f).unwrap());
            if f.is_finite() {
                assert_eq!(
                    from_str::<f32>(&ours).unwrap().to_bits(),
                    f.to_bits(),
                    "{ours}"
                );
                assert_eq!(ours.len(), theirs.len(), "{ours} {theirs}");
                assert_eq!(ours.contains('e'), theirs.contains('e'), "{ours} {theirs}");
            } else {
                assert_eq!(ours, theirs);
            }
        }
        // Keys serde_json writes quoted: bools, floats, 128-bit integers, options.
        for v in [
            try_to_string(&BTreeMap::from([(true, 1)])),
            try_to_string(&BTreeMap::from([(u128::MAX, 1)])),
            try_to_string(&BTreeMap::from([(Some(3), 1)])),
        ] {
            assert!(v.is_ok(), "{v:?}");
        }
        assert_eq!(
            to_string(&BTreeMap::from([(true, 1)])),
            serde_json::to_string(&BTreeMap::from([(true, 1)])).unwrap()
        );
        assert_eq!(
            to_string(&BTreeMap::from([(Some(3), 1)])),
            serde_json::to_string(&BTreeMap::from([(Some(3), 1)])).unwrap()
        );
    }

    #[test]
    fn random_documents_read_and_write_like_serde_json() {
        // A small deterministic generator: every kind of value, odd strings, deep nesting.
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        fn gen(next: &mut dyn FnMut() -> u64, depth: u32) -> Json {
            let pick = next() % if depth > 5 { 6 } else { 8 };
            match pick {
                0 => Json::Null,
                1 => Json::Bool(next() % 2 == 0),
                2 => Json::from(next() as i64 >> (next() % 64)),
                3 => Json::from(f64::from_bits(next()))
                    .as_f64()
                    .map_or(Json::Null, Json::from),
                4 => Json::from((next() % 1000) as f64 / 8.0 - 50.0),
                5 => {
                    let chars = ['a', '"', '\\', '\n', '\u{1}', 'é', '😀', '/', '\u{7f}'];
                    let n = next() % 6;
                    Json::String((0..n).map(|_| chars[(next() % 9) as usize]).collect())
                }
                6 => Json::Array((0..next() % 4).map(|_| gen(next, depth + 1)).collect()),
                _ => Json::Object(
                    (0..next() % 4)
                        .map(|i| (format!("k{i}{}", next() % 3), gen(next, depth + 1)))
                        .collect(),
                ),
            }
        }
        for _ in 0..3000 {
            let tree = gen(&mut next, 0);
            let theirs = serde_json::to_string(&tree).unwrap();
            let ours = to_string(&tree);
            assert_eq!(from_str::<Json>(&theirs).unwrap(), tree, "{theirs}");
            assert_eq!(serde_json::from_str::<Json>(&ours).unwrap(), tree, "{ours}");
            let pretty = serde_json::to_string_pretty(&tree).unwrap();
            assert_eq!(from_str::<Json>(&pretty).unwrap(), tree);
            // Every prefix of a document is an error for both readers, or a value for both.
            let cut = (next() as usize) % (theirs.len() + 1);
            if theirs.is_char_boundary(cut) {
                same(&theirs[..cut]);
            }
            // So is the document with one byte changed to another JSON-ish one.
            let alphabet = b"{}[],:\"\\/ntfrue0123456789-+.eEa\n\t\x01";
            let mut bytes = theirs.clone().into_bytes();
            let at = (next() as usize) % bytes.len().max(1);
            if let Some(b) = bytes.get_mut(at) {
                *b = alphabet[(next() as usize) % alphabet.len()];
            }
            if let Ok(mutated) = String::from_utf8(bytes) {
                same(&mutated);
            }
        }
    }
}
