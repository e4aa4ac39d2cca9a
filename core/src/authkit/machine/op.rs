//! The one AuthKit call in flight: what it is for, which step it is at, and who waits for it.

use super::io::{OpId, Secret, WaiterId};
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
    CodeExchange { state: Option<serde_json::Value> },
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
}

/// A `get_access_token` caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenWaiter {
    pub(crate) id: WaiterId,
    pub(crate) force: bool,
    /// Already retried once after a lock timeout.
    pub(crate) retried: bool,
}

/// The call in flight.
#[derive(Debug)]
pub(crate) struct Op {
    pub(crate) kind: OpKind,
    pub(crate) step: Step,
    pub(crate) token_waiters: Vec<TokenWaiter>,
    pub(crate) switch_waiters: Vec<WaiterId>,
}

/// An organization switch asked for while another call was in flight: it runs next.
#[derive(Debug)]
pub(crate) struct QueuedSwitch {
    pub(crate) organization: String,
    pub(crate) waiters: Vec<WaiterId>,
}
