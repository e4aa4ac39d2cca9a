//! What users of the other Convex SDKs already get (issue 22), in headless Chromium against the
//! dev backend: stale-while-revalidate, skipped vs loading and an initial value; mutation and
//! action state; sorted optimistic inserts; `expect_auth`; `prewarm_query`; typed queries of
//! different functions at once; `ConvexHttpClient` parity; paginated subscriptions outside
//! hooks; the client's URL, auth token and claims, server disconnect errors and the
//! deployment-URL check.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use convex_yew::core::pagination::optimistic::{insert_at_position, SortOrder};
use convex_yew::prelude::*;
use convex_yew::{ClientOptions, DisconnectCallback, LogLevel, Logger};
use convex_yew::{
    ConvexClient, ConvexHttpClient, LocalStore, Mutation, PaginatedQuery, PaginationStatus, Query,
    TokenFetch,
};
use convex_yew::{HttpClientOptions, MutationOptions};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
struct ListArgs {
    count: u32,
}
#[derive(Deserialize, Debug, Clone, PartialEq)]
struct List {
    numbers: Vec<f64>,
}
#[derive(Serialize, Clone, PartialEq)]
struct AddArgs {
    value: f64,
}
#[derive(Serialize, Clone, PartialEq)]
struct NoArgs {}
#[derive(Deserialize, Debug, Clone, PartialEq)]
struct Who {
    name: Option<String>,
}
#[derive(Serialize)]
struct Name {
    name: String,
}

const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
const ADD: Mutation<AddArgs, ()> = Mutation::new("myFunctions:addNumber");
const FAIL: Mutation<AddArgs, ()> = Mutation::new("testing:failingMutation");
const WHOAMI: Query<(), Option<Who>> = Query::new("testing:whoami");
const LOG_LINES: Query<Name, f64> = Query::new("testing:logLines");
const SORTED: PaginatedQuery<NoArgs, f64> = PaginatedQuery::new("testing:sortedNumbers");
const PAGED: PaginatedQuery<NoArgs, f64> = PaginatedQuery::new("myFunctions:listNumbersPaginated");

#[derive(Clone, Default)]
struct Shared<T>(Rc<RefCell<T>>);
impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

fn client() -> ConvexClient {
    ConvexClient::new(common::backend_url()).unwrap()
}

// ----- stale-while-revalidate, skipped, initial value -----

#[derive(Properties, PartialEq)]
struct StaleProps {
    client: ConvexClient,
    count: Option<u32>,
    keep: bool,
    log: Shared<Vec<StaleRender>>,
}

/// A render: the count, the list length shown, `is_stale`, `is_skipped`.
type StaleRender = (Option<u32>, Option<usize>, bool, bool);
type Adders = (UseMutationState<AddArgs, ()>, UseMutationState<AddArgs, ()>);

#[component]
fn StaleProbe(props: &StaleProps) -> Html {
    let options = QueryOptions {
        keep_previous_data: props.keep,
        initial_value: Some(Rc::new(List { numbers: vec![] })),
    };
    let q = use_query_with(&LIST, props.count.map(|count| ListArgs { count }), options);
    props.log.0.borrow_mut().push((
        props.count,
        q.data().map(|l| l.numbers.len()),
        q.is_stale,
        q.state.is_skipped(),
    ));
    html! {}
}

#[component]
fn StaleRoot(props: &StaleProps) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            <StaleProbe client={props.client.clone()} count={props.count} keep={props.keep} log={props.log.clone()} />
        </ConvexProvider>
    }
}

#[wasm_bindgen_test]
async fn keep_previous_data_shows_the_old_result_marked_stale_and_skipped_is_not_loading() {
    let client = client();
    common::add_numbers(&client, 4).await;
    let log: Shared<Vec<_>> = Shared::default();
    let props = |count, keep| StaleProps {
        client: client.clone(),
        count,
        keep,
        log: log.clone(),
    };
    let last = || log.0.borrow().last().cloned().unwrap();
    let mut handle =
        yew::Renderer::<StaleRoot>::with_root_and_props(common::fresh_root(), props(Some(2), true))
            .render();
    common::settle().await;
    // Before the first result: the initial value, marked stale.
    assert_eq!(log.0.borrow()[0], (Some(2), Some(0), true, false));
    common::wait_until(|| last() == (Some(2), Some(2), false, false)).await;
    handle.update(props(Some(4), true));
    common::settle().await;
    let changed = log
        .0
        .borrow()
        .iter()
        .find(|r| r.0 == Some(4))
        .cloned()
        .unwrap();
    assert_eq!(
        changed,
        (Some(4), Some(2), true, false),
        "the previous result, marked stale, while the new one loads"
    );
    common::wait_until(|| last() == (Some(4), Some(4), false, false)).await;
    handle.update(props(None, true));
    common::settle().await;
    assert_eq!(last(), (None, None, false, true), "skipped, not loading");
    handle.destroy();
    client.close();
}

// ----- mutation and action state -----

#[derive(Properties, PartialEq)]
struct StateProps {
    client: ConvexClient,
    log: Shared<Vec<(bool, bool)>>,
    handle: Shared<Option<Adders>>,
}

#[component]
fn StateProbe(props: &StateProps) -> Html {
    let add = use_mutation_state(&ADD);
    let fail = use_mutation_state(&FAIL);
    props
        .log
        .0
        .borrow_mut()
        .push((fail.state.is_pending, fail.state.error.is_some()));
    *props.handle.0.borrow_mut() = Some((add.clone(), fail.clone()));
    html! {
        <>
            <span class="pending">{ add.state.is_pending || fail.state.is_pending }</span>
            <span class="error">{ fail.state.error.as_ref().map(|e| e.to_string()).unwrap_or_default() }</span>
        </>
    }
}

#[component]
fn StateRoot(props: &StateProps) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            <StateProbe client={props.client.clone()} log={props.log.clone()} handle={props.handle.clone()} />
        </ConvexProvider>
    }
}

#[wasm_bindgen_test]
async fn mutation_state_shows_pending_then_the_error_and_the_handle_stays_usable() {
    let client = client();
    let log: Shared<Vec<(bool, bool)>> = Shared::default();
    let handle: Shared<Option<_>> = Shared::default();
    let root = common::fresh_root();
    yew::Renderer::<StateRoot>::with_root_and_props(
        root.clone(),
        StateProps {
            client: client.clone(),
            log: log.clone(),
            handle: handle.clone(),
        },
    )
    .render();
    common::settle().await;
    let (add, fail) = handle.0.borrow().clone().unwrap();
    fail.mutate(&AddArgs { value: 1.0 });
    common::wait_until(|| log.0.borrow().last() == Some(&(false, true))).await;
    assert!(
        log.0.borrow().contains(&(true, false)),
        "pending was shown: {:?}",
        log.0.borrow()
    );
    let text = common::query(&root, ".error").unwrap().inner_text();
    assert!(text.contains("always fails"), "{text}");
    // The same handle again: reset clears the error, a success leaves none.
    fail.reset();
    common::wait_until(|| log.0.borrow().last() == Some(&(false, false))).await;
    let done = add.call(&AddArgs {
        value: common::marker(),
    });
    assert!(done.await.is_ok());
    let (_, fail) = handle.0.borrow().clone().unwrap();
    assert!(fail.state.error.is_none());
    client.close();
}

#[component]
fn ActionProbe(props: &StateProps) -> Html {
    const ECHO: convex_yew::Action<AddArgs, serde_json::Value> =
        convex_yew::Action::new("testing:echoAction");
    let echo = use_action_state(&ECHO);
    props
        .log
        .0
        .borrow_mut()
        .push((echo.state.is_pending, echo.state.data.is_some()));
    let run = echo.clone();
    use_effect_with((), move |_| {
        run.run(&AddArgs { value: 7.0 });
    });
    html! { <span class="echo">{ echo.state.data.as_ref().map(|d| d.to_string()).unwrap_or_default() }</span> }
}

#[component]
fn ActionRoot(props: &StateProps) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            <ActionProbe client={props.client.clone()} log={props.log.clone()} handle={props.handle.clone()} />
        </ConvexProvider>
    }
}

#[wasm_bindgen_test]
async fn action_state_shows_pending_then_the_result() {
    let client = client();
    let log: Shared<Vec<(bool, bool)>> = Shared::default();
    let root = common::fresh_root();
    yew::Renderer::<ActionRoot>::with_root_and_props(
        root.clone(),
        StateProps {
            client: client.clone(),
            log: log.clone(),
            handle: Shared::default(),
        },
    )
    .render();
    common::wait_until(|| log.0.borrow().last() == Some(&(false, true))).await;
    assert!(log.0.borrow().contains(&(true, false)));
    assert!(common::query(&root, ".echo")
        .unwrap()
        .inner_text()
        .contains('7'));
    client.close();
}

// ----- sorted optimistic inserts -----

#[derive(Properties, PartialEq)]
struct SortedProps {
    client: ConvexClient,
    value: f64,
    log: Shared<Vec<Vec<f64>>>,
}

#[component]
fn SortedProbe(props: &SortedProps) -> Html {
    let feed = use_paginated_query(&SORTED, Some(NoArgs {}), 1000);
    props.log.0.borrow_mut().push((*feed.results).clone());
    let add =
        use_mutation(&ADD).with_optimistic_update(|store: &mut LocalStore<'_>, a: &AddArgs| {
            let _ = insert_at_position(
                store,
                &SORTED,
                &NoArgs {},
                SortOrder::Asc,
                |n: &f64| *n,
                &a.value,
            );
        });
    let value = props.value;
    use_effect_with(feed.status == PaginationStatus::Exhausted, move |ready| {
        if *ready {
            let done = add.call(&AddArgs { value });
            wasm_bindgen_futures::spawn_local(async move {
                let _ = done.await;
            });
        }
    });
    html! {}
}

#[component]
fn SortedRoot(props: &SortedProps) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            <SortedProbe client={props.client.clone()} value={props.value} log={props.log.clone()} />
        </ConvexProvider>
    }
}

#[wasm_bindgen_test]
async fn an_optimistic_insert_lands_at_its_sorted_position_before_the_server_answers() {
    let client = client();
    common::add_numbers(&client, 3).await;
    // A value between two numbers in the middle of the sorted list: insert_at_top would put
    // it first, insert_at_bottom last.
    let mut all = client
        .query(&LIST, &ListArgs { count: 100_000 })
        .await
        .unwrap()
        .numbers;
    all.sort_by(f64::total_cmp);
    let mid = all.len() / 2;
    let value = (all[mid - 1] + all[mid]) / 2.0;
    assert!(value > all[0] && value < all[all.len() - 1]);
    common::post("/_test/mutation_delay", json!({ "ms": 1500 })).await;
    let log: Shared<Vec<Vec<f64>>> = Shared::default();
    yew::Renderer::<SortedRoot>::with_root_and_props(
        common::fresh_root(),
        SortedProps {
            client: client.clone(),
            value,
            log: log.clone(),
        },
    )
    .render();
    common::wait_until(|| log.0.borrow().iter().any(|l| l.contains(&value))).await;
    common::post("/_test/mutation_delay", json!({ "ms": 0 })).await;
    let shown = log
        .0
        .borrow()
        .iter()
        .find(|l| l.contains(&value))
        .cloned()
        .unwrap();
    let mut sorted = shown.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(shown, sorted, "the optimistic item is at its sorted place");
    client.close();
}

// ----- expect_auth -----

#[wasm_bindgen_test]
async fn expect_auth_runs_no_query_before_auth_is_decided() {
    for signed_in in [true, false] {
        let options = ClientOptions {
            expect_auth: true,
            ..Default::default()
        };
        let client = ConvexClient::with_options(common::backend_url(), options).unwrap();
        let mut sub = client.subscribe(&WHOAMI, &()).unwrap();
        common::sleep_ms(500).await;
        assert!(
            sub.latest().is_none(),
            "a query ran before auth was decided"
        );
        if signed_in {
            let token = common::issue_token("grace@example.com", None).await;
            client.set_auth(
                move |_| {
                    let t = token.clone();
                    Box::pin(async move { TokenFetch::Token(t) })
                },
                |_| {},
            );
        } else {
            client.clear_auth();
        }
        let first = futures::StreamExt::next(&mut sub).await.unwrap().unwrap();
        if signed_in {
            assert_eq!(
                first.and_then(|w| w.name),
                Some("Grace Hopper".into()),
                "the first result is already the user's"
            );
        } else {
            assert_eq!(first, None, "anonymous once decided");
        }
        drop(sub);
        client.close();
    }
}

// ----- prewarm_query -----

#[derive(Properties, PartialEq)]
struct FirstProps {
    client: ConvexClient,
    first: Shared<Option<bool>>,
}

#[component]
fn FirstRender(props: &FirstProps) -> Html {
    let list = use_query(&LIST, Some(ListArgs { count: 3 }));
    let mut first = props.first.0.borrow_mut();
    if first.is_none() {
        *first = Some(list.data().is_some());
    }
    html! {}
}

#[component]
fn FirstRoot(props: &FirstProps) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            <FirstRender client={props.client.clone()} first={props.first.clone()} />
        </ConvexProvider>
    }
}

#[wasm_bindgen_test]
async fn a_prewarmed_query_renders_from_cache_on_the_first_render() {
    let client = client();
    common::add_numbers(&client, 3).await;
    client
        .prewarm_query(&LIST, &ListArgs { count: 3 }, Duration::from_secs(5))
        .unwrap();
    common::wait_until(|| {
        client
            .cached("myFunctions:listNumbers", &{
                let mut o = convex_yew::core::value::Object::new();
                o.insert("count".into(), convex_yew::Value::Float64(3.0));
                o
            })
            .is_some()
    })
    .await;
    let first: Shared<Option<bool>> = Shared::default();
    yew::Renderer::<FirstRoot>::with_root_and_props(
        common::fresh_root(),
        FirstProps {
            client: client.clone(),
            first: first.clone(),
        },
    )
    .render();
    common::settle().await;
    assert_eq!(*first.0.borrow(), Some(true), "no loading frame");
    client.close();
}

// ----- typed queries of different functions -----

#[derive(Properties, PartialEq)]
struct SetProps {
    client: ConvexClient,
    log: Shared<Vec<(Option<usize>, bool)>>,
}

#[component]
fn SetProbe(props: &SetProps) -> Html {
    let (list, who) = use_query_set(((&LIST, Some(ListArgs { count: 2 })), (&WHOAMI, Some(()))));
    props.log.0.borrow_mut().push((
        list.data().map(|l| l.numbers.len()),
        matches!(who, QueryState::Ok(ref w) if w.is_none()),
    ));
    html! {}
}

#[component]
fn SetRoot(props: &SetProps) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            <SetProbe client={props.client.clone()} log={props.log.clone()} />
        </ConvexProvider>
    }
}

#[wasm_bindgen_test]
async fn queries_of_different_functions_are_typed_each() {
    let client = client();
    common::add_numbers(&client, 2).await;
    let log: Shared<Vec<(Option<usize>, bool)>> = Shared::default();
    yew::Renderer::<SetRoot>::with_root_and_props(
        common::fresh_root(),
        SetProps {
            client: client.clone(),
            log: log.clone(),
        },
    )
    .render();
    common::wait_until(|| log.0.borrow().last() == Some(&(Some(2), true))).await;
    client.close();
}

// ----- ConvexHttpClient parity -----

#[wasm_bindgen_test]
async fn the_http_client_logs_function_lines_skips_the_queue_and_takes_auth_at_construction() {
    let lines: Rc<RefCell<Vec<String>>> = Rc::default();
    let l = lines.clone();
    let token = common::issue_token("grace@example.com", None).await;
    let http = ConvexHttpClient::with_options(
        &format!("{}/", common::backend_url()),
        HttpClientOptions {
            auth: Some(token),
            logger: Logger::custom(move |level, m| {
                if level == LogLevel::Info {
                    l.borrow_mut().push(m.to_owned())
                }
            }),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(http.url(), common::backend_url().trim_end_matches('/'));
    let _: f64 = http
        .query(
            &LOG_LINES,
            &Name {
                name: "http".into(),
            },
        )
        .await
        .unwrap();
    assert!(
        lines
            .borrow()
            .iter()
            .any(|m| m.starts_with("[CONVEX Q(testing:logLines)]") && m.contains("hello http")),
        "{:?}",
        lines.borrow()
    );
    let who: Option<Who> = http.query(&WHOAMI, &()).await.unwrap();
    assert_eq!(
        who.and_then(|w| w.name),
        Some("Grace Hopper".into()),
        "auth from construction"
    );
    // A mutation that skips the queue goes out at once, past a queued one that waits for
    // the mutation before it: the skipping one is answered first. Every mutation takes
    // 300 ms, so the order does not hang on one request's luck on a loaded machine.
    common::post("/_test/mutation_delay", serde_json::json!({"ms": 300})).await;
    let order: Rc<RefCell<Vec<&str>>> = Rc::default();
    let (o1, o2, o3) = (order.clone(), order.clone(), order.clone());
    let first = async {
        http.mutation(
            &ADD,
            &AddArgs {
                value: common::marker(),
            },
        )
        .await
        .unwrap();
        o1.borrow_mut().push("queued 1");
    };
    let second = async {
        http.mutation(
            &ADD,
            &AddArgs {
                value: common::marker(),
            },
        )
        .await
        .unwrap();
        o2.borrow_mut().push("queued 2");
    };
    let skipping = async {
        http.mutation_with(
            &ADD,
            &AddArgs {
                value: common::marker(),
            },
            MutationOptions { skip_queue: true },
        )
        .await
        .unwrap();
        o3.borrow_mut().push("skipping");
    };
    futures::join!(first, second, skipping);
    common::post("/_test/mutation_delay", serde_json::json!({"ms": 0})).await;
    let order = order.borrow().clone();
    assert_eq!(order.len(), 3);
    let pos = |name| order.iter().position(|o| *o == name).unwrap();
    assert!(
        pos("queued 1") < pos("queued 2"),
        "the queue keeps call order: {order:?}"
    );
    assert!(
        pos("skipping") < pos("queued 2"),
        "the skipping call did not wait: {order:?}"
    );
}

// ----- paginated subscriptions outside hooks -----

#[wasm_bindgen_test]
async fn a_paginated_watch_outside_hooks_loads_pages_and_more() {
    let client = client();
    common::add_numbers(&client, 6).await;
    let updates = Rc::new(Cell::new(0));
    let u = updates.clone();
    let feed = client
        .watch_paginated(&PAGED, &NoArgs {}, 2, move || u.set(u.get() + 1))
        .unwrap();
    common::wait_until(|| feed.status() == PaginationStatus::CanLoadMore).await;
    assert_eq!(feed.results().len(), 2);
    assert!(feed.load_more(3));
    common::wait_until(|| feed.results().len() == 5).await;
    assert!(updates.get() >= 2);
    drop(feed);
    client.close();
}

// ----- the client's odds -----

#[wasm_bindgen_test]
async fn the_client_tells_its_url_token_and_claims_and_reports_server_disconnects() {
    let reported: Rc<RefCell<Vec<(u16, String)>>> = Rc::default();
    let r = reported.clone();
    let options = ClientOptions {
        on_server_disconnect_error: Some(DisconnectCallback::new(move |code, reason| {
            r.borrow_mut().push((code, reason.to_owned()))
        })),
        ..Default::default()
    };
    let client =
        ConvexClient::with_options(&format!("{}/", common::backend_url()), options).unwrap();
    assert_eq!(client.url(), common::backend_url().trim_end_matches('/'));
    assert_eq!(client.auth_token(), None);
    let token = common::issue_token("grace@example.com", None).await;
    let t = token.clone();
    client.set_auth(
        move |_| {
            let t = t.clone();
            Box::pin(async move { TokenFetch::Token(t) })
        },
        |_| {},
    );
    common::wait_until(|| client.is_authenticated()).await;
    assert_eq!(client.auth_token().as_deref(), Some(token.as_str()));
    let claims = client.auth_claims().unwrap();
    assert!(
        claims.contains_key("sub") && claims.contains_key("exp"),
        "{claims:?}"
    );
    common::post(
        "/_test/close_sockets",
        json!({"code": 4002, "reason": "TooManyConcurrentRequests: slow down"}),
    )
    .await;
    common::wait_until(|| !reported.borrow().is_empty()).await;
    assert_eq!(
        reported.borrow()[0],
        (4002, "TooManyConcurrentRequests: slow down".to_owned())
    );
    // It reconnects anyway.
    common::wait_until(|| client.connection_state().is_websocket_connected).await;
    client.close();
}

#[wasm_bindgen_test]
async fn the_deployment_url_check_can_be_skipped_for_a_proxy() {
    let site = "https://happy-otter-123.convex.site";
    assert!(ConvexClient::new(site).is_err());
    let options = ClientOptions {
        skip_convex_deployment_url_check: true,
        ..Default::default()
    };
    let proxied = ConvexClient::with_options(site, options).unwrap();
    assert_eq!(proxied.url(), site);
    proxied.close();
    assert!(ConvexHttpClient::new(site).is_err());
    let http = ConvexHttpClient::with_options(
        site,
        HttpClientOptions {
            skip_convex_deployment_url_check: true,
            ..Default::default()
        },
    );
    assert!(http.is_ok());
}
