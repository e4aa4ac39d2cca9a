//! The client state machine against a simulated server, with a virtual clock.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use convex_yew_core::protocol::{
    ClientMessage, QuerySetModification, ServerMessage, StateModification, Ts,
};
use convex_yew_core::sync::{Event, FunctionError, LogSource, QueryResult, RequestId};
use convex_yew_core::time::Instant;
use convex_yew_core::value::Value;
use serde_json::json;
use support::*;

fn adds(msg: &ClientMessage) -> Vec<(u32, String)> {
    match msg {
        ClientMessage::ModifyQuerySet { modifications, .. } => modifications
            .iter()
            .filter_map(|m| match m {
                QuerySetModification::Add {
                    query_id, udf_path, ..
                } => Some((*query_id, udf_path.clone())),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}

#[test]
fn first_connection_sends_connect_then_the_query_set() {
    let mut net = Net::new();
    let q = net
        .client
        .subscribe("messages.js:list", &args(json!({"n": 1})));
    net.open();
    let sent = net.take_sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    match &sent[0] {
        ClientMessage::Connect {
            session_id,
            connection_count,
            last_close_reason,
            max_observed_timestamp,
            client_ts,
        } => {
            assert_eq!(session_id, SESSION);
            assert_eq!(*connection_count, 0);
            assert_eq!(last_close_reason.as_deref(), Some("InitialConnect"));
            assert_eq!(*max_observed_timestamp, None);
            assert_eq!(*client_ts, Some(T0));
        }
        other => panic!("expected Connect, got {other:?}"),
    }
    assert!(matches!(
        sent[1],
        ClientMessage::ModifyQuerySet {
            base_version: 0,
            new_version: 1,
            ..
        }
    ));
    assert_eq!(adds(&sent[1]), vec![(q.0, "messages:list".to_string())]);
    assert_eq!(net.client.query_result(q), None);
    let t = net.transition(1, 0, 5, vec![updated(q.0, json!([1, 2]))]);
    net.deliver(t);
    assert_eq!(
        net.client.query_result(q),
        Some(&QueryResult::from(Value::Array(vec![
            Value::Float64(1.0),
            Value::Float64(2.0)
        ])))
    );
    assert!(net.take_events().contains(&Event::QueriesUpdated(vec![q])));
}

#[test]
fn an_empty_query_set_is_still_sent_on_connect() {
    let mut net = Net::new();
    net.open();
    let sent = net.take_sent();
    assert!(
        matches!(&sent[1], ClientMessage::ModifyQuerySet { base_version: 0, new_version: 1, modifications } if modifications.is_empty())
    );
}

#[test]
fn identical_subscriptions_share_one_server_query() {
    let mut net = Net::connected();
    let a = net
        .client
        .subscribe("m:q", &args(json!({"x": 1, "y": [true]})));
    let b = net
        .client
        .subscribe("m.js:q", &args(json!({"y": [true], "x": 1})));
    assert_eq!(a, b);
    let c = net.client.subscribe("m:q", &args(json!({"x": 2})));
    assert_ne!(a, c);
    let sent = net.take_sent();
    assert_eq!(
        sent.len(),
        1,
        "one ModifyQuerySet for everything subscribed before the next poll: {sent:?}"
    );
    assert!(matches!(
        &sent[0],
        ClientMessage::ModifyQuerySet {
            base_version: 1,
            new_version: 2,
            modifications,
        } if modifications.len() == 2
    ));
    net.client.unsubscribe(a);
    assert!(net.take_sent().is_empty(), "one subscriber remains");
    net.client.unsubscribe(b);
    let sent = net.take_sent();
    assert!(
        matches!(&sent[..], [ClientMessage::ModifyQuerySet { base_version: 2, new_version: 3, modifications }]
        if modifications == &vec![QuerySetModification::Remove { query_id: a.0 }])
    );
    // A subscribe and unsubscribe of a new query before the next poll send nothing.
    let d = net.client.subscribe("m:q", &args(json!({"x": 3})));
    net.client.unsubscribe(d);
    assert!(net.take_sent().is_empty());
    // A late result for the removed query is ignored.
    let t = net.transition(3, 0, 9, vec![updated(a.0, json!(1))]);
    net.deliver(t);
    assert_eq!(net.client.query_result(a), None);
}

#[test]
fn results_changing_notify_and_identical_results_do_not() {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:q", &args(json!({})));
    net.take_sent();
    let t = net.transition(2, 0, 1, vec![updated(q.0, json!({"a": 1}))]);
    net.deliver(t);
    net.take_events();
    let t = net.transition(2, 0, 2, vec![updated(q.0, json!({"a": 1}))]);
    net.deliver(t);
    assert!(
        !net.take_events()
            .iter()
            .any(|e| matches!(e, Event::QueriesUpdated(_))),
        "same result: no update"
    );
    let t = net.transition(2, 0, 3, vec![updated(q.0, json!({"a": 2}))]);
    net.deliver(t);
    assert!(net.take_events().contains(&Event::QueriesUpdated(vec![q])));
}

#[test]
fn a_null_result_is_a_result() {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:q", &args(json!({})));
    let t = net.transition(2, 0, 1, vec![updated(q.0, json!(null))]);
    net.deliver(t);
    assert_eq!(
        net.client.query_result(q),
        Some(&QueryResult::from(Value::Null))
    );
    assert!(net.socket.is_some());
}

#[test]
fn failed_queries_carry_convex_error_data() {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:q", &args(json!({})));
    let t = net.transition(
        2,
        0,
        1,
        vec![StateModification::QueryFailed {
            query_id: q.0,
            error_message: "Uncaught ConvexError".into(),
            log_lines: vec!["[LOG] hi".into()],
            journal: None,
            error_data: Some(json!({"code": "FORBIDDEN"})),
        }],
    );
    net.deliver(t);
    match net.client.query_result(q) {
        Some(QueryResult::Error { message, data }) => {
            assert_eq!(message, "Uncaught ConvexError");
            assert_eq!(
                data.as_ref()
                    .and_then(|d| d.as_object())
                    .and_then(|o| o.get("code")),
                Some(&Value::String("FORBIDDEN".into()))
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(net.take_events().contains(&Event::LogLines {
        source: LogSource::Query {
            id: q,
            path: "m:q".into()
        },
        lines: vec!["[LOG] hi".into()]
    }));
    assert_eq!(
        net.client.local_query_logs("m:q", &args(json!({}))),
        Some(&["[LOG] hi".to_string()][..])
    );
    // The next result brings its own lines (none): the old ones go.
    let t = net.transition(2, 0, 2, vec![updated(q.0, json!(1))]);
    net.deliver(t);
    assert_eq!(net.client.query_logs(q), Some(&[][..]));
}

#[test]
fn mutation_log_lines_name_their_mutation() {
    let mut net = Net::connected();
    let now = net.now;
    let m = net.client.mutation("m.js:add", &args(json!({})), now);
    net.take_sent();
    net.deliver(ServerMessage::MutationResponse {
        request_id: m.0,
        success: false,
        result: json!("boom"),
        ts: None,
        log_lines: vec!["[ERROR] boom".into()],
        error_data: None,
    });
    let events = net.take_events();
    assert!(
        events.iter().any(|e| matches!(e,
        Event::LogLines { source: LogSource::Mutation { id, path }, lines }
            if *id == m && path == "m.js:add" && lines == &vec!["[ERROR] boom".to_string()])),
        "{events:?}"
    );
}

#[test]
fn a_transition_from_the_wrong_version_is_never_applied_and_forces_a_reconnect() {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:q", &args(json!({})));
    let good = net.transition(2, 0, 5, vec![updated(q.0, json!(1))]);
    net.deliver(good.clone());
    // The same Transition again (duplicate, and stale): its start is no longer ours.
    net.deliver(good);
    assert_eq!(
        net.client.query_result(q),
        Some(&QueryResult::from(Value::Float64(1.0)))
    );
    assert!(net
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::ProtocolViolation(m) if m.contains("startVersion"))));
    assert_eq!(
        net.closes.last().map(|c| c.1.as_str()),
        Some("ProtocolError")
    );
    assert!(net.socket.is_none());
    net.advance(200); // client-cause backoff: 100 ms ± 50 %
    assert_eq!(net.connects, 2, "reconnected");
}

#[test]
fn out_of_order_transition_is_rejected() {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:q", &args(json!({})));
    let first = net.transition(2, 0, 5, vec![updated(q.0, json!(1))]);
    let second = net.transition(2, 0, 6, vec![updated(q.0, json!(2))]);
    net.deliver(second);
    assert_eq!(
        net.client.query_result(q),
        None,
        "a Transition whose start we never reached is not applied"
    );
    assert!(net.socket.is_none());
    let _ = first;
}

#[test]
fn transition_chunks_are_reassembled() {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:q", &args(json!({})));
    let t = net.transition(2, 0, 5, vec![updated(q.0, json!("x".repeat(100)))]);
    let text = t.to_text();
    let parts: Vec<String> = text
        .as_bytes()
        .chunks(37)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let total = parts.len() as u32;
    for (i, chunk) in parts.into_iter().enumerate() {
        assert_eq!(net.client.query_result(q), None);
        net.deliver(ServerMessage::TransitionChunk {
            chunk,
            part_number: i as u32,
            total_parts: total,
            transition_id: text.len().to_string(),
        });
    }
    assert_eq!(
        net.client.query_result(q),
        Some(&QueryResult::from(Value::String("x".repeat(100))))
    );
}

#[test]
fn bad_chunks_are_dropped_and_reset_the_socket() {
    for (part, total) in [(1u32, 3u32), (5, 3), (0, 0)] {
        let mut net = Net::connected();
        net.deliver(ServerMessage::TransitionChunk {
            chunk: "{".into(),
            part_number: part,
            total_parts: total,
            transition_id: "9".into(),
        });
        assert!(net.socket.is_none(), "part {part}/{total}");
        assert!(net
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::ProtocolViolation(_))));
    }
    // A message other than a Ping between chunks drops the partial transition (the official
    // client does the same), and its orphan second part resets the socket.
    let mut net = Net::connected();
    net.deliver(ServerMessage::TransitionChunk {
        chunk: "{".into(),
        part_number: 0,
        total_parts: 2,
        transition_id: "9".into(),
    });
    net.deliver(ServerMessage::ActionResponse {
        request_id: 99,
        success: true,
        result: json!(null),
        log_lines: vec![],
        error_data: None,
    });
    net.deliver(ServerMessage::TransitionChunk {
        chunk: "}".into(),
        part_number: 1,
        total_parts: 2,
        transition_id: "9".into(),
    });
    assert!(net
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::ProtocolViolation(m) if m.contains("between the chunks"))));
    assert!(
        net.socket.is_none(),
        "the orphan second part is out of order"
    );
}

#[test]
fn a_mutation_resolves_only_once_its_writes_are_visible() {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:list", &args(json!({})));
    let t = net.transition(2, 0, 5, vec![updated(q.0, json!([]))]);
    net.deliver(t);
    net.take_sent();
    let m = net
        .client
        .mutation("m:add", &args(json!({"value": 1})), net.now);
    net.pump();
    let sent = net.take_sent();
    assert!(
        matches!(&sent[..], [ClientMessage::Mutation { request_id, udf_path, .. }] if *request_id == m.0 && udf_path == "m:add")
    );
    net.take_events();
    net.deliver(ServerMessage::MutationResponse {
        request_id: m.0,
        success: true,
        result: json!("ok"),
        ts: Some(Ts(10)),
        log_lines: vec![],
        error_data: None,
    });
    assert!(
        !net.take_events()
            .iter()
            .any(|e| matches!(e, Event::MutationSettled { .. })),
        "not before a Transition reaches ts 10"
    );
    let t = net.transition(2, 0, 9, vec![]);
    net.deliver(t);
    assert!(!net
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::MutationSettled { .. })));
    let t = net.transition(2, 0, 10, vec![updated(q.0, json!([1]))]);
    net.deliver(t);
    let events = net.take_events();
    let upd = events
        .iter()
        .position(|e| e == &Event::QueriesUpdated(vec![q]))
        .expect("query updated");
    let settled = events
        .iter()
        .position(|e| matches!(e, Event::MutationSettled { request, result: Ok(Value::String(s)) } if *request == m && s == "ok"))
        .expect("mutation settled");
    assert!(
        upd < settled,
        "the UI sees the write no later than the mutation resolves"
    );
    assert_eq!(net.client.connection_state().inflight_mutations, 0);
}

#[test]
fn a_failed_mutation_resolves_at_once_with_its_error_data() {
    let mut net = Net::connected();
    let m = net.client.mutation("m:add", &args(json!({})), net.now);
    net.pump();
    net.deliver(ServerMessage::MutationResponse {
        request_id: m.0,
        success: false,
        result: json!("Uncaught ConvexError: nope"),
        ts: None,
        log_lines: vec![],
        error_data: Some(json!({"why": "nope"})),
    });
    let events = net.take_events();
    let err = events.iter().find_map(|e| match e {
        Event::MutationSettled {
            request,
            result: Err(FunctionError::Failed { message, data }),
        } if *request == m => Some((message.clone(), data.clone())),
        _ => None,
    });
    let (message, data) = err.expect("settled with an error");
    assert_eq!(message, "Uncaught ConvexError: nope");
    assert!(data.is_some());
}

/// A failure whose result is not a string (a hostile or newer server) still settles, with the
/// result's JSON text as the message.
#[test]
fn a_failed_mutation_with_a_result_that_is_not_a_string_reports_its_json() {
    let mut net = Net::connected();
    let m = net.client.mutation("m:add", &args(json!({})), net.now);
    net.pump();
    net.deliver(ServerMessage::MutationResponse {
        request_id: m.0,
        success: false,
        result: json!({"b": [1, 2.5, null], "a": "x\"y"}),
        ts: None,
        log_lines: vec![],
        error_data: None,
    });
    let message = net.take_events().into_iter().find_map(|e| match e {
        Event::MutationSettled {
            request,
            result: Err(FunctionError::Failed { message, .. }),
        } if request == m => Some(message),
        _ => None,
    });
    assert_eq!(message.as_deref(), Some(r#"{"b":[1,2.5,null],"a":"x\"y"}"#));
}

/// A function path may hold a NUL (nothing refuses one); the ModifyQuerySet frame stays
/// JSON and keeps every query's arguments.
#[test]
fn a_path_with_a_nul_keeps_the_query_set_frame_whole() {
    let mut net = Net::connected();
    net.client.subscribe("a\u{0}b:c", &args(json!({"x": 1})));
    net.client.subscribe("m:ok", &args(json!({"y": 2})));
    let added: Vec<_> = net
        .take_sent()
        .into_iter()
        .flat_map(|m| match m {
            ClientMessage::ModifyQuerySet { modifications, .. } => modifications,
            _ => vec![],
        })
        .filter_map(|q| match q {
            QuerySetModification::Add { udf_path, args, .. } => Some((udf_path, args)),
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        vec![
            ("a\u{0}b:c".to_string(), json!([{"x": 1}])),
            ("m:ok".to_string(), json!([{"y": 2}]))
        ]
    );
}

#[test]
fn stray_and_duplicate_responses_are_ignored() {
    let mut net = Net::connected();
    net.deliver(ServerMessage::MutationResponse {
        request_id: 99,
        success: true,
        result: json!(1),
        ts: Some(Ts(1)),
        log_lines: vec![],
        error_data: None,
    });
    net.deliver(ServerMessage::ActionResponse {
        request_id: 98,
        success: true,
        result: json!(1),
        log_lines: vec![],
        error_data: None,
    });
    let a = net.client.action("m:act", &args(json!({})), net.now);
    net.pump();
    net.deliver(ServerMessage::ActionResponse {
        request_id: a.0,
        success: true,
        result: json!(1),
        log_lines: vec![],
        error_data: None,
    });
    net.deliver(ServerMessage::ActionResponse {
        request_id: a.0,
        success: true,
        result: json!(2),
        log_lines: vec![],
        error_data: None,
    });
    let settled: Vec<_> = net
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, Event::ActionSettled { .. }))
        .collect();
    assert_eq!(
        settled,
        vec![Event::ActionSettled {
            request: a,
            result: Ok(Value::Float64(1.0))
        }]
    );
    assert!(net.socket.is_some(), "strays do not break the connection");
}

#[test]
fn requests_made_offline_are_sent_after_the_query_set_on_open() {
    let mut net = Net::new();
    let m = net
        .client
        .mutation("m:add", &args(json!({"v": 1})), net.now);
    let q = net.client.subscribe("m:q", &args(json!({})));
    net.open();
    let sent = net.take_sent();
    assert!(matches!(sent[0], ClientMessage::Connect { .. }));
    assert_eq!(adds(&sent[1]), vec![(q.0, "m:q".into())]);
    assert!(matches!(sent[2], ClientMessage::Mutation { request_id, .. } if request_id == m.0));
}

#[test]
fn reconnect_replays_queries_and_unacknowledged_mutations_and_fails_actions() {
    let mut net = Net::connected();
    let q1 = net.client.subscribe("m:a", &args(json!({})));
    let q2 = net.client.subscribe("m:b", &args(json!({"k": 1})));
    let t = net.transition(
        3,
        0,
        50,
        vec![updated(q1.0, json!(1)), updated(q2.0, json!(2))],
    );
    net.deliver(t);
    let m = net.client.mutation("m:add", &args(json!({})), net.now);
    let a = net.client.action("m:act", &args(json!({})), net.now);
    net.pump();
    net.take_sent();
    net.take_events();
    net.server_close(1011, "InternalServerError");
    assert!(!net.client.connection_state().is_websocket_connected);
    // Results stay visible while reconnecting.
    assert_eq!(
        net.client.query_result(q1),
        Some(&QueryResult::from(Value::Float64(1.0)))
    );
    net.advance(400);
    assert_eq!(net.connects, 1, "InternalServerError waits at least 500 ms");
    net.advance(1200);
    assert_eq!(net.connects, 2);
    net.open();
    let sent = net.take_sent();
    match &sent[0] {
        ClientMessage::Connect {
            session_id,
            connection_count,
            last_close_reason,
            max_observed_timestamp,
            ..
        } => {
            assert_eq!(session_id, SESSION, "same session id across reconnects");
            assert_eq!(*connection_count, 1);
            assert_eq!(last_close_reason.as_deref(), Some("InternalServerError"));
            assert_eq!(*max_observed_timestamp, Some(Ts(50)));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        sent[1],
        ClientMessage::ModifyQuerySet {
            base_version: 0,
            new_version: 1,
            ..
        }
    ));
    assert_eq!(
        adds(&sent[1]),
        vec![(q1.0, "m:a".into()), (q2.0, "m:b".into())],
        "original query ids"
    );
    assert!(
        matches!(sent[2], ClientMessage::Mutation { request_id, .. } if request_id == m.0),
        "same request id"
    );
    assert_eq!(sent.len(), 3, "the action is not re-sent");
    assert!(net.take_events().contains(&Event::ActionSettled {
        request: a,
        result: Err(FunctionError::ConnectionLost)
    }));
    // Same results after the reconnect: no re-render.
    let t = net.transition(
        1,
        0,
        60,
        vec![updated(q1.0, json!(1)), updated(q2.0, json!(2))],
    );
    net.deliver(t);
    assert!(!net
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::QueriesUpdated(_))));
}

#[test]
fn a_committed_mutation_is_resent_until_a_transition_covers_it() {
    let mut net = Net::connected();
    let m = net.client.mutation("m:add", &args(json!({})), net.now);
    net.pump();
    net.deliver(ServerMessage::MutationResponse {
        request_id: m.0,
        success: true,
        result: json!(null),
        ts: Some(Ts(70)),
        log_lines: vec![],
        error_data: None,
    });
    net.server_close(1006, "");
    net.advance(2000);
    net.open();
    let sent = net.take_sent();
    assert!(sent
        .iter()
        .any(|s| matches!(s, ClientMessage::Mutation { request_id, .. } if *request_id == m.0)));
    // The server answers from its dedup log with the original ts, then a covering Transition.
    net.deliver(ServerMessage::MutationResponse {
        request_id: m.0,
        success: true,
        result: json!(null),
        ts: Some(Ts(70)),
        log_lines: vec![],
        error_data: None,
    });
    let t = net.transition(1, 0, 70, vec![]);
    net.deliver(t);
    let settled: Vec<_> = net
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, Event::MutationSettled { .. }))
        .collect();
    assert_eq!(
        settled,
        vec![Event::MutationSettled {
            request: m,
            result: Ok(Value::Null)
        }],
        "settled exactly once"
    );
}

#[test]
fn an_empty_close_reason_reports_the_code() {
    let mut net = Net::connected();
    net.server_close(1006, "");
    net.advance(2000);
    assert_eq!(
        net.reconnect_reason().as_deref(),
        Some("closed with code 1006")
    );
}

#[test]
fn a_silent_server_is_dropped_after_the_inactivity_timeout_and_pings_keep_it_alive() {
    let mut net = Net::connected();
    net.server_pings = false;
    net.advance(30_000);
    net.deliver(ServerMessage::Ping);
    net.advance(30_000);
    assert!(net.socket.is_some(), "the ping reset the timer");
    net.advance(6_001);
    assert_eq!(
        net.closes.last().map(|c| c.1.as_str()),
        Some("InactiveServer")
    );
    net.advance(200);
    assert_eq!(net.reconnect_reason().as_deref(), Some("InactiveServer"));
}

#[test]
fn a_socket_stuck_connecting_is_retried() {
    let mut net = Net::new();
    net.advance(30_000);
    assert_eq!(
        net.closes.last().map(|c| c.1.as_str()),
        Some("ConnectTimeout")
    );
    net.advance(200);
    assert_eq!(net.connects, 2);
}

#[test]
fn backoff_grows_and_resets_once_caught_up() {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:q", &args(json!({})));
    let mut waits = vec![];
    for _ in 0..5 {
        let before = net.now;
        let connects = net.connects;
        net.server_close(1011, "InternalServerError");
        while net.connects == connects {
            net.advance(50);
        }
        waits.push(net.now.since(before).as_millis() as u64);
        net.open();
        net.take_sent();
    }
    assert!(waits[4] > waits[0] * 3, "exponential: {waits:?}");
    assert!(waits.iter().all(|w| *w <= 24_050), "capped: {waits:?}");
    assert_eq!(net.client.connection_state().connection_retries, 5);
    let t = net.transition(1, 0, 1, vec![updated(q.0, json!(1))]);
    net.deliver(t);
    assert_eq!(
        net.client.connection_state().connection_retries,
        0,
        "caught up"
    );
}

#[test]
fn wake_reconnects_now_instead_of_waiting_out_the_backoff() {
    let mut net = Net::connected();
    net.server_close(1011, "InternalServerError");
    assert_eq!(net.connects, 1);
    net.client.handle_wake(net.now);
    net.pump();
    assert_eq!(net.connects, 2);
}

#[test]
fn fatal_error_reconnects() {
    let mut net = Net::connected();
    net.deliver(ServerMessage::FatalError {
        error: "BaseVersionMismatch".into(),
    });
    assert!(net.socket.is_none());
    net.advance(200);
    net.open();
    assert!(
        matches!(&net.take_sent()[0], ClientMessage::Connect { last_close_reason: Some(r), .. } if r.starts_with("FatalError: BaseVersionMismatch"))
    );
}

#[test]
fn events_from_an_old_socket_are_ignored() {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:q", &args(json!({})));
    let old = net.socket.unwrap();
    net.server_close(1006, "");
    net.advance(2000);
    net.open();
    let stale = net
        .transition(2, 0, 1, vec![updated(q.0, json!(1))])
        .to_text();
    net.client.handle_message(old, &stale, net.now);
    net.client.handle_close(old, 1000, "", net.now);
    net.pump();
    assert!(net.socket.is_some());
    assert_eq!(net.client.query_result(q), None);
}

#[test]
fn arguments_that_break_convex_rules_fail_the_request_without_sending() {
    let mut net = Net::connected();
    let mut bad = convex_yew_core::value::Object::new();
    bad.insert("$x".into(), Value::Null);
    let m = net.client.mutation("m:add", &bad, net.now);
    net.pump();
    assert!(net.take_sent().is_empty());
    assert!(net.take_events().iter().any(|e| matches!(e, Event::MutationSettled { request, result: Err(FunctionError::InvalidArgs(_)) } if *request == m)));
    let _ = RequestId(0);
}

#[test]
fn close_fails_pending_requests() {
    let mut net = Net::connected();
    let m = net.client.mutation("m:add", &args(json!({})), net.now);
    net.pump();
    net.client.close();
    net.pump();
    assert!(net.take_events().contains(&Event::MutationSettled {
        request: m,
        result: Err(FunctionError::ClientClosed)
    }));
    assert!(net.socket.is_none());
    net.advance(100_000);
    assert_eq!(net.connects, 1, "a closed client never reconnects");
}

#[test]
fn the_connection_state_says_whether_requests_are_in_flight_and_since_when() {
    let mut net = Net::connected();
    let state = net.client.connection_state();
    assert!(!state.has_inflight_requests);
    assert_eq!(state.time_of_oldest_inflight_request, None);
    let first_at = net.now;
    let m = net.client.mutation("m:add", &args(json!({})), net.now);
    net.advance(1_000);
    let a = net.client.action("m:act", &args(json!({})), net.now);
    net.pump();
    let state = net.client.connection_state();
    assert!(state.has_inflight_requests);
    assert_eq!(state.time_of_oldest_inflight_request, Some(first_at));
    // The mutation fails: the action is now the oldest.
    net.deliver(ServerMessage::MutationResponse {
        request_id: m.0,
        success: false,
        result: json!("boom"),
        ts: None,
        log_lines: vec![],
        error_data: None,
    });
    let state = net.client.connection_state();
    assert_eq!(
        state.time_of_oldest_inflight_request,
        Some(Instant::from_millis(first_at.as_millis() + 1_000))
    );
    net.deliver(ServerMessage::ActionResponse {
        request_id: a.0,
        success: true,
        result: json!(1),
        log_lines: vec![],
        error_data: None,
    });
    let state = net.client.connection_state();
    assert!(!state.has_inflight_requests);
    assert_eq!(state.time_of_oldest_inflight_request, None);
}

#[test]
fn an_identical_subscription_finds_the_cached_result() {
    let mut net = Net::connected();
    let q = net
        .client
        .subscribe("m:list", &args(json!({"count": 2, "a": 1})));
    assert_eq!(
        net.client
            .cached_result("m:list", &args(json!({"a": 1, "count": 2}))),
        None,
        "nothing while loading"
    );
    let t = net.transition(1, 0, 5, vec![updated(q.0, json!([1, 2]))]);
    net.deliver(t);
    assert!(matches!(
        net.client
            .cached_result("m:list", &args(json!({"a": 1, "count": 2}))),
        Some(QueryResult::Value(_))
    ));
    assert_eq!(
        net.client
            .cached_result("m:list", &args(json!({"count": 3}))),
        None,
        "other arguments are another query"
    );
    net.client.unsubscribe(q);
    assert_eq!(
        net.client
            .cached_result("m:list", &args(json!({"a": 1, "count": 2}))),
        None
    );
}

/// Query ids are never reused, so nothing may stay keyed by one after its last subscriber
/// leaves: 10,000 distinct queries subscribed, answered, dropped and removed by the server
/// leave the client tracking none.
#[test]
fn dropped_queries_leave_nothing_tracked() {
    let mut net = Net::connected();
    let mut version = 1;
    for batch in 0..20u32 {
        let ids: Vec<_> = (0..500u32)
            .map(|i| {
                net.client
                    .subscribe("m:q", &args(json!({ "n": batch * 500 + i })))
            })
            .collect();
        net.take_sent();
        version += 1;
        let mods = ids.iter().map(|q| updated(q.0, json!(1))).collect();
        let t = net.transition(version, 0, u64::from(batch) + 10, mods);
        net.deliver(t);
        assert_eq!(net.client.tracked_queries(), 500);
        for &q in &ids {
            assert_eq!(net.client.query_path(q), Some("m:q"));
            net.client.unsubscribe(q);
            assert_eq!(net.client.query_path(q), None);
        }
        net.take_sent();
        version += 1;
        let mods = ids
            .iter()
            .map(|q| StateModification::QueryRemoved { query_id: q.0 })
            .collect();
        let t = net.transition(version, 0, u64::from(batch) + 10, mods);
        net.deliver(t);
    }
    assert_eq!(net.client.tracked_queries(), 0);
    assert_eq!(net.client.connection_state().subscribed_queries, 0);
}
