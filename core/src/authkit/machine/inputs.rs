//! What reaches the session from outside, each with `now`: lock grants, storage reads and
//! writes, AuthKit's answers, timers, wake-ups, wall-clock readings, and the driver's answer
//! about an automatic refresh.

use super::op::{Op, OpKind, Step, Waiters};
use super::phase::{Phase, Refresh, MIN_REFRESH_INTERVAL};
use super::{AuthKitSession, OpId, Secret, SessionEvent, SessionIo, StorageArea};
use crate::authkit::errors::AuthKitError;
use crate::authkit::session::{self, AuthResponse, RefreshError};
use crate::time::Instant;

impl AuthKitSession {
    /// The cross-tab lock `lock` was granted. A grant nobody waits for any more is released.
    pub fn handle_lock_granted(&mut self, lock: OpId, now: Instant) {
        self.tick(now);
        let waiting =
            matches!(&self.op, Some(Op { step: Step::Locking { lock: l, .. }, .. }) if *l == lock);
        if !waiting {
            self.io.push_back(SessionIo::ReleaseLock { lock });
            return;
        }
        if self.config.dev_mode {
            let read = self.new_id();
            self.set_step(Step::Reading { lock, read });
            self.io.push_back(SessionIo::Read {
                read,
                area: StorageArea::Local,
                key: self.config.refresh_token_key(),
            });
        } else {
            let refresh_token = self.memory_refresh_token.clone();
            self.send_refresh(lock, refresh_token, None);
        }
    }

    /// The storage read `read` found `value`.
    pub fn handle_storage_read(&mut self, read: OpId, value: Option<String>, now: Instant) {
        self.tick(now);
        let lock = match &self.op {
            Some(Op {
                step: Step::Reading { lock, read: r },
                ..
            }) if *r == read => *lock,
            _ => return,
        };
        let stored = value.filter(|v| !v.is_empty()).map(Secret::new);
        // A rotated refresh token the browser refused to store replaces what storage still
        // holds in its place (the consumed one, which would revoke the session).
        let present = match &self.unsaved {
            Some(u) if u.over == stored => Some(u.rotated.clone()),
            _ => stored.clone(),
        };
        match present {
            Some(rt) => self.send_refresh(lock, Some(rt), stored),
            None => self.finish(Err(RefreshError::Terminal {
                status: 400,
                error: Some("missing_refresh_token".into()),
                description: Some("no stored session".into()),
            })),
        }
    }

    /// AuthKit answered request `request`: `Ok((status, body))`, or `Err` when `fetch` itself
    /// failed (offline, CORS). An answer to anything but the request in flight is ignored.
    pub fn handle_response(
        &mut self,
        request: OpId,
        answer: Result<(u16, String), String>,
        now: Instant,
    ) {
        self.tick(now);
        let current = matches!(
            &self.op,
            Some(Op { step: Step::Requesting { request: r, .. }, .. }) if *r == request
        );
        if !current {
            return;
        }
        let result = match answer {
            Ok((status, body)) if (200..300).contains(&status) => AuthResponse::parse(&body),
            Ok((status, body)) => Err(RefreshError::from_status(status, &body)),
            Err(e) => Err(RefreshError::Network(e)),
        };
        self.finish(result);
    }

    /// Timers: a lock or request deadline, a retry, the automatic refresh. When the
    /// automatic refresh is due the driver is asked whether it may run
    /// ([`SessionIo::AskAutoRefresh`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
        let now = self.now;
        if let Some(op) = &self.op {
            if op.step.deadline().is_some_and(|d| d <= now) {
                let error = match op.step {
                    Step::Locking { .. } => RefreshError::LockTimeout,
                    _ => RefreshError::Network(format!(
                        "AuthKit did not answer within {} s",
                        self.timeouts.request.as_secs()
                    )),
                };
                if let Step::Requesting { request, .. } = op.step {
                    self.io.push_back(SessionIo::CancelRequest { request });
                }
                self.finish(Err(error));
            }
        }
        if self.phase.retry_at().is_some_and(|t| t <= now) {
            self.phase.cancel_retry();
            // With a call already in flight, that call does the work.
            let kind = match (&self.phase, &self.op) {
                (Phase::Restoring { .. }, None) => Some(OpKind::Restore),
                (Phase::SignedIn { .. }, None) => Some(OpKind::Refresh),
                _ => None,
            };
            if let Some(kind) = kind {
                self.last_auto_refresh = Some(now);
                self.begin(kind, Waiters::default());
            }
        }
        if let Some(Refresh::At(at)) = self.phase.refresh() {
            if at <= now {
                self.auto_refresh_due(now);
            }
        }
    }

    /// The automatic refresh's time came: re-arm it if the token does not need it yet, leave
    /// it to a call in flight, wait out the once-a-second floor, or ask the driver.
    pub(super) fn auto_refresh_due(&mut self, now: Instant) {
        let due = self.phase.live().is_some_and(|live| {
            session::needs_refresh(Some(live.expires_at), now, self.config.refresh_buffer_secs)
        });
        let floor = self
            .last_auto_refresh
            .map(|t| t.saturating_add(MIN_REFRESH_INTERVAL));
        if !due {
            self.arm_auto_refresh();
        } else if self.op.is_some() {
            self.phase.set_refresh(Refresh::Unarmed); // the call in flight refreshes; re-armed after it
        } else if let Some(floor) = floor.filter(|f| now < *f) {
            // A refresh of its own started under a second ago.
            self.phase.set_refresh(Refresh::At(floor));
        } else {
            let ask = self.new_id();
            self.phase.set_refresh(Refresh::Asking(ask));
            self.io.push_back(SessionIo::AskAutoRefresh { ask });
        }
    }

    /// The driver's answer to [`SessionIo::AskAutoRefresh`] `ask`: whether the automatic
    /// refresh may run now (by default, whether the tab is visible; the app's
    /// `onBeforeAutoRefresh` hook decides when it has one). A declined refresh is armed
    /// again on the next wake-up; an answer to an older question is ignored.
    pub fn handle_auto_refresh_answer(&mut self, ask: OpId, allowed: bool, now: Instant) {
        self.tick(now);
        if self.phase.refresh() != Some(Refresh::Asking(ask)) {
            return;
        }
        self.phase.set_refresh(Refresh::Unarmed);
        if allowed && self.op.is_none() {
            self.last_auto_refresh = Some(self.now);
            self.begin(OpKind::Refresh, Waiters::default());
        }
    }

    /// The page came back (visible, online, focused) or the clock jumped: run what is due,
    /// and re-arm an automatic refresh a hidden tab skipped.
    pub fn handle_wake(&mut self, now: Instant) {
        self.tick(now);
        let unarmed = matches!(
            self.phase.refresh(),
            Some(Refresh::Unarmed | Refresh::Asking(_))
        );
        if unarmed && self.op.is_none() {
            self.arm_auto_refresh();
        }
        if self.phase.retry_at().is_some() {
            // Retry now instead of waiting out the backoff (at most once a second: a page
            // that gains and loses focus in a loop must not refresh in a loop).
            let floor = self
                .last_auto_refresh
                .map_or(self.now, |t| t.saturating_add(MIN_REFRESH_INTERVAL));
            self.phase.move_retry(self.now.max(floor));
        }
        self.handle_timeout(now);
    }

    /// A reading of the wall clock (`unix_ms`, Unix milliseconds) at `now`. Timers run on the
    /// monotonic clock and ignore the wall clock's steps; but wall time the monotonic clock
    /// did not see (a sleep that paused it) may have expired the access token, so it counts
    /// against the token: the automatic refresh comes that much earlier. The browser driver
    /// reports a reading every few seconds and on every wake-up.
    pub fn handle_wall_clock(&mut self, unix_ms: u64, now: Instant) {
        self.tick(now);
        let unseen = self.wall.observe(self.now, unix_ms);
        if unseen.is_zero() {
            return;
        }
        if let Phase::SignedIn { live, refresh, .. } = &mut self.phase {
            live.expires_at = live.expires_at.saturating_sub(unseen);
            live.received_at = live.received_at.saturating_sub(unseen);
            if matches!(refresh, Refresh::At(_)) {
                self.arm_auto_refresh();
            }
        }
    }

    /// The storage write `write` was carried out (`Ok`) or failed (`Err`: quota, private
    /// mode, no storage). A sign-in URL waiting for its verifier is answered; a failure
    /// nobody waits for is reported as [`SessionEvent::StorageFailed`].
    pub fn handle_storage_written(
        &mut self,
        write: OpId,
        result: Result<(), String>,
        now: Instant,
    ) {
        self.tick(now);
        if let Some(i) = self.sign_ins.iter().position(|p| p.write == write) {
            let p = self.sign_ins.remove(i);
            let result = result.map(|()| p.url).map_err(AuthKitError::Storage);
            self.events.push_back(SessionEvent::SignInUrl {
                waiter: p.waiter,
                result,
            });
            return;
        }
        if let Some(i) = self.rotations.iter().position(|r| r.write == write) {
            let rotation = self.rotations.remove(i);
            // Stored: nothing left unsaved. Refused: the next refresh presents the rotated
            // token in memory instead of what storage still holds.
            self.unsaved = result.is_err().then_some(rotation);
        }
        if let Err(error) = result {
            self.events.push_back(SessionEvent::StorageFailed(error));
        }
    }
}
