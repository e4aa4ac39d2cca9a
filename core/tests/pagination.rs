//! The paginator's page bookkeeping (load more, the four statuses, splits, reset on an invalid
//! cursor, errors), the journals the query set carries, and the optimistic helpers, natively.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::collections::BTreeMap;

use convex_yew_core::pagination::optimistic::{
    insert_at_bottom_if_loaded_raw, insert_at_position_raw, insert_at_top_raw, update_in_place_raw,
    SortOrder,
};
use convex_yew_core::pagination::{PaginationError, PaginationStatus, Paginator};
use convex_yew_core::protocol::{ClientMessage, QuerySetModification, StateModification};
use convex_yew_core::sync::{LocalStore, QueryResult};
use convex_yew_core::value::Object;
use convex_yew_core::value::Value;
use serde_json::json;
use support::*;

fn v(j: serde_json::Value) -> Value {
    Value::from_json(&j).unwrap()
}

fn page(items: &[i64], done: bool, cont: &str) -> QueryResult {
    QueryResult::from(v(
        json!({"page": items, "isDone": done, "continueCursor": cont}),
    ))
}

fn opts(args: &Object) -> serde_json::Value {
    args["paginationOpts"].to_json()
}

fn nums(items: &[Value]) -> Vec<f64> {
    items.iter().map(|i| i.as_f64().unwrap()).collect()
}

/// Results by the page query's `paginationOpts` (cursor, endCursor).
struct Results(BTreeMap<(Option<String>, Option<String>), QueryResult>);

impl Results {
    fn new() -> Results {
        Results(BTreeMap::new())
    }
    fn key(args: &Object) -> (Option<String>, Option<String>) {
        let o = args["paginationOpts"].as_object().unwrap();
        let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
        (s("cursor"), s("endCursor"))
    }
    fn set(&mut self, cursor: Option<&str>, end: Option<&str>, r: QueryResult) {
        self.0
            .insert((cursor.map(Into::into), end.map(Into::into)), r);
    }
    fn get(&self, args: &Object) -> Option<&QueryResult> {
        self.0.get(&Self::key(args))
    }
}

fn paginator() -> Paginator {
    let mut base = Object::new();
    base.insert("channel".into(), Value::String("general".into()));
    Paginator::new("numbers.js:page", base, 2, 7)
}

#[test]
fn pages_load_one_after_another_through_the_four_statuses() {
    let mut p = paginator();
    let mut results = Results::new();
    assert_eq!(p.path(), "numbers:page");
    let first = p.queries();
    assert_eq!(first.len(), 1);
    assert_eq!(
        opts(&first[0]),
        json!({"numItems": 2, "cursor": null, "id": 7})
    );
    assert_eq!(first[0]["channel"], Value::String("general".into()));

    let view = p.ingest(|a| results.get(a), || unreachable!());
    assert_eq!(view.status, PaginationStatus::LoadingFirstPage);
    assert!(!p.load_more(5), "nothing to load more from yet");

    results.set(None, None, page(&[9, 8], false, "c8"));
    let view = p.ingest(|a| results.get(a), || unreachable!());
    assert_eq!(view.status, PaginationStatus::CanLoadMore);
    assert_eq!(nums(&view.items), vec![9.0, 8.0]);

    assert!(p.load_more(3));
    assert!(
        !p.load_more(3),
        "one load per CanLoadMore, as loadMore does"
    );
    let qs = p.queries();
    assert_eq!(qs.len(), 2);
    assert_eq!(
        opts(&qs[1]),
        json!({"numItems": 3, "cursor": "c8", "id": 7})
    );

    let view = p.ingest(|a| results.get(a), || unreachable!());
    assert_eq!(view.status, PaginationStatus::LoadingMore);
    assert_eq!(nums(&view.items), vec![9.0, 8.0], "loaded pages stay shown");

    results.set(Some("c8"), None, page(&[7, 6], true, "c6"));
    let view = p.ingest(|a| results.get(a), || unreachable!());
    assert_eq!(view.status, PaginationStatus::Exhausted);
    assert_eq!(nums(&view.items), vec![9.0, 8.0, 7.0, 6.0]);
    assert!(!p.load_more(3));
}

#[test]
fn a_grown_page_is_split_and_stays_shown_until_both_halves_load() {
    let mut p = paginator();
    let mut results = Results::new();
    results.set(None, None, page(&[9, 8], false, "c8"));
    p.ingest(|a| results.get(a), || unreachable!());
    // Three items arrived at the top: page 0 (pinned to end at c8) has grown to 5 > 2 * 2.
    results.set(
        None,
        None,
        QueryResult::from(v(json!({
            "page": [12, 11, 10, 9, 8], "isDone": false, "continueCursor": "c8",
            "splitCursor": "c10", "pageStatus": null
        }))),
    );
    let view = p.ingest(|a| results.get(a), || unreachable!());
    assert!(view.queries_changed);
    assert_eq!(nums(&view.items), vec![12.0, 11.0, 10.0, 9.0, 8.0]);
    let qs = p.queries();
    assert_eq!(qs.len(), 3, "the old page and its two halves");
    assert_eq!(
        opts(&qs[1]),
        json!({"numItems": 2, "cursor": null, "endCursor": "c10", "id": 7})
    );
    assert_eq!(
        opts(&qs[2]),
        json!({"numItems": 2, "cursor": "c10", "endCursor": "c8", "id": 7})
    );

    // One half loaded: nothing moves yet.
    results.set(None, Some("c10"), page(&[12, 11, 10], false, "c10"));
    let view = p.ingest(|a| results.get(a), || unreachable!());
    assert!(!view.queries_changed);
    assert_eq!(p.queries().len(), 3);

    results.set(Some("c10"), Some("c8"), page(&[9, 8], false, "c8"));
    let view = p.ingest(|a| results.get(a), || unreachable!());
    assert!(view.queries_changed, "the split completes");
    assert_eq!(p.queries().len(), 2);
    let view2 = p.ingest(|a| results.get(a), || unreachable!());
    assert_eq!(nums(&view2.items), vec![12.0, 11.0, 10.0, 9.0, 8.0]);
    assert_eq!(view2.status, PaginationStatus::CanLoadMore);
    assert!(!view2.queries_changed);
    let _ = view;
}

#[test]
fn a_page_that_must_be_split_shows_as_loading() {
    let mut p = paginator();
    let mut results = Results::new();
    results.set(
        None,
        None,
        QueryResult::from(v(json!({
            "page": [3], "isDone": false, "continueCursor": "c3",
            "splitCursor": "c4", "pageStatus": "SplitRequired"
        }))),
    );
    let view = p.ingest(|a| results.get(a), || unreachable!());
    assert_eq!(view.status, PaginationStatus::LoadingMore);
    assert!(view.items.is_empty());
    assert!(view.queries_changed);
    assert_eq!(p.queries().len(), 3);
}

#[test]
fn an_invalid_cursor_starts_over_with_a_new_id() {
    let mut p = paginator();
    let mut results = Results::new();
    results.set(None, None, page(&[9, 8], false, "c8"));
    p.ingest(|a| results.get(a), || unreachable!());
    p.load_more(2);
    results.set(
        Some("c8"),
        None,
        QueryResult::Error {
            message: "Uncaught Error: InvalidCursor: the cursor is stale".into(),
            data: None,
        },
    );
    let view = p.ingest(|a| results.get(a), || 8);
    assert_eq!(view.status, PaginationStatus::LoadingFirstPage);
    assert!(view.queries_changed);
    let qs = p.queries();
    assert_eq!(qs.len(), 1);
    assert_eq!(
        opts(&qs[0]),
        json!({"numItems": 2, "cursor": null, "id": 8})
    );

    // The ConvexError form of the same error.
    let mut p = paginator();
    let err = QueryResult::Error {
        message: "system error".into(),
        data: Some(v(
            json!({"isConvexSystemError": true, "paginationError": "InvalidCursor"}),
        )),
    };
    let view = p.ingest(|_| Some(&err), || 9);
    assert_eq!(opts(&p.queries()[0])["id"], json!(9));
    assert_eq!(view.error, None);
}

#[test]
fn a_failing_page_is_an_error_and_a_malformed_one_too() {
    let mut p = paginator();
    let mut results = Results::new();
    results.set(None, None, page(&[9, 8], false, "c8"));
    p.ingest(|a| results.get(a), || unreachable!());
    p.load_more(2);
    results.set(
        Some("c8"),
        None,
        QueryResult::Error {
            message: "Uncaught Error: boom".into(),
            data: None,
        },
    );
    let view = p.ingest(|a| results.get(a), || unreachable!());
    assert_eq!(nums(&view.items), vec![9.0, 8.0]);
    assert!(
        matches!(view.error, Some(PaginationError::Function { ref message, .. }) if message.contains("boom"))
    );

    for bad in [
        json!([1, 2]),
        json!({"page": 1, "isDone": true, "continueCursor": "x"}),
        json!({"page": [], "isDone": "yes", "continueCursor": "x"}),
        json!({"page": [], "isDone": true}),
        json!({"page": [], "isDone": true, "continueCursor": "x", "splitCursor": 5}),
    ] {
        let mut p = paginator();
        let r = QueryResult::from(v(bad.clone()));
        let view = p.ingest(|_| Some(&r), || 1);
        assert!(
            matches!(view.error, Some(PaginationError::MalformedPage(_))),
            "{bad}: {view:?}"
        );
    }
}

#[test]
fn the_query_set_carries_journals_and_resends_them_after_a_reconnect() {
    let mut net = Net::connected();
    let q = net.client.subscribe("numbers:page", &args(json!({"n": 1})));
    net.take_sent();
    let t = net.transition(
        2,
        0,
        10,
        vec![StateModification::QueryUpdated {
            query_id: q.0,
            value: json!({"page": [], "isDone": true, "continueCursor": "c"}),
            log_lines: vec![],
            journal: Some("{\"end\":\"c8\"}".into()),
        }],
    );
    net.deliver(t);
    net.server_close(1006, "network");
    net.advance(5_000);
    net.open();
    let sent = net.take_sent();
    let journal = sent.iter().find_map(|m| match m {
        ClientMessage::ModifyQuerySet { modifications, .. } => {
            modifications.iter().find_map(|m| match m {
                QuerySetModification::Add { journal, .. } => Some(journal.clone()),
                _ => None,
            })
        }
        _ => None,
    });
    assert_eq!(journal, Some(Some("{\"end\":\"c8\"}".into())));
}

fn store_with_pages() -> (Net, Vec<convex_yew_core::sync::QueryId>) {
    store_with_pages_in([0, 1, 2])
}

/// The three pages of [`store_with_pages`], subscribed in the given order; the ids come back
/// in the pages' order (first, second, other) whatever the subscription order.
fn store_with_pages_in(order: [usize; 3]) -> (Net, Vec<convex_yew_core::sync::QueryId>) {
    let mut net = Net::connected();
    let first =
        args(json!({"channel": "a", "paginationOpts": {"numItems": 2, "cursor": null, "id": 1}}));
    let second =
        args(json!({"channel": "a", "paginationOpts": {"numItems": 2, "cursor": "c8", "id": 1}}));
    let other =
        args(json!({"channel": "b", "paginationOpts": {"numItems": 2, "cursor": null, "id": 2}}));
    let pages = [first, second, other];
    let mut ids = vec![None; 3];
    for i in order {
        ids[i] = Some(net.client.subscribe("numbers:page", &pages[i]));
    }
    let ids: Vec<_> = ids.into_iter().map(Option::unwrap).collect();
    net.take_sent();
    let t = net.transition(
        4,
        0,
        10,
        vec![
            updated(
                ids[0].0,
                json!({"page": [9, 8], "isDone": false, "continueCursor": "c8"}),
            ),
            updated(
                ids[1].0,
                json!({"page": [7], "isDone": true, "continueCursor": "c7"}),
            ),
            updated(
                ids[2].0,
                json!({"page": [1], "isDone": false, "continueCursor": "c1"}),
            ),
        ],
    );
    net.deliver(t);
    (net, ids)
}

fn page_items(net: &Net, id: convex_yew_core::sync::QueryId) -> Vec<f64> {
    match net.client.query_result(id) {
        Some(r @ QueryResult::Value(_)) => nums(
            r.value().unwrap().as_object().unwrap()["page"]
                .as_array()
                .unwrap(),
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn optimistic_helpers_insert_at_top_at_bottom_and_update_in_place() {
    let (mut net, ids) = store_with_pages();
    let now = net.now;
    net.client.mutation_with_optimistic_update(
        "numbers:add",
        &Object::new(),
        now,
        Box::new(|store: &mut LocalStore<'_>| {
            let a = args(json!({"channel": "a"}));
            insert_at_top_raw(store, "numbers:page", &a, Value::Float64(10.0));
            insert_at_bottom_if_loaded_raw(store, "numbers:page", &a, Value::Float64(0.0));
            update_in_place_raw(store, "numbers:page", &a, |item| {
                Value::Float64(item.as_f64().unwrap_or(0.0) * 10.0)
            });
        }),
    );
    assert_eq!(
        page_items(&net, ids[0]),
        vec![100.0, 90.0, 80.0],
        "top of the first page"
    );
    assert_eq!(
        page_items(&net, ids[1]),
        vec![70.0, 0.0],
        "bottom of the loaded last page"
    );
    assert_eq!(
        page_items(&net, ids[2]),
        vec![1.0],
        "another channel is left alone"
    );
}

/// Issue 22: an optimistic insert lands where the server will put it: in the page whose key
/// range holds it, at its sorted position; before the first page only when that page is the
/// view's first, after the last only when the last is loaded.
#[test]
fn insert_at_position_puts_items_where_the_index_will() {
    let (mut net, ids) = store_with_pages();
    let now = net.now;
    net.client.mutation_with_optimistic_update(
        "numbers:add",
        &Object::new(),
        now,
        Box::new(|store: &mut LocalStore<'_>| {
            let a = args(json!({"channel": "a"}));
            let b = args(json!({"channel": "b"}));
            let key = |v: &Value| v.clone();
            // Channel a runs newest (largest) first: [9, 8] then [7] (done).
            for x in [10.0, 8.5, 7.5, 3.0] {
                insert_at_position_raw(
                    store,
                    "numbers:page",
                    &a,
                    SortOrder::Desc,
                    key,
                    Value::Float64(x),
                );
            }
            // Channel b read as ascending: [1], not done.
            for x in [0.0, 5.0] {
                insert_at_position_raw(
                    store,
                    "numbers:page",
                    &b,
                    SortOrder::Asc,
                    key,
                    Value::Float64(x),
                );
            }
        }),
    );
    assert_eq!(page_items(&net, ids[0]), vec![10.0, 9.0, 8.5, 8.0, 7.5]);
    assert_eq!(
        page_items(&net, ids[1]),
        vec![7.0, 3.0],
        "after the last, loaded page"
    );
    assert_eq!(
        page_items(&net, ids[2]),
        vec![0.0, 1.0],
        "5 comes after a page that is not the last: it waits for the server"
    );
}

/// The pages of a view reach the helper in the store's order, not the index's: the later page
/// subscribed first must still be sorted after the first page.
#[test]
fn insert_at_position_sorts_pages_subscribed_out_of_order() {
    let (mut net, ids) = store_with_pages_in([2, 1, 0]);
    let now = net.now;
    net.client.mutation_with_optimistic_update(
        "numbers:add",
        &Object::new(),
        now,
        Box::new(|store: &mut LocalStore<'_>| {
            let a = args(json!({"channel": "a"}));
            for x in [10.0, 7.5, 3.0] {
                insert_at_position_raw(
                    store,
                    "numbers:page",
                    &a,
                    SortOrder::Desc,
                    |v: &Value| v.clone(),
                    Value::Float64(x),
                );
            }
        }),
    );
    assert_eq!(page_items(&net, ids[0]), vec![10.0, 9.0, 8.0, 7.5]);
    assert_eq!(page_items(&net, ids[1]), vec![7.0, 3.0]);
}

mod random {
    //! The paginator under random page results (good pages, grown pages, split hints, errors,
    //! invalid cursors, malformed values, results that vanish) and load-more calls: it never
    //! panics, always wants at least one page query, shows at most the pages it asked for, and
    //! every page query carries the view's arguments and a `paginationOpts`.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Answer {
        Missing,
        Page {
            len: usize,
            done: bool,
            split: bool,
            status: u8,
        },
        Error {
            invalid_cursor: bool,
        },
        Malformed,
    }

    fn answer() -> impl Strategy<Value = Answer> {
        prop_oneof![
            2 => Just(Answer::Missing),
            6 => (0usize..12, any::<bool>(), any::<bool>(), 0u8..3)
                .prop_map(|(len, done, split, status)| Answer::Page { len, done, split, status }),
            1 => any::<bool>().prop_map(|invalid_cursor| Answer::Error { invalid_cursor }),
            1 => Just(Answer::Malformed),
        ]
    }

    fn result_of(a: &Answer, salt: usize) -> Option<QueryResult> {
        Some(match a {
            Answer::Missing => return None,
            Answer::Page {
                len,
                done,
                split,
                status,
            } => {
                let items: Vec<i64> = (0..*len as i64).collect();
                let mut page =
                    json!({"page": items, "isDone": done, "continueCursor": format!("c{salt}")});
                if *split {
                    page["splitCursor"] = json!(format!("s{salt}"));
                }
                page["pageStatus"] = match status {
                    0 => json!(null),
                    1 => json!("SplitRecommended"),
                    _ => json!("SplitRequired"),
                };
                QueryResult::from(v(page))
            }
            Answer::Error { invalid_cursor } => QueryResult::Error {
                message: if *invalid_cursor {
                    "InvalidCursor".into()
                } else {
                    "boom".into()
                },
                data: None,
            },
            Answer::Malformed => QueryResult::from(v(json!({"page": "nope"}))),
        })
    }

    proptest! {
        #[test]
        fn the_paginator_holds_its_shape_under_any_results(
            steps in prop::collection::vec((prop::collection::vec(answer(), 1..8), prop::option::of(0u32..20)), 1..40)
        ) {
            let mut p = paginator();
            let mut next_id = 100;
            for (answers, more) in steps {
                let keyed: Vec<(u32, Object)> = p.keyed_queries().map(|(k, a)| (k, a.clone())).collect();
                let results: Vec<(Object, Option<QueryResult>)> = keyed
                    .iter()
                    .enumerate()
                    .map(|(i, (k, a))| (a.clone(), result_of(&answers[i % answers.len()], *k as usize)))
                    .collect();
                let view = p.ingest(
                    |a| results.iter().find(|(b, _)| b == a).and_then(|(_, r)| r.as_ref()),
                    || { next_id += 1; next_id },
                );
                let queries = p.queries();
                prop_assert!(!queries.is_empty(), "no page query left");
                for q in &queries {
                    prop_assert_eq!(&q["channel"], &Value::String("general".into()));
                    prop_assert!(q["paginationOpts"].as_object().is_some());
                }
                if view.status == PaginationStatus::LoadingFirstPage {
                    prop_assert!(view.items.is_empty() || view.error.is_some());
                }
                if let Some(n) = more {
                    let could = view.status == PaginationStatus::CanLoadMore;
                    let before = p.queries().len();
                    let loaded = p.load_more(n);
                    prop_assert!(loaded == could, "load_more {} while {:?}", loaded, view.status);
                    prop_assert_eq!(p.queries().len(), before + usize::from(loaded));
                }
            }
        }
    }
}
