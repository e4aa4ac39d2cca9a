//! [`AuthKitError`]: why an AuthKit call failed.

use super::config::ConfigError;
use super::session::RefreshError;

/// Why an AuthKit call failed.
///
/// An open enum to match on, where the Convex side's `ClientError` is opaque with `is_*`
/// queries: an app decides per AuthKit case (sign in again, retry later, say the organization
/// refused), and the cases are AuthKit's own and few; Convex errors are many, carry the
/// server's data, and grow with the server, so they stay behind queries (reqwest's style).
/// Both name the kind in `Display` and give the cause through `source()`.
#[derive(Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthKitError {
    /// The configuration cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No session: the user must sign in.
    #[error("No access token available: sign in first")]
    LoginRequired,
    /// `sign_out` without a session.
    #[error("there is no session to sign out of")]
    NoSession,
    /// The callback page had a code but this tab has no PKCE verifier (sign-in started in
    /// another tab, or a forged link): nothing was sent.
    #[error("the sign-in callback has no PKCE verifier in this tab; sign-in must start and finish in the same tab")]
    MissingVerifier,
    /// The code exchange failed (the cause is the error's `source`).
    #[error("the sign-in code exchange failed")]
    CodeExchange(#[source] RefreshError),
    /// A transient refresh failure: the session is kept; try again later.
    #[error(transparent)]
    Refresh(RefreshError),
    /// AuthKit refused to move the session to that organization; the session is kept as it
    /// was (the cause is the error's `source`).
    #[error("AuthKit refused the organization switch")]
    OrganizationRefused(#[source] RefreshError),
    /// Another organization switch was asked for before this one could run; only the
    /// latest runs.
    #[error("a later organization switch replaced this one")]
    Superseded,
    /// The PKCE verifier could not be made: the browser has no secure random source.
    #[error("no secure random source (crypto.getRandomValues) to make a PKCE verifier")]
    NoSecureRandom,
    /// The client was disposed (its provider unmounted or its configuration changed).
    #[error("the AuthKit client was disposed")]
    Disposed,
    /// The browser refused to store what the call needs (quota, private mode, no storage):
    /// nothing was handed out.
    #[error("the browser refused to store the sign-in state: {0}")]
    Storage(String),
    /// The page has no `window` (not a browser).
    #[error("AuthKit needs a browser window")]
    NoWindow,
}

impl AuthKitError {
    /// A failure that may pass; the session is kept.
    pub fn is_transient(&self) -> bool {
        matches!(self, AuthKitError::Refresh(e) if e.is_transient())
    }
}

debug_as_message!(AuthKitError);
