//! Where the session is, with the data and timers each phase needs: a restore's retry lives
//! in `Restoring`, the automatic refresh and its retry in `SignedIn`, so a transition cannot
//! leave a timer of another phase behind. The next wake-up is derived from the phase.

use std::time::Duration;

use super::io::{OpId, Secret};
use crate::authkit::claims::{Claims, ClaimsError, SessionTiming};
use crate::authkit::session::AuthResponse;
use crate::time::Instant;

/// The shortest time between two refreshes a tab starts on its own (automatic refreshes,
/// and tokens handed out without a refresh right after one), whatever the token's lifetime.
pub(super) const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// Where the session is.
#[derive(Debug)]
pub(super) enum Phase {
    /// Before [`AuthKitSession::start`](super::AuthKitSession::start).
    Starting,
    /// A stored session is being restored (loading); a transient failure retries at
    /// `retry_at`. `failures`: transient failures in a row.
    Restoring {
        retry_at: Option<Instant>,
        failures: u32,
    },
    /// The callback page's code is being exchanged (loading). `fallback_restore`: the page
    /// load also found a stored session, restored if the exchange fails transiently.
    ExchangingCode { fallback_restore: bool },
    /// No session.
    SignedOut,
    /// Signed in. `failures`: automatic refreshes that failed transiently in a row.
    SignedIn {
        live: Box<Live>,
        refresh: Refresh,
        failures: u32,
    },
    /// Disposed: nothing runs again.
    Disposed,
}

/// What the automatic refresh of a signed-in session waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refresh {
    /// Due at this instant.
    At(Instant),
    /// The last automatic refresh failed transiently: it is tried again at this instant
    /// (the retry is the refresh).
    RetryAt(Instant),
    /// Due now: the driver was asked whether it may run (the tab may be hidden, or the
    /// app's hook may decline), with this id.
    Asking(OpId),
    /// Not armed: a call is in flight (armed again after it), or the refresh was declined
    /// (armed again on wake-up).
    Unarmed,
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub(super) struct Live {
    pub(super) response: AuthResponse,
    pub(super) claims: Claims,
    /// When the access token expires, on the monotonic clock: its arrival plus its lifetime
    /// (`exp - iat`), earlier by any time the monotonic clock did not see since.
    pub(super) expires_at: Instant,
    /// When the access token arrived.
    pub(super) received_at: Instant,
}

impl Phase {
    /// A session that just signed in (or refreshed). What the automatic refresh waited for
    /// carries over from the session it replaces, except a retry: the refresh succeeded.
    pub(super) fn signed_in(live: Live, previous: &Phase) -> Phase {
        let refresh = match previous {
            Phase::SignedIn {
                refresh: Refresh::At(at),
                ..
            } => Refresh::At(*at),
            _ => Refresh::Unarmed,
        };
        Phase::SignedIn {
            live: Box::new(live),
            refresh,
            failures: 0,
        }
    }

    /// True until the session is restored, the code exchanged, or known absent.
    pub(super) fn is_loading(&self) -> bool {
        matches!(
            self,
            Phase::Starting | Phase::Restoring { .. } | Phase::ExchangingCode { .. }
        )
    }

    pub(super) fn live(&self) -> Option<&Live> {
        match self {
            Phase::SignedIn { live, .. } => Some(live),
            _ => None,
        }
    }

    /// When the phase needs the clock: a retry, or the automatic refresh.
    pub(super) fn next_timeout(&self) -> Option<Instant> {
        match self {
            Phase::Restoring { retry_at, .. } => *retry_at,
            Phase::SignedIn {
                refresh: Refresh::At(at) | Refresh::RetryAt(at),
                ..
            } => Some(*at),
            _ => None,
        }
    }

    /// The retry waiting in this phase, if any.
    pub(super) fn retry_at(&self) -> Option<Instant> {
        match self {
            Phase::Restoring { retry_at, .. } => *retry_at,
            Phase::SignedIn {
                refresh: Refresh::RetryAt(at),
                ..
            } => Some(*at),
            _ => None,
        }
    }

    /// Moves a waiting retry to `at`.
    pub(super) fn move_retry(&mut self, at: Instant) {
        match self {
            Phase::Restoring {
                retry_at: Some(t), ..
            }
            | Phase::SignedIn {
                refresh: Refresh::RetryAt(t),
                ..
            } => *t = at,
            _ => {}
        }
    }

    /// Drops a waiting retry: a call is starting that does its work.
    pub(super) fn cancel_retry(&mut self) {
        match self {
            Phase::Restoring { retry_at, .. } => *retry_at = None,
            Phase::SignedIn { refresh, .. } if matches!(refresh, Refresh::RetryAt(_)) => {
                *refresh = Refresh::Unarmed
            }
            _ => {}
        }
    }

    /// A transient failure of a restore or an automatic refresh: try again after `delay`,
    /// computed from the failures so far (which count one more).
    pub(super) fn schedule_retry(&mut self, now: Instant, delay: impl FnOnce(u32) -> Duration) {
        match self {
            Phase::Restoring { retry_at, failures } => {
                *retry_at = Some(now.saturating_add(delay(*failures)));
                *failures = failures.saturating_add(1);
            }
            Phase::SignedIn {
                refresh, failures, ..
            } => {
                *refresh = Refresh::RetryAt(now.saturating_add(delay(*failures)));
                *failures = failures.saturating_add(1);
            }
            _ => {}
        }
    }

    /// The automatic refresh's state, when signed in.
    pub(super) fn refresh(&self) -> Option<Refresh> {
        match self {
            Phase::SignedIn { refresh, .. } => Some(*refresh),
            _ => None,
        }
    }

    /// Sets the automatic refresh's state, when signed in.
    pub(super) fn set_refresh(&mut self, to: Refresh) {
        if let Phase::SignedIn { refresh, .. } = self {
            *refresh = to;
        }
    }
}

/// An access token read for a session.
#[derive(Debug)]
pub(super) struct TokenRead {
    pub(super) claims: Claims,
    pub(super) timing: SessionTiming,
    /// Claims dropped for their type.
    pub(super) dropped: Vec<&'static str>,
}

impl TokenRead {
    pub(super) fn of(token: &str) -> Result<TokenRead, ClaimsError> {
        let (claims, dropped) = Claims::decode_reporting(token)?;
        let timing = claims.session_timing()?;
        Ok(TokenRead {
            claims,
            timing,
            dropped,
        })
    }
}

/// Where a new refresh token came from, which decides how it is stored.
pub(super) enum Issued {
    /// A new sign-in (the code exchange): written as is.
    SignIn,
    /// A refresh that presented this stored refresh token (`None`: none was stored, or
    /// cookie mode): the rotated one is written only over it.
    Rotation { presented: Option<Secret> },
}

/// Why a session ends, which decides what is removed from storage.
pub(super) enum Ending {
    /// The user signed out: everything goes.
    SignedOut,
    /// AuthKit refused this presented refresh token (`None`: none was presented): only that
    /// one is removed, never one another tab stored since.
    Refused { presented: Option<Secret> },
}
