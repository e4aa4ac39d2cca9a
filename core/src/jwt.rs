//! Reading a JWT's payload without verifying it (the server verifies), claim by claim.
//!
//! A token is read as its JSON object first; each claim is then taken on its own with the type
//! the reader expects. A claim of another type is dropped alone and named in
//! `ClaimReader::dropped`; `null` counts as absent. One odd claim (`"permissions": null`,
//! `"role": 5`) therefore never costs the others (`exp`, `iat`, `sid`).
use crate::base64;

use serde_json::{Map, Value as Json};

/// Why a token's payload could not be read at all.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three dot-separated parts.
    #[error("a JWT has three dot-separated parts")]
    Shape,
    /// The payload segment is not base64url.
    #[error("the payload is not base64url")]
    Base64,
    /// The payload is not a JSON object.
    #[error("the payload is not a JSON object")]
    NotAnObject,
    /// The header is not base64url JSON object text with a string `alg`.
    #[error("the header is not a JSON object with a string `alg`")]
    Header,
    /// The signature segment is not base64url.
    #[error("the signature is not base64url")]
    Signature,
}

/// The header fields jwt-compact reads, each at most once, with its types: `alg` a string
/// (required); `cty` absent, `null` or `json` (any case); `jku`, `kid`, `x5u`, `typ` strings;
/// `x5t` and `x5t#S256` base64url thumbprints of 20 and 32 bytes (or longer UTF-8 text).
/// Other fields are skipped.
fn header_ok(text: &str) -> bool {
    use crate::json::JsonError;
    let bad = || <JsonError as serde::de::Error>::custom("bad header");
    let (mut alg, mut seen) = (false, Vec::new());
    let read = crate::json::from_str_with(text, |r| {
        r.object(&mut |r, key| {
            const KNOWN: [&str; 8] = ["alg", "cty", "jku", "kid", "x5u", "typ", "x5t", "x5t#S256"];
            if KNOWN.contains(&key) {
                if seen.iter().any(|k: &String| k == key) {
                    return Err(bad());
                }
                seen.push(key.to_owned());
            }
            match key {
                "alg" => {
                    r.text()?;
                    alg = true;
                }
                "cty" if !r.null()? => {
                    if !r.text()?.eq_ignore_ascii_case("json") {
                        return Err(bad());
                    }
                }
                "jku" | "kid" | "x5u" | "typ" if !r.null()? => drop(r.text()?),
                "x5t" | "x5t#S256" if !r.null()? => {
                    let n = if key == "x5t" { 20 } else { 32 };
                    if !thumbprint_ok(&r.text()?, n) {
                        return Err(bad());
                    }
                }
                "cty" | "jku" | "kid" | "x5u" | "typ" | "x5t" | "x5t#S256" => {}
                _ => r.skip_value()?,
            }
            Ok(())
        })
    });
    read.is_ok() && alg
}

/// A thumbprint as jwt-compact reads one: base64url (up to two `=` trimmed) of `n` bytes, or
/// of more bytes that are UTF-8 text.
fn thumbprint_ok(value: &str, n: usize) -> bool {
    let value = value.strip_suffix('=').unwrap_or(value);
    let value = value.strip_suffix('=').unwrap_or(value);
    let len = value.len() * 3 / 4;
    match base64::decode_url(value) {
        Ok(bytes) if len == n => bytes.len() == n,
        Ok(bytes) if len > n => String::from_utf8(bytes).is_ok(),
        _ => false,
    }
}

/// Checks a token's shape as a JWT library's parser does before it reads the claims: three
/// segments, a base64url header that is a JSON object naming its `alg` (a string), a
/// base64url payload and signature (unpadded). Nothing is verified (the server verifies); the payload is read by
/// [`payload`] and friends.
///
/// ```
/// use convex_yew_core::jwt::{check_shape, JwtError};
/// // {"alg":"RS256"} . {} . a signature
/// assert_eq!(check_shape("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), Ok(()));
/// assert_eq!(check_shape("e30.e30.c2ln"), Err(JwtError::Header));
/// assert_eq!(check_shape("eyJhbGciOiJSUzI1NiJ9.e30.%%"), Err(JwtError::Signature));
/// ```
pub fn check_shape(token: &str) -> Result<(), JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Shape);
    };
    let header = base64::decode_url(header).map_err(|_| JwtError::Header)?;
    if !std::str::from_utf8(&header).is_ok_and(header_ok) {
        return Err(JwtError::Header);
    }
    base64::decode_url(payload).map_err(|_| JwtError::Base64)?;
    base64::decode_url(signature)
        .map(drop)
        .map_err(|_| JwtError::Signature)
}

/// The claims the refresh schedule needs, plus what makes an AuthError readable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimingClaims {
    /// Issued at, seconds since the epoch.
    pub iat: Option<f64>,
    /// Expiry, seconds since the epoch.
    pub exp: Option<f64>,
    /// Issuer.
    pub iss: Option<String>,
    /// Audience: the token's `aud` string as one element, or its array of strings (empty when
    /// absent, `null`, or of another type).
    pub aud: Vec<String>,
    /// The claims above that the token has with another type (so a malformed `aud` is told
    /// apart from a missing one).
    pub dropped: Vec<&'static str>,
}

/// What a Convex deployment checks against its `auth.config.ts` providers, for the message
/// that explains a rejected token: `iss="https://api.workos.com/", aud=["client_1"],
/// exp=1700000000` (strings quoted as JSON, `none` for a missing claim, exp in seconds),
/// then which claims had an unexpected type.
impl std::fmt::Display for TimingClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::json::Quoted;
        match &self.iss {
            Some(iss) => write!(f, "iss={}", Quoted(iss))?,
            None => f.write_str("iss=none")?,
        }
        f.write_str(", aud=[")?;
        for (i, aud) in self.aud.iter().enumerate() {
            write!(f, "{}{}", if i == 0 { "" } else { ", " }, Quoted(aud))?;
        }
        match self.exp {
            Some(exp) => write!(f, "], exp={exp}")?,
            None => f.write_str("], exp=none")?,
        }
        if !self.dropped.is_empty() {
            write!(f, " ({} of an unexpected type)", self.dropped.join(", "))?;
        }
        Ok(())
    }
}

/// Reads a JWT's timing claims, claim by claim (see the module docs). `None` when the token
/// is not a JWT with a JSON object payload.
pub fn decode_claims(token: &str) -> Option<TimingClaims> {
    let mut r = ClaimReader::new(token).ok()?;
    let mut claims = TimingClaims {
        iat: r.number("iat"),
        exp: r.number("exp"),
        iss: r.string("iss"),
        aud: r
            .typed("aud", |raw| {
                crate::json::read_string(raw)
                    .map(|one| vec![one])
                    .or_else(|| crate::json::read_strings(raw))
            })
            .unwrap_or_default(),
        dropped: Vec::new(),
    };
    claims.dropped = r.dropped().to_vec();
    Some(claims)
}

/// A token's payload as a JSON object, decoded without verification (the server verifies).
///
/// # Errors
/// [`JwtError`] when the token is not three segments or its payload is not base64url text of
/// a JSON object.
pub fn payload(token: &str) -> Result<Map<String, Json>, JwtError> {
    match crate::json::from_str(&payload_text(token)?) {
        Ok(Json::Object(payload)) => Ok(payload),
        _ => Err(JwtError::NotAnObject),
    }
}

/// The payload segment's text (base64url-decoded UTF-8).
fn payload_text(token: &str) -> Result<String, JwtError> {
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Shape);
    };
    let bytes = base64::decode_url(payload.trim_end_matches('=')).map_err(|_| JwtError::Base64)?;
    String::from_utf8(bytes).map_err(|_| JwtError::NotAnObject)
}

/// A JSON object, taken field by field: each field's text is kept as it stands (checked JSON)
/// and read with the type the caller expects when it is taken. A key given twice counts once,
/// with its last value (as `JSON.parse` reads it).
pub(crate) struct ClaimReader {
    text: String,
    /// Each key and the byte range of its value in `text`.
    fields: Vec<(String, std::ops::Range<usize>)>,
    dropped: Vec<&'static str>,
}

impl ClaimReader {
    /// Decodes the payload segment (base64url JSON object).
    pub(crate) fn new(token: &str) -> Result<ClaimReader, JwtError> {
        ClaimReader::from_text(payload_text(token)?).map_err(|_| JwtError::NotAnObject)
    }

    /// Reads any JSON object text field by field the same way (an AuthKit response, say).
    ///
    /// # Errors
    /// The [`JsonError`](crate::json::JsonError) when `text` is not a JSON object.
    pub(crate) fn from_text(text: String) -> Result<ClaimReader, crate::json::JsonError> {
        let fields = crate::json::object_fields(&text)?;
        Ok(ClaimReader {
            text,
            fields,
            dropped: Vec::new(),
        })
    }

    /// The claims that were present with a type the reader did not expect, in reading order.
    pub(crate) fn dropped(&self) -> &[&'static str] {
        &self.dropped
    }

    /// A claim's JSON text as it stands (any JSON but `null`); taken once.
    fn raw(&mut self, name: &str) -> Option<&str> {
        let mut last = None;
        self.fields.retain(|(key, range)| {
            if key == name {
                last = Some(range.clone());
            }
            key != name
        });
        let raw = &self.text[last?];
        (raw != "null").then_some(raw)
    }

    /// A claim read by `f` from its JSON text; `None` from `f` drops it (see [`dropped`](Self::dropped)).
    fn typed<T>(&mut self, name: &'static str, f: impl FnOnce(&str) -> Option<T>) -> Option<T> {
        let typed = f(self.raw(name)?);
        if typed.is_none() {
            self.dropped.push(name);
        }
        typed
    }

    /// A string claim.
    pub(crate) fn string(&mut self, name: &'static str) -> Option<String> {
        self.typed(name, crate::json::read_string)
    }

    /// A boolean claim.
    pub(crate) fn boolean(&mut self, name: &'static str) -> Option<bool> {
        self.typed(name, crate::json::read_bool)
    }

    /// A finite numeric claim (a JSON number: NumericDate claims are never strings).
    pub(crate) fn number(&mut self, name: &'static str) -> Option<f64> {
        self.typed(name, |raw| {
            crate::json::read_f64(raw).filter(|n| n.is_finite())
        })
    }

    /// An array-of-strings claim (one element of another type drops the claim).
    pub(crate) fn strings(&mut self, name: &'static str) -> Option<Vec<String>> {
        self.typed(name, crate::json::read_strings)
    }

    /// An object claim, read field by field by `f` (`None` from `f` drops it).
    pub(crate) fn object<T>(
        &mut self,
        name: &'static str,
        f: impl FnOnce(ClaimReader) -> Option<T>,
    ) -> Option<T> {
        self.typed(name, |raw| {
            ClaimReader::from_text(raw.to_owned()).ok().and_then(f)
        })
    }
}

debug_as_message!(JwtError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_claims_read_for_a_rejected_token() {
        let claims = TimingClaims {
            iss: Some("https://api.workos.com/user_management/client_\"1".into()),
            aud: vec!["client_1".into(), "b".into()],
            exp: Some(1_700_000_000.0),
            iat: None,
            dropped: vec![],
        };
        assert_eq!(
            claims.to_string(),
            r#"iss="https://api.workos.com/user_management/client_\"1", aud=["client_1", "b"], exp=1700000000"#
        );
        let odd = TimingClaims {
            dropped: vec!["aud", "exp"],
            ..TimingClaims::default()
        };
        assert_eq!(
            odd.to_string(),
            "iss=none, aud=[], exp=none (aud, exp of an unexpected type)"
        );
    }

    fn token(payload: &[u8]) -> String {
        format!("h.{}.s", base64::encode_url(payload))
    }

    /// `check_shape` accepts exactly the tokens jwt-compact's `UntrustedToken::new` parses, on
    /// odd headers, segments and encodings.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn shape_check_agrees_with_jwt_compact() {
        let b64 = |s: &str| base64::encode_url(s.as_bytes());
        let headers = [
            r#"{"alg":"RS256","cty":"xml"}"#,
            r#"{"alg":"RS256","cty":"JSON","x":[1]}"#,
            r#"{"alg":"RS256","cty":5}"#,
            r#"{"alg":"RS256","cty":"cbor"}"#,
            r#"{"alg":"RS256","cty":null,"kid":null}"#,
            r#"{"alg":"RS256","kid":5}"#,
            r#"{"alg":"RS256","typ":true}"#,
            r#"{"alg":"RS256","jku":[]}"#,
            r#"{"alg":"RS256","x5u":{}}"#,
            r#"{"alg":"RS256","x5t":"AAAA"}"#,
            r#"{"alg":"RS256","x5t":"AAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
            r#"{"alg":"RS256","x5t":"AAAAAAAAAAAAAAAAAAAAAAAAAAA="}"#,
            r#"{"alg":"RS256","x5t":"aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8"}"#,
            r#"{"alg":"RS256","x5t":"_____________________________________w"}"#,
            r#"{"alg":"RS256","x5t#S256":5}"#,
            r#"{"alg":"RS256","x5t#S256":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
            r#"{"alg":"RS256","alg":"HS256"}"#,
            r#"{"alg":5,"alg":"HS256"}"#,
            r#"{"alg":"RS256","kid":"a","kid":"b"}"#,
            r#"{"\u0061lg":"RS256"}"#,
            r#"{"alg":"RS256"}"#,
            r#"{"alg":"RS256","kid":"k","typ":"JWT"}"#,
            r#"{"alg":"none"}"#,
            r#"{"alg":""}"#,
            r#"{}"#,
            r#"{"alg":5}"#,
            r#"{"alg":null}"#,
            r#"[]"#,
            r#""RS256""#,
            r#"{"alg":"RS256""#,
            r#"{"alg":"RS256"} x"#,
            "not json",
            "",
        ];
        let mut tokens = vec![
            String::new(),
            "a.b".into(),
            "a.b.c.d".into(),
            "..".into(),
            "eyJhbGciOiJSUzI1NiJ9.e30.c2ln".into(),
            "eyJhbGciOiJSUzI1NiJ9=.e30.c2ln".into(),
            "eyJhbGciOiJSUzI1NiJ9.e30.c2ln=".into(),
            "eyJhbGciOiJSUzI1NiJ9.e30.%%".into(),
            "eyJhbGciOiJSUzI1NiJ9.e30.".into(),
            "eyJhbGciOiJSUzI1NiJ9.e30.c2ln+/".into(),
        ];
        for h in headers {
            for payload in ["e30", "", "%%"] {
                for sig in ["c2ln", "", "a", "ab+"] {
                    tokens.push(format!("{}.{payload}.{sig}", b64(h)));
                }
            }
        }
        for t in &tokens {
            assert_eq!(
                check_shape(t).is_ok(),
                jwt_compact::UntrustedToken::new(t.as_str()).is_ok(),
                "{t:?}: {:?}",
                check_shape(t)
            );
        }
    }

    #[test]
    fn decodes_and_rejects() {
        let c = decode_claims(&token(br#"{"iat":100,"exp":400,"iss":"https://x"}"#)).unwrap();
        assert_eq!((c.iat, c.exp), (Some(100.0), Some(400.0)));
        assert_eq!(decode_claims("not a jwt"), None);
        assert_eq!(decode_claims("a.!!!.c"), None);
        assert_eq!(decode_claims(&token(b"[1]")), None);
        assert_eq!(decode_claims(&token(b"nope")), None);
    }

    /// A key given twice counts with its last value (as `JSON.parse` and serde_json read it),
    /// and a number no f64 holds costs only its own claim.
    #[test]
    fn duplicate_and_huge_claims() {
        let mut r = ClaimReader::new(&token(
            br#"{"sid":5,"sid":"s2","exp":1e400,"iat":100,"aud":"a","org_id":"o","org_id":null}"#,
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.string("sid").as_deref(), Some("s2"));
        assert_eq!(r.number("exp"), None);
        assert_eq!(r.number("iat"), Some(100.0));
        assert_eq!(r.string("org_id"), None);
        assert_eq!(r.dropped(), ["exp"]);
        let c = decode_claims(&token(br#"{"aud":"a"}"#)).unwrap();
        assert_eq!(c.aud, ["a"]);
        let c = decode_claims(&token(br#"{"aud":[1]}"#)).unwrap();
        assert!(c.aud.is_empty());
        assert_eq!(
            c.dropped,
            ["aud"],
            "a malformed aud is told apart from a missing one"
        );
        assert!(decode_claims(&token(b"{}")).unwrap().dropped.is_empty());
        assert!(ClaimReader::new(&token(br#"{"a":1} x"#)).is_err());
        assert!(ClaimReader::new(&token(br#"{"a":}"#)).is_err());
    }

    #[test]
    fn an_odd_claim_is_dropped_alone() {
        let c = decode_claims(&token(
            br#"{"iat":100,"exp":400,"iss":7,"aud":["a"],"extra":{"x":[null]}}"#,
        ))
        .unwrap();
        assert_eq!((c.iat, c.exp, c.iss), (Some(100.0), Some(400.0), None));
        assert_eq!(c.aud, ["a"]);
        let mut r = ClaimReader::new(&token(
            br#"{"exp":"soon","iat":true,"sid":null,"roles":["a",5],"sub":"u"}"#,
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.number("exp"), None);
        assert_eq!(r.number("iat"), None);
        assert_eq!(r.string("sid"), None);
        assert_eq!(r.strings("roles"), None);
        assert_eq!(r.string("sub").as_deref(), Some("u"));
        assert_eq!(
            r.dropped(),
            ["exp", "iat", "roles"],
            "null is absent, not odd"
        );
    }
}
