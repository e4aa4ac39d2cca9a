//! Authentication state: the official `AuthenticationManager`'s states, with two fixes: a
//! transient token-fetch failure keeps the session (and retries) instead of dropping to
//! anonymous, and a refetch that returns the same still-valid token re-arms a refresh from its
//! `exp` instead of stopping refreshes for good (get-convex/convex-js#184).

use std::time::Duration;

use super::jwt::decode_claims;
use super::time::Instant;

/// Identifies one token fetch. A result for an older fetch (after `clear_auth`, a new
/// `set_auth` or a newer fetch) is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FetchId(pub u64);

/// What the app's token fetcher returned: the three outcomes the core tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFetch {
    /// A token.
    Token(String),
    /// No session: the user is signed out.
    SignedOut,
    /// The fetch failed for a reason that may pass (network, 5xx, 429, a lock timeout). The
    /// core keeps the current auth state and retries with backoff.
    Transient,
}

/// Where a retry after a transient failure goes back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    Initial { force: bool },
    Refetch,
    Reauth,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No auth configured, or it was abandoned.
    NoAuth,
    /// `set_auth` is fetching its first token; the socket is paused.
    FetchingInitial { force: bool },
    /// The first (possibly cached) token was sent; waiting for the server.
    WaitingCached,
    /// A refetch is in flight while the current token stays in place.
    Refetching,
    /// A force-refreshed token was sent; waiting for the server.
    WaitingFresh,
    /// Confirmed; the next refetch is due at `at`.
    Scheduled { at: Instant },
    /// Confirmed; the token has no usable `iat`/`exp`, so nothing is scheduled.
    Confirmed,
    /// The server rejected the token; the socket is stopped while a new one is fetched.
    Reauthenticating,
    /// A transient fetch failure; retry at `at`.
    RetryWait { at: Instant, retry: Retry },
}

/// Auth bookkeeping of one client.
#[derive(Debug)]
pub(crate) struct Auth {
    pub(crate) phase: Phase,
    pub(crate) token: Option<String>,
    pub(crate) in_flight: Option<FetchId>,
    pub(crate) next_fetch: u64,
    /// What `AuthChanged` last reported since the last `set_auth` (`None`: nothing yet).
    pub(crate) reported: Option<bool>,
    /// Failed confirmations of fresh tokens (the official limit is 2).
    pub(crate) attempts: u32,
    pub(crate) transient_failures: u32,
    pub(crate) refreshing: bool,
}

/// The official client's limit on confirmations of forced tokens after AuthErrors.
pub(crate) const MAX_CONFIRMATION_ATTEMPTS: u32 = 2;
/// The longest refresh delay (the official client's cap, from 32-bit `setTimeout`).
pub(crate) const MAX_REFRESH_DELAY: Duration = Duration::from_secs(20 * 24 * 3600);

impl Default for Auth {
    fn default() -> Self {
        Auth {
            phase: Phase::NoAuth,
            token: None,
            in_flight: None,
            next_fetch: 0,
            reported: None,
            attempts: 0,
            transient_failures: 0,
            refreshing: false,
        }
    }
}

impl Auth {
    pub(crate) fn new_fetch(&mut self) -> FetchId {
        self.next_fetch += 1;
        let id = FetchId(self.next_fetch);
        self.in_flight = Some(id);
        id
    }

    /// Backoff after a transient failure: 1 s doubling to 30 s.
    pub(crate) fn transient_delay(&mut self) -> Duration {
        let d = Duration::from_millis(1000u64.saturating_mul(1 << self.transient_failures.min(5)))
            .min(Duration::from_secs(30));
        self.transient_failures += 1;
        d
    }
}

/// When to refetch a freshly fetched token: its full lifetime (`exp - iat`, counted from now,
/// as the official client does, so a skewed device clock does not matter) minus the leeway.
/// `None` when the token has no usable `iat`/`exp`.
pub(crate) fn fresh_refresh_at(token: &str, now: Instant, leeway: Duration) -> Option<Instant> {
    let c = decode_claims(token)?;
    let (iat, exp) = (c.iat?, c.exp?);
    if iat <= 0.0 || exp <= 0.0 || exp - iat <= 2.0 {
        return None;
    }
    let delay = ((exp - iat) - leeway.as_secs_f64()).max(0.0);
    Some(now.saturating_add(Duration::from_secs_f64(delay).min(MAX_REFRESH_DELAY)))
}

/// When to refetch a token already held for a while: from its `exp` against `now`.
pub(crate) fn held_refresh_at(token: &str, now: Instant, leeway: Duration) -> Option<Instant> {
    let exp = decode_claims(token)?.exp?;
    let remaining = exp - now.as_millis() as f64 / 1000.0 - leeway.as_secs_f64();
    if remaining <= 0.0 {
        return None;
    }
    Some(now.saturating_add(Duration::from_secs_f64(remaining).min(MAX_REFRESH_DELAY)))
}
