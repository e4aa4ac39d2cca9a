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
//! `SyncClient` composes owners, each keeping its collections private and holding the
//! transitions that carry rules (convex-js's managers, quinn-proto's spaces):
//! - `query_set`: the queries the app wants, deduplicated and reference counted;
//! - `remote`: the server's results at its version (a Transition moves it);
//! - `requests`: mutations and actions (restart on a new socket, settle at a timestamp);
//! - `socket`: the socket's life and what the server was told on it;
//! - `auth`: the token's states and their transitions;
//! - `optimistic`: local updates layered over the server's results;
//! - `chunks` (TransitionChunk reassembly) and `backoff` (reconnect delays).
//!
//! The settings are [`ClientConfig`]; what goes in and out is [`Io`], [`Event`] and
//! [`ConnectionState`]. Time is the caller's monotonic [`Instant`].
//!
//! ```
//! use convex_yew_core::sync::{ClientConfig, Io, SyncClient};
//! use convex_yew_core::time::Instant;
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
mod backoff;
mod chunks;
mod config;
mod incoming;
mod io;
mod optimistic;
mod outgoing;
mod query_set;
mod remote;
mod requests;
mod socket;

use std::collections::VecDeque;

use crate::jwt;
use crate::protocol::Ts;
use crate::sorted_map::SortedMap;
use crate::time::{Instant, WallClock};
use crate::value::args_to_text;
use crate::value::{Object, Value};

use auth::{Auth, Effect};
pub use auth::{FetchId, TokenFetch};
use backoff::CloseCause;
use chunks::ChunkBuffer;
pub use config::ClientConfig;
pub use io::{ConnectionState, Event, FunctionError, Io, LogSource, RequestId, SocketId};
use optimistic::Optimistic;
pub use optimistic::{LocalStore, OptimisticUpdate};
use query_set::QuerySet;
pub use query_set::{QueryId, QueryResult};
use remote::RemoteQuerySet;
use requests::{RequestKind, Requests};
use socket::{Due, Socket};

/// The Convex sync client state machine. See the [module docs](self).
pub struct SyncClient {
    config: ClientConfig,
    socket: Socket,
    /// The latest `now` passed in, for internal steps that need a time.
    now: Instant,
    queries: QuerySet,
    remote: RemoteQuerySet,
    optimistic: Optimistic,
    /// The wanted query set changed since the last flush: the next `poll_io` sends it.
    query_set_changed: bool,
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
            .field("socket", self.socket.state())
            .field("auth", &self.auth)
            .field("queries", &self.queries.len())
            .field("remote_version", &self.remote.version())
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
            queries: QuerySet::default(),
            remote: RemoteQuerySet::default(),
            optimistic: Optimistic::default(),
            query_set_changed: false,
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

    /// Moves the client's clock to `now` (never back: the caller's clock is monotonic, and a
    /// late call with an older reading changes nothing) and returns it.
    fn tick(&mut self, now: Instant) -> Instant {
        self.now = self.now.max(now);
        self.now
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

    // ----- queries -----

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
            self.remote.forget(id);
            self.query_set_changed = true;
        }
    }

    /// The latest result of an already subscribed query with these path and arguments, if
    /// there is one: what a new subscriber can show on its first render.
    /// An optimistic update's value counts too.
    pub fn cached_result(&self, path: &str, args: &Object) -> Option<&QueryResult> {
        if let Some(written) = self.optimistic.written(&query_set::token_of(path, args)) {
            return written;
        }
        self.query_result(self.queries.find(path, args)?)
    }

    /// The latest result of a subscribed query, with pending optimistic updates applied;
    /// `None` while it loads.
    pub fn query_result(&self, id: QueryId) -> Option<&QueryResult> {
        self.optimistic
            .visible(&self.queries, self.remote.results(), id)
    }

    /// The canonical path of a subscribed query (`module:function`, `.js` dropped), or `None`
    /// when it is not subscribed.
    pub fn query_path(&self, id: QueryId) -> Option<&str> {
        self.queries.get(id).map(|q| q.path.as_str())
    }

    /// The log lines the function printed while computing the query's current result (the
    /// official `localQueryLogs`); `None` when it is not subscribed or has no result yet.
    pub fn query_logs(&self, id: QueryId) -> Option<&[String]> {
        self.remote.result(id)?;
        self.queries.get(id).map(|q| q.logs.as_slice())
    }

    /// [`query_logs`](Self::query_logs) of the subscribed query with these path and arguments.
    pub fn local_query_logs(&self, path: &str, args: &Object) -> Option<&[String]> {
        self.query_logs(self.queries.find(path, args)?)
    }

    /// The latest result the server sent for a subscribed query, without optimistic updates.
    pub fn server_result(&self, id: QueryId) -> Option<&QueryResult> {
        self.queries.token(id)?;
        self.remote.result(id)
    }

    /// How many queries the client keeps any state for: subscribed, holding a result, or in
    /// the set the server was told about. It falls back to zero once every subscription is
    /// dropped and flushed (query ids are never reused, so anything kept per id after that
    /// would grow for the life of the page).
    pub fn tracked_queries(&self) -> usize {
        let mut ids: SortedMap<QueryId, ()> = self.queries.ids().map(|id| (id, ())).collect();
        for id in self.remote.ids() {
            ids.insert(id, ());
        }
        if let Some(sent) = self.socket.sent() {
            for &id in sent.told().keys() {
                ids.insert(id, ());
            }
        }
        ids.len()
    }

    // ----- mutations and actions -----

    /// Queues a mutation asked for at `now`. It settles (see [`Event::MutationSettled`]) once
    /// its writes are visible in query results, or when it fails.
    pub fn mutation(&mut self, path: &str, args: &Object, now: Instant) -> RequestId {
        self.request(RequestKind::Mutation, path, args, now, None)
    }

    /// Queues an action asked for at `now`.
    pub fn action(&mut self, path: &str, args: &Object, now: Instant) -> RequestId {
        self.request(RequestKind::Action, path, args, now, None)
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
        self.request(RequestKind::Mutation, path, args, now, Some(update))
    }

    /// Arguments that break Convex's rules fail the request at once, without sending it; so
    /// does a request to a closed client.
    fn request(
        &mut self,
        kind: RequestKind,
        path: &str,
        args: &Object,
        now: Instant,
        update: Option<OptimisticUpdate>,
    ) -> RequestId {
        let now = self.tick(now);
        let id = self.requests.allocate();
        if let Err(e) = crate::value::validate_object(args) {
            self.settle(kind, id, Err(FunctionError::InvalidArgs(e)));
            return id;
        }
        if self.socket.is_terminated() {
            self.settle(kind, id, Err(FunctionError::ClientClosed));
            return id;
        }
        self.requests
            .add(id, kind, path.to_owned(), args_to_text(args), now);
        if let Some(update) = update {
            self.optimistic.push(id, update);
            self.publish(SortedMap::new());
        }
        self.flush();
        id
    }

    // ----- auth -----

    /// Starts authenticating: the core asks for a token ([`Io::FetchToken`]) and holds the
    /// socket's handshake until it has one, so no query runs without it. Whatever token was
    /// in use before is dropped.
    pub fn set_auth(&mut self, now: Instant) {
        let now = self.tick(now);
        if let Some(sent) = self.socket.sent_mut() {
            // The server holds a user: present again whatever the new source gives, even
            // the same token, so that it confirms (or drops) that identity.
            sent.present_again();
        }
        let fx = self.auth.set(now);
        self.apply_auth(fx);
    }

    /// The auth source's identity changed (an organization switch, another user or session
    /// behind the same token fetcher): the token is fetched again at once and presented as
    /// soon as it arrives, without waiting for the scheduled refetch. The current token stays
    /// presented meanwhile and [`is_authenticated`](Self::is_authenticated) does not change,
    /// so the UI does not flicker. Nothing happens while anonymous.
    pub fn reauthenticate(&mut self, now: Instant) {
        let now = self.tick(now);
        let fx = self.auth.source_changed(now);
        self.apply_auth(fx);
    }

    /// A reading of the wall clock (`unix_ms`, Unix milliseconds) at `now`. Every timer runs
    /// on the monotonic `now`, so a wall clock that steps changes none of them; the wall
    /// clock is read only for a held token's `exp` and a `Connect`'s `clientTs`. Wall time the
    /// monotonic clock did not see (a sleep that paused it) brings the scheduled token
    /// refetch that much earlier. Without readings, `now` is taken as the wall clock.
    pub fn handle_wall_clock(&mut self, unix_ms: u64, now: Instant) {
        let now = self.tick(now);
        let unseen = self.wall.observe(now, unix_ms);
        if !unseen.is_zero() {
            self.auth.unseen(unseen);
        }
    }

    /// Ends authentication: the server is told the user is anonymous, and any scheduled
    /// refresh is cancelled (unlike the official client, whose timer keeps running).
    pub fn clear_auth(&mut self, now: Instant) {
        self.tick(now);
        let fx = self.auth.clear();
        self.apply_auth(fx);
    }

    /// Reports the outcome of an [`Io::FetchToken`]. An outcome for a fetch that was
    /// superseded (or abandoned at its deadline) is ignored.
    pub fn token_fetched(&mut self, fetch: FetchId, outcome: TokenFetch, now: Instant) {
        let now = self.tick(now);
        let fx = self.auth.on_fetched(fetch, outcome, now, &self.wall);
        self.apply_auth(fx);
    }

    /// Carries out what an auth transition asked for, then brings the socket in line with
    /// the new auth state: stop it, restart it, send its held handshake, send the token.
    fn apply_auth(&mut self, effects: Vec<Effect>) {
        self.report_auth(effects);
        self.reconcile_socket();
    }

    /// The events and fetches of an auth transition.
    fn report_auth(&mut self, effects: Vec<Effect>) {
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
    }

    /// The one place that decides what the socket does about auth.
    fn reconcile_socket(&mut self) {
        if self.auth.stops_socket() {
            match self.socket.current() {
                Some(id) => self.close_socket(id, "AuthError", CloseCause::Client, true),
                None => self.socket.stop(),
            }
            return;
        }
        if let Some(socket) = self.socket.restart_now(self.now) {
            self.io.push_back(Io::Connect { socket });
        } else if self.socket.holds_handshake() && !self.auth.holds_handshake() {
            self.send_connect();
        } else {
            self.flush();
        }
    }

    // ----- socket events -----

    /// The socket `socket` opened.
    pub fn handle_open(&mut self, socket: SocketId, now: Instant) {
        let now = self.tick(now);
        if !self.socket.opened(socket, now) {
            return;
        }
        self.remote.restart();
        self.chunks.clear();
        for id in self.requests.restart() {
            self.settle(RequestKind::Action, id, Err(FunctionError::ConnectionLost));
        }
        if !self.auth.holds_handshake() {
            self.send_connect();
        }
    }

    /// The socket `socket` closed (or failed to open) with this close code and reason.
    pub fn handle_close(&mut self, socket: SocketId, code: u16, reason: &str, now: Instant) {
        let now = self.tick(now);
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
        self.socket.closed_by_server(code, reason);
        self.chunks.clear();
        let stop = self.auth.stops_socket();
        self.socket
            .drop_current(CloseCause::Server(reason.to_owned()), now, stop);
    }

    /// Timers: call when [`poll_timeout`](Self::poll_timeout)'s instant has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.tick(now);
        let due = self.socket.due(
            now,
            self.config.connect_timeout,
            self.config.server_inactivity_timeout,
        );
        match due {
            Some(Due::Reconnect) => self.connect(now),
            Some(Due::ConnectTimeout) => self.client_close("ConnectTimeout"),
            Some(Due::InactiveServer) => self.client_close("InactiveServer"),
            None => {}
        }
        let fx = self.auth.on_timeout(now);
        self.apply_auth(fx);
    }

    /// The page came back (online, visible, focused) or the clock jumped: reconnect now
    /// instead of waiting out a backoff, and run any timer that is due.
    pub fn handle_wake(&mut self, now: Instant) {
        let now = self.tick(now);
        if let Some(socket) = self.socket.connect_early(now) {
            self.io.push_back(Io::Connect { socket });
        }
        self.handle_timeout(now);
    }

    /// Closes the client for good: the socket closes, pending requests fail with
    /// [`FunctionError::ClientClosed`], auth ends (reported as [`Event::AuthChanged`] if the
    /// server had confirmed a token), and every later request fails at once.
    pub fn close(&mut self) {
        if let Some(id) = self.socket.current() {
            self.io.push_back(Io::Close {
                socket: id,
                reason: "client closed".into(),
            });
        }
        self.socket.terminate();
        let fx = self.auth.clear();
        self.report_auth(fx);
        let pending = self.requests.fail_all();
        if self.optimistic.clear() {
            self.publish(SortedMap::new());
        }
        for (id, kind) in pending {
            self.settle(kind, id, Err(FunctionError::ClientClosed));
        }
    }

    /// Whether [`close`](Self::close) ended the client: no socket opens again and every new
    /// request fails at once.
    pub fn is_closed(&self) -> bool {
        self.socket.is_terminated()
    }

    /// The connection as the app may show it.
    pub fn connection_state(&self) -> ConnectionState {
        ConnectionState {
            is_websocket_connected: self.socket.is_ready(),
            has_ever_connected: self.socket.has_ever_connected(),
            connection_count: self.socket.connection_count(),
            connection_retries: self.socket.retries(),
            inflight_mutations: self.requests.count(RequestKind::Mutation),
            inflight_actions: self.requests.count(RequestKind::Action),
            has_inflight_requests: !self.requests.is_empty(),
            time_of_oldest_inflight_request: self.requests.oldest(),
            subscribed_queries: self.queries.len(),
        }
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
    }

    /// The client closes the socket itself and reconnects after a short backoff.
    fn client_close(&mut self, reason: &str) {
        if let Some(id) = self.socket.current() {
            self.socket.closing(reason);
            let stop = self.auth.stops_socket();
            self.close_socket(id, reason, CloseCause::Client, stop);
        }
    }

    /// Removes the mutations committed at or before `visible`, and their optimistic updates.
    fn take_committed(&mut self, visible: Ts) -> Vec<(RequestId, Value)> {
        let done = self.requests.take_committed(visible);
        for (id, _) in &done {
            self.optimistic.drop_update(*id);
        }
        done
    }

    /// Reports every subscribed query whose visible result changed (see
    /// `Optimistic::publish`).
    fn publish(&mut self, server_changed: SortedMap<QueryId, Option<QueryResult>>) {
        let changed = self
            .optimistic
            .publish(&self.queries, self.remote.results(), server_changed);
        if !changed.is_empty() {
            self.events.push_back(Event::QueriesUpdated(changed));
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
            self.publish(SortedMap::new());
        }
        self.events.push_back(match kind {
            RequestKind::Mutation => Event::MutationSettled { request, result },
            RequestKind::Action => Event::ActionSettled { request, result },
        });
    }
}
