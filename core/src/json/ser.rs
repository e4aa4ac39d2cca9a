//! Writing JSON text with serde: one small serializer into a `String`.
//!
//! It writes what serde_json writes (tested on random documents and floats): a finite
//! `f64` in its shortest round-trip digits (the standard library's), plain from 1e-5 to below
//! 1e16 with `.0` on whole numbers, scientific otherwise (`1e+16`, `5e-324`); non-finite
//! floats as `null`, as serde_json and `JSON.stringify` do. Where two shortest digit strings
//! both read back as the float, the last digit may differ from serde_json's. Strings escape
//! `"`, `\` and control characters only.

use std::fmt::Write as _;

use serde::ser::{self, Serialize};

use super::JsonError;

/// A serde serializer appending JSON text to a `String`.
pub(crate) struct Serializer<'a> {
    pub(crate) out: &'a mut String,
}

pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(n) = super::de::plain_len(&bytes[start..]) {
        let i = start + n;
        let b = bytes[i];
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            _ => "",
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

pub(crate) fn write_f64(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    let start = out.len();
    let _ = write!(out, "{f}");
    place(out, start, f.is_sign_negative(), f == 0.0, -5..=15);
}

fn write_f32(out: &mut String, f: f32) {
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    let start = out.len();
    let _ = write!(out, "{f}");
    place(out, start, f.is_sign_negative(), f == 0.0, -6..=12);
}

/// `out[start..]` holds the shortest digits that read back as the float (the standard
/// library's `Display`, which never writes an exponent); places them as serde_json does:
/// plain for decimal exponents in `plain`, with `.0` on whole numbers; otherwise scientific
/// with a signed exponent, `1e+16`, `8.84e-309`. No `LowerExp`: its precision path is 6 KB of
/// wasm.
fn place(
    out: &mut String,
    start: usize,
    negative: bool,
    zero: bool,
    plain: std::ops::RangeInclusive<i64>,
) {
    let digits = &out.as_bytes()[start + usize::from(negative)..];
    let point = digits.iter().position(|&b| b == b'.');
    let (int, frac) = match point {
        Some(p) => (&digits[..p], &digits[p + 1..]),
        None => (digits, &digits[digits.len()..]),
    };
    // The decimal exponent of the first significant digit.
    let zeros = |d: &[u8]| d.iter().take_while(|&&b| b == b'0').count();
    let exponent = match int.len() - zeros(int) {
        0 => -1 - zeros(frac) as i64,
        n => n as i64 - 1,
    };
    if zero || plain.contains(&exponent) {
        if point.is_none() {
            out.push_str(".0");
        }
        return;
    }
    let (int, frac) = (
        std::str::from_utf8(int).unwrap_or_default().to_owned(),
        std::str::from_utf8(frac).unwrap_or_default().to_owned(),
    );
    // Rewrite as scientific: the significant digits, a point after the first, the exponent.
    let significant: String = int
        .chars()
        .chain(frac.chars())
        .skip_while(|&c| c == '0')
        .collect();
    let significant = significant.trim_end_matches('0');
    out.truncate(start);
    if negative {
        out.push('-');
    }
    out.push_str(&significant[..1]);
    if significant.len() > 1 {
        out.push('.');
        out.push_str(&significant[1..]);
    }
    let _ = write!(out, "e{}{exponent}", if exponent >= 0 { "+" } else { "" });
}

/// An array or object being written: `first` until its first element.
pub(crate) struct Compound<'a> {
    out: &'a mut String,
    first: bool,
    /// What closes it: `]`, `}`, or `}}` for a variant's content.
    close: &'static str,
}

impl Compound<'_> {
    fn comma(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        self.comma();
        value.serialize(Serializer { out: self.out })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), JsonError> {
        self.comma();
        write_str(self.out, key);
        self.out.push(':');
        value.serialize(Serializer { out: self.out })
    }

    fn finish(self) -> Result<(), JsonError> {
        self.out.push_str(self.close);
        Ok(())
    }
}

impl<'a> Serializer<'a> {
    fn open(self, open: &str, close: &'static str) -> Compound<'a> {
        self.out.push_str(open);
        Compound {
            out: self.out,
            first: true,
            close,
        }
    }

    fn variant(self, variant: &str, open: &str) -> Compound<'a> {
        self.out.push('{');
        write_str(self.out, variant);
        self.out.push(':');
        self.open(open, if open == "[" { "]}" } else { "}}" })
    }

    fn display(self, v: impl std::fmt::Display) -> Result<(), JsonError> {
        let _ = write!(self.out, "{v}");
        Ok(())
    }
}

impl<'a> ser::Serializer for Serializer<'a> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), JsonError> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), JsonError> {
        self.display(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), JsonError> {
        self.display(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), JsonError> {
        self.display(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), JsonError> {
        self.display(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), JsonError> {
        self.display(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), JsonError> {
        self.display(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), JsonError> {
        self.display(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), JsonError> {
        self.display(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), JsonError> {
        self.display(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), JsonError> {
        self.display(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), JsonError> {
        write_f32(self.out, v);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), JsonError> {
        write_f64(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), JsonError> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), JsonError> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), JsonError> {
        let mut seq = self.open("[", "]");
        for b in v {
            seq.element(b)?;
        }
        seq.finish()
    }
    fn serialize_none(self) -> Result<(), JsonError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), JsonError> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), JsonError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), JsonError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        let mut object = self.open("{", "}");
        object.field(variant, value)?;
        object.finish()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, JsonError> {
        Ok(self.open("[", "]"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, JsonError> {
        Ok(self.open("[", "]"))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, JsonError> {
        Ok(self.open("[", "]"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, JsonError> {
        Ok(self.variant(variant, "["))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, JsonError> {
        Ok(self.open("{", "}"))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, JsonError> {
        Ok(self.open("{", "}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, JsonError> {
        Ok(self.variant(variant, "{"))
    }
}

/// The array-like compounds: each element after a comma.
macro_rules! elements {
    ($($trait:ident::$method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = JsonError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
                self.element(value)
            }
            fn end(self) -> Result<(), JsonError> {
                self.finish()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The struct-like compounds: each field as `"key":value`.
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = JsonError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), JsonError> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), JsonError> {
                self.finish()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), JsonError> {
        self.comma();
        key.serialize(KeySerializer { out: self.out })?;
        self.out.push(':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        value.serialize(Serializer { out: self.out })
    }
    fn end(self) -> Result<(), JsonError> {
        self.finish()
    }
}

/// A map key: strings as they are, integers and chars quoted (as serde_json does); any other
/// key is an error.
struct KeySerializer<'a> {
    out: &'a mut String,
}

impl KeySerializer<'_> {
    fn quoted(self, v: impl std::fmt::Display) -> Result<(), JsonError> {
        let _ = write!(self.out, "\"{v}\"");
        Ok(())
    }
}

fn key_error() -> JsonError {
    JsonError::at("key must be a string", 0)
}

impl ser::Serializer for KeySerializer<'_> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = ser::Impossible<(), JsonError>;
    type SerializeTuple = ser::Impossible<(), JsonError>;
    type SerializeTupleStruct = ser::Impossible<(), JsonError>;
    type SerializeTupleVariant = ser::Impossible<(), JsonError>;
    type SerializeMap = ser::Impossible<(), JsonError>;
    type SerializeStruct = ser::Impossible<(), JsonError>;
    type SerializeStructVariant = ser::Impossible<(), JsonError>;

    fn serialize_str(self, v: &str) -> Result<(), JsonError> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), JsonError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_i8(self, v: i8) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_bool(self, v: bool) -> Result<(), JsonError> {
        self.quoted(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), JsonError> {
        if !v.is_finite() {
            return Err(JsonError::at("float key must be finite", 0));
        }
        self.out.push('"');
        write_f32(self.out, v);
        self.out.push('"');
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), JsonError> {
        if !v.is_finite() {
            return Err(JsonError::at("float key must be finite", 0));
        }
        self.out.push('"');
        write_f64(self.out, v);
        self.out.push('"');
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), JsonError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), JsonError> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<(), JsonError> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<(), JsonError> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), JsonError> {
        Err(key_error())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), JsonError> {
        Err(key_error())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, JsonError> {
        Err(key_error())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, JsonError> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, JsonError> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, JsonError> {
        Err(key_error())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, JsonError> {
        Err(key_error())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, JsonError> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, JsonError> {
        Err(key_error())
    }
}
