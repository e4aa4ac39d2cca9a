//! The cross-tab refresh lock as a value: [`LockRequest::new`] asks for it and calls
//! `on_granted` once it is held; [`LockRequest::release`] (or dropping the request) releases a
//! held lock or withdraws a waiting request. The Web Locks API (`navigator.locks.request`) is
//! bound by hand so users need no `web_sys_unstable_apis` flag; where it is missing, a
//! localStorage lock stands in.
//!
//! Deadlines are the session machine's business: it withdraws a request it stopped waiting for.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

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
            } => {
                withdrawn.set(true);
                if held.get() {
                    if let Some(s) = local() {
                        if s.get_item(key)
                            .ok()
                            .flatten()
                            .is_some_and(|v| v.contains(id))
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
            wasm_bindgen_futures::spawn_local(async move { f() });
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

/// The fallback: a localStorage key holding `{id, time}`; a holder silent for 5 s is stale.
fn storage_lock(name: &str, on_granted: impl FnOnce() + 'static) -> LockRequest {
    let Some(storage) = local() else {
        wasm_bindgen_futures::spawn_local(async move { on_granted() });
        return LockRequest { kind: Kind::None };
    };
    let key = format!("browser-tabs-lock-key-{name}");
    let id = crate::runtime::browser::uuid_v4();
    let held = Rc::new(Cell::new(false));
    let withdrawn = Rc::new(Cell::new(false));
    let (k, i, h, w) = (key.clone(), id.clone(), held.clone(), withdrawn.clone());
    wasm_bindgen_futures::spawn_local(async move {
        loop {
            if w.get() {
                return;
            }
            let now = js_sys::Date::now();
            let current = storage
                .get_item(&k)
                .ok()
                .flatten()
                .and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok());
            let free = current
                .as_ref()
                .is_none_or(|c| now - c["time"].as_f64().unwrap_or(0.0) > 5_000.0);
            if free {
                let _ =
                    storage.set_item(&k, &serde_json::json!({"id": i, "time": now}).to_string());
                gloo_timers::future::TimeoutFuture::new(40).await;
                let mine = storage
                    .get_item(&k)
                    .ok()
                    .flatten()
                    .is_some_and(|v| v.contains(&i));
                if mine && !w.get() {
                    h.set(true);
                    on_granted();
                    return;
                }
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
        },
    }
}
