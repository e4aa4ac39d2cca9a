//! Races around restore, refresh, sign-out and organization switches, in headless Chromium
//! against the dev backend: the browser-side halves of issue 11's defects (the decisions are
//! checked natively in `core/tests/auth_model.rs`).
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::authkit::*;
use convex_yew::{
    AuthKitClient, AuthKitError, AuthKitOptions, SignInOptions, SwitchOptions, SwitchOutcome,
};
use futures::future::{select, Either};
use serde_json::json;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn delay_authkit(ms: u64) {
    common::post("/_test/delay", json!({ "ms": ms })).await;
}

/// AuthKit processes requests at once (the refresh token is used up) but answers `ms` late.
async fn slow_authkit_answers(ms: u64) {
    common::post("/_test/delay", json!({ "ms": ms, "after": true })).await;
}

async fn fail_refreshes(count: u32, status: u16) {
    common::post(
        "/_test/refresh_failures",
        json!({"count": count, "status": status}),
    )
    .await;
}

#[wasm_bindgen_test]
async fn a_restore_that_meets_one_503_ends_signed_in_without_flashing_signed_out() {
    let first = signed_in("ada@example.com", AuthKitOptions::new(config())).await;
    first.dispose();
    set_url("/");
    fail_refreshes(1, 503).await;
    // A reload: the first refresh answers 503.
    let client = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    {
        let (seen, c) = (seen.clone(), client.clone());
        seen.borrow_mut().push(c.user().is_some());
        let _keep = client.subscribe(move || seen.borrow_mut().push(c.user().is_some()));
        std::mem::forget(_keep);
    }
    common::wait_until(|| client.user().is_some()).await;
    assert_eq!(client.user().unwrap().email, "ada@example.com");
    assert!(refresh_token().is_some(), "the stored session survived");
    fail_refreshes(0, 500).await;
    client.dispose();
}

#[wasm_bindgen_test]
async fn sign_out_during_a_slow_refresh_stays_signed_out() {
    let client = signed_in("grace@example.com", AuthKitOptions::new(config())).await;
    slow_authkit_answers(400).await;
    let c = client.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = c.get_access_token(true).await;
    });
    common::sleep_ms(100).await; // the refresh request is out
    client.sign_out(None, false).await.unwrap();
    common::sleep_ms(900).await; // the refresh answer has landed
    delay_authkit(0).await;
    assert_eq!(client.user(), None, "the late refresh revived the session");
    assert_eq!(
        refresh_token(),
        None,
        "the late refresh wrote a refresh token back"
    );
    assert_eq!(
        client.get_access_token(false).await,
        Err(AuthKitError::LoginRequired)
    );
    client.dispose();
}

#[wasm_bindgen_test]
async fn a_dropped_refresh_leaves_neither_a_stale_result_nor_a_held_lock() {
    let client = signed_in("ada@example.com", AuthKitOptions::new(config())).await;
    let before = client.get_access_token(false).await.unwrap();
    delay_authkit(300).await;
    {
        // Start a forced refresh and drop its future before it finishes.
        let fut = Box::pin(client.get_access_token(true));
        let timeout = Box::pin(common::sleep_ms(50));
        match select(fut, timeout).await {
            Either::Left(_) => panic!("the delayed refresh finished too early"),
            Either::Right(_) => {}
        }
    }
    common::sleep_ms(400).await;
    delay_authkit(0).await;
    let a = client.get_access_token(true).await.unwrap();
    let b = client.get_access_token(true).await.unwrap();
    assert_ne!(a, before, "a forced refresh returned the old token");
    assert_ne!(a, b, "a forced refresh returned a stale result");
    // Another tab can still take the lock.
    let other = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    let started = js_sys::Date::now();
    let t = other.get_access_token(true).await;
    assert!(t.is_ok(), "{t:?}");
    assert!(
        js_sys::Date::now() - started < 5_000.0,
        "the other tab waited for a lock nobody held"
    );
    other.dispose();
    client.dispose();
}

#[wasm_bindgen_test]
async fn an_organization_switch_during_a_refresh_really_switches() {
    let client = signed_in("ada@example.com", AuthKitOptions::new(config())).await;
    assert_eq!(client.claims().org_id.as_deref(), Some("org_acme"));
    delay_authkit(300).await;
    let c = client.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = c.get_access_token(true).await;
    });
    common::sleep_ms(50).await;
    let switched = client.switch_to_organization("org_globex").await;
    delay_authkit(0).await;
    assert_eq!(switched, Ok(convex_yew::SwitchOutcome::Switched));
    assert_eq!(client.claims().org_id.as_deref(), Some("org_globex"));
    assert_eq!(
        client.snapshot().organization_id.as_deref(),
        Some("org_globex")
    );
    client.dispose();
}

#[wasm_bindgen_test]
async fn a_refused_organization_switch_keeps_the_session_and_says_why() {
    let client = signed_in("ada@example.com", AuthKitOptions::new(config())).await;
    let result = client
        .switch_to_organization_with(
            "org_not_mine",
            SwitchOptions {
                no_redirect: true,
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(result, Err(AuthKitError::OrganizationRefused(_))),
        "{result:?}"
    );
    assert!(
        result.unwrap_err().to_string().contains("organization"),
        "the cause is kept"
    );
    assert!(client.user().is_some(), "still signed in");
    assert_eq!(client.claims().org_id.as_deref(), Some("org_acme"));
    assert!(
        client.get_access_token(true).await.is_ok(),
        "the session still refreshes"
    );
    client.dispose();
}

#[wasm_bindgen_test]
async fn a_refused_switch_goes_to_the_hosted_sign_in_for_that_organization() {
    let went: Rc<RefCell<Vec<String>>> = Rc::default();
    let w = went.clone();
    let mut options = AuthKitOptions::new(config());
    options.navigate = Some(Rc::new(move |url: &str| {
        w.borrow_mut().push(url.to_owned());
        true
    }));
    let client = signed_in("ada@example.com", options).await;
    let outcome = client
        .switch_to_organization_with(
            "org_not_mine",
            SwitchOptions {
                sign_in: SignInOptions {
                    login_hint: Some("ada@example.com".into()),
                    ..Default::default()
                },
                no_redirect: false,
            },
        )
        .await;
    assert_eq!(outcome, Ok(SwitchOutcome::SigningIn));
    let went = went.borrow();
    assert_eq!(went.len(), 1, "{went:?}");
    let url = web_sys::Url::new(&went[0]).unwrap();
    let q = url.search_params();
    assert!(went[0].starts_with(&format!(
        "{}/user_management/authorize?",
        common::backend_url()
    )));
    assert_eq!(q.get("organization_id").as_deref(), Some("org_not_mine"));
    assert_eq!(q.get("login_hint").as_deref(), Some("ada@example.com"));
    assert_eq!(q.get("code_challenge_method").as_deref(), Some("S256"));
    assert!(
        storage()
            .1
            .get_item("workos:code-verifier")
            .unwrap()
            .is_some(),
        "the verifier waits for the callback"
    );
    assert!(
        client.user().is_some(),
        "the current session is kept until then"
    );
    assert_eq!(client.claims().org_id.as_deref(), Some("org_acme"));
    client.dispose();
}

#[wasm_bindgen_test]
async fn a_hung_authenticate_request_gives_up_and_releases_the_lock() {
    common::cross_tab::a_hung_request_releases_the_lock_to_the_other_tab().await;
}
