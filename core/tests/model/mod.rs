//! The model world: tabs that each run the real [`AuthKitSession`] and [`SyncClient`], wired
//! as the Yew providers wire them (with the same [`token_fetch`] rule), sharing localStorage
//! and the cross-tab lock, against a simulated AuthKit API and a simulated Convex server,
//! on a virtual clock that can jump. [`World::step`] applies one [`Step`]; [`World::settle`]
//! lets everything in flight land with the servers reachable; the `check_*` methods are the
//! invariants.
#![allow(dead_code)]

pub mod sim_authkit;
pub mod sim_convex;

use std::collections::{BTreeMap, VecDeque};

use convex_yew_core::authkit::config::VERIFIER_KEY;
use convex_yew_core::authkit::convex_link::token_fetch;
use convex_yew_core::authkit::machine::{
    AuthKitSession, OpId, PageLoad, Secret, SessionEvent, SessionIo, StorageArea, WaiterId,
};
use convex_yew_core::authkit::urls::{self, SignInOptions};
use convex_yew_core::authkit::{AuthKitConfig, AuthKitError};
use convex_yew_core::protocol::{AuthTokenType, ClientMessage, ServerMessage};
use convex_yew_core::sync::{
    ClientConfig, Event, FetchId, Instant, Io, QueryId, QueryResult, SocketId, SyncClient,
};
use convex_yew_core::value::{Object, Value};

use sim_authkit::{SimAuthKit, USER};
use sim_convex::{Conn, Reply};

pub const T0: u64 = 1_700_000_000_000;
const HORIZON_MS: u64 = 40_000;

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
    /// The user signs in on tab `t` (hosted page, then the callback page).
    SignIn(usize),
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
    /// The machine sleeps `secs` and wakes: sockets died meanwhile.
    Sleep(u32),
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
    auth_set: bool,
    link: BTreeMap<WaiterId, FetchId>,
    socket: Option<Socket>,
    session_storage: BTreeMap<String, String>,
    switches: BTreeMap<WaiterId, String>,
    reload_pending: bool,
    /// Signed in since the last sign-in/sign-out anywhere.
    pub signed_in_this_epoch: bool,
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
    pub now: Instant,
    pub tabs: Vec<Tab>,
    retired: Vec<Retired>,
    pub api: SimAuthKit,
    local: BTreeMap<String, String>,
    requests: Vec<PendingRequest>,
    locks: Locks,
    beacons: Vec<String>,
    next_instance: u64,
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
    pub fn new(tabs: usize) -> World {
        let mut w = World {
            now: Instant::from_millis(T0),
            tabs: Vec::new(),
            retired: Vec::new(),
            api: SimAuthKit::default(),
            local: BTreeMap::new(),
            requests: Vec::new(),
            locks: Locks::default(),
            beacons: Vec::new(),
            next_instance: 0,
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

    fn now_secs(&self) -> u64 {
        self.now.as_millis() / 1000
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
        let mut authkit = AuthKitSession::new(self.config.clone(), self.now);
        authkit.start(page, self.now);
        let seed = self.next_instance * 7 + index as u64;
        let mut sync = SyncClient::new(
            model_config(format!("session-{}", self.next_instance), seed),
            self.now,
        );
        let query = sync.subscribe("auth:whoami", &Object::new());
        Tab {
            instance: self.next_instance,
            authkit,
            sync,
            query,
            auth_set: false,
            link: BTreeMap::new(),
            socket: None,
            session_storage,
            switches: BTreeMap::new(),
            reload_pending: false,
            signed_in_this_epoch: false,
        }
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
            let tab = &mut self.tabs[t];
            let want = !tab.authkit.is_loading() && tab.authkit.snapshot().user.is_some();
            if want {
                tab.signed_in_this_epoch = true;
            }
            if want != tab.auth_set {
                moved = true;
                tab.auth_set = want;
                if want {
                    tab.sync.set_auth(self.now);
                } else {
                    tab.sync.clear_auth(self.now);
                }
            }
            while let Some(io) = self.tabs[t].sync.poll_io() {
                moved = true;
                self.sync_io(t, io);
            }
            while let Some(ev) = self.tabs[t].sync.poll_event() {
                moved = true;
                if let Event::AuthGaveUp(why) = &ev {
                    if !self.sessions_may_end() {
                        self.violations
                            .push(format!("tab {t}: auth given up without a sign-out: {why}"));
                    }
                }
            }
            if !moved {
                break;
            }
        }
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
                area,
                key: k,
                value,
            } => self.storage_set(t, key(area, &k), Some(value.expose().to_owned())),
            SessionIo::WriteIf {
                area,
                key: k,
                expected,
                value,
            } => {
                let current = self.storage_get(t, key(area, &k));
                if current.as_deref() == expected.as_ref().map(Secret::expose) {
                    self.storage_set(t, key(area, &k), Some(value.expose().to_owned()))
                }
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
        }
    }

    fn authkit_event(&mut self, t: usize, ev: SessionEvent) {
        let now = self.now;
        let tab = &mut self.tabs[t];
        match ev {
            SessionEvent::Token { waiter, result } => {
                if let Some(fetch) = tab.link.remove(&waiter) {
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
                tab.link.insert(waiter, fetch);
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
                self.now = self.now.max(t);
                self.fire_timers();
                if self.next_timer().is_some_and(|again| again <= self.now) {
                    self.violations.push(format!(
                        "a timer due at {t:?} stays due after it fired (busy loop)"
                    ));
                    return;
                }
            }
            self.now = chunk_end;
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
        let now = self.now;
        for t in 0..self.tabs.len() {
            self.tabs[t].sync.handle_timeout(now);
            self.tabs[t].authkit.handle_timeout(now, &|| true);
            self.pump(t);
        }
        for i in 0..self.retired.len() {
            self.retired[i].session.handle_timeout(now, &|| true);
            self.pump_retired(i);
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
            Step::SignIn(t) => {
                let t = t % n;
                let url =
                    self.tabs[t]
                        .authkit
                        .sign_in_url(&SignInOptions::default(), false, &[7u8; 96]);
                self.pump(t);
                let challenge = urls::parse_query(url.split_once('?').map_or("", |(_, q)| q))
                    .into_iter()
                    .find(|(k, _)| k == "code_challenge")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                let code = self.api.create_code(&challenge);
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
            Step::Sleep(secs) => {
                for t in 0..n {
                    self.drop_socket(t, "");
                }
                self.now = Instant::from_millis(self.now.as_millis() + secs as u64 * 1000);
                let now = self.now;
                for t in 0..n {
                    self.tabs[t].sync.handle_wake(now);
                    self.tabs[t].authkit.handle_wake(now, &|| true);
                    self.pump(t);
                }
            }
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
                if self.tabs[t].auth_set {
                    let now = self.now;
                    self.tabs[t].sync.set_auth(now);
                    self.pump(t);
                }
            }
            Step::ClientSwap(t) => {
                let t = t % n;
                let now = self.now;
                self.next_instance += 1;
                let tab = &mut self.tabs[t];
                tab.sync.close();
                while tab.sync.poll_io().is_some() {}
                while tab.sync.poll_event().is_some() {}
                tab.sync = SyncClient::new(
                    model_config(format!("session-{}", self.next_instance), 99),
                    now,
                );
                tab.query = tab.sync.subscribe("auth:whoami", &Object::new());
                tab.socket = None;
                tab.link.clear();
                tab.auth_set = false;
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
                self.tabs[t].link.clear();
                self.pump(t);
            }
        }
    }

    /// Lets everything in flight land with both servers reachable, running timers up to
    /// [`HORIZON_MS`] ahead, until nothing moves.
    pub fn settle(&mut self) {
        for _ in 0..2_000 {
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
                Some(at) if at.as_millis() <= self.now.as_millis() + HORIZON_MS => {
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
                (_, Some(Value::String(u))) if *u == USER => {
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
        let target =
            Instant::from_millis(self.now.as_millis() + 2 * sim_authkit::LIFETIME_SECS * 1000);
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
