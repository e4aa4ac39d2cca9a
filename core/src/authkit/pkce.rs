//! PKCE S256, as authkit-js does it.
use crate::{base64, sha256};

/// The verifier from 96 random bytes: base64url without padding, always 128 characters.
pub fn verifier(random: &[u8; 96]) -> String {
    base64::encode_url(random)
}

/// The challenge: base64url(SHA-256(verifier)), 43 characters.
pub fn challenge(verifier: &str) -> String {
    base64::encode_url(&sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_vector_and_lengths() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let v = verifier(&[7u8; 96]);
        assert_eq!(v.len(), 128);
        assert_eq!(challenge(&v).len(), 43);
    }
}
