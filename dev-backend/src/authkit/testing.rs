//! The test-only AuthKit routes (with `--test-controls`): a sign-in code or a whole session
//! for a seeded or signed-up user, without the hosted page, for browser tests that cannot
//! follow a redirect by hand.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value as JsonValue};

use crate::storage::UserRow;

use super::error::OAuthError;
use super::kit::AuthKit;
use super::seed::{memberships, DEFAULT_TEST_USER};

/// `POST /_test/issue_code {"email", "code_challenge"}`: the code the hosted page would put in
/// the redirect, for browser tests of the callback.
pub(super) async fn issue_code(
    State(authkit): State<Arc<AuthKit>>,
    Json(body): Json<JsonValue>,
) -> Result<Json<JsonValue>, OAuthError> {
    let email = test_user_email(&body);
    let challenge = body
        .get("code_challenge")
        .and_then(JsonValue::as_str)
        .ok_or(OAuthError::InvalidRequest("code_challenge is required"))?;
    let user = test_user(&authkit, email)?;
    let organization_id = memberships(email).first().map(|m| m.org.to_string());
    let code = authkit.issue_code(user.id, organization_id, challenge.to_string());
    Ok(Json(json!({"code": code})))
}

/// `POST /_test/issue_token {"email", "lifetime"?}`: a session and its tokens.
pub(super) async fn issue_token(
    State(authkit): State<Arc<AuthKit>>,
    Json(body): Json<JsonValue>,
) -> Result<Json<JsonValue>, OAuthError> {
    let email = test_user_email(&body);
    let user = test_user(&authkit, email)?;
    let organization_id = memberships(email).first().map(|m| m.org.to_string());
    let session = authkit.start_session(&user.id, organization_id)?;
    let lifetime = body
        .get("lifetime")
        .and_then(JsonValue::as_u64)
        .map(|l| l.clamp(1, 86_400));
    let refresh_token = authkit.new_refresh_token(&session.id)?;
    let token = match lifetime {
        Some(lifetime) => authkit.access_token_with_lifetime(&user, &session, lifetime),
        None => authkit.access_token(&user, &session),
    };
    Ok(Json(
        json!({"access_token": token, "refresh_token": refresh_token}),
    ))
}

/// The email a test route signs in: the body's, or the default test user's. Memberships are
/// looked up by this text as given (the user lookup ignores case, the membership one does not).
fn test_user_email(body: &JsonValue) -> &str {
    body.get("email")
        .and_then(JsonValue::as_str)
        .unwrap_or(DEFAULT_TEST_USER)
}

fn test_user(authkit: &AuthKit, email: &str) -> Result<UserRow, OAuthError> {
    authkit
        .storage
        .user_by_email(email)?
        .ok_or(OAuthError::NoSuchUser)
}
