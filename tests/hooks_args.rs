//! Hooks never pair new arguments with old data (issue 22): every render of a component whose
//! arguments change is recorded, in headless Chromium against the dev backend, and each
//! recorded state must belong to the arguments of its own render.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use convex_yew::prelude::*;
use convex_yew::{ConvexClient, PaginatedQuery, Query};
use serde::{Deserialize, Serialize};
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
struct NoArgs {}

const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
const PAGED: PaginatedQuery<NoArgs, f64> = PaginatedQuery::new("myFunctions:listNumbersPaginated");

/// One render: the arguments it had, and what the hook showed.
#[derive(Debug, Clone, PartialEq)]
enum Shown {
    Loading,
    Skipped,
    Numbers(usize),
    Error(String),
}

fn shown(state: &QueryState<List>) -> Shown {
    match state {
        QueryState::Loading => Shown::Loading,
        QueryState::Skipped => Shown::Skipped,
        QueryState::Ok(l) => Shown::Numbers(l.numbers.len()),
        QueryState::Err(e) => Shown::Error(e.to_string()),
    }
}

type Renders = Rc<RefCell<Vec<(Option<u32>, Shown)>>>;

#[derive(Clone, Default)]
struct Log(Renders);
impl PartialEq for Log {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct Props {
    client: ConvexClient,
    count: Option<u32>,
    log: Log,
    /// Which hook: 0 `use_query`, 1 `use_queries`, 2 `use_paginated_query`.
    hook: u8,
}

#[component]
fn QueryProbe(props: &Props) -> Html {
    let state = use_query(&LIST, props.count.map(|count| ListArgs { count }));
    props.log.0.borrow_mut().push((props.count, shown(&state)));
    html! {}
}

#[component]
fn QueriesProbe(props: &Props) -> Html {
    let args: BTreeMap<u8, ListArgs> = props
        .count
        .map(|count| (0u8, ListArgs { count }))
        .into_iter()
        .collect();
    let states = use_queries(&LIST, args);
    let s = match states.get(&0) {
        Some(state) => shown(state),
        None => Shown::Skipped,
    };
    props.log.0.borrow_mut().push((props.count, s));
    html! {}
}

#[component]
fn PagedProbe(props: &Props) -> Html {
    let n = props.count.unwrap_or(1);
    let feed = use_paginated_query(&PAGED, props.count.map(|_| NoArgs {}), n);
    let s = match (props.count, feed.status) {
        (None, _) if feed.results.is_empty() => Shown::Skipped,
        (_, convex_yew::PaginationStatus::LoadingFirstPage) if feed.results.is_empty() => {
            Shown::Loading
        }
        _ => Shown::Numbers(feed.results.len()),
    };
    props.log.0.borrow_mut().push((props.count, s));
    html! {}
}

#[component]
fn Root(props: &Props) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            if props.hook == 0 {
                <QueryProbe client={props.client.clone()} count={props.count} log={props.log.clone()} hook={0} />
            } else if props.hook == 1 {
                <QueriesProbe client={props.client.clone()} count={props.count} log={props.log.clone()} hook={1} />
            } else {
                <PagedProbe client={props.client.clone()} count={props.count} log={props.log.clone()} hook={2} />
            }
        </ConvexProvider>
    }
}

/// Mounts the probe for `hook`, moves its arguments 1 → 3 → skipped → 2, and returns every
/// render.
async fn renders_through_argument_changes(hook: u8) -> Vec<(Option<u32>, Shown)> {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    common::add_numbers(&client, 3).await;
    let log = Log::default();
    let props = |count| Props {
        client: client.clone(),
        count,
        log: log.clone(),
        hook,
    };
    let last = |log: &Log| log.0.borrow().last().cloned();
    let mut handle =
        yew::Renderer::<Root>::with_root_and_props(common::fresh_root(), props(Some(1))).render();
    common::wait_until(|| matches!(last(&log), Some((Some(1), Shown::Numbers(_))))).await;
    for count in [Some(3), None, Some(2)] {
        handle.update(props(count));
        common::wait_until(
            || matches!(last(&log), Some((c, Shown::Numbers(_) | Shown::Skipped)) if c == count),
        )
        .await;
    }
    common::settle().await;
    handle.destroy();
    client.close();
    let renders = log.0.borrow().clone();
    renders
}

/// Every render's state belongs to its own arguments: no `count` paired with a list of
/// another length, a skipped render never shows data, and the first render after a change
/// already shows the new arguments' state (loading, or the list for them).
fn assert_consistent(renders: &[(Option<u32>, Shown)], exact_length: bool) {
    for (i, (count, shown)) in renders.iter().enumerate() {
        match (count, shown) {
            (None, Shown::Skipped) => {}
            (None, other) => panic!("render {i}: skipped, but shows {other:?}: {renders:?}"),
            (Some(_), Shown::Loading) => {}
            (Some(c), Shown::Numbers(n)) if exact_length => {
                assert_eq!(
                    *n, *c as usize,
                    "render {i} pairs {c} with {n} numbers: {renders:?}"
                )
            }
            (Some(c), Shown::Numbers(n)) => {
                assert!(
                    *n <= *c as usize,
                    "render {i}: a first page of {c} shows {n}: {renders:?}"
                )
            }
            (c, other) => panic!("render {i} ({c:?}): {other:?}: {renders:?}"),
        }
    }
}

/// Issue 22: `use_query` answered the first render after its arguments changed with the
/// previous arguments' result: `(3, Ok [1 number])`, then `(None, Ok [3 numbers])`.
#[wasm_bindgen_test]
async fn use_query_never_pairs_new_arguments_with_old_data() {
    let renders = renders_through_argument_changes(0).await;
    assert_consistent(&renders, true);
}

#[wasm_bindgen_test]
async fn use_queries_never_pairs_new_arguments_with_old_data() {
    let renders = renders_through_argument_changes(1).await;
    assert_consistent(&renders, true);
}

#[wasm_bindgen_test]
async fn use_paginated_query_never_pairs_new_arguments_with_old_data() {
    let renders = renders_through_argument_changes(2).await;
    assert_consistent(&renders, false);
}
