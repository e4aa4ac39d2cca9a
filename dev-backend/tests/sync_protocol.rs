//! The Convex side over real WebSockets: queries, mutations, reactivity, dedup, errors.

mod support;

use convex_yew_core::protocol::{
    ClientMessage, QuerySetModification, ServerMessage, StateModification,
};
use convex_yew_core::value::Value;
use serde_json::json;
use support::*;
use tungstenite::Message;

/// The server still serves a new socket: a query subscribed on it gets its Transition.
fn assert_healthy(b: &Backend) {
    let mut ws = Ws::connect(b, SESSION);
    add_query(
        &mut ws,
        0,
        0,
        "myFunctions:listNumbers",
        json!({"count": 1}),
    );
    assert!(matches!(ws.recv(), Some(ServerMessage::Transition { .. })));
}

fn add_query(ws: &mut Ws, base: u32, id: u32, path: &str, args: serde_json::Value) {
    ws.send(&ClientMessage::ModifyQuerySet {
        base_version: base,
        new_version: base + 1,
        modifications: vec![QuerySetModification::Add {
            query_id: id,
            udf_path: path.into(),
            args: json!([args]),
            journal: None,
            component_path: None,
        }],
    });
}

fn numbers_of(m: &ServerMessage) -> Option<Vec<f64>> {
    match m {
        ServerMessage::Transition { modifications, .. } => {
            modifications.iter().find_map(|m| match m {
                StateModification::QueryUpdated { value, .. } => value["numbers"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|n| n.as_f64()).collect()),
                _ => None,
            })
        }
        _ => None,
    }
}

#[test]
fn subscribe_mutate_and_see_the_update_on_two_sockets() {
    let b = start();
    let mut a = Ws::connect(&b, SESSION);
    add_query(
        &mut a,
        0,
        0,
        "myFunctions:listNumbers",
        json!({"count": 10}),
    );
    let first = a.recv().unwrap();
    assert_eq!(numbers_of(&first), Some(vec![]));
    let mut other = Ws::connect(&b, "1f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c91");
    add_query(
        &mut other,
        0,
        0,
        "myFunctions.js:listNumbers",
        json!({"count": 10}),
    );
    other.recv().unwrap();

    a.send(&ClientMessage::Mutation {
        request_id: 0,
        udf_path: "myFunctions:addNumber".into(),
        args: json!([{"value": 42}]),
        component_path: None,
    });
    let response = a.recv().unwrap();
    let ServerMessage::MutationResponse {
        success: true,
        ts: Some(ts),
        ..
    } = response
    else {
        panic!("{response:?}")
    };
    let t = a.until(|m| matches!(m, ServerMessage::Transition { .. }));
    let ServerMessage::Transition {
        start_version,
        end_version,
        ..
    } = &t
    else {
        unreachable!()
    };
    assert!(end_version.ts >= ts, "the Transition covers the mutation");
    assert_eq!(end_version.query_set, 1);
    assert!(start_version.ts <= end_version.ts);
    // The update may come in the Transition that covers the mutation or in the next one.
    let nums = numbers_of(&t)
        .unwrap_or_else(|| numbers_of(&a.until(|m| numbers_of(m).is_some())).unwrap());
    assert_eq!(nums, vec![42.0]);
    let seen = other.until(|m| numbers_of(m).is_some());
    assert_eq!(
        numbers_of(&seen),
        Some(vec![42.0]),
        "a second client sees the update live"
    );
}

#[test]
fn transitions_chain_versions() {
    let b = start();
    let mut ws = Ws::connect(&b, SESSION);
    let mut last_end = None;
    for i in 0..4 {
        add_query(
            &mut ws,
            i,
            i,
            "myFunctions:listNumbers",
            json!({"count": i}),
        );
        let ServerMessage::Transition {
            start_version,
            end_version,
            ..
        } = ws.recv().unwrap()
        else {
            panic!()
        };
        if let Some(prev) = last_end {
            assert_eq!(
                start_version, prev,
                "each Transition starts where the last ended"
            );
        }
        assert_eq!(end_version.query_set, i + 1);
        last_end = Some(end_version);
    }
}

#[test]
fn a_resent_mutation_is_applied_once() {
    let b = start();
    let session = "2f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c92";
    let mutation = ClientMessage::Mutation {
        request_id: 5,
        udf_path: "myFunctions:addNumber".into(),
        args: json!([{"value": 7}]),
        component_path: None,
    };
    let mut ws = Ws::connect(&b, session);
    ws.send(&mutation);
    let ServerMessage::MutationResponse { ts: Some(ts1), .. } = ws.recv().unwrap() else {
        panic!()
    };
    drop(ws);
    let mut ws = Ws::connect(&b, session);
    ws.send(&mutation);
    let ServerMessage::MutationResponse { ts: Some(ts2), .. } = ws.recv().unwrap() else {
        panic!()
    };
    assert_eq!(ts1, ts2, "the original commit ts");
    add_query(
        &mut ws,
        0,
        0,
        "myFunctions:listNumbers",
        json!({"count": 100}),
    );
    let t = ws.until(|m| numbers_of(m).is_some());
    assert_eq!(
        numbers_of(&t)
            .unwrap()
            .iter()
            .filter(|n| **n == 7.0)
            .count(),
        1
    );
}

#[test]
fn failing_functions_report_errors_and_convex_error_data() {
    let b = start();
    let mut ws = Ws::connect(&b, SESSION);
    add_query(
        &mut ws,
        0,
        0,
        "testing:throwConvexError",
        json!({"code": "NOPE"}),
    );
    let ServerMessage::Transition { modifications, .. } = ws.recv().unwrap() else {
        panic!()
    };
    assert!(
        matches!(&modifications[0], StateModification::QueryFailed { error_data: Some(d), .. } if d["code"] == "NOPE")
    );
    ws.send(&ClientMessage::Mutation {
        request_id: 1,
        udf_path: "testing:failingMutation".into(),
        args: json!([{}]),
        component_path: None,
    });
    let m = ws.until(|m| matches!(m, ServerMessage::MutationResponse { .. }));
    assert!(matches!(
        m,
        ServerMessage::MutationResponse {
            success: false,
            ts: None,
            ..
        }
    ));
    ws.send(&ClientMessage::Action {
        request_id: 2,
        udf_path: "nope:missing".into(),
        args: json!([{}]),
        component_path: None,
    });
    let m = ws.until(|m| matches!(m, ServerMessage::ActionResponse { .. }));
    assert!(
        matches!(&m, ServerMessage::ActionResponse { success: false, result, .. } if result.as_str().unwrap().contains("Could not find public function"))
    );
    ws.send(&ClientMessage::Action {
        request_id: 3,
        udf_path: "myFunctions:myAction".into(),
        args: json!([{"first": 3, "second": "x"}]),
        component_path: None,
    });
    let m = ws.until(|m| matches!(m, ServerMessage::ActionResponse { request_id: 3, .. }));
    assert!(matches!(
        m,
        ServerMessage::ActionResponse { success: true, .. }
    ));
}

#[test]
fn protocol_violations_get_a_fatal_error_and_a_close() {
    let b = start();
    let cases: Vec<(Option<Message>, &str)> = vec![
        (Some(Message::Text("{not json".into())), "Invalid JSON"),
        (
            Some(Message::Text(r#"{"type":"Bogus"}"#.into())),
            "Invalid JSON",
        ),
        (Some(Message::Binary(vec![1, 2, 3].into())), "binary"),
        (None, "BaseVersionMismatch"),
    ];
    for (frame, expected) in cases {
        let mut ws = Ws::connect(&b, SESSION);
        match frame {
            Some(f) => ws.send_raw(f),
            None => add_query(
                &mut ws,
                3,
                0,
                "myFunctions:listNumbers",
                json!({"count": 1}),
            ),
        }
        match ws.recv() {
            Some(ServerMessage::FatalError { error }) => {
                assert!(error.contains(expected), "{error}")
            }
            other => panic!("expected FatalError for {expected}, got {other:?}"),
        }
        assert_eq!(ws.recv(), None, "closed after the FatalError");
    }
    // Before Connect, and a non-UUID session id.
    let mut ws = Ws::open(&b, "/api/1.49.0/sync");
    add_query(&mut ws, 0, 0, "m:q", json!({}));
    assert!(matches!(ws.recv(), Some(ServerMessage::FatalError { .. })));
    let mut ws = Ws::connect(&b, "not-a-uuid");
    assert!(
        matches!(ws.recv(), Some(ServerMessage::FatalError { error }) if error.contains("UUID"))
    );
    assert_healthy(&b);
}

#[test]
fn oversize_frames_close_the_socket_without_taking_the_server_down() {
    let b = start();
    let mut ws = Ws::connect(&b, SESSION);
    let huge = format!(
        r#"{{"type":"Mutation","requestId":1,"udfPath":"m:a","args":[{{"s":"{}"}}]}}"#,
        "x".repeat(18 * 1024 * 1024)
    );
    let _ = ws.ws.send(Message::Text(huge.into()));
    assert_eq!(ws.recv(), None);
    assert_healthy(&b);
}

#[test]
fn large_transitions_are_chunked_for_new_clients_only() {
    let b = start();
    let mut ws = Ws::connect(&b, SESSION);
    add_query(
        &mut ws,
        0,
        0,
        "testing:bigResult",
        json!({"size": 6_000_000}),
    );
    let mut parts = vec![];
    let mut id = None;
    loop {
        match ws.recv().unwrap() {
            ServerMessage::TransitionChunk {
                chunk,
                part_number,
                total_parts,
                transition_id,
            } => {
                assert_eq!(part_number as usize, parts.len());
                assert_eq!(*id.get_or_insert(transition_id.clone()), transition_id);
                parts.push(chunk);
                if part_number + 1 == total_parts {
                    break;
                }
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(parts.len(), 2);
    let whole = ServerMessage::parse(&parts.concat()).unwrap();
    assert!(matches!(whole, ServerMessage::Transition { .. }));
    // The unversioned route never chunks.
    let mut old = Ws::open(&b, "/api/sync");
    old.send(&ClientMessage::Connect {
        session_id: SESSION.into(),
        connection_count: 0,
        last_close_reason: None,
        max_observed_timestamp: None,
        client_ts: None,
    });
    add_query(
        &mut old,
        0,
        0,
        "testing:bigResult",
        json!({"size": 6_000_000}),
    );
    assert!(matches!(old.recv(), Some(ServerMessage::Transition { .. })));
}

#[test]
fn http_api_runs_functions() {
    let b = start();
    let (s, body) = post_json(
        &b,
        "/api/mutation",
        json!({"path": "myFunctions:addNumber", "args": {"value": 1.5}, "format": "convex_encoded_json"}),
    );
    assert_eq!((s, body["status"].as_str()), (200, Some("success")));
    let (s, body) = post_json(
        &b,
        "/api/query",
        json!({"path": "myFunctions:listNumbers", "args": [{"count": 5}], "format": "convex_encoded_json"}),
    );
    assert_eq!(s, 200);
    assert_eq!(body["value"]["numbers"], json!([1.5]));
    assert_eq!(body["value"]["viewer"], json!(null));
    let (_, body) = post_json(
        &b,
        "/api/query",
        json!({"path": "testing:throwConvexError", "args": {}}),
    );
    assert_eq!(body["status"], "error");
    assert_eq!(body["errorData"]["code"], "FORBIDDEN");
    let (_, body) = post_json(
        &b,
        "/api/action",
        json!({"path": "testing:echoAction", "args": {"n": {"$integer": "AQAAAAAAAAA="}}}),
    );
    assert_eq!(body["value"]["n"], json!({"$integer": "AQAAAAAAAAA="}));
    let (s, body, _) = call(
        http()
            .post(&format!("{}/api/query", b.url))
            .set("content-type", "application/json")
            .send_string("{oops"),
    );
    assert_eq!(s, 400);
    assert!(body.contains("BadJsonBody"));
    let (s, body, _) = call(
        http()
            .post(&format!("{}/api/query", b.url))
            .set("authorization", "Token x")
            .send_json(json!({"path": "testing:whoami", "args": {}})),
    );
    assert_eq!(s, 401);
    assert!(body.contains("bearer"));
    let _ = Value::Null;
}

#[test]
fn invalid_versions_are_refused() {
    let b = start();
    let r = tungstenite::connect(format!("ws://127.0.0.1:{}/api/banana/sync", b.port));
    assert!(r.is_err());
}

fn count_of(b: &Backend, session: &str, value: f64) -> usize {
    let mut ws = Ws::connect(b, session);
    add_query(
        &mut ws,
        0,
        0,
        "myFunctions:listNumbers",
        json!({"count": 1000}),
    );
    let t = ws.until(|m| numbers_of(m).is_some());
    numbers_of(&t)
        .unwrap()
        .iter()
        .filter(|n| **n == value)
        .count()
}

fn add(request_id: u32, value: f64) -> ClientMessage {
    ClientMessage::Mutation {
        request_id,
        udf_path: "myFunctions:addNumber".into(),
        args: json!([{ "value": value }]),
        component_path: None,
    }
}

#[test]
fn a_mutation_replayed_after_a_restart_runs_once() {
    let dir = std::env::temp_dir().join(format!(
        "cdb-dedup-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let config = || convex_dev_backend::Config {
        data_dir: Some(dir.clone()),
        port: 0,
        ..convex_dev_backend::Config::default()
    };
    let session = "3f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c93";
    let value = 7_007.5;
    let first = start_with(config());
    let mut ws = Ws::connect(&first, session);
    ws.send(&add(1, value));
    let ServerMessage::MutationResponse { ts: Some(ts1), .. } = ws.recv().unwrap() else {
        panic!()
    };
    // The backend restarts; the client never saw the answer and re-sends on reconnect.
    let second = start_with(config());
    let mut ws = Ws::connect(&second, session);
    ws.send(&add(1, value));
    let ServerMessage::MutationResponse {
        ts: Some(ts2),
        success: true,
        ..
    } = ws.recv().unwrap()
    else {
        panic!()
    };
    assert_eq!(ts1, ts2, "the recorded commit, not a second run");
    assert_eq!(count_of(&second, session, value), 1, "ran twice");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_sockets_resending_one_mutation_at_once_run_it_once() {
    let b = start();
    let session = "4f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c94";
    for round in 0..20u32 {
        let value = 9_000.0 + round as f64;
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let url = b.url.clone();
                let port = b.port;
                std::thread::spawn(move || {
                    let b = Backend { url, port };
                    let mut ws = Ws::connect(&b, session);
                    ws.send(&add(100 + round, value));
                    matches!(
                        ws.recv(),
                        Some(ServerMessage::MutationResponse { success: true, .. })
                    )
                })
            })
            .collect();
        for t in threads {
            assert!(t.join().unwrap());
        }
        assert_eq!(
            count_of(&b, session, value),
            1,
            "round {round} ran more than once"
        );
    }
}

#[test]
fn transition_ids_are_unique_even_for_equal_lengths() {
    let text = "x".repeat(100);
    let ids: std::collections::BTreeSet<String> = (0..3)
        .map(
            |_| match &convex_dev_backend::convex::sync::split_transition(&text, 40)[0] {
                ServerMessage::TransitionChunk { transition_id, .. } => transition_id.clone(),
                other => panic!("{other:?}"),
            },
        )
        .collect();
    assert_eq!(ids.len(), 3);
}

#[test]
fn a_reader_too_slow_to_keep_up_is_disconnected_and_the_server_carries_on() {
    let b = start();
    let mut slow = Ws::open(&b, "/api/1.49.0/sync");
    slow.send(&ClientMessage::Connect {
        session_id: SESSION.into(),
        connection_count: 0,
        last_close_reason: None,
        max_observed_timestamp: None,
        client_ts: None,
    });
    // 40 MB of results in one Transition (chunked), and the client never reads.
    let modifications = (0..40u32)
        .map(|i| QuerySetModification::Add {
            query_id: i,
            udf_path: "testing:bigResult".into(),
            args: json!([{ "size": 1_000_000 + i }]),
            journal: None,
            component_path: None,
        })
        .collect();
    slow.send(&ClientMessage::ModifyQuerySet {
        base_version: 0,
        new_version: 1,
        modifications,
    });
    std::thread::sleep(std::time::Duration::from_secs(13));
    // 40 MB in 5 MB chunks is 8 parts; a server that buffers without bound delivers all 8.
    let started = std::time::Instant::now();
    let mut parts = 0;
    while let Some(m) = slow.recv() {
        if let ServerMessage::TransitionChunk { .. } = m {
            parts += 1;
        }
    }
    assert!(
        parts < 8,
        "a reader that never reads was buffered to the end"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "the socket was closed, not left hanging"
    );
    // Everyone else is unaffected.
    let mut other = Ws::connect(&b, "5f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c95");
    add_query(
        &mut other,
        0,
        0,
        "myFunctions:listNumbers",
        json!({"count": 1}),
    );
    assert!(numbers_of(&other.until(|m| numbers_of(m).is_some())).is_some());
}
