//! A simulated network for the sans-IO client: a virtual clock, the frames the client sent,
//! the sockets it opened and closed, and its events.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use convex_yew_core::protocol::{
    ClientMessage, ServerMessage, StateModification, StateVersion, Ts,
};
use convex_yew_core::sync::{ClientConfig, Event, FetchId, Io, SocketId, SyncClient, TokenFetch};
use convex_yew_core::time::Instant;
use convex_yew_core::value::Object;
use convex_yew_core::value::Value;
use serde_json::json;

pub const SESSION: &str = "0f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c90";
pub const T0: u64 = 1_700_000_000_000;

pub struct Net {
    pub client: SyncClient,
    pub now: Instant,
    /// The socket the client asked for and that is not closed yet.
    pub socket: Option<SocketId>,
    pub opened: bool,
    pub sent: Vec<ClientMessage>,
    pub closes: Vec<(SocketId, String)>,
    pub connects: usize,
    pub fetches: Vec<(FetchId, bool)>,
    pub events: Vec<Event>,
    /// The server's view for building Transitions.
    pub server_version: StateVersion,
    /// Whether the simulated server pings every 15 s, as the real one does when idle.
    pub server_pings: bool,
}

impl Net {
    pub fn new() -> Net {
        Net::with_config(ClientConfig::new(SESSION, 1))
    }

    pub fn with_config(config: ClientConfig) -> Net {
        let now = Instant::from_millis(T0);
        let mut net = Net {
            client: SyncClient::new(config, now),
            now,
            socket: None,
            opened: false,
            sent: vec![],
            closes: vec![],
            connects: 0,
            fetches: vec![],
            events: vec![],
            server_version: StateVersion::default(),
            server_pings: true,
        };
        net.pump();
        net
    }

    /// A client whose socket is open and whose first frames were taken.
    pub fn connected() -> Net {
        let mut net = Net::new();
        net.open();
        net.take_sent();
        net
    }

    pub fn pump(&mut self) {
        while let Some(io) = self.client.poll_io() {
            match io {
                Io::Connect { socket } => {
                    self.socket = Some(socket);
                    self.opened = false;
                    self.connects += 1;
                }
                Io::Send { socket, text } => {
                    assert_eq!(
                        Some(socket),
                        self.socket,
                        "sent on a socket that is not current"
                    );
                    assert!(self.opened, "sent before the socket opened");
                    self.sent
                        .push(ClientMessage::parse(&text).expect("client frames parse"));
                }
                Io::Close { socket, reason } => {
                    self.closes.push((socket, reason));
                    if self.socket == Some(socket) {
                        self.socket = None;
                    }
                }
                Io::FetchToken {
                    fetch,
                    force_refresh,
                } => self.fetches.push((fetch, force_refresh)),
            }
        }
        while let Some(e) = self.client.poll_event() {
            self.events.push(e);
        }
    }

    pub fn open(&mut self) {
        let socket = self.socket.expect("a socket was requested");
        self.opened = true;
        self.server_version = StateVersion::default();
        self.client.handle_open(socket, self.now);
        self.pump();
    }

    pub fn take_sent(&mut self) -> Vec<ClientMessage> {
        self.pump();
        std::mem::take(&mut self.sent)
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        self.pump();
        std::mem::take(&mut self.events)
    }

    pub fn take_fetches(&mut self) -> Vec<(FetchId, bool)> {
        std::mem::take(&mut self.fetches)
    }

    pub fn deliver_text(&mut self, text: &str) {
        self.pump();
        let socket = self.socket.expect("an open socket");
        self.client.handle_message(socket, text, self.now);
        self.pump();
    }

    pub fn deliver(&mut self, msg: ServerMessage) {
        self.deliver_text(&msg.to_text());
    }

    /// The server closes the socket.
    pub fn server_close(&mut self, code: u16, reason: &str) {
        self.pump();
        let socket = self.socket.take().expect("an open socket");
        self.client.handle_close(socket, code, reason, self.now);
        self.pump();
    }

    /// Advances the clock by `ms`, running every timer that falls due on the way (and, with
    /// `server_pings`, the server's 15 s pings on an open socket).
    pub fn advance(&mut self, ms: u64) {
        let end = self.now.as_millis() + ms;
        if self.server_pings {
            while self.now.as_millis() + 15_000 < end {
                self.advance_quietly(15_000);
                if self.socket.is_some() && self.opened {
                    self.deliver(ServerMessage::Ping);
                }
            }
        }
        self.advance_quietly(end - self.now.as_millis());
    }

    fn advance_quietly(&mut self, ms: u64) {
        let end = self.now.as_millis() + ms;
        loop {
            match self.client.poll_timeout() {
                Some(t) if t.as_millis() <= end => {
                    self.now = Instant::from_millis(t.as_millis().max(self.now.as_millis()));
                    self.client.handle_timeout(self.now);
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = Instant::from_millis(end);
    }

    /// `set_auth`, and its first token fetch answered with `outcome`.
    pub fn set_auth_answered(&mut self, outcome: TokenFetch) {
        self.client.set_auth(self.now);
        self.pump();
        let (f, _) = self.take_fetches()[0];
        self.fetched(f, outcome);
    }

    /// The server's `AuthError` arrives.
    pub fn auth_error(&mut self, error: &str, base_version: Option<u32>, attempted: Option<bool>) {
        self.deliver(ServerMessage::AuthError {
            error: error.into(),
            base_version,
            auth_update_attempted: attempted,
        });
    }

    /// The socket opens again: the `lastCloseReason` its `Connect` reports.
    pub fn reconnect_reason(&mut self) -> Option<String> {
        self.open();
        match self.take_sent().into_iter().next() {
            Some(ClientMessage::Connect {
                last_close_reason, ..
            }) => last_close_reason,
            other => panic!("expected a Connect, got {other:?}"),
        }
    }

    /// A Transition from the server's current version.
    pub fn transition(
        &mut self,
        query_set: u32,
        identity: u32,
        ts: u64,
        mods: Vec<StateModification>,
    ) -> ServerMessage {
        let end = StateVersion {
            query_set,
            identity,
            ts: Ts(ts),
        };
        let msg = ServerMessage::Transition {
            start_version: self.server_version,
            end_version: end,
            modifications: mods,
            client_clock_skew: None,
            server_ts: None,
        };
        self.server_version = end;
        msg
    }

    pub fn fetched(&mut self, fetch: FetchId, outcome: TokenFetch) {
        self.client.token_fetched(fetch, outcome, self.now);
        self.pump();
    }
}

pub fn updated(query_id: u32, value: serde_json::Value) -> StateModification {
    StateModification::QueryUpdated {
        query_id,
        value,
        log_lines: vec![],
        journal: None,
    }
}

pub fn args(v: serde_json::Value) -> Object {
    match Value::from_json(&v).unwrap() {
        Value::Object(o) => o,
        _ => panic!("args must be an object"),
    }
}

/// An unsigned JWT with these claims (the core never verifies signatures).
pub fn jwt(iat: u64, exp: u64, tag: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(
        json!({"iat": iat, "exp": exp, "iss": "https://issuer.test", "sub": tag}).to_string(),
    );
    format!("{header}.{payload}.sig")
}

pub fn secs(net: &Net) -> u64 {
    net.now.as_millis() / 1000
}
