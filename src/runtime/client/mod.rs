//! [`ConvexClient`]: the sans-IO core driven by a real browser WebSocket, timers and page events.
//!
//! This file is the client's API; `driver.rs` carries out the core's I/O and events, and
//! `options.rs` holds [`ClientOptions`]. The typed subscription façade (`subscribe`, `query`)
//! lives a floor up, in `runtime/subscription.rs`.

mod driver;
mod options;

use std::cell::RefCell;
use std::future::Future;
use std::rc::{Rc, Weak};
use std::time::Duration;

use convex_yew_core::jwt;
use convex_yew_core::protocol::udf_path::{Action, Mutation, Query};
use convex_yew_core::sorted_map::SortedMap;
use convex_yew_core::sync::{
    ClientConfig, ConnectionState, FunctionError, LocalStore, QueryId, SyncClient,
};
use convex_yew_core::value::{Object, ResultValue, Value};
use futures::channel::oneshot;
use gloo_timers::callback::Timeout;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::browser::{self, ClockWatch, LeaveGuard, WakeListeners};
use super::codec::{decode_result, encode_args, to_result, value_tree};
use super::url::sync_url_with;
use crate::error::ClientError;
use driver::{drive, drive_soon, wake, AuthHooks, Inner};
pub use options::{ClientOptions, DisconnectCallback, DisconnectFn, TokenFuture};

/// A live connection to a Convex deployment: subscriptions, mutations, actions and auth.
///
/// Cheap to clone (a handle to shared state); every clone drives the same socket. Identical
/// subscriptions share one server query. Dropping the last handle (subscriptions hold one)
/// closes the socket; [`close`](Self::close) also fails pending requests.
///
/// ```no_run
/// use convex_yew::ConvexClient;
/// use convex_yew::core::protocol::udf_path::{Mutation, Query};
/// # async fn run() -> Result<(), convex_yew::ClientError> {
/// #[derive(serde::Serialize)]
/// struct ListArgs { count: u32 }
/// #[derive(serde::Deserialize)]
/// struct List { viewer: Option<String>, numbers: Vec<f64> }
/// #[derive(serde::Serialize)]
/// struct AddArgs { value: f64 }
/// const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
/// const ADD: Mutation<AddArgs, ()> = Mutation::new("myFunctions:addNumber");
///
/// let client = ConvexClient::new("https://happy-otter-123.convex.cloud")?;
/// let numbers = client.subscribe(&LIST, &ListArgs { count: 10 })?;
/// numbers.on_update(|| { /* read numbers.latest() */ });
/// client.mutation(&ADD, &AddArgs { value: 42.0 }).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ConvexClient {
    inner: Rc<RefCell<Inner>>,
}

impl PartialEq for ConvexClient {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl std::fmt::Debug for ConvexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvexClient")
            .field("url", &self.inner.borrow().url)
            .finish()
    }
}

impl ConvexClient {
    /// Connects to a deployment (`https://x.convex.cloud`, or `http://127.0.0.1:3210` locally).
    pub fn new(deployment_url: &str) -> Result<ConvexClient, ClientError> {
        ConvexClient::with_options(deployment_url, ClientOptions::default())
    }

    /// Connects with options.
    pub fn with_options(
        deployment_url: &str,
        options: ClientOptions,
    ) -> Result<ConvexClient, ClientError> {
        let url = sync_url_with(deployment_url, options.skip_convex_deployment_url_check)?;
        let mut config = ClientConfig::new(browser::uuid_v4(), browser::random_u64());
        config.expect_auth = options.expect_auth;
        config.auth_refresh_leeway = options.auth_refresh_leeway;
        config.server_inactivity_timeout = options.server_inactivity_timeout;
        config.connect_timeout = options.connect_timeout;
        let now = browser::now();
        let inner = Rc::new(RefCell::new(Inner {
            core: SyncClient::new(config, now),
            deployment_url: deployment_url.trim_end_matches('/').to_owned(),
            url,
            options,
            socket: None,
            timer: None,
            _clock_watch: None,
            _wake: None,
            _leave_guard: None,
            listeners: SortedMap::new(),
            pending: SortedMap::new(),
            auth: None,
            connection_listeners: Vec::new(),
            last_connection_state: ConnectionState::default(),
            next_listener: 0,
            drive_scheduled: false,
        }));
        let weak = Rc::downgrade(&inner);
        let wake_listeners = WakeListeners::new({
            let weak = weak.clone();
            move || wake(&weak)
        });
        // The core reads the wall clock only for tokens and `clientTs`; laptops sleep and
        // pages freeze: after a gap, re-check instead of trusting timers.
        let clock_watch = ClockWatch::new({
            let weak = weak.clone();
            move |wall, now, woke| {
                let Some(inner) = weak.upgrade() else { return };
                if let Ok(mut me) = inner.try_borrow_mut() {
                    me.core.handle_wall_clock(wall, now);
                }
                if woke {
                    wake(&weak);
                }
            }
        });
        let leave_guard = inner.borrow().options.unsaved_changes_warning.then(|| {
            let weak = weak.clone();
            LeaveGuard::new(move || {
                weak.upgrade().is_some_and(|inner| {
                    inner
                        .try_borrow()
                        .is_ok_and(|me| me.core.connection_state().has_inflight_requests)
                })
            })
        });
        {
            let mut me = inner.borrow_mut();
            me._wake = Some(wake_listeners);
            me._clock_watch = Some(clock_watch);
            me._leave_guard = leave_guard;
        }
        drive(&inner);
        Ok(ConvexClient { inner })
    }

    /// Subscribes with an argument object; `notify(query)` runs whenever the result changes
    /// (with the query's id, shared by identical subscriptions; read the result with
    /// [`query_result`](Self::query_result)). The returned [`Watch`] unsubscribes when dropped.
    pub fn watch(&self, path: &str, args: &Object, notify: Rc<dyn Fn(QueryId)>) -> Watch {
        let (query, listener, has_result) = {
            let mut me = self.inner.borrow_mut();
            let query = me.core.subscribe(path, args);
            me.next_listener += 1;
            let listener = me.next_listener;
            me.listeners
                .get_or_insert_with(query, Vec::new)
                .push((listener, notify.clone()));
            (query, listener, me.core.query_result(query).is_some())
        };
        // Components mounting in one render subscribe together: one frame, one Transition.
        drive_soon(&self.inner);
        if has_result {
            notify(query); // shared with an existing subscription: its result is already here
        }
        Watch {
            client: self.clone(),
            query,
            listener,
        }
    }

    /// Drops a listener added by [`watch`](Self::watch) and its reference to the query.
    fn unwatch(&self, query: QueryId, listener: u64) {
        {
            let Ok(mut me) = self.inner.try_borrow_mut() else {
                return;
            };
            if let Some(list) = me.listeners.get_mut(&query) {
                list.retain(|(id, _)| *id != listener);
                if list.is_empty() {
                    me.listeners.remove(&query);
                }
            }
            me.core.unsubscribe(query);
        }
        drive_soon(&self.inner);
    }

    /// The result an identical subscription already holds, if any (for a first render with
    /// no loading frame).
    pub fn cached(&self, path: &str, args: &Object) -> Option<Result<Value, ClientError>> {
        self.cached_value(path, args).map(value_tree)
    }

    /// [`cached`](Self::cached) as the client keeps it, for typed readers.
    pub(crate) fn cached_value(
        &self,
        path: &str,
        args: &Object,
    ) -> Option<Result<ResultValue, ClientError>> {
        let me = self.inner.borrow();
        let result = me.core.cached_result(path, args)?;
        Some(to_result(path, result))
    }

    /// Feeds `paginator` the results the client holds for its page queries (optimistic
    /// updates applied), read in place: nothing is copied out of the client.
    pub(crate) fn ingest(
        &self,
        paginator: &mut convex_yew_core::pagination::Paginator,
        fresh_id: fn() -> u64,
    ) -> convex_yew_core::pagination::PaginatedView {
        let me = self.inner.borrow();
        let path = paginator.path().to_owned();
        paginator.ingest(|args| me.core.cached_result(&path, args), fresh_id)
    }

    /// The log lines the function printed for the current result of an identical subscribed
    /// query (the official `localQueryLogs`); `None` when no such query has a result.
    pub fn local_query_logs<A: Serialize, R>(
        &self,
        query: &Query<A, R>,
        args: &A,
    ) -> Option<Vec<String>> {
        let args = encode_args(query.path(), args).ok()?;
        let me = self.inner.borrow();
        me.core
            .local_query_logs(query.path(), &args)
            .map(<[String]>::to_vec)
    }

    /// The latest result of a watched query: `None` while loading.
    pub fn query_result(&self, query: QueryId) -> Option<Result<Value, ClientError>> {
        self.result_value(query).map(value_tree)
    }

    /// [`query_result`](Self::query_result) as the client keeps it: typed readers decode
    /// it straight from the server's text.
    pub(crate) fn result_value(&self, query: QueryId) -> Option<Result<ResultValue, ClientError>> {
        let me = self.inner.borrow();
        let result = me.core.query_result(query)?;
        Some(to_result(me.core.query_path(query).unwrap_or(""), result))
    }

    /// Runs a mutation. It is queued at once (calls keep their order) and the returned future,
    /// which borrows nothing, resolves once the mutation's writes are visible to this client's
    /// queries.
    pub fn mutation<A: Serialize, R: DeserializeOwned + 'static>(
        &self,
        mutation: &Mutation<A, R>,
        args: &A,
    ) -> impl Future<Output = Result<R, ClientError>> + 'static {
        let path = mutation.path();
        typed(
            path.to_owned(),
            encode_args(path, args).map(|args| self.request(path, &args, Call::Mutation(None))),
        )
    }

    /// Runs a mutation with an optimistic update: `update(store, args)` changes query results
    /// locally at once, and is replayed over every new server result until the mutation's
    /// writes are visible (or it fails, which rolls the change back). See [`LocalStore`].
    ///
    /// ```no_run
    /// use convex_yew::{ConvexClient, LocalStore, Mutation, Query};
    /// #[derive(serde::Serialize, Clone)]
    /// struct AddArgs { value: f64 }
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct ListArgs { count: u32 }
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct List { viewer: Option<String>, numbers: Vec<f64> }
    /// const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
    /// const ADD: Mutation<AddArgs, ()> = Mutation::new("myFunctions:addNumber");
    /// # async fn run(client: ConvexClient) -> Result<(), convex_yew::ClientError> {
    /// client
    ///     .mutation_with_optimistic_update(&ADD, &AddArgs { value: 7.0 }, |store: &mut LocalStore<'_>, args: &AddArgs| {
    ///         let list_args = ListArgs { count: 10 };
    ///         if let Some(mut list) = store.get_query(&LIST, &list_args) {
    ///             list.numbers.push(args.value);
    ///             let _ = store.set_query(&LIST, &list_args, Some(&list));
    ///         }
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn mutation_with_optimistic_update<A, R>(
        &self,
        mutation: &Mutation<A, R>,
        args: &A,
        update: impl Fn(&mut LocalStore<'_>, &A) + 'static,
    ) -> impl Future<Output = Result<R, ClientError>> + 'static
    where
        A: Serialize + Clone + 'static,
        R: DeserializeOwned + 'static,
    {
        let owned = args.clone();
        self.mutation_with_update(
            mutation,
            args,
            Some(Box::new(move |store: &mut LocalStore<'_>| {
                update(store, &owned)
            })),
        )
    }

    /// A typed mutation with an optional optimistic update already bound to its arguments.
    pub(crate) fn mutation_with_update<A: Serialize, R: DeserializeOwned + 'static>(
        &self,
        mutation: &Mutation<A, R>,
        args: &A,
        update: Option<convex_yew_core::sync::OptimisticUpdate>,
    ) -> impl Future<Output = Result<R, ClientError>> + 'static {
        let path = mutation.path();
        typed(
            path.to_owned(),
            encode_args(path, args).map(|args| self.request(path, &args, Call::Mutation(update))),
        )
    }

    /// Runs a mutation with an untyped argument object.
    pub fn mutation_raw(
        &self,
        path: &str,
        args: &Object,
    ) -> impl Future<Output = Result<Value, ClientError>> + 'static {
        settle(
            path.to_owned(),
            self.request(path, args, Call::Mutation(None)),
        )
    }

    /// Runs an action (queued at once, like [`mutation`](Self::mutation)). An action in flight
    /// when the connection drops fails with [`ClientError::is_connection_lost`]: actions are not
    /// idempotent, so they are never retried.
    pub fn action<A: Serialize, R: DeserializeOwned + 'static>(
        &self,
        action: &Action<A, R>,
        args: &A,
    ) -> impl Future<Output = Result<R, ClientError>> + 'static {
        let path = action.path();
        typed(
            path.to_owned(),
            encode_args(path, args).map(|args| self.request(path, &args, Call::Action)),
        )
    }

    /// Runs an action with an untyped argument object.
    pub fn action_raw(
        &self,
        path: &str,
        args: &Object,
    ) -> impl Future<Output = Result<Value, ClientError>> + 'static {
        settle(path.to_owned(), self.request(path, args, Call::Action))
    }

    /// Starts a mutation or an action; the receiver gets its outcome (or is dropped when the
    /// client closes).
    fn request(&self, path: &str, args: &Object, call: Call) -> Reply {
        let (tx, rx) = oneshot::channel();
        {
            let mut me = self.inner.borrow_mut();
            if me.core.is_closed() {
                drop(tx);
                return rx;
            }
            let now = browser::now();
            let id = match call {
                Call::Mutation(Some(update)) => me
                    .core
                    .mutation_with_optimistic_update(path, args, now, update),
                Call::Mutation(None) => me.core.mutation(path, args, now),
                Call::Action => me.core.action(path, args, now),
            };
            me.pending.insert(id, tx);
        }
        drive(&self.inner);
        rx
    }

    /// Authenticates with tokens from `fetch_token(force_refresh)`, which returns a token,
    /// [`TokenFetch::SignedOut`](convex_yew_core::sync::TokenFetch::SignedOut), or [`TokenFetch::Transient`](convex_yew_core::sync::TokenFetch::Transient) (keep the session and retry).
    /// `on_change(true)` fires once the server has confirmed a token, `on_change(false)` when
    /// auth ends. Queries wait for the first token, so none runs without it.
    pub fn set_auth(
        &self,
        fetch_token: impl Fn(bool) -> TokenFuture + 'static,
        on_change: impl Fn(bool) + 'static,
    ) {
        self.set_auth_with_refreshing(fetch_token, on_change, |_| {});
    }

    /// [`set_auth`](Self::set_auth) with a callback for "a rejected token is being replaced".
    pub fn set_auth_with_refreshing(
        &self,
        fetch_token: impl Fn(bool) -> TokenFuture + 'static,
        on_change: impl Fn(bool) + 'static,
        on_refreshing: impl Fn(bool) + 'static,
    ) {
        {
            let mut me = self.inner.borrow_mut();
            me.auth = Some(AuthHooks {
                fetch: Rc::new(fetch_token),
                on_change: Rc::new(on_change),
                on_refreshing: Rc::new(on_refreshing),
            });
            me.core.set_auth(browser::now());
        }
        drive(&self.inner);
    }

    /// The auth source's identity changed behind the same token fetcher (an organization
    /// switch, another user or session): the token is fetched again at once and presented as
    /// soon as it arrives, keeping the current one (and [`is_authenticated`](Self::is_authenticated))
    /// meanwhile. [`ConvexProviderWithAuth`](crate::yew::ConvexProviderWithAuth) calls this
    /// when [`AuthSource::identity`](crate::yew::AuthSource::identity) changes.
    pub fn reauthenticate(&self) {
        self.inner.borrow_mut().core.reauthenticate(browser::now());
        drive(&self.inner);
    }

    /// Returns to anonymous: sends an anonymous Authenticate and cancels token refreshes.
    pub fn clear_auth(&self) {
        {
            let mut me = self.inner.borrow_mut();
            me.core.clear_auth(browser::now());
            me.auth = None;
        }
        drive(&self.inner);
    }

    /// Whether the server has confirmed the current token.
    pub fn is_authenticated(&self) -> bool {
        self.inner.borrow().core.is_authenticated()
    }

    /// The deployment URL this client talks to (as given, without a trailing `/`).
    pub fn url(&self) -> String {
        self.inner.borrow().deployment_url.clone()
    }

    /// The auth token the client presents to the server, if any (never logged by the
    /// client; handle it as a secret).
    pub fn auth_token(&self) -> Option<String> {
        self.inner.borrow().core.auth_token().map(str::to_owned)
    }

    /// The claims of [`auth_token`](Self::auth_token), decoded without verification (the
    /// server verifies): the JS client's `getCurrentAuthClaims().decoded`.
    pub fn auth_claims(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        jwt::payload(&self.auth_token()?).ok()
    }

    /// Subscribes to a query for `extend_for` and drops the subscription after, so that a
    /// page about to render it finds its result in the cache (the JS client's
    /// `prewarmQuery`; `extendSubscriptionFor` defaults to 5 s there).
    pub fn prewarm_query<A: Serialize, R>(
        &self,
        query: &Query<A, R>,
        args: &A,
        extend_for: Duration,
    ) -> Result<(), ClientError> {
        let args = encode_args(query.path(), args)?;
        let watch = self.watch(query.path(), &args, Rc::new(|_| {}));
        let ms = u32::try_from(extend_for.as_millis()).unwrap_or(u32::MAX);
        Timeout::new(ms, move || drop(watch)).forget();
        Ok(())
    }

    /// The connection as a UI may show it.
    pub fn connection_state(&self) -> ConnectionState {
        self.inner.borrow().core.connection_state()
    }

    /// Calls `listener` whenever [`connection_state`](Self::connection_state) changes, until the
    /// returned handle is dropped (the handle does not keep the client alive).
    #[must_use = "the listener is removed when the handle is dropped"]
    pub fn on_connection_change(
        &self,
        listener: impl Fn(&ConnectionState) + 'static,
    ) -> ConnectionListenerHandle {
        let mut me = self.inner.borrow_mut();
        me.next_listener += 1;
        let id = me.next_listener;
        me.connection_listeners.push((id, Rc::new(listener)));
        ConnectionListenerHandle {
            inner: Rc::downgrade(&self.inner),
            id,
        }
    }

    /// Every per-query collection the client keeps, by name, with its length (for leak
    /// tests: all zero once every subscription is dropped and the socket caught up).
    #[cfg(feature = "internals")]
    pub fn held_per_query(&self) -> Vec<(&'static str, usize)> {
        let me = self.inner.borrow();
        vec![
            ("listeners", me.listeners.len()),
            ("core", me.core.tracked_queries()),
        ]
    }

    /// Closes the socket for good; pending requests fail.
    pub fn close(&self) {
        {
            let mut me = self.inner.borrow_mut();
            me.core.close();
            me.timer = None;
            me._clock_watch = None;
            me._wake = None;
            me._leave_guard = None;
        }
        drive(&self.inner);
    }
}

/// One query subscription made with [`ConvexClient::watch`]; dropping it unsubscribes (the
/// server query goes with its last subscriber).
#[must_use = "the query is unsubscribed when the handle is dropped"]
pub struct Watch {
    client: ConvexClient,
    query: QueryId,
    listener: u64,
}

impl Watch {
    /// The query's id (shared by identical subscriptions).
    pub fn query_id(&self) -> QueryId {
        self.query
    }

    /// The latest result: `None` while loading.
    pub fn result(&self) -> Option<Result<Value, ClientError>> {
        self.client.query_result(self.query)
    }

    /// The latest result decoded into `R`, straight from the server's text: `None` while
    /// loading.
    pub fn decoded<R: DeserializeOwned>(&self) -> Option<Result<R, ClientError>> {
        self.client
            .result_value(self.query)
            .map(|r| decode_result(&r))
    }
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch").field("query", &self.query).finish()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.client.unwatch(self.query, self.listener);
    }
}

/// A connection listener from [`ConvexClient::on_connection_change`]; dropping it removes it.
#[must_use = "the listener is removed when the handle is dropped"]
pub struct ConnectionListenerHandle {
    inner: Weak<RefCell<Inner>>,
    id: u64,
}

impl std::fmt::Debug for ConnectionListenerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionListenerHandle")
            .field("id", &self.id)
            .finish()
    }
}

impl Drop for ConnectionListenerHandle {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            if let Ok(mut me) = inner.try_borrow_mut() {
                me.connection_listeners.retain(|(l, _)| *l != self.id);
            }
        }
    }
}

/// A started mutation's or action's outcome.
type Reply = oneshot::Receiver<Result<Value, FunctionError>>;

/// What [`ConvexClient::request`] starts.
enum Call {
    /// A mutation, with its optimistic update if it has one.
    Mutation(Option<convex_yew_core::sync::OptimisticUpdate>),
    Action,
}

/// The typed end of a call: `started` is the call, begun with the encoded arguments (or the
/// encoding error); its value is decoded into `R`. One instance per result type, whatever the
/// call; the future borrows nothing.
async fn typed<R: DeserializeOwned>(
    path: String,
    started: Result<Reply, ClientError>,
) -> Result<R, ClientError> {
    convex_yew_core::value::from_value(settle(path, started?).await?).map_err(ClientError::decode)
}

async fn settle(path: String, rx: Reply) -> Result<Value, ClientError> {
    match rx.await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ClientError::from_function(&path, e)),
        Err(_) => Err(ClientError::closed()),
    }
}
