//! Optimistic updates under random interleavings: mutations (some of which the server fails),
//! server processing, Transitions published late, frames delivered one at a time, socket drops
//! between any two steps (unprocessed mutations are lost and re-sent; processed ones are
//! deduplicated), reconnects and clock jumps.
//!
//! Invariants after every step: the visible list is the last server result the client holds
//! with every unsettled mutation's value appended in call order (or loading while there is no
//! server result); a successful mutation settles only once its value is in the server result
//! the client holds. After settling: nothing in flight, no update left, the visible list is the
//! server's, every mutation settled exactly once with the outcome the server gave it.
//!
//! `MODEL_CASES` sets the number of cases (default 256).
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, VecDeque};

use convex_yew_core::protocol::{
    ClientMessage, QuerySetModification, ServerMessage, StateModification, StateVersion, Ts,
};
use convex_yew_core::sync::{
    ClientConfig, Event, Io, LocalStore, QueryId, QueryResult, RequestId, SocketId, SyncClient,
};
use convex_yew_core::time::Instant;
use convex_yew_core::value::Object;
use convex_yew_core::value::Value;
use proptest::prelude::*;

const LIST: &str = "numbers:list";

#[derive(Debug, Clone)]
enum Step {
    /// A mutation adding this value (the server fails it when `fails`).
    Add { value: u8, fails: bool },
    /// The server runs the oldest mutation it received on this socket.
    Process,
    /// The server sends a Transition with its current list.
    Publish,
    /// The oldest frame in flight to the client arrives.
    Deliver,
    /// The socket drops: frames in flight and unprocessed mutations are lost.
    Drop,
    /// Time passes (the client reconnects after its backoff; the socket opens at once).
    Advance(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u8..100, prop::bool::weighted(0.3)).prop_map(|(value, fails)| Step::Add { value, fails }),
        4 => Just(Step::Process),
        3 => Just(Step::Publish),
        8 => Just(Step::Deliver),
        1 => Just(Step::Drop),
        2 => prop_oneof![0u32..500, 500u32..40_000].prop_map(Step::Advance),
    ]
}

fn args(value: f64) -> Object {
    let mut o = Object::new();
    o.insert("value".into(), Value::Float64(value));
    o
}

fn list_value(numbers: &[f64]) -> Value {
    Value::Array(numbers.iter().map(|n| Value::Float64(*n)).collect())
}

struct Server {
    numbers: Vec<f64>,
    ts: u64,
    /// Outcomes of processed mutations, by request id (the server deduplicates re-sends).
    done: BTreeMap<u32, Result<u64, ()>>,
    /// Mutations received on the current socket, not processed yet.
    inbox: VecDeque<(u32, f64)>,
    /// Frames sent on the current socket, not delivered yet.
    outbox: VecDeque<ServerMessage>,
    version: StateVersion,
    /// The query-set version the client moved to (the next Transition ends there).
    query_set: u32,
    /// The client's query id for the list, once it asked for it on this socket.
    subscribed: Option<u32>,
}

struct World {
    client: SyncClient,
    now: Instant,
    socket: Option<SocketId>,
    open: bool,
    server: Server,
    query: QueryId,
    /// Unsettled mutations: value and whether the server will fail it.
    pending: BTreeMap<RequestId, f64>,
    /// How each mutation settled.
    settled: BTreeMap<RequestId, Vec<bool>>,
    failing: BTreeMap<RequestId, bool>,
    /// The last list the client received from the server.
    last_server: Option<Vec<f64>>,
    violations: Vec<String>,
}

impl World {
    fn new() -> World {
        let now = Instant::from_millis(1_700_000_000_000);
        let mut client = SyncClient::new(
            ClientConfig::new("0f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c90", 7),
            now,
        );
        let query = client.subscribe(LIST, &Object::new());
        let mut w = World {
            client,
            now,
            socket: None,
            open: false,
            server: Server {
                numbers: Vec::new(),
                ts: 1,
                done: BTreeMap::new(),
                inbox: VecDeque::new(),
                outbox: VecDeque::new(),
                version: StateVersion::default(),
                query_set: 0,
                subscribed: None,
            },
            query,
            pending: BTreeMap::new(),
            settled: BTreeMap::new(),
            failing: BTreeMap::new(),
            last_server: None,
            violations: Vec::new(),
        };
        w.pump();
        w
    }

    /// Carries out the client's I/O (opening a requested socket at once) and reads its events.
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(io) = self.client.poll_io() {
                progressed = true;
                match io {
                    Io::Connect { socket } => {
                        self.socket = Some(socket);
                        self.open = false;
                    }
                    Io::Send { socket, text } => {
                        if Some(socket) == self.socket && self.open {
                            let msg = ClientMessage::parse(&text).expect("client frames parse");
                            self.server_receive(msg);
                        }
                    }
                    Io::Close { socket, .. } => {
                        if Some(socket) == self.socket {
                            self.lose_socket();
                        }
                    }
                    Io::FetchToken { .. } => {}
                }
            }
            while let Some(e) = self.client.poll_event() {
                progressed = true;
                if let Event::MutationSettled { request, result } = e {
                    self.settled
                        .entry(request)
                        .or_default()
                        .push(result.is_ok());
                    let value = self.pending.remove(&request);
                    if result.is_ok() {
                        let visible = value.is_some_and(|v| {
                            self.last_server.as_ref().is_some_and(|l| l.contains(&v))
                        });
                        if !visible {
                            self.violations.push(format!(
                                "{request:?} settled before its write was in the client's server result"
                            ));
                        }
                    }
                }
            }
            if let (Some(socket), false) = (self.socket, self.open) {
                self.open = true;
                self.server.version = StateVersion::default();
                self.server.query_set = 0;
                self.server.subscribed = None;
                self.client.handle_open(socket, self.now);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    fn lose_socket(&mut self) {
        self.socket = None;
        self.open = false;
        self.server.inbox.clear();
        self.server.outbox.clear();
        self.server.subscribed = None;
    }

    fn server_receive(&mut self, msg: ClientMessage) {
        match msg {
            ClientMessage::ModifyQuerySet {
                new_version,
                modifications,
                ..
            } => {
                for m in modifications {
                    if let QuerySetModification::Add { query_id, .. } = m {
                        self.server.subscribed = Some(query_id);
                    }
                }
                self.server.query_set = new_version;
                self.publish();
            }
            ClientMessage::Mutation {
                request_id, args, ..
            } => {
                let value = args[0]["value"].as_f64().expect("value");
                self.server.inbox.push_back((request_id, value));
            }
            _ => {}
        }
    }

    fn process(&mut self) {
        let Some((id, value)) = self.server.inbox.pop_front() else {
            return;
        };
        let outcome = *self.server.done.entry(id).or_insert_with(|| {
            if value < 0.0 {
                Err(())
            } else {
                self.server.numbers.push(value);
                self.server.ts += 1;
                Ok(self.server.ts)
            }
        });
        self.server.outbox.push_back(match outcome {
            Ok(ts) => ServerMessage::MutationResponse {
                request_id: id,
                success: true,
                result: serde_json::Value::Null,
                ts: Some(Ts(ts)),
                log_lines: vec![],
                error_data: None,
            },
            Err(()) => ServerMessage::MutationResponse {
                request_id: id,
                success: false,
                result: serde_json::Value::String("Uncaught Error: refused".into()),
                ts: None,
                log_lines: vec![],
                error_data: None,
            },
        });
    }

    fn publish(&mut self) {
        let Some(query_id) = self.server.subscribed else {
            return;
        };
        let start = self.server.version;
        let end = StateVersion {
            query_set: self.server.query_set,
            identity: start.identity,
            ts: Ts(self.server.ts),
        };
        self.server.version = end;
        self.server.outbox.push_back(ServerMessage::Transition {
            start_version: start,
            end_version: end,
            modifications: vec![StateModification::QueryUpdated {
                query_id,
                value: list_value(&self.server.numbers).to_json(),
                log_lines: vec![],
                journal: None,
            }],
            client_clock_skew: None,
            server_ts: None,
        });
    }

    fn deliver(&mut self) {
        let (Some(socket), true) = (self.socket, self.open) else {
            return;
        };
        let Some(msg) = self.server.outbox.pop_front() else {
            return;
        };
        if let ServerMessage::Transition { .. } = &msg {
            self.last_server = Some(self.server_list_in(&msg));
        }
        self.client.handle_message(socket, &msg.to_text(), self.now);
        self.pump();
    }

    fn server_list_in(&self, msg: &ServerMessage) -> Vec<f64> {
        match msg {
            ServerMessage::Transition { modifications, .. } => match &modifications[0] {
                StateModification::QueryUpdated { value, .. } => value
                    .as_array()
                    .map(|a| a.iter().filter_map(|n| n.as_f64()).collect())
                    .unwrap_or_default(),
                _ => vec![],
            },
            _ => vec![],
        }
    }

    fn step(&mut self, s: &Step) {
        match s {
            Step::Add { value, fails } => {
                let v = if *fails {
                    -(f64::from(*value) + 1.0)
                } else {
                    f64::from(*value)
                };
                let update = Box::new(move |store: &mut LocalStore<'_>| {
                    if let Some(Value::Array(items)) = store.get(LIST, &Object::new()) {
                        let mut items = items.clone();
                        items.push(Value::Float64(v));
                        store.set(LIST, &Object::new(), Some(Value::Array(items)));
                    }
                });
                let id = self.client.mutation_with_optimistic_update(
                    "numbers:add",
                    &args(v),
                    self.now,
                    update,
                );
                self.pending.insert(id, v);
                self.failing.insert(id, *fails);
                self.pump();
            }
            Step::Process => self.process(),
            Step::Publish => self.publish(),
            Step::Deliver => self.deliver(),
            Step::Drop => {
                if let Some(socket) = self.socket.filter(|_| self.open) {
                    self.lose_socket();
                    self.client.handle_close(socket, 1006, "dropped", self.now);
                    self.pump();
                }
            }
            Step::Advance(ms) => {
                let end = self.now.as_millis() + u64::from(*ms);
                while let Some(t) = self.client.poll_timeout() {
                    if t.as_millis() > end {
                        break;
                    }
                    self.now = Instant::from_millis(t.as_millis().max(self.now.as_millis()));
                    self.client.handle_timeout(self.now);
                    self.pump();
                }
                self.now = Instant::from_millis(end);
                // A server that answers keeps the socket alive.
                if self.open {
                    if let Some(socket) = self.socket {
                        self.client.handle_message(
                            socket,
                            &ServerMessage::Ping.to_text(),
                            self.now,
                        );
                        self.pump();
                    }
                }
            }
        }
        self.check();
    }

    fn visible(&self) -> Option<Vec<f64>> {
        let result = self.client.query_result(self.query)?;
        match result.value() {
            Some(Value::Array(items)) => Some(items.iter().filter_map(Value::as_f64).collect()),
            _ => Some(vec![
                f64::NAN;
                usize::from(matches!(result, QueryResult::Error { .. }))
            ]),
        }
    }

    fn check(&mut self) {
        let expected = self.last_server.clone().map(|mut l| {
            l.extend(self.pending.values().copied());
            l
        });
        let visible = self.visible();
        if visible != expected && self.violations.is_empty() {
            self.violations.push(format!(
                "visible {visible:?}, expected {expected:?} (server {:?}, pending {:?})",
                self.last_server, self.pending
            ));
        }
    }

    fn settle(&mut self) {
        for _ in 0..200 {
            let caught_up = self.visible() == Some(self.server.numbers.clone());
            if self.open && caught_up && self.pending.is_empty() && self.server.outbox.is_empty() {
                break;
            }
            if !self.open {
                self.step(&Step::Advance(40_000));
                continue;
            }
            while !self.server.inbox.is_empty() {
                self.process();
            }
            self.publish();
            while !self.server.outbox.is_empty() && self.open {
                self.deliver();
            }
            self.check();
        }
        if !self.pending.is_empty() {
            self.violations
                .push(format!("still pending after settling: {:?}", self.pending));
        }
        if self.client.connection_state().has_inflight_requests {
            self.violations.push("requests still in flight".into());
        }
        if self.visible() != Some(self.server.numbers.clone()) {
            self.violations.push(format!(
                "settled view {:?} is not the server's {:?}",
                self.visible(),
                self.server.numbers
            ));
        }
        for (id, fails) in &self.failing {
            match self.settled.get(id).map(Vec::as_slice) {
                Some([ok]) if *ok != *fails => {}
                other => self.violations.push(format!(
                    "{id:?} (fails: {fails}) settled as {other:?}, expected once"
                )),
            }
        }
    }
}

fn run(steps: &[Step]) -> Result<(), TestCaseError> {
    let mut world = World::new();
    for (i, s) in steps.iter().enumerate() {
        world.step(s);
        prop_assert!(
            world.violations.is_empty(),
            "after step {i} ({s:?}): {:?}",
            world.violations
        );
    }
    world.settle();
    prop_assert!(
        world.violations.is_empty(),
        "after settling: {:?}",
        world.violations
    );
    Ok(())
}

fn cases() -> u32 {
    std::env::var("MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn optimistic_updates_hold_under_random_interleavings(steps in prop::collection::vec(step(), 1..80)) {
        run(&steps)?;
    }
}
