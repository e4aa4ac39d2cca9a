//! The access token's claims, read without verifying the signature (the Convex backend
//! verifies it). `jwt::check_shape` checks the token's shape as jwt-compact's parser does
//! (tested against it); the claims are then read one by one
//! (`crate::jwt`), so a claim of an unexpected type is dropped alone and the others are kept.

use crate::jwt::ClaimReader;

/// The claims a WorkOS access token carries. Every field is optional: a claim that is absent,
/// `null` or of another type than the one documented here is `None` (or empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    /// Issuer.
    pub iss: Option<String>,
    /// User id.
    pub sub: Option<String>,
    /// Session id (sign-out needs it).
    pub sid: Option<String>,
    /// Organization id.
    pub org_id: Option<String>,
    /// The membership's role.
    pub role: Option<String>,
    /// The membership's roles.
    pub roles: Option<Vec<String>>,
    /// Permissions.
    pub permissions: Vec<String>,
    /// Feature flags.
    pub feature_flags: Vec<String>,
    /// Impersonation: `act.sub` is the impersonator.
    pub act: Option<Actor>,
    /// Issued at, seconds since the Unix epoch.
    pub iat: Option<f64>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: Option<f64>,
}

/// The `act` claim.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actor {
    /// Who acts.
    pub sub: Option<String>,
}

/// Why a token's claims cannot serve a session.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimsError {
    /// Not a JWT with a JSON object payload.
    #[error("the access token is not a readable JWT: {0}")]
    NotAJwt(String),
    /// A claim the session needs is absent or unusable (`exp`/`iat` not numbers with
    /// `exp > iat`, `sid` not a string).
    #[error("the access token has no usable `{0}` claim")]
    Unusable(&'static str),
}

/// What a session needs from its access token: how long it lives and which session it is.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionTiming {
    /// `exp - iat`: the token's lifetime as its issuer sees it, counted on the local clock
    /// from the moment the token arrives (immune to a skewed device clock).
    pub lifetime: std::time::Duration,
    /// The session id.
    pub sid: String,
}

impl Claims {
    /// Reads a token's claims without verification. Fails only when the token is not a JWT
    /// with a JSON object payload; odd claims are dropped one by one.
    pub fn decode(token: &str) -> Result<Claims, ClaimsError> {
        Claims::decode_reporting(token).map(|(claims, _)| claims)
    }

    /// [`decode`](Self::decode), also naming the claims that were dropped for their type.
    pub fn decode_reporting(token: &str) -> Result<(Claims, Vec<&'static str>), ClaimsError> {
        crate::jwt::check_shape(token).map_err(|e| ClaimsError::NotAJwt(e.to_string()))?;
        let mut r = ClaimReader::new(token).map_err(|e| ClaimsError::NotAJwt(e.to_string()))?;
        let claims = Claims {
            iss: r.string("iss"),
            sub: r.string("sub"),
            sid: r.string("sid"),
            org_id: r.string("org_id"),
            role: r.string("role"),
            roles: r.strings("roles"),
            permissions: r.strings("permissions").unwrap_or_default(),
            feature_flags: r.strings("feature_flags").unwrap_or_default(),
            act: r.object("act", |mut o| {
                let sub = o.string("sub");
                // A `sub` of another type drops the whole `act` claim.
                o.dropped().is_empty().then_some(Actor { sub })
            }),
            iat: r.number("iat"),
            exp: r.number("exp"),
        };
        Ok((claims, r.dropped().to_vec()))
    }

    /// The lifetime and session id a signed-in session needs, or which claim is missing.
    pub fn session_timing(&self) -> Result<SessionTiming, ClaimsError> {
        let exp = self.exp.ok_or(ClaimsError::Unusable("exp"))?;
        let iat = self.iat.ok_or(ClaimsError::Unusable("iat"))?;
        if exp <= iat {
            return Err(ClaimsError::Unusable("exp"));
        }
        let sid = self.sid.clone().ok_or(ClaimsError::Unusable("sid"))?;
        // Capped at a year: no claim can overflow the clock arithmetic.
        let secs = (exp - iat).min(365.0 * 24.0 * 3600.0);
        Ok(SessionTiming {
            // Whole milliseconds (the clock's unit); `as` saturates, so no panic path.
            lifetime: std::time::Duration::from_millis((secs * 1000.0) as u64),
            sid,
        })
    }
}

debug_as_message!(ClaimsError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base64;

    fn with(payload: &[u8]) -> String {
        let header = base64::encode_url(br#"{"alg":"RS256"}"#);
        format!("{header}.{}.c2ln", base64::encode_url(payload))
    }

    #[test]
    fn decodes_workos_claims() {
        let payload = r#"{"iss":"https://api.workos.com/user_management/client_1","sub":"user_1","sid":"session_1","org_id":"org_1","role":"admin","roles":["admin"],"permissions":["a:b"],"feature_flags":["x"],"act":{"sub":"admin@x"},"iat":1,"exp":301}"#;
        let c = Claims::decode(&with(payload.as_bytes())).unwrap();
        assert_eq!(c.sid.as_deref(), Some("session_1"));
        assert_eq!(c.roles, Some(vec!["admin".to_string()]));
        assert_eq!(c.permissions, vec!["a:b"]);
        assert_eq!(c.act.and_then(|a| a.sub).as_deref(), Some("admin@x"));
        assert_eq!(c.exp, Some(301.0));
        assert!(Claims::decode("garbage").is_err());
        assert!(Claims::decode("a.b.c").is_err());
        assert!(
            Claims::decode(&with(b"[1, 2]")).is_err(),
            "an array is not claims"
        );
        assert!(
            Claims::decode(&format!("{}.c2ln", with(b"{}"))).is_err(),
            "four parts"
        );
        let bare = Claims::decode(&with(br#"{"exp": 1.5e9}"#)).unwrap();
        assert_eq!((bare.exp, bare.sub), (Some(1.5e9), None));
    }

    /// Issue 20, defect 5: `"permissions": null` once failed the whole decode, losing `iat`,
    /// `exp` and `sid` (a zero lifetime: a refresh on every call, and `sign_out` said
    /// `NoSession`).
    #[test]
    fn one_claim_of_an_unexpected_type_loses_only_itself() {
        let token = with(
            br#"{"iat":1000,"exp":1300,"sid":"session_1","sub":"u","permissions":null,"role":5,"roles":"admin","feature_flags":[1],"act":"x","org_id":{"id":1}}"#,
        );
        let (c, dropped) = Claims::decode_reporting(&token).unwrap();
        assert_eq!((c.iat, c.exp), (Some(1000.0), Some(1300.0)));
        assert_eq!(c.sid.as_deref(), Some("session_1"));
        assert_eq!(c.sub.as_deref(), Some("u"));
        assert!(c.permissions.is_empty() && c.role.is_none() && c.roles.is_none());
        assert_eq!(
            dropped,
            ["org_id", "role", "roles", "feature_flags", "act"],
            "null is absent; the rest are named"
        );
        let timing = c.session_timing().unwrap();
        assert_eq!(timing.lifetime, std::time::Duration::from_secs(300));
    }

    #[test]
    fn a_session_needs_a_usable_exp_iat_and_sid() {
        let t = |p: &[u8]| Claims::decode(&with(p)).unwrap().session_timing();
        assert_eq!(
            t(br#"{"iat":1,"sid":"s"}"#),
            Err(ClaimsError::Unusable("exp"))
        );
        assert_eq!(
            t(br#"{"exp":"301","iat":1,"sid":"s"}"#),
            Err(ClaimsError::Unusable("exp"))
        );
        assert_eq!(
            t(br#"{"exp":301,"sid":"s"}"#),
            Err(ClaimsError::Unusable("iat"))
        );
        assert_eq!(
            t(br#"{"exp":1,"iat":1,"sid":"s"}"#),
            Err(ClaimsError::Unusable("exp")),
            "a zero lifetime is no lifetime"
        );
        assert_eq!(
            t(br#"{"exp":301,"iat":1,"sid":7}"#),
            Err(ClaimsError::Unusable("sid"))
        );
        let long = t(br#"{"exp":1e300,"iat":-1e300,"sid":"s"}"#).unwrap();
        assert_eq!(long.lifetime.as_secs(), 365 * 24 * 3600);
    }
}
