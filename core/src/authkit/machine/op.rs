//! The one AuthKit call in flight: what it is for, which step it is at, and who waits for it.

use super::io::{OpId, Secret, SessionEvent, TokenString, WaiterId};
use crate::authkit::errors::AuthKitError;
use crate::time::Instant;

/// What a call to `/user_management/authenticate` is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpKind {
    /// The refresh that restores a stored session at page load.
    Restore,
    /// A refresh of a live session (on demand or on the timer).
    Refresh,
    /// A refresh into another organization.
    Switch { organization: String },
    /// The sign-in callback's code exchange, with the app's state.
    CodeExchange {
        state: Option<crate::authkit::urls::SignInState>,
    },
}

/// Where the call is. Each step names the id whose answer it waits for, so an answer to
/// anything else (a superseded, abandoned or foreign request) is ignored by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Waiting for the cross-tab lock.
    Locking { lock: OpId, deadline: Instant },
    /// Holding the lock, reading the refresh token another tab may have rotated.
    Reading { lock: OpId, read: OpId },
    /// The request is out (holding `lock`, if the call needs one).
    Requesting {
        lock: Option<OpId>,
        request: OpId,
        deadline: Instant,
        /// The stored refresh token this request presents (dev mode): the rotated one
        /// replaces it only if storage still holds it.
        presented: Option<Secret>,
    },
}

impl Step {
    /// The lock this step holds or waits for.
    pub(crate) fn lock(&self) -> Option<OpId> {
        match self {
            Step::Locking { lock, .. } | Step::Reading { lock, .. } => Some(*lock),
            Step::Requesting { lock, .. } => *lock,
        }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Step::Locking { deadline, .. } | Step::Requesting { deadline, .. } => Some(*deadline),
            Step::Reading { .. } => None,
        }
    }

    /// The stored refresh token the request in flight presents (dev mode).
    pub(crate) fn presented(&self) -> Option<Secret> {
        match self {
            Step::Requesting { presented, .. } => presented.clone(),
            _ => None,
        }
    }
}

/// A `get_access_token` caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenWaiter {
    pub(crate) id: WaiterId,
    pub(crate) force: bool,
    /// Already retried once after a lock timeout.
    pub(crate) retried: bool,
}

/// Who waits for a call: `get_access_token` and `switch_to_organization` callers.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    pub(crate) tokens: Vec<TokenWaiter>,
    pub(crate) switches: Vec<WaiterId>,
}

impl Waiters {
    pub(crate) fn tokens(tokens: Vec<TokenWaiter>) -> Waiters {
        Waiters {
            tokens,
            switches: Vec::new(),
        }
    }

    pub(crate) fn switches(switches: Vec<WaiterId>) -> Waiters {
        Waiters {
            tokens: Vec::new(),
            switches,
        }
    }

    /// Answers every caller with `why`.
    pub(crate) fn fail(self, why: &AuthKitError) -> impl Iterator<Item = SessionEvent> + '_ {
        let tokens = self.tokens.into_iter().map(|w| SessionEvent::Token {
            waiter: w.id,
            result: Err(why.clone()),
        });
        tokens.chain(fail_switches(self.switches, why))
    }

    /// Answers every caller: the token, and the switch done.
    pub(crate) fn succeed(self, token: &str) -> impl Iterator<Item = SessionEvent> + '_ {
        let tokens = self.tokens.into_iter().map(move |w| SessionEvent::Token {
            waiter: w.id,
            result: Ok(TokenString(token.to_owned())),
        });
        let switches = self
            .switches
            .into_iter()
            .map(|waiter| SessionEvent::OrganizationSwitched {
                waiter,
                result: Ok(()),
            });
        tokens.chain(switches)
    }
}

/// Answers switch callers with `why`.
pub(crate) fn fail_switches(
    switches: Vec<WaiterId>,
    why: &AuthKitError,
) -> impl Iterator<Item = SessionEvent> + '_ {
    switches
        .into_iter()
        .map(|waiter| SessionEvent::OrganizationSwitched {
            waiter,
            result: Err(why.clone()),
        })
}

/// The call in flight.
#[derive(Debug)]
pub(crate) struct Op {
    pub(crate) kind: OpKind,
    pub(crate) step: Step,
    pub(crate) waiters: Waiters,
}

/// An organization switch asked for while another call was in flight: it runs next.
#[derive(Debug)]
pub(crate) struct QueuedSwitch {
    pub(crate) organization: String,
    pub(crate) waiters: Vec<WaiterId>,
}
