//! Reading JSON text with serde: one small deserializer over a `&str`, borrowing strings that
//! have no escapes.
//!
//! The grammar is RFC 8259's, read as serde_json reads it: an integer without fraction or
//! exponent reaches the visitor as `u64` (or `i64` when negative; `-0` and integers beyond 64
//! bits as `f64`), any other number as `f64`, correctly rounded (`float`);
//! a number too large for `f64` is an error; lone surrogates in `\u` escapes, control
//! characters in strings, trailing commas and trailing text are errors; nesting deeper than
//! 127 arrays or objects is an error, never a stack overflow.
//!
//! [`Deserializer::convex`] reads `convex_encoded_json` instead (see `value::encoded`): a
//! wrapper object such as `{"$integer": ..}` reaches the visitor as the value it wraps, and
//! plain numbers as `f64`. That mode is a flag, not a wrapping deserializer, so each typed
//! target instantiates this reader once.

use serde::de::{self, DeserializeSeed, Visitor};

use super::JsonError;

/// Bytes that end a run of plain string content: `"`, `\` and control characters.
pub(super) static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Where the first byte of `bytes` that ends plain string content is, if any: eight bytes
/// at a time (no byte is `"`, `\` or below 0x20), then one by one.
#[inline]
pub(super) fn plain_len(bytes: &[u8]) -> Option<usize> {
    const ONE: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let quote = v ^ (ONE * u64::from(b'"'));
        let backslash = v ^ (ONE * u64::from(b'\\'));
        // A byte below 0x20, a byte equal to `"`, a byte equal to `\` (exact, per byte).
        let stop = (v.wrapping_sub(ONE * 0x20) & !v)
            | (quote.wrapping_sub(ONE) & !quote)
            | (backslash.wrapping_sub(ONE) & !backslash);
        if stop & HIGH != 0 {
            break;
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|&b| STRING_STOP[usize::from(b)])
        .map(|n| i + n)
}

/// The deepest nesting of arrays and objects read, 127 (serde_json's limit too).
const MAX_DEPTH: u32 = 127;

/// A serde deserializer over JSON text. Use [`super::from_str`] unless you need the reader
/// after one value.
pub(crate) struct Deserializer<'de> {
    text: &'de str,
    pos: usize,
    pub(super) depth: u32,
    /// Reads `convex_encoded_json` with this wrapper decoder (see the module docs).
    convex: Option<WrapperReader>,
}

/// A Convex wrapper object's content: `{"$integer": "..."}` holds a string.
#[derive(Clone, Copy)]
pub(crate) enum WrapperContent<'a> {
    Str(&'a str),
    Null,
    Other,
}

/// What a wrapper object holds, as a visitor receives it.
pub(crate) enum Wrapped {
    Int64(i64),
    Float64(f64),
    Bytes(Vec<u8>),
    Null,
}

/// Decodes a wrapper object from its `$` key and content (the `value` module's rules); the
/// error is a message.
pub(crate) type WrapperReader = fn(&str, WrapperContent<'_>) -> Result<Wrapped, String>;

/// An `f64` that is an integer within ±2^53, as an `i64`: the numbers an integer type reads
/// from a Convex float64.
pub(crate) fn integral(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0).then_some(f as i64)
}

/// A string as read: borrowed from the text when it had no escapes.
enum Str<'de> {
    Borrowed(&'de str),
    Owned(String),
}

/// A number as read.
enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

impl<'de> Deserializer<'de> {
    pub(crate) fn new(text: &'de str) -> Self {
        Deserializer {
            text,
            pos: 0,
            depth: 0,
            convex: None,
        }
    }

    /// A reader of `convex_encoded_json`: wrappers arrive as the values they wrap, a plain
    /// number as an `f64`, and as an `i64` where an integer type asks for an integral one
    /// within ±2^53.
    pub(crate) fn convex(text: &'de str, wrappers: WrapperReader) -> Self {
        Deserializer {
            convex: Some(wrappers),
            ..Deserializer::new(text)
        }
    }

    /// Convex mode, at a `{`: a wrapper object read whole into the value it holds, or `None`
    /// with nothing consumed when the object is a document. Only an object whose first key
    /// starts with `$` is a wrapper; it must have no other key.
    fn wrapper(&mut self, read: WrapperReader) -> Result<Option<Wrapped>, JsonError> {
        let start = self.pos;
        self.pos += 1;
        // A key starts with `$` only if its first byte is `$` or an escape.
        let maybe = self.peek() == Some(b'"')
            && matches!(self.bytes().get(self.pos + 1), Some(b'$' | b'\\'));
        let key = if maybe { Some(self.string()?) } else { None };
        let key = match &key {
            Some(Str::Borrowed(k)) if k.starts_with('$') => *k,
            Some(Str::Owned(k)) if k.starts_with('$') => k.as_str(),
            _ => {
                self.pos = start;
                return Ok(None);
            }
        };
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.colon()?;
        let text;
        let content = match self.peek() {
            Some(b'"') => {
                text = self.string()?;
                WrapperContent::Str(match &text {
                    Str::Borrowed(s) => s,
                    Str::Owned(s) => s,
                })
            }
            Some(b'n') => {
                self.literal("null")?;
                WrapperContent::Null
            }
            _ => {
                self.skip()?;
                WrapperContent::Other
            }
        };
        if self.peek() == Some(b',') {
            // The message `ValueError::InvalidFieldName` gives.
            return Err(de::Error::custom(format_args!(
                "invalid field name \"{key}\": starts with '$'"
            )));
        }
        let value = read(key, content).map_err(de::Error::custom)?;
        self.depth -= 1;
        self.close(b'}')?;
        Ok(Some(value))
    }

    /// Checks that only whitespace follows the value read.
    pub(crate) fn end(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters")),
        }
    }

    fn error(&self, what: &str) -> JsonError {
        JsonError::at(what, self.pos)
    }

    #[inline(always)]
    fn bytes(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    /// The next byte after whitespace, not consumed.
    // Always inlined: the release profile optimises for size and would call it for every
    // token (13% of a Transition's decoding in wasm).
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes().get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        if self.bytes().get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    /// Consumes `close` after whitespace.
    fn close(&mut self, close: u8) -> Result<(), JsonError> {
        match self.peek() {
            Some(b) if b == close => {
                self.pos += 1;
                Ok(())
            }
            _ if close == b']' => Err(self.error("expected `,` or `]`")),
            _ => Err(self.error("expected `,` or `}`")),
        }
    }

    /// Between a container's items: `true` when another item follows (its comma consumed),
    /// `false` at `close` (not consumed). Trailing commas are errors.
    fn next_item(&mut self, first: &mut bool, close: u8) -> Result<bool, JsonError> {
        match self.peek() {
            Some(b) if b == close => return Ok(false),
            Some(b',') if !*first => self.pos += 1,
            _ if *first => {}
            _ if close == b']' => return Err(self.error("expected `,` or `]`")),
            _ => return Err(self.error("expected `,` or `}`")),
        }
        *first = false;
        Ok(true)
    }

    /// Reads a container whose opening bracket is next: `read` takes its items, then `close`
    /// must follow. The nesting depth counts it while `read` runs.
    #[inline(always)]
    fn container<T>(
        &mut self,
        close: u8,
        read: impl FnOnce(&mut Self) -> Result<T, JsonError>,
    ) -> Result<T, JsonError> {
        self.enter()?;
        let value = read(self);
        self.depth -= 1;
        let value = value?;
        self.close(close)?;
        Ok(value)
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.pos += 1;
        Ok(())
    }

    /// Reads a string; `self.pos` is at its opening quote.
    fn string(&mut self) -> Result<Str<'de>, JsonError> {
        self.pos += 1;
        let bytes = self.bytes();
        let mut start = self.pos;
        let mut owned: Option<String> = None;
        loop {
            // Straight to the next byte that is not plain string content.
            let plain = plain_len(&bytes[self.pos..]);
            let Some(plain) = plain else {
                self.pos = bytes.len();
                return Err(self.error("EOF while parsing a string"));
            };
            self.pos += plain;
            match bytes[self.pos] {
                b'"' => {
                    let tail = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(match owned {
                        None => Str::Borrowed(tail),
                        Some(mut s) => {
                            s.push_str(tail);
                            Str::Owned(s)
                        }
                    });
                }
                b'\\' => {
                    let prefix = &self.text[start..self.pos];
                    owned.get_or_insert_with(String::new).push_str(prefix);
                    self.pos += 1;
                    let c = self.escape()?;
                    if let Some(s) = owned.as_mut() {
                        s.push(c);
                    }
                    start = self.pos;
                }
                _ => return Err(self.error("control character in a string")),
            }
        }
    }

    /// Skips a string, checking it as serde_json's skipping does; `self.pos` is at its opening
    /// quote. Nothing is copied. A `\u` escape needs four hex digits, nothing more: a lone
    /// surrogate is an error only where the string is read.
    fn skip_string(&mut self) -> Result<(), JsonError> {
        self.pos += 1;
        loop {
            let plain = plain_len(&self.bytes()[self.pos..]);
            let Some(plain) = plain else {
                self.pos = self.text.len();
                return Err(self.error("EOF while parsing a string"));
            };
            self.pos += plain;
            match self.bytes()[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    self.pos += 1;
                    match self.bytes().get(self.pos) {
                        Some(b'u') => {
                            self.pos += 1;
                            self.hex4()?;
                        }
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(_) => return Err(self.error("invalid escape")),
                        None => return Err(self.error("EOF while parsing a string")),
                    }
                }
                _ => return Err(self.error("control character in a string")),
            }
        }
    }

    /// Reads the escape after a backslash.
    fn escape(&mut self) -> Result<char, JsonError> {
        let Some(&b) = self.bytes().get(self.pos) else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = match first {
                    0xD800..=0xDBFF => {
                        if self.bytes().get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.error("lone trailing surrogate in hex escape"))
                    }
                    c => c,
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid unicode escape"))?
            }
            _ => {
                self.pos -= 1;
                return Err(self.error("invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid hex escape"))?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid hex escape"))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes().get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Reads a number; `self.pos` is at its first byte.
    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.pos;
        let (negative, int) = self.number_text()?;
        if let Some(n) = int {
            return Ok(match (negative, n) {
                (false, n) => Number::U64(n),
                // `-0` is a float, as in serde_json: the sign survives.
                (true, 0) => Number::F64(-0.0),
                (true, n) if n <= 1 << 63 => Number::I64((n as i64).wrapping_neg()),
                (true, _) => Number::F64(-(n as f64)),
            });
        }
        match super::float::parse(&self.text[start..self.pos]) {
            Some(f) => Ok(Number::F64(f)),
            None => Err(JsonError::at("number out of range", start)),
        }
    }

    /// The next value's text and where it starts, checked, when it is a number (`None`
    /// otherwise, nothing consumed).
    fn number_slice(&mut self) -> Result<Option<(usize, &'de str)>, JsonError> {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Ok(None);
        }
        let start = self.pos;
        self.number_text()?;
        Ok(Some((start, &self.text[start..self.pos])))
    }

    /// Checks a number's text (nothing is converted: skipping a value needs only this).
    /// Returns its sign and, for an integer that fits, its magnitude.
    fn number_text(&mut self) -> Result<(bool, Option<u64>), JsonError> {
        let negative = self.bytes()[self.pos] == b'-';
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        // The integer part's value while it fits, read in the same pass.
        let mut int = Some(0u64);
        while let Some(&b @ b'0'..=b'9') = self.bytes().get(self.pos) {
            int = int
                .and_then(|n| n.checked_mul(10))
                .and_then(|n| n.checked_add(u64::from(b - b'0')));
            self.pos += 1;
        }
        match self.pos - int_start {
            0 => return Err(self.error("invalid number")),
            n if n > 1 && self.bytes()[int_start] == b'0' => {
                return Err(JsonError::at("invalid number", int_start + 1))
            }
            _ => {}
        }
        let mut float = false;
        if self.bytes().get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
            float = true;
        }
        if matches!(self.bytes().get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes().get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
            float = true;
        }
        Ok((negative, int.filter(|_| !float)))
    }

    /// Skips one value, checking it as it goes. A loop, not a recursion: like serde_json's
    /// skipping it has no nesting limit (what is skipped is never built).
    fn skip(&mut self) -> Result<(), JsonError> {
        // The closing bracket of each container still open.
        let mut open: Vec<u8> = Vec::new();
        loop {
            match self.peek() {
                Some(b'"') => self.skip_string()?,
                Some(b'[') => {
                    self.pos += 1;
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                    } else {
                        open.push(b']');
                        continue;
                    }
                }
                Some(b'{') => {
                    self.pos += 1;
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                    } else {
                        open.push(b'}');
                        self.skip_key()?;
                        continue;
                    }
                }
                // Syntax only, as serde_json's skipping does: a raw value's number is
                // converted (and found out of range, say) when it is decoded.
                Some(b'-' | b'0'..=b'9') => drop(self.number_text()?),
                Some(b'n') => self.literal("null")?,
                Some(b't') => self.literal("true")?,
                Some(b'f') => self.literal("false")?,
                Some(_) => return Err(self.error("expected a JSON value")),
                None => return Err(self.error("EOF while parsing a value")),
            }
            // A value is complete: close what it completes, or go on to the next element.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if close == b'}' {
                            self.skip_key()?;
                        }
                        break;
                    }
                    Some(b) if b == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ if close == b']' => return Err(self.error("expected `,` or `]`")),
                    _ => return Err(self.error("expected `,` or `}`")),
                }
            }
        }
    }

    /// Skips an object's key and its colon.
    fn skip_key(&mut self) -> Result<(), JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.error("key must be a string"));
        }
        self.skip_string()?;
        self.colon()
    }

    /// Pull reading, for the one hot message (a Transition) read without serde's generated
    /// code: an object, `field` called with each key and the reader at its value, which
    /// `field` must read or [`skip`](Self::skip_value).
    pub(crate) fn object(
        &mut self,
        field: &mut dyn FnMut(&mut Self, &str) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.peek() != Some(b'{') {
            return Err(self.error("expected an object"));
        }
        self.enter()?;
        let mut first = true;
        while self.next_item(&mut first, b'}')? {
            if self.peek() != Some(b'"') {
                return Err(self.error("key must be a string"));
            }
            let key = self.string()?;
            self.colon()?;
            match &key {
                Str::Borrowed(k) => field(self, k)?,
                Str::Owned(k) => field(self, k)?,
            }
        }
        self.depth -= 1;
        self.close(b'}')
    }

    /// Pull reading: an array, `item` called with the reader at each element.
    pub(crate) fn array(
        &mut self,
        item: &mut dyn FnMut(&mut Self) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.peek() != Some(b'[') {
            return Err(self.error("expected an array"));
        }
        self.enter()?;
        let mut first = true;
        while self.next_item(&mut first, b']')? {
            item(self)?;
        }
        self.depth -= 1;
        self.close(b']')
    }

    /// Pull reading: consumes a `null` if one is next.
    pub(crate) fn null(&mut self) -> Result<bool, JsonError> {
        if self.peek() == Some(b'n') {
            self.literal("null")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Pull reading: a string.
    pub(crate) fn text(&mut self) -> Result<String, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string"));
        }
        Ok(match self.string()? {
            Str::Borrowed(s) => s.to_owned(),
            Str::Owned(s) => s,
        })
    }

    /// Pull reading: an integer from 0 to `u32::MAX`.
    pub(crate) fn u32(&mut self) -> Result<u32, JsonError> {
        let at = self.pos;
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => match self.number()? {
                Number::U64(n) => u32::try_from(n).ok(),
                _ => None,
            },
            _ => None,
        }
        .ok_or_else(|| JsonError::at("expected an integer from 0 to 4294967295", at))
    }

    /// Pull reading: an array of strings.
    pub(crate) fn strings(&mut self) -> Result<Vec<String>, JsonError> {
        let mut items = Vec::new();
        self.array(&mut |d| {
            items.push(d.text()?);
            Ok(())
        })?;
        Ok(items)
    }

    /// Pull reading: a number as an `f64` (integers converted as serde converts them).
    pub(crate) fn f64(&mut self) -> Result<f64, JsonError> {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.error("expected a number"));
        }
        Ok(match self.number()? {
            Number::U64(n) => n as f64,
            Number::I64(n) => n as f64,
            Number::F64(f) => f,
        })
    }

    /// Pull reading: one value's text as it stands, checked.
    pub(crate) fn raw(&mut self) -> Result<&'de str, JsonError> {
        self.peek();
        let start = self.pos;
        self.skip()?;
        Ok(&self.text[start..self.pos])
    }

    /// Pull reading: skips one value, checking it.
    pub(crate) fn skip_value(&mut self) -> Result<(), JsonError> {
        self.skip()
    }

    /// Pull reading: whether the next value starts with `byte` (nothing is consumed).
    pub(crate) fn next_is(&mut self, byte: u8) -> bool {
        self.peek() == Some(byte)
    }

    /// Pull reading, for a field that may have the wrong type: `read` the value and say
    /// `true`, or, when `read` fails, skip the value and say `false`. A value no JSON tree
    /// holds is still an error (see [`check_value`](Self::check_value)), at the depth the
    /// reader is at, as is text that is not JSON; only a wrong type is not.
    pub(crate) fn fitting(
        &mut self,
        read: &mut dyn FnMut(&mut Self) -> Result<(), JsonError>,
    ) -> Result<bool, JsonError> {
        self.peek();
        let (start, depth) = (self.pos, self.depth);
        if read(self).is_ok() {
            return Ok(true);
        }
        (self.pos, self.depth) = (start, depth);
        self.check_value()?;
        Ok(false)
    }

    /// Pull reading: one value read in full and dropped, as a JSON tree reads it: strings
    /// decoded (a lone surrogate is an error), numbers converted (`1e400` is an error).
    pub(crate) fn check_value(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'{') => self.object(&mut |r, _| r.check_value()),
            Some(b'[') => self.array(&mut |r| r.check_value()),
            Some(b'"') => self.string().map(drop),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            _ => self.skip(),
        }
    }

    fn colon(&mut self) -> Result<(), JsonError> {
        if self.peek() != Some(b':') {
            return Err(self.error("expected `:`"));
        }
        self.pos += 1;
        Ok(())
    }
}

impl<'de> Deserializer<'de> {
    /// `deserialize_any`, and in Convex mode every integer type's read too (`integer`: an
    /// integral number within ±2^53 arrives as an `i64`).
    fn any<V: Visitor<'de>>(&mut self, visitor: V, integer: bool) -> Result<V::Value, JsonError> {
        let at = self.pos;
        let value: Result<V::Value, JsonError> = match self.peek() {
            Some(b'"') => match self.string()? {
                Str::Borrowed(s) => visitor.visit_borrowed_str(s),
                Str::Owned(s) => visitor.visit_string(s),
            },
            Some(b'[') => {
                self.container(b']', |de| visitor.visit_seq(Elements { de, first: true }))
            }
            Some(b'{') => match self.convex.map_or(Ok(None), |read| self.wrapper(read)) {
                Err(e) => Err(e),
                Ok(Some(Wrapped::Int64(i))) => visitor.visit_i64(i),
                // `-0` read by an integer type is 0, as a plain `0` is.
                Ok(Some(Wrapped::Float64(f))) => match integral(f).filter(|_| integer) {
                    Some(i) => visitor.visit_i64(i),
                    None => visitor.visit_f64(f),
                },
                Ok(Some(Wrapped::Bytes(b))) => visitor.visit_byte_buf(b),
                Ok(Some(Wrapped::Null)) => visitor.visit_unit(),
                Ok(None) => {
                    self.container(b'}', |de| visitor.visit_map(Entries { de, first: true }))
                }
            },
            Some(b'-' | b'0'..=b'9') => match self.number()? {
                // Convex: a JSON number is a float64, whatever its spelling.
                n if self.convex.is_some() => {
                    let f = match n {
                        Number::U64(n) => n as f64,
                        Number::I64(n) => n as f64,
                        Number::F64(f) => f,
                    };
                    match integral(f).filter(|_| integer) {
                        Some(i) => visitor.visit_i64(i),
                        None => visitor.visit_f64(f),
                    }
                }
                Number::U64(n) => visitor.visit_u64(n),
                Number::I64(n) => visitor.visit_i64(n),
                Number::F64(f) => visitor.visit_f64(f),
            },
            Some(b'n') => {
                self.literal("null")?;
                visitor.visit_unit()
            }
            Some(b't') => {
                self.literal("true")?;
                visitor.visit_bool(true)
            }
            Some(b'f') => {
                self.literal("false")?;
                visitor.visit_bool(false)
            }
            Some(_) => return Err(self.error("expected a JSON value")),
            None => return Err(self.error("EOF while parsing a value")),
        };
        // A visitor's own error (a wrong type, a missing field) gets the value's position.
        value.map_err(|e| e.or_at(at))
    }
}

/// Integer reads: plain JSON reads them as `deserialize_any` does; Convex mode reads an
/// integral number within ±2^53 as an `i64` (the rule `value::from_value` follows).
macro_rules! integers {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
            let convex = self.convex.is_some();
            self.any(visitor, convex)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = JsonError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.any(visitor, false)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        match self.peek() {
            Some(b'n') => {
                self.literal("null")?;
                visitor.visit_none()
            }
            // Convex mode: a wrapper that holds null (`{"$commitTs": null}`) is `None` too.
            Some(b'{') => {
                if let Some(read) = self.convex {
                    let (start, depth) = (self.pos, self.depth);
                    if let Ok(Some(Wrapped::Null)) = self.wrapper(read) {
                        return visitor.visit_none();
                    }
                    // Anything else, an error included, is read again as the value itself.
                    self.pos = start;
                    self.depth = depth;
                }
                visitor.visit_some(self)
            }
            _ => visitor.visit_some(self),
        }
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        match self.peek() {
            Some(b'"') => visitor.visit_enum(Variant {
                de: self,
                content: false,
            }),
            Some(b'{') => {
                self.container(b'}', |de| visitor.visit_enum(Variant { de, content: true }))
            }
            _ => Err(self.error("expected a string or an object for an enum")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.skip()?;
        visitor.visit_unit()
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        if self.convex.is_some() {
            return self.any(visitor, true);
        }
        self.wide(visitor, true)
    }

    /// An `f32` rounded once from the text (through `f64` it would round twice), as
    /// serde_json reads it; too large for an `f32` is an error.
    /// In Convex mode an `f32` is the float64 read, narrowed.
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        if self.convex.is_some() {
            return self.any(visitor, false);
        }
        let Some((start, text)) = self.number_slice()? else {
            return de::Deserializer::deserialize_any(self, visitor);
        };
        match super::float::parse_f32(text) {
            Some(f) => visitor.visit_f32(f).map_err(|e: JsonError| e.or_at(start)),
            None => Err(JsonError::at("number out of range", start)),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        if self.convex.is_some() {
            return self.any(visitor, true);
        }
        self.wide(visitor, false)
    }

    integers!(
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64
    );

    serde::forward_to_deserialize_any! {
        bool f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

impl<'de> Deserializer<'de> {
    /// An `i128` or `u128`: an integer's digits read whole, as serde_json reads them (`-0` is 0);
    /// anything else as `deserialize_any` gives it.
    fn wide<V: Visitor<'de>>(&mut self, visitor: V, signed: bool) -> Result<V::Value, JsonError> {
        let Some((start, text)) = self.number_slice()? else {
            return de::Deserializer::deserialize_any(self, visitor);
        };
        if text.contains(['.', 'e', 'E']) {
            self.pos = start;
            return de::Deserializer::deserialize_any(self, visitor);
        }
        let value = if signed {
            text.parse::<i128>().ok().map(|n| visitor.visit_i128(n))
        } else {
            text.parse::<u128>().ok().map(|n| visitor.visit_u128(n))
        };
        value
            .unwrap_or_else(|| Err(JsonError::at("number out of range", start)))
            .map_err(|e| e.or_at(start))
    }
}

/// An array's elements.
struct Elements<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = JsonError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, JsonError> {
        if !self.de.next_item(&mut self.first, b']')? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// An object's entries.
struct Entries<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = JsonError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, JsonError> {
        if !self.de.next_item(&mut self.first, b'}')? {
            return Ok(None);
        }
        if self.de.peek() != Some(b'"') {
            return Err(self.de.error("key must be a string"));
        }
        seed.deserialize(Key(&mut *self.de)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, JsonError> {
        self.de.colon()?;
        seed.deserialize(&mut *self.de)
    }
}

/// Key methods that read the key's text as the value's JSON text.
macro_rules! scalar_keys {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
            self.scalar(visitor, |d, v| de::Deserializer::deserialize_any(d, v))
        }
    )*};
}

/// An object's key: a string, whatever type reads it.
struct Key<'a, 'de>(&'a mut Deserializer<'de>);

impl<'de> Key<'_, 'de> {
    /// A key read as a number or `true`/`false`, as serde_json reads such keys: the key's
    /// text (without escapes) is the value's JSON text.
    fn scalar<V: Visitor<'de>>(
        self,
        visitor: V,
        read: fn(&mut Deserializer<'de>, V) -> Result<V::Value, JsonError>,
    ) -> Result<V::Value, JsonError> {
        let at = self.0.pos;
        match self.0.string()? {
            Str::Borrowed(text) => {
                let mut inner = Deserializer::new(text);
                let value = read(&mut inner, visitor).map_err(|e| e.or_at(at))?;
                inner.end().map_err(|_| JsonError::at("invalid key", at))?;
                Ok(value)
            }
            Str::Owned(_) => Err(JsonError::at("invalid key", at)),
        }
    }
}

impl<'de> de::Deserializer<'de> for Key<'_, 'de> {
    type Error = JsonError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        match self.0.string()? {
            Str::Borrowed(s) => visitor.visit_borrowed_str(s),
            Str::Owned(s) => visitor.visit_string(s),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        visitor.visit_enum(Variant {
            de: self.0,
            content: false,
        })
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf option unit unit_struct seq tuple tuple_struct map
        struct identifier ignored_any
    }

    // Integer, float and bool keys (`BTreeMap<u32, _>`) are read from the key's text.
    scalar_keys!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_f64
    );
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.scalar(visitor, |d, v| de::Deserializer::deserialize_f32(d, v))
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.scalar(visitor, |d, v| d.wide(v, true))
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, JsonError> {
        self.scalar(visitor, |d, v| d.wide(v, false))
    }
}

/// An enum: `"Variant"` (`content: false`) or `{"Variant": content}` (the brace consumed).
struct Variant<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    content: bool,
}

impl<'de> de::EnumAccess<'de> for Variant<'_, 'de> {
    type Error = JsonError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), JsonError> {
        if self.de.peek() != Some(b'"') {
            return Err(self.de.error("expected a variant name"));
        }
        let value = seed.deserialize(Key(&mut *self.de))?;
        if self.content {
            self.de.colon()?;
        }
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = JsonError;

    fn unit_variant(self) -> Result<(), JsonError> {
        if self.content {
            de::Deserialize::deserialize(&mut *self.de)
        } else {
            Ok(())
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, JsonError> {
        if !self.content {
            return Err(self.de.error("expected an object for a newtype variant"));
        }
        seed.deserialize(self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        if !self.content {
            return Err(self.de.error("expected an object for a tuple variant"));
        }
        de::Deserializer::deserialize_any(self.de, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, JsonError> {
        if !self.content {
            return Err(self.de.error("expected an object for a struct variant"));
        }
        de::Deserializer::deserialize_any(self.de, visitor)
    }
}
