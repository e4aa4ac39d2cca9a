//! The access token's claims, decoded with jwt-compact without verifying the signature
//! (the Convex backend verifies it).

use jwt_compact::UntrustedToken;
use serde::Deserialize;

/// The claims a WorkOS access token carries.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Claims {
    /// Issuer.
    #[serde(default)]
    pub iss: Option<String>,
    /// User id.
    #[serde(default)]
    pub sub: Option<String>,
    /// Session id (sign-out needs it).
    #[serde(default)]
    pub sid: Option<String>,
    /// Organization id.
    #[serde(default)]
    pub org_id: Option<String>,
    /// The membership's role.
    #[serde(default)]
    pub role: Option<String>,
    /// The membership's roles.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Permissions.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Feature flags.
    #[serde(default)]
    pub feature_flags: Vec<String>,
    /// Impersonation: `act.sub` is the impersonator.
    #[serde(default)]
    pub act: Option<Actor>,
    /// Issued at (seconds).
    #[serde(default)]
    pub iat: Option<f64>,
    /// Expiry (seconds).
    #[serde(default)]
    pub exp: Option<f64>,
}

/// The `act` claim.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Actor {
    /// Who acts.
    #[serde(default)]
    pub sub: Option<String>,
}

/// Why claims could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the access token is not a readable JWT: {0}")]
pub struct ClaimsError(String);

impl Claims {
    /// Decodes a token's claims without verification.
    pub fn decode(token: &str) -> Result<Claims, ClaimsError> {
        // jwt-compact checks the token's shape (three parts, a JSON header, base64url
        // segments); the claims are then read straight into this struct (jwt-compact's own
        // reader goes through a flattened wrapper that costs 13 KB of wasm).
        UntrustedToken::new(token).map_err(|e| ClaimsError(e.to_string()))?;
        crate::sync::jwt::decode_payload(token).map_err(ClaimsError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    #[test]
    fn decodes_workos_claims() {
        let payload = r#"{"iss":"https://api.workos.com/user_management/client_1","sub":"user_1","sid":"session_1","org_id":"org_1","role":"admin","roles":["admin"],"permissions":["a:b"],"feature_flags":["x"],"iat":1,"exp":301}"#;
        let token = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let c = Claims::decode(&token).unwrap();
        assert_eq!(c.sid.as_deref(), Some("session_1"));
        assert_eq!(c.roles, Some(vec!["admin".to_string()]));
        assert_eq!(c.permissions, vec!["a:b"]);
        assert_eq!(c.exp, Some(301.0));
        assert!(Claims::decode("garbage").is_err());
        assert!(Claims::decode("a.b.c").is_err());
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        let with = |payload: &[u8]| format!("{header}.{}.c2ln", URL_SAFE_NO_PAD.encode(payload));
        assert!(
            Claims::decode(&with(b"[1, 2]")).is_err(),
            "an array is not claims"
        );
        assert!(Claims::decode(&with(br#"{"exp": "soon"}"#)).is_err());
        assert!(
            Claims::decode(&format!("{}.c2ln", with(b"{}"))).is_err(),
            "four parts"
        );
        let bare = Claims::decode(&with(br#"{"exp": 1.5e9}"#)).unwrap();
        assert_eq!((bare.exp, bare.sub), (Some(1.5e9), None));
    }
}
