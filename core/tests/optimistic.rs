//! Optimistic updates against a simulated server: applied at once, replayed in call order over
//! every Transition, dropped with the Transition that makes the mutation visible, rolled back on
//! failure, kept across a reconnect.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use convex_yew_core::protocol::udf_path::Query;
use convex_yew_core::protocol::{ClientMessage, ServerMessage, Ts};
use convex_yew_core::sync::{
    Event, FunctionError, LocalStore, OptimisticUpdate, QueryId, QueryResult, RequestId,
};
use convex_yew_core::value::Value;
use serde_json::json;
use support::*;

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct ListArgs {
    count: u32,
}
const LIST: Query<ListArgs, Vec<f64>> = Query::new("numbers:list");

/// Appends `value` to the list query with `count: 10`, as a typed update.
fn append(value: f64) -> OptimisticUpdate {
    Box::new(move |store: &mut LocalStore<'_>| {
        let args = ListArgs { count: 10 };
        if let Some(mut list) = store.get_query(&LIST, &args) {
            list.push(value);
            store.set_query(&LIST, &args, Some(&list)).unwrap();
        }
    })
}

fn numbers(net: &Net, q: QueryId) -> Option<Vec<f64>> {
    let result = net.client.query_result(q)?;
    match result.value() {
        Some(Value::Array(items)) => Some(items.iter().map(|v| v.as_f64().unwrap()).collect()),
        _ => panic!("unexpected {result:?}"),
    }
}

fn updated_ids(events: &[Event]) -> Vec<QueryId> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::QueriesUpdated(ids) => Some(ids.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// A connected client with the list subscribed and loaded with `[1, 2]` at ts 10.
fn loaded() -> (Net, QueryId) {
    let mut net = Net::connected();
    let q = net
        .client
        .subscribe("numbers:list", &args(json!({"count": 10})));
    net.take_sent();
    let t = net.transition(2, 0, 10, vec![updated(q.0, json!([1, 2]))]);
    net.deliver(t);
    net.take_events();
    (net, q)
}

fn add(net: &mut Net, value: f64) -> RequestId {
    let now = net.now;
    let id = net.client.mutation_with_optimistic_update(
        "numbers:add",
        &args(json!({ "value": value })),
        now,
        append(value),
    );
    net.pump();
    id
}

fn committed(net: &mut Net, id: RequestId, ts: u64) {
    net.deliver(ServerMessage::MutationResponse {
        request_id: id.0,
        success: true,
        result: json!(null),
        ts: Some(Ts(ts)),
        log_lines: vec![],
        error_data: None,
    });
}

fn failed(net: &mut Net, id: RequestId) {
    net.deliver(ServerMessage::MutationResponse {
        request_id: id.0,
        success: false,
        result: json!("Uncaught Error: no"),
        ts: None,
        log_lines: vec![],
        error_data: None,
    });
}

#[test]
fn an_update_shows_at_once_and_goes_with_the_transition_that_contains_the_write() {
    let (mut net, q) = loaded();
    let m = add(&mut net, 3.0);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0, 3.0]));
    assert_eq!(updated_ids(&net.take_events()), vec![q]);
    assert_eq!(
        net.client.server_result(q),
        Some(&QueryResult::from(Value::Array(vec![
            Value::Float64(1.0),
            Value::Float64(2.0)
        ]))),
        "the server's own result is kept apart"
    );

    // The response alone changes nothing: the write is not visible yet.
    committed(&mut net, m, 20);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0, 3.0]));
    let events = net.take_events();
    assert!(updated_ids(&events).is_empty(), "{events:?}");

    // An unrelated Transition before the commit: the update is replayed over it.
    let t = net.transition(2, 0, 15, vec![updated(q.0, json!([1, 2, 7]))]);
    net.deliver(t);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0, 7.0, 3.0]));
    assert_eq!(updated_ids(&net.take_events()), vec![q]);

    // The Transition that reaches the commit: the server's result replaces the update, and
    // the mutation settles after the query changed, in the same step.
    let t = net.transition(2, 0, 20, vec![updated(q.0, json!([1, 2, 7, 3]))]);
    net.deliver(t);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0, 7.0, 3.0]));
    let events = net.take_events();
    let settled = events
        .iter()
        .position(
            |e| matches!(e, Event::MutationSettled { request, result: Ok(_) } if *request == m),
        )
        .expect("settled");
    // Same visible value before and after: no re-render is asked for.
    assert!(updated_ids(&events[..settled]).is_empty(), "{events:?}");
}

#[test]
fn a_failed_mutation_is_rolled_back_before_its_failure_is_reported() {
    let (mut net, q) = loaded();
    let m = add(&mut net, 3.0);
    net.take_events();
    failed(&mut net, m);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0]));
    let events = net.take_events();
    let rolled_back = events
        .iter()
        .position(|e| matches!(e, Event::QueriesUpdated(ids) if ids == &vec![q]))
        .expect("the rollback is reported");
    let settled = events
        .iter()
        .position(|e| {
            matches!(e, Event::MutationSettled { request, result: Err(FunctionError::Failed { .. }) } if *request == m)
        })
        .expect("the failure is reported");
    assert!(rolled_back < settled, "{events:?}");
}

#[test]
fn two_overlapping_updates_apply_in_call_order_and_leave_one_at_a_time() {
    let (mut net, q) = loaded();
    let a = add(&mut net, 3.0);
    let b = add(&mut net, 4.0);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0, 3.0, 4.0]));
    committed(&mut net, a, 20);
    committed(&mut net, b, 21);
    net.take_events();

    // The first commit becomes visible: its update goes, the second is replayed over the
    // server's result, which already holds 3.
    let t = net.transition(2, 0, 20, vec![updated(q.0, json!([1, 2, 3]))]);
    net.deliver(t);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0, 3.0, 4.0]));
    let events = net.take_events();
    assert!(
        updated_ids(&events).is_empty(),
        "no visible change: {events:?}"
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::MutationSettled { request, .. } if *request == a)));

    let t = net.transition(2, 0, 21, vec![updated(q.0, json!([1, 2, 3, 4]))]);
    net.deliver(t);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0, 3.0, 4.0]));
    assert!(net
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::MutationSettled { request, .. } if *request == b)));
}

#[test]
fn the_first_of_two_failing_keeps_the_second() {
    let (mut net, q) = loaded();
    let a = add(&mut net, 3.0);
    let _b = add(&mut net, 4.0);
    failed(&mut net, a);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0, 4.0]));
}

#[test]
fn an_update_survives_a_reconnect_and_goes_once_the_resent_mutation_is_visible() {
    let (mut net, q) = loaded();
    let m = add(&mut net, 3.0);
    net.take_sent();
    net.server_close(1006, "network");
    assert_eq!(
        numbers(&net, q),
        Some(vec![1.0, 2.0, 3.0]),
        "kept while offline"
    );
    net.advance(5_000);
    net.open();
    let sent = net.take_sent();
    assert!(
        sent.iter()
            .any(|f| matches!(f, ClientMessage::Mutation { request_id, .. } if *request_id == m.0)),
        "re-sent: {sent:?}"
    );
    // The new socket's first Transition re-delivers the old result: the update stays on top.
    let t = net.transition(1, 0, 10, vec![updated(q.0, json!([1, 2]))]);
    net.deliver(t);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0, 3.0]));
    committed(&mut net, m, 30);
    let t = net.transition(1, 0, 30, vec![updated(q.0, json!([1, 2, 3]))]);
    net.deliver(t);
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0, 3.0]));
    assert!(net
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::MutationSettled { request, result: Ok(_) } if *request == m)));
}

#[test]
fn setting_none_shows_loading_and_a_later_subscription_sees_the_update() {
    let (mut net, q) = loaded();
    let now = net.now;
    net.client.mutation_with_optimistic_update(
        "numbers:add",
        &args(json!({"value": 1})),
        now,
        Box::new(|store: &mut LocalStore<'_>| {
            store.set("numbers:list", &args(json!({"count": 10})), None);
            store.set(
                "numbers:list",
                &args(json!({"count": 99})),
                Some(Value::Array(vec![Value::Float64(9.0)])),
            );
        }),
    );
    net.pump();
    assert_eq!(net.client.query_result(q), None, "loading");
    let later = net
        .client
        .subscribe("numbers:list", &args(json!({"count": 99})));
    assert_eq!(numbers(&net, later), Some(vec![9.0]));
}

/// Subscribes the list with `count: 3` and delivers `[5]` for it.
fn count_three_holds_five(net: &mut Net) {
    let three = net
        .client
        .subscribe("numbers:list", &args(json!({"count": 3})));
    let t = net.transition(4, 0, 11, vec![updated(three.0, json!([5]))]);
    net.take_sent();
    net.deliver(t);
}

#[test]
fn get_all_queries_lists_every_subscription_of_a_function() {
    let (mut net, _q) = loaded();
    let _unrelated = net
        .client
        .subscribe("numbers:other", &args(json!({"count": 3})));
    count_three_holds_five(&mut net);
    let now = net.now;
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let record = seen.clone();
    net.client.mutation_with_optimistic_update(
        "numbers:add",
        &args(json!({"value": 1})),
        now,
        Box::new(move |store: &mut LocalStore<'_>| {
            *record.borrow_mut() = store.get_all_queries(&LIST);
        }),
    );
    let mut seen = seen.take();
    seen.sort_by_key(|(a, _)| a.count);
    assert_eq!(
        seen,
        vec![
            (ListArgs { count: 3 }, Some(vec![5.0])),
            (ListArgs { count: 10 }, Some(vec![1.0, 2.0]))
        ]
    );
}

/// `all` lists the subscribed queries and those only an update wrote in one order, the
/// queries' token order (path, then argument text), with what an update wrote in place of the
/// server's value: `{"count":10}` sorts before `{"count":1}` (`0` before `}`), then 3 and 5.
#[test]
fn all_lists_subscribed_and_written_queries_in_token_order() {
    let (mut net, _q) = loaded(); // count 10 holds [1, 2]
    count_three_holds_five(&mut net);
    let now = net.now;
    // Written, not subscribed: count 5 (after 3) and count 1 (before 10).
    for count in [5, 1] {
        net.client.mutation_with_optimistic_update(
            "numbers:add",
            &args(json!({"value": 1})),
            now,
            Box::new(move |store: &mut LocalStore<'_>| {
                let _ = store.set_query(&LIST, &ListArgs { count }, Some(&vec![f64::from(count)]));
            }),
        );
    }
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let record = seen.clone();
    net.client.mutation_with_optimistic_update(
        "numbers:add",
        &args(json!({"value": 1})),
        now,
        Box::new(move |store: &mut LocalStore<'_>| {
            // Over a subscribed query: its written value shows, in its place.
            let _ = store.set_query(&LIST, &ListArgs { count: 3 }, Some(&vec![33.0]));
            *record.borrow_mut() = store.get_all_queries(&LIST);
        }),
    );
    assert_eq!(
        seen.take(),
        vec![
            (ListArgs { count: 10 }, Some(vec![1.0, 2.0])),
            (ListArgs { count: 1 }, Some(vec![1.0])),
            (ListArgs { count: 3 }, Some(vec![33.0])),
            (ListArgs { count: 5 }, Some(vec![5.0])),
        ]
    );
}

/// Queries are listed with the arguments they were subscribed with, however deep (they are
/// kept as values, not read back from their wire text, whose reader stops at depth 127).
#[test]
fn queries_with_deep_arguments_are_listed_too() {
    let mut net = Net::connected();
    let mut deep = Value::Float64(1.0);
    for _ in 0..130 {
        deep = Value::Array(vec![deep]);
    }
    let deep_args: convex_yew_core::value::Object = [("x".to_string(), deep)].into_iter().collect();
    net.client.subscribe("numbers:deep", &deep_args);
    let now = net.now;
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let record = seen.clone();
    net.client.mutation_with_optimistic_update(
        "numbers:add",
        &args(json!({"value": 1})),
        now,
        Box::new(move |store: &mut LocalStore<'_>| {
            *record.borrow_mut() = store
                .all("numbers:deep")
                .into_iter()
                .map(|(a, _)| a)
                .collect();
        }),
    );
    assert_eq!(seen.take(), vec![deep_args]);
}

#[test]
fn invalid_arguments_apply_no_update() {
    let (mut net, q) = loaded();
    let now = net.now;
    let mut bad = args(json!({}));
    bad.insert("$bad".into(), Value::Null);
    net.client
        .mutation_with_optimistic_update("numbers:add", &bad, now, append(3.0));
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0]));
    assert!(updated_ids(&net.take_events()).is_empty());
}

#[test]
fn closing_the_client_rolls_every_update_back() {
    let (mut net, q) = loaded();
    add(&mut net, 3.0);
    net.client.close();
    net.pump();
    assert_eq!(numbers(&net, q), Some(vec![1.0, 2.0]));
}
