//! Helpers shared by the browser tests.
#![allow(dead_code)]

pub mod authkit;
pub mod cross_tab;

use wasm_bindgen::JsCast;

/// The dev backend the test command started, passed in at compile time.
pub fn backend_url() -> &'static str {
    option_env!("CONVEX_DEV_URL").unwrap_or("http://127.0.0.1:3299")
}

/// The dev backend's port (the AuthKit provider's `port` prop).
pub fn backend_port() -> u16 {
    backend_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("CONVEX_DEV_URL ends in a port")
}

/// Clears localStorage and stores a fresh session for `email`, as a signed-in tab would have
/// left it (the dev backend issues the tokens).
pub async fn stored_session(email: &str) {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.clear().unwrap();
    let tokens = post("/_test/issue_token", serde_json::json!({ "email": email })).await;
    storage
        .set_item(
            "workos:refresh-token:client_local_dev",
            tokens["refresh_token"].as_str().unwrap(),
        )
        .unwrap();
}

/// A new, empty element to mount a component into.
pub fn fresh_root() -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

/// Lets Yew's scheduler and pending promises run.
pub async fn settle() {
    sleep_ms(20).await;
}

/// Sleeps without blocking the browser.
pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Polls `cond` every 10 ms for up to 10 s; panics with a clear message on timeout.
pub async fn wait_until(mut cond: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        sleep_ms(10).await;
    }
    panic!("condition not met within 10 s");
}

/// The element matching `selector` under `root`.
pub fn query(root: &web_sys::Element, selector: &str) -> Option<web_sys::HtmlElement> {
    root.query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into().ok())
}

/// POSTs JSON to the dev backend (test controls) and returns the JSON answer.
pub async fn post(path: &str, body: serde_json::Value) -> serde_json::Value {
    let response = gloo_net::http::Request::post(&format!("{}{path}", backend_url()))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .unwrap()
        .send()
        .await
        .expect("backend reachable");
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// A fresh access token for a seeded user, minted by the test controls.
pub async fn issue_token(email: &str, lifetime: Option<u64>) -> String {
    let mut body = serde_json::json!({ "email": email });
    if let Some(l) = lifetime {
        body["lifetime"] = l.into();
    }
    post("/_test/issue_token", body).await["access_token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

/// A unique float for marking rows written by one test.
pub fn marker() -> f64 {
    (js_sys::Math::random() * 1e9).floor() + 0.5
}

/// Adds `n` fresh numbers with `myFunctions:addNumber`, one after another, each visible to
/// `client`'s queries when this returns.
pub async fn add_numbers(client: &convex_yew::ConvexClient, n: usize) {
    #[derive(serde::Serialize)]
    struct Add {
        value: f64,
    }
    const ADD: convex_yew::Mutation<Add, ()> = convex_yew::Mutation::new("myFunctions:addNumber");
    for _ in 0..n {
        client
            .mutation(&ADD, &Add { value: marker() })
            .await
            .expect("addNumber");
    }
}
