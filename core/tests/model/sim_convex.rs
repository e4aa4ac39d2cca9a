//! A simulated Convex sync server for one connection: it tracks the connection's identity
//! (`sub|org|sid` of the token it verified), verifies tokens against the simulated AuthKit on
//! the server's own clock, answers `AuthError` (and closes) for a bad one, and sends a
//! Transition after every change, with one query whose result is the caller's identity.

use std::collections::BTreeMap;

use convex_yew_core::protocol::{
    AuthTokenType, ClientMessage, QuerySetModification, ServerMessage, StateModification,
    StateVersion, Ts,
};
use serde_json::{json, Value as Json};

use super::sim_authkit::SimAuthKit;

/// What the server does after a frame.
pub enum Reply {
    Send(ServerMessage),
    Close(&'static str),
}

#[derive(Debug, Default)]
pub struct Conn {
    pub connected: bool,
    /// `None`: anonymous; otherwise `sub|org|sid` of the verified token.
    pub identity: Option<String>,
    /// The token the identity came from.
    token: Option<String>,
    identity_version: u32,
    query_set_version: u32,
    queries: BTreeMap<u32, String>,
    version: StateVersion,
    ts: u64,
    pub closed: bool,
}

impl Conn {
    fn transition(&mut self) -> ServerMessage {
        self.ts += 1;
        let end = StateVersion {
            query_set: self.query_set_version,
            identity: self.identity_version,
            ts: Ts(self.ts),
        };
        let value: Json = match &self.identity {
            Some(u) => json!(u),
            None => Json::Null,
        };
        let modifications = self
            .queries
            .keys()
            .map(|&query_id| StateModification::QueryUpdated {
                query_id,
                value: value.clone(),
                log_lines: vec![],
                journal: None,
            })
            .collect();
        let msg = ServerMessage::Transition {
            start_version: self.version,
            end_version: end,
            modifications,
            client_clock_skew: None,
            server_ts: None,
        };
        self.version = end;
        msg
    }

    /// Handles one client frame.
    pub fn handle(&mut self, text: &str, authkit: &SimAuthKit, now_secs: u64) -> Vec<Reply> {
        if self.closed {
            return vec![];
        }
        let Ok(msg) = ClientMessage::parse(text) else {
            self.closed = true;
            return vec![Reply::Close("bad frame")];
        };
        match msg {
            ClientMessage::Connect { .. } => {
                assert!(!self.connected, "Connect sent twice on one socket");
                self.connected = true;
                vec![]
            }
            _ if !self.connected => panic!("a frame before Connect: {text}"),
            ClientMessage::Authenticate {
                base_version,
                token_type,
                value,
                ..
            } => {
                assert_eq!(
                    base_version, self.identity_version,
                    "Authenticate with a wrong base version"
                );
                match token_type {
                    AuthTokenType::User => {
                        let token = value.unwrap_or_default();
                        match authkit.verify(&token, now_secs) {
                            Some(user) => {
                                self.identity = Some(user);
                                self.token = Some(token);
                                self.identity_version += 1;
                                vec![Reply::Send(self.transition())]
                            }
                            None => {
                                self.closed = true;
                                vec![
                                    Reply::Send(ServerMessage::AuthError {
                                        error: "token invalid or expired".into(),
                                        base_version: Some(base_version),
                                        auth_update_attempted: Some(true),
                                    }),
                                    Reply::Close("AuthError"),
                                ]
                            }
                        }
                    }
                    _ => {
                        self.identity = None;
                        self.token = None;
                        self.identity_version += 1;
                        vec![Reply::Send(self.transition())]
                    }
                }
            }
            ClientMessage::ModifyQuerySet {
                base_version,
                new_version,
                modifications,
            } => {
                assert_eq!(base_version, self.query_set_version, "ModifyQuerySet base");
                for m in modifications {
                    match m {
                        QuerySetModification::Add {
                            query_id, udf_path, ..
                        } => {
                            self.queries.insert(query_id, udf_path);
                        }
                        QuerySetModification::Remove { query_id } => {
                            self.queries.remove(&query_id);
                        }
                    }
                }
                self.query_set_version = new_version;
                vec![Reply::Send(self.transition())]
            }
            _ => vec![],
        }
    }

    /// The identity expired on the server (Convex checks `exp` on every request): the
    /// server says so and closes, as the real one does.
    pub fn expire_identity(&mut self, authkit: &SimAuthKit, now_secs: u64) -> Vec<Reply> {
        let Some(token) = &self.token else {
            return vec![];
        };
        if self.closed || authkit.verify(token, now_secs).is_some() {
            return vec![];
        }
        self.closed = true;
        vec![
            Reply::Send(ServerMessage::AuthError {
                error: "Convex token identity expired".into(),
                base_version: Some(self.identity_version.saturating_sub(1)),
                auth_update_attempted: Some(false),
            }),
            Reply::Close("AuthError"),
        ]
    }
}
