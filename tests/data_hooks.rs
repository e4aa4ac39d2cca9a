//! Optimistic updates, `use_queries` and `use_paginated_query` mounted in headless Chromium
//! against the dev backend.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use convex_yew::core::pagination::optimistic::insert_at_top;
use convex_yew::prelude::*;
use convex_yew::{ConvexClient, LocalStore, Mutation, PaginatedQuery, Query};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
struct ListArgs {
    count: u32,
}
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct List {
    viewer: Option<String>,
    numbers: Vec<f64>,
}
#[derive(Serialize, Clone)]
struct AddArgs {
    value: f64,
}
#[derive(Serialize, Clone)]
struct NoArgs {}

const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
const ADD: Mutation<AddArgs, ()> = Mutation::new("myFunctions:addNumber");
const FAIL: Mutation<AddArgs, ()> = Mutation::new("testing:failingMutation");
const PAGED: PaginatedQuery<NoArgs, f64> = PaginatedQuery::new("myFunctions:listNumbersPaginated");

fn text(root: &web_sys::Element, selector: &str) -> String {
    common::query(root, selector)
        .map(|e| e.inner_text())
        .unwrap_or_default()
}

fn append_locally(store: &mut LocalStore<'_>, args: &AddArgs) {
    let list_args = ListArgs { count: 1000 };
    if let Some(mut list) = store.get_query(&LIST, &list_args) {
        list.numbers.push(args.value);
        store.set_query(&LIST, &list_args, Some(&list)).unwrap();
    }
}

/// Every list the component rendered, and how its last call ended.
#[derive(Clone, Default)]
struct Log {
    frames: Rc<RefCell<Vec<Vec<f64>>>>,
    outcome: Rc<RefCell<Option<Result<(), String>>>>,
}
impl PartialEq for Log {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.frames, &other.frames)
    }
}

#[derive(Properties, PartialEq)]
struct OptimisticProps {
    log: Log,
    value: f64,
}

#[component]
fn Optimistic(props: &OptimisticProps) -> Html {
    let list = use_query(&LIST, Some(ListArgs { count: 1000 }));
    if let Some(l) = list.data() {
        props.log.frames.borrow_mut().push(l.numbers.clone());
    }
    let add = use_mutation(&ADD).with_optimistic_update(append_locally);
    let fail = use_mutation(&FAIL).with_optimistic_update(append_locally);
    let click = |m: UseMutation<AddArgs, ()>| {
        let (log, value) = (props.log.clone(), props.value);
        Callback::from(move |_| {
            let done = m.call(&AddArgs { value });
            let log = log.clone();
            wasm_bindgen_futures::spawn_local(async move {
                *log.outcome.borrow_mut() = Some(done.await.map_err(|e| e.to_string()));
            });
        })
    };
    html! {
        <div>
            <span class="numbers">{ list.data().map(|l| format!("{:?}", l.numbers)).unwrap_or_default() }</span>
            <button class="add" onclick={click(add)}>{ "add" }</button>
            <button class="fail" onclick={click(fail)}>{ "fail" }</button>
        </div>
    }
}

fn shows(root: &web_sys::Element, value: f64) -> bool {
    text(root, ".numbers").contains(&format!("{value:?}"))
}

#[wasm_bindgen_test]
async fn an_optimistic_add_shows_before_the_server_answers_and_a_failed_one_rolls_back() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let log = Log::default();
    let value = common::marker();

    #[derive(Properties, PartialEq)]
    struct RootProps {
        client: ConvexClient,
        log: Log,
        value: f64,
    }
    #[component]
    fn Root(props: &RootProps) -> Html {
        html! { <ConvexProvider client={props.client.clone()}><Optimistic log={props.log.clone()} value={props.value} /></ConvexProvider> }
    }
    yew::Renderer::<Root>::with_root_and_props(
        root.clone(),
        RootProps {
            client: client.clone(),
            log: log.clone(),
            value,
        },
    )
    .render();
    common::wait_until(|| !text(&root, ".numbers").is_empty()).await;

    // The server holds every mutation for 800 ms: whatever shows before is optimistic.
    common::post("/_test/mutation_delay", json!({"ms": 800})).await;
    common::query(&root, ".add").unwrap().click();
    common::sleep_ms(100).await;
    assert!(
        shows(&root, value),
        "not shown at once: {}",
        text(&root, ".numbers")
    );
    assert!(
        log.outcome.borrow().is_none(),
        "the server answered too early"
    );
    common::wait_until(|| log.outcome.borrow().is_some()).await;
    assert_eq!(*log.outcome.borrow(), Some(Ok(())));
    assert!(shows(&root, value), "the server's own result holds it");
    let count = |frames: &[Vec<f64>]| {
        frames
            .last()
            .map_or(0, |f| f.iter().filter(|n| **n == value).count())
    };
    assert_eq!(count(&log.frames.borrow()), 1, "shown once, not twice");

    // A failing mutation: shown at once, gone when the failure arrives.
    log.frames.borrow_mut().clear();
    *log.outcome.borrow_mut() = None;
    common::query(&root, ".fail").unwrap().click();
    common::sleep_ms(100).await;
    let frames_before = log.frames.borrow().len();
    assert!(frames_before > 0, "the optimistic frame rendered");
    assert_eq!(
        log.frames
            .borrow()
            .last()
            .map(|f| f.iter().filter(|n| **n == value).count()),
        Some(2),
        "the failing mutation's value shows optimistically next to the committed one"
    );
    common::wait_until(|| log.outcome.borrow().is_some()).await;
    common::settle().await;
    assert!(matches!(&*log.outcome.borrow(), Some(Err(e)) if e.contains("always fails")));
    assert_eq!(count(&log.frames.borrow()), 1, "rolled back");
    common::post("/_test/mutation_delay", json!({"ms": 0})).await;
    client.close();
}

#[derive(Properties, PartialEq)]
struct ManyProps {
    client: ConvexClient,
    counts: Vec<u32>,
}

#[component]
fn Many(props: &ManyProps) -> Html {
    let args: BTreeMap<u32, ListArgs> = props
        .counts
        .iter()
        .map(|&count| (count, ListArgs { count }))
        .collect();
    let lists = use_queries(&LIST, args);
    html! {
        <ul>
            { for lists.iter().map(|(count, state)| html! {
                <li class={format!("k{count}")}>{ match state {
                    QueryState::Loading | QueryState::Skipped => "loading".to_string(),
                    QueryState::Ok(l) => l.numbers.len().to_string(),
                    QueryState::Err(e) => e.to_string(),
                } }</li>
            }) }
        </ul>
    }
}

#[component]
fn ManyRoot(props: &ManyProps) -> Html {
    html! { <ConvexProvider client={props.client.clone()}><Many client={props.client.clone()} counts={props.counts.clone()} /></ConvexProvider> }
}

#[wasm_bindgen_test]
async fn use_queries_follows_a_changing_keyed_set() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    // Enough numbers for every count below.
    common::add_numbers(&client, 3).await;
    let root = common::fresh_root();
    let props = |counts: Vec<u32>| ManyProps {
        client: client.clone(),
        counts,
    };
    let mut handle =
        yew::Renderer::<ManyRoot>::with_root_and_props(root.clone(), props(vec![1, 2])).render();
    common::wait_until(|| text(&root, ".k1") == "1" && text(&root, ".k2") == "2").await;
    assert_eq!(client.connection_state().subscribed_queries, 2);

    handle.update(props(vec![2, 3]));
    common::wait_until(|| text(&root, ".k3") == "3").await;
    assert_eq!(text(&root, ".k1"), "", "key 1 is gone");
    assert_eq!(text(&root, ".k2"), "2");
    common::settle().await;
    assert_eq!(
        client.connection_state().subscribed_queries,
        2,
        "the dropped key unsubscribed"
    );

    // A new number shows in every list.
    let before = text(&root, ".k3");
    common::add_numbers(&client, 1).await;
    common::settle().await;
    assert_eq!(text(&root, ".k3"), before, "still 3: the list is capped");

    handle.destroy();
    common::settle().await;
    assert_eq!(
        client.connection_state().subscribed_queries,
        0,
        "unmount unsubscribes"
    );
    client.close();
}

#[derive(Properties, PartialEq)]
struct FeedProps {
    client: ConvexClient,
    renders: Rc<Cell<u32>>,
}

#[component]
fn Feed(props: &FeedProps) -> Html {
    props.renders.set(props.renders.get() + 1);
    let feed = use_paginated_query(&PAGED, Some(NoArgs {}), 3);
    let add =
        use_mutation(&ADD).with_optimistic_update(|store: &mut LocalStore<'_>, a: &AddArgs| {
            insert_at_top(store, &PAGED, &NoArgs {}, &a.value).unwrap();
        });
    let onclick = Callback::from(move |_| {
        let done = add.call(&AddArgs { value: 4242.0 });
        wasm_bindgen_futures::spawn_local(async move { done.await.unwrap() });
    });
    html! {
        <div>
            <span class="status">{ format!("{:?}", feed.status) }</span>
            <span class="items">{ format!("{:?}", feed.results) }</span>
            <button class="more" onclick={feed.load_more_callback(3)}>{ "more" }</button>
            <button class="all" onclick={feed.load_more_callback(1_000_000)}>{ "all" }</button>
            <button class="add" {onclick}>{ "add" }</button>
        </div>
    }
}

fn items(root: &web_sys::Element) -> Vec<f64> {
    serde_json::from_str(&text(root, ".items")).unwrap_or_default()
}

#[wasm_bindgen_test]
async fn use_paginated_query_loads_pages_grows_in_place_and_takes_optimistic_inserts() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    common::add_numbers(&client, 7).await;
    let all = client
        .query(&LIST, &ListArgs { count: 1_000_000 })
        .await
        .unwrap()
        .numbers;
    let newest = |n: usize, all: &[f64]| all.iter().rev().take(n).copied().collect::<Vec<_>>();
    let root = common::fresh_root();
    #[component]
    fn FeedRoot(props: &FeedProps) -> Html {
        html! { <ConvexProvider client={props.client.clone()}><Feed client={props.client.clone()} renders={props.renders.clone()} /></ConvexProvider> }
    }
    yew::Renderer::<FeedRoot>::with_root_and_props(
        root.clone(),
        FeedProps {
            client: client.clone(),
            renders: Rc::default(),
        },
    )
    .render();
    common::wait_until(|| text(&root, ".status") == "CanLoadMore").await;
    assert_eq!(items(&root), newest(3, &all));

    common::query(&root, ".more").unwrap().click();
    common::wait_until(|| items(&root).len() == 6).await;
    assert_eq!(items(&root), newest(6, &all));
    assert_eq!(text(&root, ".status"), "CanLoadMore");

    // Slow the server so the optimistic insert is seen first, then the page grows in place.
    common::post("/_test/mutation_delay", json!({"ms": 500})).await;
    common::query(&root, ".add").unwrap().click();
    common::sleep_ms(100).await;
    let optimistic = items(&root);
    assert_eq!(optimistic.first(), Some(&4242.0), "{optimistic:?}");
    assert_eq!(&optimistic[1..], &newest(6, &all)[..]);
    common::post("/_test/mutation_delay", json!({"ms": 0})).await;
    common::sleep_ms(800).await;
    let now = client
        .query(&LIST, &ListArgs { count: 1_000_000 })
        .await
        .unwrap()
        .numbers;
    common::wait_until(|| items(&root) == newest(7, &now)).await;
    assert_eq!(text(&root, ".status"), "CanLoadMore");
    assert_eq!(client.connection_state().subscribed_queries, 2);

    // Four more at the top: the first page (pinned end, 3 asked for) holds 8 > 2 x 3 items
    // and is split in two; the view does not change while it happens.
    common::add_numbers(&client, 4).await;
    let now = client
        .query(&LIST, &ListArgs { count: 1_000_000 })
        .await
        .unwrap()
        .numbers;
    common::wait_until(|| {
        items(&root) == newest(11, &now) && client.connection_state().subscribed_queries == 3
    })
    .await;
    assert_eq!(text(&root, ".status"), "CanLoadMore");

    common::query(&root, ".all").unwrap().click();
    common::wait_until(|| text(&root, ".status") == "Exhausted").await;
    let now = client
        .query(&LIST, &ListArgs { count: 1_000_000 })
        .await
        .unwrap()
        .numbers;
    assert_eq!(items(&root).len(), now.len());
    client.close();
}

#[derive(Serialize, Clone, PartialEq)]
struct Tagged {
    tag: String,
}
/// The dev backend's paginated list ignores arguments besides `paginationOpts`, so a new tag
/// gives the same items from a fresh set of page queries.
const PAGED_TAGGED: PaginatedQuery<Tagged, f64> =
    PaginatedQuery::new("myFunctions:listNumbersPaginated");

#[derive(Properties, PartialEq)]
struct TaggedProps {
    client: ConvexClient,
    tag: String,
}

#[component]
fn TaggedFeed(props: &TaggedProps) -> Html {
    let feed = use_paginated_query(
        &PAGED_TAGGED,
        Some(Tagged {
            tag: props.tag.clone(),
        }),
        2,
    );
    html! {
        <div>
            <span class="status">{ format!("{:?}", feed.status) }</span>
            <span class="items">{ format!("{:?}", feed.results) }</span>
            <button class="more" onclick={feed.load_more_callback(2)}>{ "more" }</button>
        </div>
    }
}

#[component]
fn TaggedRoot(props: &TaggedProps) -> Html {
    html! { <ConvexProvider client={props.client.clone()}><TaggedFeed client={props.client.clone()} tag={props.tag.clone()} /></ConvexProvider> }
}

#[wasm_bindgen_test]
async fn new_arguments_start_the_pages_over() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    common::add_numbers(&client, 5).await;
    let root = common::fresh_root();
    let props = |tag: &str| TaggedProps {
        client: client.clone(),
        tag: tag.into(),
    };
    let mut handle =
        yew::Renderer::<TaggedRoot>::with_root_and_props(root.clone(), props("a")).render();
    common::wait_until(|| items(&root).len() == 2).await;
    common::query(&root, ".more").unwrap().click();
    common::wait_until(|| items(&root).len() == 4).await;
    assert_eq!(client.connection_state().subscribed_queries, 2);

    handle.update(props("b"));
    // One first page again, for the new arguments; the old pages are unsubscribed.
    common::wait_until(|| {
        items(&root).len() == 2 && client.connection_state().subscribed_queries == 1
    })
    .await;
    assert_eq!(text(&root, ".status"), "CanLoadMore");
    handle.destroy();
    common::settle().await;
    assert_eq!(client.connection_state().subscribed_queries, 0);
    client.close();
}

/// The list holds numbers; read as strings, every page fails to decode.
const PAGED_AS_TEXT: PaginatedQuery<NoArgs, String> =
    PaginatedQuery::new("myFunctions:listNumbersPaginated");

#[derive(Properties, PartialEq)]
struct UndecodableProps {
    /// Bumped by the test: re-renders the component with the same query.
    tick: u32,
}

#[component]
fn Undecodable(props: &UndecodableProps) -> Html {
    let feed = use_paginated_query(&PAGED_AS_TEXT, Some(NoArgs {}), 3);
    html! {
        <div>
            <span class="tick">{ props.tick }</span>
            <span class="error">{ feed.error.as_ref().map(|e| convex_yew::report(e)).unwrap_or_default() }</span>
            <span class="count">{ feed.results.len() }</span>
        </div>
    }
}

/// Items that do not decode into the hook's type are an error on every render until they
/// change, not for one render only (after which the list looked valid and empty).
#[wasm_bindgen_test]
async fn an_undecodable_page_stays_an_error_across_renders() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    client
        .mutation(&ADD, &AddArgs { value: 1.0 })
        .await
        .unwrap();
    let root = common::fresh_root();
    #[derive(Properties, PartialEq)]
    struct HostProps {
        client: ConvexClient,
        tick: u32,
    }
    #[component]
    fn Host(props: &HostProps) -> Html {
        html! { <ConvexProvider client={props.client.clone()}><Undecodable tick={props.tick} /></ConvexProvider> }
    }
    let mut handle = yew::Renderer::<Host>::with_root_and_props(
        root.clone(),
        HostProps {
            client: client.clone(),
            tick: 0,
        },
    )
    .render();
    common::wait_until(|| !text(&root, ".error").is_empty()).await;
    assert!(
        text(&root, ".error").contains("decode"),
        "{}",
        text(&root, ".error")
    );
    for tick in 1..4 {
        handle.update(HostProps {
            client: client.clone(),
            tick,
        });
        common::settle().await;
        assert_eq!(text(&root, ".tick"), tick.to_string());
        assert!(
            !text(&root, ".error").is_empty(),
            "render {tick}: the decode error went away and the list looks valid"
        );
        assert_eq!(text(&root, ".count"), "0");
    }
    handle.destroy();
    client.close();
}
