//! Reconnect backoff, as the official client computes it.
//!
//! The close reason picks a base delay; the delay doubles per retry up to 16 s; jitter of ±50 %
//! is applied after the cap (so a wait can reach 24 s). One retry counter is shared by all
//! causes and resets once a reconnect has caught up.

use std::time::Duration;

use crate::time::{exponential_backoff, Rng};

/// The cap before jitter.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_millis(16_000);

const OVERLOADED: &[&str] = &[
    "SubscriptionsWorkerFullError",
    "TooManyConcurrentRequests",
    "CommitterFullError",
    "AwsTooManyRequestsException",
    "ExecuteFullError",
    "SystemTimeoutError",
    "ExpiredInQueue",
    "VectorIndexTooLarge",
    "SearchIndexTooLarge",
    "TooManyWritesInTimePeriod",
];

/// Why the socket closed, for the backoff base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CloseCause {
    /// The client closed it (inactivity, a protocol error, a failed send).
    Client,
    /// The server or the network closed it, with this reason (possibly empty).
    Server(String),
}

/// The base delay for a close cause.
pub(crate) fn base_delay(cause: &CloseCause) -> Duration {
    match cause {
        CloseCause::Client => Duration::from_millis(100),
        CloseCause::Server(reason) if OVERLOADED.iter().any(|p| reason.starts_with(p)) => {
            Duration::from_millis(3000)
        }
        CloseCause::Server(_) => Duration::from_millis(1000),
    }
}

/// The wait before retry number `retries` (0-based), with jitter drawn from `rng`.
pub(crate) fn delay(cause: &CloseCause, retries: u32, rng: &mut Rng) -> Duration {
    let capped = exponential_backoff(retries, base_delay(cause), MAX_BACKOFF).as_millis() as f64;
    let jittered = capped + capped * (rng.next_f64() - 0.5);
    Duration::from_millis(jittered.max(0.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_and_bounds() {
        assert_eq!(base_delay(&CloseCause::Client), Duration::from_millis(100));
        assert_eq!(
            base_delay(&CloseCause::Server("InternalServerError".into())),
            Duration::from_millis(1000)
        );
        assert_eq!(
            base_delay(&CloseCause::Server("TooManyConcurrentRequests: x".into())),
            Duration::from_millis(3000)
        );
        assert_eq!(
            base_delay(&CloseCause::Server(String::new())),
            Duration::from_millis(1000)
        );
        let mut rng = Rng::new(7);
        for retries in 0..40 {
            for cause in [
                CloseCause::Client,
                CloseCause::Server("ExpiredInQueue".into()),
            ] {
                let d = delay(&cause, retries, &mut rng).as_millis() as f64;
                let capped = (base_delay(&cause).as_millis() as f64
                    * 2f64.powi(retries.min(30) as i32))
                .min(16_000.0);
                assert!(
                    d >= capped * 0.5 - 1.0 && d < capped * 1.5,
                    "retry {retries}: {d} vs {capped}"
                );
            }
        }
    }
}
