//! Time as the core sees it: instants passed in by the caller, never read from a clock.
//!
//! Two clocks meet here. [`Instant`] is the caller's **monotonic** clock: every timer,
//! deadline, backoff and inactivity check runs on it, so a wall clock that steps (NTP after a
//! sleep, a VM resync, a manual change) can neither fire a timer early nor stall one. The
//! **wall clock** (Unix time) is read only where a value from another machine must be
//! compared with it: a token's `exp`, and the `clientTs` of a `Connect`. [`WallClock`] keeps
//! the offset between the two, as measured by the caller.

use std::time::Duration;

/// A point on the caller's monotonic clock, in milliseconds from an origin the caller picks.
/// It must never decrease between calls (the core ignores a step back). In the browser the
/// runtime passes `performance.timeOrigin + performance.now()`; native callers may pass Unix
/// milliseconds from a clock they trust to be monotonic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The instant `ms` milliseconds after the clock's origin.
    pub const fn from_millis(ms: u64) -> Instant {
        Instant(ms)
    }

    /// Milliseconds since the clock's origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds since the clock's origin (rounded down).
    pub const fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// `self + d`, saturating.
    pub fn saturating_add(self, d: Duration) -> Instant {
        Instant(
            self.0
                .saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }

    /// `self - d`, saturating at the origin.
    pub fn saturating_sub(self, d: Duration) -> Instant {
        Instant(
            self.0
                .saturating_sub(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }

    /// How long from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// The wall clock as seen from the monotonic one: the offset `unix_ms - monotonic_ms` the
/// caller last measured. A machine keeps one and feeds it with `handle_wall_clock`.
///
/// When the offset grows, wall time passed that the monotonic clock did not see: a sleep
/// during which the monotonic clock stood still (as `performance.now()` does on macOS and
/// Linux), or a forward step of the wall clock. [`observe`](Self::observe) returns that
/// growth, and the machines count it as time passed for their tokens (a token may have
/// expired meanwhile; refreshing early is harmless, trusting a dead token is not). When the
/// offset shrinks (the wall clock stepped back), nothing on the monotonic clock moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WallClock {
    offset_ms: Option<i64>,
}

/// Offset growth below this is the two clocks' ordinary drift, not time passed.
const DRIFT_TOLERANCE_MS: i64 = 1_000;

impl WallClock {
    /// Records a reading of both clocks. Returns the wall time the monotonic clock did not
    /// see since the last reading (zero for the first reading, for drift under a second,
    /// and for a step back).
    pub fn observe(&mut self, now: Instant, unix_ms: u64) -> Duration {
        let offset = (unix_ms as i64).wrapping_sub(now.as_millis() as i64);
        let grown = self.offset_ms.map_or(0, |old| offset.saturating_sub(old));
        self.offset_ms = Some(offset);
        if grown > DRIFT_TOLERANCE_MS {
            Duration::from_millis(grown as u64)
        } else {
            Duration::ZERO
        }
    }

    /// The wall clock at `now`, in Unix milliseconds: `now` itself until a reading was
    /// observed (callers that pass Unix time as their monotonic clock need no readings).
    pub fn unix_ms(&self, now: Instant) -> u64 {
        let ms = now.as_millis() as i64;
        ms.saturating_add(self.offset_ms.unwrap_or(0)).max(0) as u64
    }
}

/// Exponential backoff after `failures` failures: `base` doubling per failure, capped at
/// `cap`. The one formula both machines use for their retries.
pub(crate) fn exponential_backoff(failures: u32, base: Duration, cap: Duration) -> Duration {
    base.saturating_mul(1u32 << failures.min(16)).min(cap)
}

/// `secs` seconds to one decimal (`"4.5"`), written with integers: a message shows a
/// duration without pulling precision float formatting into the wasm (issue #24).
pub(crate) fn tenths(secs: f64) -> String {
    let tenths = (secs * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let tenths = tenths.unsigned_abs();
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

/// A small deterministic random source (SplitMix64) for backoff jitter, seeded by the caller.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A float uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_are_written_with_integers() {
        assert_eq!(tenths(4.54), "4.5");
        assert_eq!(tenths(0.05), "0.1");
        assert_eq!(tenths(12.0), "12.0");
        assert_eq!(tenths(-1.25), "-1.3");
        assert_eq!(tenths(f64::NAN), "0.0");
    }

    #[test]
    fn the_wall_clock_offset_counts_only_unseen_time_forward() {
        let mut w = WallClock::default();
        let t = |ms| Instant::from_millis(ms);
        assert_eq!(w.unix_ms(t(5)), 5, "no reading: the instant is the wall");
        assert_eq!(w.observe(t(1_000), 1_700_000_000_000), Duration::ZERO);
        assert_eq!(w.unix_ms(t(2_000)), 1_700_000_001_000);
        // Both clocks moved alike (drift under a second): nothing unseen.
        assert_eq!(w.observe(t(61_000), 1_700_000_060_400), Duration::ZERO);
        // The wall stepped back two minutes: nothing unseen, the new offset is kept.
        assert_eq!(w.observe(t(62_000), 1_699_999_941_400), Duration::ZERO);
        assert_eq!(w.unix_ms(t(63_000)), 1_699_999_942_400);
        // A sleep the monotonic clock did not see: an hour passed on the wall only.
        assert_eq!(
            w.observe(t(64_000), 1_699_999_943_400 + 3_600_000),
            Duration::from_secs(3600)
        );
        // Absurd readings saturate instead of overflowing.
        let _ = w.observe(t(u64::MAX), 0);
        let _ = w.unix_ms(t(u64::MAX));
        let _ = w.observe(t(0), u64::MAX);
        let _ = w.unix_ms(t(u64::MAX));
    }

    #[test]
    fn backoff_doubles_to_its_cap() {
        let s = Duration::from_secs;
        let d = |n| exponential_backoff(n, s(1), s(30));
        assert_eq!(
            [d(0), d(1), d(4), d(5), d(40)],
            [s(1), s(2), s(16), s(30), s(30)]
        );
    }
}
