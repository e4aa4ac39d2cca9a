//! Reading a JWT's timing claims without verifying it (the server verifies).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The claims the refresh schedule needs, plus what makes an AuthError readable.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct TimingClaims {
    /// Issued at, seconds since the epoch.
    #[serde(default)]
    pub iat: Option<f64>,
    /// Expiry, seconds since the epoch.
    #[serde(default)]
    pub exp: Option<f64>,
    /// Issuer.
    #[serde(default)]
    pub iss: Option<String>,
    /// Audience: a string or an array of strings.
    #[serde(default)]
    pub aud: Option<serde_json::Value>,
}

/// Decodes the payload segment of a JWT. `None` when it is not a JWT with a JSON payload.
pub fn decode_claims(token: &str) -> Option<TimingClaims> {
    let mut parts = token.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    parts.next()?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    // serde would read a struct from an array positionally; a JWT payload is an object.
    if !json.is_object() {
        return None;
    }
    serde_json::from_value(json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_rejects() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"iat":100,"exp":400,"iss":"https://x"}"#);
        let c = decode_claims(&format!("h.{payload}.s")).unwrap();
        assert_eq!((c.iat, c.exp), (Some(100.0), Some(400.0)));
        assert_eq!(decode_claims("not a jwt"), None);
        assert_eq!(decode_claims("a.!!!.c"), None);
        assert_eq!(
            decode_claims(&format!("h.{}.s", URL_SAFE_NO_PAD.encode(b"[1]"))),
            None
        );
    }
}
