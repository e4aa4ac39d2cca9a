//! [`ConvexClient`]: the sans-IO core driven by a real browser WebSocket, timers and page events.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::time::Duration;

use convex_yew_core::protocol::udf_path::{Action, Mutation, Query};
use convex_yew_core::sync::{
    ClientConfig, ConnectionState, Event, FetchId, FunctionError, Io, LocalStore, QueryId,
    QueryResult, RequestId, SocketId, SyncClient, TokenFetch,
};
use convex_yew_core::value::Object;
use convex_yew_core::value::ResultValue;
use convex_yew_core::value::{from_value, Value};
use futures::channel::oneshot;
use gloo_timers::callback::Timeout;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::browser::{self, ClockWatch, LeaveGuard, WakeListeners};
use super::logger::{LogLevel, Logger};
use super::socket::{Socket, SocketEvent};
use super::subscription::Subscription;
use super::url::sync_url_with;
use crate::error::ClientError;

/// Options of a [`ConvexClient`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Log every frame type and state change (at [`LogLevel::Debug`]).
    pub verbose: bool,
    /// Where messages and the functions' log lines go (default: the console;
    /// [`Logger::silent`] for none).
    pub logger: Logger,
    /// Refresh tokens this long before they expire (official default: 10 s).
    pub auth_refresh_leeway: Duration,
    /// Reconnect when the server is silent this long: 36 s by default, two missed server
    /// Pings (sent after 15 s idle) plus a margin; the official client waits 60 s.
    pub server_inactivity_timeout: Duration,
    /// Give up on a socket still connecting after this long.
    pub connect_timeout: Duration,
    /// Ask before the page is closed or left while mutations or actions are in flight (the
    /// JS client's `unsavedChangesWarning`; default on).
    pub unsaved_changes_warning: bool,
    /// Send nothing until auth is decided (`set_auth`, or `clear_auth` for a signed-out user):
    /// no query runs anonymously while the auth provider restores the session (the JS
    /// client's `expectAuth`; default off). [`ConvexProviderWithAuth`](crate::yew::ConvexProviderWithAuth)
    /// decides it as soon as the auth provider has.
    pub expect_auth: bool,
    /// Accept any http(s) URL, a `.convex.site` one included (for a proxy in front of the
    /// deployment; the JS client's `skipConvexDeploymentUrlCheck`; default off).
    pub skip_convex_deployment_url_check: bool,
    /// Called when the server closes the socket with an error code and a reason (the JS
    /// client's `onServerDisconnectError`); the client reconnects either way.
    pub on_server_disconnect_error: Option<DisconnectCallback>,
}

/// What [`DisconnectCallback`] wraps.
pub type DisconnectFn = dyn Fn(u16, &str);

/// A callback with the server's close code and reason.
#[derive(Clone)]
pub struct DisconnectCallback(pub Rc<DisconnectFn>);

impl DisconnectCallback {
    /// Wraps a callback.
    pub fn new(f: impl Fn(u16, &str) + 'static) -> DisconnectCallback {
        DisconnectCallback(Rc::new(f))
    }
}

impl std::fmt::Debug for DisconnectCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DisconnectCallback")
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            verbose: false,
            logger: Logger::console(),
            auth_refresh_leeway: Duration::from_secs(10),
            server_inactivity_timeout: Duration::from_secs(36),
            connect_timeout: Duration::from_secs(30),
            unsaved_changes_warning: true,
            expect_auth: false,
            skip_convex_deployment_url_check: false,
            on_server_disconnect_error: None,
        }
    }
}

/// What a token fetcher returns.
pub type TokenFuture = Pin<Box<dyn Future<Output = TokenFetch>>>;
type Fetcher = Rc<dyn Fn(bool) -> TokenFuture>;
type Listener = Rc<dyn Fn()>;
type ConnectionListener = Rc<dyn Fn(&ConnectionState)>;

struct AuthHooks {
    fetch: Fetcher,
    on_change: Rc<dyn Fn(bool)>,
    on_refreshing: Rc<dyn Fn(bool)>,
}

struct Inner {
    core: SyncClient,
    /// The deployment URL as given (without a trailing `/`).
    deployment_url: String,
    url: String,
    options: ClientOptions,
    socket: Option<(SocketId, Socket)>,
    timer: Option<Timeout>,
    _clock_watch: Option<ClockWatch>,
    _wake: Option<WakeListeners>,
    _leave_guard: Option<LeaveGuard>,
    listeners: HashMap<QueryId, Vec<(u64, Listener)>>,
    pending: HashMap<RequestId, oneshot::Sender<Result<Value, FunctionError>>>,
    auth: Option<AuthHooks>,
    connection_listeners: Vec<(u64, ConnectionListener)>,
    last_connection_state: ConnectionState,
    next_listener: u64,
    /// A `drive` is queued for the next microtask.
    drive_scheduled: bool,
}

/// A live connection to a Convex deployment: subscriptions, mutations, actions and auth.
///
/// Cheap to clone (a handle to shared state); every clone drives the same socket. Identical
/// subscriptions share one server query. Dropping the last handle (subscriptions hold one)
/// closes the socket; [`close`](Self::close) also fails pending requests.
///
/// ```no_run
/// use convex_yew::runtime::ConvexClient;
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
            listeners: HashMap::new(),
            pending: HashMap::new(),
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

    /// Subscribes to a query. The returned [`Subscription`] holds the latest result, notifies
    /// on change (callback or `Stream`), and unsubscribes when dropped.
    pub fn subscribe<A: Serialize, R: DeserializeOwned>(
        &self,
        query: &Query<A, R>,
        args: &A,
    ) -> Result<Subscription<R>, ClientError> {
        let args = encode_args(query.path(), args)?;
        Ok(Subscription::new(self.clone(), query.path(), args))
    }

    /// Runs a query once: subscribes, resolves with the first result, and unsubscribes (a
    /// result the client already holds resolves at once).
    pub fn query<A: Serialize, R: DeserializeOwned + 'static>(
        &self,
        query: &Query<A, R>,
        args: &A,
    ) -> impl Future<Output = Result<R, ClientError>> + 'static {
        let subscription = self.subscribe(query, args);
        async move {
            use futures::StreamExt;
            let mut subscription = subscription?;
            if let Some(first) = subscription.latest() {
                return first;
            }
            subscription
                .next()
                .await
                .unwrap_or_else(|| Err(ClientError::closed()))
        }
    }

    /// Subscribes with an argument object; `notify` runs whenever the result changes. The
    /// returned [`Watch`] unsubscribes when dropped.
    pub fn watch(&self, path: &str, args: &Object, notify: Rc<dyn Fn()>) -> Watch {
        let (query, listener, has_result) = {
            let mut me = self.inner.borrow_mut();
            let query = me.core.subscribe(path, args);
            me.next_listener += 1;
            let listener = me.next_listener;
            me.listeners
                .entry(query)
                .or_default()
                .push((listener, notify.clone()));
            (query, listener, me.core.query_result(query).is_some())
        };
        // Components mounting in one render subscribe together: one frame, one Transition.
        drive_soon(&self.inner);
        if has_result {
            notify(); // shared with an existing subscription: its result is already here
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

    /// The raw result an identical subscription holds (optimistic updates applied).
    pub(crate) fn cached_result(&self, path: &str, args: &Object) -> Option<QueryResult> {
        self.inner.borrow().core.cached_result(path, args).cloned()
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
        let path = mutation.path().to_owned();
        let started = encode_args(&path, args).map(|args| self.mutation_raw(&path, &args));
        async move { from_value(started?.await?).map_err(ClientError::decode) }
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
        let path = mutation.path().to_owned();
        let started = encode_args(&path, args).map(|args| {
            let rx = self.request(|core| match update {
                Some(update) => {
                    core.mutation_with_optimistic_update(&path, &args, browser::now(), update)
                }
                None => core.mutation(&path, &args, browser::now()),
            });
            settle(path.clone(), rx)
        });
        async move { from_value(started?.await?).map_err(ClientError::decode) }
    }

    /// Runs a mutation with an untyped argument object.
    pub fn mutation_raw(
        &self,
        path: &str,
        args: &Object,
    ) -> impl Future<Output = Result<Value, ClientError>> + 'static {
        let rx = self.request(|core| core.mutation(path, args, browser::now()));
        settle(path.to_owned(), rx)
    }

    /// Runs an action (queued at once, like [`mutation`](Self::mutation)). An action in flight
    /// when the connection drops fails with [`ClientError::is_connection_lost`]: actions are not
    /// idempotent, so they are never retried.
    pub fn action<A: Serialize, R: DeserializeOwned + 'static>(
        &self,
        action: &Action<A, R>,
        args: &A,
    ) -> impl Future<Output = Result<R, ClientError>> + 'static {
        let path = action.path().to_owned();
        let started = encode_args(&path, args).map(|args| self.action_raw(&path, &args));
        async move { from_value(started?.await?).map_err(ClientError::decode) }
    }

    /// Runs an action with an untyped argument object.
    pub fn action_raw(
        &self,
        path: &str,
        args: &Object,
    ) -> impl Future<Output = Result<Value, ClientError>> + 'static {
        let rx = self.request(|core| core.action(path, args, browser::now()));
        settle(path.to_owned(), rx)
    }

    fn request(
        &self,
        start: impl FnOnce(&mut SyncClient) -> RequestId,
    ) -> oneshot::Receiver<Result<Value, FunctionError>> {
        let (tx, rx) = oneshot::channel();
        {
            let mut me = self.inner.borrow_mut();
            if me.core.is_closed() {
                drop(tx);
                return rx;
            }
            let id = start(&mut me.core);
            me.pending.insert(id, tx);
        }
        drive(&self.inner);
        rx
    }

    /// Authenticates with tokens from `fetch_token(force_refresh)`, which returns a token,
    /// [`TokenFetch::SignedOut`], or [`TokenFetch::Transient`] (keep the session and retry).
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
        let token = self.auth_token()?;
        let payload = token.split('.').nth(1)?;
        let bytes = base64_url_decode(payload)?;
        match serde_json::from_slice(&bytes).ok()? {
            serde_json::Value::Object(m) => Some(m),
            _ => None,
        }
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
        let watch = self.watch(query.path(), &args, Rc::new(|| {}));
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

/// A result's value tree (built once per result), or why there is none.
fn value_tree(r: Result<ResultValue, ClientError>) -> Result<Value, ClientError> {
    r.and_then(|v| {
        v.value()
            .cloned()
            .map_err(|e| ClientError::decode(e.clone()))
    })
}

/// Decodes a result into the caller's type, straight from the server's text.
pub(crate) fn decode_result<R: DeserializeOwned>(
    r: &Result<ResultValue, ClientError>,
) -> Result<R, ClientError> {
    match r {
        Ok(v) => v.decode().map_err(ClientError::decode),
        Err(e) => Err(e.clone()),
    }
}

fn to_result(path: &str, r: &QueryResult) -> Result<ResultValue, ClientError> {
    match r {
        QueryResult::Value(v) => Ok(v.clone()),
        QueryResult::Error { message, data } => Err(ClientError::from_function(
            path,
            FunctionError::Failed {
                message: message.clone(),
                data: data.clone(),
            },
        )),
    }
}

/// Encodes arguments, naming the function in the error.
pub(crate) fn encode_args<A: Serialize>(path: &str, args: &A) -> Result<Object, ClientError> {
    convex_yew_core::value::to_args(args).map_err(|e| ClientError::invalid_args(path, e))
}

async fn settle(
    path: String,
    rx: oneshot::Receiver<Result<Value, FunctionError>>,
) -> Result<Value, ClientError> {
    match rx.await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ClientError::from_function(&path, e)),
        Err(_) => Err(ClientError::closed()),
    }
}

/// Drives the client once the current task is done (a microtask later), however many times
/// it is asked before then: subscriptions made in one render go out together.
fn drive_soon(inner: &Rc<RefCell<Inner>>) {
    let Ok(mut me) = inner.try_borrow_mut() else {
        return;
    };
    if me.drive_scheduled {
        return;
    }
    me.drive_scheduled = true;
    let weak = Rc::downgrade(inner);
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(inner) = weak.upgrade() {
            inner.borrow_mut().drive_scheduled = false;
            drive(&inner);
        }
    });
}

fn wake(weak: &Weak<RefCell<Inner>>) {
    if let Some(inner) = weak.upgrade() {
        {
            let mut me = inner.borrow_mut();
            let now = browser::now();
            me.core.handle_wall_clock(browser::wall_ms(), now);
            me.core.handle_wake(now);
        }
        drive(&inner);
    }
}

fn on_socket_event(weak: &Weak<RefCell<Inner>>, id: SocketId, event: SocketEvent) {
    let Some(inner) = weak.upgrade() else { return };
    {
        let mut me = inner.borrow_mut();
        let now = browser::now();
        if me.options.verbose {
            let what = match &event {
                SocketEvent::Open => "open".to_string(),
                SocketEvent::Message(m) => format!("received {}", m.get(..60).unwrap_or(m)),
                SocketEvent::Closed { code, reason } => format!("closed {code} {reason}"),
            };
            me.options.logger.log(
                LogLevel::Debug,
                &format!("[convex-yew] socket {}: {what}", id.0),
            );
        }
        match event {
            SocketEvent::Open => me.core.handle_open(id, now),
            SocketEvent::Message(text) => me.core.handle_message(id, &text, now),
            SocketEvent::Closed { code, reason } => {
                if me.socket.as_ref().is_some_and(|(s, _)| *s == id) {
                    me.socket = None;
                }
                me.core.handle_close(id, code, &reason, now)
            }
        }
    }
    drive(&inner);
}

/// Carries out the core's I/O, dispatches its events, and arms the next timer. User callbacks
/// run after the state is released, so they may call back into the client.
fn drive(inner: &Rc<RefCell<Inner>>) {
    let mut callbacks: Vec<Box<dyn FnOnce()>> = Vec::new();
    {
        let mut me = inner.borrow_mut();
        let weak = Rc::downgrade(inner);
        while let Some(io) = me.core.poll_io() {
            match io {
                Io::Connect { socket } => {
                    let w = weak.clone();
                    let url = me.url.clone();
                    match Socket::open(&url, move |e| on_socket_event(&w, socket, e)) {
                        Ok(s) => me.socket = Some((socket, s)),
                        Err(e) => {
                            me.options
                                .logger
                                .log(LogLevel::Error, &format!("[convex-yew] {e}"));
                            me.core
                                .handle_close(socket, 1006, "FailedToConnect", browser::now());
                        }
                    }
                }
                Io::Send { socket, text } => {
                    let sent = match &me.socket {
                        Some((id, s)) if *id == socket => s.send(&text).is_ok(),
                        _ => false,
                    };
                    if !sent {
                        me.socket = None;
                        me.core
                            .handle_close(socket, 1006, "FailedToSendMessage", browser::now());
                    }
                }
                Io::Close { socket, reason } => {
                    if me.options.verbose {
                        me.options.logger.log(
                            LogLevel::Debug,
                            &format!("[convex-yew] closing socket {}: {reason}", socket.0),
                        );
                    }
                    if me.socket.as_ref().is_some_and(|(id, _)| *id == socket) {
                        me.socket = None; // dropping the Socket closes it and detaches its handlers
                    }
                }
                Io::FetchToken {
                    fetch,
                    force_refresh,
                } => {
                    if let Some(hooks) = &me.auth {
                        let fetcher = hooks.fetch.clone();
                        let w = weak.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            let outcome = fetcher(force_refresh).await;
                            token_fetched(&w, fetch, outcome);
                        });
                    }
                }
            }
        }
        while let Some(event) = me.core.poll_event() {
            dispatch(&mut me, event, &mut callbacks);
        }
        let state = me.core.connection_state();
        if state != me.last_connection_state {
            me.last_connection_state = state.clone();
            for (_, l) in &me.connection_listeners {
                let l = l.clone();
                let s = state.clone();
                callbacks.push(Box::new(move || l(&s)));
            }
        }
        me.timer = me.core.poll_timeout().map(|at| {
            let delay = at
                .as_millis()
                .saturating_sub(browser::now().as_millis())
                .min(u32::MAX as u64 / 2) as u32;
            let w = weak.clone();
            Timeout::new(delay, move || {
                if let Some(inner) = w.upgrade() {
                    inner.borrow_mut().core.handle_timeout(browser::now());
                    drive(&inner);
                }
            })
        });
    }
    for cb in callbacks {
        cb();
    }
}

fn token_fetched(weak: &Weak<RefCell<Inner>>, fetch: FetchId, outcome: TokenFetch) {
    if let Some(inner) = weak.upgrade() {
        inner
            .borrow_mut()
            .core
            .token_fetched(fetch, outcome, browser::now());
        drive(&inner);
    }
}

fn dispatch(me: &mut Inner, event: Event, callbacks: &mut Vec<Box<dyn FnOnce()>>) {
    match event {
        Event::QueriesUpdated(ids) => {
            for id in ids {
                for (_, l) in me.listeners.get(&id).into_iter().flatten() {
                    let l = l.clone();
                    callbacks.push(Box::new(move || l()));
                }
            }
        }
        Event::MutationSettled { request, result } | Event::ActionSettled { request, result } => {
            if let Some(tx) = me.pending.remove(&request) {
                let _ = tx.send(result);
            }
        }
        Event::AuthChanged { is_authenticated } => {
            if let Some(hooks) = &me.auth {
                let f = hooks.on_change.clone();
                callbacks.push(Box::new(move || f(is_authenticated)));
            }
        }
        Event::AuthRefreshing(refreshing) => {
            if let Some(hooks) = &me.auth {
                let f = hooks.on_refreshing.clone();
                callbacks.push(Box::new(move || f(refreshing)));
            }
        }
        Event::AuthRejected {
            error,
            token_claims,
        } => {
            let claims = token_claims
                .map(|c| format!(" The rejected token has iss={:?}, aud={}, exp={:?}; check them against your auth.config.ts providers.", c.iss, c.aud.map_or("none".into(), |a| a.to_string()), c.exp))
                .unwrap_or_default();
            me.options.logger.log(
                LogLevel::Error,
                &format!("[convex-yew] the server rejected the auth token: {error}.{claims}"),
            );
        }
        Event::AuthGaveUp(why) => me.options.logger.log(
            LogLevel::Warn,
            &format!("[convex-yew] authentication given up, continuing anonymous: {why}"),
        ),
        Event::Warning(message) => me
            .options
            .logger
            .log(LogLevel::Warn, &format!("[convex-yew] {message}")),
        Event::ProtocolViolation(message) => me
            .options
            .logger
            .log(LogLevel::Warn, &format!("[convex-yew] {message}")),
        Event::LogLines { source, lines } => {
            for line in lines {
                me.options.logger.log(
                    LogLevel::Info,
                    &format!("[CONVEX {}({})] {line}", source.tag(), source.path()),
                );
            }
        }
        Event::ServerDisconnectError { code, reason } => {
            if let Some(f) = me.options.on_server_disconnect_error.clone() {
                callbacks.push(Box::new(move || (f.0)(code, &reason)));
            }
        }
    }
}

/// base64url (with or without padding) to bytes.
fn base64_url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
