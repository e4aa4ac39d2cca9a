//! Authentication state of the sync client: the official `AuthenticationManager`'s states as
//! one enum whose variants carry their own data, and the transitions between them.
//!
//! The state owns its transitions: every input (`set`, `clear`, a fetch outcome, the server's
//! confirmation, an `AuthError`, a timer) is a method that moves the state and returns the
//! [`Effect`]s the client must carry out. The token to present to the server is *derived* from
//! the state ([`AuthState::presented`]), so a state that keeps an old token after `set_auth`,
//! or a socket held for a token that nobody is fetching, cannot be written.
//!
//! Differences from the official client, on purpose:
//! - a transient token-fetch failure keeps the session and retries with backoff instead of
//!   dropping to anonymous;
//! - a refetch that returns the same still-valid token re-arms the refresh from its `exp`
//!   instead of stopping refreshes for good (get-convex/convex-js#184);
//! - every fetch has a deadline: a fetcher that never answers is abandoned and retried, and its
//!   late answer is ignored by its [`FetchId`];
//! - when the auth source's identity changes (an organization switch, another user or
//!   session), the token is fetched again at once ([`Auth::source_changed`]) while the current
//!   one stays presented, so `is_authenticated` does not flicker;
//! - a token whose lifetime is at or under the leeway is refetched at most once a second
//!   (the official client refetches it at once, in a loop), with one warning.
//!
//! The official client's state names, for readers of `authentication_manager.ts`:
//!
//! | convex-js `AuthState` | here |
//! |---|---|
//! | `noAuth` | `Anonymous` (or `Pending` with `expectAuth`) |
//! | `waitingForServerConfirmationOfCachedToken` | `Confirming { cached: true }` |
//! | `initialRefetch` | `Refetching` after a cached token was confirmed |
//! | `waitingForServerConfirmationOfFreshToken` | `Confirming { cached: false }` |
//! | `waitingForScheduledRefetch` | `Confirmed { refresh_at: Some(_) }` |
//! | `notRefetching` | `Confirmed { refresh_at: None }` |
//!
//! `Initial` (the first fetch) and `Reauthenticating` (after an `AuthError`) are the
//! official client's fetches in flight, which it keeps outside its state.
//!
//! This file is one state machine, about 700 lines: the states, and the table of their
//! transitions (`on_fetched` and its neighbours), read together, as the official
//! `AuthenticationManager` is one file.
//!
//! Timers run on the monotonic clock. The wall clock is read only to compare a held token's
//! `exp` with the time now ([`WallClock`]).

use std::time::Duration;

use crate::jwt::decode_claims;
use crate::time::{exponential_backoff, Instant, WallClock};

/// Identifies one token fetch. A result for an older fetch (after `clear_auth`, a new
/// `set_auth`, a deadline or a newer fetch) is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FetchId(pub u64);

/// What the app's token fetcher returned: the three outcomes the core tells apart.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenFetch {
    /// A token.
    Token(String),
    /// No session: the user is signed out.
    SignedOut,
    /// The fetch failed for a reason that may pass (network, 5xx, 429, a lock timeout). The
    /// core keeps the current auth state and retries with backoff.
    Transient,
}

impl std::fmt::Debug for TokenFetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenFetch::Token(_) => f.write_str("Token([redacted])"),
            TokenFetch::SignedOut => f.write_str("SignedOut"),
            TokenFetch::Transient => f.write_str("Transient"),
        }
    }
}

/// The official client's limit on confirmations of forced tokens after AuthErrors.
pub(crate) const MAX_CONFIRMATION_ATTEMPTS: u32 = 2;
/// The longest refresh delay (the official client's cap, from 32-bit `setTimeout`).
pub(crate) const MAX_REFRESH_DELAY: Duration = Duration::from_secs(20 * 24 * 3600);
/// The shortest time from a confirmed token to its scheduled refetch, whatever its lifetime.
pub(crate) const MIN_REFRESH_DELAY: Duration = Duration::from_secs(1);

/// A token fetch that is either running or waiting out a backoff.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Fetch {
    /// Asked for; abandoned at `deadline`.
    InFlight { id: FetchId, deadline: Instant },
    /// A transient failure; ask again at `at`.
    Backoff { at: Instant },
}

impl Fetch {
    fn deadline(&self) -> Instant {
        match self {
            Fetch::InFlight { deadline, .. } => *deadline,
            Fetch::Backoff { at } => *at,
        }
    }
}

/// Where auth stands. Tokens live only in the variants that use them.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum AuthState {
    /// Nothing decided yet and the client expects auth (`ClientConfig::expect_auth`): the
    /// socket holds its handshake until `set_auth` or `clear_auth`.
    Pending,
    /// No auth configured (or it was given up): the socket runs anonymous.
    Anonymous,
    /// `set_auth` is fetching its first token; the socket holds its handshake until then.
    /// `force`: the fetch asks the provider for a fresh token (after a cached one was refused).
    Initial { fetch: Fetch, force: bool },
    /// `token` was presented; waiting for the server to confirm it. A `cached` token is
    /// followed by a fresh one once confirmed. `attempts`: AuthErrors on fresh tokens so far.
    Confirming {
        token: String,
        cached: bool,
        attempts: u32,
    },
    /// The server confirmed `token`; a refresh is due at `refresh_at` (`None`: the token has
    /// no usable timing claims, so it is never refreshed on a timer).
    Confirmed {
        token: String,
        refresh_at: Option<Instant>,
    },
    /// A replacement is being fetched while `token` stays in place. `confirmed`: the server
    /// confirmed `token` (an identity change may start a refetch before it did).
    Refetching {
        token: String,
        fetch: Fetch,
        confirmed: bool,
    },
    /// The server rejected `rejected`; the socket is stopped until a new token arrives.
    Reauthenticating {
        rejected: String,
        fetch: Fetch,
        attempts: u32,
    },
}

/// What the client must do after a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Ask the app for a token.
    Fetch { id: FetchId, force_refresh: bool },
    /// Tell the app the server confirmed (`true`) or auth ended (`false`).
    Report(bool),
    /// A rejected token is being replaced (`true`) or that is over (`false`).
    Refreshing(bool),
    /// The server rejected a token (for the app's log).
    Rejected(String),
    /// Auth was given up for this reason.
    GaveUp(String),
    /// Something the app's log should say once.
    Warning(String),
}

/// Auth bookkeeping of one client: the state and the counters that outlive a state.
pub(crate) struct Auth {
    state: AuthState,
    next_fetch: u64,
    /// What `AuthChanged` last reported since the last `set_auth` (`None`: nothing yet).
    reported: Option<bool>,
    refreshing: bool,
    transient_failures: u32,
    leeway: Duration,
    fetch_timeout: Duration,
    /// The short-lifetime warning was given.
    warned_short_lifetime: bool,
    /// When the last fetch started.
    last_fetch: Option<Instant>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("state", &self.state_name())
            .field("reported", &self.reported)
            .field("refreshing", &self.refreshing)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// `expect_auth`: hold the handshake until auth is set or cleared.
    pub(crate) fn new(leeway: Duration, fetch_timeout: Duration, expect_auth: bool) -> Auth {
        Auth {
            state: if expect_auth {
                AuthState::Pending
            } else {
                AuthState::Anonymous
            },
            next_fetch: 0,
            reported: None,
            refreshing: false,
            transient_failures: 0,
            leeway,
            fetch_timeout,
            warned_short_lifetime: false,
            last_fetch: None,
        }
    }

    // ----- derived views -----

    /// The state's name, for logs (never a token).
    pub(crate) fn state_name(&self) -> &'static str {
        match self.state {
            AuthState::Pending => "Pending",
            AuthState::Anonymous => "Anonymous",
            AuthState::Initial { .. } => "Initial",
            AuthState::Confirming { .. } => "Confirming",
            AuthState::Confirmed { .. } => "Confirmed",
            AuthState::Refetching { .. } => "Refetching",
            AuthState::Reauthenticating { .. } => "Reauthenticating",
        }
    }

    /// What the server should hold: `None` while the first token is awaited (the socket holds
    /// its handshake), `Some(None)` anonymous, `Some(Some(token))` a user.
    pub(crate) fn presented(&self) -> Option<Option<&str>> {
        match &self.state {
            AuthState::Anonymous => Some(None),
            AuthState::Pending | AuthState::Initial { .. } | AuthState::Reauthenticating { .. } => {
                None
            }
            AuthState::Confirming { token, .. }
            | AuthState::Confirmed { token, .. }
            | AuthState::Refetching { token, .. } => Some(Some(token)),
        }
    }

    /// The socket must wait before its handshake (no token yet).
    pub(crate) fn holds_handshake(&self) -> bool {
        matches!(self.state, AuthState::Initial { .. } | AuthState::Pending)
    }

    /// The socket must stay closed (the server rejected the token; a new one is coming).
    pub(crate) fn stops_socket(&self) -> bool {
        matches!(self.state, AuthState::Reauthenticating { .. })
    }

    /// Whether the server has confirmed the current token.
    pub(crate) fn is_authenticated(&self) -> bool {
        self.reported == Some(true)
    }

    /// A presented token awaits the server's confirmation.
    pub(crate) fn awaits_confirmation(&self) -> bool {
        matches!(self.state, AuthState::Confirming { .. })
    }

    /// The token the server last saw from us, for readable AuthError logs.
    pub(crate) fn current_token(&self) -> Option<&str> {
        match &self.state {
            AuthState::Pending | AuthState::Anonymous | AuthState::Initial { .. } => None,
            AuthState::Reauthenticating { rejected, .. } => Some(rejected),
            AuthState::Confirming { token, .. }
            | AuthState::Confirmed { token, .. }
            | AuthState::Refetching { token, .. } => Some(token),
        }
    }

    /// When [`on_timeout`](Self::on_timeout) must run next.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        match &self.state {
            AuthState::Pending | AuthState::Anonymous | AuthState::Confirming { .. } => None,
            AuthState::Confirmed { refresh_at, .. } => *refresh_at,
            AuthState::Initial { fetch, .. }
            | AuthState::Refetching { fetch, .. }
            | AuthState::Reauthenticating { fetch, .. } => Some(fetch.deadline()),
        }
    }

    // ----- inputs -----

    /// `set_auth`: a new token source. Whatever was presented before is forgotten.
    pub(crate) fn set(&mut self, now: Instant) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.reported = None;
        self.transient_failures = 0;
        if self.refreshing {
            self.refreshing = false;
            fx.push(Effect::Refreshing(false));
        }
        let fetch = self.start_fetch(false, now, &mut fx);
        self.state = AuthState::Initial {
            fetch,
            force: false,
        };
        fx
    }

    /// `clear_auth`: back to anonymous; refreshes stop.
    pub(crate) fn clear(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.reported == Some(true) {
            fx.push(Effect::Report(false));
        }
        if self.refreshing {
            fx.push(Effect::Refreshing(false));
        }
        self.state = AuthState::Anonymous;
        self.reported = None;
        self.refreshing = false;
        self.transient_failures = 0;
        fx
    }

    /// The auth source's identity changed (an organization switch, another user, another
    /// session): fetch its token now and present it as soon as it arrives. The current token
    /// stays presented meanwhile and what was reported stands, so `is_authenticated` does not
    /// flicker. A fetch already in flight is superseded: it may answer with the old identity.
    pub(crate) fn source_changed(&mut self, now: Instant) -> Vec<Effect> {
        let mut fx = Vec::new();
        let state = std::mem::replace(&mut self.state, AuthState::Anonymous);
        self.state = match state {
            s @ (AuthState::Pending | AuthState::Anonymous) => s,
            AuthState::Initial { force, .. } => AuthState::Initial {
                fetch: self.start_fetch(force, now, &mut fx),
                force,
            },
            AuthState::Confirming { token, .. } => AuthState::Refetching {
                token,
                fetch: self.start_fetch(false, now, &mut fx),
                confirmed: false,
            },
            AuthState::Confirmed { token, .. } => AuthState::Refetching {
                token,
                fetch: self.start_fetch(false, now, &mut fx),
                confirmed: true,
            },
            AuthState::Refetching {
                token, confirmed, ..
            } => AuthState::Refetching {
                token,
                fetch: self.start_fetch(false, now, &mut fx),
                confirmed,
            },
            AuthState::Reauthenticating {
                rejected, attempts, ..
            } => AuthState::Reauthenticating {
                rejected,
                fetch: self.start_fetch(true, now, &mut fx),
                attempts,
            },
        };
        fx
    }

    /// Wall time passed that the monotonic clock did not see (a sleep that paused it): the
    /// scheduled refetch comes that much earlier, but never sooner than a second after the
    /// last fetch started.
    pub(crate) fn unseen(&mut self, unseen: Duration) {
        let floor = self.last_fetch.map(|t| t.saturating_add(MIN_REFRESH_DELAY));
        if let AuthState::Confirmed {
            refresh_at: Some(at),
            ..
        } = &mut self.state
        {
            let earlier = at.saturating_sub(unseen);
            *at = floor.map_or(earlier, |f| earlier.max(f).min(*at));
        }
    }

    /// The app's fetcher answered fetch `id`. `wall` reads a held token's `exp`.
    pub(crate) fn on_fetched(
        &mut self,
        id: FetchId,
        outcome: TokenFetch,
        now: Instant,
        wall: &WallClock,
    ) -> Vec<Effect> {
        let current = match &self.state {
            AuthState::Initial { fetch, .. }
            | AuthState::Refetching { fetch, .. }
            | AuthState::Reauthenticating { fetch, .. } => {
                matches!(fetch, Fetch::InFlight { id: f, .. } if *f == id)
            }
            _ => false,
        };
        if !current {
            return Vec::new(); // superseded: clear_auth, set_auth, a deadline or a newer fetch
        }
        if outcome != TokenFetch::Transient {
            self.transient_failures = 0;
        }
        let mut fx = Vec::new();
        let state = std::mem::replace(&mut self.state, AuthState::Anonymous);
        self.state = match (state, outcome) {
            (AuthState::Initial { force, .. }, TokenFetch::Transient) => AuthState::Initial {
                fetch: self.backoff(now),
                force,
            },
            (AuthState::Initial { force: false, .. }, TokenFetch::SignedOut) => {
                AuthState::Initial {
                    fetch: self.start_fetch(true, now, &mut fx),
                    force: true,
                }
            }
            (AuthState::Initial { force, .. }, TokenFetch::Token(token)) => AuthState::Confirming {
                token,
                cached: !force,
                attempts: 0,
            },
            (AuthState::Initial { force: true, .. }, TokenFetch::SignedOut) => {
                self.report(false, &mut fx);
                AuthState::Anonymous
            }
            (
                AuthState::Refetching {
                    token,
                    confirmed: true,
                    ..
                },
                TokenFetch::Token(new),
            ) if new == token => self.held(token, now, wall),
            (
                AuthState::Refetching {
                    token,
                    confirmed: false,
                    ..
                },
                TokenFetch::Token(new),
            ) if new == token => AuthState::Confirming {
                // Still presented, still unconfirmed: wait for the server.
                token,
                cached: false,
                attempts: 0,
            },
            (AuthState::Refetching { .. }, TokenFetch::Token(token)) => AuthState::Confirming {
                token,
                cached: false,
                attempts: 0,
            },
            (
                AuthState::Refetching {
                    token, confirmed, ..
                },
                TokenFetch::Transient,
            ) => AuthState::Refetching {
                token,
                fetch: self.backoff(now),
                confirmed,
            },
            (
                AuthState::Reauthenticating {
                    rejected, attempts, ..
                },
                TokenFetch::Transient,
            ) => AuthState::Reauthenticating {
                rejected,
                fetch: self.backoff(now),
                attempts,
            },
            (AuthState::Reauthenticating { rejected, .. }, TokenFetch::Token(token))
                if token == rejected =>
            {
                self.give_up(
                    "the auth provider returned the same rejected token".into(),
                    &mut fx,
                )
            }
            (AuthState::Reauthenticating { attempts, .. }, TokenFetch::Token(token)) => {
                AuthState::Confirming {
                    token,
                    cached: false,
                    attempts,
                }
            }
            (
                AuthState::Refetching { .. } | AuthState::Reauthenticating { .. },
                TokenFetch::SignedOut,
            ) => self.give_up("the auth provider has no session".into(), &mut fx),
            (other, _) => other,
        };
        fx
    }

    /// The server's Transition covered the presented token.
    pub(crate) fn on_confirmed(&mut self, now: Instant) -> Vec<Effect> {
        let mut fx = Vec::new();
        let state = std::mem::replace(&mut self.state, AuthState::Anonymous);
        self.state = match state {
            AuthState::Confirming {
                token,
                cached: true,
                ..
            } => {
                self.report(true, &mut fx);
                AuthState::Refetching {
                    token,
                    fetch: self.start_fetch(true, now, &mut fx),
                    confirmed: true,
                }
            }
            AuthState::Refetching {
                token,
                fetch,
                confirmed: false,
            } => {
                // Confirmed while a new identity's token is being fetched.
                if self.refreshing {
                    self.refreshing = false;
                    fx.push(Effect::Refreshing(false));
                }
                self.report(true, &mut fx);
                AuthState::Refetching {
                    token,
                    fetch,
                    confirmed: true,
                }
            }
            AuthState::Confirming {
                token,
                cached: false,
                ..
            } => {
                if self.refreshing {
                    self.refreshing = false;
                    fx.push(Effect::Refreshing(false));
                }
                self.report(true, &mut fx);
                let refresh_at = self.fresh_refresh_at(&token, now, &mut fx);
                AuthState::Confirmed { token, refresh_at }
            }
            other => other,
        };
        fx
    }

    /// The server rejected the presented token (the caller has already dropped errors about
    /// older auth attempts).
    pub(crate) fn on_rejected(&mut self, error: String, now: Instant) -> Vec<Effect> {
        let mut fx = vec![Effect::Rejected(error.clone())];
        let state = std::mem::replace(&mut self.state, AuthState::Anonymous);
        self.state = match state {
            // Nothing of ours is on the server: the error is about a token from before set_auth.
            s @ (AuthState::Initial { .. } | AuthState::Pending) => s,
            s @ AuthState::Reauthenticating { .. } => s,
            AuthState::Anonymous => self.give_up(error, &mut fx),
            AuthState::Confirming {
                cached: false,
                attempts,
                ..
            } if attempts >= MAX_CONFIRMATION_ATTEMPTS => self.give_up(error, &mut fx),
            AuthState::Confirming {
                token,
                cached,
                attempts,
            } => {
                let attempts = if cached { attempts } else { attempts + 1 };
                self.start_reauth(token, attempts, now, &mut fx)
            }
            AuthState::Confirmed { token, .. } | AuthState::Refetching { token, .. } => {
                self.start_reauth(token, 0, now, &mut fx)
            }
        };
        fx
    }

    /// Timers: a scheduled refresh, a backoff that ended, a fetch past its deadline.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<Effect> {
        let mut fx = Vec::new();
        let due = self.next_timeout().is_some_and(|t| t <= now);
        if !due {
            return fx;
        }
        let state = std::mem::replace(&mut self.state, AuthState::Anonymous);
        self.state = match state {
            AuthState::Confirmed { token, .. } => AuthState::Refetching {
                token,
                fetch: self.start_fetch(true, now, &mut fx),
                confirmed: true,
            },
            AuthState::Initial { fetch, force } => AuthState::Initial {
                fetch: self.retry(fetch, force, now, &mut fx),
                force,
            },
            AuthState::Refetching {
                token,
                fetch,
                confirmed,
            } => AuthState::Refetching {
                token,
                fetch: self.retry(fetch, true, now, &mut fx),
                confirmed,
            },
            AuthState::Reauthenticating {
                rejected,
                fetch,
                attempts,
            } => AuthState::Reauthenticating {
                rejected,
                fetch: self.retry(fetch, true, now, &mut fx),
                attempts,
            },
            other => other,
        };
        fx
    }

    // ----- helpers -----

    fn start_fetch(&mut self, force_refresh: bool, now: Instant, fx: &mut Vec<Effect>) -> Fetch {
        self.last_fetch = Some(now);
        self.next_fetch += 1;
        let id = FetchId(self.next_fetch);
        fx.push(Effect::Fetch { id, force_refresh });
        Fetch::InFlight {
            id,
            deadline: now.saturating_add(self.fetch_timeout),
        }
    }

    /// A due fetch timer: a backoff ended (fetch again) or a fetch hung (back off).
    fn retry(&mut self, fetch: Fetch, force: bool, now: Instant, fx: &mut Vec<Effect>) -> Fetch {
        match fetch {
            Fetch::Backoff { .. } => self.start_fetch(force, now, fx),
            Fetch::InFlight { .. } => self.backoff(now),
        }
    }

    /// Backoff after a transient failure: 1 s doubling to 30 s.
    fn backoff(&mut self, now: Instant) -> Fetch {
        let d = exponential_backoff(
            self.transient_failures,
            Duration::from_secs(1),
            Duration::from_secs(30),
        );
        self.transient_failures = self.transient_failures.saturating_add(1);
        Fetch::Backoff {
            at: now.saturating_add(d),
        }
    }

    fn start_reauth(
        &mut self,
        rejected: String,
        attempts: u32,
        now: Instant,
        fx: &mut Vec<Effect>,
    ) -> AuthState {
        if !self.refreshing {
            self.refreshing = true;
            fx.push(Effect::Refreshing(true));
        }
        AuthState::Reauthenticating {
            rejected,
            fetch: self.start_fetch(true, now, fx),
            attempts,
        }
    }

    /// When to refetch a freshly fetched, confirmed token: its full lifetime (`exp - iat`,
    /// counted from now, as the official client does, so a skewed device clock does not
    /// matter) minus the leeway, and never sooner than [`MIN_REFRESH_DELAY`] (a lifetime at or
    /// under the leeway is warned about once). `None` when the token has no usable `iat`/`exp`.
    fn fresh_refresh_at(
        &mut self,
        token: &str,
        now: Instant,
        fx: &mut Vec<Effect>,
    ) -> Option<Instant> {
        let c = decode_claims(token)?;
        let (iat, exp) = (c.iat?, c.exp?);
        if iat <= 0.0 || exp <= iat {
            return None;
        }
        let lifetime = exp - iat;
        if lifetime <= self.leeway.as_secs_f64() && !self.warned_short_lifetime {
            self.warned_short_lifetime = true;
            fx.push(Effect::Warning(format!(
                "the auth token lives {} s, at or under the refresh leeway ({} s): it is \
                 refetched at most once a second",
                crate::time::tenths(lifetime),
                self.leeway.as_secs()
            )));
        }
        let delay = (lifetime - self.leeway.as_secs_f64()).max(MIN_REFRESH_DELAY.as_secs_f64());
        Some(after_secs(now, delay))
    }

    /// The same token came back from a refetch: re-arm from its `exp`, or retry later if it
    /// is already inside the leeway.
    fn held(&mut self, token: String, now: Instant, wall: &WallClock) -> AuthState {
        match held_refresh_at(&token, wall.unix_ms(now), now, self.leeway) {
            Some(at) => AuthState::Confirmed {
                token,
                refresh_at: Some(at),
            },
            None => AuthState::Refetching {
                token,
                fetch: self.backoff(now),
                confirmed: true,
            },
        }
    }

    fn give_up(&mut self, why: String, fx: &mut Vec<Effect>) -> AuthState {
        fx.push(Effect::GaveUp(why));
        if self.refreshing {
            self.refreshing = false;
            fx.push(Effect::Refreshing(false));
        }
        self.report(false, fx);
        AuthState::Anonymous
    }

    fn report(&mut self, is_authenticated: bool, fx: &mut Vec<Effect>) {
        if self.reported != Some(is_authenticated) {
            self.reported = Some(is_authenticated);
            fx.push(Effect::Report(is_authenticated));
        }
    }
}

/// `now + secs`, for any `secs` a token may claim (negative, huge, NaN), capped at the
/// longest refresh delay: never panics.
fn after_secs(now: Instant, secs: f64) -> Instant {
    let capped = if secs.is_nan() || secs <= 0.0 {
        Duration::ZERO
    } else if secs >= MAX_REFRESH_DELAY.as_secs_f64() {
        MAX_REFRESH_DELAY
    } else {
        // Whole milliseconds (the clock's unit); `as` saturates, so no panic path is built in.
        Duration::from_millis((secs * 1000.0) as u64)
    };
    now.saturating_add(capped)
}

/// When to refetch a token already held for a while: from its `exp` against the wall clock
/// (`unix_ms`), on the monotonic clock from `now`, never sooner than [`MIN_REFRESH_DELAY`].
pub(crate) fn held_refresh_at(
    token: &str,
    unix_ms: u64,
    now: Instant,
    leeway: Duration,
) -> Option<Instant> {
    let exp = decode_claims(token)?.exp?;
    let remaining = exp - unix_ms as f64 / 1000.0 - leeway.as_secs_f64();
    if remaining.is_nan() || remaining <= 0.0 {
        return None;
    }
    Some(after_secs(
        now,
        remaining.max(MIN_REFRESH_DELAY.as_secs_f64()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_timing_claims_never_panic() {
        let now = Instant::from_millis(1_000);
        for secs in [f64::NAN, f64::INFINITY, -1.0, 1e300, f64::MAX, 0.5] {
            let at = after_secs(now, secs);
            assert!(at >= now && at <= now.saturating_add(MAX_REFRESH_DELAY));
        }
    }

    #[test]
    fn a_token_fetch_debug_never_shows_the_token() {
        let s = format!("{:?}", TokenFetch::Token("eyJ.secret.sig".into()));
        assert!(!s.contains("secret"), "{s}");
    }
}
