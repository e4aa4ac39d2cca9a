//! [`AuthKitClient`]: WorkOS AuthKit sign-in in the browser, the behaviour of
//! `@workos-inc/authkit-js` without its known faults (code-exchange errors reach the app,
//! roles compare by value, state is reset on terminal refresh failures and on sign-out).
//!
//! - [`lock`]: the cross-tab refresh lock (Web Locks, with a localStorage fallback).
//! - [`browser_io`]: storage, `fetch`, navigation.
//!
//! The decisions themselves (PKCE, URLs, claims, expiry, failure classes) live in the sans-IO
//! core: [`convex_yew_core::authkit`].

pub mod browser_io;
pub mod lock;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

pub use convex_yew_core::authkit::urls::SignInOptions;
use convex_yew_core::authkit::urls::{self, Callback};
use convex_yew_core::authkit::{
    config::VERIFIER_KEY, pkce, session, AuthKitConfig, AuthResponse, Claims, ConfigError,
    Impersonator, RefreshError, User,
};
use convex_yew_core::sync::Instant;
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_timers::callback::Timeout;
use serde_json::{json, Value as Json};

use crate::runtime::browser::{self, Level, WakeListeners};

/// The lock authkit-js uses, so tabs running either SDK serialise refreshes together.
const LOCK_NAME: &str = "WORKOS_REFRESH_SESSION";
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an AuthKit call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthKitError {
    /// The configuration cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No session: the user must sign in.
    #[error("No access token available: sign in first")]
    LoginRequired,
    /// `sign_out` without a session.
    #[error("there is no session to sign out of")]
    NoSession,
    /// The callback page had a code but this tab has no PKCE verifier (sign-in started in
    /// another tab, or a forged link): nothing was sent.
    #[error("the sign-in callback has no PKCE verifier in this tab; sign-in must start and finish in the same tab")]
    MissingVerifier,
    /// The code exchange failed.
    #[error("the sign-in code exchange failed: {0}")]
    CodeExchange(RefreshError),
    /// A transient refresh failure: the session is kept; try again later.
    #[error(transparent)]
    Refresh(RefreshError),
    /// The page has no `window` (not a browser).
    #[error("AuthKit needs a browser window")]
    NoWindow,
}

impl AuthKitError {
    /// A failure that may pass; the session is kept.
    pub fn is_transient(&self) -> bool {
        matches!(self, AuthKitError::Refresh(e) if e.is_transient())
    }
}

/// What the app sees of the session (all derived from the last authenticate response and the
/// access token's claims). Compared by value, so unchanged refreshes re-render nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuthSnapshot {
    /// The signed-in user.
    pub user: Option<User>,
    /// The session's organization.
    pub organization_id: Option<String>,
    /// The membership's role.
    pub role: Option<String>,
    /// The membership's roles.
    pub roles: Option<Vec<String>>,
    /// Permissions.
    pub permissions: Vec<String>,
    /// Feature flags.
    pub feature_flags: Vec<String>,
    /// Set during impersonation.
    pub impersonator: Option<Impersonator>,
    /// How the user signed in.
    pub authentication_method: Option<String>,
}

/// What `on_redirect_callback` receives after a successful sign-in.
#[derive(Debug, Clone, PartialEq)]
pub struct RedirectParams {
    /// The `state` passed to `sign_in` (untrusted: check any return URL is same-origin).
    pub state: Option<Json>,
    /// The session after sign-in.
    pub snapshot: AuthSnapshot,
}

type Listener = Rc<dyn Fn()>;
/// A callback with the session after a refresh.
pub type OnRefresh = Rc<dyn Fn(&AuthSnapshot)>;
/// A callback with a terminal refresh failure.
pub type OnRefreshFailure = Rc<dyn Fn(&RefreshError)>;

/// Settings and callbacks of an [`AuthKitClient`].
#[derive(Clone)]
pub struct AuthKitOptions {
    /// Where AuthKit is and where users come back.
    pub config: AuthKitConfig,
    /// After a successful sign-in, with the app's state.
    pub on_redirect_callback: Option<Rc<dyn Fn(RedirectParams)>>,
    /// After every successful code exchange and refresh.
    pub on_refresh: Option<OnRefresh>,
    /// When a refresh fails for good (not for the first refresh after page load).
    pub on_refresh_failure: Option<OnRefreshFailure>,
    /// Asked before each automatic refresh; the default skips hidden tabs.
    pub on_before_auto_refresh: Option<Rc<dyn Fn() -> bool>>,
}

impl AuthKitOptions {
    /// Options with no callbacks.
    pub fn new(config: AuthKitConfig) -> AuthKitOptions {
        AuthKitOptions {
            config,
            on_redirect_callback: None,
            on_refresh: None,
            on_refresh_failure: None,
            on_before_auto_refresh: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Initial,
    Authenticated,
    /// A terminal failure: no refresh until a new sign-in.
    Error,
}

type RefreshFuture = Shared<LocalBoxFuture<'static, Result<(), RefreshError>>>;

struct Inner {
    options: AuthKitOptions,
    phase: Cell<Phase>,
    response: RefCell<Option<AuthResponse>>,
    claims: RefCell<Claims>,
    expires_at: Cell<Option<Instant>>,
    /// Outside dev mode the refresh token (if the server returns one) stays in memory only.
    memory_refresh_token: RefCell<Option<String>>,
    in_flight: RefCell<Option<RefreshFuture>>,
    refreshes_done: Cell<u32>,
    listeners: RefCell<Vec<(u64, Listener)>>,
    next_listener: Cell<u64>,
    timer: RefCell<Option<Timeout>>,
    wake: RefCell<Option<WakeListeners>>,
    callback_error: RefCell<Option<AuthKitError>>,
    disposed: Cell<bool>,
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
            .field("client_id", &self.inner.options.config.client_id)
            .finish()
    }
}

impl AuthKitClient {
    /// Creates the client: on the redirect page it exchanges the code (a failure is kept in
    /// [`callback_error`](Self::callback_error), not thrown away), otherwise it restores a stored
    /// session. Fails only for a configuration that cannot work.
    pub async fn create(options: AuthKitOptions) -> Result<AuthKitClient, AuthKitError> {
        options.config.validate()?;
        if web_sys::window().is_none() {
            return Err(AuthKitError::NoWindow);
        }
        let client = AuthKitClient {
            inner: Rc::new(Inner {
                options,
                phase: Cell::new(Phase::Initial),
                response: RefCell::new(None),
                claims: RefCell::new(Claims::default()),
                expires_at: Cell::new(None),
                memory_refresh_token: RefCell::new(None),
                in_flight: RefCell::new(None),
                refreshes_done: Cell::new(0),
                listeners: RefCell::new(Vec::new()),
                next_listener: Cell::new(0),
                timer: RefCell::new(None),
                wake: RefCell::new(None),
                callback_error: RefCell::new(None),
                disposed: Cell::new(false),
            }),
        };
        let weak = Rc::downgrade(&client.inner);
        *client.inner.wake.borrow_mut() = Some(WakeListeners::new(move || {
            if let Some(inner) = weak.upgrade() {
                AuthKitClient { inner }.auto_refresh_tick();
            }
        }));
        client.initialize().await;
        Ok(client)
    }

    async fn initialize(&self) {
        let config = &self.inner.options.config;
        let page = browser_io::location();
        if let Some(cb) = page
            .as_ref()
            .and_then(|(path, search)| urls::callback(config, path, search))
        {
            self.handle_callback(cb, page.map(|p| p.1).unwrap_or_default())
                .await;
            return;
        }
        let stored = if config.dev_mode {
            browser_io::get(browser_io::local(), &config.refresh_token_key()).is_some()
        } else {
            browser_io::has_session_hint(&config.client_id)
        };
        if stored {
            let _ = self.refresh(None).await;
        }
    }

    async fn handle_callback(&self, cb: Callback, search: String) {
        let config = &self.inner.options.config;
        let verifier = browser_io::get(browser_io::session(), VERIFIER_KEY);
        let outcome = match verifier {
            None => Err(AuthKitError::MissingVerifier),
            Some(verifier) => {
                let body = json!({"code": cb.code, "client_id": config.client_id, "grant_type": "authorization_code", "code_verifier": verifier});
                let url = format!("{}/user_management/authenticate", config.base_url());
                browser_io::authenticate(&url, &body, !config.dev_mode)
                    .await
                    .map_err(AuthKitError::CodeExchange)
            }
        };
        browser_io::remove(browser_io::session(), VERIFIER_KEY);
        browser_io::replace_search(&urls::clean_search(&search));
        match outcome {
            Ok(response) => {
                self.store(response);
                self.inner
                    .refreshes_done
                    .set(self.inner.refreshes_done.get() + 1);
                if let Some(cb_fn) = &self.inner.options.on_redirect_callback {
                    cb_fn(RedirectParams {
                        state: cb.state,
                        snapshot: self.snapshot(),
                    });
                }
            }
            Err(e) => {
                browser::log(Level::Error, &format!("[convex-yew] {e}"));
                self.inner.phase.set(Phase::Error);
                *self.inner.callback_error.borrow_mut() = Some(e);
                self.notify();
            }
        }
    }

    /// The error of the sign-in callback on this page load, if the code exchange failed.
    pub fn callback_error(&self) -> Option<AuthKitError> {
        self.inner.callback_error.borrow().clone()
    }

    /// The session as the app sees it.
    pub fn snapshot(&self) -> AuthSnapshot {
        let response = self.inner.response.borrow();
        let Some(r) = response.as_ref() else {
            return AuthSnapshot::default();
        };
        let claims = self.inner.claims.borrow();
        AuthSnapshot {
            user: Some(r.user.clone()),
            organization_id: r.organization_id.clone().or_else(|| claims.org_id.clone()),
            role: claims.role.clone(),
            roles: claims.roles.clone(),
            permissions: claims.permissions.clone(),
            feature_flags: claims.feature_flags.clone(),
            impersonator: r.impersonator.clone(),
            authentication_method: r.authentication_method.clone(),
        }
    }

    /// The current access token's claims (`sid`, `org_id`, `role`, `roles`, `permissions`,
    /// `feature_flags`, `exp`, ...), decoded without verification; empty when signed out.
    pub fn claims(&self) -> Claims {
        self.inner.claims.borrow().clone()
    }

    /// The signed-in user.
    pub fn user(&self) -> Option<User> {
        self.inner
            .response
            .borrow()
            .as_ref()
            .map(|r| r.user.clone())
    }

    /// Calls `listener` whenever the session changes (sign-in, refresh, sign-out, failure).
    pub fn subscribe(&self, listener: impl Fn() + 'static) -> u64 {
        let id = self.inner.next_listener.get() + 1;
        self.inner.next_listener.set(id);
        self.inner
            .listeners
            .borrow_mut()
            .push((id, Rc::new(listener)));
        id
    }

    /// Removes a listener.
    pub fn unsubscribe(&self, id: u64) {
        self.inner.listeners.borrow_mut().retain(|(l, _)| *l != id);
    }

    fn notify(&self) {
        let listeners: Vec<Listener> = self
            .inner
            .listeners
            .borrow()
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for l in listeners {
            l();
        }
    }

    /// Builds the sign-in (or sign-up) URL and stores a fresh PKCE verifier for it in this tab.
    /// Only the most recently built URL can complete.
    pub fn sign_in_url(&self, options: &SignInOptions, sign_up: bool) -> String {
        let bytes = browser::random_bytes(96);
        let mut random = [0u8; 96];
        random.copy_from_slice(&bytes);
        let verifier = pkce::verifier(&random);
        browser_io::set(browser_io::session(), VERIFIER_KEY, &verifier);
        urls::authorize_url(
            &self.inner.options.config,
            options,
            &pkce::challenge(&verifier),
            sign_up,
        )
    }

    /// Goes to the hosted sign-in page.
    pub fn sign_in(&self, options: SignInOptions) -> Result<(), AuthKitError> {
        let url = self.sign_in_url(&options, false);
        browser_io::navigate(&url)
            .then_some(())
            .ok_or(AuthKitError::NoWindow)
    }

    /// Goes to the hosted sign-up page.
    pub fn sign_up(&self, options: SignInOptions) -> Result<(), AuthKitError> {
        let url = self.sign_in_url(&options, true);
        browser_io::navigate(&url)
            .then_some(())
            .ok_or(AuthKitError::NoWindow)
    }

    /// An access token: the one in memory while it is fresh, otherwise a refreshed one.
    /// `force_refresh` always refreshes. Follows authkit-js's rules: a transient failure hands
    /// out a still-valid token unless forced; a terminal one ends the session
    /// ([`AuthKitError::LoginRequired`]).
    pub async fn get_access_token(&self, force_refresh: bool) -> Result<String, AuthKitError> {
        let inner = &self.inner;
        let buffer = inner.options.config.refresh_buffer_secs;
        let should = match inner.phase.get() {
            Phase::Error => false,
            Phase::Initial => true,
            Phase::Authenticated => {
                session::needs_refresh(inner.expires_at.get(), browser::now(), buffer)
            }
        };
        if force_refresh || (should && inner.phase.get() != Phase::Error) {
            let mut retried = false;
            loop {
                match self.refresh(None).await {
                    Ok(()) => break,
                    Err(e) => {
                        let valid = inner.expires_at.get().is_some_and(|at| at > browser::now());
                        match session::after_failure(&e, force_refresh, valid, retried) {
                            session::AfterFailure::UseCurrentToken => break,
                            session::AfterFailure::RetryOnce => retried = true,
                            session::AfterFailure::Transient => {
                                return Err(AuthKitError::Refresh(e))
                            }
                            session::AfterFailure::LoginRequired => {
                                return Err(AuthKitError::LoginRequired)
                            }
                        }
                    }
                }
            }
        }
        inner
            .response
            .borrow()
            .as_ref()
            .map(|r| r.access_token.clone())
            .ok_or(AuthKitError::LoginRequired)
    }

    /// Moves the session to another organization (a refresh with `organization_id`).
    pub async fn switch_to_organization(&self, organization_id: &str) -> Result<(), AuthKitError> {
        browser_io::set(
            browser_io::session(),
            &self.inner.options.config.org_key(),
            organization_id,
        );
        match self.refresh(Some(organization_id.to_owned())).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_transient() => Err(AuthKitError::Refresh(e)),
            Err(_) => Err(AuthKitError::LoginRequired),
        }
    }

    /// Signs out: clears this tab's session at once, then goes to AuthKit's logout URL (which
    /// revokes the session and returns to `return_to`), or with `navigate: false` calls it in
    /// the background.
    pub async fn sign_out(
        &self,
        return_to: Option<&str>,
        navigate: bool,
    ) -> Result<(), AuthKitError> {
        let sid = self
            .inner
            .claims
            .borrow()
            .sid
            .clone()
            .filter(|_| self.inner.response.borrow().is_some());
        let Some(sid) = sid else {
            return Err(AuthKitError::NoSession);
        };
        let url = urls::logout_url(&self.inner.options.config, &sid, return_to);
        self.clear_session(Phase::Initial);
        if navigate {
            browser_io::navigate(&url);
        } else {
            browser_io::fire_and_forget(&url).await;
        }
        Ok(())
    }

    /// Stops refreshing and detaches page listeners.
    pub fn dispose(&self) {
        self.inner.disposed.set(true);
        self.inner.timer.borrow_mut().take();
        self.inner.wake.borrow_mut().take();
    }

    fn clear_session(&self, phase: Phase) {
        let config = &self.inner.options.config;
        *self.inner.response.borrow_mut() = None;
        *self.inner.claims.borrow_mut() = Claims::default();
        *self.inner.memory_refresh_token.borrow_mut() = None;
        self.inner.expires_at.set(None);
        self.inner.phase.set(phase);
        self.inner.timer.borrow_mut().take();
        browser_io::remove(browser_io::local(), &config.refresh_token_key());
        browser_io::remove(browser_io::local(), "workos:refresh-token");
        browser_io::remove(browser_io::session(), &config.org_key());
        browser_io::remove(browser_io::session(), "workos_organization_id");
        self.notify();
    }

    fn store(&self, response: AuthResponse) {
        let config = &self.inner.options.config;
        let claims = Claims::decode(&response.access_token).unwrap_or_default();
        self.inner
            .expires_at
            .set(Some(session::expires_at(browser::now(), &claims)));
        if let Some(rt) = &response.refresh_token {
            if config.dev_mode {
                browser_io::set(browser_io::local(), &config.refresh_token_key(), rt);
            } else {
                *self.inner.memory_refresh_token.borrow_mut() = Some(rt.clone());
            }
        }
        let before = self.snapshot();
        *self.inner.claims.borrow_mut() = claims;
        *self.inner.response.borrow_mut() = Some(response);
        self.inner.phase.set(Phase::Authenticated);
        self.arm_timer();
        let after = self.snapshot();
        if let Some(f) = &self.inner.options.on_refresh {
            f(&after);
        }
        if before != after {
            self.notify();
        }
    }

    /// One refresh at a time in this tab (callers join the one in flight); across tabs, the
    /// lock serialises them and the refresh token is re-read inside it.
    async fn refresh(&self, organization_id: Option<String>) -> Result<(), RefreshError> {
        let existing = self.inner.in_flight.borrow().clone();
        if let Some(f) = existing {
            return f.await;
        }
        let me = self.clone();
        let fut: LocalBoxFuture<'static, Result<(), RefreshError>> =
            Box::pin(async move { me.refresh_locked(organization_id).await });
        let shared = fut.shared();
        *self.inner.in_flight.borrow_mut() = Some(shared.clone());
        let out = shared.await;
        *self.inner.in_flight.borrow_mut() = None;
        out
    }

    async fn refresh_locked(&self, organization_id: Option<String>) -> Result<(), RefreshError> {
        let me = self.clone();
        let result = lock::with_lock(LOCK_NAME, LOCK_TIMEOUT, move || async move {
            me.refresh_request(organization_id).await
        })
        .await
        .unwrap_or(Err(RefreshError::LockTimeout));
        let first = self.inner.refreshes_done.get() == 0;
        self.inner
            .refreshes_done
            .set(self.inner.refreshes_done.get() + 1);
        if let Err(e) = &result {
            if !e.is_transient() {
                self.clear_session(Phase::Error);
                if !first {
                    if let Some(f) = &self.inner.options.on_refresh_failure {
                        f(e);
                    }
                }
            }
        }
        result
    }

    async fn refresh_request(&self, organization_id: Option<String>) -> Result<(), RefreshError> {
        let config = &self.inner.options.config;
        let mut body = json!({"client_id": config.client_id, "grant_type": "refresh_token"});
        if config.dev_mode {
            // Re-read inside the lock: another tab may have rotated it.
            let stored = browser_io::get(browser_io::local(), &config.refresh_token_key())
                .or_else(|| browser_io::get(browser_io::local(), "workos:refresh-token"));
            match stored {
                Some(rt) => body["refresh_token"] = json!(rt),
                None => {
                    return Err(RefreshError::Terminal {
                        status: 400,
                        error: Some("missing_refresh_token".into()),
                        description: Some("no stored session".into()),
                    })
                }
            }
        }
        let org = organization_id
            .or_else(|| self.inner.claims.borrow().org_id.clone())
            .or_else(|| browser_io::get(browser_io::session(), &config.org_key()));
        if let Some(org) = org {
            body["organization_id"] = json!(org);
        }
        let url = format!("{}/user_management/authenticate", config.base_url());
        let response = browser_io::authenticate(&url, &body, !config.dev_mode).await?;
        self.store(response);
        Ok(())
    }

    fn arm_timer(&self) {
        if self.inner.disposed.get() {
            return;
        }
        let Some(at) = self.inner.expires_at.get() else {
            return;
        };
        let buffer = self.inner.options.config.refresh_buffer_secs * 1000;
        let delay = at
            .as_millis()
            .saturating_sub(buffer)
            .saturating_sub(browser::now().as_millis())
            + 50;
        let weak = Rc::downgrade(&self.inner);
        *self.inner.timer.borrow_mut() = Some(Timeout::new(
            delay.min(u32::MAX as u64 / 2) as u32,
            move || {
                if let Some(inner) = weak.upgrade() {
                    AuthKitClient { inner }.auto_refresh_tick();
                }
            },
        ));
    }

    /// The automatic refresh: due, visible (or allowed by `on_before_auto_refresh`), not failed.
    fn auto_refresh_tick(&self) {
        let inner = &self.inner;
        if inner.disposed.get() || inner.phase.get() != Phase::Authenticated {
            return;
        }
        if !session::needs_refresh(
            inner.expires_at.get(),
            browser::now(),
            inner.options.config.refresh_buffer_secs,
        ) {
            return;
        }
        let allowed = inner
            .options
            .on_before_auto_refresh
            .as_ref()
            .map_or_else(browser_io::visible, |f| f());
        if !allowed {
            return; // re-checked on visibilitychange / online / focus
        }
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = me.refresh(None).await {
                web_sys::console::debug_1(
                    &format!("[convex-yew] automatic refresh failed: {e}").into(),
                );
                if e.is_transient() {
                    // Try again shortly while the token lasts.
                    let weak = Rc::downgrade(&me.inner);
                    *me.inner.timer.borrow_mut() = Some(Timeout::new(5_000, move || {
                        if let Some(inner) = weak.upgrade() {
                            AuthKitClient { inner }.auto_refresh_tick();
                        }
                    }));
                }
            }
        });
    }
}
