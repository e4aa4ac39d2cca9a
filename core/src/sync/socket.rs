//! The socket's lifecycle: which socket is current, whether its handshake went out, when to
//! reconnect, and the counters the `Connect` message reports.

use std::time::Duration;

use super::backoff::{self, CloseCause};
use super::types::SocketId;
use crate::time::{Instant, Rng};

/// Whether `Connect` went out on an open socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handshake {
    /// Held back: auth has no token yet.
    Held,
    /// Sent; frames may follow.
    Sent,
}

/// Where the socket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SocketState {
    /// Closed; reconnect at `retry_at`.
    Backoff { retry_at: Instant },
    /// Closed by auth (the server rejected the token); reopened when auth allows.
    Stopped,
    /// Asked for at `since`.
    Connecting { id: SocketId, since: Instant },
    /// Open.
    Open { id: SocketId, handshake: Handshake },
    /// The client was closed for good.
    Terminated,
}

/// The socket and the counters that span sockets.
#[derive(Debug)]
pub(crate) struct Socket {
    pub(crate) state: SocketState,
    next_id: u64,
    pub(crate) connection_count: u32,
    pub(crate) has_ever_connected: bool,
    pub(crate) last_close_reason: Option<String>,
    /// Reconnect attempts since the connection last caught up.
    pub(crate) retries: u32,
    pub(crate) last_server_activity: Instant,
    rng: Rng,
}

impl Socket {
    pub(crate) fn new(seed: u64, now: Instant) -> Socket {
        Socket {
            state: SocketState::Stopped,
            next_id: 0,
            connection_count: 0,
            has_ever_connected: false,
            last_close_reason: Some("InitialConnect".into()),
            retries: 0,
            last_server_activity: now,
            rng: Rng::new(seed),
        }
    }

    /// The socket that is connecting or open.
    pub(crate) fn current(&self) -> Option<SocketId> {
        match self.state {
            SocketState::Connecting { id, .. } | SocketState::Open { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The open socket whose handshake went out: frames may be sent on it.
    pub(crate) fn ready(&self) -> Option<SocketId> {
        match self.state {
            SocketState::Open {
                id,
                handshake: Handshake::Sent,
            } => Some(id),
            _ => None,
        }
    }

    /// Starts a new socket (unless terminated); returns its id.
    pub(crate) fn connect(&mut self, now: Instant) -> Option<SocketId> {
        if self.state == SocketState::Terminated {
            return None;
        }
        self.next_id += 1;
        let id = SocketId(self.next_id);
        self.state = SocketState::Connecting { id, since: now };
        Some(id)
    }

    /// Forgets the current socket and waits out a backoff (or stays stopped); returns the
    /// socket to close, if any.
    pub(crate) fn drop_current(&mut self, cause: CloseCause, now: Instant, stop: bool) {
        if self.state == SocketState::Terminated {
            return;
        }
        self.state = if stop {
            SocketState::Stopped
        } else {
            let delay = backoff::delay(&cause, self.retries, &mut self.rng);
            self.retries = self.retries.saturating_add(1);
            SocketState::Backoff {
                retry_at: now.saturating_add(delay),
            }
        };
    }

    /// `id` opened; returns false for a socket that is not current.
    pub(crate) fn opened(&mut self, id: SocketId, now: Instant) -> bool {
        match self.state {
            SocketState::Connecting { id: current, .. } if current == id => {
                self.state = SocketState::Open {
                    id,
                    handshake: Handshake::Held,
                };
                self.has_ever_connected = true;
                self.last_server_activity = now;
                true
            }
            _ => false,
        }
    }

    /// The handshake went out on the open socket.
    pub(crate) fn handshake_sent(&mut self) {
        if let SocketState::Open { id, .. } = self.state {
            self.state = SocketState::Open {
                id,
                handshake: Handshake::Sent,
            };
            self.connection_count = self.connection_count.saturating_add(1);
        }
    }

    /// When the socket needs a timer: reconnect, connect timeout, server silence.
    pub(crate) fn next_timeout(
        &self,
        connect_timeout: Duration,
        silence: Duration,
    ) -> Option<Instant> {
        match self.state {
            SocketState::Backoff { retry_at } => Some(retry_at),
            SocketState::Connecting { since, .. } => Some(since.saturating_add(connect_timeout)),
            SocketState::Open { .. } => Some(self.last_server_activity.saturating_add(silence)),
            SocketState::Stopped | SocketState::Terminated => None,
        }
    }
}
