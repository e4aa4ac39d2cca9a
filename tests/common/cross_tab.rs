//! Cross-tab cases shared by the test files that run them with the Web Locks API and without
//! it (`tests/without_web_locks.rs` removes `navigator.locks`, as plain http on a LAN address,
//! older Safari and some webviews do).

use std::cell::RefCell;
use std::rc::Rc;

use convex_yew::{AuthKitClient, AuthKitOptions};
use serde_json::json;

use super::authkit::*;

/// Removes `navigator.locks` from this page (the storage lock then stands in).
pub fn remove_web_locks() {
    let navigator = web_sys::window().unwrap().navigator();
    let descriptor = js_sys::Object::new();
    js_sys::Reflect::set(
        &descriptor,
        &"value".into(),
        &wasm_bindgen::JsValue::UNDEFINED,
    )
    .unwrap();
    js_sys::Reflect::set(&descriptor, &"configurable".into(), &true.into()).unwrap();
    js_sys::Object::define_property(&navigator, &"locks".into(), &descriptor);
    let locks = js_sys::Reflect::get(&navigator, &"locks".into()).unwrap();
    assert!(locks.is_undefined(), "navigator.locks is gone");
}

/// Two tabs force a refresh at the same moment: the lock serialises them and each re-reads
/// the newest refresh token inside it, so neither presents a used one.
pub async fn two_tabs_refreshing_at_once_end_with_one_valid_session() {
    let a = signed_in("grace@example.com", AuthKitOptions::new(config())).await;
    set_url("/");
    let b = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    assert!(b.user().is_some());
    let (ra, rb) = futures::join!(a.get_access_token(true), b.get_access_token(true));
    assert!(ra.is_ok(), "{ra:?}");
    assert!(rb.is_ok(), "{rb:?}");
    let rt = refresh_token().unwrap();
    assert_eq!(
        backend_refresh(&rt).await["status"],
        200,
        "the stored refresh token still works"
    );
    a.dispose();
    b.dispose();
}

/// A refresh that takes longer than a stale-lock timeout (7 s): the other tab waits for it
/// and then presents the rotated token, never the one in flight (issue 20, defect 3: without
/// Web Locks the storage lock was taken as stale after 5 s while still held, both tabs
/// presented the same refresh token and reuse detection revoked the session).
pub async fn a_slow_refresh_keeps_the_lock_and_the_session() {
    let a = signed_in("grace@example.com", AuthKitOptions::new(config())).await;
    set_url("/");
    let b = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    assert!(b.user().is_some());
    super::post("/_test/delay", json!({ "ms": 7_000 })).await;
    let (ra, rb) = futures::join!(a.get_access_token(true), async {
        super::sleep_ms(100).await; // a holds the lock first
        b.get_access_token(true).await
    });
    super::post("/_test/delay", json!({ "ms": 0 })).await;
    assert!(ra.is_ok(), "{ra:?}");
    assert!(rb.is_ok(), "{rb:?}");
    assert_ne!(ra, rb, "the second tab refreshed after the first");
    let rt = refresh_token().unwrap();
    assert_eq!(
        backend_refresh(&rt).await["status"],
        200,
        "the session survived (no refresh token was presented twice)"
    );
    a.dispose();
    b.dispose();
}

/// A request that hangs is given up at its deadline and the lock goes back to the other tab.
pub async fn a_hung_request_releases_the_lock_to_the_other_tab() {
    let client = signed_in("grace@example.com", AuthKitOptions::new(config())).await;
    let other = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    super::post("/_test/delay", json!({ "ms": 60_000 })).await;
    let c = client.clone();
    let hung = Rc::new(RefCell::new(None));
    let h = hung.clone();
    wasm_bindgen_futures::spawn_local(async move {
        *h.borrow_mut() = Some(c.get_access_token(true).await);
    });
    super::sleep_ms(200).await; // the request is out and holds the lock
    super::post("/_test/delay", json!({ "ms": 0 })).await;
    let started = js_sys::Date::now();
    let t = other.get_access_token(true).await;
    let waited = js_sys::Date::now() - started;
    assert!(
        t.is_ok(),
        "the other tab never got the lock back: {t:?} after {waited} ms"
    );
    for _ in 0..30 {
        if hung.borrow().is_some() {
            break;
        }
        super::sleep_ms(1_000).await;
    }
    let first = hung.borrow_mut().take().unwrap();
    assert!(
        matches!(&first, Err(e) if e.is_transient()),
        "the hung request ends as a transient error: {first:?}"
    );
    other.dispose();
    client.dispose();
}
