//! [`AuthKitSession`]: the AuthKit session of one tab as a state machine without I/O, driven
//! like [`SyncClient`](crate::sync::SyncClient).
//!
//! - Commands from the app: [`start`](AuthKitSession::start), [`get_access_token`](AuthKitSession::get_access_token),
//!   [`switch_to_organization`](AuthKitSession::switch_to_organization), [`sign_out`](AuthKitSession::sign_out),
//!   [`sign_in_url`](AuthKitSession::sign_in_url), [`dispose`](AuthKitSession::dispose).
//! - Inputs, each with `now`: [`handle_response`](AuthKitSession::handle_response) (HTTP),
//!   [`handle_lock_granted`](AuthKitSession::handle_lock_granted), [`handle_storage_read`](AuthKitSession::handle_storage_read),
//!   [`handle_timeout`](AuthKitSession::handle_timeout), [`handle_wake`](AuthKitSession::handle_wake).
//! - Outputs: [`poll_io`](AuthKitSession::poll_io) ([`SessionIo`]: requests with ids and
//!   deadlines, lock acquire/release, storage, navigation), [`poll_event`](AuthKitSession::poll_event)
//!   ([`SessionEvent`]), [`poll_timeout`](AuthKitSession::poll_timeout).
//!
//! One call to AuthKit runs at a time (module `op`): callers join it, an organization switch waits
//! for it, and every answer names the id of what it answers, so a late response after
//! `sign_out`, a lock granted after its deadline, or a response to a request that was given up
//! changes nothing. Callers are [`WaiterId`]s, not futures: a caller that goes away cannot
//! leave the call half-done or the lock held.
//!
//! ```
//! use convex_yew_core::authkit::machine::{AuthKitSession, PageLoad, SessionIo, SessionEvent};
//! use convex_yew_core::authkit::AuthKitConfig;
//! use convex_yew_core::sync::Instant;
//!
//! let mut config = AuthKitConfig::new("client_1", "http://localhost:8080", "localhost");
//! config.redirect_uri = "http://localhost:8080/callback".into();
//! let now = Instant::from_millis(1_700_000_000_000);
//! let mut session = AuthKitSession::new(config, now);
//! // A page load with a stored session: the machine takes the cross-tab lock first.
//! session.start(PageLoad { has_stored_session: true, ..Default::default() }, now);
//! assert!(session.is_loading());
//! let Some(SessionIo::AcquireLock { lock, .. }) = session.poll_io() else { panic!() };
//! session.handle_lock_granted(lock, now);
//! // Inside the lock it re-reads the refresh token (another tab may have rotated it).
//! let Some(SessionIo::Read { read, .. }) = session.poll_io() else { panic!() };
//! session.handle_storage_read(read, None, now); // gone: the session is over
//! assert!(matches!(session.poll_io(), Some(SessionIo::ReleaseLock { .. })));
//! assert!(!session.is_loading() && session.snapshot().user.is_none());
//! ```

pub mod io;
mod op;

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::json;

pub use io::{OpId, PageLoad, Secret, SessionEvent, SessionIo, StorageArea, TokenString, WaiterId};
use op::{Op, OpKind, QueuedSwitch, Step, TokenWaiter};

use super::claims::{Claims, ClaimsError, SessionTiming};
use super::config::{AuthKitConfig, VERIFIER_KEY};
use super::errors::AuthKitError;
use super::pkce;
use super::session::{self, AfterFailure, AuthResponse, RefreshError};
use super::snapshot::AuthSnapshot;
use super::urls::{self, SignInOptions};
use crate::time::{exponential_backoff, Instant, WallClock};

/// Timeouts of an [`AuthKitSession`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTimeouts {
    /// How long to wait for the cross-tab lock (authkit-js: 10 s).
    pub lock: Duration,
    /// How long to wait for AuthKit to answer a request (the lock is held meanwhile).
    pub request: Duration,
    /// The longest wait between retries of a failed restore or automatic refresh.
    pub max_retry: Duration,
}

impl Default for SessionTimeouts {
    fn default() -> Self {
        SessionTimeouts {
            lock: Duration::from_secs(10),
            request: Duration::from_secs(15),
            max_retry: Duration::from_secs(30),
        }
    }
}

/// A signed-in session.
#[derive(Debug, Clone)]
struct Live {
    response: AuthResponse,
    claims: Claims,
    /// When the access token expires, on the monotonic clock: its arrival plus its lifetime
    /// (`exp - iat`), earlier by any time the monotonic clock did not see since.
    expires_at: Instant,
    /// When the access token arrived.
    received_at: Instant,
}

/// The shortest time between two refreshes a tab starts on its own (automatic refreshes,
/// and tokens handed out without a refresh right after one), whatever the token's lifetime.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// An access token read for a session.
#[derive(Debug)]
struct TokenRead {
    claims: Claims,
    timing: SessionTiming,
    /// Claims dropped for their type.
    dropped: Vec<&'static str>,
}

impl TokenRead {
    fn of(token: &str) -> Result<TokenRead, ClaimsError> {
        let (claims, dropped) = Claims::decode_reporting(token)?;
        let timing = claims.session_timing()?;
        Ok(TokenRead {
            claims,
            timing,
            dropped,
        })
    }
}

/// A refresh token written to storage (dev mode) over `over` (what storage held).
#[derive(Debug, Clone)]
struct UnsavedRotation {
    write: OpId,
    over: Option<Secret>,
    rotated: Secret,
}

/// A sign-in URL handed out once its PKCE verifier is stored.
#[derive(Debug)]
struct PendingSignIn {
    write: OpId,
    waiter: WaiterId,
    url: String,
}

/// Where the session is. Data lives in the variant that needs it.
#[derive(Debug)]
enum Phase {
    /// Before [`AuthKitSession::start`].
    Starting,
    /// A stored session is being restored (loading); transient failures retry.
    Restoring,
    /// The callback page's code is being exchanged (loading).
    ExchangingCode,
    /// No session.
    SignedOut,
    /// Signed in.
    SignedIn(Box<Live>),
    /// Disposed: nothing runs again.
    Disposed,
}

/// The AuthKit session of one tab. See the [module docs](self).
#[derive(Debug)]
pub struct AuthKitSession {
    config: AuthKitConfig,
    timeouts: SessionTimeouts,
    phase: Phase,
    op: Option<Op>,
    queued_switch: Option<QueuedSwitch>,
    /// Outside dev mode the refresh token (if the server returns one) stays in memory only.
    memory_refresh_token: Option<Secret>,
    /// The organization this tab switched to last (sessionStorage).
    stored_organization: Option<String>,
    callback_error: Option<AuthKitError>,
    /// The page load found a stored session.
    has_stored_session: bool,
    calls_done: u32,
    /// The automatic refresh is due at this instant.
    auto_refresh_at: Option<Instant>,
    /// A failed restore or automatic refresh is retried at this instant.
    retry_at: Option<Instant>,
    retry_failures: u32,
    /// When the last refresh this machine started on its own (an automatic refresh or a
    /// retry) began: the floor under the next one.
    last_auto_refresh: Option<Instant>,
    /// Sign-in URLs waiting for their verifier to be stored.
    sign_ins: Vec<PendingSignIn>,
    /// Refresh token writes not reported yet.
    rotations: Vec<UnsavedRotation>,
    /// The last refresh token the browser refused to store, and what storage holds instead.
    unsaved: Option<UnsavedRotation>,
    /// Warnings already given (each is given once).
    warned: Vec<String>,
    wall: WallClock,
    next_id: u64,
    now: Instant,
    io: VecDeque<SessionIo>,
    events: VecDeque<SessionEvent>,
}

impl AuthKitSession {
    /// A session for this configuration with the default timeouts.
    pub fn new(config: AuthKitConfig, now: Instant) -> AuthKitSession {
        AuthKitSession::with_timeouts(config, SessionTimeouts::default(), now)
    }

    /// A session with explicit timeouts.
    pub fn with_timeouts(
        config: AuthKitConfig,
        timeouts: SessionTimeouts,
        now: Instant,
    ) -> AuthKitSession {
        AuthKitSession {
            config,
            timeouts,
            phase: Phase::Starting,
            op: None,
            queued_switch: None,
            memory_refresh_token: None,
            stored_organization: None,
            callback_error: None,
            has_stored_session: false,
            calls_done: 0,
            auto_refresh_at: None,
            retry_at: None,
            retry_failures: 0,
            last_auto_refresh: None,
            sign_ins: Vec::new(),
            rotations: Vec::new(),
            unsaved: None,
            warned: Vec::new(),
            wall: WallClock::default(),
            next_id: 0,
            now,
            io: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    // ----- outputs -----

    /// The next thing the driver must do.
    #[must_use]
    pub fn poll_io(&mut self) -> Option<SessionIo> {
        self.io.pop_front()
    }

    /// The next event for the app.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let op = self.op.as_ref().and_then(|o| o.step.deadline());
        [op, self.auto_refresh_at, self.retry_at]
            .into_iter()
            .flatten()
            .min()
    }

    // ----- getters -----

    /// True until the session is restored, the code exchanged, or known absent.
    pub fn is_loading(&self) -> bool {
        matches!(
            self.phase,
            Phase::Starting | Phase::Restoring | Phase::ExchangingCode
        )
    }

    /// The session as the app sees it.
    pub fn snapshot(&self) -> AuthSnapshot {
        match &self.phase {
            Phase::SignedIn(live) => AuthSnapshot::of(&live.response, &live.claims),
            _ => AuthSnapshot::default(),
        }
    }

    /// The access token's claims (empty when signed out).
    pub fn claims(&self) -> Claims {
        match &self.phase {
            Phase::SignedIn(live) => live.claims.clone(),
            _ => Claims::default(),
        }
    }

    /// Why the sign-in callback failed on this page load, if it did.
    pub fn callback_error(&self) -> Option<&AuthKitError> {
        self.callback_error.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &AuthKitConfig {
        &self.config
    }

    /// A call to AuthKit is in flight.
    pub fn is_busy(&self) -> bool {
        self.op.is_some()
    }

    // ----- commands -----

    /// Starts on a page load: exchanges the callback's code, restores a stored session, or
    /// settles signed out.
    pub fn start(&mut self, page: PageLoad, now: Instant) {
        self.tick(now);
        if !matches!(self.phase, Phase::Starting) {
            return;
        }
        self.stored_organization = page.stored_organization;
        self.has_stored_session = page.has_stored_session;
        if let Some(cb) = urls::callback(&self.config, &page.pathname, &page.search) {
            self.io.push_back(SessionIo::Remove {
                area: StorageArea::Session,
                key: VERIFIER_KEY.into(),
            });
            self.io.push_back(SessionIo::ReplaceSearch {
                search: urls::clean_search(&page.search),
            });
            let Some(verifier) = page.verifier else {
                self.callback_error = Some(AuthKitError::MissingVerifier);
                self.phase = Phase::SignedOut;
                self.events.push_back(SessionEvent::Changed);
                return;
            };
            self.phase = Phase::ExchangingCode;
            let body = json!({
                "code": cb.code,
                "client_id": self.config.client_id,
                "grant_type": "authorization_code",
                "code_verifier": verifier.expose(),
            });
            let request = self.send(body);
            self.op = Some(Op {
                kind: OpKind::CodeExchange { state: cb.state },
                step: Step::Requesting {
                    lock: None,
                    request,
                    deadline: self.now.saturating_add(self.timeouts.request),
                    presented: None,
                },
                token_waiters: Vec::new(),
                switch_waiters: Vec::new(),
            });
            self.events.push_back(SessionEvent::Changed);
        } else if page.has_stored_session {
            self.phase = Phase::Restoring;
            self.last_auto_refresh = Some(self.now);
            self.begin(OpKind::Restore, Vec::new(), Vec::new());
            self.events.push_back(SessionEvent::Changed);
        } else {
            self.phase = Phase::SignedOut;
            self.events.push_back(SessionEvent::Changed);
        }
    }

    /// Builds the sign-in (or sign-up) URL and asks for its PKCE verifier to be stored in this
    /// tab (`random`: 96 bytes from a secure source). The URL comes as
    /// [`SessionEvent::SignInUrl`] with the returned id once the driver reports the verifier
    /// stored ([`handle_storage_written`](Self::handle_storage_written)); if storing failed,
    /// the answer is [`AuthKitError::Storage`], never a URL whose callback could not complete.
    /// Only the latest URL can complete.
    pub fn sign_in_url(
        &mut self,
        options: &SignInOptions,
        sign_up: bool,
        random: &[u8; 96],
    ) -> WaiterId {
        let waiter = self.new_waiter();
        let verifier = pkce::verifier(random);
        let url = urls::authorize_url(&self.config, options, &pkce::challenge(&verifier), sign_up);
        let write = self.write(StorageArea::Session, VERIFIER_KEY.into(), verifier);
        self.sign_ins.push(PendingSignIn { write, waiter, url });
        waiter
    }

    /// Asks for an access token: the one in memory while it is fresh, otherwise a refreshed
    /// one (`force_refresh` always refreshes). The answer comes as [`SessionEvent::Token`]
    /// with the returned id. authkit-js's rules: a transient failure hands out a still-valid
    /// token unless forced; a refused refresh ends the session.
    pub fn get_access_token(&mut self, force_refresh: bool, now: Instant) -> WaiterId {
        self.tick(now);
        let waiter = self.new_waiter();
        let w = TokenWaiter {
            id: waiter,
            force: force_refresh,
            retried: false,
        };
        match &self.phase {
            Phase::Disposed => self.answer_token(waiter, Err(AuthKitError::Disposed)),
            Phase::Starting | Phase::SignedOut => {
                self.answer_token(waiter, Err(AuthKitError::LoginRequired))
            }
            Phase::SignedIn(live) if !force_refresh && self.is_fresh(live) => {
                let token = live.response.access_token.clone();
                self.answer_token(waiter, Ok(TokenString(token)));
            }
            Phase::Restoring | Phase::ExchangingCode | Phase::SignedIn(_) => match &mut self.op {
                Some(op) => op.token_waiters.push(w),
                None => {
                    let kind = if matches!(self.phase, Phase::Restoring) {
                        OpKind::Restore
                    } else {
                        OpKind::Refresh
                    };
                    self.retry_at = None;
                    self.begin(kind, vec![w], Vec::new());
                }
            },
        }
        waiter
    }

    /// Moves the session to another organization. The answer comes as
    /// [`SessionEvent::OrganizationSwitched`]. A switch asked for during another call runs
    /// after it (never joins it); a refused switch keeps the session and says why.
    pub fn switch_to_organization(&mut self, organization: &str, now: Instant) -> WaiterId {
        self.tick(now);
        let waiter = self.new_waiter();
        match self.phase {
            Phase::Disposed => self.answer_switch(waiter, Err(AuthKitError::Disposed)),
            Phase::SignedIn(_) => {
                if self.op.is_some() {
                    // Only the latest switch runs; callers of the same organization join it.
                    let mut waiters = vec![waiter];
                    if let Some(previous) = self.queued_switch.take() {
                        for w in previous.waiters {
                            if previous.organization == organization {
                                waiters.push(w);
                            } else {
                                self.answer_switch(w, Err(AuthKitError::Superseded));
                            }
                        }
                    }
                    self.queued_switch = Some(QueuedSwitch {
                        organization: organization.to_owned(),
                        waiters,
                    });
                } else {
                    self.retry_at = None;
                    self.begin(
                        OpKind::Switch {
                            organization: organization.to_owned(),
                        },
                        Vec::new(),
                        vec![waiter],
                    );
                }
            }
            _ => self.answer_switch(waiter, Err(AuthKitError::LoginRequired)),
        }
        waiter
    }

    /// Signs out: this tab's session ends at once (any call in flight is abandoned and its
    /// answer ignored), then AuthKit's logout URL is visited (`navigate`) or called in the
    /// background.
    pub fn sign_out(
        &mut self,
        return_to: Option<&str>,
        navigate: bool,
        now: Instant,
    ) -> Result<(), AuthKitError> {
        self.tick(now);
        let sid = match &self.phase {
            Phase::SignedIn(live) => live.claims.sid.clone(),
            Phase::Disposed => return Err(AuthKitError::Disposed),
            _ => None,
        };
        let Some(sid) = sid else {
            return Err(AuthKitError::NoSession);
        };
        let url = urls::logout_url(&self.config, &sid, return_to);
        self.abandon(AuthKitError::LoginRequired);
        self.end_session(None);
        self.io.push_back(if navigate {
            SessionIo::Navigate { url }
        } else {
            SessionIo::Beacon { url }
        });
        Ok(())
    }

    /// Stops for good: the call in flight is abandoned (its lock released), callers get
    /// [`AuthKitError::Disposed`], no timer runs again. Storage is left as it is.
    ///
    /// A refresh whose request is already out is not abandoned: AuthKit may have consumed the
    /// refresh token already, so the machine keeps the lock until the answer (or the
    /// deadline) and stores the rotated refresh token for the tabs that carry on.
    pub fn dispose(&mut self) {
        match &mut self.op {
            Some(op) if matches!(op.step, Step::Requesting { lock: Some(_), .. }) => {
                let tokens = std::mem::take(&mut op.token_waiters);
                let switches = std::mem::take(&mut op.switch_waiters);
                for w in tokens {
                    self.answer_token(w.id, Err(AuthKitError::Disposed));
                }
                for w in switches {
                    self.answer_switch(w, Err(AuthKitError::Disposed));
                }
                if let Some(q) = self.queued_switch.take() {
                    for w in q.waiters {
                        self.answer_switch(w, Err(AuthKitError::Disposed));
                    }
                }
            }
            _ => self.abandon(AuthKitError::Disposed),
        }
        self.phase = Phase::Disposed;
        self.auto_refresh_at = None;
        self.retry_at = None;
    }

    // ----- inputs -----

    /// The cross-tab lock `lock` was granted. A grant nobody waits for any more is released.
    pub fn handle_lock_granted(&mut self, lock: OpId, now: Instant) {
        self.tick(now);
        let waiting =
            matches!(&self.op, Some(Op { step: Step::Locking { lock: l, .. }, .. }) if *l == lock);
        if !waiting {
            self.io.push_back(SessionIo::ReleaseLock { lock });
            return;
        }
        if self.config.dev_mode {
            let read = self.new_id();
            self.set_step(Step::Reading { lock, read });
            self.io.push_back(SessionIo::Read {
                read,
                area: StorageArea::Local,
                key: self.config.refresh_token_key(),
            });
        } else {
            let refresh_token = self.memory_refresh_token.clone();
            self.send_refresh(lock, refresh_token, None);
        }
    }

    /// The storage read `read` found `value`.
    pub fn handle_storage_read(&mut self, read: OpId, value: Option<String>, now: Instant) {
        self.tick(now);
        let lock = match &self.op {
            Some(Op {
                step: Step::Reading { lock, read: r },
                ..
            }) if *r == read => *lock,
            _ => return,
        };
        let stored = value.filter(|v| !v.is_empty()).map(Secret::new);
        // A rotated refresh token the browser refused to store replaces what storage still
        // holds in its place (the consumed one, which would revoke the session).
        let present = match &self.unsaved {
            Some(u) if u.over == stored => Some(u.rotated.clone()),
            _ => stored.clone(),
        };
        match present {
            Some(rt) => self.send_refresh(lock, Some(rt), stored),
            None => self.finish(Err(RefreshError::Terminal {
                status: 400,
                error: Some("missing_refresh_token".into()),
                description: Some("no stored session".into()),
            })),
        }
    }

    /// AuthKit answered request `request`: `Ok((status, body))`, or `Err` when `fetch` itself
    /// failed (offline, CORS). An answer to anything but the request in flight is ignored.
    pub fn handle_response(
        &mut self,
        request: OpId,
        answer: Result<(u16, String), String>,
        now: Instant,
    ) {
        self.tick(now);
        let current = matches!(&self.op, Some(Op { step: Step::Requesting { request: r, .. }, .. }) if *r == request);
        if !current {
            return;
        }
        let result = match answer {
            Ok((status, body)) if (200..300).contains(&status) => AuthResponse::parse(&body),
            Ok((status, body)) => Err(RefreshError::from_status(status, &body)),
            Err(e) => Err(RefreshError::Network(e)),
        };
        self.finish(result);
    }

    /// Timers: a lock or request deadline, the automatic refresh, a retry. `auto_refresh_allowed`
    /// is asked only when an automatic refresh is due (the default policy skips hidden tabs).
    pub fn handle_timeout(&mut self, now: Instant, auto_refresh_allowed: &dyn Fn() -> bool) {
        self.tick(now);
        let now = self.now;
        if let Some(op) = &self.op {
            if op.step.deadline().is_some_and(|d| d <= now) {
                let error = match op.step {
                    Step::Locking { .. } => RefreshError::LockTimeout,
                    _ => RefreshError::Network(format!(
                        "AuthKit did not answer within {} s",
                        self.timeouts.request.as_secs()
                    )),
                };
                if let Step::Requesting { request, .. } = op.step {
                    self.io.push_back(SessionIo::CancelRequest { request });
                }
                self.finish(Err(error));
            }
        }
        if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
            // With a call already in flight, that call does the work.
            let kind = match (&self.phase, &self.op) {
                (Phase::Restoring, None) => Some(OpKind::Restore),
                (Phase::SignedIn(_), None) => Some(OpKind::Refresh),
                _ => None,
            };
            if let Some(kind) = kind {
                self.last_auto_refresh = Some(now);
                self.begin(kind, Vec::new(), Vec::new());
            }
        }
        if self.auto_refresh_at.is_some_and(|t| t <= now) {
            let due = match &self.phase {
                Phase::SignedIn(live) => session::needs_refresh(
                    Some(live.expires_at),
                    now,
                    self.config.refresh_buffer_secs,
                ),
                _ => false,
            };
            let floor = self
                .last_auto_refresh
                .map(|t| t.saturating_add(MIN_REFRESH_INTERVAL));
            if !due {
                self.arm_auto_refresh();
            } else if self.op.is_some() {
                self.auto_refresh_at = None; // the call in flight refreshes; re-armed after it
            } else if let Some(floor) = floor.filter(|f| now < *f) {
                self.auto_refresh_at = Some(floor); // a refresh of its own started under a second ago
            } else if auto_refresh_allowed() {
                self.auto_refresh_at = None;
                self.last_auto_refresh = Some(now);
                self.begin(OpKind::Refresh, Vec::new(), Vec::new());
            } else {
                self.auto_refresh_at = None; // re-checked by handle_wake
            }
        }
    }

    /// The page came back (visible, online, focused) or the clock jumped: run what is due,
    /// and re-arm an automatic refresh a hidden tab skipped.
    pub fn handle_wake(&mut self, now: Instant, auto_refresh_allowed: &dyn Fn() -> bool) {
        self.tick(now);
        if self.auto_refresh_at.is_none() && self.op.is_none() && self.retry_at.is_none() {
            self.arm_auto_refresh();
        }
        if self.retry_at.is_some() {
            // Retry now instead of waiting out the backoff (at most once a second: a page
            // that gains and loses focus in a loop must not refresh in a loop).
            let floor = self
                .last_auto_refresh
                .map_or(self.now, |t| t.saturating_add(MIN_REFRESH_INTERVAL));
            self.retry_at = Some(self.now.max(floor));
        }
        self.handle_timeout(now, auto_refresh_allowed);
    }

    /// A reading of the wall clock (`unix_ms`, Unix milliseconds) at `now`. Timers run on the
    /// monotonic clock and ignore the wall clock's steps; but wall time the monotonic clock
    /// did not see (a sleep that paused it) may have expired the access token, so it counts
    /// against the token: the automatic refresh comes that much earlier. The browser driver
    /// reports a reading every few seconds and on every wake-up.
    pub fn handle_wall_clock(&mut self, unix_ms: u64, now: Instant) {
        self.tick(now);
        let unseen = self.wall.observe(self.now, unix_ms);
        if unseen.is_zero() {
            return;
        }
        if let Phase::SignedIn(live) = &mut self.phase {
            live.expires_at = live.expires_at.saturating_sub(unseen);
            live.received_at = live.received_at.saturating_sub(unseen);
            if self.auto_refresh_at.is_some() {
                self.arm_auto_refresh();
            }
        }
    }

    /// The storage write `write` was carried out (`Ok`) or failed (`Err`: quota, private
    /// mode, no storage). A sign-in URL waiting for its verifier is answered; a failure
    /// nobody waits for is reported as [`SessionEvent::StorageFailed`].
    pub fn handle_storage_written(
        &mut self,
        write: OpId,
        result: Result<(), String>,
        now: Instant,
    ) {
        self.tick(now);
        if let Some(i) = self.sign_ins.iter().position(|p| p.write == write) {
            let p = self.sign_ins.remove(i);
            let result = result.map(|()| p.url).map_err(AuthKitError::Storage);
            self.events.push_back(SessionEvent::SignInUrl {
                waiter: p.waiter,
                result,
            });
            return;
        }
        if let Some(i) = self.rotations.iter().position(|r| r.write == write) {
            let rotation = self.rotations.remove(i);
            // Stored: nothing left unsaved. Refused: the next refresh presents the rotated
            // token in memory instead of what storage still holds.
            self.unsaved = result.is_err().then_some(rotation);
        }
        if let Err(error) = result {
            self.events.push_back(SessionEvent::StorageFailed(error));
        }
    }

    // ----- internals -----

    fn tick(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    /// A storage write the driver reports back on.
    fn write(&mut self, area: StorageArea, key: String, value: String) -> OpId {
        let write = self.new_id();
        self.io.push_back(SessionIo::Write {
            write,
            area,
            key,
            value: Secret::new(value),
        });
        write
    }

    /// A warning for the app's log, given once per machine.
    fn warn_once(&mut self, warning: String) {
        if !self.warned.contains(&warning) {
            self.warned.push(warning.clone());
            self.events.push_back(SessionEvent::Warning(warning));
        }
    }

    /// Whether `live`'s token may be handed out without a refresh: outside the refresh
    /// buffer, or (for a lifetime at or under the buffer) still valid and under a second old,
    /// so that no caller can make this tab refresh more than once a second.
    fn is_fresh(&self, live: &Live) -> bool {
        let outside_buffer = !session::needs_refresh(
            Some(live.expires_at),
            self.now,
            self.config.refresh_buffer_secs,
        );
        let just_arrived = live.expires_at > self.now
            && self.now < live.received_at.saturating_add(MIN_REFRESH_INTERVAL);
        outside_buffer || just_arrived
    }

    fn new_id(&mut self) -> OpId {
        self.next_id += 1;
        OpId(self.next_id)
    }

    fn new_waiter(&mut self) -> WaiterId {
        self.next_id += 1;
        WaiterId(self.next_id)
    }

    fn set_step(&mut self, step: Step) {
        if let Some(op) = &mut self.op {
            op.step = step;
        }
    }

    /// Starts a refresh-type call: take the lock first.
    fn begin(
        &mut self,
        kind: OpKind,
        token_waiters: Vec<TokenWaiter>,
        switch_waiters: Vec<WaiterId>,
    ) {
        let lock = self.new_id();
        let deadline = self.now.saturating_add(self.timeouts.lock);
        self.io.push_back(SessionIo::AcquireLock { lock, deadline });
        self.op = Some(Op {
            kind,
            step: Step::Locking { lock, deadline },
            token_waiters,
            switch_waiters,
        });
    }

    fn send(&mut self, body: serde_json::Value) -> OpId {
        let request = self.new_id();
        self.io.push_back(SessionIo::Authenticate {
            request,
            url: format!("{}/user_management/authenticate", self.config.base_url()),
            body: Secret::new(body.to_string()),
            with_cookies: !self.config.dev_mode,
            deadline: self.now.saturating_add(self.timeouts.request),
        });
        request
    }

    /// Sends the refresh under `lock`, presenting `refresh_token`. `stored`: what storage held
    /// (dev mode), the value the rotated token is compare-and-set over.
    fn send_refresh(&mut self, lock: OpId, refresh_token: Option<Secret>, stored: Option<Secret>) {
        let mut body = json!({"client_id": self.config.client_id, "grant_type": "refresh_token"});
        if let Some(rt) = &refresh_token {
            body["refresh_token"] = json!(rt.expose());
        }
        let switching = match &self.op {
            Some(Op {
                kind: OpKind::Switch { organization },
                ..
            }) => Some(organization.clone()),
            _ => None,
        };
        let current = match &self.phase {
            Phase::SignedIn(live) => live.claims.org_id.clone(),
            _ => None,
        };
        if let Some(org) = switching
            .or(current)
            .or_else(|| self.stored_organization.clone())
        {
            body["organization_id"] = json!(org);
        }
        let request = self.send(body);
        let presented = stored.filter(|_| self.config.dev_mode);
        self.set_step(Step::Requesting {
            lock: Some(lock),
            request,
            deadline: self.now.saturating_add(self.timeouts.request),
            presented,
        });
    }

    /// The call in flight ended with `result`.
    fn finish(&mut self, result: Result<AuthResponse, RefreshError>) {
        let Some(op) = self.op.take() else { return };
        let presented = match &op.step {
            Step::Requesting { presented, .. } => presented.clone(),
            _ => None,
        };
        if matches!(self.phase, Phase::Disposed) {
            // A refresh that outlived its client: keep what AuthKit rotated (unless another
            // tab changed the stored session meanwhile), then let go.
            if let Ok(response) = &result {
                self.keep_refresh_token(response, presented);
            }
            if let Some(lock) = op.step.lock() {
                self.io.push_back(SessionIo::ReleaseLock { lock });
            }
            return;
        }
        if let Some(lock) = op.step.lock() {
            self.io.push_back(SessionIo::ReleaseLock { lock });
        }
        // A 2xx whose access token cannot serve a session (no usable `exp`, `iat` or `sid`)
        // is a typed failure, never a zero lifetime. A refresh already consumed the presented
        // refresh token: the rotated one is kept, so the retry can use it.
        let result = match result {
            Ok(response) => match TokenRead::of(&response.access_token) {
                Ok(read) => Ok((response, read)),
                Err(e) => {
                    if !matches!(op.kind, OpKind::CodeExchange { .. }) {
                        self.keep_refresh_token(&response, presented.clone());
                    }
                    Err(RefreshError::InvalidAccessToken(e))
                }
            },
            Err(e) => Err(e),
        };
        let first = self.calls_done == 0;
        self.calls_done = self.calls_done.saturating_add(1);
        let mut requeue: Vec<TokenWaiter> = Vec::new();
        match (op.kind, result) {
            (kind, Ok((response, read))) => {
                let switched_to = match &kind {
                    OpKind::Switch { organization } => Some(organization.clone()),
                    _ => None,
                };
                let code_exchange = matches!(kind, OpKind::CodeExchange { .. });
                let state = match kind {
                    OpKind::CodeExchange { state } => Some(state),
                    _ => None,
                };
                self.retry_failures = 0;
                self.retry_at = None;
                let token = response.access_token.clone();
                self.store(response, read, (!code_exchange).then_some(presented));
                if let Some(org) = switched_to {
                    self.stored_organization = Some(org.clone());
                    let key = self.config.org_key();
                    self.write(StorageArea::Session, key, org);
                }
                for w in op.token_waiters {
                    self.answer_token(w.id, Ok(TokenString(token.clone())));
                }
                for w in op.switch_waiters {
                    self.answer_switch(w, Ok(()));
                }
                if let Some(state) = state {
                    self.events.push_back(SessionEvent::SignedIn {
                        state,
                        access_token: Secret::new(token),
                    });
                }
            }
            (OpKind::CodeExchange { .. }, Err(e)) => {
                let transient = e.is_transient();
                self.callback_error = Some(AuthKitError::CodeExchange(e));
                if transient && self.has_stored_session {
                    // The new sign-in did not go through, but the session this browser
                    // already had is still there: restore it rather than sign the user out.
                    self.phase = Phase::Restoring;
                    self.last_auto_refresh = Some(self.now);
                    requeue = op.token_waiters;
                    self.begin(OpKind::Restore, std::mem::take(&mut requeue), Vec::new());
                } else {
                    self.phase = Phase::SignedOut;
                    for w in op.token_waiters {
                        self.answer_token(w.id, Err(AuthKitError::LoginRequired));
                    }
                }
                self.events.push_back(SessionEvent::Changed);
            }
            (OpKind::Switch { .. }, Err(e)) if !e.is_transient() => {
                // The switch was refused: the session stays as it was, and says why.
                for w in op.switch_waiters {
                    self.answer_switch(w, Err(AuthKitError::OrganizationRefused(e.clone())));
                }
                requeue = op.token_waiters; // they wanted a token, not the switch
            }
            (kind, Err(e)) if e.is_transient() => {
                let valid = match &self.phase {
                    Phase::SignedIn(live) => live.expires_at > self.now,
                    _ => false,
                };
                for w in op.token_waiters {
                    match session::after_failure(&e, w.force, valid, w.retried) {
                        AfterFailure::UseCurrentToken => {
                            let token = self.current_token();
                            self.answer_token(w.id, token);
                        }
                        AfterFailure::RetryOnce => requeue.push(TokenWaiter { retried: true, ..w }),
                        AfterFailure::Transient => {
                            self.answer_token(w.id, Err(AuthKitError::Refresh(e.clone())))
                        }
                        AfterFailure::LoginRequired => {
                            self.answer_token(w.id, Err(AuthKitError::LoginRequired))
                        }
                    }
                }
                for w in op.switch_waiters {
                    self.answer_switch(w, Err(AuthKitError::Refresh(e.clone())));
                }
                if matches!(kind, OpKind::Restore | OpKind::Refresh) {
                    // Keep the session (or keep loading) and try again.
                    let delay = exponential_backoff(
                        self.retry_failures,
                        Duration::from_secs(1),
                        self.timeouts.max_retry,
                    );
                    self.retry_failures = self.retry_failures.saturating_add(1);
                    self.retry_at = Some(self.now.saturating_add(delay));
                    self.auto_refresh_at = None; // the retry is the refresh
                }
            }
            (_, Err(e)) => {
                // Refused: the session is over.
                for w in op.token_waiters {
                    self.answer_token(w.id, Err(AuthKitError::LoginRequired));
                }
                for w in op.switch_waiters {
                    self.answer_switch(w, Err(AuthKitError::LoginRequired));
                }
                let was_signed_in = matches!(self.phase, Phase::SignedIn(_));
                if let Some(q) = self.queued_switch.take() {
                    for w in q.waiters {
                        self.answer_switch(w, Err(AuthKitError::LoginRequired));
                    }
                }
                // Only the refresh token that was refused: another tab may have stored a new
                // session's since.
                self.end_session(Some(presented));
                if !first || was_signed_in {
                    self.events.push_back(SessionEvent::RefreshFailed(e));
                }
            }
        }
        // What waits runs next: a queued switch, then callers to retry.
        if matches!(self.phase, Phase::SignedIn(_)) {
            if let Some(q) = self.queued_switch.take() {
                self.begin(
                    OpKind::Switch {
                        organization: q.organization,
                    },
                    requeue,
                    q.waiters,
                );
                return;
            }
        }
        if !requeue.is_empty() {
            match self.phase {
                Phase::SignedIn(_) => self.begin(OpKind::Refresh, requeue, Vec::new()),
                Phase::Restoring => {
                    self.retry_at = None;
                    self.begin(OpKind::Restore, requeue, Vec::new());
                }
                _ => {
                    for w in requeue {
                        self.answer_token(w.id, Err(AuthKitError::LoginRequired));
                    }
                }
            }
        }
        if matches!(self.phase, Phase::SignedIn(_)) && self.op.is_none() && self.retry_at.is_none()
        {
            self.arm_auto_refresh();
        }
    }

    fn current_token(&self) -> Result<TokenString, AuthKitError> {
        match &self.phase {
            Phase::SignedIn(live) => Ok(TokenString(live.response.access_token.clone())),
            _ => Err(AuthKitError::LoginRequired),
        }
    }

    /// Stores a successful answer. `replaces`: for a refresh, the stored token it presented
    /// (the rotated one is written only over it); `None` for a new sign-in (written as is).
    fn store(&mut self, response: AuthResponse, read: TokenRead, replaces: Option<Option<Secret>>) {
        match replaces {
            Some(presented) => self.keep_refresh_token(&response, presented),
            None => match (&response.refresh_token, self.config.dev_mode) {
                (Some(rt), true) => {
                    let (key, rt) = (self.config.refresh_token_key(), rt.clone());
                    let write = self.write(StorageArea::Local, key, rt.clone());
                    self.rotations.push(UnsavedRotation {
                        write,
                        over: None,
                        rotated: Secret::new(rt),
                    });
                }
                (Some(rt), false) => self.memory_refresh_token = Some(Secret::new(rt.clone())),
                (None, _) => {}
            },
        }
        for claim in &read.dropped {
            self.warn_once(format!(
                "the access token's `{claim}` claim has an unexpected type; it was ignored"
            ));
        }
        if read.timing.lifetime <= Duration::from_secs(self.config.refresh_buffer_secs) {
            self.warn_once(format!(
                "the access token lives {:.1} s, at or under the refresh buffer ({} s): it is refreshed at most once a second",
                read.timing.lifetime.as_secs_f64(),
                self.config.refresh_buffer_secs
            ));
        }
        let access_token = Secret::new(response.access_token.clone());
        self.phase = Phase::SignedIn(Box::new(Live {
            response,
            claims: read.claims,
            expires_at: self.now.saturating_add(read.timing.lifetime),
            received_at: self.now,
        }));
        self.events
            .push_back(SessionEvent::Refreshed { access_token });
        self.events.push_back(SessionEvent::Changed);
    }

    /// A refresh's rotated refresh token replaces the one it presented. Dev mode writes it
    /// only if storage still holds the presented one (another tab may have signed out or in
    /// meanwhile); otherwise it stays in memory.
    fn keep_refresh_token(&mut self, response: &AuthResponse, presented: Option<Secret>) {
        let Some(rt) = &response.refresh_token else {
            return;
        };
        if self.config.dev_mode {
            let write = self.new_id();
            let rotated = Secret::new(rt.clone());
            self.io.push_back(SessionIo::WriteIf {
                write,
                area: StorageArea::Local,
                key: self.config.refresh_token_key(),
                expected: presented.clone(),
                value: rotated.clone(),
            });
            self.rotations.push(UnsavedRotation {
                write,
                over: presented,
                rotated,
            });
        } else {
            self.memory_refresh_token = Some(Secret::new(rt.clone()));
        }
    }

    /// Abandons the call in flight and anything queued: the lock is released, the request
    /// cancelled, every caller answered with `why`.
    fn abandon(&mut self, why: AuthKitError) {
        if let Some(op) = self.op.take() {
            if let Step::Requesting { request, .. } = op.step {
                self.io.push_back(SessionIo::CancelRequest { request });
            }
            if let Some(lock) = op.step.lock() {
                self.io.push_back(SessionIo::ReleaseLock { lock });
            }
            for w in op.token_waiters {
                self.answer_token(w.id, Err(why.clone()));
            }
            for w in op.switch_waiters {
                self.answer_switch(w, Err(why.clone()));
            }
        }
        if let Some(q) = self.queued_switch.take() {
            for w in q.waiters {
                self.answer_switch(w, Err(why.clone()));
            }
        }
    }

    /// Signed out: memory and storage cleared, timers stopped. `refused`: the session ended
    /// because AuthKit refused this stored refresh token (`Some(None)`: none was presented),
    /// so only that one is removed; `None`: the user signed out, everything goes.
    fn end_session(&mut self, refused: Option<Option<Secret>>) {
        self.phase = Phase::SignedOut;
        self.memory_refresh_token = None;
        self.unsaved = None;
        self.stored_organization = None;
        self.auto_refresh_at = None;
        self.retry_at = None;
        self.retry_failures = 0;
        let rt_key = self.config.refresh_token_key();
        match refused {
            None => self.io.push_back(SessionIo::Remove {
                area: StorageArea::Local,
                key: rt_key,
            }),
            Some(Some(expected)) => self.io.push_back(SessionIo::RemoveIf {
                area: StorageArea::Local,
                key: rt_key,
                expected,
            }),
            Some(None) => {} // nothing of ours is stored (cookie mode, or it was gone)
        }
        for (area, key) in [
            (StorageArea::Local, "workos:refresh-token".to_owned()),
            (StorageArea::Session, self.config.org_key()),
            (StorageArea::Session, "workos_organization_id".to_owned()),
        ] {
            self.io.push_back(SessionIo::Remove { area, key });
        }
        self.events.push_back(SessionEvent::Changed);
    }

    /// Arms the automatic refresh: `refresh_buffer_secs` before expiry (plus 50 ms), never
    /// sooner than a second after the token arrived or the last refresh of its own started.
    fn arm_auto_refresh(&mut self) {
        if let Phase::SignedIn(live) = &self.phase {
            let buffer = Duration::from_secs(self.config.refresh_buffer_secs);
            let at = live
                .expires_at
                .saturating_sub(buffer)
                .saturating_add(Duration::from_millis(50));
            let floor = self
                .last_auto_refresh
                .map_or(live.received_at, |t| t.max(live.received_at))
                .saturating_add(MIN_REFRESH_INTERVAL);
            self.auto_refresh_at = Some(at.max(floor));
        }
    }

    fn answer_token(&mut self, waiter: WaiterId, result: Result<TokenString, AuthKitError>) {
        self.events
            .push_back(SessionEvent::Token { waiter, result });
    }

    fn answer_switch(&mut self, waiter: WaiterId, result: Result<(), AuthKitError>) {
        self.events
            .push_back(SessionEvent::OrganizationSwitched { waiter, result });
    }
}
