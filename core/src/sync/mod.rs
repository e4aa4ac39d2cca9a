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
//! Modules: [`types`] (settings, `Io`, `Event`, `ConnectionState`), `socket` (the socket's
//! lifecycle), `auth` (token states and their transitions), [`query_set`] (wanted queries),
//! [`requests`] (mutations and actions),
//! [`backoff`] (reconnect delays), [`chunks`] (TransitionChunk reassembly),
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

mod auth;
pub mod backoff;
pub mod chunks;
mod optimistic;
pub mod query_set;
pub mod requests;
mod result_value;
mod socket;
pub mod types;

use crate::time::WallClock;
pub use crate::{jwt, time};

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::protocol::transition::{self, Change, Incoming, Transition};
use crate::protocol::{
    AuthTokenType, ClientMessage, ProtocolError, QuerySetModification, ServerMessage, StateVersion,
    Ts,
};
use crate::value::json::args_to_text;
use crate::value::{Object, Value};

use auth::{Auth, Effect};
pub use auth::{FetchId, TokenFetch};
use backoff::CloseCause;
use chunks::{ChunkBuffer, ChunkError};
use optimistic::Optimistic;
pub use optimistic::{LocalStore, OptimisticUpdate};
use query_set::QuerySet;
pub use query_set::{QueryId, QueryResult};
pub use requests::RequestId;
use requests::{RequestKind, Requests, Status};
pub use result_value::ResultValue;
use socket::{Handshake, Socket, SocketState};
pub use time::Instant;
pub use types::{ClientConfig, ConnectionState, Event, FunctionError, Io, LogSource, SocketId};

/// What the server has been told on the current socket.
#[derive(Default)]
struct Sent {
    query_set_version: u32,
    queries: BTreeSet<QueryId>,
    identity_version: u32,
    /// The identity last presented on this socket: `Some(None)` anonymous (the server's
    /// default on a new socket), `None` unknown: present again, even the same token (after
    /// `set_auth`, so the server confirms and the new source's first token is not left
    /// waiting for a confirmation that never comes).
    token: Option<Option<String>>,
    modified_query_set: bool,
    /// The query-set version the first ModifyQuerySet moved to; used to reset the retry count.
    catch_up_version: u32,
}

/// The Convex sync client state machine. See the [module docs](self).
pub struct SyncClient {
    config: ClientConfig,
    socket: Socket,
    /// The latest `now` passed in, for internal steps that need a time.
    now: Instant,
    max_observed_ts: Option<Ts>,
    queries: QuerySet,
    results: BTreeMap<QueryId, QueryResult>,
    optimistic: Optimistic,
    /// The wanted query set changed since the last flush: the next `poll_io` sends it.
    query_set_changed: bool,
    remote_version: StateVersion,
    sent: Sent,
    requests: Requests,
    auth: Auth,
    chunks: ChunkBuffer,
    /// The wall clock as the caller last reported it (`handle_wall_clock`).
    wall: WallClock,
    /// Kinds of unrecognized frames already reported.
    unrecognized: Vec<String>,
    io: VecDeque<Io>,
    events: VecDeque<Event>,
}

/// Shows the state, never a token or a frame.
impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("socket", &self.socket.state)
            .field("auth", &self.auth)
            .field("queries", &self.queries.len())
            .field("remote_version", &self.remote_version)
            .finish_non_exhaustive()
    }
}

impl SyncClient {
    /// A client that immediately asks for a socket (see [`Io::Connect`]).
    pub fn new(config: ClientConfig, now: Instant) -> SyncClient {
        let mut client = SyncClient {
            socket: Socket::new(config.seed, now),
            auth: Auth::new(
                config.auth_refresh_leeway,
                config.token_fetch_timeout,
                config.expect_auth,
            ),
            config,
            now,
            max_observed_ts: None,
            queries: QuerySet::default(),
            results: Default::default(),
            optimistic: Optimistic::default(),
            query_set_changed: false,
            remote_version: StateVersion::default(),
            sent: Sent::default(),
            requests: Requests::default(),
            chunks: ChunkBuffer::default(),
            wall: WallClock::default(),
            unrecognized: Vec::new(),
            io: VecDeque::new(),
            events: VecDeque::new(),
        };
        client.connect(now);
        client
    }

    // ----- outputs -----

    /// The next thing the runtime must do.
    #[must_use]
    pub fn poll_io(&mut self) -> Option<Io> {
        if std::mem::take(&mut self.query_set_changed) {
            self.flush();
        }
        self.io.pop_front()
    }

    /// The next event for the app.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next, if ever.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let socket = self.socket.next_timeout(
            self.config.connect_timeout,
            self.config.server_inactivity_timeout,
        );
        [socket, self.auth.next_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Subscribes to a query. Identical (path, args) subscriptions share one server query;
    /// call [`unsubscribe`](Self::unsubscribe) once per `subscribe`. Subscriptions and
    /// unsubscriptions made between two [`poll_io`](Self::poll_io) calls go to the server in
    /// one `ModifyQuerySet` (500 components mounting in one render send one frame).
    pub fn subscribe(&mut self, path: &str, args: &Object) -> QueryId {
        let (id, new) = self.queries.subscribe(path, args);
        self.query_set_changed |= new;
        id
    }

    /// Drops one subscriber of a query; the last one removes it from the server's set.
    pub fn unsubscribe(&mut self, id: QueryId) {
        if self.queries.unsubscribe(id) {
            self.results.remove(&id);
            self.query_set_changed = true;
        }
    }

    /// The latest result of an already subscribed query with these path and arguments, if
    /// there is one: what a new subscriber can show on its first render.
    /// An optimistic update's value counts too.
    pub fn cached_result(&self, path: &str, args: &Object) -> Option<&QueryResult> {
        if let Some(o) = self
            .optimistic
            .overlay
            .get(&query_set::token_of(path, args))
        {
            return o.result.as_ref();
        }
        self.query_result(self.queries.find(path, args)?)
    }

    /// The latest result of a subscribed query, with pending optimistic updates applied;
    /// `None` while it loads.
    pub fn query_result(&self, id: QueryId) -> Option<&QueryResult> {
        let token = self.queries.token(id)?;
        match self.optimistic.overlay.get(token) {
            Some(o) => o.result.as_ref(),
            None => self.results.get(&id),
        }
    }

    /// The canonical path of a subscribed query (`module:function`, `.js` dropped), or `None`
    /// when it is not subscribed.
    pub fn query_path(&self, id: QueryId) -> Option<&str> {
        self.queries.get(id).map(|q| q.path.as_str())
    }

    /// The log lines the function printed while computing the query's current result (the
    /// official `localQueryLogs`); `None` when it is not subscribed or has no result yet.
    pub fn query_logs(&self, id: QueryId) -> Option<&[String]> {
        self.results.get(&id)?;
        self.queries.get(id).map(|q| q.logs.as_slice())
    }

    /// [`query_logs`](Self::query_logs) of the subscribed query with these path and arguments.
    pub fn local_query_logs(&self, path: &str, args: &Object) -> Option<&[String]> {
        self.query_logs(self.queries.find(path, args)?)
    }

    /// The latest result the server sent for a subscribed query, without optimistic updates.
    pub fn server_result(&self, id: QueryId) -> Option<&QueryResult> {
        self.queries.token(id)?;
        self.results.get(&id)
    }

    // ----- mutations and actions -----

    /// Queues a mutation asked for at `now`. It settles (see [`Event::MutationSettled`]) once
    /// its writes are visible in query results, or when it fails.
    pub fn mutation(&mut self, path: &str, args: &Object, now: Instant) -> RequestId {
        self.request(RequestKind::Mutation, path, args, now)
    }

    /// Queues an action asked for at `now`.
    pub fn action(&mut self, path: &str, args: &Object, now: Instant) -> RequestId {
        self.request(RequestKind::Action, path, args, now)
    }

    /// Queues a mutation with an optimistic update: `update` changes query results locally at
    /// once, and is replayed over every new server result until the mutation settles (then
    /// the server's results, which include its writes or not, replace it). See
    /// [`LocalStore`].
    pub fn mutation_with_optimistic_update(
        &mut self,
        path: &str,
        args: &Object,
        now: Instant,
        update: OptimisticUpdate,
    ) -> RequestId {
        self.request_with(RequestKind::Mutation, path, args, now, Some(update))
    }

    fn request(&mut self, kind: RequestKind, path: &str, args: &Object, now: Instant) -> RequestId {
        self.request_with(kind, path, args, now, None)
    }

    fn request_with(
        &mut self,
        kind: RequestKind,
        path: &str,
        args: &Object,
        now: Instant,
        update: Option<OptimisticUpdate>,
    ) -> RequestId {
        self.now = self.now.max(now);
        let id = self
            .requests
            .add(kind, path.to_owned(), args_to_text(args), self.now);
        if let Err(e) = crate::value::validate_object(args) {
            self.requests.map.remove(&id);
            self.settle(kind, id, Err(FunctionError::InvalidArgs(e)));
            return id;
        }
        if let Some(update) = update {
            self.optimistic.push(id, update);
            self.publish(BTreeMap::new());
        }
        self.flush();
        self.events.push_back(Event::ConnectionChanged);
        id
    }

    // ----- auth -----

    /// Starts authenticating: the core asks for a token ([`Io::FetchToken`]) and holds the
    /// socket's handshake until it has one, so no query runs without it. Whatever token was
    /// in use before is dropped.
    pub fn set_auth(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.sent.token != Some(None) {
            // The server holds a user: present again whatever the new source gives, even
            // the same token, so that it confirms (or drops) that identity.
            self.sent.token = None;
        }
        let fx = self.auth.set(self.now);
        self.apply_auth(fx);
    }

    /// The auth source's identity changed (an organization switch, another user or session
    /// behind the same token fetcher): the token is fetched again at once and presented as
    /// soon as it arrives, without waiting for the scheduled refetch. The current token stays
    /// presented meanwhile and [`is_authenticated`](Self::is_authenticated) does not change,
    /// so the UI does not flicker. Nothing happens while anonymous.
    pub fn reauthenticate(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let fx = self.auth.source_changed(self.now);
        self.apply_auth(fx);
    }

    /// A reading of the wall clock (`unix_ms`, Unix milliseconds) at `now`. Every timer runs
    /// on the monotonic `now`, so a wall clock that steps changes none of them; the wall
    /// clock is read only for a held token's `exp` and a `Connect`'s `clientTs`. Wall time the
    /// monotonic clock did not see (a sleep that paused it) brings the scheduled token
    /// refetch that much earlier. Without readings, `now` is taken as the wall clock.
    pub fn handle_wall_clock(&mut self, unix_ms: u64, now: Instant) {
        self.now = self.now.max(now);
        let unseen = self.wall.observe(self.now, unix_ms);
        if !unseen.is_zero() {
            self.auth.unseen(unseen);
        }
    }

    /// Ends authentication: the server is told the user is anonymous, and any scheduled
    /// refresh is cancelled (unlike the official client, whose timer keeps running).
    pub fn clear_auth(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let fx = self.auth.clear();
        self.apply_auth(fx);
    }

    /// Reports the outcome of an [`Io::FetchToken`]. An outcome for a fetch that was
    /// superseded (or abandoned at its deadline) is ignored.
    pub fn token_fetched(&mut self, fetch: FetchId, outcome: TokenFetch, now: Instant) {
        self.now = self.now.max(now);
        let fx = self.auth.on_fetched(fetch, outcome, self.now, &self.wall);
        self.apply_auth(fx);
    }

    /// Carries out what an auth transition asked for, then brings the socket in line with
    /// the new auth state: stop it, restart it, send its held handshake, send the token.
    fn apply_auth(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Fetch { id, force_refresh } => self.io.push_back(Io::FetchToken {
                    fetch: id,
                    force_refresh,
                }),
                Effect::Report(is_authenticated) => self
                    .events
                    .push_back(Event::AuthChanged { is_authenticated }),
                Effect::Refreshing(r) => self.events.push_back(Event::AuthRefreshing(r)),
                Effect::Rejected(error) => {
                    let token_claims = self.auth.current_token().and_then(jwt::decode_claims);
                    self.events.push_back(Event::AuthRejected {
                        error,
                        token_claims,
                    });
                }
                Effect::GaveUp(why) => self.events.push_back(Event::AuthGaveUp(why)),
                Effect::Warning(w) => self.events.push_back(Event::Warning(w)),
            }
        }
        self.reconcile_socket();
    }

    /// The one place that decides what the socket does about auth.
    fn reconcile_socket(&mut self) {
        if self.auth.stops_socket() {
            if let Some(id) = self.socket.current() {
                self.close_socket(id, "AuthError", CloseCause::Client, true);
            } else if let SocketState::Backoff { .. } = self.socket.state {
                self.socket.state = SocketState::Stopped;
            }
            return;
        }
        match self.socket.state {
            SocketState::Stopped => {
                // The official `tryRestartSocket`: straight back, no backoff.
                self.socket.last_close_reason = None;
                self.connect(self.now);
            }
            SocketState::Open {
                handshake: Handshake::Held,
                ..
            } if !self.auth.holds_handshake() => self.send_connect(self.now),
            _ => self.flush(),
        }
    }

    fn on_auth_error(
        &mut self,
        error: String,
        base_version: Option<u32>,
        attempted: Option<bool>,
        now: Instant,
    ) {
        if attempted == Some(false) && self.auth.awaits_confirmation() {
            return; // about a token that is already being replaced
        }
        if let Some(base) = base_version {
            if base.saturating_add(1) < self.sent.identity_version {
                return; // about an older auth attempt
            }
        }
        let was_anonymous = self.auth.presented() == Some(None);
        let fx = self.auth.on_rejected(error, now);
        let gave_up = fx.iter().any(|e| matches!(e, Effect::GaveUp(_)));
        if gave_up || was_anonymous {
            // The server closes the socket after an AuthError: reconnect anonymous at once.
            if let Some(id) = self.socket.current() {
                self.close_socket(id, "AuthError", CloseCause::Client, true);
            }
        }
        self.apply_auth(fx);
    }

    // ----- socket events -----

    /// The socket `socket` opened.
    pub fn handle_open(&mut self, socket: SocketId, now: Instant) {
        self.now = self.now.max(now);
        let now = self.now;
        if !self.socket.opened(socket, now) {
            return;
        }
        self.sent = Sent {
            token: Some(None),
            ..Sent::default()
        };
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
        if !self.auth.holds_handshake() {
            self.send_connect(now);
        }
        self.events.push_back(Event::ConnectionChanged);
    }

    fn send_connect(&mut self, now: Instant) {
        let SocketState::Open {
            id,
            handshake: Handshake::Held,
        } = self.socket.state
        else {
            return;
        };
        let msg = ClientMessage::Connect {
            session_id: self.config.session_id.clone(),
            connection_count: self.socket.connection_count,
            last_close_reason: self.socket.last_close_reason.take(),
            max_observed_timestamp: self.max_observed_ts,
            client_ts: Some(self.wall.unix_ms(now)),
        };
        self.socket.handshake_sent();
        self.io.push_back(Io::Send {
            socket: id,
            text: msg.to_text(),
        });
        self.flush();
    }

    /// The socket `socket` closed (or failed to open) with this close code and reason.
    pub fn handle_close(&mut self, socket: SocketId, code: u16, reason: &str, now: Instant) {
        self.now = self.now.max(now);
        let now = self.now;
        if self.socket.current() != Some(socket) {
            return;
        }
        // Codes the official client does not report: normal, going away, no status, and the
        // deployment not pushed yet.
        if !reason.is_empty() && !matches!(code, 1000 | 1001 | 1005 | 4040) {
            self.events.push_back(Event::ServerDisconnectError {
                code,
                reason: reason.to_owned(),
            });
        }
        if !reason.is_empty() {
            self.socket.last_close_reason = Some(reason.to_owned());
        } else if self.socket.last_close_reason.is_none() {
            self.socket.last_close_reason = Some(format!("closed with code {code}"));
        }
        self.chunks.clear();
        let stop = self.auth.stops_socket();
        self.socket
            .drop_current(CloseCause::Server(reason.to_owned()), now, stop);
        self.events.push_back(Event::ConnectionChanged);
    }

    /// One text frame arrived on `socket`.
    pub fn handle_message(&mut self, socket: SocketId, text: &str, now: Instant) {
        self.now = self.now.max(now);
        let now = self.now;
        let SocketState::Open { id, .. } = self.socket.state else {
            return;
        };
        if id != socket {
            return;
        }
        self.socket.last_server_activity = now;
        let msg = match transition::parse(text) {
            Ok(Incoming::Transition(t)) => {
                self.interrupt_chunks();
                return self.apply_transition(t, now);
            }
            Ok(Incoming::Other(m)) => m,
            Err(ProtocolError::Unrecognized(what)) => {
                // A frame this version does not know (a newer server's message type): the
                // official client drops it and keeps the socket and any pending chunks.
                return self.unrecognized(what);
            }
            Err(e) => {
                let preview: String = text.chars().take(80).collect();
                return self.protocol_violation(format!("{e}: {preview}"), now);
            }
        };
        // A Ping between the chunks of a Transition is harmless (the official client handles
        // it before its chunk check); anything else ends the partial Transition.
        if !matches!(
            msg,
            ServerMessage::TransitionChunk { .. } | ServerMessage::Ping
        ) {
            self.interrupt_chunks();
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
                    Err(
                        e @ (ChunkError::OutOfRange { .. }
                        | ChunkError::OutOfOrder { .. }
                        | ChunkError::TooLarge { .. }),
                    ) => self.protocol_violation(e.to_string(), now),
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
            } => self.on_auth_error(error, base_version, auth_update_attempted, now),
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
        let now = self.now;
        match self.socket.state {
            SocketState::Backoff { retry_at } if retry_at <= now => self.connect(now),
            SocketState::Connecting { since, .. }
                if since.saturating_add(self.config.connect_timeout) <= now =>
            {
                self.client_close("ConnectTimeout", now)
            }
            SocketState::Open { .. }
                if self
                    .socket
                    .last_server_activity
                    .saturating_add(self.config.server_inactivity_timeout)
                    <= now =>
            {
                self.client_close("InactiveServer", now)
            }
            _ => {}
        }
        let fx = self.auth.on_timeout(now);
        self.apply_auth(fx);
    }

    /// The page came back (online, visible, focused) or the clock jumped: reconnect now
    /// instead of waiting out a backoff, and run any timer that is due.
    pub fn handle_wake(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if let SocketState::Backoff { .. } = self.socket.state {
            self.connect(self.now);
        }
        self.handle_timeout(now);
    }

    /// Closes the client for good: the socket closes and pending requests fail.
    pub fn close(&mut self) {
        if let Some(id) = self.socket.current() {
            self.io.push_back(Io::Close {
                socket: id,
                reason: "client closed".into(),
            });
        }
        self.socket.state = SocketState::Terminated;
        let _ = self.auth.clear();
        let pending: Vec<_> = self
            .requests
            .map
            .iter()
            .map(|(&id, r)| (id, r.kind))
            .collect();
        self.requests.map.clear();
        if self.optimistic.clear() {
            self.publish(BTreeMap::new());
        }
        for (id, kind) in pending {
            self.settle(kind, id, Err(FunctionError::ClientClosed));
        }
    }

    /// Whether [`close`](Self::close) ended the client: no socket opens again and every new
    /// request fails at once.
    pub fn is_closed(&self) -> bool {
        self.socket.state == SocketState::Terminated
    }

    /// The connection as the app may show it.
    pub fn connection_state(&self) -> ConnectionState {
        ConnectionState {
            is_websocket_connected: self.socket.ready().is_some(),
            has_ever_connected: self.socket.has_ever_connected,
            connection_count: self.socket.connection_count,
            connection_retries: self.socket.retries,
            inflight_mutations: self.requests.count(RequestKind::Mutation),
            inflight_actions: self.requests.count(RequestKind::Action),
            has_inflight_requests: !self.requests.map.is_empty(),
            time_of_oldest_inflight_request: self.requests.oldest(),
            subscribed_queries: self.queries.len(),
        }
    }

    /// How many queries the client keeps any state for: subscribed, holding a result, or in
    /// the set the server was told about. It falls back to zero once every subscription is
    /// dropped and flushed (query ids are never reused, so anything kept per id after that
    /// would grow for the life of the page).
    pub fn tracked_queries(&self) -> usize {
        let mut ids: BTreeSet<QueryId> = self.queries.ids().collect();
        ids.extend(self.results.keys().copied());
        ids.extend(self.sent.queries.iter().copied());
        ids.len()
    }

    /// Whether the server has confirmed the current token.
    pub fn is_authenticated(&self) -> bool {
        self.auth.is_authenticated()
    }

    /// The token the client presents (or last presented) to the server, if any: what a
    /// function's `ctx.auth` sees once the server confirmed it.
    pub fn auth_token(&self) -> Option<&str> {
        self.auth.current_token()
    }

    // ----- internals -----

    fn connect(&mut self, now: Instant) {
        if let Some(socket) = self.socket.connect(now) {
            self.io.push_back(Io::Connect { socket });
        }
    }

    /// Closes `id` and waits out a backoff (or, with `stop_or_restart`, either stays stopped
    /// when auth wants that or reconnects at once).
    fn close_socket(
        &mut self,
        id: SocketId,
        reason: &str,
        cause: CloseCause,
        stop_or_restart: bool,
    ) {
        self.io.push_back(Io::Close {
            socket: id,
            reason: reason.to_owned(),
        });
        self.chunks.clear();
        self.socket.drop_current(cause, self.now, stop_or_restart);
        self.events.push_back(Event::ConnectionChanged);
    }

    /// The client closes the socket itself and reconnects after a short backoff.
    fn client_close(&mut self, reason: &str, now: Instant) {
        self.now = self.now.max(now);
        if let Some(id) = self.socket.current() {
            self.socket.last_close_reason = Some(reason.to_owned());
            let stop = self.auth.stops_socket();
            self.close_socket(id, reason, CloseCause::Client, stop);
        }
    }

    /// A message other than a chunk or a Ping arrived while chunks were pending: the partial
    /// Transition is dropped and the message handled (as the official client does).
    fn interrupt_chunks(&mut self) {
        if !self.chunks.is_empty() {
            self.chunks.clear();
            self.events.push_back(Event::ProtocolViolation(
                "a message arrived between the chunks of a Transition; the partial Transition was dropped".into(),
            ));
        }
    }

    /// An unrecognized frame is dropped; each kind is reported once.
    fn unrecognized(&mut self, what: String) {
        let kind: String = what.chars().take(80).collect();
        if !self.unrecognized.contains(&kind) && self.unrecognized.len() < 16 {
            self.unrecognized.push(kind.clone());
            self.events.push_back(Event::ProtocolViolation(format!(
                "ignored a server frame this client does not know ({kind}); later ones like it are ignored silently"
            )));
        }
    }

    fn protocol_violation(&mut self, message: String, now: Instant) {
        self.events.push_back(Event::ProtocolViolation(message));
        self.client_close("ProtocolError", now);
    }

    /// Sends whatever the server has not been told yet, in the official order:
    /// Authenticate, then ModifyQuerySet, then requests in id order.
    fn flush(&mut self) {
        let Some(id) = self.socket.ready() else {
            return;
        };
        let Some(presented) = self.auth.presented() else {
            return; // waiting for a token
        };
        if self.sent.token.as_ref().map(Option::as_deref) != Some(presented) {
            let value = presented.map(str::to_owned);
            let msg = ClientMessage::Authenticate {
                base_version: self.sent.identity_version,
                token_type: if value.is_some() {
                    AuthTokenType::User
                } else {
                    AuthTokenType::None
                },
                value: value.clone(),
                impersonating: None,
            };
            self.sent.identity_version += 1;
            self.sent.token = Some(value);
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
                frames.push(r.frame_text(rid));
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
        let mut changed = BTreeMap::new();
        for change in changes {
            let (id, result, journal, log_lines) = match change {
                Change::Updated {
                    query_id,
                    value,
                    log_lines,
                    journal,
                } => (
                    QueryId(query_id),
                    QueryResult::Value(value),
                    journal,
                    log_lines,
                ),
                Change::Failed {
                    query_id,
                    message,
                    data,
                    log_lines,
                    journal,
                } => (
                    QueryId(query_id),
                    QueryResult::Error { message, data },
                    journal,
                    log_lines,
                ),
                Change::Removed { query_id } => {
                    // Still subscribed: its result is unknown again (loading), as the
                    // official client shows it.
                    let id = QueryId(query_id);
                    if let Some(previous) = self.results.remove(&id) {
                        if self.queries.contains(id) {
                            changed.insert(id, Some(previous));
                        }
                    }
                    continue;
                }
            };
            let Some(path) = self.queries.get(id).map(|q| q.path.clone()) else {
                continue; // unsubscribed meanwhile: ignore
            };
            if !log_lines.is_empty() {
                self.events.push_back(Event::LogLines {
                    source: LogSource::Query { id, path },
                    lines: log_lines.clone(),
                });
            }
            self.queries.set_result_meta(id, journal, log_lines);
            if self.results.get(&id) != Some(&result) {
                let previous = self.results.insert(id, result);
                changed.insert(id, previous);
            }
        }
        self.remote_version = end;
        // The updates of the mutations this Transition makes visible go in the same step as
        // the server results that contain their writes.
        let done = self.take_committed(end.ts);
        self.publish(changed);
        for (id, value) in done {
            self.settle(RequestKind::Mutation, id, Ok(value));
        }
        if confirms_auth {
            let fx = self.auth.on_confirmed(now);
            self.apply_auth(fx);
        }
        let caught_up = end.query_set >= self.sent.catch_up_version
            && (self.sent.token == Some(None) || end.identity >= self.sent.identity_version);
        if caught_up && self.socket.retries != 0 {
            self.socket.retries = 0;
            self.events.push_back(Event::ConnectionChanged);
        }
    }

    fn observe_ts(&mut self, ts: Ts) {
        if self.max_observed_ts.is_none_or(|m| ts > m) {
            self.max_observed_ts = Some(ts);
        }
    }

    fn settle_committed(&mut self, visible: Ts) {
        let done = self.take_committed(visible);
        if !done.is_empty() {
            self.publish(BTreeMap::new());
        }
        for (id, value) in done {
            self.settle(RequestKind::Mutation, id, Ok(value));
        }
    }

    /// Removes the mutations committed at or before `visible`, and their optimistic updates.
    fn take_committed(&mut self, visible: Ts) -> Vec<(RequestId, Value)> {
        let ids: Vec<RequestId> = self
            .requests
            .map
            .iter()
            .filter(|(_, r)| matches!(&r.status, Status::Committed { ts, .. } if *ts <= visible))
            .map(|(&id, _)| id)
            .collect();
        let mut done = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(r) = self.requests.map.remove(&id) {
                if let Status::Committed { value, .. } = r.status {
                    self.optimistic.drop_update(id);
                    done.push((id, value));
                }
            }
        }
        done
    }

    /// Replays the pending optimistic updates over the server results and reports every
    /// subscribed query whose visible result changed: those the server changed (`server_changed`
    /// holds their previous server result) and those an update touched before or after.
    fn publish(&mut self, server_changed: BTreeMap<QueryId, Option<QueryResult>>) {
        if self.optimistic.is_idle() {
            if !server_changed.is_empty() {
                let ids = server_changed.into_keys().collect();
                self.events.push_back(Event::QueriesUpdated(ids));
            }
            return;
        }
        let old = self.optimistic.replay(&self.queries, &self.results);
        let mut candidates: BTreeSet<QueryId> = server_changed.keys().copied().collect();
        for token in old.keys().chain(self.optimistic.overlay.keys()) {
            candidates.extend(self.queries.by_token(token));
        }
        let mut changed = Vec::new();
        for id in candidates {
            let Some(token) = self.queries.token(id) else {
                continue;
            };
            let before = match old.get(token) {
                Some(o) => o.result.as_ref(),
                None => match server_changed.get(&id) {
                    Some(previous) => previous.as_ref(),
                    None => self.results.get(&id),
                },
            };
            if before != self.query_result(id) {
                changed.push(id);
            }
        }
        if !changed.is_empty() {
            self.events.push_back(Event::QueriesUpdated(changed));
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
            let path = r.path.clone();
            self.events.push_back(Event::LogLines {
                source: match kind {
                    RequestKind::Mutation => LogSource::Mutation { id, path },
                    RequestKind::Action => LogSource::Action { id, path },
                },
                lines: log_lines,
            });
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
        // A failed mutation's update is rolled back before the failure is reported.
        if self.optimistic.drop_update(request) {
            self.publish(BTreeMap::new());
        }
        self.events.push_back(match kind {
            RequestKind::Mutation => Event::MutationSettled { request, result },
            RequestKind::Action => Event::ActionSettled { request, result },
        });
        self.events.push_back(Event::ConnectionChanged);
    }
}
