//! Auth as the world runs it, in headless Chromium against the dev backend (issue 20): an
//! organization switch that must reach Convex at once, a wall clock that steps back, and a
//! browser that refuses to store.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::authkit::*;
use convex_yew::prelude::*;
use convex_yew::{AuthKitClient, AuthKitError, AuthKitOptions, SwitchOutcome};
use convex_yew::{ConvexClient, Query};
use futures::future::{select, Either};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Deserialize, Debug, Clone, PartialEq)]
struct Who {
    org_id: Option<String>,
}
const WHOAMI: Query<(), Option<Who>> = Query::new("testing:whoami");

#[derive(Clone, Default)]
struct Shared<T>(Rc<RefCell<T>>);
impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// One render of the probe: what `use_convex_auth` said, and the organization the server
/// authorized the subscribed query as.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    authenticated: bool,
    loading: bool,
    org: Option<String>,
}

#[derive(Properties, PartialEq)]
struct ProbeProps {
    renders: Shared<Vec<Seen>>,
    authkit: Shared<Option<AuthKitClient>>,
}

#[component]
fn Probe(props: &ProbeProps) -> Html {
    let auth = use_convex_auth();
    let kit = use_auth();
    *props.authkit.0.borrow_mut() = kit.client().cloned();
    let who = use_query(&WHOAMI, auth.is_authenticated.then_some(()));
    let org = who
        .data()
        .and_then(|w| w.as_ref())
        .and_then(|w| w.org_id.clone());
    props.renders.0.borrow_mut().push(Seen {
        authenticated: auth.is_authenticated,
        loading: auth.is_loading,
        org,
    });
    html! {}
}

#[derive(Properties, PartialEq)]
struct AppProps {
    client: ConvexClient,
    probe: ProbeProps,
}

fn port() -> u16 {
    common::backend_port()
}

#[component]
fn App(props: &AppProps) -> Html {
    html! {
        <AuthKitProvider client_id="client_local_dev" api_hostname="127.0.0.1" https={false}
            port={port()} dev_mode={true}>
            <ConvexProviderWithAuthKit client={props.client.clone()}>
                <Probe renders={props.probe.renders.clone()} authkit={props.probe.authkit.clone()} />
            </ConvexProviderWithAuthKit>
        </AuthKitProvider>
    }
}

fn last_org(renders: &Shared<Vec<Seen>>) -> Option<String> {
    renders.0.borrow().last().and_then(|s| s.org.clone())
}

/// Issue 20, defect 1: `switch_to_organization` answered `Switched` and `use_auth` showed the
/// new organization, but the Convex socket kept the old token until its scheduled refetch
/// (50 s with the test backend's 60 s tokens): every function authorized against the old
/// organization meanwhile.
#[wasm_bindgen_test]
async fn an_organization_switch_reaches_convex_at_once_without_a_flicker() {
    reset();
    common::stored_session("ada@example.com").await;
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let probe = ProbeProps {
        renders: Shared::default(),
        authkit: Shared::default(),
    };
    let renders = probe.renders.clone();
    let authkit = probe.authkit.clone();
    yew::Renderer::<App>::with_root_and_props(common::fresh_root(), AppProps { client, probe })
        .render();
    common::wait_until(|| last_org(&renders).as_deref() == Some("org_acme")).await;
    let kit = authkit.0.borrow().clone().unwrap();
    let first_authenticated = renders.0.borrow().len() - 1;
    assert_eq!(
        kit.switch_to_organization("org_globex").await,
        Ok(SwitchOutcome::Switched)
    );
    assert_eq!(kit.claims().org_id.as_deref(), Some("org_globex"));
    // Convex follows at once (well inside the 10 s this waits; the scheduled refetch would
    // come after 50 s).
    common::wait_until(|| last_org(&renders).as_deref() == Some("org_globex")).await;
    let after = renders.0.borrow()[first_authenticated..].to_vec();
    assert!(
        after.iter().all(|s| s.authenticated && !s.loading),
        "is_authenticated flickered during the switch: {after:?}"
    );
}

/// Replaces `Date.now` with the real clock shifted by `ms` (0 restores it).
fn shift_wall_clock(ms: f64) {
    let shift = js_sys::Function::new_with_args(
        "ms",
        "if (!Date.__realNow) { Date.__realNow = Date.now; } \
         Date.now = ms === 0 ? Date.__realNow : () => Date.__realNow() + ms;",
    );
    shift.call1(&JsValue::NULL, &JsValue::from_f64(ms)).unwrap();
}

fn focus() {
    let window = web_sys::window().unwrap();
    window
        .dispatch_event(&web_sys::Event::new("focus").unwrap())
        .unwrap();
}

/// Runs `add_numbers(1)` and fails the test if it takes more than 5 s.
async fn a_mutation_goes_through(client: &ConvexClient, what: &str) {
    let added = Box::pin(common::add_numbers(client, 1));
    let timeout = Box::pin(common::sleep_ms(5_000));
    if let Either::Right(_) = select(added, timeout).await {
        panic!("{what}: the mutation did not reach the server within 5 s");
    }
}

/// Issue 20, defect 2: with `Date.now` shifted back 120 s (NTP after a sleep, a VM resync, a
/// manual change), a focus event closed the healthy socket ("InactiveServer") and the next
/// socket opened two minutes later; a click's mutation waited that long. Every timer now runs
/// on `performance.now()`.
#[wasm_bindgen_test]
async fn a_wall_clock_stepping_back_two_minutes_changes_nothing() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    a_mutation_goes_through(&client, "before the step").await;
    let connections = client.connection_state().connection_count;
    shift_wall_clock(-120_000.0);
    a_mutation_goes_through(&client, "after the step").await;
    focus();
    common::sleep_ms(100).await;
    a_mutation_goes_through(&client, "after a focus event").await;
    // And forward by an hour: tokens may count as older, the socket does not care.
    shift_wall_clock(3_600_000.0);
    focus();
    a_mutation_goes_through(&client, "after a step forward").await;
    shift_wall_clock(0.0);
    let state = client.connection_state();
    assert!(state.is_websocket_connected);
    assert_eq!(
        state.connection_count, connections,
        "the healthy socket was closed and reopened"
    );
    client.close();
}

/// Makes `Storage.prototype.setItem` throw a QuotaExceededError for keys starting with
/// `prefix` (`None` restores it).
fn refuse_storage(prefix: Option<&str>) {
    let patch = js_sys::Function::new_with_args(
        "prefix",
        "const proto = Storage.prototype; \
         if (!proto.__realSetItem) { proto.__realSetItem = proto.setItem; } \
         proto.setItem = prefix === null ? proto.__realSetItem : function (k, v) { \
           if (String(k).startsWith(prefix)) { throw new DOMException('the quota is full', 'QuotaExceededError'); } \
           return proto.__realSetItem.call(this, k, v); };",
    );
    let arg = prefix.map_or(JsValue::NULL, JsValue::from_str);
    patch.call1(&JsValue::NULL, &arg).unwrap();
}

/// A sign-in URL whose PKCE verifier could not be stored would lead to a callback that cannot
/// complete: it is a typed error instead, and no URL is handed out.
#[wasm_bindgen_test]
async fn a_verifier_the_browser_refuses_to_store_is_a_typed_error_not_a_url() {
    reset();
    let client = AuthKitClient::create(AuthKitOptions::new(config()))
        .await
        .unwrap();
    refuse_storage(Some("workos:code-verifier"));
    let url = client.sign_in_url(&Default::default(), false);
    let signed_in = client.sign_in(Default::default());
    refuse_storage(None);
    assert!(
        matches!(&url, Err(AuthKitError::Storage(e)) if e.contains("QuotaExceededError")),
        "{url:?}"
    );
    assert!(matches!(signed_in, Err(AuthKitError::Storage(_))));
    assert!(client.sign_in_url(&Default::default(), false).is_ok());
    client.dispose();
}

/// A rotated refresh token the browser refuses to store is reported through
/// `on_refresh_failure` (nothing waits for it); the session in memory carries on.
#[wasm_bindgen_test]
async fn a_refresh_token_the_browser_refuses_to_store_is_reported_and_the_session_kept() {
    let failures: Rc<RefCell<Vec<String>>> = Rc::default();
    let f = failures.clone();
    let mut options = AuthKitOptions::new(config());
    options.on_refresh_failure = Some(Rc::new(move |e| f.borrow_mut().push(e.to_string())));
    let client = signed_in("grace@example.com", options).await;
    refuse_storage(Some("workos:refresh-token"));
    let token = client.get_access_token(true).await;
    refuse_storage(None);
    assert!(token.is_ok(), "{token:?}");
    assert!(client.user().is_some());
    let failures = failures.borrow().clone();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("refused to store"), "{failures:?}");
    // Storage still holds the refresh token that refresh consumed: the next refresh presents
    // the rotated one from memory instead (presenting the consumed one would revoke the
    // session), and stores its own rotation.
    let again = client.get_access_token(true).await;
    assert!(again.is_ok(), "{again:?}");
    let rt = refresh_token().unwrap();
    assert_eq!(
        backend_refresh(&rt).await["status"],
        200,
        "the session survived"
    );
    client.dispose();
}
