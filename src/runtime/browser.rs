//! Small browser facts the runtime needs: the clocks, randomness, and page wake-up events.

use std::cell::Cell;
use std::rc::Rc;

use convex_yew_core::time::Instant;
use gloo_timers::callback::Interval;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Runs a future on the page's microtask queue (`wasm_bindgen_futures::spawn_local`), boxed
/// first so that every caller shares one copy of the spawning code instead of one per future
/// type.
pub(crate) fn spawn(future: impl std::future::Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(future));
}

#[inline(never)]
fn spawn_boxed(future: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(future);
}

/// Now, on the page's monotonic clock: `performance.timeOrigin + performance.now()` in
/// milliseconds (close to Unix time at page load, but never stepped by the wall clock).
/// Every timer, deadline and backoff runs on it. Falls back to the wall clock where there is
/// no `performance` (some workers).
pub fn now() -> Instant {
    let monotonic = web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.time_origin() + p.now());
    Instant::from_millis(monotonic.unwrap_or_else(js_sys::Date::now).max(0.0) as u64)
}

/// The wall clock, Unix milliseconds (`Date.now()`): only for what another machine's clock
/// is compared with (a token's `exp`, a `Connect`'s `clientTs`).
pub fn wall_ms() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}

/// How often the clock watch reads both clocks.
const CLOCK_WATCH_MS: u32 = 2_000;

/// Reads both clocks every 2 s and hands them to `on_reading(wall_ms, now, woke)`; `woke` is
/// true when the page was frozen or the machine slept between two readings (the monotonic
/// gap is far over the interval, or the wall clock moved much more than the monotonic one).
/// Stops on drop.
pub struct ClockWatch {
    _interval: Interval,
}

impl ClockWatch {
    /// Starts watching; the first reading is taken at once.
    pub fn new(on_reading: impl Fn(u64, Instant, bool) + 'static) -> ClockWatch {
        ClockWatch::with(Rc::new(on_reading))
    }

    /// The watch itself, once for every caller's closure type.
    fn with(on_reading: Rc<dyn Fn(u64, Instant, bool)>) -> ClockWatch {
        let first = (wall_ms(), now());
        on_reading(first.0, first.1, false);
        let last = Rc::new(Cell::new(first));
        let interval = Interval::new(CLOCK_WATCH_MS, move || {
            let (wall, mono) = (wall_ms(), now());
            let (last_wall, last_mono) = last.replace((wall, mono));
            let mono_gap = mono.as_millis().saturating_sub(last_mono.as_millis());
            let wall_gap = wall.saturating_sub(last_wall);
            let woke = mono_gap > 10_000 || wall_gap > mono_gap.saturating_add(10_000);
            on_reading(wall, mono, woke);
        });
        ClockWatch {
            _interval: interval,
        }
    }
}

/// `n` bytes from `crypto.getRandomValues`, or `None` where the page has no secure random
/// source (what PKCE needs: never a `Math.random` stand-in).
pub fn secure_random_bytes(n: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; n];
    let ok = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut buf).is_ok());
    ok.then_some(buf)
}

/// `n` bytes from `crypto.getRandomValues` (falling back to `Math.random` where there is no
/// crypto object, e.g. some test workers).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut buf).is_ok());
    if !filled {
        for b in buf.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    buf
}

/// A random v4 UUID.
pub fn uuid_v4() -> String {
    let mut b = random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(x >> 4)]));
        out.push(char::from(HEX[usize::from(x & 15)]));
    }
    out
}

/// A random u64.
pub fn random_u64() -> u64 {
    random_bytes(8)
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

type Handler = (
    web_sys::EventTarget,
    &'static str,
    Closure<dyn FnMut(web_sys::Event)>,
);

/// Listens to `online`, `focus` and `visibilitychange` (to visible); removed on drop.
pub struct WakeListeners {
    handlers: Vec<Handler>,
}

impl WakeListeners {
    /// Calls `on_wake` whenever the page may have been asleep or offline.
    pub fn new(on_wake: impl Fn() + 'static) -> WakeListeners {
        WakeListeners::with(Rc::new(on_wake))
    }

    /// The listeners themselves, once for every caller's closure type.
    fn with(on_wake: Rc<dyn Fn()>) -> WakeListeners {
        let mut handlers = Vec::new();
        let Some(window) = web_sys::window() else {
            return WakeListeners { handlers };
        };
        let document = window.document();
        let mut add = |target: web_sys::EventTarget, name: &'static str, only_visible: bool| {
            let cb = on_wake.clone();
            let doc = document.clone();
            let closure = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                let visible = doc
                    .as_ref()
                    .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
                if !only_visible || visible {
                    cb();
                }
            });
            if target
                .add_event_listener_with_callback(name, closure.as_ref().unchecked_ref())
                .is_ok()
            {
                handlers.push((target, name, closure));
            }
        };
        add(window.clone().into(), "online", false);
        add(window.clone().into(), "focus", false);
        if let Some(d) = document.clone() {
            add(d.into(), "visibilitychange", true);
        }
        WakeListeners { handlers }
    }
}

impl Drop for WakeListeners {
    fn drop(&mut self) {
        for (target, name, closure) in self.handlers.drain(..) {
            let _ =
                target.remove_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        }
    }
}

/// Asks the browser to confirm leaving the page while `pending()` says there is unsaved work
/// (the JS client's unsaved-changes warning); removed on drop.
pub struct LeaveGuard {
    handler: Option<(web_sys::Window, EventClosure)>,
}

type EventClosure = Closure<dyn FnMut(web_sys::Event)>;

/// The text browsers may show (most show their own).
const LEAVE_MESSAGE: &str = "Are you sure you want to leave? Your changes may not be saved.";

impl LeaveGuard {
    /// Guards the page with `pending`.
    pub fn new(pending: impl Fn() -> bool + 'static) -> LeaveGuard {
        let Some(window) = web_sys::window() else {
            return LeaveGuard { handler: None };
        };
        let closure = EventClosure::new(move |e: web_sys::Event| {
            if pending() {
                e.prevent_default();
                let _ = js_sys::Reflect::set(&e, &"returnValue".into(), &LEAVE_MESSAGE.into());
            }
        });
        let added = window
            .add_event_listener_with_callback("beforeunload", closure.as_ref().unchecked_ref())
            .is_ok();
        LeaveGuard {
            handler: added.then_some((window, closure)),
        }
    }
}

impl Drop for LeaveGuard {
    fn drop(&mut self) {
        if let Some((window, closure)) = self.handler.take() {
            let _ = window.remove_event_listener_with_callback(
                "beforeunload",
                closure.as_ref().unchecked_ref(),
            );
        }
    }
}

/// Writes to the browser console.
pub fn log(level: Level, message: &str) {
    let m = wasm_bindgen::JsValue::from_str(message);
    match level {
        Level::Warn => web_sys::console::warn_1(&m),
        Level::Error => web_sys::console::error_1(&m),
    }
}

/// Console levels.
#[derive(Debug, Clone, Copy)]
pub enum Level {
    /// console.warn
    Warn,
    /// console.error
    Error,
}
