//! Production (cookie) mode: the refresh credential as an HTTP-only cookie, plus the
//! JS-readable hint authkit-js looks for. Browsers keep them only for credentialed requests,
//! so dev-mode clients, which hold the refresh token themselves, are unaffected.

use axum::http::{header, HeaderMap};
use axum::response::Response;

/// The HTTP-only cookie holding the refresh token in production (cookie) mode.
pub const SESSION_COOKIE: &str = "wos-session";
/// The JS-readable hint that a session exists (`workos-has-session=<client ids>`).
pub const HINT_COOKIE: &str = "workos-has-session";

/// The value of the request's cookie `name`.
pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Sets the session cookie to `refresh_token` and the hint to `client_id`.
pub(super) fn set_session_cookies(
    mut response: Response,
    refresh_token: &str,
    client_id: &str,
) -> Response {
    let cookies = [
        format!("{SESSION_COOKIE}={refresh_token}; Path=/; HttpOnly; SameSite=Lax"),
        format!("{HINT_COOKIE}={client_id}; Path=/; SameSite=Lax"),
    ];
    for c in cookies {
        if let Ok(v) = c.parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// Expires both cookies.
pub(super) fn clear_cookies(mut response: Response) -> Response {
    for name in [SESSION_COOKIE, HINT_COOKIE] {
        if let Ok(v) = format!("{name}=; Path=/; Max-Age=0; SameSite=Lax").parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}
