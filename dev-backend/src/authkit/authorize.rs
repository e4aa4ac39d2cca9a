//! The authorize endpoint: `GET` renders the hosted sign-in / sign-up page ([`super::page`]),
//! `POST` takes its form, signs the user in or up, and redirects back with `?code=&state=`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::clock::{now_secs, rfc3339};
use crate::storage::UserRow;

use super::error::OAuthError;
use super::kit::AuthKit;
use super::page;
use super::redirect::{found, with_query};
use super::seed::memberships;
use super::users::{hash_password, random_id};

/// The checked parameters of an authorize request.
struct AuthorizeRequest {
    redirect_uri: String,
    challenge: String,
    state: Option<String>,
    organization_id: Option<String>,
    login_hint: String,
    sign_up: bool,
}

/// Validates an authorize request. A bad client id or redirect URI gets a page (nowhere safe
/// to send the user); anything else is refused back to the redirect URI with `?error=`.
fn check_authorize(
    authkit: &AuthKit,
    q: &HashMap<String, String>,
) -> Result<AuthorizeRequest, OAuthError> {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let redirect_uri = get("redirect_uri");
    if get("client_id") != authkit.client_id {
        return Err(OAuthError::AuthorizeWrongClient {
            served: authkit.client_id.clone(),
        });
    }
    if !authkit.redirect_allowed(&redirect_uri) {
        return Err(OAuthError::AuthorizeBadRedirect { redirect_uri });
    }
    let refuse = |error, description| OAuthError::AuthorizeRefused {
        redirect_uri: redirect_uri.clone(),
        error,
        description,
        state: q.get("state").cloned(),
    };
    if get("response_type") != "code" {
        return Err(refuse(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").len() != 43 {
        return Err(refuse(
            "invalid_request",
            "PKCE is required: code_challenge (43 characters) with code_challenge_method=S256",
        ));
    }
    Ok(AuthorizeRequest {
        redirect_uri,
        challenge: get("code_challenge"),
        state: q.get("state").cloned(),
        organization_id: q.get("organization_id").cloned().filter(|s| !s.is_empty()),
        login_hint: get("login_hint"),
        sign_up: get("screen_hint") == "sign-up",
    })
}

pub(super) async fn authorize_page(
    State(authkit): State<Arc<AuthKit>>,
    RawQuery(raw): RawQuery,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Html<String>, OAuthError> {
    let req = check_authorize(&authkit, &q)?;
    Ok(Html(page::render(
        raw.as_deref().unwrap_or(""),
        req.sign_up,
        &req.login_hint,
        None,
    )))
}

pub(super) async fn authorize_submit(
    State(authkit): State<Arc<AuthKit>>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response, OAuthError> {
    let raw = form.get("request").cloned().unwrap_or_default();
    let q: HashMap<String, String> = serde_urlencoded::from_str(&raw).unwrap_or_default();
    let req = check_authorize(&authkit, &q)?;
    let email = form
        .get("email")
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    let sign_up = form.get("mode").map(String::as_str) == Some("sign-up");
    // The page again, with what went wrong: the user fixes it and submits again.
    let retry = |msg: &str| {
        (
            StatusCode::UNAUTHORIZED,
            Html(page::render(&raw, sign_up, &email, Some(msg))),
        )
            .into_response()
    };
    if !email.contains('@') || password.is_empty() {
        return Ok(retry("Enter an email address and a password."));
    }
    let user = if sign_up {
        let user = UserRow {
            id: format!("user_{}", random_id(26)),
            email: email.clone(),
            password_hash: hash_password(&password),
            first_name: form
                .get("first_name")
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            last_name: None,
            created_at: rfc3339(now_secs()),
        };
        if !authkit.storage.insert_user(&user)? {
            return Ok(retry(
                "An account with this email already exists. Sign in instead.",
            ));
        }
        user
    } else {
        match authkit.storage.user_by_email(&email)? {
            Some(u) if u.password_hash == hash_password(&password) => u,
            _ => return Ok(retry("Incorrect email or password.")),
        }
    };
    let orgs = memberships(&user.email);
    let organization_id = match req.organization_id {
        Some(org) if orgs.iter().any(|m| m.org == org) => Some(org),
        Some(_) => {
            return Err(OAuthError::AuthorizeRefused {
                redirect_uri: req.redirect_uri,
                error: "organization_invalid",
                description: "the user is not a member of that organization",
                state: req.state,
            })
        }
        None => orgs.first().map(|m| m.org.to_string()),
    };
    let code = authkit.issue_code(user.id.clone(), organization_id, req.challenge);
    eprintln!(
        "[authkit] {} signed {} ",
        user.email,
        if sign_up { "up" } else { "in" }
    );
    let mut params = vec![("code", code)];
    if let Some(s) = req.state {
        params.push(("state", s));
    }
    Ok(found(&with_query(&req.redirect_uri, &params)))
}
