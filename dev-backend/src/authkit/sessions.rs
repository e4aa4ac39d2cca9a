//! Sessions: `POST /user_management/authenticate` starts one (the `authorization_code` grant,
//! PKCE S256) or renews it (the `refresh_token` grant: rotation, reuse detection, optional
//! organization switch); `GET /user_management/sessions/logout` ends it.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value as JsonValue};
use sha2::{Digest, Sha256};

use crate::storage::{SessionRow, UserRow};

use super::cookies::{clear_cookies, cookie, set_session_cookies, SESSION_COOKIE};
use super::error::OAuthError;
use super::kit::AuthKit;
use super::redirect::found;
use super::seed::memberships;
use super::users::user_json;

/// The body's fields, from a form or from a JSON object (non-string values as JSON text).
fn body_fields(headers: &HeaderMap, body: &[u8]) -> Option<HashMap<String, String>> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if form {
        return serde_urlencoded::from_bytes(body).ok();
    }
    let json: JsonValue = serde_json::from_slice(body).ok()?;
    Some(
        json.as_object()?
            .iter()
            .filter_map(|(k, v)| match v {
                JsonValue::String(s) => Some((k.clone(), s.clone())),
                JsonValue::Null => None,
                other => Some((k.clone(), other.to_string())),
            })
            .collect(),
    )
}

pub(super) async fn authenticate(
    State(authkit): State<Arc<AuthKit>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delay = Duration::from_millis(authkit.controls.delay_ms.load(Ordering::SeqCst));
    let after = authkit.controls.delay_after.load(Ordering::SeqCst);
    if !after && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = authenticate_now(&authkit, &headers, &body).into_response();
    if after && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    response
}

fn authenticate_now(
    authkit: &AuthKit,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, OAuthError> {
    let mut fields = body_fields(headers, body).ok_or(OAuthError::InvalidRequest(
        "the body must be a JSON object or form-encoded",
    ))?;
    if fields.get("client_id") != Some(&authkit.client_id) {
        return Err(OAuthError::InvalidClient);
    }
    match fields.get("grant_type").map(String::as_str) {
        Some("authorization_code") => code_grant(authkit, &fields),
        Some("refresh_token") => {
            if !fields.contains_key("refresh_token") {
                // Production (cookie) mode: the credential is the HTTP-only session cookie.
                if let Some(rt) = cookie(headers, SESSION_COOKIE) {
                    fields.insert("refresh_token".into(), rt);
                }
            }
            refresh_grant(authkit, &fields)
        }
        _ => Err(OAuthError::UnsupportedGrantType),
    }
}

fn code_grant(authkit: &AuthKit, fields: &HashMap<String, String>) -> Result<Response, OAuthError> {
    let (Some(code), Some(verifier)) = (fields.get("code"), fields.get("code_verifier")) else {
        return Err(OAuthError::InvalidRequest(
            "code and code_verifier are required",
        ));
    };
    const UNUSABLE: &str = "The code is invalid, expired or was already used.";
    // Single use: the code is gone whatever happens next.
    let pending = authkit
        .take_code(code)
        .ok_or(OAuthError::InvalidGrant(UNUSABLE))?;
    if pending.expires < Instant::now() || pending.client_id != authkit.client_id {
        return Err(OAuthError::InvalidGrant(UNUSABLE));
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if challenge != pending.challenge {
        return Err(OAuthError::InvalidGrant(
            "PKCE verification failed: the code_verifier does not match the code_challenge.",
        ));
    }
    let user = authkit
        .storage
        .user(&pending.user_id)?
        .ok_or(OAuthError::InvalidGrant("the user no longer exists"))?;
    let session = authkit.start_session(&user.id, pending.organization_id)?;
    session_response(authkit, &user, &session)
}

fn refresh_grant(
    authkit: &AuthKit,
    fields: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    if let Some(status) = authkit.controls.take_refresh_failure() {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(OAuthError::Injected(status));
    }
    let token = fields
        .get("refresh_token")
        .ok_or(OAuthError::InvalidRequest(
            "refresh_token is required, in the body (dev mode) or in the session cookie \
         (production mode)",
        ))?;
    const EXCHANGED: &str = "Refresh token already exchanged or invalid.";
    // Everything that can refuse the grant is checked before the token is used up, so a
    // refused organization switch leaves the session as it was.
    let Some(session_id) = authkit.storage.peek_refresh_token(token)? else {
        // A rotated-out token presented again: someone holds a copy. Revoke the whole
        // session (RFC 9700 §4.14.2), so the thief and the user both lose it.
        if let Ok(Some(stolen)) = authkit.storage.used_refresh_token_session(token) {
            eprintln!("[authkit] a used refresh token was presented again: session revoked");
            authkit.storage.revoke_session(&stolen)?;
            return Err(OAuthError::InvalidGrant(
                "Refresh token reuse detected; the session was revoked.",
            ));
        }
        return Err(OAuthError::InvalidGrant(EXCHANGED));
    };
    let mut session = match authkit.storage.session(&session_id)? {
        Some(s) if !s.revoked => s,
        _ => return Err(OAuthError::InvalidGrant("The session has ended.")),
    };
    let user = authkit
        .storage
        .user(&session.user_id)?
        .ok_or(OAuthError::InvalidGrant("The user no longer exists."))?;
    let org = fields.get("organization_id").filter(|o| !o.is_empty());
    if let Some(org) = org {
        if !memberships(&user.email).iter().any(|m| m.org == org) {
            return Err(OAuthError::OrganizationMembershipNotFound);
        }
    }
    if authkit.storage.use_refresh_token(token)?.as_ref() != Some(&session_id) {
        return Err(OAuthError::InvalidGrant(EXCHANGED));
    }
    if let Some(org) = org {
        authkit.storage.set_session_org(&session.id, Some(org))?;
        session.organization_id = Some(org.clone());
    }
    session_response(authkit, &user, &session)
}

/// The answer to a successful grant: the user, a fresh access token and refresh token (also
/// as the production-mode cookie).
fn session_response(
    authkit: &AuthKit,
    user: &UserRow,
    session: &SessionRow,
) -> Result<Response, OAuthError> {
    let refresh_token = authkit.new_refresh_token(&session.id)?;
    let mut body = json!({
        "user": user_json(user),
        "access_token": authkit.access_token(user, session),
        "refresh_token": refresh_token,
        "authentication_method": "Password",
    });
    if let Some(org) = &session.organization_id {
        body["organization_id"] = json!(org);
    }
    Ok(set_session_cookies(
        Json(body).into_response(),
        &refresh_token,
        &authkit.client_id,
    ))
}

pub(super) async fn logout(
    State(authkit): State<Arc<AuthKit>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, OAuthError> {
    let session_id = q
        .get("session_id")
        .filter(|s| !s.is_empty())
        .ok_or(OAuthError::Message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "session_id is required",
        ))?;
    authkit.storage.revoke_session(session_id)?;
    eprintln!("[authkit] session {session_id} signed out");
    // The cookies go even when return_to is refused: the session has ended either way.
    Ok(clear_cookies(match q.get("return_to") {
        Some(to) if authkit.redirect_allowed(to) => found(to),
        Some(_) => OAuthError::Message(
            StatusCode::BAD_REQUEST,
            "return_to is not on the allow-list",
        )
        .into_response(),
        None => Json(json!({"success": true})).into_response(),
    }))
}
