//! What the AuthKit client does to the browser: storage, `fetch`, navigation, the URL bar.

use convex_yew_core::authkit::{AuthResponse, RefreshError};
use gloo_net::http::Request;
use web_sys::RequestCredentials;

/// localStorage, or `None` where it is unavailable (private modes, sandboxed frames).
pub fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// sessionStorage, or `None`.
pub fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Reads a raw string (authkit-js stores plain strings, not JSON).
pub fn get(storage: Option<web_sys::Storage>, key: &str) -> Option<String> {
    storage?.get_item(key).ok().flatten()
}

/// Writes a raw string.
pub fn set(storage: Option<web_sys::Storage>, key: &str, value: &str) {
    if let Some(s) = storage {
        let _ = s.set_item(key, value);
    }
}

/// Removes a key.
pub fn remove(storage: Option<web_sys::Storage>, key: &str) {
    if let Some(s) = storage {
        let _ = s.remove_item(key);
    }
}

/// POSTs a JSON body to `/user_management/authenticate`. Cookies go along only outside dev
/// mode (the production refresh credential is the auth domain's HTTP-only cookie).
pub async fn authenticate(
    url: &str,
    body: &serde_json::Value,
    with_cookies: bool,
) -> Result<AuthResponse, RefreshError> {
    let mut request = Request::post(url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/plain, */*");
    if with_cookies {
        request = request.credentials(RequestCredentials::Include);
    }
    let response = request
        .body(body.to_string())
        .map_err(|e| RefreshError::Network(e.to_string()))?
        .send()
        .await
        .map_err(|e| RefreshError::Network(e.to_string()))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if (200..300).contains(&status) {
        AuthResponse::parse(&text)
    } else {
        Err(RefreshError::from_status(status, &text))
    }
}

/// Fires a logout request without navigating (`mode: no-cors`, cookies included).
pub async fn fire_and_forget(url: &str) {
    let request = Request::get(url)
        .mode(web_sys::RequestMode::NoCors)
        .credentials(RequestCredentials::Include);
    if let Err(e) = request.send().await {
        crate::runtime::browser::log(
            crate::runtime::browser::Level::Warn,
            &format!("[convex-yew] sign-out request failed: {e}"),
        );
    }
}

/// `location.pathname`, `location.search`.
pub fn location() -> Option<(String, String)> {
    let l = web_sys::window()?.location();
    Some((l.pathname().ok()?, l.search().ok()?))
}

/// Navigates the page.
pub fn navigate(url: &str) -> bool {
    web_sys::window().is_some_and(|w| w.location().assign(url).is_ok())
}

/// Replaces the URL's query without a navigation (removing the one-time code).
pub fn replace_search(search: &str) {
    let Some(w) = web_sys::window() else { return };
    let l = w.location();
    let url = format!(
        "{}{}{}",
        l.pathname().unwrap_or_default(),
        search,
        l.hash().unwrap_or_default()
    );
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// `document.cookie` has a `workos-has-session` hint for this client (production restore).
pub fn has_session_hint(client_id: &str) -> bool {
    let cookie = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        .and_then(|d| d.cookie().ok())
        .unwrap_or_default();
    cookie
        .split(';')
        .filter_map(|c| c.trim().strip_prefix("workos-has-session="))
        .any(|v| v == "1" || v.split('.').any(|id| id == client_id))
}

/// Whether the page is visible.
pub fn visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

use wasm_bindgen::JsCast;
