//! How an AuthKit answer becomes a Convex token-fetch outcome: the one rule shared by the
//! Yew provider and the model tests.

use super::errors::AuthKitError;
use crate::sync::TokenFetch;

/// Maps `get_access_token`'s answer for the Convex client: a token; "signed out" only when
/// the session is really over; anything that may pass (a transient refresh failure, a
/// disposed client whose successor will set auth again) keeps the server's identity and
/// retries.
pub fn token_fetch(result: Result<String, AuthKitError>) -> TokenFetch {
    match result {
        Ok(token) => TokenFetch::Token(token),
        Err(AuthKitError::LoginRequired | AuthKitError::NoSession) => TokenFetch::SignedOut,
        Err(_) => TokenFetch::Transient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authkit::RefreshError;

    #[test]
    fn only_an_ended_session_signs_out() {
        assert_eq!(
            token_fetch(Err(AuthKitError::LoginRequired)),
            TokenFetch::SignedOut
        );
        for e in [
            AuthKitError::Refresh(RefreshError::LockTimeout),
            AuthKitError::Refresh(RefreshError::Network("x".into())),
            AuthKitError::Disposed,
        ] {
            assert_eq!(token_fetch(Err(e)), TokenFetch::Transient);
        }
        assert_eq!(token_fetch(Ok("t".into())), TokenFetch::Token("t".into()));
    }
}
