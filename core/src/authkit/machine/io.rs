//! What the AuthKit session machine asks of its driver ([`SessionIo`]), what it tells the app
//! ([`SessionEvent`]), the ids that tie answers to requests, and what a page load tells it.

use super::super::errors::AuthKitError;
use super::super::session::RefreshError;
use crate::time::Instant;

/// Ties an answer (an HTTP response, a lock grant, a storage read) to the request that asked
/// for it. Ids are never reused, so an answer to an abandoned request is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub u64);

/// Identifies one caller of `get_access_token` or `switch_to_organization`; its answer comes
/// back as a [`SessionEvent`] with this id. A caller that went away (a dropped future) loses
/// nothing: the machine finishes the work and the answer is simply not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WaiterId(pub u64);

/// A string that must never appear in logs (a refresh token, a code verifier, a request body
/// that holds one). `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for the one place that sends or stores it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A JSON object of string fields, written in the given order (a request body).
pub(crate) struct Fields<'a>(pub(crate) &'a [(&'a str, &'a str)]);

impl Fields<'_> {
    /// The object as JSON text.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            crate::json::write_str(&mut out, k);
            out.push(':');
            crate::json::write_str(&mut out, v);
        }
        out.push('}');
        out
    }
}

/// Which Web Storage area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageArea {
    /// `localStorage`: shared by the tabs of an origin.
    Local,
    /// `sessionStorage`: this tab only.
    Session,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionIo {
    /// POST `body` (JSON) to `url` and report with [`handle_response`](super::AuthKitSession::handle_response).
    /// Send cookies when `with_cookies`. The machine gives up at `deadline` (and then asks
    /// for [`SessionIo::CancelRequest`]).
    Authenticate {
        /// The request's id.
        request: OpId,
        /// `…/user_management/authenticate`.
        url: String,
        /// The JSON body (holds a refresh token or a code verifier).
        body: Secret,
        /// Include credentials (the production refresh cookie).
        with_cookies: bool,
        /// When the machine stops waiting.
        deadline: Instant,
    },
    /// Abort a request the machine no longer waits for.
    CancelRequest {
        /// The request's id, from [`SessionIo::Authenticate`].
        request: OpId,
    },
    /// Ask for the cross-tab refresh lock; report the grant with
    /// [`handle_lock_granted`](super::AuthKitSession::handle_lock_granted).
    AcquireLock {
        /// The lock request's id.
        lock: OpId,
        /// When the machine stops waiting (and withdraws the request).
        deadline: Instant,
    },
    /// Release a held lock, or withdraw a request for it that was not granted yet.
    ReleaseLock {
        /// The lock request's id, from [`SessionIo::AcquireLock`].
        lock: OpId,
    },
    /// Read a key and report with [`handle_storage_read`](super::AuthKitSession::handle_storage_read).
    Read {
        /// The read's id.
        read: OpId,
        /// The storage area.
        area: StorageArea,
        /// The key.
        key: String,
    },
    /// Write a key, and report with [`handle_storage_written`](super::AuthKitSession::handle_storage_written)
    /// (a write can fail: quota, private mode, no storage).
    Write {
        /// The write's id.
        write: OpId,
        /// The storage area.
        area: StorageArea,
        /// The key.
        key: String,
        /// The value.
        value: Secret,
    },
    /// Write a key only if it still holds `expected` (`None`: only if absent), in one
    /// synchronous step. A refresh stores its rotated token this way, so it never writes a
    /// session back after another tab signed out or signed in anew. Reported like
    /// [`SessionIo::Write`] (a condition that does not hold is not a failure).
    WriteIf {
        /// The write's id.
        write: OpId,
        /// The storage area.
        area: StorageArea,
        /// The key.
        key: String,
        /// What the key must hold.
        expected: Option<Secret>,
        /// The value.
        value: Secret,
    },
    /// Remove a key only if it still holds `expected`, in one synchronous step. A refused
    /// refresh clears its own refresh token this way, never one another tab stored since.
    RemoveIf {
        /// The storage area.
        area: StorageArea,
        /// The key.
        key: String,
        /// What the key must hold.
        expected: Secret,
    },
    /// Remove a key.
    Remove {
        /// The storage area.
        area: StorageArea,
        /// The key.
        key: String,
    },
    /// Replace the page's query string (removing the one-time code) without a navigation.
    ReplaceSearch {
        /// The new query string (empty or starting with `?`).
        search: String,
    },
    /// Navigate the page (sign-in, sign-out).
    Navigate {
        /// The URL to load.
        url: String,
    },
    /// Call a URL in the background and ignore the answer (sign-out without navigating).
    Beacon {
        /// The URL to call.
        url: String,
    },
    /// The automatic refresh is due: may it run now? Answer with
    /// [`handle_auto_refresh_answer`](super::AuthKitSession::handle_auto_refresh_answer)
    /// (authkit-js skips it in a hidden tab, or asks the app's `onBeforeAutoRefresh`). The
    /// machine asks instead of calling back, so the driver's policy (and an app's hook) runs
    /// with no borrow of the machine held. Answer every ask (the browser driver answers at
    /// once): until the answer, and after a "no", the automatic refresh waits for the next
    /// [`handle_wake`](super::AuthKitSession::handle_wake); tokens asked for
    /// (`get_access_token`) are refreshed regardless.
    AskAutoRefresh {
        /// The question's id, to answer with.
        ask: OpId,
    },
}

/// What happened, for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    /// The session, loading flag or error changed: re-read the snapshot.
    Changed,
    /// A code exchange or refresh succeeded (authkit-js `onRefresh`), with the new access
    /// token (redacted in `Debug`).
    Refreshed {
        /// The new access token.
        access_token: Secret,
    },
    /// A refresh was refused and the session ended (not for the restore at page load).
    RefreshFailed(RefreshError),
    /// Sign-in completed on the callback page, with the `state` passed to `sign_in`.
    SignedIn {
        /// The app's state (untrusted).
        state: Option<crate::authkit::urls::SignInState>,
        /// The new access token (redacted in `Debug`).
        access_token: Secret,
    },
    /// The answer to a `get_access_token` call.
    Token {
        /// Which call.
        waiter: WaiterId,
        /// The token, or why there is none.
        result: Result<TokenString, AuthKitError>,
    },
    /// The answer to a `sign_in_url` call: the URL once its PKCE verifier is stored, or
    /// [`AuthKitError::Storage`].
    SignInUrl {
        /// Which call.
        waiter: WaiterId,
        /// The URL, or why there is none.
        result: Result<String, AuthKitError>,
    },
    /// A storage write nobody waits for failed (the browser refused it): for the app's log
    /// and `on_refresh_failure`. The session in memory is kept.
    StorageFailed(String),
    /// Something the app's log should say once (a claim of an unexpected type was ignored,
    /// the token lifetime is at or under the refresh buffer).
    Warning(String),
    /// The answer to a `switch_to_organization` call.
    OrganizationSwitched {
        /// Which call.
        waiter: WaiterId,
        /// Done, or why not (the session is kept unless it ended for another reason).
        result: Result<(), AuthKitError>,
    },
}

/// An access token; `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenString(pub String);

impl std::fmt::Debug for TokenString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenString([redacted])")
    }
}

/// What the page knew when the machine started.
#[derive(Clone, Default, PartialEq)]
pub struct PageLoad {
    /// `location.pathname`.
    pub pathname: String,
    /// `location.search`.
    pub search: String,
    /// The PKCE verifier this tab stored when it started a sign-in.
    pub verifier: Option<Secret>,
    /// A stored session exists (dev mode: a refresh token in localStorage; production: the
    /// `workos-has-session` cookie hint).
    pub has_stored_session: bool,
    /// The organization this tab last switched to (sessionStorage).
    pub stored_organization: Option<String>,
}

impl std::fmt::Debug for PageLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageLoad")
            .field("pathname", &self.pathname)
            .field("has_verifier", &self.verifier.is_some())
            .field("has_stored_session", &self.has_stored_session)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::Fields;

    /// A request body is the JSON object serde_json writes for the same fields, in order.
    #[test]
    fn fields_are_a_json_object_in_order() {
        let fields = [
            ("grant_type", "refresh_token"),
            ("client_id", "client_\"1\"\n\u{1}é"),
            ("", ""),
        ];
        let quote = |s: &str| serde_json::to_string(s).unwrap();
        let expected: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}:{}", quote(k), quote(v)))
            .collect();
        let text = Fields(&fields).to_json();
        assert_eq!(text, format!("{{{}}}", expected.join(",")));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["client_id"], fields[1].1);
        assert_eq!(Fields(&[]).to_json(), "{}");
    }
}
