//! The cross-tab refresh lock as a value: [`LockRequest::new`] asks for it and calls
//! `on_granted` once it is held; [`LockRequest::release`] (or dropping the request) releases a
//! held lock or withdraws a waiting request. The Web Locks API (`navigator.locks.request`) is
//! bound by hand so users need no `web_sys_unstable_apis` flag; where it is missing (plain
//! http on a LAN address, older Safari, some webviews), a localStorage lock stands in: its
//! holder re-stamps it every second while it holds it, and a waiter counts a holder stale only
//! when the stamp has not changed for five seconds on the waiter's own monotonic clock (so a
//! slow refresh is never taken over, and a wall clock that steps changes nothing).
//!
//! Deadlines are the session machine's business: it withdraws a request it stopped waiting for.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Interval;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

fn web_locks() -> Option<(JsValue, Function)> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &"locks".into())
        .ok()
        .filter(|l| !l.is_undefined() && !l.is_null())?;
    let request = Reflect::get(&locks, &"request".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    Some((locks, request))
}

enum Kind {
    Web {
        /// Resolves the promise the lock callback returned: releases a held lock.
        release: Rc<RefCell<Option<Function>>>,
        abort: Option<web_sys::AbortController>,
        _callback: Closure<dyn FnMut(JsValue) -> Promise>,
        _swallow: Closure<dyn FnMut(JsValue)>,
    },
    Storage {
        key: String,
        id: String,
        held: Rc<Cell<bool>>,
        withdrawn: Rc<Cell<bool>>,
        /// Re-stamps the key while held.
        heartbeat: Rc<RefCell<Option<Interval>>>,
    },
    /// No lock facility at all (no storage): granted at once.
    None,
}

/// A request for the lock, or the lock once granted.
pub(crate) struct LockRequest {
    kind: Kind,
}

impl LockRequest {
    /// Asks for the lock `name`; `on_granted` runs (from the event loop) once it is held.
    pub(crate) fn new(name: &str, on_granted: impl FnOnce() + 'static) -> LockRequest {
        match web_locks() {
            Some((locks, request)) => web_lock(&locks, &request, name, on_granted),
            None => storage_lock(name, on_granted),
        }
    }

    /// Releases the lock if held, or withdraws the request.
    pub(crate) fn release(self) {
        drop(self);
    }
}

impl Drop for LockRequest {
    fn drop(&mut self) {
        match &self.kind {
            Kind::Web { release, abort, .. } => match release.borrow_mut().take() {
                Some(resolve) => {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
                None => {
                    if let Some(a) = abort {
                        a.abort();
                    }
                }
            },
            Kind::Storage {
                key,
                id,
                held,
                withdrawn,
                heartbeat,
            } => {
                withdrawn.set(true);
                heartbeat.borrow_mut().take();
                if held.get() {
                    if let Some(s) = local() {
                        if s.get_item(key)
                            .ok()
                            .flatten()
                            .is_some_and(|v| convex_yew_core::find_text(&v, id).is_some())
                        {
                            let _ = s.remove_item(key);
                        }
                    }
                }
            }
            Kind::None => {}
        }
    }
}

fn web_lock(
    locks: &JsValue,
    request: &Function,
    name: &str,
    on_granted: impl FnOnce() + 'static,
) -> LockRequest {
    let release: Rc<RefCell<Option<Function>>> = Rc::default();
    let slot = release.clone();
    let on_granted = RefCell::new(Some(on_granted));
    let callback = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |_lock: JsValue| {
        let held = Promise::new(&mut |resolve, _reject| {
            *slot.borrow_mut() = Some(resolve);
        });
        if let Some(f) = on_granted.borrow_mut().take() {
            // After this callback returns: the machine may release at once.
            crate::runtime::browser::spawn(async move { f() });
        }
        held
    });
    let options = Object::new();
    let abort = web_sys::AbortController::new().ok();
    if let Some(c) = &abort {
        let _ = Reflect::set(&options, &"signal".into(), &c.signal());
    }
    // A withdrawn request rejects with AbortError: expected, not an app error.
    let swallow = Closure::<dyn FnMut(JsValue)>::new(|_e: JsValue| {});
    if let Ok(p) = request.call3(locks, &name.into(), &options, callback.as_ref()) {
        if let Ok(p) = p.dyn_into::<Promise>() {
            let _ = p.catch(&swallow);
        }
    }
    LockRequest {
        kind: Kind::Web {
            release,
            abort,
            _callback: callback,
            _swallow: swallow,
        },
    }
}

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// How often a holder of the storage lock re-stamps it.
const STAMP_MS: u32 = 1_000;
/// A stamp unchanged this long (five missed stamps) is a holder that went away.
const STALE_MS: u64 = 5_000;

/// The stamp a holder writes: who holds it, and a beat that changes with every re-stamp.
/// JSON `{"beat":…,"id":…,"time":…}`; `id` is a UUID (nothing to escape), `time` in ms.
fn stamp(id: &str, beat: u64) -> String {
    format!(
        r#"{{"beat":{beat},"id":"{id}","time":{}}}"#,
        js_sys::Date::now()
    )
}

/// The fallback: a localStorage key holding the holder's stamp (see the module docs).
fn storage_lock(name: &str, on_granted: impl FnOnce() + 'static) -> LockRequest {
    let Some(storage) = local() else {
        crate::runtime::browser::spawn(async move { on_granted() });
        return LockRequest { kind: Kind::None };
    };
    let key = format!("browser-tabs-lock-key-{name}");
    let id = crate::runtime::browser::uuid_v4();
    let held = Rc::new(Cell::new(false));
    let withdrawn = Rc::new(Cell::new(false));
    let heartbeat: Rc<RefCell<Option<Interval>>> = Rc::default();
    let (k, i, h, w, hb) = (
        key.clone(),
        id.clone(),
        held.clone(),
        withdrawn.clone(),
        heartbeat.clone(),
    );
    crate::runtime::browser::spawn(async move {
        // The stamp last seen, and when (on this tab's monotonic clock) it was first seen.
        let mut seen: Option<(String, u64)> = None;
        loop {
            if w.get() {
                return;
            }
            let now = crate::runtime::browser::now().as_millis();
            let current = storage.get_item(&k).ok().flatten();
            let free = match &current {
                None => true,
                Some(v) => match &seen {
                    Some((last, since)) if last == v => now.saturating_sub(*since) >= STALE_MS,
                    _ => {
                        seen = Some((v.clone(), now));
                        false
                    }
                },
            };
            if free {
                let _ = storage.set_item(&k, &stamp(&i, 0));
                gloo_timers::future::TimeoutFuture::new(40).await;
                let mine = storage
                    .get_item(&k)
                    .ok()
                    .flatten()
                    .is_some_and(|v| convex_yew_core::find_text(&v, &i).is_some());
                if mine && !w.get() {
                    h.set(true);
                    let (storage, k, i, mut beat) = (storage.clone(), k.clone(), i.clone(), 0u64);
                    *hb.borrow_mut() = Some(Interval::new(STAMP_MS, move || {
                        beat += 1;
                        // Only over our own stamp: never over a holder that took over.
                        let ours = storage
                            .get_item(&k)
                            .ok()
                            .flatten()
                            .is_some_and(|v| convex_yew_core::find_text(&v, &i).is_some());
                        if ours {
                            let _ = storage.set_item(&k, &stamp(&i, beat));
                        }
                    }));
                    on_granted();
                    return;
                }
                seen = None;
            }
            gloo_timers::future::TimeoutFuture::new(30 + (js_sys::Math::random() * 30.0) as u32)
                .await;
        }
    });
    LockRequest {
        kind: Kind::Storage {
            key,
            id,
            held,
            withdrawn,
            heartbeat,
        },
    }
}
