//! The socket's lifecycle: which socket is current, whether its handshake went out, what the
//! server was told on it, when to reconnect, and the counters the `Connect` message reports.
//!
//! ```text
//! Stopped          ── connect, restart_now ─────────▶ Connecting
//! Backoff          ── retry_at reached, connect_early ▶ Connecting
//! Backoff          ── stop (auth) ──────────────────▶ Stopped
//! Connecting       ── opened ───────────────────────▶ Open { Held }
//! Open { Held }    ── send_handshake ───────────────▶ Open { Sent }
//! Connecting, Open ── drop_current ─────────────────▶ Backoff { retry_at }, or Stopped when
//!                                                      auth stops the socket
//! any              ── terminate ────────────────────▶ Terminated (nothing reopens)
//! ```
//!
//! A socket starts `Stopped` and the client connects it at once; the official client draws
//! the same states (`web_socket_manager.ts`), with `Held` for a handshake waiting for auth.

use std::time::Duration;

use super::backoff::{self, CloseCause};
use super::io::SocketId;
use super::query_set::QueryId;
use crate::sorted_map::SortedMap;
use crate::time::{Instant, Rng};

/// Whether `Connect` went out on an open socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handshake {
    /// Held back: auth has no token yet.
    Held,
    /// Sent; frames may follow.
    Sent,
}

/// The identity last presented on a socket.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Presented {
    /// Present again, even the same token: after `set_auth` the server must confirm (or
    /// drop) the identity it holds, so the new source's first token is not left waiting for
    /// a confirmation that never comes.
    Unknown,
    /// Anonymous: the server's default on a new socket.
    Anonymous,
    /// This token.
    User(String),
}

/// Never shows the token.
impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Presented::Unknown => "Unknown",
            Presented::Anonymous => "Anonymous",
            Presented::User(_) => "User(..)",
        })
    }
}

impl Presented {
    fn is(&self, token: Option<&str>) -> bool {
        match (self, token) {
            (Presented::Anonymous, None) => true,
            (Presented::User(t), Some(u)) => t == u,
            _ => false,
        }
    }
}

/// What the server has been told on the current socket.
#[derive(Debug)]
pub(crate) struct Sent {
    query_set_version: u32,
    queries: SortedMap<QueryId, ()>,
    identity_version: u32,
    token: Presented,
    /// The query-set version the socket's first ModifyQuerySet moved to (the first one goes
    /// out even when empty, as the official client does); `None` before it. A Transition
    /// reaching it (and the identity presented) has caught up.
    catch_up_version: Option<u32>,
}

impl Sent {
    fn new() -> Sent {
        Sent {
            query_set_version: 0,
            queries: SortedMap::new(),
            identity_version: 0,
            token: Presented::Anonymous,
            catch_up_version: None,
        }
    }

    /// The identity the next `Authenticate` must present, if the server does not hold it
    /// yet: `(base_version, token)`. The socket then counts it as presented.
    pub(crate) fn authenticate(&mut self, token: Option<&str>) -> Option<(u32, Option<String>)> {
        if self.token.is(token) {
            return None;
        }
        let base = self.identity_version;
        self.identity_version += 1;
        self.token = token.map_or(Presented::Anonymous, |t| Presented::User(t.to_owned()));
        Some((base, token.map(str::to_owned)))
    }

    /// Forgets which identity was presented: the next flush presents it again.
    pub(crate) fn present_again(&mut self) {
        if self.token != Presented::Anonymous {
            self.token = Presented::Unknown;
        }
    }

    /// The set the server must move to: `(base_version, added, removed)`, or `None` when it
    /// already has `wanted` (after the socket's first ModifyQuerySet). The socket then counts
    /// `wanted` as told.
    pub(crate) fn modify_query_set(
        &mut self,
        wanted: SortedMap<QueryId, ()>,
    ) -> Option<(u32, Vec<QueryId>, Vec<QueryId>)> {
        let added: Vec<QueryId> = wanted
            .keys()
            .filter(|q| !self.queries.contains_key(*q))
            .copied()
            .collect();
        let removed: Vec<QueryId> = self
            .queries
            .keys()
            .filter(|q| !wanted.contains_key(*q))
            .copied()
            .collect();
        if added.is_empty() && removed.is_empty() && self.catch_up_version.is_some() {
            return None;
        }
        let base = self.query_set_version;
        self.query_set_version = base + 1;
        self.catch_up_version.get_or_insert(base + 1);
        self.queries = wanted;
        Some((base, added, removed))
    }

    /// An auth error about `base_version` is about an older attempt than the latest one.
    pub(crate) fn is_stale_auth_error(&self, base_version: u32) -> bool {
        base_version.saturating_add(1) < self.identity_version
    }

    /// Whether a Transition ending at these versions confirms the latest identity.
    pub(crate) fn confirms_identity(&self, start_identity: u32, end_identity: u32) -> bool {
        end_identity > start_identity && end_identity >= self.identity_version
    }

    /// Whether a Transition ending at these versions shows the server has everything the
    /// socket told it at open: its query set, and the identity (unless anonymous).
    pub(crate) fn caught_up(&self, query_set: u32, identity: u32) -> bool {
        query_set >= self.catch_up_version.unwrap_or(0)
            && (self.token == Presented::Anonymous || identity >= self.identity_version)
    }

    /// Whether the server was told about this query on this socket.
    pub(crate) fn told(&self) -> &SortedMap<QueryId, ()> {
        &self.queries
    }
}

/// Where the socket is.
#[derive(Debug)]
pub(crate) enum SocketState {
    /// Closed; reconnect at `retry_at`.
    Backoff { retry_at: Instant },
    /// Closed by auth (the server rejected the token); reopened when auth allows.
    Stopped,
    /// Asked for at `since`.
    Connecting { id: SocketId, since: Instant },
    /// Open; `sent` is what the server was told on it.
    Open {
        id: SocketId,
        handshake: Handshake,
        sent: Box<Sent>,
    },
    /// The client was closed for good.
    Terminated,
}

/// A timer of the socket's that is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    /// The backoff ended: connect.
    Reconnect,
    /// The socket has been connecting for too long.
    ConnectTimeout,
    /// The server has been silent for too long.
    InactiveServer,
}

/// The socket and the counters that span sockets.
#[derive(Debug)]
pub(crate) struct Socket {
    state: SocketState,
    next_id: u64,
    connection_count: u32,
    has_ever_connected: bool,
    /// The `lastCloseReason` the next `Connect` reports.
    last_close_reason: Option<String>,
    /// Reconnect attempts since the connection last caught up.
    retries: u32,
    last_server_activity: Instant,
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

    /// The state, for `Debug`.
    pub(crate) fn state(&self) -> &SocketState {
        &self.state
    }

    /// The socket that is connecting or open.
    pub(crate) fn current(&self) -> Option<SocketId> {
        match self.state {
            SocketState::Connecting { id, .. } | SocketState::Open { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The open socket, if `id` is it.
    pub(crate) fn is_open(&self, id: SocketId) -> bool {
        matches!(self.state, SocketState::Open { id: open, .. } if open == id)
    }

    /// The open socket whose handshake went out (frames may be sent on it), with what the
    /// server was told on it.
    pub(crate) fn ready(&mut self) -> Option<(SocketId, &mut Sent)> {
        match &mut self.state {
            SocketState::Open {
                id,
                handshake: Handshake::Sent,
                sent,
            } => Some((*id, sent)),
            _ => None,
        }
    }

    /// Whether frames may be sent.
    pub(crate) fn is_ready(&self) -> bool {
        matches!(
            self.state,
            SocketState::Open {
                handshake: Handshake::Sent,
                ..
            }
        )
    }

    /// What the server was told on the open socket.
    pub(crate) fn sent(&self) -> Option<&Sent> {
        match &self.state {
            SocketState::Open { sent, .. } => Some(sent),
            _ => None,
        }
    }

    /// [`sent`](Self::sent), to change.
    pub(crate) fn sent_mut(&mut self) -> Option<&mut Sent> {
        match &mut self.state {
            SocketState::Open { sent, .. } => Some(sent),
            _ => None,
        }
    }

    /// Whether the open socket holds its handshake.
    pub(crate) fn holds_handshake(&self) -> bool {
        matches!(
            self.state,
            SocketState::Open {
                handshake: Handshake::Held,
                ..
            }
        )
    }

    pub(crate) fn is_stopped(&self) -> bool {
        matches!(self.state, SocketState::Stopped)
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, SocketState::Terminated)
    }

    /// Starts a new socket (unless terminated); returns its id.
    pub(crate) fn connect(&mut self, now: Instant) -> Option<SocketId> {
        if self.is_terminated() {
            return None;
        }
        self.next_id += 1;
        let id = SocketId(self.next_id);
        self.state = SocketState::Connecting { id, since: now };
        Some(id)
    }

    /// Reconnects now, skipping the backoff: after a wake-up. Only a socket in backoff.
    pub(crate) fn connect_early(&mut self, now: Instant) -> Option<SocketId> {
        match self.state {
            SocketState::Backoff { .. } => self.connect(now),
            _ => None,
        }
    }

    /// Reopens a socket auth stopped, at once and with no close reason (the official
    /// `tryRestartSocket`).
    pub(crate) fn restart_now(&mut self, now: Instant) -> Option<SocketId> {
        if !self.is_stopped() {
            return None;
        }
        self.last_close_reason = None;
        self.connect(now)
    }

    /// Auth wants the socket shut while none is current: a backoff becomes a stop.
    pub(crate) fn stop(&mut self) {
        if let SocketState::Backoff { .. } = self.state {
            self.state = SocketState::Stopped;
        }
    }

    /// The client was closed for good.
    pub(crate) fn terminate(&mut self) {
        self.state = SocketState::Terminated;
    }

    /// The server closed the socket with this code and reason: the next `Connect` reports it.
    pub(crate) fn closed_by_server(&mut self, code: u16, reason: &str) {
        if !reason.is_empty() {
            self.last_close_reason = Some(reason.to_owned());
        } else if self.last_close_reason.is_none() {
            self.last_close_reason = Some(format!("closed with code {code}"));
        }
    }

    /// The client closes the socket for `reason`: the next `Connect` reports it.
    pub(crate) fn closing(&mut self, reason: &str) {
        self.last_close_reason = Some(reason.to_owned());
    }

    /// Forgets the current socket and waits out a backoff (or, with `stop`, stays stopped).
    pub(crate) fn drop_current(&mut self, cause: CloseCause, now: Instant, stop: bool) {
        if self.is_terminated() {
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
                    sent: Box::new(Sent::new()),
                };
                self.has_ever_connected = true;
                self.last_server_activity = now;
                true
            }
            _ => false,
        }
    }

    /// The handshake goes out on the open socket: returns the socket and the counters the
    /// `Connect` reports (`connectionCount`, `lastCloseReason`), or `None` when there is no
    /// held handshake.
    pub(crate) fn send_handshake(&mut self) -> Option<(SocketId, u32, Option<String>)> {
        let SocketState::Open {
            id,
            handshake: handshake @ Handshake::Held,
            ..
        } = &mut self.state
        else {
            return None;
        };
        *handshake = Handshake::Sent;
        let count = self.connection_count;
        self.connection_count = self.connection_count.saturating_add(1);
        Some((*id, count, self.last_close_reason.take()))
    }

    /// The server was heard from at `now`.
    pub(crate) fn heard(&mut self, now: Instant) {
        self.last_server_activity = now;
    }

    /// The connection caught up: the retry count starts over. True when it changed.
    pub(crate) fn caught_up(&mut self) -> bool {
        std::mem::take(&mut self.retries) != 0
    }

    /// Successful opens so far.
    pub(crate) fn connection_count(&self) -> u32 {
        self.connection_count
    }

    /// A socket has opened at least once.
    pub(crate) fn has_ever_connected(&self) -> bool {
        self.has_ever_connected
    }

    /// Reconnect attempts since the connection last caught up.
    pub(crate) fn retries(&self) -> u32 {
        self.retries
    }

    /// The timer that is due at `now`, if any.
    pub(crate) fn due(
        &self,
        now: Instant,
        connect_timeout: Duration,
        silence: Duration,
    ) -> Option<Due> {
        let at = self.next_timeout(connect_timeout, silence)?;
        if at > now {
            return None;
        }
        match self.state {
            SocketState::Backoff { .. } => Some(Due::Reconnect),
            SocketState::Connecting { .. } => Some(Due::ConnectTimeout),
            SocketState::Open { .. } => Some(Due::InactiveServer),
            SocketState::Stopped | SocketState::Terminated => None,
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
