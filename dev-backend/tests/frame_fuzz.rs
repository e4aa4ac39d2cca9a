//! Hostile frames into one sync session, over a real WebSocket: arbitrary text, and
//! protocol-shaped messages whose fields hold anything (huge and negative numbers, wrong
//! types, wrong versions), in any order. The server must not panic (a panic hook counts every
//! panic in this process, server tasks included) and other sessions must carry on.
//! `FRAME_FUZZ_CASES` sets the number of cases (default 48).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Value};
use support::*;
use tungstenite::Message;

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// The backend, with a panic hook that counts every panic in this process (set again in each
/// case: proptest installs its own hook around cases).
fn backend() -> &'static Backend {
    static B: OnceLock<Backend> = OnceLock::new();
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        eprintln!("panic: {info}");
    }));
    B.get_or_init(start)
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(u64::MAX)),
        Just(json!(1u64 << 63)),
        any::<u64>().prop_map(|n| json!(n)),
        Just(json!(i64::MIN)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(0.5)),
        any::<u32>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        number(),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        "[a-zA-Z0-9:_ -]{0,12}".prop_map(Value::String),
        Just(json!("myFunctions:addNumber")),
        Just(json!("myFunctions:listNumbers")),
        Just(json!("testing:bigResult")),
        Just(json!("User")),
        Just(json!([{}])),
        Just(json!([{"value": 1}])),
        Just(json!([{"size": 1e12}])),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const TYPES: &[&str] = &[
    "Connect",
    "ModifyQuerySet",
    "Mutation",
    "Action",
    "Authenticate",
    "Event",
    "Nope",
];
const KEYS: &[&str] = &[
    "sessionId",
    "connectionCount",
    "lastCloseReason",
    "maxObservedTimestamp",
    "clientTs",
    "baseVersion",
    "newVersion",
    "modifications",
    "requestId",
    "udfPath",
    "args",
    "tokenType",
    "value",
    "queryId",
    "journal",
];

/// A protocol-shaped message with arbitrary field values.
fn shaped() -> impl Strategy<Value = String> {
    (
        prop::sample::select(TYPES),
        prop::collection::vec((prop::sample::select(KEYS), value()), 0..8),
        prop::option::of(prop::collection::vec(
            (
                prop::sample::select(&["Add", "Remove", "X"][..]),
                number(),
                leaf(),
            ),
            0..4,
        )),
    )
        .prop_map(|(t, fields, mods)| {
            let mut o = serde_json::Map::new();
            o.insert("type".into(), json!(t));
            for (k, v) in fields {
                o.insert(k.into(), v);
            }
            if let Some(mods) = mods {
                let mods: Vec<Value> = mods
                    .into_iter()
                    .map(|(t, id, path)| json!({"type": t, "queryId": id, "udfPath": path, "args": [{}]}))
                    .collect();
                o.insert("modifications".into(), Value::Array(mods));
            }
            Value::Object(o).to_string()
        })
}

fn frame() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => shaped(),
        1 => ".{0,64}",
        // Well-formed messages whose numbers are anything: these reach the arithmetic.
        3 => (number(), any::<u32>()).prop_map(|(ts, count)| json!({"type": "Connect", "sessionId": SESSION, "connectionCount": count, "lastCloseReason": null, "clientTs": ts}).to_string()),
        2 => (number(), number(), number()).prop_map(|(base, new, id)| json!({"type": "ModifyQuerySet", "baseVersion": base, "newVersion": new, "modifications": [{"type": "Add", "queryId": id, "udfPath": "myFunctions:listNumbers", "args": [{"count": 3}]}]}).to_string()),
        1 => (number(), leaf()).prop_map(|(id, v)| json!({"type": "Mutation", "requestId": id, "udfPath": "myFunctions:addNumber", "args": [{"value": v}]}).to_string()),
        1 => (number(), leaf()).prop_map(|(base, v)| json!({"type": "Authenticate", "baseVersion": base, "tokenType": "User", "value": v}).to_string()),
    ]
}

fn cases() -> u32 {
    std::env::var("FRAME_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn hostile_frames_never_panic_the_server_or_touch_other_sessions(frames in prop::collection::vec(frame(), 1..12)) {
        let b = backend();
        let mut hostile = Ws::open(b, "/api/1.49.0/sync");
        for f in &frames {
            if hostile.ws.send(Message::Text(f.clone().into())).is_err() {
                break; // the server closed it: fine
            }
        }
        let _ = hostile.ws.close(None);
        // Let the server finish with the hostile frames: read until it closes (or 2 s pass).
        if let tungstenite::stream::MaybeTlsStream::Plain(s) = hostile.ws.get_ref() {
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
        }
        while hostile.ws.read().is_ok() {}
        // Another session still gets served.
        let mut other = Ws::connect(b, "6f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c96");
        other.send(&convex_yew_core::protocol::ClientMessage::ModifyQuerySet {
            base_version: 0,
            new_version: 1,
            modifications: vec![],
        });
        let t = other.until(|m| matches!(m, convex_yew_core::protocol::ServerMessage::Transition { .. }));
        let is_transition = matches!(t, convex_yew_core::protocol::ServerMessage::Transition { .. });
        prop_assert!(is_transition, "another session was not served");
        prop_assert_eq!(PANICS.load(Ordering::SeqCst), 0, "the server panicked on {:?}", frames);
    }
}
