//! The model world: tabs that each run the real [`AuthKitSession`] and [`SyncClient`], joined
//! by the real [`AuthLink`] exactly as the Yew provider joins them (the same [`token_fetch`]
//! and [`authkit_identity`] adapters), sharing localStorage and the cross-tab lock, against a
//! simulated AuthKit API and a simulated Convex server.
//!
//! Three clocks: the monotonic one the machines run on (it only advances, and may stand still
//! through a sleep, as `performance.now()` does on macOS and Linux), the servers' true time
//! (token `iat`/`exp` and their checks), and the tabs' wall clock, which is true time plus a
//! skew that steps either way by up to hours. The tabs read the wall clock as the browser
//! runtime does: at start, every few seconds and on every wake-up.
//!
//! [`World::step`] applies one [`Step`]; [`World::settle`] lets everything in flight land
//! with the servers reachable; the `check_*` methods are the invariants.
#![allow(dead_code)]

pub mod sim_authkit;
pub mod sim_convex;

use std::collections::{BTreeMap, VecDeque};

use convex_yew_core::authkit::urls::{self, SignInOptions};
use convex_yew_core::authkit::VERIFIER_KEY;
use convex_yew_core::authkit::{AuthKitConfig, AuthKitError};
use convex_yew_core::authkit::{
    AuthKitSession, OpId, PageLoad, Secret, SessionEvent, SessionIo, StorageArea, WaiterId,
};
use convex_yew_core::convex_auth::{
    authkit_identity, token_fetch, AuthInput, AuthLink, ConvexAuthState, LinkAction,
};
use convex_yew_core::protocol::{AuthTokenType, ClientMessage, ServerMessage};
use convex_yew_core::sync::{
    ClientConfig, Event, FetchId, Io, QueryId, QueryResult, SocketId, SyncClient,
};
use convex_yew_core::time::Instant;
use convex_yew_core::value::{Object, Value};

use sim_authkit::SimAuthKit;
use sim_convex::{Conn, Reply};

/// True time at the start (Unix ms): the servers' clock.
pub const T0: u64 = 1_700_000_000_000;
/// The monotonic clock at the start: its origin is the page's, not the epoch.
pub const MONO0: u64 = 5_000;
const HORIZON_MS: u64 = 40_000;
/// The longest a settle runs timers for: long enough for a chain of backoffs (30 s apart at
/// most) to end; tokens that live seconds keep timers due forever, so it must end somewhere.
const SETTLE_CAP_MS: u64 = 600_000;
/// The same, for tokens that live seconds (a refresh every second or so on every tab).
const SHORT_SETTLE_CAP_MS: u64 = 240_000;
/// The shortest time between two refreshes a machine starts on its own.
const MIN_AUTO_INTERVAL_MS: u64 = 1_000;

/// The sync client's settings in the model: the heartbeat timeout is kept past
/// [`HORIZON_MS`] (the simulated server pings every 15 s, so it never fires, and a timer that
/// is always due within the horizon would keep `settle` from ever finding the world still).
fn model_config(session: String, seed: u64) -> ClientConfig {
    let mut config = ClientConfig::new(session, seed);
    config.server_inactivity_timeout = std::time::Duration::from_secs(60);
    config
}

/// One thing that can happen.
#[derive(Debug, Clone)]
pub enum Step {
    /// The first user signs in on tab `t` (hosted page, then the callback page).
    SignIn(usize),
    /// `user` (0 or 1) signs in on tab `tab`.
    SignInAs { tab: usize, user: usize },
    /// Tab `t` reloads.
    Reload(usize),
    /// Tab `t` signs out, navigating to AuthKit's logout or calling it in the background.
    SignOut { tab: usize, navigate: bool },
    /// App code on tab `t` asks for a token and drops the answer.
    GetToken { tab: usize, force: bool },
    /// Tab `t` switches organization (`org` 2 is one the user is not a member of).
    Switch { tab: usize, org: u8 },
    /// The Convex server drops tab `t`'s socket.
    DropSocket(usize),
    /// Time passes (the server pings open sockets every 15 s).
    Advance(u32),
    /// The machine sleeps `secs` and wakes: sockets died meanwhile. The monotonic clock saw
    /// the sleep (`mono_sees`) or stood still through it.
    Sleep { secs: u32, mono_sees: bool },
    /// The tabs' wall clock steps by `ms` (either way), true time and the monotonic clock do
    /// not move; the runtime's clock watch reads it and wakes the machines.
    WallClockJump(i64),
    /// AuthKit's next grant carries an access token without a usable `exp` or `sid`.
    BreakNextToken,
    /// One pending AuthKit request lands, answered as `fate` says.
    DeliverAuthKit { pick: usize, fate: Fate },
    /// Lock grants reach their tabs.
    GrantLocks,
    /// Tab `t`'s socket opens (if connecting) and its frames reach the server.
    DeliverConvex(usize),
    /// Background logout calls reach AuthKit.
    DeliverBeacons,
    /// The provider gets a new token fetcher (`set_auth` again).
    FetcherSwap(usize),
    /// The provider gets a new Convex client.
    ClientSwap(usize),
    /// The AuthKit client is replaced (config change): dispose, then restore.
    AuthKitSwap(usize),
    /// Tab `tab` is hidden (its automatic refresh is declined) or shown again (a wake-up).
    Visibility { tab: usize, visible: bool },
}

/// How AuthKit answers a request.
#[derive(Debug, Clone, Copy)]
pub enum Fate {
    Answer,
    Unavailable,
    NetworkError,
}

struct Socket {
    id: SocketId,
    opened: bool,
    inbox: VecDeque<String>,
    server: Conn,
}

pub struct Tab {
    pub instance: u64,
    pub authkit: AuthKitSession,
    pub sync: SyncClient,
    pub query: QueryId,
    /// The provider's bridge, keyed by the Convex client's and the fetcher's identities.
    pub link: AuthLink<u64, u64>,
    pub client_key: u64,
    pub fetcher_key: u64,
    /// The generation the current client's callbacks report with.
    generation: u64,
    /// Convex clients the provider replaced, until the link clears their auth.
    old_clients: Vec<(u64, SyncClient)>,
    /// `get_access_token` calls answering the Convex client's token fetches.
    waiting: BTreeMap<WaiterId, FetchId>,
    socket: Option<Socket>,
    session_storage: BTreeMap<String, String>,
    switches: BTreeMap<WaiterId, String>,
    reload_pending: bool,
    /// Signed in since the last sign-in/sign-out anywhere.
    pub signed_in_this_epoch: bool,
    /// What `use_convex_auth` showed after the last pump, with the input it was shown for.
    shown: Option<(AuthInput<u64, u64>, ConvexAuthState)>,
    /// The last `sign_in_url` answer.
    sign_in_url: Option<(WaiterId, Result<String, AuthKitError>)>,
    /// When each machine last started a refresh on its own (a timer or a wake-up).
    last_auto_authkit: Option<Instant>,
    last_auto_sync: Option<Instant>,
    /// The page is visible: the driver allows the automatic refresh only then.
    visible: bool,
}

struct PendingRequest {
    instance: u64,
    tab: usize,
    request: OpId,
    body: String,
    cancelled: Cancelled,
}

/// A request the client gave up on can still be answered late: the network decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cancelled {
    No,
    /// At its deadline: the server never saw it, but a late error may still arrive.
    Unprocessed,
    /// By a sign-out or dispose: the server may already have processed it, and its late
    /// success must change nothing.
    MaybeProcessed,
}

#[derive(Default)]
struct Locks {
    holder: Option<(u64, OpId)>,
    queue: VecDeque<(u64, OpId)>,
    grants: Vec<(u64, OpId)>,
}

impl Locks {
    fn acquire(&mut self, who: (u64, OpId)) {
        if self.holder.is_none() {
            self.holder = Some(who);
            self.grants.push(who);
        } else {
            self.queue.push_back(who);
        }
    }

    fn release(&mut self, who: (u64, OpId)) {
        self.queue.retain(|w| *w != who);
        self.grants.retain(|w| *w != who);
        if self.holder == Some(who) {
            self.holder = self.queue.pop_front();
            if let Some(next) = self.holder {
                self.grants.push(next);
            }
        }
    }

    /// A page unload releases everything it held or asked for.
    fn release_instance(&mut self, instance: u64) {
        let mine: Vec<_> = self
            .queue
            .iter()
            .chain(self.holder.iter())
            .filter(|w| w.0 == instance)
            .copied()
            .collect();
        for w in mine {
            self.release(w);
        }
    }
}

/// Whose AuthKit session: a tab's current one, or a disposed one still finishing a refresh.
#[derive(Debug, Clone, Copy)]
enum Who {
    Tab(usize),
    Retired(usize),
}

struct Retired {
    tab: usize,
    instance: u64,
    session: AuthKitSession,
}

pub struct World {
    /// The monotonic clock the machines run on.
    pub now: Instant,
    /// True time (Unix ms): the servers' clock.
    pub true_ms: u64,
    /// The tabs' wall clock minus true time.
    pub skew_ms: i64,
    pub tabs: Vec<Tab>,
    retired: Vec<Retired>,
    pub api: SimAuthKit,
    local: BTreeMap<String, String>,
    requests: Vec<PendingRequest>,
    locks: Locks,
    beacons: Vec<String>,
    next_instance: u64,
    next_key: u64,
    config: AuthKitConfig,
    /// A sign-out happened since the last sign-in: sessions may legitimately end.
    pub signed_out_this_epoch: bool,
    /// `api.refused_signed_out` when the epoch began: a refusal since then (a tab presented a
    /// session that was signed out, which it had adopted through the shared storage) is a
    /// legitimate end too.
    refused_at_epoch: u32,
    pub violations: Vec<String>,
    pub max_refreshes_in_flight: usize,
    /// A sign-out or dispose is under way: what it cancels may already have been processed.
    ending_session: bool,
    /// Late answers delivered for requests the client had given up on.
    pub late_answers: u32,
}

fn config() -> AuthKitConfig {
    let mut c = AuthKitConfig::new("client_sim", "http://localhost:8080", "localhost");
    c.redirect_uri = "http://localhost:8080/callback".into();
    c
}

fn key(area: StorageArea, key: &str) -> (StorageArea, String) {
    (area, key.to_owned())
}

impl World {
    /// Tabs against an AuthKit issuing 300 s tokens.
    pub fn new(tabs: usize) -> World {
        World::with_lifetime(tabs, 300)
    }

    /// Tabs against an AuthKit issuing tokens that live `lifetime_secs`.
    pub fn with_lifetime(tabs: usize, lifetime_secs: u64) -> World {
        let mut w = World {
            now: Instant::from_millis(MONO0),
            true_ms: T0,
            skew_ms: 0,
            tabs: Vec::new(),
            retired: Vec::new(),
            api: SimAuthKit::new(lifetime_secs),
            local: BTreeMap::new(),
            requests: Vec::new(),
            locks: Locks::default(),
            beacons: Vec::new(),
            next_instance: 0,
            next_key: 0,
            config: config(),
            signed_out_this_epoch: false,
            refused_at_epoch: 0,
            violations: Vec::new(),
            max_refreshes_in_flight: 0,
            ending_session: false,
            late_answers: 0,
        };
        for t in 0..tabs {
            let tab = w.new_tab(t, PageLoad::default(), BTreeMap::new());
            w.tabs.push(tab);
            w.pump(t);
        }
        w
    }

    /// True time in seconds (the servers' clock).
    fn now_secs(&self) -> u64 {
        self.true_ms / 1000
    }

    /// The tabs' wall clock, Unix ms.
    pub fn wall_ms(&self) -> u64 {
        (self.true_ms as i64).saturating_add(self.skew_ms).max(0) as u64
    }

    fn key(&mut self) -> u64 {
        self.next_key += 1;
        self.next_key
    }

    /// Moves the monotonic clock and true time together by `ms`.
    fn tick(&mut self, ms: u64) {
        self.now = Instant::from_millis(self.now.as_millis() + ms);
        self.true_ms += ms;
    }

    /// Every tab reads the wall clock (the runtime does this every few seconds).
    fn read_wall_clocks(&mut self) {
        let (wall, now) = (self.wall_ms(), self.now);
        for tab in &mut self.tabs {
            tab.authkit.handle_wall_clock(wall, now);
            tab.sync.handle_wall_clock(wall, now);
        }
    }

    /// The lifetime of AuthKit's access tokens, seconds.
    pub fn lifetime_secs(&self) -> u64 {
        self.api.lifetime_secs
    }

    fn new_tab(
        &mut self,
        index: usize,
        mut page: PageLoad,
        session_storage: BTreeMap<String, String>,
    ) -> Tab {
        self.next_instance += 1;
        page.has_stored_session = self.local.contains_key(&self.config.refresh_token_key());
        page.stored_organization = session_storage.get(&self.config.org_key()).cloned();
        let (wall, now) = (self.wall_ms(), self.now);
        let mut authkit = AuthKitSession::new(self.config.clone(), now);
        authkit.handle_wall_clock(wall, now);
        authkit.start(page, now);
        let seed = self.next_instance * 7 + index as u64;
        let instance = self.next_instance;
        let mut sync = self.new_sync(format!("session-{instance}"), seed);
        let query = sync.subscribe("auth:whoami", &Object::new());
        let (client_key, fetcher_key) = (self.key(), self.key());
        Tab {
            instance,
            authkit,
            sync,
            query,
            link: AuthLink::new(),
            client_key,
            fetcher_key,
            generation: 0,
            old_clients: Vec::new(),
            waiting: BTreeMap::new(),
            socket: None,
            session_storage,
            switches: BTreeMap::new(),
            reload_pending: false,
            signed_in_this_epoch: false,
            shown: None,
            sign_in_url: None,
            last_auto_authkit: None,
            last_auto_sync: None,
            visible: true,
        }
    }

    fn new_sync(&self, session: String, seed: u64) -> SyncClient {
        let mut sync = SyncClient::new(model_config(session, seed), self.now);
        sync.handle_wall_clock(self.wall_ms(), self.now);
        sync
    }

    /// The tab's page is replaced (reload, navigation back from AuthKit).
    fn reload(&mut self, t: usize, page: PageLoad) {
        let old = self.tabs[t].instance;
        self.locks.release_instance(old);
        self.requests.retain(|r| r.instance != old); // an unloading page's fetches are aborted
        let storage = std::mem::take(&mut self.tabs[t].session_storage);
        let was = self.tabs[t].signed_in_this_epoch;
        let mut tab = self.new_tab(t, page, storage);
        tab.signed_in_this_epoch = was;
        self.tabs[t] = tab;
        self.pump(t);
    }

    // ----- wiring: what the browser drivers and the Yew providers do -----

    fn session(&mut self, who: Who) -> &mut AuthKitSession {
        match who {
            Who::Tab(t) => &mut self.tabs[t].authkit,
            Who::Retired(i) => &mut self.retired[i].session,
        }
    }

    fn who(&self, instance: u64) -> Option<Who> {
        if let Some(t) = self.tabs.iter().position(|t| t.instance == instance) {
            return Some(Who::Tab(t));
        }
        self.retired
            .iter()
            .position(|r| r.instance == instance)
            .map(Who::Retired)
    }

    /// A disposed session's I/O (it may still be finishing a refresh); its events go nowhere.
    fn pump_retired(&mut self, i: usize) {
        while let Some(io) = self.retired[i].session.poll_io() {
            let (tab, instance) = (self.retired[i].tab, self.retired[i].instance);
            self.authkit_io(Who::Retired(i), tab, instance, io);
        }
        while self.retired[i].session.poll_event().is_some() {}
    }

    fn pump_who(&mut self, who: Who) {
        match who {
            Who::Tab(t) => self.pump(t),
            Who::Retired(i) => self.pump_retired(i),
        }
    }

    /// Carries out both machines' I/O and events, and the provider's auth decision, until
    /// nothing moves.
    pub fn pump(&mut self, t: usize) {
        let mut gave_up = false;
        for _ in 0..10_000 {
            let mut moved = false;
            while let Some(io) = self.tabs[t].authkit.poll_io() {
                moved = true;
                let instance = self.tabs[t].instance;
                self.authkit_io(Who::Tab(t), t, instance, io);
            }
            while let Some(ev) = self.tabs[t].authkit.poll_event() {
                moved = true;
                self.authkit_event(t, ev);
            }
            moved |= self.render(t);
            while let Some(io) = self.tabs[t].sync.poll_io() {
                moved = true;
                self.sync_io(t, io);
            }
            while let Some(ev) = self.tabs[t].sync.poll_event() {
                moved = true;
                let tab = &mut self.tabs[t];
                match &ev {
                    Event::AuthGaveUp(why) => {
                        gave_up = true;
                        if !self.sessions_may_end() {
                            self.violations
                                .push(format!("tab {t}: auth given up without a sign-out: {why}"));
                        }
                    }
                    Event::AuthChanged { is_authenticated } => {
                        tab.link.server_said(tab.generation, *is_authenticated);
                    }
                    Event::AuthRefreshing(r) => {
                        tab.link.refreshing(tab.generation, *r);
                    }
                    _ => {}
                }
            }
            if !moved {
                break;
            }
        }
        self.check_no_flicker(t, gave_up);
        let in_flight = self
            .requests
            .iter()
            .filter(|r| r.cancelled == Cancelled::No && r.body.contains("\"refresh_token\""))
            .count();
        self.max_refreshes_in_flight = self.max_refreshes_in_flight.max(in_flight);
        if in_flight > 1 {
            self.violations.push(format!(
                "{in_flight} refresh requests in flight across tabs"
            ));
        }
        if self.tabs[t].reload_pending {
            self.tabs[t].reload_pending = false;
            self.reload(t, PageLoad::default());
        }
    }

    /// What `ConvexProviderWithAuthKit` passes the link on a render.
    fn input(&self, t: usize) -> AuthInput<u64, u64> {
        let tab = &self.tabs[t];
        let is_authenticated = tab.authkit.snapshot().user.is_some();
        AuthInput {
            is_loading: tab.authkit.is_loading(),
            is_authenticated,
            identity: authkit_identity(&tab.authkit.snapshot()),
            client: tab.client_key,
            fetcher: tab.fetcher_key,
        }
    }

    /// The provider renders: the link decides, the provider carries it out (a deferred
    /// `clear_auth` runs at once here: the model has no children to unmount first).
    fn render(&mut self, t: usize) -> bool {
        let input = self.input(t);
        if input.is_authenticated && !input.is_loading {
            self.tabs[t].signed_in_this_epoch = true;
        }
        let now = self.now;
        let tab = &mut self.tabs[t];
        let actions = tab.link.update(&input);
        let moved = !actions.is_empty();
        for action in actions {
            match action {
                LinkAction::SetAuth {
                    client, generation, ..
                } => {
                    assert_eq!(client, tab.client_key, "set_auth on an old client");
                    tab.generation = generation;
                    tab.sync.set_auth(now);
                }
                LinkAction::Reauthenticate { client } => {
                    assert_eq!(client, tab.client_key, "reauthenticate on an old client");
                    tab.sync.reauthenticate(now);
                }
                LinkAction::ClearAuth { client } => {
                    if !tab.link.clear_is_due(&client) {
                        continue;
                    }
                    if client == tab.client_key {
                        tab.sync.clear_auth(now);
                    } else if let Some(i) = tab.old_clients.iter().position(|(k, _)| *k == client) {
                        let (_, mut old) = tab.old_clients.remove(i);
                        old.clear_auth(now);
                        old.close();
                    }
                }
            }
        }
        // An old client the link no longer mentions (it was never authenticated) goes too.
        if !moved {
            for (_, mut old) in tab.old_clients.drain(..) {
                old.close();
            }
        }
        moved
    }

    /// `is_authenticated` never goes from true to false while the same provider (client and
    /// fetcher) stays signed in, unless Convex gave auth up: an identity change, a refresh or
    /// a token swap must not flicker.
    fn check_no_flicker(&mut self, t: usize, gave_up: bool) {
        let input = self.input(t);
        let state = self.tabs[t].link.state(&input);
        if let Some((before, shown)) = &self.tabs[t].shown {
            let same_provider = before.is_authenticated
                && input.is_authenticated
                && before.client == input.client
                && before.fetcher == input.fetcher;
            if shown.is_authenticated && !state.is_authenticated && same_provider && !gave_up {
                self.violations.push(format!(
                    "tab {t}: is_authenticated flickered off while signed in ({state:?})"
                ));
            }
        }
        self.tabs[t].shown = Some((input, state));
    }

    fn authkit_io(&mut self, who: Who, t: usize, instance: u64, io: SessionIo) {
        match io {
            SessionIo::Authenticate { request, body, .. } => self.requests.push(PendingRequest {
                instance,
                tab: t,
                request,
                body: body.expose().to_owned(),
                cancelled: Cancelled::No,
            }),
            SessionIo::CancelRequest { request } => {
                let how = if self.ending_session {
                    Cancelled::MaybeProcessed
                } else {
                    Cancelled::Unprocessed
                };
                for r in &mut self.requests {
                    if r.instance == instance && r.request == request {
                        r.cancelled = how;
                    }
                }
            }
            SessionIo::AcquireLock { lock, .. } => self.locks.acquire((instance, lock)),
            SessionIo::ReleaseLock { lock } => self.locks.release((instance, lock)),
            SessionIo::Read { read, area, key: k } => {
                let value = self.storage_get(t, key(area, &k));
                let now = self.now;
                self.session(who).handle_storage_read(read, value, now);
            }
            SessionIo::Write {
                write,
                area,
                key: k,
                value,
            } => {
                self.storage_set(t, key(area, &k), Some(value.expose().to_owned()));
                let now = self.now;
                self.session(who).handle_storage_written(write, Ok(()), now);
            }
            SessionIo::WriteIf {
                write,
                area,
                key: k,
                expected,
                value,
            } => {
                let current = self.storage_get(t, key(area, &k));
                if current.as_deref() == expected.as_ref().map(Secret::expose) {
                    self.storage_set(t, key(area, &k), Some(value.expose().to_owned()))
                }
                let now = self.now;
                self.session(who).handle_storage_written(write, Ok(()), now);
            }
            SessionIo::RemoveIf {
                area,
                key: k,
                expected,
            } => {
                if self.storage_get(t, key(area, &k)).as_deref() == Some(expected.expose()) {
                    self.storage_set(t, key(area, &k), None)
                }
            }
            SessionIo::Remove { area, key: k } => self.storage_set(t, key(area, &k), None),
            SessionIo::ReplaceSearch { .. } => {}
            SessionIo::Navigate { url } => {
                if let Some(sid) = session_of(&url) {
                    self.api.logout(&sid);
                }
                if let Who::Tab(t) = who {
                    self.tabs[t].reload_pending = true;
                }
            }
            SessionIo::Beacon { url } => self.beacons.push(url),
            SessionIo::AskAutoRefresh { ask } => {
                // The browser driver answers at once: the tab's visibility decides.
                let now = self.now;
                match who {
                    Who::Tab(t) => {
                        let tab = &mut self.tabs[t];
                        let busy = tab.authkit.is_busy();
                        tab.authkit
                            .handle_auto_refresh_answer(ask, tab.visible, now);
                        if !busy && self.tabs[t].authkit.is_busy() {
                            self.auto_started(t, "AuthKit");
                        }
                    }
                    Who::Retired(_) => self.session(who).handle_auto_refresh_answer(ask, true, now),
                }
            }
        }
    }

    fn authkit_event(&mut self, t: usize, ev: SessionEvent) {
        let now = self.now;
        let tab = &mut self.tabs[t];
        match ev {
            SessionEvent::Token { waiter, result } => {
                if let Some(fetch) = tab.waiting.remove(&waiter) {
                    tab.sync
                        .token_fetched(fetch, token_fetch(result.map(|t| t.0)), now);
                }
            }
            SessionEvent::OrganizationSwitched { waiter, result } => {
                let wanted = tab.switches.remove(&waiter).unwrap_or_default();
                let snapshot = tab.authkit.snapshot();
                match result {
                    Ok(()) if snapshot.organization_id.as_deref() != Some(wanted.as_str()) => {
                        self.violations.push(format!(
                            "tab {t}: switch to {wanted} said Ok but the session is in {:?}",
                            snapshot.organization_id
                        ))
                    }
                    Err(AuthKitError::LoginRequired) if snapshot.user.is_some() => {
                        self.violations.push(format!(
                            "tab {t}: switch said LoginRequired while signed in"
                        ))
                    }
                    Err(AuthKitError::OrganizationRefused(_)) if snapshot.user.is_none() => self
                        .violations
                        .push(format!("tab {t}: a refused switch ended the session")),
                    _ => {}
                }
            }
            SessionEvent::SignInUrl { waiter, result } => tab.sign_in_url = Some((waiter, result)),
            SessionEvent::StorageFailed(e) => self
                .violations
                .push(format!("tab {t}: a storage write failed in the model: {e}")),
            SessionEvent::SignedIn { .. } => {
                // A completed sign-in starts a new epoch: earlier sign-outs no longer explain
                // a session ending.
                self.signed_out_this_epoch = false;
                self.refused_at_epoch = self.api.refused_signed_out;
                for tab in &mut self.tabs {
                    tab.signed_in_this_epoch = false;
                }
            }
            _ => {}
        }
    }

    fn sync_io(&mut self, t: usize, io: Io) {
        let now = self.now;
        let tab = &mut self.tabs[t];
        match io {
            Io::Connect { socket } => {
                tab.socket = Some(Socket {
                    id: socket,
                    opened: false,
                    inbox: VecDeque::new(),
                    server: Conn::default(),
                })
            }
            Io::Send { socket, text } => match &mut tab.socket {
                Some(s) if s.id == socket && s.opened => {
                    if let Ok(ClientMessage::Authenticate {
                        token_type: AuthTokenType::None,
                        ..
                    }) = ClientMessage::parse(&text)
                    {
                        if tab.sync.is_authenticated() {
                            self.violations.push(format!(
                                "tab {t}: anonymous Authenticate sent while reporting authenticated"
                            ));
                        }
                    }
                    s.inbox.push_back(text)
                }
                _ => self.violations.push(format!(
                    "tab {t}: a frame sent on a socket that is not open"
                )),
            },
            Io::Close { socket, .. } => {
                if tab.socket.as_ref().is_some_and(|s| s.id == socket) {
                    tab.socket = None;
                }
            }
            Io::FetchToken {
                fetch,
                force_refresh,
            } => {
                let waiter = tab.authkit.get_access_token(force_refresh, now);
                tab.waiting.insert(waiter, fetch);
            }
        }
    }

    fn storage_get(&self, t: usize, (area, k): (StorageArea, String)) -> Option<String> {
        match area {
            StorageArea::Local => self.local.get(&k).cloned(),
            StorageArea::Session => self.tabs[t].session_storage.get(&k).cloned(),
        }
    }

    fn storage_set(&mut self, t: usize, (area, k): (StorageArea, String), v: Option<String>) {
        let map = match area {
            StorageArea::Local => &mut self.local,
            StorageArea::Session => &mut self.tabs[t].session_storage,
        };
        match v {
            Some(v) => {
                map.insert(k, v);
            }
            None => {
                map.remove(&k);
            }
        }
    }

    // ----- the Convex server side -----

    /// Opens the tab's connecting socket and runs its frames through the server.
    fn deliver_convex(&mut self, t: usize) -> bool {
        let mut moved = false;
        for _ in 0..100 {
            let now = self.now;
            let now_secs = self.now_secs();
            let Some(socket) = &mut self.tabs[t].socket else {
                break;
            };
            let id = socket.id;
            if !socket.opened {
                socket.opened = true;
                moved = true;
                self.tabs[t].sync.handle_open(id, now);
                self.pump(t);
                continue;
            }
            let Some(text) = socket.inbox.pop_front() else {
                break;
            };
            moved = true;
            let replies = socket.server.handle(&text, &self.api, now_secs);
            self.replies(t, id, replies);
        }
        moved
    }

    fn replies(&mut self, t: usize, id: SocketId, replies: Vec<Reply>) {
        let now = self.now;
        for reply in replies {
            if self.tabs[t].socket.as_ref().map(|s| s.id) != Some(id) {
                break;
            }
            match reply {
                Reply::Send(msg) => self.tabs[t].sync.handle_message(id, &msg.to_text(), now),
                Reply::Close(reason) => {
                    self.tabs[t].socket = None;
                    self.tabs[t].sync.handle_close(id, 1000, reason, now);
                }
            }
            self.pump(t);
        }
    }

    fn drop_socket(&mut self, t: usize, reason: &str) {
        if let Some(s) = self.tabs[t].socket.take() {
            let now = self.now;
            self.tabs[t].sync.handle_close(s.id, 1006, reason, now);
            self.pump(t);
        }
    }

    // ----- time -----

    fn next_timer(&self) -> Option<Instant> {
        self.tabs
            .iter()
            .flat_map(|tab| [tab.sync.poll_timeout(), tab.authkit.poll_timeout()])
            .chain(self.retired.iter().map(|r| r.session.poll_timeout()))
            .flatten()
            .min()
    }

    /// Moves the clock to `target`, firing timers in order; the server pings open sockets
    /// every 15 s and closes those whose identity expired.
    fn advance_to(&mut self, target: Instant) {
        while self.now < target {
            let chunk_end =
                Instant::from_millis((self.now.as_millis() + 15_000).min(target.as_millis()));
            while let Some(t) = self.next_timer().filter(|t| *t <= chunk_end) {
                self.tick(t.as_millis().saturating_sub(self.now.as_millis()));
                self.fire_timers();
                if self.next_timer().is_some_and(|again| again <= self.now) {
                    self.violations.push(format!(
                        "a timer due at {t:?} stays due after it fired (busy loop)"
                    ));
                    return;
                }
            }
            self.tick(chunk_end.as_millis().saturating_sub(self.now.as_millis()));
            self.read_wall_clocks();
            self.fire_timers();
            for t in 0..self.tabs.len() {
                let now_secs = self.now_secs();
                let Some(s) = &mut self.tabs[t].socket else {
                    continue;
                };
                if !(s.opened && s.server.connected) {
                    continue;
                }
                let id = s.id;
                let mut replies = s.server.expire_identity(&self.api, now_secs);
                if replies.is_empty() {
                    replies.push(Reply::Send(ServerMessage::Ping));
                }
                self.replies(t, id, replies);
            }
        }
    }

    fn fire_timers(&mut self) {
        for t in 0..self.tabs.len() {
            self.on_clock(t, false);
        }
        let now = self.now;
        for i in 0..self.retired.len() {
            self.retired[i].session.handle_timeout(now);
            self.pump_retired(i);
        }
    }

    /// A timer fired (`wake`: the page came back) on tab `t`: both machines run what is due.
    /// What they start on their own is counted against the once-a-second floor.
    fn on_clock(&mut self, t: usize, wake: bool) {
        let now = self.now;
        let tab = &mut self.tabs[t];
        let busy = tab.authkit.is_busy();
        if wake {
            tab.sync.handle_wake(now);
            tab.authkit.handle_wake(now);
        } else {
            tab.sync.handle_timeout(now);
            tab.authkit.handle_timeout(now);
        }
        let authkit_started = !busy && tab.authkit.is_busy();
        let ios: Vec<Io> = std::iter::from_fn(|| tab.sync.poll_io()).collect();
        if authkit_started {
            self.auto_started(t, "AuthKit");
        }
        if ios.iter().any(|io| matches!(io, Io::FetchToken { .. })) {
            self.auto_started(t, "Convex");
        }
        for io in ios {
            self.sync_io(t, io);
        }
        self.pump(t);
    }

    /// A machine of tab `t` started a refresh of its own (a timer, a wake-up, or an
    /// automatic refresh the driver allowed): two such starts under the floor apart are a
    /// violation.
    fn auto_started(&mut self, t: usize, machine: &str) {
        let now = self.now;
        let tab = &mut self.tabs[t];
        let last = match machine {
            "AuthKit" => tab.last_auto_authkit.replace(now),
            _ => tab.last_auto_sync.replace(now),
        };
        if std::env::var_os("MODEL_TRACE").is_some() {
            eprintln!("tab {t}: {machine} auto start at {now:?}, last {last:?}");
        }
        if let Some(last) =
            last.filter(|l| now.since(*l).as_millis() < MIN_AUTO_INTERVAL_MS as u128)
        {
            self.violations.push(format!(
                "tab {t}: {machine} started two refreshes of its own {} ms apart",
                now.since(last).as_millis()
            ));
        }
    }

    fn deliver_request(&mut self, index: usize, fate: Fate) {
        let r = self.requests.remove(index);
        let fate = match (r.cancelled, fate) {
            (Cancelled::Unprocessed, Fate::Answer) => Fate::NetworkError,
            (_, fate) => fate,
        };
        if r.cancelled != Cancelled::No {
            self.late_answers += 1;
        }
        let answer = match fate {
            Fate::Answer => Ok(self.api.authenticate(&r.body, self.now_secs())),
            Fate::Unavailable => Ok((503, String::new())),
            Fate::NetworkError => Err("offline".to_owned()),
        };
        if std::env::var_os("MODEL_TRACE").is_some() {
            let shown = format!("{answer:?}");
            eprintln!(
                "{:?}: request {} of instance {} ({:?}) answered {}",
                self.now,
                r.request.0,
                r.instance,
                r.cancelled,
                shown.chars().take(160).collect::<String>()
            );
        }
        if let Some(who) = self.who(r.instance) {
            let now = self.now;
            self.session(who).handle_response(r.request, answer, now);
            self.pump_who(who);
        }
    }

    fn grant_locks(&mut self) -> bool {
        let grants = std::mem::take(&mut self.locks.grants);
        let moved = !grants.is_empty();
        for (instance, lock) in grants {
            if let Some(who) = self.who(instance) {
                let now = self.now;
                self.session(who).handle_lock_granted(lock, now);
                self.pump_who(who);
            }
        }
        moved
    }

    fn deliver_beacons(&mut self) -> bool {
        let beacons = std::mem::take(&mut self.beacons);
        for url in &beacons {
            if let Some(sid) = session_of(url) {
                self.api.logout(&sid);
            }
        }
        !beacons.is_empty()
    }

    // ----- steps -----

    pub fn step(&mut self, step: &Step) {
        let n = self.tabs.len();
        match *step {
            Step::SignIn(t) => self.step(&Step::SignInAs { tab: t, user: 0 }),
            Step::SignInAs { tab: t, user } => {
                let t = t % n;
                let waiter =
                    self.tabs[t]
                        .authkit
                        .sign_in_url(&SignInOptions::default(), false, &[7u8; 96]);
                self.pump(t);
                let Some((w, Ok(url))) = self.tabs[t].sign_in_url.take() else {
                    self.violations
                        .push(format!("tab {t}: no sign-in URL with storage working"));
                    return;
                };
                assert_eq!(w, waiter);
                let challenge = urls::parse_query(url.split_once('?').map_or("", |(_, q)| q))
                    .into_iter()
                    .find(|(k, _)| k == "code_challenge")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                let code = self.api.create_code(&challenge, user);
                let verifier = self.tabs[t].session_storage.get(VERIFIER_KEY).cloned();
                self.reload(
                    t,
                    PageLoad {
                        pathname: "/callback".into(),
                        search: format!("?code={code}"),
                        verifier: verifier.map(Secret::new),
                        ..Default::default()
                    },
                );
            }
            Step::Reload(t) => self.reload(t % n, PageLoad::default()),
            Step::SignOut { tab, navigate } => {
                let t = tab % n;
                let now = self.now;
                self.ending_session = true;
                if self.tabs[t].authkit.sign_out(None, navigate, now).is_ok() {
                    self.signed_out_this_epoch = true;
                }
                self.pump(t);
                self.ending_session = false;
            }
            Step::GetToken { tab, force } => {
                let t = tab % n;
                let now = self.now;
                let _dropped = self.tabs[t].authkit.get_access_token(force, now);
                self.pump(t);
            }
            Step::Switch { tab, org } => {
                let t = tab % n;
                let org = ["org_a", "org_b", "org_x"][org as usize % 3];
                let now = self.now;
                let w = self.tabs[t].authkit.switch_to_organization(org, now);
                self.tabs[t].switches.insert(w, org.to_owned());
                self.pump(t);
            }
            Step::DropSocket(t) => self.drop_socket(t % n, "InternalServerError"),
            Step::Advance(ms) => {
                let target = Instant::from_millis(self.now.as_millis() + ms as u64);
                self.advance_to(target);
            }
            Step::Sleep { secs, mono_sees } => {
                for t in 0..n {
                    self.drop_socket(t, "");
                }
                let ms = secs as u64 * 1000;
                if mono_sees {
                    self.tick(ms);
                } else {
                    self.true_ms += ms; // the monotonic clock stood still
                }
                self.read_wall_clocks();
                for t in 0..n {
                    self.on_clock(t, true);
                }
            }
            Step::WallClockJump(ms) => {
                self.skew_ms = self.skew_ms.saturating_add(ms);
                self.read_wall_clocks();
                for t in 0..n {
                    self.on_clock(t, true);
                }
            }
            Step::BreakNextToken => self.api.broken_next += 1,
            Step::DeliverAuthKit { pick, fate } => {
                if !self.requests.is_empty() {
                    let i = pick % self.requests.len();
                    self.deliver_request(i, fate);
                }
            }
            Step::GrantLocks => {
                self.grant_locks();
            }
            Step::DeliverConvex(t) => {
                self.deliver_convex(t % n);
            }
            Step::DeliverBeacons => {
                self.deliver_beacons();
            }
            Step::FetcherSwap(t) => {
                let t = t % n;
                self.tabs[t].fetcher_key = self.key();
                self.pump(t);
            }
            Step::ClientSwap(t) => {
                let t = t % n;
                self.next_instance += 1;
                let mut sync = self.new_sync(format!("session-{}", self.next_instance), 99);
                let key = self.key();
                let tab = &mut self.tabs[t];
                let query = sync.subscribe("auth:whoami", &Object::new());
                let old = std::mem::replace(&mut tab.sync, sync);
                let old_key = std::mem::replace(&mut tab.client_key, key);
                // The old client's socket is the server's no longer: the model follows the
                // current client's socket only (the old one is cleared, then closed).
                tab.old_clients.push((old_key, old));
                tab.query = query;
                tab.socket = None;
                tab.waiting.clear();
                self.pump(t);
            }
            Step::AuthKitSwap(t) => {
                let t = t % n;
                self.tabs[t].authkit.dispose();
                self.ending_session = true;
                self.pump(t);
                self.ending_session = false;
                let mut page = PageLoad {
                    has_stored_session: self.local.contains_key(&self.config.refresh_token_key()),
                    stored_organization: self.tabs[t]
                        .session_storage
                        .get(&self.config.org_key())
                        .cloned(),
                    ..Default::default()
                };
                page.pathname = "/".into();
                let now = self.now;
                let mut authkit = AuthKitSession::new(self.config.clone(), now);
                authkit.handle_wall_clock(self.wall_ms(), now);
                authkit.start(page, now);
                let old = std::mem::replace(&mut self.tabs[t].authkit, authkit);
                self.next_instance += 1;
                let old_instance =
                    std::mem::replace(&mut self.tabs[t].instance, self.next_instance);
                self.retired.push(Retired {
                    tab: t,
                    instance: old_instance,
                    session: old,
                });
                self.tabs[t].waiting.clear();
                // A new AuthKit client is a new token fetcher for the provider.
                self.tabs[t].fetcher_key = self.key();
                self.pump(t);
            }
            Step::Visibility { tab, visible } => {
                let t = tab % n;
                let shown = visible && !self.tabs[t].visible;
                self.tabs[t].visible = visible;
                if shown {
                    // `visibilitychange` wakes both machines, as the runtime's listeners do.
                    self.on_clock(t, true);
                }
            }
        }
    }

    /// Lets everything in flight land with both servers reachable, running timers up to
    /// [`HORIZON_MS`] ahead, until nothing moves, or [`SETTLE_CAP_MS`] passed (with everything
    /// in flight landed).
    pub fn settle(&mut self) {
        let cap = self.now.as_millis()
            + if self.lifetime_secs() >= 60 {
                SETTLE_CAP_MS
            } else {
                SHORT_SETTLE_CAP_MS
            };
        for _ in 0..50_000 {
            let mut moved = self.grant_locks();
            while !self.requests.is_empty() {
                self.deliver_request(0, Fate::Answer);
                moved = true;
            }
            for t in 0..self.tabs.len() {
                moved |= self.deliver_convex(t);
            }
            moved |= self.deliver_beacons();
            if moved {
                continue;
            }
            match self.next_timer() {
                Some(at)
                    if at.as_millis() <= self.now.as_millis() + HORIZON_MS
                        && at.as_millis() <= cap =>
                {
                    self.advance_to(at.max(self.now));
                    if at <= self.now {
                        self.fire_timers();
                    }
                }
                _ => return,
            }
        }
        self.violations
            .push("the world never settled (something keeps moving)".into());
    }

    /// A sign-out (here, or of a session a tab adopted) explains a session ending.
    fn sessions_may_end(&self) -> bool {
        self.signed_out_this_epoch || self.api.refused_signed_out > self.refused_at_epoch
    }

    // ----- what tests look at -----

    /// The refresh token in localStorage.
    pub fn stored_refresh_token(&self) -> Option<&String> {
        self.local.get(&self.config.refresh_token_key())
    }

    /// Whom the Convex server authorizes tab `t`'s socket as (`sub|org|sid`), if anyone.
    pub fn server_identity(&self, t: usize) -> Option<String> {
        self.tabs[t].socket.as_ref()?.server.identity.clone()
    }

    /// Which page instance holds the cross-tab lock.
    pub fn lock_holder(&self) -> Option<u64> {
        self.locks.holder.map(|(instance, _)| instance)
    }

    /// Requests waiting for AuthKit (not given up on).
    pub fn requests_out(&self) -> usize {
        self.requests
            .iter()
            .filter(|r| r.cancelled == Cancelled::No)
            .count()
    }

    // ----- invariants -----

    /// Checked after [`settle`](Self::settle).
    pub fn check_settled(&mut self) {
        if self.api.reuse_detected > 0 {
            self.violations
                .push("a rotated-out refresh token was presented again".into());
        }
        for t in 0..self.tabs.len() {
            let tab = &self.tabs[t];
            let user = tab.authkit.snapshot().user.is_some();
            let state = tab.sync.connection_state();
            let mut v = Vec::new();
            if tab.authkit.is_loading() {
                v.push("AuthKit still loading with AuthKit reachable".to_string());
            }
            if !state.is_websocket_connected {
                v.push("no socket with Connect sent".into());
            }
            let identity = tab.socket.as_ref().and_then(|s| s.server.identity.clone());
            let result = tab.sync.query_result(tab.query);
            match (result, result.and_then(QueryResult::value)) {
                (None, _) => v.push("the subscribed query has no result".into()),
                (_, Some(Value::String(u))) if Some(u) == identity.as_ref() => {
                    if !tab.sync.is_authenticated() {
                        v.push("the server sees the user but the client says anonymous".into())
                    }
                }
                (_, Some(Value::Null)) => {
                    if tab.sync.is_authenticated() {
                        v.push("authenticated while the server holds no identity".into())
                    }
                }
                (Some(other), _) => v.push(format!("unexpected query result {other:?}")),
            }
            if tab.sync.is_authenticated() != identity.is_some() {
                v.push(format!(
                    "client authenticated={} but server identity={identity:?}",
                    tab.sync.is_authenticated()
                ));
            }
            if user != tab.sync.is_authenticated() {
                v.push(format!(
                    "AuthKit user={user} but Convex authenticated={}",
                    tab.sync.is_authenticated()
                ));
            }
            // The server authorizes as whom AuthKit's current token speaks for: subject,
            // organization and session (an org switch or an adopted session included).
            let claims = tab.authkit.claims();
            let expected = user.then(|| {
                let s = |v: Option<String>| v.unwrap_or_default();
                format!("{}|{}|{}", s(claims.sub), s(claims.org_id), s(claims.sid))
            });
            if user && identity != expected {
                v.push(format!(
                    "the server's identity {identity:?} is not AuthKit's {expected:?}"
                ));
            }
            let shown = tab.link.state(&self.input(t));
            if shown.is_loading || shown.is_authenticated != user {
                v.push(format!(
                    "use_convex_auth shows {shown:?} with AuthKit user={user}"
                ));
            }
            if !self.sessions_may_end() && tab.signed_in_this_epoch && !user {
                v.push("signed out without a sign-out (transient failures only)".into());
            }
            if self.signed_out_this_epoch && user {
                // The session was revoked: a settled tab must have found out by now only if
                // its token expired; it may still hold an unexpired access token.
            }
            for msg in v {
                self.violations
                    .push(format!("tab {t} after settling: {msg}"));
            }
        }
    }

    /// After a sign-out, once every access token has expired and everything landed: no tab
    /// holds a session that was signed out (two tabs may hold two sessions: signing one out
    /// leaves the other), storage holds no refresh token of a signed-out session, and the
    /// server sees nobody for a tab that is signed out.
    pub fn check_signed_out_everywhere(&mut self) {
        if !self.signed_out_this_epoch {
            return;
        }
        let target = Instant::from_millis(self.now.as_millis() + 2 * self.lifetime_secs() * 1000);
        self.advance_to(target);
        self.settle();
        for t in 0..self.tabs.len() {
            let tab = &self.tabs[t];
            let identity = tab.socket.as_ref().and_then(|s| s.server.identity.clone());
            let sid = tab.authkit.claims().sid;
            let user = tab.authkit.snapshot().user.is_some();
            if user && !sid.as_deref().is_some_and(|s| self.api.session_alive(s)) {
                self.violations.push(format!(
                    "tab {t}: still signed in to a session that was signed out ({sid:?})"
                ));
            }
            if !user && (tab.sync.is_authenticated() || identity.is_some()) {
                self.violations.push(format!(
                    "tab {t}: signed out but Convex still authenticated (client={}, server={identity:?})",
                    tab.sync.is_authenticated()
                ));
            }
        }
        if let Some(rt) = self.local.get(&self.config.refresh_token_key()) {
            if self.api.live_session_of(rt).is_none() {
                self.violations
                    .push("a dead refresh token stayed in storage after a sign-out".into());
            }
        }
    }
}

fn session_of(url: &str) -> Option<String> {
    urls::parse_query(url.split_once('?')?.1)
        .into_iter()
        .find(|(k, _)| k == "session_id")
        .map(|(_, v)| v)
}
