//! How a call to AuthKit ends, by kind: a code exchange signs in (or falls back to the stored
//! session), a switch moves the session (or is refused and keeps it), a restore or refresh
//! renews the session, retries a transient failure, or ends a refused session. Then whatever
//! waited runs: a queued switch, then callers to retry.

use std::time::Duration;

use super::op::{Op, OpKind, TokenWaiter, Waiters};
use super::phase::{Ending, Issued, Live, Phase, TokenRead};
use super::{AuthKitSession, Secret, SessionEvent, SessionIo, StorageArea, TokenString};
use crate::authkit::errors::AuthKitError;
use crate::authkit::session::{self, AfterFailure, AuthResponse, RefreshError};
use crate::authkit::LEGACY_KEYS;
use crate::time::exponential_backoff;

impl AuthKitSession {
    /// The call in flight ended with `result`.
    pub(super) fn finish(&mut self, result: Result<AuthResponse, RefreshError>) {
        let Some(op) = self.op.take() else { return };
        let presented = op.step.presented();
        if matches!(self.phase, Phase::Disposed) {
            // A refresh that outlived its client: keep what AuthKit rotated (unless another
            // tab changed the stored session meanwhile), then let go.
            if let Ok(response) = &result {
                self.keep_refresh_token(response, presented);
            }
            if let Some(lock) = op.step.lock() {
                self.io.push_back(SessionIo::ReleaseLock { lock });
            }
            return;
        }
        if let Some(lock) = op.step.lock() {
            self.io.push_back(SessionIo::ReleaseLock { lock });
        }
        // A 2xx whose access token cannot serve a session (no usable `exp`, `iat` or `sid`)
        // is a typed failure, never a zero lifetime. A refresh already consumed the presented
        // refresh token: the rotated one is kept, so the retry can use it.
        let result = match result {
            Ok(response) => match TokenRead::of(&response.access_token) {
                Ok(read) => Ok((response, read)),
                Err(e) => {
                    if !matches!(op.kind, OpKind::CodeExchange { .. }) {
                        self.keep_refresh_token(&response, presented.clone());
                    }
                    Err(RefreshError::InvalidAccessToken(e))
                }
            },
            Err(e) => Err(e),
        };
        let first = !std::mem::replace(&mut self.any_call_finished, true);
        let Op { kind, waiters, .. } = op;
        let requeue = match kind {
            OpKind::CodeExchange { state } => self.finish_code_exchange(state, waiters, result),
            OpKind::Switch { organization } => {
                self.finish_switch(organization, waiters, result, presented)
            }
            OpKind::Restore | OpKind::Refresh => {
                self.finish_refresh(waiters, result, presented, first)
            }
        };
        self.run_next(requeue);
    }

    fn finish_code_exchange(
        &mut self,
        state: Option<crate::authkit::urls::SignInState>,
        waiters: Waiters,
        result: Result<(AuthResponse, TokenRead), RefreshError>,
    ) -> Vec<TokenWaiter> {
        match result {
            Ok((response, read)) => {
                let token = self.issued(response, read, Issued::SignIn, waiters);
                self.events.push_back(SessionEvent::SignedIn {
                    state,
                    access_token: Secret::new(token),
                });
                Vec::new()
            }
            Err(e) => {
                let fallback_restore = matches!(
                    self.phase,
                    Phase::ExchangingCode {
                        fallback_restore: true
                    }
                );
                let transient = e.is_transient();
                self.callback_error = Some(AuthKitError::CodeExchange(e));
                if transient && fallback_restore {
                    // The new sign-in did not go through, but the session this browser
                    // already had is still there: restore it rather than sign the user out.
                    self.restore(waiters.tokens);
                } else {
                    self.phase = Phase::SignedOut;
                    let answers: Vec<_> = Waiters::tokens(waiters.tokens)
                        .fail(&AuthKitError::LoginRequired)
                        .collect();
                    self.events.extend(answers);
                }
                self.events.push_back(SessionEvent::Changed);
                Vec::new()
            }
        }
    }

    fn finish_switch(
        &mut self,
        organization: String,
        waiters: Waiters,
        result: Result<(AuthResponse, TokenRead), RefreshError>,
        presented: Option<Secret>,
    ) -> Vec<TokenWaiter> {
        match result {
            Ok((response, read)) => {
                self.issued(response, read, Issued::Rotation { presented }, waiters);
                self.stored_organization = Some(organization.clone());
                let key = self.config.org_key();
                self.write(StorageArea::Session, key, organization);
                Vec::new()
            }
            Err(e) if e.is_transient() => self.transient_failure(&e, waiters),
            Err(e) => {
                // The switch was refused: the session stays as it was, and says why.
                for w in waiters.switches {
                    self.answer_switch(w, Err(AuthKitError::OrganizationRefused(e.clone())));
                }
                waiters.tokens // they wanted a token, not the switch
            }
        }
    }

    fn finish_refresh(
        &mut self,
        waiters: Waiters,
        result: Result<(AuthResponse, TokenRead), RefreshError>,
        presented: Option<Secret>,
        first: bool,
    ) -> Vec<TokenWaiter> {
        match result {
            Ok((response, read)) => {
                self.issued(response, read, Issued::Rotation { presented }, waiters);
                Vec::new()
            }
            Err(e) if e.is_transient() => {
                let requeue = self.transient_failure(&e, waiters);
                // Keep the session (or keep loading) and try again.
                let (now, max) = (self.now, self.timeouts.max_retry);
                self.phase.schedule_retry(now, |failures| {
                    exponential_backoff(failures, Duration::from_secs(1), max)
                });
                requeue
            }
            Err(e) => {
                // Refused: the session is over.
                let answers: Vec<_> = waiters.fail(&AuthKitError::LoginRequired).collect();
                self.events.extend(answers);
                let was_signed_in = matches!(self.phase, Phase::SignedIn { .. });
                self.fail_queued_switch(&AuthKitError::LoginRequired);
                self.end_session(Ending::Refused { presented });
                if !first || was_signed_in {
                    self.events.push_back(SessionEvent::RefreshFailed(e));
                }
                Vec::new()
            }
        }
    }

    /// A transient failure: each token caller gets what authkit-js gives it (the current
    /// token while valid, one retry after a lock timeout, or the error); switch callers get
    /// the error. Returns the callers to retry.
    fn transient_failure(&mut self, e: &RefreshError, waiters: Waiters) -> Vec<TokenWaiter> {
        let valid = self
            .phase
            .live()
            .is_some_and(|live| live.expires_at > self.now);
        let mut requeue = Vec::new();
        for w in waiters.tokens {
            match session::after_failure(e, w.force, valid, w.retried) {
                AfterFailure::UseCurrentToken => {
                    let token = self.current_token();
                    self.answer_token(w.id, token);
                }
                AfterFailure::RetryOnce => requeue.push(TokenWaiter { retried: true, ..w }),
                AfterFailure::Transient => {
                    self.answer_token(w.id, Err(AuthKitError::Refresh(e.clone())))
                }
                AfterFailure::LoginRequired => {
                    self.answer_token(w.id, Err(AuthKitError::LoginRequired))
                }
            }
        }
        for w in waiters.switches {
            self.answer_switch(w, Err(AuthKitError::Refresh(e.clone())));
        }
        requeue
    }

    /// What waits runs next: a queued switch (with the callers to retry), or the callers to
    /// retry; then the automatic refresh is armed if nothing else runs.
    fn run_next(&mut self, requeue: Vec<TokenWaiter>) {
        if matches!(self.phase, Phase::SignedIn { .. }) {
            if let Some(q) = self.queued_switch.take() {
                let waiters = Waiters {
                    tokens: requeue,
                    switches: q.waiters,
                };
                let kind = OpKind::Switch {
                    organization: q.organization,
                };
                return self.begin(kind, waiters);
            }
        }
        if !requeue.is_empty() {
            match self.phase {
                Phase::SignedIn { .. } => self.begin(OpKind::Refresh, Waiters::tokens(requeue)),
                Phase::Restoring { .. } => {
                    self.phase.cancel_retry();
                    self.begin(OpKind::Restore, Waiters::tokens(requeue));
                }
                _ => {
                    let answers: Vec<_> = Waiters::tokens(requeue)
                        .fail(&AuthKitError::LoginRequired)
                        .collect();
                    self.events.extend(answers);
                }
            }
        }
        if matches!(self.phase, Phase::SignedIn { .. })
            && self.op.is_none()
            && self.phase.retry_at().is_none()
        {
            self.arm_auto_refresh();
        }
    }

    fn current_token(&self) -> Result<TokenString, AuthKitError> {
        match self.phase.live() {
            Some(live) => Ok(TokenString(live.response.access_token.clone())),
            None => Err(AuthKitError::LoginRequired),
        }
    }

    /// A successful answer: the session is stored and every caller gets the new token.
    /// Returns the access token.
    fn issued(
        &mut self,
        response: AuthResponse,
        read: TokenRead,
        issued: Issued,
        waiters: Waiters,
    ) -> String {
        let token = response.access_token.clone();
        self.store(response, read, issued);
        let answers: Vec<_> = waiters.succeed(&token).collect();
        self.events.extend(answers);
        token
    }

    /// Stores a successful answer: the refresh token (see [`Issued`]), then the session.
    fn store(&mut self, response: AuthResponse, read: TokenRead, issued: Issued) {
        match issued {
            Issued::Rotation { presented } => self.keep_refresh_token(&response, presented),
            Issued::SignIn => match (&response.refresh_token, self.config.dev_mode) {
                (Some(rt), true) => {
                    let (key, rt) = (self.config.refresh_token_key(), rt.clone());
                    let write = self.write(StorageArea::Local, key, rt.clone());
                    self.rotations.push(super::UnsavedRotation {
                        write,
                        over: None,
                        rotated: Secret::new(rt),
                    });
                }
                (Some(rt), false) => self.memory_refresh_token = Some(Secret::new(rt.clone())),
                (None, _) => {}
            },
        }
        for claim in &read.dropped {
            self.warn_once(format!(
                "the access token's `{claim}` claim has an unexpected type; it was ignored"
            ));
        }
        if read.timing.lifetime <= Duration::from_secs(self.config.refresh_buffer_secs) {
            self.warn_once(format!(
                "the access token lives {} s, at or under the refresh buffer ({} s): it is \
                 refreshed at most once a second",
                crate::time::tenths(read.timing.lifetime.as_secs_f64()),
                self.config.refresh_buffer_secs
            ));
        }
        let access_token = Secret::new(response.access_token.clone());
        let live = Live {
            response,
            claims: read.claims,
            expires_at: self.now.saturating_add(read.timing.lifetime),
            received_at: self.now,
        };
        self.phase = Phase::signed_in(live, &self.phase);
        self.events
            .push_back(SessionEvent::Refreshed { access_token });
        self.events.push_back(SessionEvent::Changed);
    }

    /// A refresh's rotated refresh token replaces the one it presented. Dev mode writes it
    /// only if storage still holds the presented one (another tab may have signed out or in
    /// meanwhile); otherwise it stays in memory.
    pub(super) fn keep_refresh_token(
        &mut self,
        response: &AuthResponse,
        presented: Option<Secret>,
    ) {
        let Some(rt) = &response.refresh_token else {
            return;
        };
        if self.config.dev_mode {
            let write = self.new_id();
            let rotated = Secret::new(rt.clone());
            self.io.push_back(SessionIo::WriteIf {
                write,
                area: StorageArea::Local,
                key: self.config.refresh_token_key(),
                expected: presented.clone(),
                value: rotated.clone(),
            });
            self.rotations.push(super::UnsavedRotation {
                write,
                over: presented,
                rotated,
            });
        } else {
            self.memory_refresh_token = Some(Secret::new(rt.clone()));
        }
    }

    /// Abandons the call in flight and anything queued: the lock is released, the request
    /// cancelled, every caller answered with `why`.
    pub(super) fn abandon(&mut self, why: AuthKitError) {
        if let Some(op) = self.op.take() {
            if let super::Step::Requesting { request, .. } = op.step {
                self.io.push_back(SessionIo::CancelRequest { request });
            }
            if let Some(lock) = op.step.lock() {
                self.io.push_back(SessionIo::ReleaseLock { lock });
            }
            let answers: Vec<_> = op.waiters.fail(&why).collect();
            self.events.extend(answers);
        }
        self.fail_queued_switch(&why);
    }

    /// Signed out: memory and storage cleared (as `ending` says), timers stopped.
    pub(super) fn end_session(&mut self, ending: Ending) {
        self.phase = Phase::SignedOut;
        self.memory_refresh_token = None;
        self.unsaved = None;
        self.stored_organization = None;
        let rt_key = self.config.refresh_token_key();
        match ending {
            Ending::SignedOut => self.io.push_back(SessionIo::Remove {
                area: StorageArea::Local,
                key: rt_key,
            }),
            Ending::Refused {
                presented: Some(expected),
            } => self.io.push_back(SessionIo::RemoveIf {
                area: StorageArea::Local,
                key: rt_key,
                expected,
            }),
            Ending::Refused { presented: None } => {} // nothing of ours is stored
        }
        let (legacy_local, legacy_session) = LEGACY_KEYS;
        for (area, key) in [
            (StorageArea::Local, legacy_local.to_owned()),
            (StorageArea::Session, self.config.org_key()),
            (StorageArea::Session, legacy_session.to_owned()),
        ] {
            self.io.push_back(SessionIo::Remove { area, key });
        }
        self.events.push_back(SessionEvent::Changed);
    }
}
