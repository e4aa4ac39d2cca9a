//! One way to wake a sans-IO machine at the instant it asked for: both drivers (the Convex
//! client and the AuthKit client) arm their next timer here.

use convex_yew_core::time::Instant;
use gloo_timers::callback::Timeout;

use super::browser;

/// A timer that runs `f` at `at` (on [`browser::now`]'s clock; at once if `at` has passed).
/// Dropping it cancels it. Delays are capped at about 12 days (`setTimeout` overflows past
/// 2^31 - 1 ms and would fire at once); the machine re-arms on the next call.
pub(crate) fn arm(at: Instant, f: impl FnOnce() + 'static) -> Timeout {
    arm_boxed(at, Box::new(f))
}

/// [`arm`], once for every caller's closure type.
fn arm_boxed(at: Instant, f: Box<dyn FnOnce()>) -> Timeout {
    let delay = at
        .as_millis()
        .saturating_sub(browser::now().as_millis())
        .min(u64::from(u32::MAX) / 2) as u32;
    Timeout::new(delay, f)
}
