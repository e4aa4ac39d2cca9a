//! The authenticate response, expiry on the local clock, refresh decisions and failure classes.

use serde::Deserialize;

use super::claims::ClaimsError;
use crate::jwt::ClaimReader;
use crate::time::Instant;

/// A signed-in user (from the API's snake_case user object).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct User {
    /// `user_...`
    pub id: String,
    /// Email.
    pub email: String,
    /// Whether the email is verified.
    #[serde(default)]
    pub email_verified: bool,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub profile_picture_url: Option<String>,
    /// Last sign-in, RFC 3339.
    #[serde(default)]
    pub last_sign_in_at: Option<String>,
    /// The app's own id for the user.
    #[serde(default)]
    pub external_id: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub created_at: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// Who is impersonating the user.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Impersonator {
    /// The admin's email.
    pub email: String,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A successful code exchange or refresh. `Debug` leaves the tokens out.
#[derive(Clone, PartialEq, Deserialize)]
pub struct AuthResponse {
    /// The user.
    pub user: User,
    /// The organization the session is in.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// The access token (a JWT).
    pub access_token: String,
    /// The next refresh token (dev mode keeps it; production relies on the cookie).
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// How the user signed in, e.g. `Password`, `GoogleOAuth`.
    #[serde(default)]
    pub authentication_method: Option<String>,
    /// Set during impersonation.
    #[serde(default)]
    pub impersonator: Option<Impersonator>,
}

impl std::fmt::Debug for AuthResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthResponse")
            .field("user", &self.user.id)
            .field("organization_id", &self.organization_id)
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

impl AuthResponse {
    /// Parses a response body. The fields a session needs (`user.id`, `user.email`,
    /// `access_token`) must be strings, and so must `refresh_token` and the `impersonator`'s
    /// `email` when present (a rotation that cannot be kept, or an impersonation that would
    /// not show, is `Malformed`, never a quiet success); any other field of an unexpected
    /// type is dropped alone (read field by field, as the token's claims are).
    pub fn parse(body: &str) -> Result<AuthResponse, RefreshError> {
        let malformed = |what: &str| RefreshError::Malformed(what.to_owned());
        let mut r = match ClaimReader::from_text(body.to_owned()) {
            Ok(r) => r,
            Err(_) if crate::json::validate(body).is_ok() => {
                return Err(malformed("the response is not a JSON object"))
            }
            Err(e) => return Err(RefreshError::Malformed(e.to_string())),
        };
        let user = r
            .object("user", User::read)
            .ok_or_else(|| malformed("the response has no user with a string `id` and `email`"))?;
        let access_token = r
            .string("access_token")
            .ok_or_else(|| malformed("the response has no string `access_token`"))?;
        let refresh_token = r.string("refresh_token");
        let impersonator = r.object("impersonator", |mut r| {
            Some(Impersonator {
                email: r.string("email")?,
                reason: r.string("reason"),
            })
        });
        if let Some(field) = r
            .dropped()
            .iter()
            .find(|f| matches!(**f, "refresh_token" | "impersonator"))
        {
            return Err(RefreshError::Malformed(format!(
                "the response's `{field}` is not what AuthKit sends"
            )));
        }
        Ok(AuthResponse {
            user,
            organization_id: r.string("organization_id"),
            access_token,
            refresh_token,
            authentication_method: r.string("authentication_method"),
            impersonator,
        })
    }
}

impl User {
    /// The API's user object, field by field (`None` without a string `id` and `email`).
    fn read(mut r: ClaimReader) -> Option<User> {
        Some(User {
            id: r.string("id")?,
            email: r.string("email")?,
            email_verified: r.boolean("email_verified").unwrap_or(false),
            first_name: r.string("first_name"),
            last_name: r.string("last_name"),
            profile_picture_url: r.string("profile_picture_url"),
            last_sign_in_at: r.string("last_sign_in_at"),
            external_id: r.string("external_id"),
            created_at: r.string("created_at"),
            updated_at: r.string("updated_at"),
        })
    }
}

/// Whether a token expiring at `expires_at` needs a refresh now, with `buffer_secs` of margin.
pub(crate) fn needs_refresh(expires_at: Option<Instant>, now: Instant, buffer_secs: u64) -> bool {
    match expires_at {
        None => true,
        Some(at) => {
            at.as_millis()
                .saturating_sub(buffer_secs.saturating_mul(1000))
                < now.as_millis()
        }
    }
}

/// `prefix` and the text, or nothing (for an optional part of a message).
fn detail(prefix: &str, text: &Option<String>) -> String {
    text.as_deref()
        .map(|t| format!("{prefix}{t}"))
        .unwrap_or_default()
}

/// Why a refresh (or code exchange) failed.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// 408, 429, 500, 502, 503 or 504 (authkit-js's retryable set; other 5xx are terminal):
    /// the session is kept and the call can be retried.
    #[error(
        "AuthKit is unavailable (HTTP {status}{}); the session is kept",
        detail(", ", error)
    )]
    Transient {
        /// HTTP status.
        status: u16,
        /// The OAuth `error` code, if any.
        error: Option<String>,
    },
    /// Any other non-2xx (e.g. 400 `invalid_grant`): the session is over.
    #[error(
        "AuthKit refused the session (HTTP {status}{}{})",
        detail(", ", error),
        detail(": ", description)
    )]
    Terminal {
        /// HTTP status.
        status: u16,
        /// The OAuth `error` code.
        error: Option<String>,
        /// The `error_description`.
        description: Option<String>,
    },
    /// `fetch` itself failed (offline, DNS, CORS): transient.
    #[error("network error talking to AuthKit: {0}")]
    Network(String),
    /// The cross-tab refresh lock was not acquired in time: transient.
    #[error("timed out waiting for another tab's token refresh")]
    LockTimeout,
    /// A 2xx body that is not an authenticate response.
    #[error("AuthKit answered with an unexpected body: {0}")]
    Malformed(String),
    /// A 2xx whose access token cannot serve a session (no usable `exp`, `iat` or `sid`).
    /// Transient: the rotated refresh token is kept and the refresh retried with backoff.
    #[error("AuthKit answered with an unusable access token: {0}")]
    InvalidAccessToken(ClaimsError),
    /// The browser refused a storage write (quota, private mode): the session in memory is
    /// kept, but may not survive a reload.
    #[error("the browser refused to store the session: {0}")]
    Storage(String),
}

impl RefreshError {
    /// Classifies a non-2xx answer, as authkit-js does (the body's `error` and
    /// `error_description` are kept when it is JSON).
    pub fn from_status(status: u16, body: &str) -> RefreshError {
        let mut json = ClaimReader::from_text(body.to_owned()).ok();
        let mut field = |k: &'static str| json.as_mut().and_then(|j| j.string(k));
        let error = field("error").or_else(|| field("code"));
        if matches!(status, 408 | 429 | 500 | 502 | 503 | 504) {
            RefreshError::Transient { status, error }
        } else {
            RefreshError::Terminal {
                status,
                error,
                description: field("error_description").or_else(|| field("message")),
            }
        }
    }

    /// Whether the session survives this failure.
    pub fn is_transient(&self) -> bool {
        !matches!(
            self,
            RefreshError::Terminal { .. } | RefreshError::Malformed(_)
        )
    }
}

/// What `get_access_token` does after a failed refresh (authkit-js's decision tree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AfterFailure {
    /// Hand out the token in memory: the refresh was not forced and it is still valid.
    UseCurrentToken,
    /// Try once more (after a lock timeout).
    RetryOnce,
    /// Report the transient error; the session is kept.
    Transient,
    /// The session ended: the caller must sign in.
    LoginRequired,
}

/// The decision after a failed refresh. `already_retried` is true on the second attempt.
pub(crate) fn after_failure(
    error: &RefreshError,
    forced: bool,
    token_still_valid: bool,
    already_retried: bool,
) -> AfterFailure {
    match error {
        RefreshError::Terminal { .. } | RefreshError::Malformed(_) => AfterFailure::LoginRequired,
        _ if !forced && token_still_valid => AfterFailure::UseCurrentToken,
        RefreshError::LockTimeout if !already_retried => AfterFailure::RetryOnce,
        _ => AfterFailure::Transient,
    }
}

debug_as_message!(RefreshError);

#[cfg(test)]
mod tests {
    use super::*;

    /// Error types print their name and message as `Debug` (what an `unwrap` shows), not
    /// their fields.
    #[test]
    fn errors_debug_as_name_and_message() {
        let e = RefreshError::from_status(400, r#"{"error":"invalid_grant"}"#);
        assert_eq!(format!("{e:?}"), format!("RefreshError({e})"));
        let v = crate::value::ValueError::UnsupportedWrapper("$x".into());
        assert_eq!(format!("{v:?}"), format!("ValueError({v})"));
        let a = crate::authkit::AuthKitError::Refresh(e.clone());
        assert_eq!(format!("{a:?}"), format!("AuthKitError({a})"));
    }

    #[test]
    fn classification_and_decisions() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(RefreshError::from_status(s, "").is_transient(), "{s}");
        }
        let e = RefreshError::from_status(
            400,
            r#"{"error":"invalid_grant","error_description":"used"}"#,
        );
        assert!(!e.is_transient());
        assert!(e.to_string().contains("invalid_grant: used"));
        assert!(!RefreshError::from_status(401, "not json").is_transient());
        assert_eq!(
            after_failure(&e, false, true, false),
            AfterFailure::LoginRequired
        );
        let t = RefreshError::Transient {
            status: 500,
            error: None,
        };
        assert_eq!(
            after_failure(&t, false, true, false),
            AfterFailure::UseCurrentToken
        );
        assert_eq!(
            after_failure(&t, true, true, false),
            AfterFailure::Transient
        );
        assert_eq!(
            after_failure(&RefreshError::LockTimeout, true, true, false),
            AfterFailure::RetryOnce
        );
        assert_eq!(
            after_failure(&RefreshError::LockTimeout, true, true, true),
            AfterFailure::Transient
        );
        assert_eq!(
            after_failure(&RefreshError::Network("x".into()), false, false, false),
            AfterFailure::Transient
        );
    }

    #[test]
    fn refresh_inside_the_buffer() {
        let at = Instant::from_millis(350_000);
        assert!(!needs_refresh(Some(at), Instant::from_millis(339_999), 10));
        assert!(needs_refresh(Some(at), Instant::from_millis(340_001), 10));
        assert!(needs_refresh(None, at, 10));
    }

    #[test]
    fn parses_responses() {
        let body = r#"{"user":{"object":"user","id":"user_1","email":"a@b.c","email_verified":true,"first_name":"A","last_name":null,"metadata":{}},
          "organization_id":"org_1","access_token":"t","refresh_token":"r","authentication_method":"Password",
          "impersonator":{"email":"admin@x","reason":null},"sealed_session":"ignored"}"#;
        let r = AuthResponse::parse(body).unwrap();
        assert_eq!(r.user.first_name.as_deref(), Some("A"));
        assert_eq!(r.impersonator.unwrap().email, "admin@x");
        assert!(matches!(
            AuthResponse::parse("{}"),
            Err(RefreshError::Malformed(_))
        ));
    }

    #[test]
    fn an_odd_field_is_dropped_alone_and_a_missing_one_the_session_needs_is_malformed() {
        let body = r#"{"user":{"id":"user_1","email":"a@b.c","email_verified":"yes","first_name":5},
          "access_token":"t","organization_id":[],"refresh_token":null}"#;
        let r = AuthResponse::parse(body).unwrap();
        assert_eq!(
            (r.user.id.as_str(), r.user.email_verified),
            ("user_1", false)
        );
        assert_eq!(
            (r.user.first_name, r.organization_id, r.refresh_token),
            (None, None, None)
        );
        for body in [
            r#"{"user":{"id":"u","email":"e"}}"#,
            r#"{"user":{"id":"u"},"access_token":"t"}"#,
            r#"{"user":"u","access_token":"t"}"#,
            // A rotated refresh token that could not be kept would be presented again later,
            // and AuthKit revokes a session whose refresh token is reused; an impersonation
            // must show.
            r#"{"user":{"id":"u","email":"e"},"access_token":"t","refresh_token":7}"#,
            r#"{"user":{"id":"u","email":"e"},"access_token":"t","impersonator":{"reason":"r"}}"#,
            "[]",
            "not json",
        ] {
            assert!(
                matches!(AuthResponse::parse(body), Err(RefreshError::Malformed(_))),
                "{body}"
            );
        }
    }
}
