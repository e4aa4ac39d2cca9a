//! Every refusal of an AuthKit endpoint, as the answer it sends: the JSON
//! `{"error", "error_description"}` of the token endpoint, the page or redirect of the
//! authorize endpoint (RFC 6749 §4.1.2.1: a bad client or redirect URI is shown to the user,
//! anything else goes back to the app), and the `{"message"}` of the logout and JWKS endpoints.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::storage::StorageError;

use super::page;
use super::redirect::{found, with_query};

/// Why an AuthKit endpoint refused.
#[derive(Debug)]
pub(super) enum OAuthError {
    /// 400 `invalid_request`.
    InvalidRequest(&'static str),
    /// 400 `invalid_client`: the request names another client.
    InvalidClient,
    /// 400 `unsupported_grant_type`.
    UnsupportedGrantType,
    /// 400 `invalid_grant`.
    InvalidGrant(&'static str),
    /// 403: a refresh asked for an organization the user is not a member of.
    OrganizationMembershipNotFound,
    /// 404 `not_found`: the test routes were asked for a user who does not exist.
    NoSuchUser,
    /// A refresh failure injected by the test controls, with its status.
    Injected(StatusCode),
    /// 500 `server_error`: storage failed (logged; the client learns no more).
    Storage(StorageError),
    /// An authorize request for another client: a page, as there is nowhere safe to redirect.
    AuthorizeWrongClient {
        /// The client id this AuthKit serves.
        served: String,
    },
    /// An authorize request with a redirect URI off the allow-list: a page, likewise.
    AuthorizeBadRedirect { redirect_uri: String },
    /// An authorize request refused back to the app: `302` to its redirect URI with
    /// `?error=&error_description=` and the request's `state`.
    AuthorizeRefused {
        redirect_uri: String,
        error: &'static str,
        description: &'static str,
        state: Option<String>,
    },
    /// A `{"message"}` refusal.
    Message(StatusCode, &'static str),
}

impl From<StorageError> for OAuthError {
    fn from(e: StorageError) -> OAuthError {
        OAuthError::Storage(e)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, error, description) = match self {
            OAuthError::InvalidRequest(description) => {
                (StatusCode::BAD_REQUEST, "invalid_request", description)
            }
            OAuthError::InvalidClient => (
                StatusCode::BAD_REQUEST,
                "invalid_client",
                "unknown client_id",
            ),
            OAuthError::UnsupportedGrantType => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            ),
            OAuthError::InvalidGrant(description) => {
                (StatusCode::BAD_REQUEST, "invalid_grant", description)
            }
            OAuthError::OrganizationMembershipNotFound => (
                StatusCode::FORBIDDEN,
                "organization_membership_not_found",
                "The user is not a member of that organization; the session is unchanged.",
            ),
            OAuthError::NoSuchUser => (StatusCode::NOT_FOUND, "not_found", "no such user"),
            OAuthError::Injected(status) => {
                let error = if status.is_server_error() {
                    "server_error"
                } else if status == StatusCode::TOO_MANY_REQUESTS {
                    "rate_limit_exceeded"
                } else {
                    "invalid_grant"
                };
                (status, error, "failure injected by the test controls")
            }
            OAuthError::Storage(e) => {
                eprintln!("[authkit] storage error: {e}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "storage failure",
                )
            }
            OAuthError::AuthorizeWrongClient { served } => {
                let html = format!(
                    "<h1>Invalid client_id</h1><p>This AuthKit serves client_id \
                     <code>{}</code>.</p>",
                    page::escape(&served)
                );
                return (StatusCode::BAD_REQUEST, Html(html)).into_response();
            }
            OAuthError::AuthorizeBadRedirect { redirect_uri } => {
                let html = format!(
                    "<h1>Invalid redirect_uri</h1><p><code>{}</code> is not on the allow-list \
                     (loopback URLs and --redirect-uri).</p>",
                    page::escape(&redirect_uri)
                );
                return (StatusCode::BAD_REQUEST, Html(html)).into_response();
            }
            OAuthError::AuthorizeRefused {
                redirect_uri,
                error,
                description,
                state,
            } => {
                let mut params = vec![
                    ("error", error.to_string()),
                    ("error_description", description.to_string()),
                ];
                if let Some(s) = state {
                    params.push(("state", s));
                }
                return found(&with_query(&redirect_uri, &params));
            }
            OAuthError::Message(status, message) => {
                return (status, Json(json!({"message": message}))).into_response();
            }
        };
        (
            status,
            Json(json!({"error": error, "error_description": description})),
        )
            .into_response()
    }
}
