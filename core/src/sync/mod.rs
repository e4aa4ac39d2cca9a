//! The Convex client state machine, without I/O.
//!
//! [`SyncClient`] is driven the quinn-proto way:
//! - inputs: [`handle_open`](SyncClient::handle_open), [`handle_message`](SyncClient::handle_message),
//!   [`handle_close`](SyncClient::handle_close), [`handle_timeout`](SyncClient::handle_timeout),
//!   [`handle_wake`](SyncClient::handle_wake), [`token_fetched`](SyncClient::token_fetched), and the
//!   user calls ([`subscribe`](SyncClient::subscribe), [`mutation`](SyncClient::mutation), [`set_auth`](SyncClient::set_auth), ...),
//!   each with `now`;
//! - outputs: [`poll_io`](SyncClient::poll_io) (open / send / close a socket, fetch a token),
//!   [`poll_event`](SyncClient::poll_event) (results changed, requests settled, auth changed) and
//!   [`poll_timeout`](SyncClient::poll_timeout) (when to call `handle_timeout` next).
//!
//! Modules: [`query_set`] (wanted queries), [`requests`] (mutations and actions), [`auth`]
//! (token states), [`backoff`] (reconnect delays), [`chunks`] (TransitionChunk reassembly),
//! [`jwt`] (reading `iat`/`exp`), [`time`] (the caller-supplied clock).
//!
//! ```
//! use convex_yew_core::sync::{ClientConfig, Instant, Io, SyncClient};
//! use convex_yew_core::value::Object;
//!
//! let now = Instant::from_millis(1_700_000_000_000);
//! let mut client = SyncClient::new(ClientConfig::new("0f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c90", 42), now);
//! let query = client.subscribe("messages:list", &Object::new());
//! // The client asks for a socket...
//! let Some(Io::Connect { socket }) = client.poll_io() else { panic!() };
//! // ...and once it is open, sends Connect and the query set.
//! client.handle_open(socket, now);
//! let frames: Vec<_> = std::iter::from_fn(|| client.poll_io()).collect();
//! assert!(matches!(&frames[0], Io::Send { text, .. } if text.contains("\"Connect\"")));
//! assert!(matches!(&frames[1], Io::Send { text, .. } if text.contains("messages:list")));
//! assert!(client.query_result(query).is_none()); // loading until a Transition arrives
//! ```

pub mod auth;
pub mod backoff;
pub mod chunks;
pub mod jwt;
pub mod query_set;
pub mod requests;
pub mod time;

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use crate::protocol::transition::{self, Change, Incoming, Transition};
use crate::protocol::{
    AuthTokenType, ClientMessage, ProtocolError, QuerySetModification, ServerMessage, StateVersion,
    Ts,
};
use crate::value::json::args_to_wire;
use crate::value::{Object, Value, ValueError};

use auth::{Auth, Phase, Retry, MAX_CONFIRMATION_ATTEMPTS};
pub use auth::{FetchId, TokenFetch};
use backoff::CloseCause;
use chunks::{ChunkBuffer, ChunkError};
use query_set::QuerySet;
pub use query_set::{QueryId, QueryResult};
pub use requests::RequestId;
use requests::{RequestKind, Requests, Status};
pub use time::Instant;
use time::Rng;

/// Identifies one socket. Events from a socket the core has already closed are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId(pub u64);

/// Settings of a [`SyncClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The session id sent in every `Connect`: a v4 UUID, the same across reconnects (the
    /// server deduplicates re-sent mutations by it).
    pub session_id: String,
    /// Seed for the backoff jitter.
    pub seed: u64,
    /// How long before a token's expiry it is refreshed (the official default: 10 s).
    pub auth_refresh_leeway: Duration,
    /// A socket that hears nothing from the server for this long is closed and reopened
    /// (the official client: 60 s; the server pings every 15 s).
    pub server_inactivity_timeout: Duration,
    /// A socket still connecting after this long is abandoned and retried.
    pub connect_timeout: Duration,
}

impl ClientConfig {
    /// Defaults with the given session id and jitter seed.
    pub fn new(session_id: impl Into<String>, seed: u64) -> ClientConfig {
        ClientConfig {
            session_id: session_id.into(),
            seed,
            auth_refresh_leeway: Duration::from_secs(10),
            server_inactivity_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(30),
        }
    }
}

/// What the runtime must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Io {
    /// Open a new socket to the sync URL and report it with this id.
    Connect {
        /// The id to report its events with.
        socket: SocketId,
    },
    /// Send one text frame on the socket.
    Send {
        /// The socket.
        socket: SocketId,
        /// The frame.
        text: String,
    },
    /// Close the socket; the core already treats it as gone.
    Close {
        /// The socket.
        socket: SocketId,
        /// Why, for logs.
        reason: String,
    },
    /// Call the app's token fetcher and report with [`SyncClient::token_fetched`].
    FetchToken {
        /// The id to report the outcome with.
        fetch: FetchId,
        /// Ask the auth provider for a new token rather than a cached one.
        force_refresh: bool,
    },
}

/// Why a mutation, action or query failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FunctionError {
    /// The function ran and threw. `data` is set when it threw a `ConvexError`.
    #[error("{message}")]
    Failed {
        /// The server's error message.
        message: String,
        /// The `ConvexError` payload.
        data: Option<Value>,
    },
    /// The connection dropped while an action ran; actions are not retried (not idempotent).
    #[error("Connection lost while action was in flight")]
    ConnectionLost,
    /// The arguments could not be encoded.
    #[error("invalid arguments: {0}")]
    InvalidArgs(ValueError),
    /// The server's result could not be decoded.
    #[error("malformed result from the server: {0}")]
    MalformedResult(ValueError),
    /// The client was closed before the request settled.
    #[error("the client was closed")]
    ClientClosed,
}

/// Something the app may want to react to.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// These queries' results changed; read them with [`SyncClient::query_result`].
    QueriesUpdated(Vec<QueryId>),
    /// A mutation settled. A success is reported once its writes are visible in query results.
    MutationSettled {
        /// Which mutation.
        request: RequestId,
        /// Its result.
        result: Result<Value, FunctionError>,
    },
    /// An action settled.
    ActionSettled {
        /// Which action.
        request: RequestId,
        /// Its result.
        result: Result<Value, FunctionError>,
    },
    /// The server confirmed the token (`true`) or auth ended (`false`).
    AuthChanged {
        /// Whether the server has confirmed the current token.
        is_authenticated: bool,
    },
    /// A rejected token is being replaced (`true`) or the replacement was confirmed (`false`).
    AuthRefreshing(bool),
    /// The server rejected a token; `error` is its message, `token_claims` the token's
    /// iss/aud/exp to make misconfiguration obvious (never the token itself).
    AuthRejected {
        /// The server's message.
        error: String,
        /// `iss`, `aud` and `exp` of the rejected token, decoded without verification.
        token_claims: Option<jwt::TimingClaims>,
    },
    /// The socket opened, closed, or the counts in [`ConnectionState`] changed.
    ConnectionChanged,
    /// A server frame was not understood, or broke the protocol; the socket was reset.
    ProtocolViolation(String),
    /// Log lines a query, mutation or action printed.
    LogLines(Vec<String>),
}

/// A snapshot of the connection, for UIs and tests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectionState {
    /// A socket is open and `Connect` was sent.
    pub is_websocket_connected: bool,
    /// A socket has opened at least once.
    pub has_ever_connected: bool,
    /// Successful opens so far.
    pub connection_count: u32,
    /// Reconnect attempts since the connection last caught up.
    pub connection_retries: u32,
    /// Mutations not yet settled.
    pub inflight_mutations: usize,
    /// Actions not yet settled.
    pub inflight_actions: usize,
    /// Subscribed queries.
    pub subscribed_queries: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SocketState {
    /// No socket; reconnect at `retry_at` (`None`: wait for auth to restart it).
    Disconnected {
        retry_at: Option<Instant>,
    },
    Connecting {
        id: SocketId,
        since: Instant,
    },
    Open {
        id: SocketId,
        connect_sent: bool,
    },
    Terminated,
}

/// What the server has been told on the current socket.
#[derive(Debug, Default)]
struct Sent {
    query_set_version: u32,
    queries: BTreeSet<QueryId>,
    identity_version: u32,
    token: Option<String>,
    modified_query_set: bool,
    /// The query-set version the first ModifyQuerySet moved to; used to reset the retry count.
    catch_up_version: u32,
}

/// The Convex sync client state machine. See the [module docs](self).
#[derive(Debug)]
pub struct SyncClient {
    config: ClientConfig,
    rng: Rng,
    socket: SocketState,
    next_socket: u64,
    connection_count: u32,
    has_ever_connected: bool,
    last_close_reason: Option<String>,
    retries: u32,
    paused: bool,
    /// The latest `now` passed in, for internal steps that need a time.
    now: Instant,
    last_server_activity: Instant,
    max_observed_ts: Option<Ts>,
    queries: QuerySet,
    results: std::collections::BTreeMap<QueryId, QueryResult>,
    remote_version: StateVersion,
    sent: Sent,
    requests: Requests,
    auth: Auth,
    chunks: ChunkBuffer,
    io: VecDeque<Io>,
    events: VecDeque<Event>,
}

impl SyncClient {
    /// A client that immediately asks for a socket (see [`Io::Connect`]).
    pub fn new(config: ClientConfig, now: Instant) -> SyncClient {
        let mut client = SyncClient {
            rng: Rng::new(config.seed),
            config,
            socket: SocketState::Disconnected { retry_at: None },
            next_socket: 0,
            connection_count: 0,
            has_ever_connected: false,
            last_close_reason: Some("InitialConnect".into()),
            retries: 0,
            paused: false,
            now,
            last_server_activity: now,
            max_observed_ts: None,
            queries: QuerySet::default(),
            results: Default::default(),
            remote_version: StateVersion::default(),
            sent: Sent::default(),
            requests: Requests::default(),
            auth: Auth::default(),
            chunks: ChunkBuffer::default(),
            io: VecDeque::new(),
            events: VecDeque::new(),
        };
        client.connect(now);
        client
    }

    // ----- outputs -----

    /// The next thing the runtime must do.
    pub fn poll_io(&mut self) -> Option<Io> {
        self.io.pop_front()
    }

    /// The next event for the app.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let socket = match self.socket {
            SocketState::Disconnected { retry_at } => retry_at,
            SocketState::Connecting { since, .. } => {
                Some(since.saturating_add(self.config.connect_timeout))
            }
            SocketState::Open { .. } => Some(
                self.last_server_activity
                    .saturating_add(self.config.server_inactivity_timeout),
            ),
            SocketState::Terminated => None,
        };
        let auth = match self.auth.phase {
            Phase::Scheduled { at } | Phase::RetryWait { at, .. } => Some(at),
            _ => None,
        };
        [socket, auth].into_iter().flatten().min()
    }

    // ----- queries -----

    /// Subscribes to a query. Identical (path, args) subscriptions share one server query;
    /// call [`unsubscribe`](Self::unsubscribe) once per `subscribe`.
    pub fn subscribe(&mut self, path: &str, args: &Object) -> QueryId {
        let (id, _new) = self.queries.subscribe(path, args);
        self.flush();
        id
    }

    /// Drops one subscriber of a query; the last one removes it from the server's set.
    pub fn unsubscribe(&mut self, id: QueryId) {
        if self.queries.unsubscribe(id) {
            self.results.remove(&id);
            self.flush();
        }
    }

    /// The latest result of a subscribed query; `None` while it loads.
    pub fn query_result(&self, id: QueryId) -> Option<&QueryResult> {
        if self.queries.contains(id) {
            self.results.get(&id)
        } else {
            None
        }
    }

    // ----- mutations and actions -----

    /// Queues a mutation. It settles (see [`Event::MutationSettled`]) once its writes are
    /// visible in query results, or when it fails.
    pub fn mutation(&mut self, path: &str, args: &Object) -> RequestId {
        self.request(RequestKind::Mutation, path, args)
    }

    /// Queues an action.
    pub fn action(&mut self, path: &str, args: &Object) -> RequestId {
        self.request(RequestKind::Action, path, args)
    }

    fn request(&mut self, kind: RequestKind, path: &str, args: &Object) -> RequestId {
        let id = self.requests.add(kind, path.to_owned(), args_to_wire(args));
        if let Err(e) = Value::Object(args.clone()).validate() {
            self.requests.map.remove(&id);
            self.settle(kind, id, Err(FunctionError::InvalidArgs(e)));
            return id;
        }
        self.flush();
        self.events.push_back(Event::ConnectionChanged);
        id
    }

    // ----- auth -----

    /// Starts authenticating: the core asks for a token ([`Io::FetchToken`]) and pauses the
    /// socket until it has one, so no query runs without it.
    pub fn set_auth(&mut self, now: Instant) {
        self.now = now;
        self.auth.phase = Phase::FetchingInitial { force: false };
        self.auth.reported = None;
        self.auth.attempts = 0;
        self.auth.transient_failures = 0;
        self.paused = true;
        self.fetch_token(false);
    }

    /// Ends authentication: sends an anonymous `Authenticate` if a token was in use and
    /// cancels any scheduled refresh (unlike the official client, whose timer keeps running).
    pub fn clear_auth(&mut self, now: Instant) {
        self.now = now;
        let was = self.auth.reported == Some(true);
        self.auth = Auth {
            next_fetch: self.auth.next_fetch,
            ..Auth::default()
        };
        if was {
            self.events.push_back(Event::AuthChanged {
                is_authenticated: false,
            });
        }
        self.paused = false;
        if matches!(self.socket, SocketState::Disconnected { retry_at: None }) {
            self.connect_soon_after_stop();
        }
        self.flush();
    }

    /// Reports the outcome of an [`Io::FetchToken`].
    pub fn token_fetched(&mut self, fetch: FetchId, outcome: TokenFetch, now: Instant) {
        self.now = self.now.max(now);
        if self.auth.in_flight != Some(fetch) {
            return; // stale: a newer set_auth, clear_auth or fetch superseded it
        }
        self.auth.in_flight = None;
        if outcome != TokenFetch::Transient {
            self.auth.transient_failures = 0;
        }
        match (self.auth.phase.clone(), outcome) {
            (Phase::FetchingInitial { force }, TokenFetch::Transient) => {
                self.retry_later(Retry::Initial { force }, now)
            }
            (Phase::FetchingInitial { force: false }, TokenFetch::SignedOut) => {
                self.auth.phase = Phase::FetchingInitial { force: true };
                self.fetch_token(true);
            }
            (Phase::FetchingInitial { force }, TokenFetch::Token(token)) => {
                self.auth.token = Some(token);
                self.auth.phase = if force {
                    Phase::WaitingFresh
                } else {
                    Phase::WaitingCached
                };
                self.resume();
            }
            (Phase::FetchingInitial { force: true }, TokenFetch::SignedOut) => {
                self.auth.phase = Phase::NoAuth;
                self.report_auth(false);
                self.resume();
            }
            (Phase::Refetching, TokenFetch::Token(token)) => {
                if self.auth.token.as_deref() == Some(token.as_str()) {
                    self.schedule_held(now);
                } else {
                    self.auth.token = Some(token);
                    self.auth.phase = Phase::WaitingFresh;
                    self.flush();
                }
            }
            (Phase::Refetching, TokenFetch::SignedOut)
            | (Phase::Reauthenticating, TokenFetch::SignedOut) => {
                self.give_up_auth(None);
            }
            (Phase::Refetching, TokenFetch::Transient) => self.retry_later(Retry::Refetch, now),
            (Phase::Reauthenticating, TokenFetch::Token(token)) => {
                if self.auth.token.as_deref() == Some(token.as_str()) {
                    self.give_up_auth(Some(
                        "the auth provider returned the same rejected token".into(),
                    ));
                } else {
                    self.auth.token = Some(token);
                    self.auth.phase = Phase::WaitingFresh;
                    self.connect_soon_after_stop();
                }
            }
            (Phase::Reauthenticating, TokenFetch::Transient) => {
                self.retry_later(Retry::Reauth, now)
            }
            _ => {}
        }
    }

    fn fetch_token(&mut self, force_refresh: bool) {
        let fetch = self.auth.new_fetch();
        self.io.push_back(Io::FetchToken {
            fetch,
            force_refresh,
        });
    }

    fn retry_later(&mut self, retry: Retry, now: Instant) {
        let delay = self.auth.transient_delay();
        self.auth.phase = Phase::RetryWait {
            at: now.saturating_add(delay),
            retry,
        };
    }

    fn report_auth(&mut self, is_authenticated: bool) {
        if self.auth.reported != Some(is_authenticated) {
            self.auth.reported = Some(is_authenticated);
            self.events
                .push_back(Event::AuthChanged { is_authenticated });
        }
    }

    fn set_refreshing(&mut self, refreshing: bool) {
        if self.auth.refreshing != refreshing {
            self.auth.refreshing = refreshing;
            self.events.push_back(Event::AuthRefreshing(refreshing));
        }
    }

    /// Auth failed for good: back to anonymous, told to the app.
    fn give_up_auth(&mut self, why: Option<String>) {
        if let Some(why) = why {
            self.events.push_back(Event::ProtocolViolation(format!(
                "Failed to authenticate: {why}"
            )));
        }
        self.auth.token = None;
        self.auth.phase = Phase::NoAuth;
        self.set_refreshing(false);
        self.report_auth(false);
        self.paused = false;
        if matches!(self.socket, SocketState::Disconnected { retry_at: None }) {
            self.connect_soon_after_stop();
        }
        self.flush();
    }

    fn schedule_held(&mut self, now: Instant) {
        let leeway = self.config.auth_refresh_leeway;
        match self
            .auth
            .token
            .as_deref()
            .and_then(|t| auth::held_refresh_at(t, now, leeway))
        {
            Some(at) => self.auth.phase = Phase::Scheduled { at },
            // Same token and already inside the leeway (or no exp): ask again after a backoff
            // rather than stopping refreshes.
            None => self.retry_later(Retry::Refetch, now),
        }
    }

    fn on_auth_confirmed(&mut self, now: Instant) {
        match self.auth.phase {
            Phase::WaitingCached => {
                self.report_auth(true);
                self.auth.phase = Phase::Refetching;
                self.fetch_token(true);
            }
            Phase::WaitingFresh => {
                self.auth.attempts = 0;
                self.set_refreshing(false);
                let leeway = self.config.auth_refresh_leeway;
                self.auth.phase = match self
                    .auth
                    .token
                    .as_deref()
                    .and_then(|t| auth::fresh_refresh_at(t, now, leeway))
                {
                    Some(at) => Phase::Scheduled { at },
                    None => Phase::Confirmed,
                };
                self.report_auth(true);
            }
            _ => {}
        }
    }

    fn on_auth_error(&mut self, error: String, base_version: Option<u32>, attempted: Option<bool>) {
        let claims = self.auth.token.as_deref().and_then(jwt::decode_claims);
        let waiting = matches!(self.auth.phase, Phase::WaitingCached | Phase::WaitingFresh);
        if attempted == Some(false) && waiting {
            return; // about a token that is already being replaced
        }
        if let Some(base) = base_version {
            if base.saturating_add(1) < self.sent.identity_version {
                return; // about an older auth attempt
            }
        }
        self.events.push_back(Event::AuthRejected {
            error: error.clone(),
            token_claims: claims,
        });
        let exhausted = self.auth.phase == Phase::WaitingFresh
            && self.auth.attempts >= MAX_CONFIRMATION_ATTEMPTS;
        if self.auth.phase == Phase::NoAuth || exhausted || self.auth.token.is_none() {
            // The server closes the socket after an AuthError; reconnect anonymous.
            self.stop_socket("AuthError", false);
            self.give_up_auth(Some(error));
            return;
        }
        if self.auth.phase == Phase::WaitingFresh {
            self.auth.attempts += 1;
        }
        self.set_refreshing(true);
        self.stop_socket("AuthError", false);
        self.auth.phase = Phase::Reauthenticating;
        self.fetch_token(true);
    }

    // ----- socket events -----

    /// The socket `socket` opened.
    pub fn handle_open(&mut self, socket: SocketId, now: Instant) {
        self.now = self.now.max(now);
        let SocketState::Connecting { id, .. } = self.socket else {
            return;
        };
        if id != socket {
            return;
        }
        self.socket = SocketState::Open {
            id,
            connect_sent: false,
        };
        self.has_ever_connected = true;
        self.last_server_activity = now;
        self.sent = Sent::default();
        self.remote_version = StateVersion::default();
        self.chunks.clear();
        // Mutations are re-sent (the server deduplicates them); actions in flight are failed.
        let mut lost = Vec::new();
        for (&id, r) in self.requests.map.iter_mut() {
            match (r.kind, &r.status) {
                (RequestKind::Mutation, Status::Requested | Status::Committed { .. }) => {
                    r.status = Status::NotSent
                }
                (RequestKind::Action, Status::Requested) => lost.push(id),
                _ => {}
            }
        }
        for id in lost {
            self.requests.map.remove(&id);
            self.settle(RequestKind::Action, id, Err(FunctionError::ConnectionLost));
        }
        if !self.paused {
            self.send_connect(now);
        }
        self.events.push_back(Event::ConnectionChanged);
    }

    fn send_connect(&mut self, now: Instant) {
        let SocketState::Open {
            id,
            connect_sent: false,
        } = self.socket
        else {
            return;
        };
        let msg = ClientMessage::Connect {
            session_id: self.config.session_id.clone(),
            connection_count: self.connection_count,
            last_close_reason: self.last_close_reason.take(),
            max_observed_timestamp: self.max_observed_ts,
            client_ts: Some(now.as_millis()),
        };
        self.connection_count += 1;
        self.socket = SocketState::Open {
            id,
            connect_sent: true,
        };
        self.io.push_back(Io::Send {
            socket: id,
            text: msg.to_text(),
        });
        self.flush();
    }

    /// The socket `socket` closed (or failed to open) with this close code and reason.
    pub fn handle_close(&mut self, socket: SocketId, code: u16, reason: &str, now: Instant) {
        self.now = self.now.max(now);
        let current = match self.socket {
            SocketState::Connecting { id, .. } | SocketState::Open { id, .. } => id,
            _ => return,
        };
        if current != socket {
            return;
        }
        if !reason.is_empty() {
            self.last_close_reason = Some(reason.to_owned());
        } else if self.last_close_reason.is_none() {
            self.last_close_reason = Some(format!("closed with code {code}"));
        }
        self.chunks.clear();
        let stopped = self.auth.phase == Phase::Reauthenticating;
        self.schedule_reconnect(CloseCause::Server(reason.to_owned()), now, stopped);
    }

    /// One text frame arrived on `socket`.
    pub fn handle_message(&mut self, socket: SocketId, text: &str, now: Instant) {
        self.now = self.now.max(now);
        let SocketState::Open { id, .. } = self.socket else {
            return;
        };
        if id != socket {
            return;
        }
        self.last_server_activity = now;
        let msg = match transition::parse(text) {
            Ok(Incoming::Transition(t)) => {
                if !self.chunks.is_empty() {
                    self.chunks.clear();
                    self.events.push_back(Event::ProtocolViolation("a message arrived between the chunks of a Transition; the partial Transition was dropped".into()));
                }
                return self.apply_transition(t, now);
            }
            Ok(Incoming::Other(m)) => m,
            Err(ProtocolError::Malformed(e)) => {
                let preview: String = text.chars().take(80).collect();
                return self
                    .protocol_violation(format!("malformed server message ({e}): {preview}"), now);
            }
        };
        if !self.chunks.is_empty() && !matches!(msg, ServerMessage::TransitionChunk { .. }) {
            self.chunks.clear();
            self.events.push_back(Event::ProtocolViolation("a message arrived between the chunks of a Transition; the partial Transition was dropped".into()));
        }
        match msg {
            // Transitions take the fast path above.
            ServerMessage::Transition { .. } => {}
            ServerMessage::TransitionChunk {
                chunk,
                part_number,
                total_parts,
                transition_id,
            } => {
                match self
                    .chunks
                    .push(chunk, part_number, total_parts, transition_id)
                {
                    Ok(None) => {}
                    Ok(Some(whole)) => match transition::parse(&whole) {
                        Ok(Incoming::Transition(t)) => self.apply_transition(t, now),
                        _ => self.protocol_violation(
                            "reassembled chunks are not a Transition".into(),
                            now,
                        ),
                    },
                    Err(e @ (ChunkError::OutOfRange { .. } | ChunkError::OutOfOrder { .. })) => {
                        self.protocol_violation(e.to_string(), now)
                    }
                }
            }
            ServerMessage::MutationResponse {
                request_id,
                success,
                result,
                ts,
                log_lines,
                error_data,
            } => self.on_response(
                RequestKind::Mutation,
                RequestId(request_id),
                success,
                result,
                ts,
                log_lines,
                error_data,
            ),
            ServerMessage::ActionResponse {
                request_id,
                success,
                result,
                log_lines,
                error_data,
            } => self.on_response(
                RequestKind::Action,
                RequestId(request_id),
                success,
                result,
                None,
                log_lines,
                error_data,
            ),
            ServerMessage::AuthError {
                error,
                base_version,
                auth_update_attempted,
            } => self.on_auth_error(error, base_version, auth_update_attempted),
            ServerMessage::FatalError { error } => {
                let reason: String = format!("FatalError: {error}").chars().take(123).collect();
                self.events
                    .push_back(Event::ProtocolViolation(reason.clone()));
                self.client_close(&reason, now);
            }
            ServerMessage::Ping => {}
        }
    }

    /// Timers: call when [`poll_timeout`](Self::poll_timeout)'s instant has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        match self.socket {
            SocketState::Disconnected { retry_at: Some(at) } if at <= now => self.connect(now),
            SocketState::Connecting { since, .. }
                if since.saturating_add(self.config.connect_timeout) <= now =>
            {
                self.client_close("ConnectTimeout", now)
            }
            SocketState::Open { .. }
                if self
                    .last_server_activity
                    .saturating_add(self.config.server_inactivity_timeout)
                    <= now =>
            {
                self.client_close("InactiveServer", now)
            }
            _ => {}
        }
        match self.auth.phase {
            Phase::Scheduled { at } if at <= now => {
                self.auth.phase = Phase::Refetching;
                self.fetch_token(true);
            }
            Phase::RetryWait { at, retry } if at <= now => match retry {
                Retry::Initial { force } => {
                    self.auth.phase = Phase::FetchingInitial { force };
                    self.fetch_token(force);
                }
                Retry::Refetch => {
                    self.auth.phase = Phase::Refetching;
                    self.fetch_token(true);
                }
                Retry::Reauth => {
                    self.auth.phase = Phase::Reauthenticating;
                    self.fetch_token(true);
                }
            },
            _ => {}
        }
    }

    /// The page came back (online, visible, focused) or the clock jumped: reconnect now
    /// instead of waiting out a backoff, and run any timer that is due.
    pub fn handle_wake(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if let SocketState::Disconnected { retry_at: Some(_) } = self.socket {
            self.connect(now);
        }
        self.handle_timeout(now);
    }

    /// Closes the client for good: the socket closes and pending requests fail.
    pub fn close(&mut self) {
        if let SocketState::Connecting { id, .. } | SocketState::Open { id, .. } = self.socket {
            self.io.push_back(Io::Close {
                socket: id,
                reason: "client closed".into(),
            });
        }
        self.socket = SocketState::Terminated;
        self.auth = Auth {
            next_fetch: self.auth.next_fetch,
            ..Auth::default()
        };
        let pending: Vec<_> = self
            .requests
            .map
            .iter()
            .map(|(&id, r)| (id, r.kind))
            .collect();
        self.requests.map.clear();
        for (id, kind) in pending {
            self.settle(kind, id, Err(FunctionError::ClientClosed));
        }
    }

    /// The connection as the app may show it.
    pub fn connection_state(&self) -> ConnectionState {
        ConnectionState {
            is_websocket_connected: matches!(
                self.socket,
                SocketState::Open {
                    connect_sent: true,
                    ..
                }
            ),
            has_ever_connected: self.has_ever_connected,
            connection_count: self.connection_count,
            connection_retries: self.retries,
            inflight_mutations: self.requests.count(RequestKind::Mutation),
            inflight_actions: self.requests.count(RequestKind::Action),
            subscribed_queries: self.queries.len(),
        }
    }

    /// Whether the server has confirmed the current token.
    pub fn is_authenticated(&self) -> bool {
        self.auth.reported == Some(true)
    }

    // ----- internals -----

    fn connect(&mut self, now: Instant) {
        if self.socket == SocketState::Terminated {
            return;
        }
        self.next_socket += 1;
        let id = SocketId(self.next_socket);
        self.socket = SocketState::Connecting { id, since: now };
        self.io.push_back(Io::Connect { socket: id });
    }

    /// After an auth-driven stop: reconnect right away (the official `tryRestartSocket`).
    fn connect_soon_after_stop(&mut self) {
        if let SocketState::Disconnected { retry_at: None } = self.socket {
            self.last_close_reason = None;
            self.next_socket += 1;
            let id = SocketId(self.next_socket);
            self.socket = SocketState::Connecting {
                id,
                since: self.now,
            };
            self.io.push_back(Io::Connect { socket: id });
        }
    }

    fn schedule_reconnect(&mut self, cause: CloseCause, now: Instant, stopped: bool) {
        let retry_at = if stopped {
            None
        } else {
            let delay = backoff::delay(&cause, self.retries, &mut self.rng);
            self.retries = self.retries.saturating_add(1);
            Some(now.saturating_add(delay))
        };
        self.socket = SocketState::Disconnected { retry_at };
        self.events.push_back(Event::ConnectionChanged);
    }

    /// The client closes the socket itself and reconnects after a short backoff.
    fn client_close(&mut self, reason: &str, now: Instant) {
        if let SocketState::Connecting { id, .. } | SocketState::Open { id, .. } = self.socket {
            self.io.push_back(Io::Close {
                socket: id,
                reason: reason.to_owned(),
            });
            self.last_close_reason = Some(reason.to_owned());
            self.chunks.clear();
            self.schedule_reconnect(CloseCause::Client, now, false);
        }
    }

    /// Closes the socket for auth: with `reconnect`, right away (anonymous); without, it
    /// stays closed until the new token arrives.
    fn stop_socket(&mut self, reason: &str, reconnect: bool) {
        if let SocketState::Connecting { id, .. } | SocketState::Open { id, .. } = self.socket {
            self.io.push_back(Io::Close {
                socket: id,
                reason: reason.to_owned(),
            });
            self.chunks.clear();
            self.socket = SocketState::Disconnected { retry_at: None };
            self.events.push_back(Event::ConnectionChanged);
        }
        if reconnect {
            self.connect_soon_after_stop();
        }
    }

    fn protocol_violation(&mut self, message: String, now: Instant) {
        self.events.push_back(Event::ProtocolViolation(message));
        self.client_close("ProtocolError", now);
    }

    fn resume(&mut self) {
        self.paused = false;
        if let SocketState::Open {
            connect_sent: false,
            ..
        } = self.socket
        {
            self.send_connect(self.now);
        } else {
            self.flush();
        }
    }

    /// Sends whatever the server has not been told yet, in the official order:
    /// Authenticate, then ModifyQuerySet, then requests in id order.
    fn flush(&mut self) {
        let SocketState::Open {
            id,
            connect_sent: true,
        } = self.socket
        else {
            return;
        };
        if self.paused {
            return;
        }
        if self.sent.token != self.auth.token {
            let msg = ClientMessage::Authenticate {
                base_version: self.sent.identity_version,
                token_type: if self.auth.token.is_some() {
                    AuthTokenType::User
                } else {
                    AuthTokenType::None
                },
                value: self.auth.token.clone(),
                impersonating: None,
            };
            self.sent.identity_version += 1;
            self.sent.token = self.auth.token.clone();
            self.io.push_back(Io::Send {
                socket: id,
                text: msg.to_text(),
            });
        }
        let wanted: BTreeSet<QueryId> = self.queries.ids().collect();
        let mut modifications = Vec::new();
        for &q in wanted.difference(&self.sent.queries) {
            if let Some(local) = self.queries.get(q) {
                modifications.push(QuerySetModification::Add {
                    query_id: q.0,
                    udf_path: local.path.clone(),
                    args: local.args.clone(),
                    journal: local.journal.clone(),
                    component_path: None,
                });
            }
        }
        for &q in self.sent.queries.difference(&wanted) {
            modifications.push(QuerySetModification::Remove { query_id: q.0 });
        }
        // The first ModifyQuerySet on a socket goes out even when empty, as the official client does.
        if !modifications.is_empty() || !self.sent.modified_query_set {
            let base = self.sent.query_set_version;
            let msg = ClientMessage::ModifyQuerySet {
                base_version: base,
                new_version: base + 1,
                modifications,
            };
            self.sent.query_set_version = base + 1;
            if !self.sent.modified_query_set {
                self.sent.catch_up_version = base + 1;
            }
            self.sent.modified_query_set = true;
            self.sent.queries = wanted;
            self.io.push_back(Io::Send {
                socket: id,
                text: msg.to_text(),
            });
        }
        let mut frames = Vec::new();
        for (&rid, r) in self.requests.map.iter_mut() {
            if r.status == Status::NotSent {
                r.status = Status::Requested;
                frames.push(r.message(rid).to_text());
            }
        }
        for text in frames {
            self.io.push_back(Io::Send { socket: id, text });
        }
    }

    fn apply_transition(&mut self, transition: Transition, now: Instant) {
        let Transition {
            start,
            end,
            changes,
        } = transition;
        if start != self.remote_version {
            return self.protocol_violation(
                format!(
                    "Transition startVersion {start:?} does not match the client's {:?}",
                    self.remote_version
                ),
                now,
            );
        }
        self.observe_ts(end.ts);
        let confirms_auth =
            end.identity > start.identity && end.identity >= self.sent.identity_version;
        let mut changed = Vec::new();
        let mut logs = Vec::new();
        for change in changes {
            let (id, result, journal) = match change {
                Change::Updated {
                    query_id,
                    value,
                    log_lines,
                    journal,
                } => {
                    logs.extend(log_lines);
                    let result = match value {
                        Ok(v) => QueryResult::Value(v),
                        Err(e) => QueryResult::Error {
                            message: format!("malformed result from the server: {e}"),
                            data: None,
                        },
                    };
                    (QueryId(query_id), result, journal)
                }
                Change::Failed {
                    query_id,
                    message,
                    data,
                    log_lines,
                    journal,
                } => {
                    logs.extend(log_lines);
                    (
                        QueryId(query_id),
                        QueryResult::Error { message, data },
                        journal,
                    )
                }
                Change::Removed { query_id } => {
                    let id = QueryId(query_id);
                    if !self.queries.contains(id) {
                        self.results.remove(&id);
                    }
                    continue;
                }
            };
            if !self.queries.contains(id) {
                continue; // unsubscribed meanwhile: ignore
            }
            self.queries.set_journal(id, journal);
            if self.results.get(&id) != Some(&result) {
                self.results.insert(id, result);
                changed.push(id);
            }
        }
        self.remote_version = end;
        if !logs.is_empty() {
            self.events.push_back(Event::LogLines(logs));
        }
        if !changed.is_empty() {
            self.events.push_back(Event::QueriesUpdated(changed));
        }
        self.settle_committed(end.ts);
        if confirms_auth {
            self.on_auth_confirmed(now);
        }
        let caught_up = end.query_set >= self.sent.catch_up_version
            && (self.sent.token.is_none() || end.identity >= self.sent.identity_version);
        if caught_up && self.retries != 0 {
            self.retries = 0;
            self.events.push_back(Event::ConnectionChanged);
        }
    }

    fn observe_ts(&mut self, ts: Ts) {
        if self.max_observed_ts.is_none_or(|m| ts > m) {
            self.max_observed_ts = Some(ts);
        }
    }

    fn settle_committed(&mut self, visible: Ts) {
        let done: Vec<RequestId> = self
            .requests
            .map
            .iter()
            .filter(|(_, r)| matches!(&r.status, Status::Committed { ts, .. } if *ts <= visible))
            .map(|(&id, _)| id)
            .collect();
        for id in done {
            if let Some(r) = self.requests.map.remove(&id) {
                if let Status::Committed { value, .. } = r.status {
                    self.settle(RequestKind::Mutation, id, Ok(value));
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_response(
        &mut self,
        kind: RequestKind,
        id: RequestId,
        success: bool,
        result: serde_json::Value,
        ts: Option<Ts>,
        log_lines: Vec<String>,
        error_data: Option<serde_json::Value>,
    ) {
        let Some(r) = self.requests.map.get_mut(&id) else {
            return;
        }; // stray
        if r.kind != kind || r.status != Status::Requested {
            return; // duplicate or for a request not sent on this socket
        }
        if !log_lines.is_empty() {
            self.events.push_back(Event::LogLines(log_lines));
        }
        let outcome = if success {
            Value::from_json_owned(result).map_err(FunctionError::MalformedResult)
        } else {
            Err(FunctionError::Failed {
                message: result
                    .as_str()
                    .map_or_else(|| result.to_string(), str::to_owned),
                data: error_data.and_then(|d| Value::from_json(&d).ok()),
            })
        };
        match (kind, outcome, ts) {
            (RequestKind::Mutation, Ok(value), Some(ts)) => {
                r.status = Status::Committed { ts, value };
                self.observe_ts(ts);
                // Already visible if a Transition got there first.
                self.settle_committed(self.remote_version.ts);
            }
            (kind, outcome, _) => {
                self.requests.map.remove(&id);
                self.settle(kind, id, outcome);
            }
        }
    }

    fn settle(
        &mut self,
        kind: RequestKind,
        request: RequestId,
        result: Result<Value, FunctionError>,
    ) {
        self.events.push_back(match kind {
            RequestKind::Mutation => Event::MutationSettled { request, result },
            RequestKind::Action => Event::ActionSettled { request, result },
        });
        self.events.push_back(Event::ConnectionChanged);
    }
}
