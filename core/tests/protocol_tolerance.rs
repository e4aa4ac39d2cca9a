//! What the official client (npm `convex` 1.49, `web_socket_manager.ts`, `remote_query_set.ts`,
//! `client.ts`) tolerates on its socket, the core tolerates too: one test per item of the
//! README's protocol section (issue 21). Where the official client only survives by throwing
//! inside its message handler and staying wedged, the core resets the socket instead; those
//! cases are listed in the README as deliberate differences.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use convex_yew_core::protocol::{ClientMessage, QuerySetModification, ServerMessage};
use convex_yew_core::sync::{Event, QueryResult};
use convex_yew_core::value::Value;
use serde_json::json;
use support::*;

const START0: &str = r#"{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="}"#;

fn violations(net: &mut Net) -> Vec<String> {
    net.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::ProtocolViolation(m) => Some(m),
            _ => None,
        })
        .collect()
}

/// A client with one subscribed query whose socket is open, and the query's id.
fn subscribed() -> (Net, u32) {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:q", &args(json!({})));
    net.take_sent();
    (net, q.0)
}

/// Issue 21, defect 4: a Ping between the chunks of a Transition tore the socket down (two
/// violations, a reconnect, and a loop against a server that pings during long transfers).
/// The official client handles Ping before its chunk check and applies the Transition.
#[test]
fn a_ping_between_transition_chunks_is_harmless() {
    let (mut net, q) = subscribed();
    let text = net
        .transition(2, 0, 5, vec![updated(q, json!("x".repeat(100)))])
        .to_text();
    let (a, b) = text.split_at(text.len() / 2);
    let chunk = |chunk: &str, part| ServerMessage::TransitionChunk {
        chunk: chunk.into(),
        part_number: part,
        total_parts: 2,
        transition_id: "t1".into(),
    };
    net.deliver(chunk(a, 0));
    net.deliver(ServerMessage::Ping);
    net.deliver(chunk(b, 1));
    assert_eq!(violations(&mut net), Vec::<String>::new());
    assert!(
        net.socket.is_some() && net.closes.is_empty(),
        "kept the socket"
    );
    assert_eq!(
        net.client
            .query_result(convex_yew_core::sync::QueryId(q))
            .and_then(QueryResult::value),
        Some(&Value::String("x".repeat(100)))
    );
}

/// An unknown message type (a newer server's) is dropped, as the official client drops it:
/// the socket and any pending chunks are kept, and it is reported once, not on every frame.
#[test]
fn an_unknown_message_type_is_dropped_without_a_reset() {
    let (mut net, q) = subscribed();
    let text = net
        .transition(2, 0, 5, vec![updated(q, json!(7))])
        .to_text();
    let (a, b) = text.split_at(10);
    net.deliver(ServerMessage::TransitionChunk {
        chunk: a.into(),
        part_number: 0,
        total_parts: 2,
        transition_id: "t".into(),
    });
    for _ in 0..3 {
        net.deliver_text(r#"{"type":"Heartbeat2","every":15}"#);
    }
    net.deliver(ServerMessage::TransitionChunk {
        chunk: b.into(),
        part_number: 1,
        total_parts: 2,
        transition_id: "t".into(),
    });
    let reported = violations(&mut net);
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].contains("Heartbeat2"), "{reported:?}");
    assert!(net.socket.is_some() && net.closes.is_empty());
    assert!(net
        .client
        .query_result(convex_yew_core::sync::QueryId(q))
        .is_some());
}

/// Frames that are not JSON, not an object, or have no string `type`: dropped (the official
/// client throws inside its handler and drops them), never a reconnect loop.
#[test]
fn frames_that_are_not_messages_are_dropped_without_a_reset() {
    let mut net = Net::connected();
    for frame in ["not json", "[]", "null", "{}", r#"{"type":7}"#, "\u{0}"] {
        net.deliver_text(frame);
    }
    assert!(net.socket.is_some() && net.closes.is_empty());
    net.deliver(ServerMessage::Ping);
    assert!(net.socket.is_some());
}

/// Frames no JSON tree can hold (a lone surrogate, a number past f64, nesting past 127) are
/// unreadable, so dropped like any frame that is not JSON: a FatalError or AuthError whose
/// text is a lone surrogate used to read as malformed and close the socket.
#[test]
fn frames_no_json_tree_holds_are_dropped_without_a_reset() {
    let mut net = Net::connected();
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for frame in [
        r#"{"type":"FatalError","error":"\udc00"}"#.to_string(),
        r#"{"type":"AuthError","error":"\ud800","baseVersion":0}"#.to_string(),
        r#"{"type":"MutationResponse","requestId":1e400,"success":true,"result":null}"#.to_string(),
        format!(r#"{{"type":"Ping","future":{deep}}}"#),
    ] {
        net.deliver_text(&frame);
        // At most the one-time notice that such a frame was ignored; never a reset.
        for v in violations(&mut net) {
            assert!(v.starts_with("ignored a server frame"), "{frame}: {v}");
        }
        assert!(net.socket.is_some() && net.closes.is_empty(), "{frame}");
    }
}

/// A reply whose result or error data no JSON tree holds (too deep, `1e400`) settles its
/// request with an error; the full parser's rule (drop the frame) would leave it waiting
/// forever, and a mutation's optimistic update with it.
#[test]
fn a_reply_with_an_undecodable_result_settles_its_request() {
    use convex_yew_core::sync::FunctionError;
    let mut net = Net::connected();
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let a = net.client.action("m:act", &args(json!({})), net.now);
    let m = net.client.mutation("m:add", &args(json!({})), net.now);
    net.pump();
    net.deliver_text(&format!(
        r#"{{"type":"ActionResponse","requestId":{},"success":true,"result":{deep}}}"#,
        a.0
    ));
    net.deliver_text(&format!(
        r#"{{"type":"MutationResponse","requestId":{},"success":false,"result":"boom","errorData":1e400}}"#,
        m.0
    ));
    let events = net.take_events();
    assert!(
        events.iter().any(|e| matches!(e,
            Event::ActionSettled { request, result: Err(FunctionError::MalformedResult(_)) } if *request == a)),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| matches!(e,
            Event::MutationSettled { request, result: Err(FunctionError::Failed { message, data: None }) }
                if *request == m && message == "boom")),
        "{events:?}"
    );
    assert!(net.socket.is_some() && net.closes.is_empty());
}

/// Fields the official client does not read are ignored wherever they appear, whatever
/// their type (`clientClockSkew` and `serverTs` included).
#[test]
fn unknown_fields_are_ignored_everywhere() {
    let (mut net, q) = subscribed();
    let frame = format!(
        r#"{{"type":"Transition","future":[1,{{"x":null}}],"clientClockSkew":"n/a","serverTs":{{"a":1}},
            "startVersion":{START0},
            "endVersion":{{"querySet":2,"identity":0,"ts":"BQAAAAAAAAA=","extra":true}},
            "modifications":[{{"type":"QueryUpdated","queryId":{q},"value":3,"logLines":[],"journal":null,"hint":"x"}}]}}"#
    );
    net.deliver_text(&frame);
    net.deliver_text(r#"{"type":"Ping","seq":1}"#);
    assert_eq!(violations(&mut net), Vec::<String>::new());
    assert!(net
        .client
        .query_result(convex_yew_core::sync::QueryId(q))
        .is_some());
    assert!(net.closes.is_empty());
}

/// A key given twice is read as `JSON.parse` reads it, the last one winning. The client
/// used to drop such a Transition without a word (its fast reader refused it and the full
/// reader's Transition was ignored).
#[test]
fn a_transition_with_a_key_given_twice_is_applied() {
    let (mut net, q) = subscribed();
    let frame = format!(
        r#"{{"type":"Transition","startVersion":{START0},
            "endVersion":{{"querySet":2,"identity":0,"ts":"BQAAAAAAAAA="}},
            "modifications":[{{"type":"QueryUpdated","queryId":{q},"value":1,"value":{{"n":3}}}}],
            "type":"Transition"}}"#
    );
    net.deliver_text(&frame);
    assert_eq!(violations(&mut net), Vec::<String>::new());
    let result = net.client.query_result(convex_yew_core::sync::QueryId(q));
    assert_eq!(
        result
            .and_then(QueryResult::value)
            .and_then(|v| v.as_object())
            .map(|o| o["n"].clone()),
        Some(Value::Float64(3.0)),
        "{result:?}"
    );
}

/// A result the client cannot decode (a lone surrogate, nesting deeper than any reader goes)
/// fails for that query alone, when it is read: the rest of the Transition is applied, as with
/// serde_json's skipping. The first reader of the new JSON code refused the whole frame.
#[test]
fn an_undecodable_result_fails_its_query_not_the_transition() {
    let mut net = Net::connected();
    let a = net.client.subscribe("m:a", &args(json!({})));
    let b = net.client.subscribe("m:b", &args(json!({})));
    let c = net.client.subscribe("m:c", &args(json!({})));
    net.take_sent();
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let frame = format!(
        r#"{{"type":"Transition","startVersion":{START0},"future":"\ud800",
            "endVersion":{{"querySet":2,"identity":0,"ts":"BQAAAAAAAAA="}},
            "modifications":[{{"type":"QueryUpdated","queryId":{},"value":"\ud800"}},
                {{"type":"QueryUpdated","queryId":{},"value":{deep}}},
                {{"type":"QueryUpdated","queryId":{},"value":7}}]}}"#,
        a.0, b.0, c.0
    );
    net.deliver_text(&frame);
    assert_eq!(violations(&mut net), Vec::<String>::new());
    assert_eq!(
        net.client.query_result(c).and_then(QueryResult::value),
        Some(&Value::Float64(7.0))
    );
    // Each holds its text; reading it is the error (as for any malformed result).
    for q in [a, b] {
        let result = net.client.query_result(q);
        assert!(result.is_some_and(|r| r.value().is_none()), "{result:?}");
    }
}

/// `QueryUpdated` without a `value` is a `null` result; `QueryFailed` without an
/// `errorMessage` an error with an empty message; no `logLines` is none (the official client
/// reads the first two that way; it throws on the third, we do not).
#[test]
fn missing_optional_looking_fields_read_as_the_official_client_reads_them() {
    let mut net = Net::connected();
    let a = net.client.subscribe("m:a", &args(json!({})));
    let b = net.client.subscribe("m:b", &args(json!({})));
    net.take_sent();
    let frame = format!(
        r#"{{"type":"Transition","startVersion":{START0},"endVersion":{{"querySet":2,"identity":0,"ts":"BQAAAAAAAAA="}},
            "modifications":[{{"type":"QueryUpdated","queryId":{}}},{{"type":"QueryFailed","queryId":{}}}]}}"#,
        a.0, b.0
    );
    net.deliver_text(&frame);
    assert_eq!(violations(&mut net), Vec::<String>::new());
    assert_eq!(
        net.client.query_result(a).and_then(QueryResult::value),
        Some(&Value::Null)
    );
    assert!(matches!(
        net.client.query_result(b),
        Some(QueryResult::Error { message, .. }) if message.is_empty()
    ));
}

/// `QueryRemoved` for a query the client still wants: its result is unknown again
/// (loading), as the official client shows it, and readers are told.
#[test]
fn a_removed_query_that_is_still_subscribed_is_loading_again() {
    let (mut net, q) = subscribed();
    let t = net.transition(2, 0, 5, vec![updated(q, json!(1))]);
    net.deliver(t);
    net.take_events();
    let removed = net.transition(
        2,
        0,
        6,
        vec![convex_yew_core::protocol::StateModification::QueryRemoved { query_id: q }],
    );
    net.deliver(removed);
    let id = convex_yew_core::sync::QueryId(q);
    assert_eq!(net.client.query_result(id), None);
    assert!(net
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::QueriesUpdated(ids) if ids.contains(&id))));
}

/// A result without a `journal` keeps the journal the client holds (the official client's
/// rule); it goes back with the query on the next socket. `null` clears it.
#[test]
fn a_missing_journal_keeps_the_one_the_client_holds() {
    let (mut net, q) = subscribed();
    let with = format!(
        r#"{{"type":"Transition","startVersion":{START0},"endVersion":{{"querySet":2,"identity":0,"ts":"BQAAAAAAAAA="}},
            "modifications":[{{"type":"QueryUpdated","queryId":{q},"value":1,"journal":"j1"}}]}}"#
    );
    net.deliver_text(&with);
    let without = format!(
        r#"{{"type":"Transition","startVersion":{{"querySet":2,"identity":0,"ts":"BQAAAAAAAAA="}},"endVersion":{{"querySet":2,"identity":0,"ts":"BgAAAAAAAAA="}},
            "modifications":[{{"type":"QueryUpdated","queryId":{q},"value":2}}]}}"#
    );
    net.deliver_text(&without);
    net.server_close(1001, "going away");
    net.advance(5_000);
    net.open();
    let journal = net.take_sent().into_iter().find_map(|m| match m {
        ClientMessage::ModifyQuerySet { modifications, .. } => {
            modifications.into_iter().find_map(|m| match m {
                QuerySetModification::Add { journal, .. } => Some(journal),
                _ => None,
            })
        }
        _ => None,
    });
    assert_eq!(journal, Some(Some("j1".to_owned())));
}

/// `errorData: null` is a `ConvexError` whose data is `null` (the official client keeps it),
/// for a query, a mutation and an action alike.
#[test]
fn error_data_null_is_a_convex_error_with_null_data() {
    let (mut net, q) = subscribed();
    let frame = format!(
        r#"{{"type":"Transition","startVersion":{START0},"endVersion":{{"querySet":2,"identity":0,"ts":"BQAAAAAAAAA="}},
            "modifications":[{{"type":"QueryFailed","queryId":{q},"errorMessage":"no","errorData":null,"logLines":[]}}]}}"#
    );
    net.deliver_text(&frame);
    assert!(matches!(
        net.client.query_result(convex_yew_core::sync::QueryId(q)),
        Some(QueryResult::Error {
            data: Some(Value::Null),
            ..
        })
    ));
    let m = net.client.mutation("m:m", &args(json!({})), net.now);
    net.take_sent();
    net.deliver_text(&format!(
        r#"{{"type":"MutationResponse","requestId":{},"success":false,"result":"no","logLines":[],"errorData":null}}"#,
        m.0
    ));
    let settled = net.take_events().into_iter().find_map(|e| match e {
        Event::MutationSettled { result, .. } => Some(result),
        _ => None,
    });
    assert!(
        matches!(
            &settled,
            Some(Err(convex_yew_core::sync::FunctionError::Failed {
                data: Some(Value::Null),
                ..
            }))
        ),
        "{settled:?}"
    );
}

/// An `AuthError` or a `FatalError` without its `error` text is still handled (the official
/// client only prints the text).
#[test]
fn auth_and_fatal_errors_without_their_text_are_handled() {
    let mut net = Net::connected();
    net.deliver_text(r#"{"type":"FatalError"}"#);
    assert!(net.socket.is_none(), "a FatalError ends the socket");
    let mut net = Net::connected();
    net.deliver_text(r#"{"type":"AuthError","baseVersion":0}"#);
    let v = violations(&mut net);
    assert!(v.iter().all(|m| !m.contains("malformed")), "{v:?}");
}

/// A whole Transition arriving while chunks are pending is applied (the partial one is
/// dropped), as the official client does.
#[test]
fn a_transition_interrupting_chunks_is_applied() {
    let (mut net, q) = subscribed();
    net.deliver(ServerMessage::TransitionChunk {
        chunk: "{".into(),
        part_number: 0,
        total_parts: 2,
        transition_id: "t".into(),
    });
    let t = net.transition(2, 0, 5, vec![updated(q, json!(4))]);
    net.deliver(t);
    assert!(net
        .client
        .query_result(convex_yew_core::sync::QueryId(q))
        .is_some());
    assert!(net.socket.is_some());
}
