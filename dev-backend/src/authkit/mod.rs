//! The AuthKit side: the WorkOS User Management endpoints authkit-js calls, on loopback.
//!
//! - `GET /user_management/authorize`: the hosted sign-in / sign-up page ([`page`]), and
//!   `POST`, the page's form, which redirects with `?code=&state=` (`authorize`).
//! - `POST /user_management/authenticate`: `authorization_code` (PKCE S256) and
//!   `refresh_token` (rotation; optional `organization_id`) grants (`sessions`).
//! - `GET /user_management/sessions/logout`: revokes the session and redirects (`sessions`).
//! - `GET /sso/jwks/{client_id}`: the signing key (here).
//! - `POST /_test/issue_code`, `/_test/issue_token`: sign-in without the page (`testing`).
//!
//! Behind them: `kit` (the state, and the codes, sessions and tokens it issues), `seed`
//! (the seeded users), `users`, `redirect` (the allow-list), `cookies` (production
//! mode) and `error` (every refusal, as the answer it sends).

mod authorize;
mod cookies;
mod error;
mod kit;
pub mod page;
mod redirect;
mod seed;
mod sessions;
mod testing;
mod users;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value as JsonValue;

use error::OAuthError;

pub use cookies::{HINT_COOKIE, SESSION_COOKIE};
pub use kit::{issuer, AuthKit, MAX_PENDING_CODES};
pub use redirect::{is_loopback_host, redirect_allowed};

/// The routes.
pub fn routes(authkit: Arc<AuthKit>) -> Router {
    Router::new()
        .route(
            "/user_management/authorize",
            get(authorize::authorize_page).post(authorize::authorize_submit),
        )
        .route(
            "/user_management/authenticate",
            post(sessions::authenticate),
        )
        .route("/user_management/sessions/logout", get(sessions::logout))
        .route("/sso/jwks/{client_id}", get(jwks))
        .with_state(authkit)
}

/// Test-only routes (with `--test-controls`): `POST /_test/issue_token {"email", "lifetime"?}`
/// signs a seeded or signed-up user in without the hosted page, for browser tests that cannot
/// follow a redirect by hand.
pub fn test_routes(authkit: Arc<AuthKit>) -> Router {
    Router::new()
        .route("/_test/issue_token", post(testing::issue_token))
        .route("/_test/issue_code", post(testing::issue_code))
        .with_state(authkit)
}

/// `GET /sso/jwks/{client_id}`: the signing key, for this client only.
async fn jwks(
    State(authkit): State<Arc<AuthKit>>,
    Path(client_id): Path<String>,
) -> Result<Json<JsonValue>, OAuthError> {
    if client_id != authkit.client_id {
        return Err(OAuthError::Message(
            StatusCode::NOT_FOUND,
            "unknown client_id",
        ));
    }
    Ok(Json(authkit.jwks()))
}
