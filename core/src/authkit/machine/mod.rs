//! [`AuthKitSession`], the AuthKit session of one tab as a state machine without I/O (its
//! documentation says how it is driven).
//!
//! Files: `phase.rs` (where the session is, with each phase's timers), `op.rs` (the call in
//! flight and its callers), `finish.rs` (how each kind of call ends), `inputs.rs` (what
//! reaches it from outside), `io.rs` (what goes in and out).
mod finish;
mod inputs;
mod io;
mod op;
mod phase;

use std::collections::VecDeque;
use std::time::Duration;

use io::Fields;
pub use io::{OpId, PageLoad, Secret, SessionEvent, SessionIo, StorageArea, TokenString, WaiterId};
use op::{fail_switches, Op, OpKind, QueuedSwitch, Step, TokenWaiter, Waiters};
use phase::{Ending, Live, Phase, Refresh, MIN_REFRESH_INTERVAL};

use super::claims::Claims;
use super::config::{AuthKitConfig, VERIFIER_KEY};
use super::errors::AuthKitError;
use super::pkce;
use super::session;
use super::snapshot::AuthSnapshot;
use super::urls::{self, SignInOptions};
use crate::time::{Instant, WallClock};

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

/// The AuthKit session of one tab as a state machine without I/O, driven
/// like [`SyncClient`](crate::sync::SyncClient).
///
/// - Commands from the app: [`start`](AuthKitSession::start), [`get_access_token`](AuthKitSession::get_access_token),
///   [`switch_to_organization`](AuthKitSession::switch_to_organization), [`sign_out`](AuthKitSession::sign_out),
///   [`sign_in_url`](AuthKitSession::sign_in_url), [`dispose`](AuthKitSession::dispose).
/// - Inputs, each with `now`: [`handle_response`](AuthKitSession::handle_response) (HTTP),
///   [`handle_lock_granted`](AuthKitSession::handle_lock_granted), [`handle_storage_read`](AuthKitSession::handle_storage_read),
///   [`handle_timeout`](AuthKitSession::handle_timeout), [`handle_wake`](AuthKitSession::handle_wake),
///   [`handle_auto_refresh_answer`](AuthKitSession::handle_auto_refresh_answer) (the driver's
///   answer to [`SessionIo::AskAutoRefresh`]), [`handle_wall_clock`](AuthKitSession::handle_wall_clock),
///   [`handle_storage_written`](AuthKitSession::handle_storage_written).
/// - Outputs: [`poll_io`](AuthKitSession::poll_io) ([`SessionIo`]: requests with ids and
///   deadlines, lock acquire/release, storage, navigation), [`poll_event`](AuthKitSession::poll_event)
///   ([`SessionEvent`]), [`poll_timeout`](AuthKitSession::poll_timeout).
///
/// One call to AuthKit runs at a time: callers join it, an organization switch waits
/// for it, and every answer names the id of what it answers, so a late response after
/// `sign_out`, a lock granted after its deadline, or a response to a request that was given up
/// changes nothing. Callers are [`WaiterId`]s, not futures: a caller that goes away cannot
/// leave the call half-done or the lock held.
///
/// ```
/// use convex_yew_core::authkit::{AuthKitSession, PageLoad, SessionIo, SessionEvent};
/// use convex_yew_core::authkit::AuthKitConfig;
/// use convex_yew_core::time::Instant;
///
/// let mut config = AuthKitConfig::new("client_1", "http://localhost:8080", "localhost");
/// config.redirect_uri = "http://localhost:8080/callback".into();
/// let now = Instant::from_millis(1_700_000_000_000);
/// let mut session = AuthKitSession::new(config, now);
/// // A page load with a stored session: the machine takes the cross-tab lock first.
/// session.start(PageLoad { has_stored_session: true, ..Default::default() }, now);
/// assert!(session.is_loading());
/// let Some(SessionIo::AcquireLock { lock, .. }) = session.poll_io() else { panic!() };
/// session.handle_lock_granted(lock, now);
/// // Inside the lock it re-reads the refresh token (another tab may have rotated it).
/// let Some(SessionIo::Read { read, .. }) = session.poll_io() else { panic!() };
/// session.handle_storage_read(read, None, now); // gone: the session is over
/// assert!(matches!(session.poll_io(), Some(SessionIo::ReleaseLock { .. })));
/// assert!(!session.is_loading() && session.snapshot().user.is_none());
/// ```
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
    /// A call to AuthKit has ended on this page load (the first one, the restore, does not
    /// report a refused session as a refresh failure).
    any_call_finished: bool,
    /// When the last refresh this machine started on its own (an automatic refresh, a retry,
    /// the restore) began: the floor under the next one, across phases.
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
            any_call_finished: false,
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

    /// When [`handle_timeout`](Self::handle_timeout) must be called next: the call in
    /// flight's deadline, a retry, or the automatic refresh, whichever comes first.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let op = self.op.as_ref().and_then(|o| o.step.deadline());
        [op, self.phase.next_timeout()].into_iter().flatten().min()
    }

    // ----- getters -----

    /// True until the session is restored, the code exchanged, or known absent.
    pub fn is_loading(&self) -> bool {
        self.phase.is_loading()
    }

    /// The session as the app sees it.
    pub fn snapshot(&self) -> AuthSnapshot {
        match self.phase.live() {
            Some(live) => AuthSnapshot::of(&live.response, &live.claims),
            None => AuthSnapshot::default(),
        }
    }

    /// The access token's claims (empty when signed out).
    pub fn claims(&self) -> Claims {
        self.phase
            .live()
            .map(|live| live.claims.clone())
            .unwrap_or_default()
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
            self.phase = Phase::ExchangingCode {
                fallback_restore: page.has_stored_session,
            };
            let body = Fields(&[
                ("client_id", &self.config.client_id),
                ("code", &cb.code),
                ("code_verifier", verifier.expose()),
                ("grant_type", "authorization_code"),
            ])
            .to_json();
            let request = self.send(body);
            self.op = Some(Op {
                kind: OpKind::CodeExchange { state: cb.state },
                step: Step::Requesting {
                    lock: None,
                    request,
                    deadline: self.now.saturating_add(self.timeouts.request),
                    presented: None,
                },
                waiters: Waiters::default(),
            });
        } else if page.has_stored_session {
            self.restore(Vec::new());
        } else {
            self.phase = Phase::SignedOut;
        }
        self.events.push_back(SessionEvent::Changed);
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
            Phase::SignedIn { live, .. } if !force_refresh && self.is_fresh(live) => {
                let token = live.response.access_token.clone();
                self.answer_token(waiter, Ok(TokenString(token)));
            }
            Phase::Restoring { .. } | Phase::ExchangingCode { .. } | Phase::SignedIn { .. } => {
                match &mut self.op {
                    Some(op) => op.waiters.tokens.push(w),
                    None => {
                        let kind = if matches!(self.phase, Phase::Restoring { .. }) {
                            OpKind::Restore
                        } else {
                            OpKind::Refresh
                        };
                        self.phase.cancel_retry();
                        self.begin(kind, Waiters::tokens(vec![w]));
                    }
                }
            }
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
            Phase::SignedIn { .. } if self.op.is_some() => {
                // Only the latest switch runs; callers of the same organization join it.
                let mut waiters = vec![waiter];
                if let Some(previous) = self.queued_switch.take() {
                    let (joining, superseded) = previous
                        .waiters
                        .into_iter()
                        .partition(|_| previous.organization == organization);
                    waiters.extend::<Vec<WaiterId>>(joining);
                    let answers = fail_switches(superseded, &AuthKitError::Superseded);
                    self.events.extend(answers.collect::<Vec<_>>());
                }
                self.queued_switch = Some(QueuedSwitch {
                    organization: organization.to_owned(),
                    waiters,
                });
            }
            Phase::SignedIn { .. } => {
                self.phase.cancel_retry();
                let kind = OpKind::Switch {
                    organization: organization.to_owned(),
                };
                self.begin(kind, Waiters::switches(vec![waiter]));
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
            Phase::SignedIn { live, .. } => live.claims.sid.clone(),
            Phase::Disposed => return Err(AuthKitError::Disposed),
            _ => None,
        };
        let Some(sid) = sid else {
            return Err(AuthKitError::NoSession);
        };
        let url = urls::logout_url(&self.config, &sid, return_to);
        self.abandon(AuthKitError::LoginRequired);
        self.end_session(Ending::SignedOut);
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
                let waiters = std::mem::take(&mut op.waiters);
                let answers: Vec<_> = waiters.fail(&AuthKitError::Disposed).collect();
                self.events.extend(answers);
                self.fail_queued_switch(&AuthKitError::Disposed);
            }
            _ => self.abandon(AuthKitError::Disposed),
        }
        self.phase = Phase::Disposed;
    }

    // ----- internals -----

    fn tick(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    /// Restores the stored session (loading), answering `tokens` with its outcome. Counts
    /// against the refresh floor, like every refresh the machine starts on its own.
    fn restore(&mut self, tokens: Vec<TokenWaiter>) {
        self.phase = Phase::Restoring {
            retry_at: None,
            failures: 0,
        };
        self.last_auto_refresh = Some(self.now);
        self.begin(OpKind::Restore, Waiters::tokens(tokens));
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
    fn begin(&mut self, kind: OpKind, waiters: Waiters) {
        let lock = self.new_id();
        let deadline = self.now.saturating_add(self.timeouts.lock);
        self.io.push_back(SessionIo::AcquireLock { lock, deadline });
        self.op = Some(Op {
            kind,
            step: Step::Locking { lock, deadline },
            waiters,
        });
    }

    /// POSTs `body` (JSON) to the authenticate endpoint.
    fn send(&mut self, body: String) -> OpId {
        let request = self.new_id();
        self.io.push_back(SessionIo::Authenticate {
            request,
            url: format!("{}/user_management/authenticate", self.config.base_url()),
            body: Secret::new(body),
            with_cookies: !self.config.dev_mode,
            deadline: self.now.saturating_add(self.timeouts.request),
        });
        request
    }

    /// Sends the refresh under `lock`, presenting `refresh_token`. `stored`: what storage held
    /// (dev mode), the value the rotated token is compare-and-set over.
    fn send_refresh(&mut self, lock: OpId, refresh_token: Option<Secret>, stored: Option<Secret>) {
        let switching = match &self.op {
            Some(Op {
                kind: OpKind::Switch { organization },
                ..
            }) => Some(organization.clone()),
            _ => None,
        };
        let current = self.phase.live().and_then(|l| l.claims.org_id.clone());
        let organization = switching
            .or(current)
            .or_else(|| self.stored_organization.clone());
        let mut fields = vec![
            ("client_id", self.config.client_id.as_str()),
            ("grant_type", "refresh_token"),
        ];
        if let Some(org) = &organization {
            fields.push(("organization_id", org));
        }
        if let Some(rt) = &refresh_token {
            fields.push(("refresh_token", rt.expose()));
        }
        let body = Fields(&fields).to_json();
        let request = self.send(body);
        let presented = stored.filter(|_| self.config.dev_mode);
        self.set_step(Step::Requesting {
            lock: Some(lock),
            request,
            deadline: self.now.saturating_add(self.timeouts.request),
            presented,
        });
    }

    /// Arms the automatic refresh: `refresh_buffer_secs` before expiry (plus 50 ms), never
    /// sooner than a second after the token arrived or the last refresh of its own started.
    fn arm_auto_refresh(&mut self) {
        if let Some(live) = self.phase.live() {
            let buffer = Duration::from_secs(self.config.refresh_buffer_secs);
            let at = live
                .expires_at
                .saturating_sub(buffer)
                .saturating_add(Duration::from_millis(50));
            let floor = self
                .last_auto_refresh
                .map_or(live.received_at, |t| t.max(live.received_at))
                .saturating_add(MIN_REFRESH_INTERVAL);
            self.phase.set_refresh(Refresh::At(at.max(floor)));
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

    /// Answers the callers of a queued switch with `why`.
    fn fail_queued_switch(&mut self, why: &AuthKitError) {
        if let Some(q) = self.queued_switch.take() {
            let answers: Vec<_> = fail_switches(q.waiters, why).collect();
            self.events.extend(answers);
        }
    }
}
