//! What the AuthKit client does to the browser: storage, `fetch`, navigation, the URL bar.

use gloo_net::http::Request;
use web_sys::RequestCredentials;

/// localStorage, or `None` where it is unavailable (private modes, sandboxed frames).
pub(crate) fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// sessionStorage, or `None`.
pub(crate) fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Reads a raw string (authkit-js stores plain strings, not JSON).
pub(crate) fn get(storage: Option<web_sys::Storage>, key: &str) -> Option<String> {
    storage?.get_item(key).ok().flatten()
}

/// Writes a raw string; `Err` says why the browser refused (no storage in this context, a
/// full quota, a private mode that forbids it).
pub(crate) fn set(storage: Option<web_sys::Storage>, key: &str, value: &str) -> Result<(), String> {
    let storage = storage.ok_or_else(|| "web storage is unavailable on this page".to_owned())?;
    storage.set_item(key, value).map_err(|e| {
        let name = js_sys::Reflect::get(&e, &"name".into())
            .ok()
            .and_then(|n| n.as_string());
        let message = js_sys::Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string());
        match (name, message) {
            (Some(n), Some(m)) => format!("{n}: {m}"),
            (Some(n), None) => n,
            (None, Some(m)) => m,
            (None, None) => "setItem failed".to_owned(),
        }
    })
}

/// Removes a key.
pub(crate) fn remove(storage: Option<web_sys::Storage>, key: &str) {
    if let Some(s) = storage {
        let _ = s.remove_item(key);
    }
}

/// POSTs a JSON body to `/user_management/authenticate`: `Ok((status, body))`, or `Err` when
/// `fetch` itself failed (offline, CORS, aborted). Cookies go along only outside dev mode (the
/// production refresh credential is the auth domain's HTTP-only cookie).
pub(crate) async fn post_json(
    url: &str,
    body: &str,
    with_cookies: bool,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<(u16, String), String> {
    let mut request = Request::post(url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/plain, */*")
        .abort_signal(signal);
    if with_cookies {
        request = request.credentials(RequestCredentials::Include);
    }
    let response = request
        .body(body.to_owned())
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    Ok((status, text))
}

/// Fires a logout request without navigating (`mode: no-cors`, cookies included).
pub(crate) async fn fire_and_forget(url: &str) {
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

/// Navigates the page.
pub(crate) fn navigate(url: &str) -> bool {
    web_sys::window().is_some_and(|w| w.location().assign(url).is_ok())
}

/// Replaces the URL's query without a navigation (removing the one-time code).
pub(crate) fn replace_search(search: &str) {
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
pub(crate) fn has_session_hint(client_id: &str) -> bool {
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
pub(crate) fn visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

use wasm_bindgen::JsCast;
