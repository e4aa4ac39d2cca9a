//! The browser AuthKit client against the dev backend's AuthKit side, in headless Chromium.
#![cfg(target_arch = "wasm32")]

mod common;

use common::authkit::*;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use convex_yew::core::authkit::pkce;
use convex_yew::{AuthKitClient, AuthKitError, AuthKitOptions, SignInOptions};
use serde_json::json;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn sign_in_url_uses_a_fresh_s256_verifier_kept_in_session_storage() {
    reset();
    let client = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    let url = client
        .sign_in_url(
            &SignInOptions {
                login_hint: Some("ada@example.com".into()),
                ..Default::default()
            },
            true,
        )
        .unwrap();
    let verifier = storage()
        .1
        .get_item("workos:code-verifier")
        .unwrap()
        .unwrap();
    assert_eq!(verifier.len(), 128);
    assert!(url.contains(&format!("code_challenge={}", pkce::challenge(&verifier))));
    assert!(url.contains("screen_hint=sign-up") && url.contains("login_hint=ada%40example.com"));
    let second = client
        .sign_in_url(&SignInOptions::default(), false)
        .unwrap();
    assert_ne!(
        storage()
            .1
            .get_item("workos:code-verifier")
            .unwrap()
            .unwrap(),
        verifier,
        "each URL has its own verifier"
    );
    assert!(!second.contains("screen_hint"));
    client.dispose();
}

#[wasm_bindgen_test]
async fn the_callback_exchanges_the_code_and_cleans_the_url() {
    let state = Rc::new(RefCell::new(None));
    let s = state.clone();
    let mut options = AuthKitOptions::new(config());
    options.on_redirect_callback = Some(Rc::new(move |p| *s.borrow_mut() = Some(p)));
    let client = signed_in("ada@example.com", options).await;
    let snap = client.snapshot();
    assert_eq!(snap.user.as_ref().unwrap().email, "ada@example.com");
    assert_eq!(snap.organization_id.as_deref(), Some("org_acme"));
    assert_eq!(snap.role.as_deref(), Some("admin"));
    assert_eq!(snap.permissions, vec!["numbers:read", "numbers:write"]);
    assert_eq!(snap.feature_flags, vec!["beta-ui"]);
    let redirect = state.borrow().clone().expect("the redirect callback ran");
    let returned = redirect.state.as_ref().expect("the state came back");
    assert_eq!(
        returned.get::<serde_json::Value>().unwrap(),
        json!({"returnTo": "/numbers"})
    );
    // The authentication result comes with it, as authkit-js passes it: the session, the
    // access token (redacted in Debug) and its decoded payload.
    assert_eq!(redirect.snapshot, snap);
    assert_eq!(redirect.claims.org_id.as_deref(), Some("org_acme"));
    assert_eq!(redirect.claims.role.as_deref(), Some("admin"));
    assert!(redirect.claims.sid.is_some());
    assert_eq!(redirect.access_token.expose().split('.').count(), 3);
    assert!(!format!("{redirect:?}").contains(redirect.access_token.expose()));
    let location = web_sys::window().unwrap().location();
    assert_eq!(
        location.search().unwrap(),
        "?keep=1",
        "code and state removed, other parameters kept"
    );
    assert_eq!(storage().1.get_item("workos:code-verifier").unwrap(), None);
    assert!(
        refresh_token().is_some(),
        "dev mode keeps the refresh token in localStorage"
    );
    let token = client.get_access_token(false).await.unwrap();
    assert_eq!(token.split('.').count(), 3);
    client.dispose();
    set_url("/");
}

#[wasm_bindgen_test]
async fn a_wrong_verifier_a_replayed_code_and_a_missing_verifier_are_typed_errors() {
    reset();
    let challenge = pkce::challenge(&"a".repeat(128));
    let code = common::post(
        "/_test/issue_code",
        json!({"email": "ada@example.com", "code_challenge": challenge}),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    storage()
        .1
        .set_item("workos:code-verifier", &"b".repeat(128))
        .unwrap();
    set_url(&format!("/callback?code={code}"));
    let client = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    match client.callback_error() {
        Some(AuthKitError::CodeExchange(e)) => {
            assert!(e.to_string().contains("invalid_grant"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.user(), None);
    // The same code again, now with the right verifier: single use.
    storage()
        .1
        .set_item("workos:code-verifier", &"a".repeat(128))
        .unwrap();
    set_url(&format!("/callback?code={code}"));
    let client = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    assert!(matches!(
        client.callback_error(),
        Some(AuthKitError::CodeExchange(_))
    ));
    // No verifier in this tab: nothing is sent.
    set_url("/callback?code=whatever");
    let client = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    assert_eq!(client.callback_error(), Some(AuthKitError::MissingVerifier));
    set_url("/");
}

#[wasm_bindgen_test]
async fn the_session_is_restored_on_reload_and_refresh_tokens_rotate() {
    let first = signed_in("ada@example.com", AuthKitOptions::new(config())).await;
    let token1 = first.get_access_token(false).await.unwrap();
    first.dispose();
    set_url("/");
    // A reload: a new client with only localStorage to go on.
    let client = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    assert_eq!(client.user().unwrap().email, "ada@example.com");
    let rt1 = refresh_token().unwrap();
    let token2 = client.get_access_token(true).await.unwrap();
    assert_ne!(token1, token2);
    let rt2 = refresh_token().unwrap();
    assert_ne!(rt1, rt2);
    assert_eq!(
        backend_refresh(&rt1).await["status"],
        400,
        "the used refresh token is dead"
    );
    client.dispose();
}

#[wasm_bindgen_test]
async fn two_tabs_refreshing_at_once_end_with_one_valid_session() {
    common::cross_tab::two_tabs_refreshing_at_once_end_with_one_valid_session().await;
}

#[wasm_bindgen_test]
async fn a_slow_refresh_keeps_the_lock_and_the_session() {
    common::cross_tab::a_slow_refresh_keeps_the_lock_and_the_session().await;
}

#[wasm_bindgen_test]
async fn a_transient_500_keeps_the_user_signed_in() {
    let failures = Rc::new(Cell::new(0));
    let f = failures.clone();
    let mut options = AuthKitOptions::new(config());
    options.on_refresh_failure = Some(Rc::new(move |_| f.set(f.get() + 1)));
    let client = signed_in("ada@example.com", options).await;
    common::post(
        "/_test/refresh_failures",
        json!({"count": 1, "status": 500}),
    )
    .await;
    let err = client.get_access_token(true).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(client.user().is_some());
    assert!(refresh_token().is_some());
    assert_eq!(failures.get(), 0);
    // Not forced: the still-valid token in memory is handed out.
    assert!(client.get_access_token(false).await.is_ok());
    assert!(client.get_access_token(true).await.is_ok(), "recovered");
    common::post(
        "/_test/refresh_failures",
        json!({"count": 0, "status": 500}),
    )
    .await;
    client.dispose();
}

#[wasm_bindgen_test]
async fn a_terminal_400_signs_out_and_fires_the_callback() {
    let failures = Rc::new(RefCell::new(Vec::new()));
    let f = failures.clone();
    let mut options = AuthKitOptions::new(config());
    options.on_refresh_failure = Some(Rc::new(move |e| f.borrow_mut().push(e.to_string())));
    let client = signed_in("ada@example.com", options).await;
    let changes = Rc::new(Cell::new(0));
    let c = changes.clone();
    let _listener = client.subscribe(move || c.set(c.get() + 1));
    common::post(
        "/_test/refresh_failures",
        json!({"count": 1, "status": 400}),
    )
    .await;
    assert_eq!(
        client.get_access_token(true).await,
        Err(AuthKitError::LoginRequired)
    );
    assert_eq!(client.user(), None);
    assert_eq!(refresh_token(), None);
    assert_eq!(failures.borrow().len(), 1);
    assert!(changes.get() >= 1, "listeners were told");
    assert_eq!(
        client.get_access_token(false).await,
        Err(AuthKitError::LoginRequired),
        "no request after a terminal failure"
    );
    client.dispose();
}

#[wasm_bindgen_test]
async fn sign_out_revokes_the_session_at_the_backend() {
    let client = signed_in("grace@example.com", AuthKitOptions::new(config())).await;
    let rt = refresh_token().unwrap();
    client.sign_out(None, false).await.unwrap();
    assert_eq!(client.user(), None);
    assert_eq!(refresh_token(), None);
    assert_eq!(backend_refresh(&rt).await["status"], 400);
    assert_eq!(
        client.sign_out(None, false).await,
        Err(AuthKitError::NoSession)
    );
    client.dispose();
}

#[wasm_bindgen_test]
async fn switch_to_organization_changes_role_and_claims() {
    let client = signed_in("ada@example.com", AuthKitOptions::new(config())).await;
    client.switch_to_organization("org_globex").await.unwrap();
    let snap = client.snapshot();
    assert_eq!(snap.organization_id.as_deref(), Some("org_globex"));
    assert_eq!(snap.role.as_deref(), Some("member"));
    assert_eq!(snap.roles, Some(vec!["member".to_string()]));
    client.dispose();
}

#[wasm_bindgen_test]
async fn garbage_config_is_a_typed_error() {
    let mut bad = config();
    bad.client_id = String::new();
    assert!(matches!(
        AuthKitClient::create(AuthKitOptions::new(bad)).await,
        Err(AuthKitError::Config(_))
    ));
    let mut bad = config();
    bad.api_hostname = "http://x/y".into();
    assert!(matches!(
        AuthKitClient::create(AuthKitOptions::new(bad)).await,
        Err(AuthKitError::Config(_))
    ));
}

fn document_cookie() -> String {
    use wasm_bindgen::JsCast;
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .dyn_into::<web_sys::HtmlDocument>()
        .unwrap()
        .cookie()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn production_cookie_mode_keeps_the_refresh_token_out_of_storage() {
    let mut production = config();
    production.dev_mode = false;
    let client = signed_in("ada@example.com", AuthKitOptions::new(production.clone())).await;
    assert_eq!(client.user().unwrap().email, "ada@example.com");
    assert_eq!(
        refresh_token(),
        None,
        "production mode never writes the refresh token to localStorage"
    );
    assert!(
        document_cookie().contains("workos-has-session=client_local_dev"),
        "hint cookie: {}",
        document_cookie()
    );
    assert!(
        !document_cookie().contains("wos-session"),
        "the refresh cookie is HTTP-only"
    );
    client.dispose();
    set_url("/");
    // A reload: the hint cookie says there is a session; the HTTP-only cookie refreshes it.
    let client = AuthKitClient::create(AuthKitOptions::new(production.clone()))
        .await
        .unwrap();
    assert_eq!(
        client.user().map(|u| u.email),
        Some("ada@example.com".into())
    );
    let t1 = client.get_access_token(false).await.unwrap();
    let t2 = client.get_access_token(true).await.unwrap();
    assert_ne!(t1, t2, "refresh through the cookie");
    client.sign_out(None, false).await.unwrap();
    assert!(
        !document_cookie().contains("workos-has-session"),
        "sign-out cleared the hint: {}",
        document_cookie()
    );
    client.dispose();
    let client = AuthKitClient::create(AuthKitOptions::new(production))
        .await
        .unwrap();
    assert_eq!(client.user(), None);
    client.dispose();
}

#[wasm_bindgen_test]
async fn the_session_refreshes_itself_before_the_token_expires() {
    // Tokens live 12 s; with the 10 s buffer the client refreshes about 2 s after each one.
    common::post("/_test/token_lifetime", json!({"seconds": 12})).await;
    let refreshed = Rc::new(Cell::new(0));
    let r = refreshed.clone();
    let mut options = AuthKitOptions::new(config());
    options.on_refresh = Some(Rc::new(move |_| r.set(r.get() + 1)));
    let client = signed_in("grace@example.com", options).await;
    let rt = refresh_token().unwrap();
    let after_sign_in = refreshed.get();
    common::wait_until(|| refresh_token().is_some_and(|now| now != rt)).await;
    assert!(
        refreshed.get() > after_sign_in,
        "on_refresh fired for the automatic refresh"
    );
    assert!(client.user().is_some());
    client.dispose();
    common::post("/_test/token_lifetime", json!({"seconds": 60})).await;
}

/// The app's `on_before_auto_refresh` hook is asked only when the automatic refresh is due,
/// may read the client it guards (it runs with no borrow of the session held), and a refresh
/// it declines is asked again after the page wakes up.
#[wasm_bindgen_test]
async fn the_auto_refresh_hook_may_read_the_client_and_a_declined_refresh_waits_for_a_wake_up() {
    common::post("/_test/token_lifetime", json!({"seconds": 12})).await;
    let asked = Rc::new(Cell::new(0u32));
    let allow = Rc::new(Cell::new(false));
    let seen_user = Rc::new(Cell::new(false));
    let me: Rc<RefCell<Option<convex_yew::WeakAuthKitClient>>> = Rc::default();
    let mut options = AuthKitOptions::new(config());
    options.on_before_auto_refresh = Some(Rc::new({
        let (asked, allow, seen_user, me) =
            (asked.clone(), allow.clone(), seen_user.clone(), me.clone());
        move || {
            asked.set(asked.get() + 1);
            let client = me.borrow().as_ref().and_then(|w| w.upgrade());
            seen_user.set(client.is_some_and(|c| c.user().is_some()));
            allow.get()
        }
    }));
    let client = signed_in("grace@example.com", options).await;
    *me.borrow_mut() = Some(client.downgrade());
    let rt = refresh_token().unwrap();
    assert_eq!(asked.get(), 0, "not asked before the refresh is due");
    // Due about 2 s after sign-in: declined, so nothing refreshes.
    common::wait_until(|| asked.get() == 1).await;
    assert!(seen_user.get(), "the hook read the client it guards");
    common::sleep_ms(3_000).await;
    assert_eq!(
        refresh_token().as_deref(),
        Some(rt.as_str()),
        "a declined refresh does not run"
    );
    assert_eq!(
        asked.get(),
        1,
        "and is not asked again until the page wakes up"
    );
    // The page comes back: asked again, allowed, refreshed.
    allow.set(true);
    let window = web_sys::window().unwrap();
    window
        .dispatch_event(&web_sys::Event::new("focus").unwrap())
        .unwrap();
    common::wait_until(|| refresh_token().is_some_and(|now| now != rt)).await;
    assert!(asked.get() >= 2);
    assert!(client.user().is_some());
    client.dispose();
    common::post("/_test/token_lifetime", json!({"seconds": 60})).await;
}

#[wasm_bindgen_test]
async fn without_a_secure_random_source_sign_in_is_a_typed_error_not_a_weak_verifier() {
    reset();
    let client = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    let crypto = web_sys::window().unwrap().crypto().unwrap();
    let hide = js_sys::Object::new();
    js_sys::Reflect::set(&hide, &"value".into(), &wasm_bindgen::JsValue::UNDEFINED).unwrap();
    js_sys::Reflect::set(&hide, &"configurable".into(), &true.into()).unwrap();
    js_sys::Object::define_property(&crypto, &"getRandomValues".into(), &hide);
    let result = client.sign_in_url(&SignInOptions::default(), false);
    js_sys::Reflect::delete_property(&crypto, &"getRandomValues".into()).unwrap();
    assert_eq!(result, Err(AuthKitError::NoSecureRandom));
    assert_eq!(
        storage().1.get_item("workos:code-verifier").unwrap(),
        None,
        "no verifier was stored"
    );
    assert!(client.sign_in_url(&SignInOptions::default(), false).is_ok());
    client.dispose();
}
