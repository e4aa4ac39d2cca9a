//! Base64 (RFC 4648) in the two forms this crate meets: the standard alphabet with padding
//! (Convex's `$bytes`, `$integer`, `$float` and timestamps) and the URL-safe alphabet without
//! padding (JWT segments, PKCE).
//!
//! Decoding is strict and follows the `base64` crate's `STANDARD` and `URL_SAFE_NO_PAD` engines
//! (0.22) input for input, error for error: canonical padding (standard) or none (URL-safe),
//! and the unused bits of the last symbol must be zero. The tests check that agreement on
//! random input; the crate itself is a test-only oracle, since its generic engine costs about
//! 6 KB of wasm where this costs one table.

use std::fmt;

/// Which of the two forms: the standard alphabet (`+/`) with `=` padding, or the URL-safe
/// alphabet (`-_`) without padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `A–Z a–z 0–9 + /`, padded with `=` to a multiple of four.
    Standard,
    /// `A–Z a–z 0–9 - _`, no padding.
    UrlSafe,
}

/// Why a text is not base64 of the expected form; the messages are the `base64` crate's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base64Error {
    /// A symbol outside the alphabet (or a misplaced `=`) at this byte offset.
    Byte(usize, u8),
    /// The text ends one symbol into a group of four (at this length).
    Length(usize),
    /// The last symbol carries bits that encode nothing (offset, symbol).
    LastSymbol(usize, u8),
    /// Padding where the form forbids it, or not up to a multiple of four.
    Padding,
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            Self::Byte(index, byte) => write!(f, "Invalid symbol {byte}, offset {index}."),
            Self::Length(len) => write!(f, "Invalid input length: {len}"),
            Self::LastSymbol(index, byte) => {
                write!(f, "Invalid last symbol {byte}, offset {index}.")
            }
            Self::Padding => f.write_str("Invalid padding"),
        }
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A byte outside the alphabet in a decoding table.
const INVALID: u8 = 0xff;

/// Each byte's six bits in `alphabet`, or [`INVALID`].
const fn table(alphabet: &[u8; 64]) -> [u8; 256] {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
}
const STANDARD_TABLE: [u8; 256] = table(ALPHABET);
const URL_TABLE: [u8; 256] = table(URL_ALPHABET);

/// The six bits a symbol stands for, or `None` outside the form's alphabet.
fn morsel(symbol: u8, form: Form) -> Option<u8> {
    let t = match form {
        Form::Standard => &STANDARD_TABLE,
        Form::UrlSafe => &URL_TABLE,
    };
    let m = t[usize::from(symbol)];
    (m != INVALID).then_some(m)
}

/// Encodes `bytes` in `form`: padded for [`Form::Standard`], unpadded for [`Form::UrlSafe`].
fn encode_in(bytes: &[u8], form: Form) -> String {
    let alphabet = match form {
        Form::Standard => ALPHABET,
        Form::UrlSafe => URL_ALPHABET,
    };
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i)) as usize & 63]);
        }
        if form == Form::Standard {
            out.resize(out.len() + 3 - chunk.len(), b'=');
        }
    }
    // Every byte is an ASCII symbol.
    String::from_utf8(out).unwrap_or_default()
}

/// Standard base64 with padding, as Convex writes `$bytes`, `$integer`, `$float`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    encode_in(bytes, Form::Standard)
}

/// URL-safe base64 without padding, as in JWT segments and PKCE.
pub(crate) fn encode_url(bytes: &[u8]) -> String {
    encode_in(bytes, Form::UrlSafe)
}

/// Decodes standard, padded base64 (strictly, see the module docs).
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    decode_in(text, Form::Standard)
}

/// Decodes URL-safe, unpadded base64 (strictly, see the module docs).
pub(crate) fn decode_url(text: &str) -> Result<Vec<u8>, Base64Error> {
    decode_in(text, Form::UrlSafe)
}

/// Decodes `text` in `form`, strictly (see the module docs).
fn decode_in(text: &str, form: Form) -> Result<Vec<u8>, Base64Error> {
    let input = text.as_bytes();
    let rem = input.len() % 4;
    // The groups of four before the last (one to four symbols) take no padding at all.
    let body = input.len().saturating_sub(if rem == 0 { 4 } else { rem });
    if rem == 1 {
        let last = input[input.len() - 1];
        if last != b'=' && morsel(last, form).is_none() {
            return Err(Base64Error::Byte(input.len() - 1, last));
        }
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    for (q, quad) in input[..body].chunks_exact(4).enumerate() {
        let mut n = 0u32;
        for (i, &b) in quad.iter().enumerate() {
            let m = morsel(b, form).ok_or(Base64Error::Byte(q * 4 + i, b))?;
            n = n << 6 | u32::from(m);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..]);
    }
    // The last group: up to two `=` after at least two symbols.
    let (mut morsels, mut pads, mut first_pad, mut last_symbol) = (0usize, 0usize, 0usize, 0u8);
    let mut n = 0u32;
    for (i, &b) in input[body..].iter().enumerate() {
        if b == b'=' {
            if i < 2 {
                return Err(Base64Error::Byte(body + i, b));
            }
            if pads == 0 {
                first_pad = i;
            }
            pads += 1;
            continue;
        }
        if pads > 0 {
            return Err(Base64Error::Byte(body + first_pad, b'='));
        }
        let m = morsel(b, form).ok_or(Base64Error::Byte(body + i, b))?;
        last_symbol = b;
        n |= u32::from(m) << (26 - 6 * morsels);
        morsels += 1;
    }
    if !input.is_empty() && morsels < 2 {
        return Err(Base64Error::Length(body + morsels));
    }
    let padding_ok = match form {
        Form::Standard => (pads + morsels) % 4 == 0,
        Form::UrlSafe => pads == 0,
    };
    if !padding_ok {
        return Err(Base64Error::Padding);
    }
    let whole = morsels * 6 / 8;
    if n & (!0u32 >> (whole * 8)) != 0 {
        return Err(Base64Error::LastSymbol(body + morsels - 1, last_symbol));
    }
    out.extend_from_slice(&n.to_be_bytes()[..whole]);
    Ok(out)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use ::base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use ::base64::Engine;
    use proptest::prelude::*;

    fn oracle(text: &str, form: Form) -> Result<Vec<u8>, Base64Error> {
        let engine = match form {
            Form::Standard => &STANDARD,
            Form::UrlSafe => &URL_SAFE_NO_PAD,
        };
        engine.decode(text).map_err(|e| match e {
            ::base64::DecodeError::InvalidByte(i, b) => Base64Error::Byte(i, b),
            ::base64::DecodeError::InvalidLength(n) => Base64Error::Length(n),
            ::base64::DecodeError::InvalidLastSymbol(i, b) => Base64Error::LastSymbol(i, b),
            ::base64::DecodeError::InvalidPadding => Base64Error::Padding,
        })
    }

    #[test]
    fn known_vectors() {
        // RFC 4648 section 10.
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).unwrap(), plain.as_bytes());
            let unpadded = coded.trim_end_matches('=');
            assert_eq!(encode_url(plain.as_bytes()), unpadded);
            assert_eq!(decode_url(unpadded).unwrap(), plain.as_bytes());
        }
        assert_eq!(encode(&[0xfb, 0xff]), "+/8=");
        assert_eq!(encode_url(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode("Zg"), Err(Base64Error::Padding));
        assert_eq!(decode_url("Zg=="), Err(Base64Error::Padding));
        assert_eq!(decode("Zh=="), Err(Base64Error::LastSymbol(1, b'h')));
        assert_eq!(
            decode("Zg=").unwrap_err().to_string(),
            STANDARD.decode("Zg=").unwrap_err().to_string()
        );
    }

    /// Texts near base64: symbols of both alphabets, `=`, and a few strangers.
    fn near_base64() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                8 => proptest::sample::select(ALPHABET.to_vec()),
                2 => Just(b'='),
                1 => proptest::sample::select(b"-_ .\n\xc3".to_vec()),
            ],
            0..24,
        )
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn decodes_as_the_base64_crate(text in near_base64()) {
            for form in [Form::Standard, Form::UrlSafe] {
                prop_assert_eq!(decode_in(&text, form), oracle(&text, form), "{:?} {:?}", text, form);
            }
        }

        #[test]
        fn encodes_as_the_base64_crate(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let standard = encode(&bytes);
            prop_assert_eq!(&standard, &STANDARD.encode(&bytes));
            let url = encode_url(&bytes);
            prop_assert_eq!(&url, &URL_SAFE_NO_PAD.encode(&bytes));
            prop_assert_eq!(decode(&standard), Ok(bytes.clone()));
            prop_assert_eq!(decode_url(&url), Ok(bytes));
        }
    }
}
