//! RS256 JSON Web Tokens: signing (the AuthKit side) and verification (the Convex side).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jwt_compact::alg::Rsa;
use jwt_compact::{AlgorithmExt, Claims, Header};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

/// An RSA key that signs access tokens, with its key id.
pub struct KeyPair {
    private: RsaPrivateKey,
    /// The `kid` in token headers and the JWKS.
    pub kid: String,
}

impl KeyPair {
    /// Wraps a private key; the kid is derived from the modulus.
    pub fn new(private: RsaPrivateKey) -> KeyPair {
        let digest = Sha256::digest(private.to_public_key().n().to_bytes_be());
        let kid = format!(
            "key_{}",
            digest[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        KeyPair { private, kid }
    }

    /// The private key.
    pub fn private(&self) -> &RsaPrivateKey {
        &self.private
    }

    /// Signs `claims` as an RS256 JWT with `kid` and `typ` in the header.
    pub fn sign(&self, claims: &Json) -> String {
        // jwt-compact writes and signs it; `claims` go into the payload as they are (the kit
        // always builds an object).
        let header = Header::empty()
            .with_key_id(self.kid.clone())
            .with_token_type("JWT");
        Rsa::rs256()
            .token(&header, &Claims::new(claims), &self.private)
            .expect("the kit signs JSON objects")
    }

    /// The public key as a JWK (the JWKS entry).
    pub fn jwk(&self) -> Json {
        let public = self.private.to_public_key();
        json!({
            "alg": "RS256",
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }
}

/// A token split into its parts, not yet verified.
#[derive(Debug, Clone)]
pub struct Untrusted {
    /// The decoded header.
    pub header: Json,
    /// The decoded payload.
    pub claims: Json,
    signing_input: String,
    signature: Vec<u8>,
}

/// Why a token could not be read or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url segments of JSON objects.
    #[error("the token is not a JWT: {0}")]
    Malformed(&'static str),
    /// The signature does not match the key.
    #[error("the signature does not verify")]
    BadSignature,
    /// The JWK is not an RSA public key.
    #[error("the JWK is not a usable RSA key")]
    BadKey,
}

impl Untrusted {
    /// Splits and decodes a compact JWT without checking anything.
    pub fn parse(token: &str) -> Result<Untrusted, JwtError> {
        let mut parts = token.split('.');
        let (h, p, s) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(p), Some(s), None) => (h, p, s),
            _ => return Err(JwtError::Malformed("expected three segments")),
        };
        let decode = |seg: &str| {
            URL_SAFE_NO_PAD
                .decode(seg)
                .map_err(|_| JwtError::Malformed("a segment is not base64url"))
        };
        let header: Json = serde_json::from_slice(&decode(h)?)
            .map_err(|_| JwtError::Malformed("the header is not JSON"))?;
        let claims: Json = serde_json::from_slice(&decode(p)?)
            .map_err(|_| JwtError::Malformed("the payload is not JSON"))?;
        if !header.is_object() || !claims.is_object() {
            return Err(JwtError::Malformed("header and payload must be objects"));
        }
        Ok(Untrusted {
            header,
            claims,
            signing_input: format!("{h}.{p}"),
            signature: decode(s)?,
        })
    }

    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Json::as_str)
    }

    /// Checks the RS256 signature against `key`.
    pub fn verify(&self, key: &RsaPublicKey) -> Result<(), JwtError> {
        let signature =
            Signature::try_from(self.signature.as_slice()).map_err(|_| JwtError::BadSignature)?;
        VerifyingKey::<Sha256>::new(key.clone())
            .verify(self.signing_input.as_bytes(), &signature)
            .map_err(|_| JwtError::BadSignature)
    }
}

/// Reads an RSA public key from a JWK.
pub fn public_key_from_jwk(jwk: &Json) -> Result<RsaPublicKey, JwtError> {
    let field = |name: &str| {
        jwk.get(name)
            .and_then(Json::as_str)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
            .ok_or(JwtError::BadKey)
    };
    if jwk.get("kty").and_then(Json::as_str) != Some("RSA") {
        return Err(JwtError::BadKey);
    }
    RsaPublicKey::new(
        BigUint::from_bytes_be(&field("n")?),
        BigUint::from_bytes_be(&field("e")?),
    )
    .map_err(|_| JwtError::BadKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_tamper() {
        let key = KeyPair::new(RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap());
        let token = key.sign(&json!({"sub": "u", "exp": 1}));
        let t = Untrusted::parse(&token).unwrap();
        assert_eq!(t.kid(), Some(key.kid.as_str()));
        let public = public_key_from_jwk(&key.jwk()).unwrap();
        t.verify(&public).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"admin","exp":1}"#);
        parts[1] = &forged;
        assert_eq!(
            Untrusted::parse(&parts.join(".")).unwrap().verify(&public),
            Err(JwtError::BadSignature)
        );
        assert!(Untrusted::parse("a.b").is_err());
        assert!(Untrusted::parse("!!.!!.!!").is_err());
    }
}
