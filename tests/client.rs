//! The browser ConvexClient against the real dev backend, in headless Chromium.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use convex_yew::core::sync::TokenFetch;
use convex_yew::{Action, Mutation, Query, Value};
use convex_yew::{ClientOptions, ConvexClient, ConvexHttpClient};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Serialize)]
struct ListArgs {
    count: u32,
}
#[derive(Deserialize, Debug, Clone, PartialEq)]
struct List {
    viewer: Option<String>,
    numbers: Vec<f64>,
}
#[derive(Serialize)]
struct AddArgs {
    value: f64,
}
#[derive(Serialize)]
struct Code {
    code: String,
}
#[derive(Deserialize, Debug)]
struct ErrorData {
    code: String,
}
#[derive(Deserialize, Debug, Clone)]
struct Who {
    #[serde(rename = "tokenIdentifier")]
    token_identifier: String,
    name: Option<String>,
}

const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
const ADD: Mutation<AddArgs, ()> = Mutation::new("myFunctions:addNumber");
const THROWS: Query<Code, Value> = Query::new("testing:throwConvexError");
const WHOAMI: Query<(), Option<Who>> = Query::new("testing:whoami");
const ECHO: Action<AddArgs, Value> = Action::new("testing:echoAction");

fn client() -> ConvexClient {
    ConvexClient::new(common::backend_url()).expect("valid URL")
}

/// Waits for a subscription result that satisfies `pred`.
async fn next_matching<R: serde::de::DeserializeOwned + std::fmt::Debug>(
    sub: &mut convex_yew::Subscription<R>,
    pred: impl Fn(&R) -> bool,
) -> R {
    let timeout = gloo_timers::future::TimeoutFuture::new(15_000);
    let wait = async {
        if let Some(Ok(v)) = sub.latest() {
            if pred(&v) {
                return v;
            }
        }
        loop {
            match sub.next().await {
                Some(Ok(v)) if pred(&v) => return v,
                Some(_) => {}
                None => panic!("subscription ended"),
            }
        }
    };
    futures::pin_mut!(wait);
    match futures::future::select(wait, timeout).await {
        futures::future::Either::Left((v, _)) => v,
        futures::future::Either::Right(_) => {
            panic!("no matching result within 15 s; latest: {:?}", sub.latest())
        }
    }
}

#[wasm_bindgen_test]
async fn live_update_after_a_mutation_by_a_second_client() {
    let a = client();
    let b = client();
    let mut sub = a.subscribe(&LIST, &ListArgs { count: 10 }).unwrap();
    next_matching(&mut sub, |_| true).await;
    let m = common::marker();
    b.mutation(&ADD, &AddArgs { value: m })
        .await
        .expect("mutation succeeds");
    let seen = next_matching(&mut sub, |l| l.numbers.contains(&m)).await;
    assert_eq!(seen.viewer, None);
    a.close();
    b.close();
}

#[wasm_bindgen_test]
async fn a_mutation_resolves_with_its_write_already_visible() {
    let a = client();
    let sub = a.subscribe(&LIST, &ListArgs { count: 10 }).unwrap();
    let m = common::marker();
    assert!(!a.connection_state().has_inflight_requests);
    let before = js_sys::Date::now() as u64;
    let pending = a.mutation(&ADD, &AddArgs { value: m });
    let state = a.connection_state();
    assert!(state.has_inflight_requests, "the mutation is in flight");
    let since = state
        .time_of_oldest_inflight_request
        .expect("a time")
        .as_millis();
    assert!(since >= before && since <= js_sys::Date::now() as u64);
    pending.await.unwrap();
    let now = sub.latest().expect("loaded").expect("ok");
    assert!(now.numbers.contains(&m), "{now:?}");
    let state = a.connection_state();
    assert!(!state.has_inflight_requests);
    assert_eq!(state.time_of_oldest_inflight_request, None);
    a.close();
}

#[wasm_bindgen_test]
async fn a_throwing_query_gives_a_typed_convex_error() {
    let a = client();
    let sub = a
        .subscribe(
            &THROWS,
            &Code {
                code: "E_TEST".into(),
            },
        )
        .unwrap();
    common::wait_until(|| sub.latest().is_some()).await;
    let err = sub.latest().unwrap().unwrap_err();
    assert!(err.is_convex_error(), "{err}");
    assert_eq!(err.data_as::<ErrorData>().unwrap().code, "E_TEST");
    assert!(err.to_string().contains("testing:throwConvexError"));
    // A failing mutation and an action.
    let err = a
        .mutation(
            &Mutation::<Value, Value>::new("testing:failingMutation"),
            &Value::Object(Default::default()),
        )
        .await
        .unwrap_err();
    assert!(err.is_function_error() && !err.is_convex_error());
    let echoed = a.action(&ECHO, &AddArgs { value: 2.5 }).await.unwrap();
    assert_eq!(
        echoed.as_object().and_then(|o| o.get("value")),
        Some(&Value::Float64(2.5))
    );
    a.close();
}

#[wasm_bindgen_test]
async fn reconnect_resumes_subscriptions_and_applies_an_inflight_mutation_once() {
    let a = client();
    let b = client();
    let mut sub = a.subscribe(&LIST, &ListArgs { count: 50 }).unwrap();
    next_matching(&mut sub, |_| true).await;
    let count_before = a.connection_state().connection_count;
    let m = common::marker();
    let args = AddArgs { value: m };
    let inflight = a.mutation(&ADD, &args);
    let drop = common::post("/_test/drop_sockets", serde_json::json!({}));
    let (result, dropped) = futures::join!(inflight, drop);
    result.expect("the in-flight mutation completes after the reconnect");
    assert!(dropped["dropped"].as_u64().unwrap() >= 1);
    common::wait_until(|| a.connection_state().connection_count > count_before).await;
    // The subscription resumed: a write from the other client shows up.
    let m2 = common::marker();
    b.mutation(&ADD, &AddArgs { value: m2 }).await.unwrap();
    let seen = next_matching(&mut sub, |l| l.numbers.contains(&m2)).await;
    assert_eq!(
        seen.numbers.iter().filter(|n| **n == m).count(),
        1,
        "applied exactly once: {seen:?}"
    );
    a.close();
    b.close();
}

#[wasm_bindgen_test]
async fn auth_is_confirmed_by_the_server_and_clear_auth_returns_to_anonymous() {
    let a = client();
    let token = common::issue_token("ada@example.com", None).await;
    let changes = Rc::new(RefCell::new(Vec::new()));
    let c = changes.clone();
    a.set_auth(
        move |_force| {
            let t = token.clone();
            Box::pin(async move { TokenFetch::Token(t) })
        },
        move |ok| c.borrow_mut().push(ok),
    );
    let mut who = a.subscribe(&WHOAMI, &()).unwrap();
    let identity = next_matching(&mut who, |w| w.is_some()).await.unwrap();
    assert!(identity
        .token_identifier
        .contains("/user_management/client_local_dev|user_"));
    assert_eq!(identity.name.as_deref(), Some("Ada Lovelace"));
    common::wait_until(|| changes.borrow().first() == Some(&true)).await;
    assert!(a.is_authenticated());
    a.clear_auth();
    next_matching(&mut who, |w| w.is_none()).await;
    assert!(!a.is_authenticated());
    a.close();
}

#[wasm_bindgen_test]
async fn an_auth_error_forces_a_refresh_and_recovers() {
    let a = client();
    let good = common::issue_token("grace@example.com", None).await;
    let forced = Rc::new(Cell::new(0));
    let f = forced.clone();
    a.set_auth(
        move |force| {
            let good = good.clone();
            if force {
                f.set(f.get() + 1);
            }
            // The cached token is garbage; only a forced refresh yields a valid one.
            Box::pin(async move {
                if force {
                    TokenFetch::Token(good)
                } else {
                    TokenFetch::Token("stale.cached.token".into())
                }
            })
        },
        |_| {},
    );
    let mut who = a.subscribe(&WHOAMI, &()).unwrap();
    let identity = next_matching(&mut who, |w| w.is_some()).await.unwrap();
    assert_eq!(identity.name.as_deref(), Some("Grace Hopper"));
    assert!(forced.get() >= 1);
    common::wait_until(|| a.is_authenticated()).await;
    a.close();
}

#[wasm_bindgen_test]
async fn tokens_are_refreshed_before_they_expire_without_an_auth_error() {
    let options = ClientOptions {
        auth_refresh_leeway: std::time::Duration::from_secs(12),
        ..ClientOptions::default()
    };
    let a = ConvexClient::with_options(common::backend_url(), options).unwrap();
    let fetches = Rc::new(RefCell::new(Vec::new()));
    let f = fetches.clone();
    let changes = Rc::new(RefCell::new(Vec::new()));
    let c = changes.clone();
    let rejected = Rc::new(Cell::new(false));
    let r = rejected.clone();
    a.set_auth_with_refreshing(
        move |force| {
            f.borrow_mut().push(force);
            Box::pin(async move {
                TokenFetch::Token(common::issue_token("ada@example.com", Some(14)).await)
            })
        },
        move |ok| c.borrow_mut().push(ok),
        // "Refreshing" only happens after the server rejected a token (an AuthError).
        move |refreshing| r.set(r.get() || refreshing),
    );
    let mut who = a.subscribe(&WHOAMI, &()).unwrap();
    next_matching(&mut who, |w| w.is_some()).await;
    // Lifetime 14 s, leeway 12 s: a refresh every ~2 s. Wait for two scheduled refreshes.
    common::wait_until(|| fetches.borrow().len() >= 4).await;
    assert!(
        fetches.borrow()[1..].iter().all(|force| *force),
        "refreshes force a new token: {:?}",
        fetches.borrow()
    );
    assert!(a.is_authenticated());
    assert!(
        !changes.borrow().contains(&false),
        "never dropped to unauthenticated: {:?}",
        changes.borrow()
    );
    a.close();
}

#[wasm_bindgen_test]
async fn a_signed_out_fetcher_leaves_the_client_anonymous() {
    let a = client();
    let changes = Rc::new(RefCell::new(Vec::new()));
    let c = changes.clone();
    a.set_auth(
        |_| Box::pin(async { TokenFetch::SignedOut }),
        move |ok| c.borrow_mut().push(ok),
    );
    let mut who = a.subscribe(&WHOAMI, &()).unwrap();
    next_matching(&mut who, |w| w.is_none()).await;
    assert_eq!(*changes.borrow(), vec![false]);
    a.close();
}

#[wasm_bindgen_test]
async fn the_http_client_runs_functions() {
    let http = ConvexHttpClient::new(common::backend_url()).unwrap();
    let m = common::marker();
    http.mutation(&ADD, &AddArgs { value: m }).await.unwrap();
    let list = http.query(&LIST, &ListArgs { count: 100 }).await.unwrap();
    assert!(list.numbers.contains(&m));
    let err = http
        .query(&THROWS, &Code { code: "H".into() })
        .await
        .unwrap_err();
    assert_eq!(err.data_as::<ErrorData>().unwrap().code, "H");
    http.set_auth(Some("garbage".into()));
    let err = http.query(&WHOAMI, &()).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
}

#[wasm_bindgen_test]
fn bad_urls_are_typed_errors() {
    let err = ConvexClient::new("ftp://nope").unwrap_err();
    assert!(err.is_url());
    assert!(ConvexClient::new("https://x.convex.site")
        .unwrap_err()
        .is_url());
}

/// Dispatches a cancelable `beforeunload`, as the browser does when the page is left; returns
/// whether a listener asked to stay.
fn leaving_is_questioned() -> bool {
    js_sys::Function::new_no_args(
        "const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented;",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap()
    .as_bool()
    .unwrap()
}

#[wasm_bindgen_test]
async fn leaving_the_page_with_a_mutation_in_flight_asks_first_unless_turned_off() {
    let a = client();
    assert!(!leaving_is_questioned(), "nothing in flight");
    let pending = a.mutation(
        &ADD,
        &AddArgs {
            value: common::marker(),
        },
    );
    assert!(leaving_is_questioned(), "a mutation in flight");
    pending.await.unwrap();
    assert!(!leaving_is_questioned(), "settled");
    a.close();
    let quiet = ConvexClient::with_options(
        common::backend_url(),
        ClientOptions {
            unsaved_changes_warning: false,
            ..Default::default()
        },
    )
    .unwrap();
    let pending = quiet.mutation(
        &ADD,
        &AddArgs {
            value: common::marker(),
        },
    );
    assert!(!leaving_is_questioned(), "turned off");
    pending.await.unwrap();
    quiet.close();
}

/// Wraps `window.fetch` to record when each `/api/mutation` request starts and ends; returns
/// a function that restores it and gives the log (`s` start, `e` end).
fn record_mutation_fetches() -> js_sys::Function {
    js_sys::Function::new_no_args(
        "const real = window.fetch; const log = [];
         window.fetch = async (input, init) => {
           const url = String(input && input.url ? input.url : input);
           if (!url.includes('/api/mutation')) return real(input, init);
           log.push('s'); try { return await real(input, init); } finally { log.push('e'); }
         };
         return () => { window.fetch = real; return log.join(''); };",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap()
    .into()
}

#[wasm_bindgen_test]
async fn the_http_client_runs_mutations_one_at_a_time_unless_told_not_to() {
    for (queue, want_serial) in [(true, true), (false, false)] {
        let http = ConvexHttpClient::new(common::backend_url())
            .unwrap()
            .with_mutation_queue(queue);
        let stop = record_mutation_fetches();
        let (a, b, c) = (common::marker(), common::marker(), common::marker());
        let (args_a, args_b, args_c) = (
            AddArgs { value: a },
            AddArgs { value: b },
            AddArgs { value: c },
        );
        let add = ADD;
        let (ra, rb, rc) = futures::join!(
            http.mutation(&add, &args_a),
            http.mutation(&add, &args_b),
            http.mutation(&add, &args_c),
        );
        let log = stop
            .call0(&wasm_bindgen::JsValue::NULL)
            .unwrap()
            .as_string()
            .unwrap();
        assert!(ra.is_ok() && rb.is_ok() && rc.is_ok());
        if want_serial {
            assert_eq!(log, "sesese", "each mutation waits for the one before");
            let list = http.query(&LIST, &ListArgs { count: 3 }).await.unwrap();
            assert_eq!(list.numbers, vec![a, b, c], "in call order");
        } else {
            assert!(log.starts_with("sss"), "sent at once: {log}");
        }
    }
}

/// A page that subscribes and unsubscribes (a list that pages, a search box, route changes)
/// holds nothing for the queries it dropped: 10,000 distinct queries, watched in batches of
/// 500 until each has a result, then dropped.
#[wasm_bindgen_test]
async fn dropped_queries_leave_nothing_behind() {
    let a = client();
    let loaded = Rc::new(Cell::new(0usize));
    for batch in 0..20u32 {
        loaded.set(0);
        let watches: Vec<_> = (0..500u32)
            .map(|i| {
                let mut args = convex_yew::core::value::Object::new();
                args.insert("count".into(), Value::Float64(f64::from(batch * 500 + i)));
                let loaded = loaded.clone();
                a.watch(
                    "myFunctions:listNumbers",
                    &args,
                    Rc::new(move |_| loaded.set(loaded.get() + 1)),
                )
            })
            .collect();
        common::wait_until(|| watches.iter().all(|w| w.result().is_some())).await;
        drop(watches);
    }
    // The last removals reach the server, and its Transition back.
    common::settle().await;
    common::wait_until(|| a.connection_state().subscribed_queries == 0).await;
    common::sleep_ms(200).await;
    let held = a.held_per_query();
    assert!(
        held.iter().all(|(_, n)| *n == 0),
        "the client still holds per-query state after every query was dropped: {held:?}"
    );
    a.close();
}
