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
    decode_payload(token).ok()
}

/// Decodes a JWT's payload segment (base64url JSON) into `T`, without verifying anything.
/// One reader for every claims type, straight from the bytes.
pub(crate) fn decode_payload<T: serde::de::DeserializeOwned>(token: &str) -> Result<T, String> {
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("a JWT has three dot-separated parts".into());
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| format!("the payload is not base64url: {e}"))?;
    // serde would read a struct from an array positionally; a JWT payload is an object.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err("the payload is not a JSON object".into());
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("the payload does not read: {e}"))
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
