//! Carries out what the session asks for (requests, locks, storage, navigation, the next
//! timer) and hands its events to the app. No borrow of the session is held while I/O or an
//! app callback runs: I/O may answer synchronously (a storage read), and callbacks may call
//! back into the client. That is why [`Inner`] keeps one `RefCell` per part
//! where the Convex client keeps one for all: its driver never answers synchronously. The
//! state lives here; the client's API (`mod.rs`) holds an `Rc` of it.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use convex_yew_core::authkit::{
    AuthKitError, AuthKitSession, AuthSnapshot, OpId, RefreshError, Secret, SessionEvent,
    SessionIo, StorageArea, WaiterId,
};
use convex_yew_core::sorted_map::SortedMap;
use futures::channel::oneshot;
use gloo_timers::callback::Timeout;

use super::browser_io;
use super::lock::LockRequest;
use super::options::{AuthKitOptions, RedirectParams, RefreshParams};
use crate::runtime::browser::{self, ClockWatch, Level, WakeListeners};
use crate::runtime::timer;

/// The lock authkit-js uses, so tabs running either SDK serialise refreshes together.
pub(super) const LOCK_NAME: &str = "WORKOS_REFRESH_SESSION";

pub(super) type Listener = Rc<dyn Fn()>;

/// Where a waiter's answer goes: a token, a sign-in URL, or (empty) a finished switch. One
/// channel type for the three keeps one copy of the channel's code.
pub(super) type Answer = oneshot::Sender<Result<String, AuthKitError>>;

/// What listeners were last told, to notify only on a change they can see.
#[derive(PartialEq)]
pub(super) struct Notified {
    pub(super) loading: bool,
    pub(super) snapshot: AuthSnapshot,
    pub(super) callback_error: Option<AuthKitError>,
}

/// The client's state, one `RefCell` per part (see the module docs).
pub(super) struct Inner {
    pub(super) session: RefCell<AuthKitSession>,
    pub(super) options: RefCell<AuthKitOptions>,
    pub(super) answers: RefCell<SortedMap<WaiterId, Answer>>,
    pub(super) listeners: RefCell<Vec<(u64, Listener)>>,
    pub(super) next_listener: Cell<u64>,
    pub(super) locks: RefCell<SortedMap<OpId, LockRequest>>,
    pub(super) requests: RefCell<SortedMap<OpId, web_sys::AbortController>>,
    pub(super) beacons: RefCell<Vec<oneshot::Receiver<()>>>,
    pub(super) timer: RefCell<Option<Timeout>>,
    pub(super) wake: RefCell<Option<WakeListeners>>,
    pub(super) clock_watch: RefCell<Option<ClockWatch>>,
    pub(super) notified: RefCell<Notified>,
}

/// Sends the page to `url` through the app's navigator, or `location.assign`.
pub(super) fn navigate(inner: &Inner, url: &str) -> bool {
    let custom = inner.options.borrow().navigate.clone();
    match custom {
        Some(f) => f(url),
        None => browser_io::navigate(url),
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
pub(super) fn drive(inner: &Rc<Inner>) {
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
    let now_shown = {
        let session = inner.session.borrow();
        Notified {
            loading: session.is_loading(),
            snapshot: session.snapshot(),
            callback_error: session.callback_error().cloned(),
        }
    };
    if *inner.notified.borrow() != now_shown {
        if let Some(e) = &now_shown.callback_error {
            if inner.notified.borrow().callback_error.as_ref() != Some(e) {
                browser::log(
                    Level::Error,
                    &format!("[convex-yew] {}", crate::error::report(e)),
                );
            }
        }
        *inner.notified.borrow_mut() = now_shown;
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
        let weak = Rc::downgrade(inner);
        timer::arm(at, move || on_clock(&weak, Clock::Timer))
    });
}

/// What woke the session up.
#[derive(Clone, Copy)]
pub(super) enum Clock {
    /// Its timer fired.
    Timer,
    /// The page came back (visible, online, focused).
    Wake,
}

/// Hands the time to the session (if the client is still alive) and carries out the rest.
pub(super) fn on_clock(weak: &Weak<Inner>, clock: Clock) {
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
            crate::runtime::browser::spawn(async move {
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
            crate::runtime::browser::spawn(async move {
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

pub(super) fn storage(area: StorageArea) -> Option<web_sys::Storage> {
    match area {
        StorageArea::Local => browser_io::local(),
        StorageArea::Session => browser_io::session(),
    }
}

fn dispatch(inner: &Rc<Inner>, event: SessionEvent) {
    match event {
        SessionEvent::Token { waiter, result } => {
            answer(inner, waiter, result.map(|t| t.0));
        }
        SessionEvent::OrganizationSwitched { waiter, result } => {
            answer(inner, waiter, result.map(|()| String::new()));
        }
        SessionEvent::Refreshed { access_token } => {
            let f = inner.options.borrow().on_refresh.clone();
            if let Some(f) = f {
                let snapshot = inner.session.borrow().snapshot();
                f(RefreshParams {
                    snapshot,
                    access_token,
                });
            }
        }
        SessionEvent::RefreshFailed(e) => refresh_failed(inner, e),
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
            answer(inner, waiter, result);
        }
        SessionEvent::StorageFailed(error) => refresh_failed(inner, RefreshError::Storage(error)),
        SessionEvent::Warning(warning) => {
            browser::log(Level::Warn, &format!("[convex-yew] {warning}"))
        }
        SessionEvent::Changed => {} // `drive` compares what listeners see
    }
}

fn answer(inner: &Inner, waiter: WaiterId, result: Result<String, AuthKitError>) {
    let tx = inner.answers.borrow_mut().remove(&waiter);
    if let Some(tx) = tx {
        let _ = tx.send(result);
    }
}

/// A failure for the app's log and its `on_refresh_failure` hook (a refused refresh, or a
/// refresh token the browser would not store).
fn refresh_failed(inner: &Inner, e: RefreshError) {
    browser::log(
        Level::Warn,
        &format!("[convex-yew] {}", crate::error::report(&e)),
    );
    let f = inner.options.borrow().on_refresh_failure.clone();
    if let Some(f) = f {
        f(e);
    }
}
