//! The AuthKit side: the WorkOS User Management endpoints authkit-js calls, on loopback.
//!
//! - `GET /user_management/authorize`: the hosted sign-in / sign-up page ([`page`]).
//! - `POST /user_management/authorize`: the page's form; redirects with `?code=&state=`.
//! - `POST /user_management/authenticate`: `authorization_code` (PKCE S256) and
//!   `refresh_token` (rotation; optional `organization_id`) grants.
//! - `GET /user_management/sessions/logout`: revokes the session and redirects.
//! - `GET /sso/jwks/{client_id}`: the signing key.

mod cookies;
mod error;
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
use serde_json::{json, Value as JsonValue};
use sha2::{Digest, Sha256};

use crate::clock::{now_secs, rfc3339};
use crate::controls::Controls;
use crate::jwt::KeyPair;
use crate::storage::{SessionRow, Storage, StorageError, UserRow};
use cookies::{clear_cookies, cookie, set_session_cookies};
use error::OAuthError;
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
    pub fn jwks(&self) -> JsonValue {
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

    /// Issues a sign-in code for `user_id`, good for ten minutes, to be exchanged with the
    /// verifier of `challenge`.
    fn issue_code(
        &self,
        user_id: String,
        organization_id: Option<String>,
        challenge: String,
    ) -> String {
        let code = random_id(32);
        self.remember_code(
            code.clone(),
            PendingCode {
                user_id,
                organization_id,
                challenge,
                client_id: self.client_id.clone(),
                expires: Instant::now() + Duration::from_secs(600),
            },
        );
        code
    }

    /// Takes a sign-in code out, whether or not it is still good: codes are single use.
    fn take_code(&self, code: &str) -> Option<PendingCode> {
        self.codes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(code)
    }

    /// Starts and stores a session.
    fn start_session(
        &self,
        user_id: &str,
        organization_id: Option<String>,
    ) -> Result<SessionRow, StorageError> {
        let session = SessionRow {
            id: format!("session_{}", random_id(26)),
            user_id: user_id.to_string(),
            organization_id,
            revoked: false,
        };
        self.storage.insert_session(&session)?;
        Ok(session)
    }

    /// Issues and stores a refresh token of a session.
    fn new_refresh_token(&self, session_id: &str) -> Result<String, StorageError> {
        let refresh_token = random_id(40);
        self.storage
            .insert_refresh_token(&refresh_token, session_id)?;
        Ok(refresh_token)
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
async fn issue_code(
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
async fn issue_token(
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

async fn authorize_page(
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

async fn authorize_submit(
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

async fn authenticate(
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

async fn logout(
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
