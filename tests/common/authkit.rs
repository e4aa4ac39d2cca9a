//! AuthKit helpers shared by the browser tests: the dev backend's config, storage, and a
//! signed-in client as after the hosted sign-in.

use convex_yew::core::authkit::AuthKitConfig;
use convex_yew::{AuthKitClient, AuthKitOptions, SignInOptions};
use serde_json::json;

use super::{backend_url, post};

pub fn config() -> AuthKitConfig {
    let backend = backend_url().trim_start_matches("http://");
    let (host, port) = backend.split_once(':').unwrap();
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    AuthKitConfig {
        client_id: "client_local_dev".into(),
        api_hostname: host.into(),
        https: false,
        port: Some(port.trim_end_matches('/').parse().unwrap()),
        redirect_uri: format!("{origin}/callback"),
        dev_mode: true,
        refresh_buffer_secs: 10,
    }
}

pub fn storage() -> (web_sys::Storage, web_sys::Storage) {
    let w = web_sys::window().unwrap();
    (
        w.local_storage().unwrap().unwrap(),
        w.session_storage().unwrap().unwrap(),
    )
}

pub fn reset() {
    let (local, session) = storage();
    local.clear().unwrap();
    session.clear().unwrap();
    set_url("/");
}

pub fn set_url(url: &str) {
    web_sys::window()
        .unwrap()
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url))
        .unwrap();
}

pub fn refresh_token() -> Option<String> {
    storage()
        .0
        .get_item("workos:refresh-token:client_local_dev")
        .unwrap()
}

pub async fn backend_refresh(rt: &str) -> serde_json::Value {
    let response = gloo_net::http::Request::post(&format!("{}/user_management/authenticate", backend_url()))
        .header("Content-Type", "application/json")
        .body(json!({"client_id": "client_local_dev", "grant_type": "refresh_token", "refresh_token": rt}).to_string())
        .unwrap()
        .send()
        .await
        .unwrap();
    json!({"status": response.status(), "body": serde_json::from_str::<serde_json::Value>(&response.text().await.unwrap_or_default()).unwrap_or_default()})
}

/// Lands on the callback page with a real code for `email`, as after the hosted sign-in.
pub async fn signed_in(email: &str, options: AuthKitOptions) -> AuthKitClient {
    reset();
    let probe = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    let url = probe
        .sign_in_url(
            &SignInOptions {
                state: Some(
                    convex_yew::SignInState::new(&json!({"returnTo": "/numbers"})).unwrap(),
                ),
                ..Default::default()
            },
            false,
        )
        .unwrap();
    probe.dispose();
    let challenge = url
        .split("code_challenge=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let code = post(
        "/_test/issue_code",
        json!({"email": email, "code_challenge": challenge}),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    set_url(&format!(
        "/callback?code={code}&state=%7B%22returnTo%22%3A%22%2Fnumbers%22%7D&keep=1"
    ));
    let client = AuthKitClient::create(options).await.unwrap();
    assert_eq!(client.callback_error(), None);
    client
}
