//! Carries out what the core asks (sockets, token fetches, the next timer) and hands its
//! events to the app. User callbacks run after the client's state is released, so they may
//! call back into the client.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use convex_yew_core::sorted_map::SortedMap;
use convex_yew_core::sync::{
    ConnectionState, Event, FetchId, FunctionError, Io, QueryId, RequestId, SocketId, SyncClient,
    TokenFetch,
};
use convex_yew_core::value::Value;
use futures::channel::oneshot;
use gloo_timers::callback::Timeout;

use super::options::{ClientOptions, TokenFuture};
use crate::runtime::browser::{self, ClockWatch, LeaveGuard, WakeListeners};
use crate::runtime::logger::LogLevel;
use crate::runtime::socket::{Socket, SocketEvent};
use crate::runtime::timer;

pub(super) type Fetcher = Rc<dyn Fn(bool) -> TokenFuture>;
pub(super) type Listener = Rc<dyn Fn(QueryId)>;
pub(super) type ConnectionListener = Rc<dyn Fn(&ConnectionState)>;

pub(super) struct AuthHooks {
    pub(super) fetch: Fetcher,
    pub(super) on_change: Rc<dyn Fn(bool)>,
    pub(super) on_refreshing: Rc<dyn Fn(bool)>,
}

/// The client's state, behind one `RefCell`: this driver never runs I/O that answers
/// synchronously, so one borrow at a time suffices.
pub(super) struct Inner {
    pub(super) core: SyncClient,
    /// The deployment URL as given (without a trailing `/`).
    pub(super) deployment_url: String,
    pub(super) url: String,
    pub(super) options: ClientOptions,
    pub(super) socket: Option<(SocketId, Socket)>,
    pub(super) timer: Option<Timeout>,
    pub(super) _clock_watch: Option<ClockWatch>,
    pub(super) _wake: Option<WakeListeners>,
    pub(super) _leave_guard: Option<LeaveGuard>,
    pub(super) listeners: SortedMap<QueryId, Vec<(u64, Listener)>>,
    pub(super) pending: SortedMap<RequestId, oneshot::Sender<Result<Value, FunctionError>>>,
    pub(super) auth: Option<AuthHooks>,
    pub(super) connection_listeners: Vec<(u64, ConnectionListener)>,
    pub(super) last_connection_state: ConnectionState,
    pub(super) next_listener: u64,
    /// A `drive` is queued for the next microtask.
    pub(super) drive_scheduled: bool,
}

/// Drives the client once the current task is done (a microtask later), however many times
/// it is asked before then: subscriptions made in one render go out together.
pub(super) fn drive_soon(inner: &Rc<RefCell<Inner>>) {
    let Ok(mut me) = inner.try_borrow_mut() else {
        return;
    };
    if me.drive_scheduled {
        return;
    }
    me.drive_scheduled = true;
    let weak = Rc::downgrade(inner);
    crate::runtime::browser::spawn(async move {
        if let Some(inner) = weak.upgrade() {
            inner.borrow_mut().drive_scheduled = false;
            drive(&inner);
        }
    });
}

pub(super) fn wake(weak: &Weak<RefCell<Inner>>) {
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
pub(super) fn drive(inner: &Rc<RefCell<Inner>>) {
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
                        crate::runtime::browser::spawn(async move {
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
            let w = weak.clone();
            timer::arm(at, move || {
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
                    callbacks.push(Box::new(move || l(id)));
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
                .map(|c| {
                    format!(
                        " The rejected token has {c}; check them against your auth.config.ts \
                         providers."
                    )
                })
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
