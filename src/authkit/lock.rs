//! The cross-tab refresh lock: the Web Locks API (`navigator.locks.request`), bound by hand so
//! users need no `web_sys_unstable_apis` flag, with a localStorage fallback where it is missing.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::{select, Either};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The lock was not acquired in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockTimeout;

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

/// Runs `work` while holding the lock `name`, waiting at most `timeout` to acquire it.
pub async fn with_lock<T, F: Future<Output = T>>(
    name: &str,
    timeout: Duration,
    work: impl FnOnce() -> F,
) -> Result<T, LockTimeout> {
    match web_locks() {
        Some((locks, request)) => with_web_lock(&locks, &request, name, timeout, work).await,
        None => with_storage_lock(name, timeout, work).await,
    }
}

async fn with_web_lock<T, F: Future<Output = T>>(
    locks: &JsValue,
    request: &Function,
    name: &str,
    timeout: Duration,
    work: impl FnOnce() -> F,
) -> Result<T, LockTimeout> {
    let (acquired_tx, acquired_rx) = oneshot::channel::<()>();
    let release: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));
    let release_slot = release.clone();
    let acquired_tx = RefCell::new(Some(acquired_tx));
    let callback = Closure::once(move |_lock: JsValue| -> Promise {
        let promise = Promise::new(&mut |resolve, _reject| {
            *release_slot.borrow_mut() = Some(resolve);
        });
        if let Some(tx) = acquired_tx.borrow_mut().take() {
            let _ = tx.send(());
        }
        promise
    });
    let options = Object::new();
    let controller = web_sys::AbortController::new().ok();
    if let Some(c) = &controller {
        let _ = Reflect::set(&options, &"signal".into(), &c.signal());
    }
    let granted = match request.call3(locks, &name.into(), &options, callback.as_ref()) {
        Ok(p) => p.dyn_into::<Promise>().ok(),
        Err(_) => None,
    };
    let Some(granted) = granted else {
        return Err(LockTimeout);
    };
    let mut lock_request = JsFuture::from(granted);
    let deadline =
        gloo_timers::future::TimeoutFuture::new(timeout.as_millis().min(u32::MAX as u128) as u32);
    // Wait for the grant, the request failing, or the deadline.
    let acquired = match select(acquired_rx, select(&mut lock_request, deadline)).await {
        Either::Left((Ok(()), _)) => true,
        Either::Left((Err(_), _)) => false,
        Either::Right(_) => false,
    };
    if !acquired {
        if let Some(c) = &controller {
            c.abort(); // withdraw the queued request
        }
        return Err(LockTimeout);
    }
    let out = work().await;
    if let Some(resolve) = release.borrow_mut().take() {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }
    let _ = lock_request.await;
    drop(callback);
    Ok(out)
}

/// The fallback: a localStorage key holding `{id, time}`; a holder silent for 5 s is stale.
async fn with_storage_lock<T, F: Future<Output = T>>(
    name: &str,
    timeout: Duration,
    work: impl FnOnce() -> F,
) -> Result<T, LockTimeout> {
    let key = format!("browser-tabs-lock-key-{name}");
    let id = crate::runtime::browser::uuid_v4();
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    let Some(storage) = storage else {
        return Ok(work().await);
    };
    let started = js_sys::Date::now();
    loop {
        let now = js_sys::Date::now();
        let held = storage
            .get_item(&key)
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok());
        let free = held
            .as_ref()
            .is_none_or(|h| now - h["time"].as_f64().unwrap_or(0.0) > 5_000.0);
        if free {
            let _ = storage.set_item(
                &key,
                &serde_json::json!({"id": id, "time": now}).to_string(),
            );
            gloo_timers::future::TimeoutFuture::new(30 + (js_sys::Math::random() * 20.0) as u32)
                .await;
            let mine = storage
                .get_item(&key)
                .ok()
                .flatten()
                .is_some_and(|v| v.contains(&id));
            if mine {
                let out = work().await;
                if storage
                    .get_item(&key)
                    .ok()
                    .flatten()
                    .is_some_and(|v| v.contains(&id))
                {
                    let _ = storage.remove_item(&key);
                }
                return Ok(out);
            }
        }
        if js_sys::Date::now() - started > timeout.as_millis() as f64 {
            return Err(LockTimeout);
        }
        gloo_timers::future::TimeoutFuture::new(30 + (js_sys::Math::random() * 30.0) as u32).await;
    }
}
