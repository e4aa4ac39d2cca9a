//! [`AuthKitClient`]: WorkOS AuthKit sign-in in the browser, the behaviour of
//! `@workos-inc/authkit-js` without its known faults.
//!
//! Every decision (restore, single-flight refresh, timers, sign-out, organization switch) is
//! made by the sans-IO [`AuthKitSession`] in the core; this module only carries out what it
//! asks for: `fetch` with an `AbortController` (`browser_io`), the cross-tab lock
//! (`lock`), storage, navigation, timers and page wake-ups, and hands answers back to it.
//! Callers await a one-shot channel keyed by a [`WaiterId`]: dropping a future only drops the
//! answer, never the work in progress or the lock.

pub(crate) mod browser_io;
pub(crate) mod lock;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

pub use convex_yew_core::authkit::urls::SignInOptions;
pub use convex_yew_core::authkit::Claims;
pub use convex_yew_core::authkit::Secret;
pub use convex_yew_core::authkit::SessionTimeouts;
use convex_yew_core::authkit::{AuthKitConfig, RefreshError, User, VERIFIER_KEY};
pub use convex_yew_core::authkit::{AuthKitError, AuthSnapshot};
use convex_yew_core::authkit::{
    AuthKitSession, OpId, PageLoad, SessionEvent, SessionIo, StorageArea, WaiterId,
};
use futures::channel::oneshot;
use gloo_timers::callback::Timeout;
use serde_json::Value as Json;

use crate::runtime::browser::{self, ClockWatch, Level, WakeListeners};
use lock::LockRequest;

/// Sends the page to `url` through the app's navigator, or `location.assign`.
fn navigate(inner: &Inner, url: &str) -> bool {
    let custom = inner.options.borrow().navigate.clone();
    match custom {
        Some(f) => f(url),
        None => browser_io::navigate(url),
    }
}

/// The lock authkit-js uses, so tabs running either SDK serialise refreshes together.
const LOCK_NAME: &str = "WORKOS_REFRESH_SESSION";

/// What `on_redirect_callback` receives after a successful sign-in: the app's state and the
/// authentication result, as authkit-js passes `{ state, ...authenticationResponse }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RedirectParams {
    /// The `state` passed to `sign_in` (untrusted: check any return URL is same-origin).
    pub state: Option<Json>,
    /// The session after sign-in (user, organization, role, permissions, impersonator).
    pub snapshot: AuthSnapshot,
    /// The new access token. `Debug` redacts it; never log [`Secret::expose`].
    pub access_token: Secret,
    /// The access token's payload, decoded (not verified: the server verifies it).
    pub claims: Claims,
}

/// Sends the page to a URL; false when it could not.
pub type Navigator = Rc<dyn Fn(&str) -> bool>;
/// A callback with the session and its new access token after a refresh.
pub type OnRefresh = Rc<dyn Fn(&RefreshParams)>;

/// What `on_refresh` receives after every successful code exchange and refresh (authkit-js
/// passes the authentication response with its `accessToken`).
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshParams {
    /// The session after the refresh.
    pub snapshot: AuthSnapshot,
    /// The new access token. `Debug` redacts it; never log [`Secret::expose`].
    pub access_token: Secret,
}
/// A callback with a terminal refresh failure.
pub type OnRefreshFailure = Rc<dyn Fn(&RefreshError)>;

/// Settings and callbacks of an [`AuthKitClient`].
#[derive(Clone)]
pub struct AuthKitOptions {
    /// Where AuthKit is and where users come back.
    pub config: AuthKitConfig,
    /// Lock and request timeouts.
    pub timeouts: SessionTimeouts,
    /// After a successful sign-in, with the app's state.
    pub on_redirect_callback: Option<Rc<dyn Fn(RedirectParams)>>,
    /// After every successful code exchange and refresh.
    pub on_refresh: Option<OnRefresh>,
    /// When a refresh fails for good (not for the first refresh after page load).
    pub on_refresh_failure: Option<OnRefreshFailure>,
    /// Asked before each automatic refresh; the default skips hidden tabs.
    pub on_before_auto_refresh: Option<Rc<dyn Fn() -> bool>>,
    /// Where the page goes for sign-in, sign-up and sign-out (default: `location.assign`).
    /// Return false when it could not go. Lets a router or a test take over.
    pub navigate: Option<Navigator>,
}

impl AuthKitOptions {
    /// Options with no callbacks and the default timeouts.
    pub fn new(config: AuthKitConfig) -> AuthKitOptions {
        AuthKitOptions {
            config,
            timeouts: SessionTimeouts::default(),
            on_redirect_callback: None,
            on_refresh: None,
            on_refresh_failure: None,
            on_before_auto_refresh: None,
            navigate: None,
        }
    }
}

/// How [`AuthKitClient::switch_to_organization_with`] handles a session that cannot switch.
#[derive(Debug, Clone, Default)]
pub struct SwitchOptions {
    /// Options of the sign-in it redirects to (its organization is set to the target).
    pub sign_in: SignInOptions,
    /// Return [`AuthKitError::OrganizationRefused`] instead of redirecting.
    pub no_redirect: bool,
}

/// What a switch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwitchOutcome {
    /// The session is now in the organization.
    Switched,
    /// The session could not switch (for instance, the organization needs another sign-in
    /// method); the page is going to the hosted sign-in for that organization.
    SigningIn,
}

type Listener = Rc<dyn Fn()>;

enum Answer {
    Token(oneshot::Sender<Result<String, AuthKitError>>),
    Switch(oneshot::Sender<Result<(), AuthKitError>>),
    SignInUrl(oneshot::Sender<Result<String, AuthKitError>>),
}

/// What listeners were last told, to notify only on a change they can see.
#[derive(PartialEq)]
struct Seen {
    loading: bool,
    snapshot: AuthSnapshot,
    callback_error: Option<AuthKitError>,
}

struct Inner {
    session: RefCell<AuthKitSession>,
    options: RefCell<AuthKitOptions>,
    answers: RefCell<HashMap<WaiterId, Answer>>,
    listeners: RefCell<Vec<(u64, Listener)>>,
    next_listener: Cell<u64>,
    locks: RefCell<HashMap<OpId, LockRequest>>,
    requests: RefCell<HashMap<OpId, web_sys::AbortController>>,
    beacons: RefCell<Vec<oneshot::Receiver<()>>>,
    timer: RefCell<Option<Timeout>>,
    wake: RefCell<Option<WakeListeners>>,
    clock_watch: RefCell<Option<ClockWatch>>,
    seen: RefCell<Seen>,
}

/// The AuthKit session of this tab. Cheap to clone.
///
/// ```no_run
/// use convex_yew::authkit::{AuthKitClient, AuthKitOptions};
/// use convex_yew::core::authkit::AuthKitConfig;
/// # async fn run() -> Result<(), convex_yew::authkit::AuthKitError> {
/// let mut config = AuthKitConfig::new("client_01ABC", "http://localhost:8080", "localhost");
/// config.redirect_uri = "http://localhost:8080/callback".into();
/// let authkit = AuthKitClient::create(AuthKitOptions::new(config)).await?;
/// if authkit.snapshot().user.is_none() {
///     authkit.sign_in(Default::default())?; // navigates to the hosted sign-in page
/// }
/// let token = authkit.get_access_token(false).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AuthKitClient {
    inner: Rc<Inner>,
}

impl PartialEq for AuthKitClient {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl std::fmt::Debug for AuthKitClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthKitClient")
            .field("client_id", &self.inner.options.borrow().config.client_id)
            .finish_non_exhaustive()
    }
}

/// A reference to an [`AuthKitClient`] that does not keep it alive (for listeners the
/// client itself holds).
#[derive(Clone)]
pub struct WeakAuthKitClient {
    inner: Weak<Inner>,
}

impl WeakAuthKitClient {
    /// The client, if it is still alive.
    pub fn upgrade(&self) -> Option<AuthKitClient> {
        self.inner.upgrade().map(|inner| AuthKitClient { inner })
    }
}

/// A registered listener; dropping it unsubscribes.
#[must_use = "dropping the handle unsubscribes the listener"]
pub struct ListenerHandle {
    inner: Weak<Inner>,
    id: u64,
}

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            inner.listeners.borrow_mut().retain(|(l, _)| *l != self.id);
        }
    }
}

impl AuthKitClient {
    /// Creates the client and starts it: on the redirect page it exchanges the code (a
    /// failure is kept in [`callback_error`](Self::callback_error)), otherwise it restores a
    /// stored session. Returns at once: watch [`is_loading`](Self::is_loading) through
    /// [`subscribe`](Self::subscribe). Fails only for a configuration that cannot work.
    pub fn start(options: AuthKitOptions) -> Result<AuthKitClient, AuthKitError> {
        options.config.validate()?;
        let window = web_sys::window().ok_or(AuthKitError::NoWindow)?;
        let config = options.config.clone();
        let now = browser::now();
        let session = AuthKitSession::with_timeouts(config.clone(), options.timeouts.clone(), now);
        let client = AuthKitClient {
            inner: Rc::new(Inner {
                session: RefCell::new(session),
                options: RefCell::new(options),
                answers: RefCell::default(),
                listeners: RefCell::default(),
                next_listener: Cell::new(0),
                locks: RefCell::default(),
                requests: RefCell::default(),
                beacons: RefCell::default(),
                timer: RefCell::new(None),
                wake: RefCell::new(None),
                clock_watch: RefCell::new(None),
                seen: RefCell::new(Seen {
                    loading: true,
                    snapshot: AuthSnapshot::default(),
                    callback_error: None,
                }),
            }),
        };
        let weak = Rc::downgrade(&client.inner);
        *client.inner.wake.borrow_mut() = Some(WakeListeners::new({
            let weak = weak.clone();
            move || on_clock(&weak, Clock::Wake)
        }));
        // Tokens expire on wall time the monotonic clock may not see (a sleep that paused
        // it): the session reads the wall clock every few seconds and on every wake-up.
        *client.inner.clock_watch.borrow_mut() = Some(ClockWatch::new(move |wall, now, woke| {
            let Some(inner) = weak.upgrade() else { return };
            if let Ok(mut session) = inner.session.try_borrow_mut() {
                session.handle_wall_clock(wall, now);
            }
            if woke {
                on_clock(&weak, Clock::Wake);
            }
        }));
        let location = window.location();
        let has_stored_session = if config.dev_mode {
            browser_io::get(browser_io::local(), &config.refresh_token_key()).is_some()
        } else {
            browser_io::has_session_hint(&config.client_id)
        };
        let page = PageLoad {
            pathname: location.pathname().unwrap_or_default(),
            search: location.search().unwrap_or_default(),
            verifier: browser_io::get(browser_io::session(), VERIFIER_KEY).map(Secret::new),
            has_stored_session,
            stored_organization: browser_io::get(browser_io::session(), &config.org_key()),
        };
        client.inner.session.borrow_mut().start(page, now);
        drive(&client.inner);
        Ok(client)
    }

    /// [`start`](Self::start), then waits until the session is restored (or known absent).
    /// A restore that keeps failing transiently (AuthKit unreachable) keeps waiting, as the
    /// session is kept; use `start` and [`is_loading`](Self::is_loading) to show a loading UI
    /// meanwhile.
    pub async fn create(options: AuthKitOptions) -> Result<AuthKitClient, AuthKitError> {
        let client = AuthKitClient::start(options)?;
        if client.is_loading() {
            let (tx, rx) = oneshot::channel::<()>();
            let tx = RefCell::new(Some(tx));
            let watched = client.clone();
            let _handle = client.subscribe(move || {
                if !watched.is_loading() {
                    if let Some(tx) = tx.borrow_mut().take() {
                        let _ = tx.send(());
                    }
                }
            });
            let _ = rx.await;
        }
        Ok(client)
    }

    /// A weak reference, for callbacks the client holds.
    pub fn downgrade(&self) -> WeakAuthKitClient {
        WeakAuthKitClient {
            inner: Rc::downgrade(&self.inner),
        }
    }

    /// True until the session is restored, the code exchanged, or known absent.
    pub fn is_loading(&self) -> bool {
        self.inner.session.borrow().is_loading()
    }

    /// The error of the sign-in callback on this page load, if the code exchange failed.
    pub fn callback_error(&self) -> Option<AuthKitError> {
        self.inner.session.borrow().callback_error().cloned()
    }

    /// The session as the app sees it.
    pub fn snapshot(&self) -> AuthSnapshot {
        self.inner.session.borrow().snapshot()
    }

    /// The current access token's claims (`sid`, `org_id`, `role`, `roles`, `permissions`,
    /// `feature_flags`, `exp`, ...), decoded without verification; empty when signed out.
    pub fn claims(&self) -> Claims {
        self.inner.session.borrow().claims()
    }

    /// The signed-in user.
    pub fn user(&self) -> Option<User> {
        self.snapshot().user
    }

    /// Calls `listener` whenever what the app sees changes (loading, session, callback
    /// error); routine token refreshes that change nothing visible call nothing. Dropping
    /// the returned handle unsubscribes.
    pub fn subscribe(&self, listener: impl Fn() + 'static) -> ListenerHandle {
        let id = self.inner.next_listener.get() + 1;
        self.inner.next_listener.set(id);
        self.inner
            .listeners
            .borrow_mut()
            .push((id, Rc::new(listener)));
        ListenerHandle {
            inner: Rc::downgrade(&self.inner),
            id,
        }
    }

    /// Replaces the callbacks (the provider passes its latest props).
    pub fn set_callbacks(&self, options: &AuthKitOptions) {
        let mut mine = self.inner.options.borrow_mut();
        mine.on_redirect_callback = options.on_redirect_callback.clone();
        mine.on_refresh = options.on_refresh.clone();
        mine.on_refresh_failure = options.on_refresh_failure.clone();
        mine.on_before_auto_refresh = options.on_before_auto_refresh.clone();
        mine.navigate = options.navigate.clone();
    }

    /// Builds the sign-in (or sign-up) URL and stores a fresh PKCE verifier for it in this tab.
    /// Only the most recently built URL can complete. Fails where the page has no secure
    /// random source ([`AuthKitError::NoSecureRandom`]) and where the browser refuses to store
    /// the verifier ([`AuthKitError::Storage`]: a URL whose callback could not complete is
    /// never handed out).
    pub fn sign_in_url(
        &self,
        options: &SignInOptions,
        sign_up: bool,
    ) -> Result<String, AuthKitError> {
        let bytes = browser::secure_random_bytes(96).ok_or(AuthKitError::NoSecureRandom)?;
        let mut random = [0u8; 96];
        random.copy_from_slice(&bytes);
        let (tx, mut rx) = oneshot::channel();
        self.ask(
            |s, _now| s.sign_in_url(options, sign_up, &random),
            Answer::SignInUrl(tx),
        );
        // Storage is synchronous: the answer is in by now.
        match rx.try_recv() {
            Ok(Some(answer)) => answer,
            _ => Err(AuthKitError::Storage(
                "the sign-in verifier was not stored".into(),
            )),
        }
    }

    /// Goes to the hosted sign-in page.
    pub fn sign_in(&self, options: SignInOptions) -> Result<(), AuthKitError> {
        let url = self.sign_in_url(&options, false)?;
        navigate(&self.inner, &url)
            .then_some(())
            .ok_or(AuthKitError::NoWindow)
    }

    /// Goes to the hosted sign-up page.
    pub fn sign_up(&self, options: SignInOptions) -> Result<(), AuthKitError> {
        let url = self.sign_in_url(&options, true)?;
        navigate(&self.inner, &url)
            .then_some(())
            .ok_or(AuthKitError::NoWindow)
    }

    /// An access token: the one in memory while it is fresh, otherwise a refreshed one.
    /// `force_refresh` always refreshes. authkit-js's rules: a transient failure hands out a
    /// still-valid token unless forced; a terminal one ends the session
    /// ([`AuthKitError::LoginRequired`]). Dropping the future loses only the answer.
    pub async fn get_access_token(&self, force_refresh: bool) -> Result<String, AuthKitError> {
        let (tx, rx) = oneshot::channel();
        self.ask(
            |s, now| s.get_access_token(force_refresh, now),
            Answer::Token(tx),
        );
        rx.await.unwrap_or(Err(AuthKitError::Disposed))
    }

    /// Moves the session to another organization. A switch asked for during a refresh runs
    /// after it. When AuthKit refuses the switch for good, the session is kept and the page
    /// goes to the hosted sign-in for that organization, as authkit-js does
    /// ([`SwitchOutcome::SigningIn`]); a transient failure is an error and changes nothing.
    pub async fn switch_to_organization(
        &self,
        organization_id: &str,
    ) -> Result<SwitchOutcome, AuthKitError> {
        self.switch_to_organization_with(organization_id, SwitchOptions::default())
            .await
    }

    /// [`switch_to_organization`](Self::switch_to_organization) with sign-in options for the
    /// redirect, or no redirect at all ([`AuthKitError::OrganizationRefused`] instead).
    pub async fn switch_to_organization_with(
        &self,
        organization_id: &str,
        options: SwitchOptions,
    ) -> Result<SwitchOutcome, AuthKitError> {
        let (tx, rx) = oneshot::channel();
        self.ask(
            |s, now| s.switch_to_organization(organization_id, now),
            Answer::Switch(tx),
        );
        match rx.await.unwrap_or(Err(AuthKitError::Disposed)) {
            Ok(()) => Ok(SwitchOutcome::Switched),
            Err(AuthKitError::OrganizationRefused(_)) if !options.no_redirect => {
                let sign_in = SignInOptions {
                    organization_id: Some(organization_id.to_owned()),
                    ..options.sign_in
                };
                self.sign_in(sign_in)?;
                Ok(SwitchOutcome::SigningIn)
            }
            Err(e) => Err(e),
        }
    }

    /// Asks the session something whose answer comes as an event for the returned waiter.
    fn ask(
        &self,
        call: impl FnOnce(&mut AuthKitSession, convex_yew_core::time::Instant) -> WaiterId,
        answer: Answer,
    ) {
        let waiter = call(&mut self.inner.session.borrow_mut(), browser::now());
        self.inner.answers.borrow_mut().insert(waiter, answer);
        drive(&self.inner);
    }

    /// Signs out: this tab's session ends at once (a refresh in flight is abandoned and its
    /// answer ignored), then AuthKit's logout URL is visited (`navigate`), or called in the
    /// background and awaited.
    pub async fn sign_out(
        &self,
        return_to: Option<&str>,
        navigate: bool,
    ) -> Result<(), AuthKitError> {
        self.inner
            .session
            .borrow_mut()
            .sign_out(return_to, navigate, browser::now())?;
        drive(&self.inner);
        let beacons = std::mem::take(&mut *self.inner.beacons.borrow_mut());
        for b in beacons {
            let _ = b.await;
        }
        Ok(())
    }

    /// Stops for good: timers and page listeners go, listeners are dropped, callers get
    /// [`AuthKitError::Disposed`]. A refresh whose request is already out still finishes in
    /// the background and keeps the rotated refresh token, so the tab's session survives.
    pub fn dispose(&self) {
        self.inner.session.borrow_mut().dispose();
        self.inner.listeners.borrow_mut().clear();
        self.inner.wake.borrow_mut().take();
        self.inner.clock_watch.borrow_mut().take();
        drive(&self.inner);
    }
}

/// Whether an automatic refresh may run now: the app's hook, or "the tab is visible". Runs
/// with no borrow held, so the hook may call back into the client.
fn auto_refresh_allowed(inner: &Inner) -> bool {
    let hook = inner.options.borrow().on_before_auto_refresh.clone();
    match hook {
        Some(f) => f(),
        None => browser_io::visible(),
    }
}

/// Carries out the session's I/O and events until it has nothing more, then arms its timer.
/// No borrow is held while I/O runs, so I/O may answer synchronously (storage reads).
fn drive(inner: &Rc<Inner>) {
    loop {
        let io = inner.session.borrow_mut().poll_io();
        if let Some(io) = io {
            execute(inner, io);
            continue;
        }
        let event = inner.session.borrow_mut().poll_event();
        match event {
            Some(event) => dispatch(inner, event),
            None => break,
        }
    }
    let seen = {
        let session = inner.session.borrow();
        Seen {
            loading: session.is_loading(),
            snapshot: session.snapshot(),
            callback_error: session.callback_error().cloned(),
        }
    };
    if *inner.seen.borrow() != seen {
        if let Some(e) = &seen.callback_error {
            if inner.seen.borrow().callback_error.as_ref() != Some(e) {
                browser::log(Level::Error, &format!("[convex-yew] {}", crate::report(e)));
            }
        }
        *inner.seen.borrow_mut() = seen;
        let listeners: Vec<Listener> = inner
            .listeners
            .borrow()
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for l in listeners {
            l();
        }
    }
    let next = inner.session.borrow().poll_timeout();
    *inner.timer.borrow_mut() = next.map(|at| {
        let delay = at
            .as_millis()
            .saturating_sub(browser::now().as_millis())
            .min(u32::MAX as u64 / 2) as u32;
        let weak = Rc::downgrade(inner);
        Timeout::new(delay, move || on_clock(&weak, Clock::Timer))
    });
}

/// What woke the session up.
#[derive(Clone, Copy)]
enum Clock {
    /// Its timer fired.
    Timer,
    /// The page came back (visible, online, focused).
    Wake,
}

/// Hands the time to the session (if the client is still alive) and carries out the rest.
fn on_clock(weak: &Weak<Inner>, clock: Clock) {
    let Some(inner) = weak.upgrade() else { return };
    {
        let mut session = inner.session.borrow_mut();
        let now = browser::now();
        match clock {
            Clock::Timer => session.handle_timeout(now),
            Clock::Wake => {
                session.handle_wall_clock(browser::wall_ms(), now);
                session.handle_wake(now)
            }
        }
    }
    drive(&inner);
}

fn execute(inner: &Rc<Inner>, io: SessionIo) {
    match io {
        SessionIo::Authenticate {
            request,
            url,
            body,
            with_cookies,
            ..
        } => {
            let abort = web_sys::AbortController::new().ok();
            let signal = abort.as_ref().map(|a| a.signal());
            if let Some(a) = abort {
                inner.requests.borrow_mut().insert(request, a);
            }
            // A strong reference: the answer must reach the session even if every handle
            // was dropped (a disposed session finishing its refresh).
            let inner = inner.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let answer =
                    browser_io::post_json(&url, body.expose(), with_cookies, signal.as_ref()).await;
                inner.requests.borrow_mut().remove(&request);
                inner
                    .session
                    .borrow_mut()
                    .handle_response(request, answer, browser::now());
                drive(&inner);
            });
        }
        SessionIo::CancelRequest { request } => {
            if let Some(a) = inner.requests.borrow_mut().remove(&request) {
                a.abort();
            }
        }
        SessionIo::AcquireLock { lock, .. } => {
            let keep = inner.clone();
            let request = LockRequest::new(LOCK_NAME, move || {
                keep.session
                    .borrow_mut()
                    .handle_lock_granted(lock, browser::now());
                drive(&keep);
            });
            inner.locks.borrow_mut().insert(lock, request);
        }
        SessionIo::ReleaseLock { lock } => {
            let request = inner.locks.borrow_mut().remove(&lock);
            if let Some(r) = request {
                r.release();
            }
        }
        SessionIo::Read { read, area, key } => {
            let value = browser_io::get(storage(area), &key);
            inner
                .session
                .borrow_mut()
                .handle_storage_read(read, value, browser::now());
        }
        SessionIo::Write {
            write,
            area,
            key,
            value,
        } => {
            let result = browser_io::set(storage(area), &key, value.expose());
            inner
                .session
                .borrow_mut()
                .handle_storage_written(write, result, browser::now());
        }
        SessionIo::WriteIf {
            write,
            area,
            key,
            expected,
            value,
        } => {
            let store = storage(area);
            let current = browser_io::get(store.clone(), &key);
            let result = if current.as_deref() == expected.as_ref().map(Secret::expose) {
                browser_io::set(store, &key, value.expose())
            } else {
                Ok(())
            };
            inner
                .session
                .borrow_mut()
                .handle_storage_written(write, result, browser::now());
        }
        SessionIo::RemoveIf {
            area,
            key,
            expected,
        } => {
            let store = storage(area);
            if browser_io::get(store.clone(), &key).as_deref() == Some(expected.expose()) {
                browser_io::remove(store, &key);
            }
        }
        SessionIo::Remove { area, key } => browser_io::remove(storage(area), &key),
        SessionIo::ReplaceSearch { search } => browser_io::replace_search(&search),
        SessionIo::Navigate { url } => {
            navigate(inner, &url);
        }
        SessionIo::Beacon { url } => {
            let (tx, rx) = oneshot::channel();
            inner.beacons.borrow_mut().push(rx);
            wasm_bindgen_futures::spawn_local(async move {
                browser_io::fire_and_forget(&url).await;
                let _ = tx.send(());
            });
        }
        SessionIo::AskAutoRefresh { ask } => {
            let allowed = auto_refresh_allowed(inner);
            inner
                .session
                .borrow_mut()
                .handle_auto_refresh_answer(ask, allowed, browser::now());
        }
    }
}

fn storage(area: StorageArea) -> Option<web_sys::Storage> {
    match area {
        StorageArea::Local => browser_io::local(),
        StorageArea::Session => browser_io::session(),
    }
}

fn dispatch(inner: &Rc<Inner>, event: SessionEvent) {
    match event {
        SessionEvent::Token { waiter, result } => {
            if let Some(Answer::Token(tx)) = inner.answers.borrow_mut().remove(&waiter) {
                let _ = tx.send(result.map(|t| t.0));
            }
        }
        SessionEvent::OrganizationSwitched { waiter, result } => {
            if let Some(Answer::Switch(tx)) = inner.answers.borrow_mut().remove(&waiter) {
                let _ = tx.send(result);
            }
        }
        SessionEvent::Refreshed { access_token } => {
            let f = inner.options.borrow().on_refresh.clone();
            if let Some(f) = f {
                let snapshot = inner.session.borrow().snapshot();
                f(&RefreshParams {
                    snapshot,
                    access_token,
                });
            }
        }
        SessionEvent::RefreshFailed(e) => {
            browser::log(Level::Warn, &format!("[convex-yew] {}", crate::report(&e)));
            let f = inner.options.borrow().on_refresh_failure.clone();
            if let Some(f) = f {
                f(&e);
            }
        }
        SessionEvent::SignedIn {
            state,
            access_token,
        } => {
            let f = inner.options.borrow().on_redirect_callback.clone();
            if let Some(f) = f {
                let (snapshot, claims) = {
                    let session = inner.session.borrow();
                    (session.snapshot(), session.claims())
                };
                f(RedirectParams {
                    state,
                    snapshot,
                    access_token,
                    claims,
                });
            }
        }
        SessionEvent::SignInUrl { waiter, result } => {
            if let Some(Answer::SignInUrl(tx)) = inner.answers.borrow_mut().remove(&waiter) {
                let _ = tx.send(result);
            }
        }
        SessionEvent::StorageFailed(error) => {
            let e = RefreshError::Storage(error);
            browser::log(Level::Warn, &format!("[convex-yew] {}", crate::report(&e)));
            let f = inner.options.borrow().on_refresh_failure.clone();
            if let Some(f) = f {
                f(&e);
            }
        }
        SessionEvent::Warning(warning) => {
            browser::log(Level::Warn, &format!("[convex-yew] {warning}"))
        }
        SessionEvent::Changed => {} // `drive` compares what listeners see
    }
}
