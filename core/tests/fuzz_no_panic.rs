//! Bounded fuzzing inside the test command: arbitrary bytes, arbitrary JSON and arbitrary
//! sequences of user calls, socket events and (well-formed or broken) server messages. The
//! client must never panic, and must never send a ModifyQuerySet or Authenticate whose base
//! version is not the one the server expects on that socket.
#![cfg(not(target_arch = "wasm32"))]

use convex_yew_core::protocol::{
    ClientMessage, ServerMessage, StateModification, StateVersion, Ts,
};
use convex_yew_core::sync::{ClientConfig, FetchId, Io, SocketId, SyncClient, TokenFetch};
use convex_yew_core::time::Instant;
use convex_yew_core::value::ResultValue;
use convex_yew_core::value::{args_to_text, args_to_wire, from_encoded_json, Object};
use convex_yew_core::value::{from_value, to_value, Value};
use proptest::prelude::*;
use serde_json::json;

#[derive(Debug, Clone)]
enum Op {
    Subscribe(u8),
    Unsubscribe(u8),
    Mutation,
    Action,
    SetAuth,
    ClearAuth,
    Fetched(u8, u8),
    Open,
    Close(u16),
    Advance(u32),
    Wake,
    Raw(String),
    Server(Msg),
}

#[derive(Debug, Clone)]
enum Msg {
    Transition {
        start_ok: bool,
        qs: u8,
        id: u8,
        ts: u16,
        query: u8,
        value: i32,
        fail: bool,
    },
    Chunk {
        part: u8,
        total: u8,
        text: String,
    },
    MutationResponse {
        req: u8,
        ok: bool,
        ts: u16,
    },
    ActionResponse {
        req: u8,
        ok: bool,
    },
    AuthError {
        base: Option<u8>,
        attempted: Option<bool>,
    },
    Fatal,
    Ping,
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        (
            any::<bool>(),
            0u8..5,
            0u8..4,
            0u16..50,
            0u8..6,
            any::<i32>(),
            any::<bool>()
        )
            .prop_map(
                |(start_ok, qs, id, ts, query, value, fail)| Msg::Transition {
                    start_ok,
                    qs,
                    id,
                    ts,
                    query,
                    value,
                    fail
                }
            ),
        (0u8..4, 0u8..4, ".{0,20}").prop_map(|(part, total, text)| Msg::Chunk {
            part,
            total,
            text
        }),
        (0u8..6, any::<bool>(), 0u16..60).prop_map(|(req, ok, ts)| Msg::MutationResponse {
            req,
            ok,
            ts
        }),
        (0u8..6, any::<bool>()).prop_map(|(req, ok)| Msg::ActionResponse { req, ok }),
        (
            proptest::option::of(0u8..4),
            proptest::option::of(any::<bool>())
        )
            .prop_map(|(base, attempted)| Msg::AuthError { base, attempted }),
        Just(Msg::Fatal),
        Just(Msg::Ping),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..4).prop_map(Op::Subscribe),
        (0u8..6).prop_map(Op::Unsubscribe),
        Just(Op::Mutation),
        Just(Op::Action),
        Just(Op::SetAuth),
        Just(Op::ClearAuth),
        (0u8..3, 0u8..4).prop_map(|(f, k)| Op::Fetched(f, k)),
        (0u8..1, 2u8..4).prop_map(|(f, k)| Op::Fetched(f, k)),
        Just(Op::Open),
        Just(Op::Open),
        (1000u16..4100).prop_map(Op::Close),
        (0u32..120_000).prop_map(Op::Advance),
        Just(Op::Wake),
        ".{0,40}".prop_map(Op::Raw),
        msg().prop_map(Op::Server),
        msg().prop_map(Op::Server),
    ]
}

struct Sim {
    client: SyncClient,
    now: u64,
    socket: Option<SocketId>,
    open: bool,
    qs_version: u32,
    identity_version: u32,
    server: StateVersion,
    fetches: Vec<FetchId>,
}

impl Sim {
    fn drain(&mut self) {
        while let Some(io) = self.client.poll_io() {
            match io {
                Io::Connect { socket } => {
                    self.socket = Some(socket);
                    self.open = false;
                }
                Io::Close { socket, .. } => {
                    if self.socket == Some(socket) {
                        self.socket = None;
                    }
                }
                Io::FetchToken { fetch, .. } => self.fetches.push(fetch),
                Io::Send { socket, text } => {
                    assert_eq!(Some(socket), self.socket);
                    assert!(self.open);
                    match ClientMessage::parse(&text).expect("the client only sends valid frames") {
                        ClientMessage::Connect { .. } => {
                            self.qs_version = 0;
                            self.identity_version = 0;
                        }
                        ClientMessage::ModifyQuerySet {
                            base_version,
                            new_version,
                            ..
                        } => {
                            assert_eq!(base_version, self.qs_version, "ModifyQuerySet base");
                            assert!(new_version > base_version);
                            self.qs_version = new_version;
                        }
                        ClientMessage::Authenticate { base_version, .. } => {
                            assert_eq!(base_version, self.identity_version, "Authenticate base");
                            self.identity_version += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
        while self.client.poll_event().is_some() {}
    }

    fn server_message(&mut self, m: Msg) -> String {
        match m {
            Msg::Transition {
                start_ok,
                qs,
                id,
                ts,
                query,
                value,
                fail,
            } => {
                let start = if start_ok {
                    self.server
                } else {
                    StateVersion {
                        query_set: qs as u32,
                        identity: id as u32,
                        ts: Ts(ts as u64),
                    }
                };
                let end = StateVersion {
                    query_set: self.qs_version.max(qs as u32),
                    identity: self.identity_version.min(id as u32 + start.identity),
                    ts: Ts(start.ts.0 + ts as u64),
                };
                if start_ok {
                    self.server = end;
                }
                let modification = if fail {
                    StateModification::QueryFailed {
                        query_id: query as u32,
                        error_message: "e".into(),
                        log_lines: vec![],
                        journal: None,
                        error_data: Some(json!({"v": value})),
                    }
                } else {
                    StateModification::QueryUpdated {
                        query_id: query as u32,
                        // Nulls and wrappers too: every result shape the server sends.
                        value: match value.rem_euclid(4) {
                            0 => json!(null),
                            1 => json!({"$integer": "AQAAAAAAAAA="}),
                            _ => json!(value),
                        },
                        log_lines: vec![],
                        journal: Some("j".into()),
                    }
                };
                ServerMessage::Transition {
                    start_version: start,
                    end_version: end,
                    modifications: vec![modification],
                    client_clock_skew: None,
                    server_ts: None,
                }
                .to_text()
            }
            Msg::Chunk { part, total, text } => ServerMessage::TransitionChunk {
                chunk: text,
                part_number: part as u32,
                total_parts: total as u32,
                transition_id: "1".into(),
            }
            .to_text(),
            Msg::MutationResponse { req, ok, ts } => ServerMessage::MutationResponse {
                request_id: req as u32,
                success: ok,
                result: if ok { json!(1) } else { json!("err") },
                ts: ok.then_some(Ts(ts as u64)),
                log_lines: vec![],
                error_data: None,
            }
            .to_text(),
            Msg::ActionResponse { req, ok } => ServerMessage::ActionResponse {
                request_id: req as u32,
                success: ok,
                result: json!({"$integer": "AQAAAAAAAAA="}),
                log_lines: vec![],
                error_data: None,
            }
            .to_text(),
            Msg::AuthError { base, attempted } => ServerMessage::AuthError {
                error: "x".into(),
                base_version: base.map(u32::from),
                auth_update_attempted: attempted,
            }
            .to_text(),
            Msg::Fatal => ServerMessage::FatalError { error: "f".into() }.to_text(),
            Msg::Ping => ServerMessage::Ping.to_text(),
        }
    }

    fn run(&mut self, op: Op) {
        let now = Instant::from_millis(self.now);
        match op {
            Op::Subscribe(n) => {
                let mut a = Object::new();
                a.insert("n".into(), Value::Float64(n as f64));
                self.client.subscribe("m:q", &a);
            }
            Op::Unsubscribe(n) => self
                .client
                .unsubscribe(convex_yew_core::sync::QueryId(n as u32)),
            Op::Mutation => {
                self.client.mutation("m:add", &Object::new(), now);
            }
            Op::Action => {
                self.client.action("m:act", &Object::new(), now);
            }
            Op::SetAuth => self.client.set_auth(now),
            Op::ClearAuth => self.client.clear_auth(now),
            Op::Fetched(f, kind) => {
                // Counted from the newest fetch: 0 is the one the client waits for.
                let index = self.fetches.len().checked_sub(1 + f as usize);
                if let Some(&fetch) = index.and_then(|i| self.fetches.get(i)) {
                    let outcome = match kind {
                        0 => TokenFetch::SignedOut,
                        1 => TokenFetch::Transient,
                        2 => TokenFetch::Token("not-a-jwt".into()),
                        _ => TokenFetch::Token(format!(
                            "h.{}.s",
                            "eyJpYXQiOjEsImV4cCI6OTk5OTk5OTk5OX0"
                        )),
                    };
                    self.client.token_fetched(fetch, outcome, now);
                }
            }
            Op::Open => {
                if let (Some(s), false) = (self.socket, self.open) {
                    self.open = true;
                    self.server = StateVersion::default();
                    self.client.handle_open(s, now);
                }
            }
            Op::Close(code) => {
                if let Some(s) = self.socket.take() {
                    self.client.handle_close(s, code, "", now);
                }
            }
            Op::Advance(ms) => {
                self.now += ms as u64;
                self.client.handle_timeout(Instant::from_millis(self.now));
            }
            Op::Wake => self.client.handle_wake(now),
            Op::Raw(text) => {
                if let (Some(s), true) = (self.socket, self.open) {
                    self.client.handle_message(s, &text, now);
                }
            }
            Op::Server(m) => {
                if let (Some(s), true) = (self.socket, self.open) {
                    let text = self.server_message(m);
                    self.client.handle_message(s, &text, now);
                }
            }
        }
        self.drain();
        // Every deadline is in the future or actionable; polling never panics.
        let _ = self.client.poll_timeout();
        let _ = self.client.connection_state();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_sessions_never_panic_or_break_versions(ops in proptest::collection::vec(op(), 1..80)) {
        let mut sim = Sim {
            client: SyncClient::new(ClientConfig::new("0f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c90", 3), Instant::from_millis(1_000_000)),
            now: 1_000_000,
            socket: None,
            open: false,
            qs_version: 0,
            identity_version: 0,
            server: StateVersion::default(),
            fetches: vec![],
        };
        sim.drain();
        for op in ops {
            sim.run(op);
        }
    }

    #[test]
    fn arbitrary_bytes_are_typed_errors(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = ServerMessage::parse(&text);
        let _ = ClientMessage::parse(&text);
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
            let _ = Value::from_json(&json);
        }
    }

    #[test]
    fn values_round_trip(v in value_strategy()) {
        let back = Value::from_json(&v.to_json()).expect("our own encoding decodes");
        prop_assert_eq!(back, v);
    }

    /// The direct text writer and the JSON-tree encoder write the same bytes.
    #[test]
    fn direct_text_is_the_tree_text(v in value_strategy()) {
        prop_assert_eq!(v.to_json_text(), convex_yew_core::json::to_string(&v.to_json()));
        if let Value::Object(o) = &v {
            prop_assert_eq!(args_to_text(o), convex_yew_core::json::to_string(&args_to_wire(o)));
        }
        // And serde_json reads the text back as the same tree.
        let tree: serde_json::Value = serde_json::from_str(&v.to_json_text()).unwrap();
        prop_assert_eq!(tree, v.to_json());
    }

    /// Typed decoding straight from text reads what decoding through a value tree reads.
    #[test]
    fn typed_decoding_agrees_with_the_tree(v in value_strategy(), row in row_strategy()) {
        let text = v.to_json_text();
        let direct = from_encoded_json::<Value>(&text).expect("our own encoding decodes");
        prop_assert_eq!(&direct, &v);
        let row_value = to_value(&row).unwrap();
        let row_text = row_value.to_json_text();
        prop_assert_eq!(from_encoded_json::<Row>(&row_text).unwrap(), row.clone());
        // `Value` is itself a serde deserializer: the two decoders must agree.
        prop_assert_eq!(Row::deserialize(row_value.clone()).unwrap(), row.clone());
        prop_assert_eq!(from_value::<Row>(row_value).unwrap(), row);
        // A value of the wrong shape is an error on both paths, never a panic.
        prop_assert_eq!(from_encoded_json::<Row>(&text).is_ok(), Row::deserialize(v).is_ok());
    }

    #[test]
    fn typed_decoding_of_any_text_is_a_result(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = from_encoded_json::<Row>(&text);
        let _ = from_encoded_json::<Value>(&text);
        let _ = ResultValue::from_wire(&text).value();
    }
}

use serde::Deserialize;

/// A typed row using every kind the typed decoder maps.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Row {
    big: i64,
    small: u32,
    ratio: f64,
    name: String,
    #[serde(with = "serde_bytes_as_vec")]
    raw: Vec<u8>,
    tags: Vec<String>,
    maybe: Option<bool>,
    kind: Kind,
    pair: (i64, f64),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Kind {
    Dot,
    Circle(f64),
    Rect { w: u32, h: i64 },
}

/// `Vec<u8>` as Convex bytes (what `serde_bytes` does), without the dependency.
mod serde_bytes_as_vec {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        convex_yew_core::value::Bytes::deserialize(d).map(|b| b.0)
    }
    use serde::Deserialize;
}

fn row_strategy() -> impl Strategy<Value = Row> {
    let kind = prop_oneof![
        Just(Kind::Dot),
        (-1e9f64..1e9).prop_map(Kind::Circle),
        (any::<u32>(), any::<i64>()).prop_map(|(w, h)| Kind::Rect { w, h }),
    ];
    (
        any::<i64>(),
        any::<u32>(),
        any::<f64>().prop_filter("NaN is not equal to itself", |f| !f.is_nan()),
        ".{0,8}",
        proptest::collection::vec(any::<u8>(), 0..8),
        proptest::collection::vec(".{0,4}", 0..3),
        proptest::option::of(any::<bool>()),
        kind,
        (any::<i64>(), -1e6f64..1e6),
    )
        .prop_map(
            |(big, small, ratio, name, raw, tags, maybe, kind, pair)| Row {
                big,
                small,
                ratio,
                name,
                raw,
                tags,
                maybe,
                kind,
                pair,
            },
        )
}

fn value_strategy() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        any::<i64>().prop_map(Value::Int64),
        any::<f64>().prop_map(Value::Float64),
        ".{0,10}".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..10).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
