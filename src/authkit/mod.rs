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
mod driver;
pub(crate) mod lock;
mod options;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use convex_yew_core::authkit::urls::SignInOptions;
use convex_yew_core::authkit::{
    AuthKitError, AuthKitSession, AuthSnapshot, Claims, PageLoad, Secret, User, WaiterId,
    VERIFIER_KEY,
};
use futures::channel::oneshot;

use crate::runtime::browser::{self, ClockWatch, WakeListeners};
use driver::{drive, navigate, on_clock, Answer, Clock, Inner, Notified};
pub use options::{
    AuthKitOptions, Navigator, OnRefresh, OnRefreshFailure, RedirectParams, RefreshParams,
    SwitchOptions, SwitchOutcome,
};

/// The AuthKit session of this tab. Cheap to clone.
///
/// ```no_run
/// use convex_yew::{AuthKitClient, AuthKitOptions};
/// use convex_yew::core::authkit::AuthKitConfig;
/// # async fn run() -> Result<(), convex_yew::AuthKitError> {
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
                notified: RefCell::new(Notified {
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
        self.ask(|s, _now| s.sign_in_url(options, sign_up, &random), tx);
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
        self.ask(|s, now| s.get_access_token(force_refresh, now), tx);
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
        self.ask(|s, now| s.switch_to_organization(organization_id, now), tx);
        match rx.await.unwrap_or(Err(AuthKitError::Disposed)) {
            Ok(_) => Ok(SwitchOutcome::Switched),
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
