//! The AuthKit side: the WorkOS User Management endpoints authkit-js calls, on loopback.
//!
//! - `GET /user_management/authorize`: the hosted sign-in / sign-up page ([`page`]).
//! - `POST /user_management/authorize`: the page's form; redirects with `?code=&state=`.
//! - `POST /user_management/authenticate`: `authorization_code` (PKCE S256) and
//!   `refresh_token` (rotation; optional `organization_id`) grants.
//! - `GET /user_management/sessions/logout`: revokes the session and redirects.
//! - `GET /sso/jwks/{client_id}`: the signing key.

mod cookies;
pub mod page;
mod redirect;
mod seed;
mod users;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value as Json_};
use sha2::{Digest, Sha256};

use crate::clock::{now_secs, rfc3339};
use crate::controls::Controls;
use crate::jwt::KeyPair;
use crate::storage::{SessionRow, Storage, StorageError, UserRow};
use cookies::{clear_cookies, cookie, set_session_cookies};
use redirect::{found, with_query};
use seed::{feature_flags, memberships, seed_users, DEFAULT_TEST_USER};
use users::{display_name, hash_password, random_id, user_json};

pub use cookies::{HINT_COOKIE, SESSION_COOKIE};
pub use redirect::{is_loopback_host, redirect_allowed};

struct PendingCode {
    user_id: String,
    organization_id: Option<String>,
    challenge: String,
    client_id: String,
    expires: Instant,
}

/// The AuthKit stand-in.
pub struct AuthKit {
    /// The client id apps must use.
    pub client_id: String,
    /// This server's own base URL, e.g. `http://127.0.0.1:3210`.
    pub base_url: String,
    /// Exact redirect URIs allowed besides any loopback URL.
    pub extra_redirect_uris: Vec<String>,
    keys: KeyPair,
    storage: Arc<Storage>,
    codes: Mutex<HashMap<String, PendingCode>>,
    controls: Arc<Controls>,
}

/// The issuer of access tokens: WorkOS's `.../user_management/<client_id>` form.
pub fn issuer(base_url: &str, client_id: &str) -> String {
    format!("{base_url}/user_management/{client_id}")
}

impl AuthKit {
    /// Sets up the AuthKit side: the signing key (made once and kept in storage) and the
    /// seeded users.
    pub fn new(
        client_id: String,
        base_url: String,
        extra_redirect_uris: Vec<String>,
        storage: Arc<Storage>,
        controls: Arc<Controls>,
    ) -> Result<AuthKit, StorageError> {
        use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
        let private = match storage
            .get("authkit_signing_key")?
            .and_then(|pem| rsa::RsaPrivateKey::from_pkcs8_pem(&pem).ok())
        {
            Some(k) => k,
            None => {
                let k = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
                    .map_err(|e| StorageError::Io(std::io::Error::other(e.to_string())))?;
                if let Ok(pem) = k.to_pkcs8_pem(LineEnding::LF) {
                    storage.set("authkit_signing_key", &pem)?;
                }
                k
            }
        };
        seed_users(&storage)?;
        Ok(AuthKit {
            client_id,
            base_url,
            extra_redirect_uris,
            keys: KeyPair::new(private),
            storage,
            codes: Mutex::new(HashMap::new()),
            controls,
        })
    }

    /// The JWKS document.
    pub fn jwks(&self) -> Json_ {
        json!({"keys": [self.keys.jwk()]})
    }

    /// Mints an access token for a session.
    pub fn access_token(&self, user: &UserRow, session: &SessionRow) -> String {
        self.access_token_with_lifetime(
            user,
            session,
            self.controls.token_lifetime.load(Ordering::SeqCst),
        )
    }

    fn access_token_with_lifetime(
        &self,
        user: &UserRow,
        session: &SessionRow,
        lifetime: u64,
    ) -> String {
        let iat = now_secs();
        let mut claims = json!({
            "iss": issuer(&self.base_url, &self.client_id),
            "sub": user.id,
            "sid": session.id,
            "jti": random_id(26),
            "iat": iat,
            "exp": iat + lifetime,
            // As a WorkOS JWT template adding the profile: Convex functions see them.
            "name": display_name(user),
            "email": user.email,
            "feature_flags": feature_flags(&user.email),
        });
        if let Some(org) = &session.organization_id {
            if let Some(m) = memberships(&user.email).iter().find(|m| m.org == org) {
                claims["org_id"] = json!(org);
                claims["role"] = json!(m.role);
                claims["roles"] = json!([m.role]);
                claims["permissions"] = json!(m.permissions);
            }
        }
        self.keys.sign(&claims)
    }

    fn redirect_allowed(&self, uri: &str) -> bool {
        redirect_allowed(uri, &self.extra_redirect_uris)
    }

    /// Keeps a sign-in code until it is used or expires; expired ones are dropped here, and
    /// past [`MAX_PENDING_CODES`] the oldest go, so abandoned sign-ins cannot pile up.
    fn remember_code(&self, code: String, pending: PendingCode) {
        let mut codes = self.codes.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        codes.retain(|_, p| p.expires > now);
        while codes.len() >= MAX_PENDING_CODES {
            let oldest = codes
                .iter()
                .min_by_key(|(_, p)| p.expires)
                .map(|(c, _)| c.clone());
            match oldest {
                Some(c) => codes.remove(&c),
                None => break,
            };
        }
        codes.insert(code, pending);
    }

    /// How many sign-in codes wait to be exchanged.
    pub fn pending_codes(&self) -> usize {
        self.codes.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// The most sign-in codes kept waiting for their exchange.
pub const MAX_PENDING_CODES: usize = 10_000;

/// The routes.
pub fn routes(authkit: Arc<AuthKit>) -> Router {
    Router::new()
        .route(
            "/user_management/authorize",
            get(authorize_page).post(authorize_submit),
        )
        .route(
            "/user_management/authenticate",
            axum::routing::post(authenticate),
        )
        .route("/user_management/sessions/logout", get(logout))
        .route("/sso/jwks/{client_id}", get(jwks))
        .with_state(authkit)
}

/// Test-only routes (with `--test-controls`): `POST /_test/issue_token {"email", "lifetime"?}`
/// signs a seeded or signed-up user in without the hosted page, for browser tests that cannot
/// follow a redirect by hand.
pub fn test_routes(authkit: Arc<AuthKit>) -> Router {
    Router::new()
        .route("/_test/issue_token", axum::routing::post(issue_token))
        .route("/_test/issue_code", axum::routing::post(issue_code))
        .with_state(authkit)
}

/// `POST /_test/issue_code {"email", "code_challenge"}`: the code the hosted page would put in
/// the redirect, for browser tests of the callback.
async fn issue_code(State(a): State<Arc<AuthKit>>, Json(body): Json<Json_>) -> Response {
    let email = body
        .get("email")
        .and_then(Json_::as_str)
        .unwrap_or(DEFAULT_TEST_USER);
    let Some(challenge) = body.get("code_challenge").and_then(Json_::as_str) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code_challenge is required",
        );
    };
    let user = match a.storage.user_by_email(email) {
        Ok(Some(u)) => u,
        Ok(None) => return oauth_error(StatusCode::NOT_FOUND, "not_found", "no such user"),
        Err(e) => return internal(e),
    };
    let code = random_id(32);
    a.remember_code(
        code.clone(),
        PendingCode {
            user_id: user.id,
            organization_id: memberships(email).first().map(|m| m.org.to_string()),
            challenge: challenge.to_string(),
            client_id: a.client_id.clone(),
            expires: Instant::now() + Duration::from_secs(600),
        },
    );
    Json(json!({"code": code})).into_response()
}

async fn issue_token(State(a): State<Arc<AuthKit>>, Json(body): Json<Json_>) -> Response {
    let email = body
        .get("email")
        .and_then(Json_::as_str)
        .unwrap_or(DEFAULT_TEST_USER);
    let user = match a.storage.user_by_email(email) {
        Ok(Some(u)) => u,
        Ok(None) => return oauth_error(StatusCode::NOT_FOUND, "not_found", "no such user"),
        Err(e) => return internal(e),
    };
    let session = SessionRow {
        id: format!("session_{}", random_id(26)),
        user_id: user.id.clone(),
        organization_id: memberships(email).first().map(|m| m.org.to_string()),
        revoked: false,
    };
    if let Err(e) = a.storage.insert_session(&session) {
        return internal(e);
    }
    let previous = a.controls.token_lifetime.load(Ordering::SeqCst);
    let lifetime = body
        .get("lifetime")
        .and_then(Json_::as_u64)
        .map_or(previous, |l| l.clamp(1, 86_400));
    let refresh_token = random_id(40);
    if let Err(e) = a.storage.insert_refresh_token(&refresh_token, &session.id) {
        return internal(e);
    }
    let token = a.access_token_with_lifetime(&user, &session, lifetime);
    Json(json!({"access_token": token, "refresh_token": refresh_token})).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn internal(e: StorageError) -> Response {
    eprintln!("[authkit] storage error: {e}");
    oauth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "storage failure",
    )
}

/// The checked parameters of an authorize request.
struct AuthorizeRequest {
    redirect_uri: String,
    challenge: String,
    state: Option<String>,
    organization_id: Option<String>,
    login_hint: String,
    sign_up: bool,
}

/// Validates an authorize request. `Err` carries either a page (bad redirect URI: nowhere
/// safe to send the user) or a redirect back with `?error=`.
// The error is the handler's own response (a page or a redirect); boxing it buys nothing here.
#[allow(clippy::result_large_err)]
fn check_authorize(a: &AuthKit, q: &HashMap<String, String>) -> Result<AuthorizeRequest, Response> {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let redirect_uri = get("redirect_uri");
    if get("client_id") != a.client_id {
        return Err((
            StatusCode::BAD_REQUEST,
            Html(format!(
                "<h1>Invalid client_id</h1><p>This AuthKit serves client_id <code>{}</code>.</p>",
                page::escape(&a.client_id)
            )),
        )
            .into_response());
    }
    if !a.redirect_allowed(&redirect_uri) {
        return Err((StatusCode::BAD_REQUEST, Html(format!("<h1>Invalid redirect_uri</h1><p><code>{}</code> is not on the allow-list (loopback URLs and --redirect-uri).</p>", page::escape(&redirect_uri)))).into_response());
    }
    let error = |code: &str, description: &str| -> Response {
        let mut params = vec![
            ("error", code.to_string()),
            ("error_description", description.to_string()),
        ];
        if let Some(s) = q.get("state") {
            params.push(("state", s.clone()));
        }
        found(&with_query(&redirect_uri, &params)).into_response()
    };
    if get("response_type") != "code" {
        return Err(error(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").len() != 43 {
        return Err(error(
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

async fn authorize_page(
    State(a): State<Arc<AuthKit>>,
    RawQuery(raw): RawQuery,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match check_authorize(&a, &q) {
        Ok(req) => Html(page::render(
            raw.as_deref().unwrap_or(""),
            req.sign_up,
            &req.login_hint,
            None,
        ))
        .into_response(),
        Err(r) => r,
    }
}

async fn authorize_submit(
    State(a): State<Arc<AuthKit>>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let raw = form.get("request").cloned().unwrap_or_default();
    let q: HashMap<String, String> = serde_urlencoded::from_str(&raw).unwrap_or_default();
    let req = match check_authorize(&a, &q) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let email = form
        .get("email")
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    let sign_up = form.get("mode").map(String::as_str) == Some("sign-up");
    let retry = |msg: &str| {
        (
            StatusCode::UNAUTHORIZED,
            Html(page::render(&raw, sign_up, &email, Some(msg))),
        )
            .into_response()
    };
    if !email.contains('@') || password.is_empty() {
        return retry("Enter an email address and a password.");
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
        match a.storage.insert_user(&user) {
            Ok(true) => user,
            Ok(false) => {
                return retry("An account with this email already exists. Sign in instead.")
            }
            Err(e) => return internal(e),
        }
    } else {
        match a.storage.user_by_email(&email) {
            Ok(Some(u)) if u.password_hash == hash_password(&password) => u,
            Ok(_) => return retry("Incorrect email or password."),
            Err(e) => return internal(e),
        }
    };
    let orgs = memberships(&user.email);
    let organization_id = match &req.organization_id {
        Some(org) if orgs.iter().any(|m| m.org == org) => Some(org.clone()),
        Some(_) => {
            let mut params = vec![
                ("error", "organization_invalid".to_string()),
                (
                    "error_description",
                    "the user is not a member of that organization".to_string(),
                ),
            ];
            if let Some(s) = &req.state {
                params.push(("state", s.clone()));
            }
            return found(&with_query(&req.redirect_uri, &params)).into_response();
        }
        None => orgs.first().map(|m| m.org.to_string()),
    };
    let code = random_id(32);
    a.remember_code(
        code.clone(),
        PendingCode {
            user_id: user.id.clone(),
            organization_id,
            challenge: req.challenge,
            client_id: a.client_id.clone(),
            expires: Instant::now() + Duration::from_secs(600),
        },
    );
    eprintln!(
        "[authkit] {} signed {} ",
        user.email,
        if sign_up { "up" } else { "in" }
    );
    let mut params = vec![("code", code)];
    if let Some(s) = req.state {
        params.push(("state", s));
    }
    found(&with_query(&req.redirect_uri, &params)).into_response()
}

fn body_fields(headers: &HeaderMap, body: &[u8]) -> Option<HashMap<String, String>> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if form {
        return serde_urlencoded::from_bytes(body).ok();
    }
    let json: Json_ = serde_json::from_slice(body).ok()?;
    Some(
        json.as_object()?
            .iter()
            .filter_map(|(k, v)| match v {
                Json_::String(s) => Some((k.clone(), s.clone())),
                Json_::Null => None,
                other => Some((k.clone(), other.to_string())),
            })
            .collect(),
    )
}

async fn authenticate(State(a): State<Arc<AuthKit>>, headers: HeaderMap, body: Bytes) -> Response {
    let delay = Duration::from_millis(a.controls.delay_ms.load(Ordering::SeqCst));
    let after = a.controls.delay_after.load(Ordering::SeqCst);
    if !after && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = authenticate_now(&a, &headers, &body);
    if after && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    response
}

fn authenticate_now(a: &Arc<AuthKit>, headers: &HeaderMap, body: &Bytes) -> Response {
    let Some(f) = body_fields(headers, body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be a JSON object or form-encoded",
        );
    };
    if f.get("client_id") != Some(&a.client_id) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client_id",
        );
    }
    match f.get("grant_type").map(String::as_str) {
        Some("authorization_code") => code_grant(a, &f),
        Some("refresh_token") => {
            let mut f = f;
            if !f.contains_key("refresh_token") {
                // Production (cookie) mode: the credential is the HTTP-only session cookie.
                if let Some(rt) = cookie(headers, SESSION_COOKIE) {
                    f.insert("refresh_token".into(), rt);
                }
            }
            refresh_grant(a, &f)
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ),
    }
}

fn code_grant(a: &AuthKit, f: &HashMap<String, String>) -> Response {
    let (Some(code), Some(verifier)) = (f.get("code"), f.get("code_verifier")) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code and code_verifier are required",
        );
    };
    // Single use: the code is gone whatever happens next.
    let Some(pending) = a
        .codes
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(code)
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The code is invalid, expired or was already used.",
        );
    };
    if pending.expires < Instant::now() || pending.client_id != a.client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The code is invalid, expired or was already used.",
        );
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if challenge != pending.challenge {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "PKCE verification failed: the code_verifier does not match the code_challenge.",
        );
    }
    let user = match a.storage.user(&pending.user_id) {
        Ok(Some(u)) => u,
        Ok(None) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "the user no longer exists",
            )
        }
        Err(e) => return internal(e),
    };
    let session = SessionRow {
        id: format!("session_{}", random_id(26)),
        user_id: user.id.clone(),
        organization_id: pending.organization_id,
        revoked: false,
    };
    if let Err(e) = a.storage.insert_session(&session) {
        return internal(e);
    }
    session_response(a, &user, &session)
}

fn refresh_grant(a: &AuthKit, f: &HashMap<String, String>) -> Response {
    if let Some(status) = a.controls.take_refresh_failure() {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let error = if status.is_server_error() {
            "server_error"
        } else if status == StatusCode::TOO_MANY_REQUESTS {
            "rate_limit_exceeded"
        } else {
            "invalid_grant"
        };
        return oauth_error(status, error, "failure injected by the test controls");
    }
    let Some(token) = f.get("refresh_token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is required, in the body (dev mode) or in the session cookie (production mode)",
        );
    };
    // Everything that can refuse the grant is checked before the token is used up, so a
    // refused organization switch leaves the session as it was.
    let session_id = match a.storage.peek_refresh_token(token) {
        Ok(Some(s)) => s,
        Ok(None) => {
            // A rotated-out token presented again: someone holds a copy. Revoke the whole
            // session (RFC 9700 §4.14.2), so the thief and the user both lose it.
            if let Ok(Some(stolen)) = a.storage.used_refresh_token_session(token) {
                eprintln!("[authkit] a used refresh token was presented again: session revoked");
                if let Err(e) = a.storage.revoke_session(&stolen) {
                    return internal(e);
                }
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Refresh token reuse detected; the session was revoked.",
                );
            }
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Refresh token already exchanged or invalid.",
            );
        }
        Err(e) => return internal(e),
    };
    let session = match a.storage.session(&session_id) {
        Ok(Some(s)) if !s.revoked => s,
        Ok(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The session has ended.",
            )
        }
        Err(e) => return internal(e),
    };
    let user = match a.storage.user(&session.user_id) {
        Ok(Some(u)) => u,
        Ok(None) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The user no longer exists.",
            )
        }
        Err(e) => return internal(e),
    };
    let mut session = session;
    let org = f.get("organization_id").filter(|o| !o.is_empty());
    if let Some(org) = org {
        if !memberships(&user.email).iter().any(|m| m.org == org) {
            return oauth_error(
                StatusCode::FORBIDDEN,
                "organization_membership_not_found",
                "The user is not a member of that organization; the session is unchanged.",
            );
        }
    }
    match a.storage.use_refresh_token(token) {
        Ok(Some(s)) if s == session_id => {}
        Ok(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Refresh token already exchanged or invalid.",
            )
        }
        Err(e) => return internal(e),
    }
    if let Some(org) = org {
        if let Err(e) = a.storage.set_session_org(&session.id, Some(org)) {
            return internal(e);
        }
        session.organization_id = Some(org.clone());
    }
    session_response(a, &user, &session)
}

fn session_response(a: &AuthKit, user: &UserRow, session: &SessionRow) -> Response {
    let refresh_token = random_id(40);
    if let Err(e) = a.storage.insert_refresh_token(&refresh_token, &session.id) {
        return internal(e);
    }
    let mut body = json!({
        "user": user_json(user),
        "access_token": a.access_token(user, session),
        "refresh_token": refresh_token,
        "authentication_method": "Password",
    });
    if let Some(org) = &session.organization_id {
        body["organization_id"] = json!(org);
    }
    // Production mode reads the refresh token from a cookie (see `cookies`).
    set_session_cookies(Json(body).into_response(), &refresh_token, &a.client_id)
}

async fn logout(
    State(a): State<Arc<AuthKit>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(session_id) = q.get("session_id").filter(|s| !s.is_empty()) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "session_id is required"})),
        )
            .into_response();
    };
    match a.storage.revoke_session(session_id) {
        Ok(_) => {}
        Err(e) => return internal(e),
    }
    eprintln!("[authkit] session {session_id} signed out");
    clear_cookies(match q.get("return_to") {
        Some(to) if a.redirect_allowed(to) => found(to).into_response(),
        Some(_) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "return_to is not on the allow-list"})),
        )
            .into_response(),
        None => Json(json!({"success": true})).into_response(),
    })
}

async fn jwks(State(a): State<Arc<AuthKit>>, Path(client_id): Path<String>) -> Response {
    if client_id != a.client_id {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "unknown client_id"})),
        )
            .into_response();
    }
    Json(a.jwks()).into_response()
}

#[cfg(test)]
mod pending_code_tests {
    use super::*;

    fn pending(expires: Instant) -> PendingCode {
        PendingCode {
            user_id: "user_1".into(),
            organization_id: None,
            challenge: "c".into(),
            client_id: "client_local_dev".into(),
            expires,
        }
    }

    #[test]
    fn abandoned_sign_in_codes_cannot_pile_up() {
        let storage = Arc::new(Storage::open(None).unwrap());
        let a = AuthKit::new(
            "client_local_dev".into(),
            "http://127.0.0.1:1".into(),
            vec![],
            storage,
            Arc::new(Controls::new(300)),
        )
        .unwrap();
        let now = Instant::now();
        // Expired codes go at the next insert.
        for i in 0..100 {
            a.remember_code(format!("old{i}"), pending(now - Duration::from_secs(1)));
        }
        a.remember_code("fresh".into(), pending(now + Duration::from_secs(600)));
        assert_eq!(a.pending_codes(), 1);
        // Live ones are capped; the oldest go first.
        for i in 0..MAX_PENDING_CODES + 10 {
            a.remember_code(
                format!("c{i}"),
                pending(now + Duration::from_secs(601 + i as u64)),
            );
        }
        assert_eq!(a.pending_codes(), MAX_PENDING_CODES);
        let codes = a.codes.lock().unwrap();
        assert!(
            !codes.contains_key("fresh")
                && codes.contains_key(&format!("c{}", MAX_PENDING_CODES + 9))
        );
    }
}
