//! What the server has not been told yet: the held `Connect`, then, in the official order,
//! `Authenticate`, `ModifyQuerySet` and the requests in id order.
//!
//! The frames are written as text around the parts that need escaping (the same JSON as
//! `ClientMessage::to_text`, which the tests check), so the client never builds a JSON tree.

use super::query_set::wire_args;
use super::{Io, SyncClient};
use crate::json::to_string as json;
use crate::protocol::{AuthTokenType, Ts};

impl SyncClient {
    /// Sends the held `Connect`, then whatever else the server needs.
    pub(super) fn send_connect(&mut self) {
        let Some((id, connection_count, last_close_reason)) = self.socket.send_handshake() else {
            return;
        };
        let text = connect_text(
            &self.config.session_id,
            connection_count,
            last_close_reason.as_deref(),
            self.remote.max_observed_ts(),
            Some(self.wall.unix_ms(self.now)),
        );
        self.io.push_back(Io::Send { socket: id, text });
        self.flush();
    }

    /// Sends whatever the server has not been told yet, in the official order:
    /// Authenticate, then ModifyQuerySet, then requests in id order.
    pub(super) fn flush(&mut self) {
        let Some(presented) = self.auth.presented() else {
            return; // waiting for a token
        };
        let Some((id, sent)) = self.socket.ready() else {
            return;
        };
        if let Some((base_version, value)) = sent.authenticate(presented) {
            let token_type = if value.is_some() {
                AuthTokenType::User
            } else {
                AuthTokenType::None
            };
            let text = authenticate_text(base_version, token_type, value.as_deref());
            self.io.push_back(Io::Send { socket: id, text });
        }
        if let Some((base, added, removed)) =
            sent.modify_query_set(self.queries.ids().map(|q| (q, ())).collect())
        {
            let mut modifications = Vec::with_capacity(added.len() + removed.len());
            for q in added {
                if let (Some(local), Some(token)) = (self.queries.get(q), self.queries.token(q)) {
                    modifications.push(add_text(
                        q.0,
                        &local.path,
                        wire_args(token),
                        local.journal.as_deref(),
                    ));
                }
            }
            modifications.extend(removed.into_iter().map(|q| remove_text(q.0)));
            let text = modify_query_set_text(base, &modifications);
            self.io.push_back(Io::Send { socket: id, text });
        }
        for text in self.requests.take_unsent() {
            self.io.push_back(Io::Send { socket: id, text });
        }
    }
}

/// `ClientMessage::Connect`'s text.
fn connect_text(
    session_id: &str,
    connection_count: u32,
    last_close_reason: Option<&str>,
    max_observed_timestamp: Option<Ts>,
    client_ts: Option<u64>,
) -> String {
    let mut text = format!(
        r#"{{"type":"Connect","sessionId":{},"connectionCount":{connection_count},"lastCloseReason":{}"#,
        json(session_id),
        json(&last_close_reason)
    );
    if let Some(ts) = max_observed_timestamp {
        text.push_str(&format!(r#","maxObservedTimestamp":{}"#, json(&ts)));
    }
    if let Some(ts) = client_ts {
        text.push_str(&format!(r#","clientTs":{ts}"#));
    }
    text.push('}');
    text
}

/// `ClientMessage::Authenticate`'s text (never impersonating).
fn authenticate_text(base_version: u32, token_type: AuthTokenType, value: Option<&str>) -> String {
    let kind = match token_type {
        AuthTokenType::User => "User",
        AuthTokenType::Admin => "Admin",
        AuthTokenType::None => "None",
    };
    let mut text =
        format!(r#"{{"type":"Authenticate","baseVersion":{base_version},"tokenType":"{kind}""#);
    if let Some(value) = value {
        text.push_str(&format!(r#","value":{}"#, json(value)));
    }
    text.push('}');
    text
}

/// `QuerySetModification::Add`'s text, around the arguments' wire text.
fn add_text(query_id: u32, udf_path: &str, args: &str, journal: Option<&str>) -> String {
    let mut text = format!(
        r#"{{"type":"Add","queryId":{query_id},"udfPath":{},"args":{args}"#,
        json(udf_path)
    );
    if let Some(journal) = journal {
        text.push_str(&format!(r#","journal":{}"#, json(journal)));
    }
    text.push('}');
    text
}

/// `QuerySetModification::Remove`'s text.
fn remove_text(query_id: u32) -> String {
    format!(r#"{{"type":"Remove","queryId":{query_id}}}"#)
}

/// `ClientMessage::ModifyQuerySet`'s text from `base_version` to the next one.
fn modify_query_set_text(base_version: u32, modifications: &[String]) -> String {
    format!(
        r#"{{"type":"ModifyQuerySet","baseVersion":{base_version},"newVersion":{},"modifications":[{}]}}"#,
        base_version + 1,
        modifications.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ClientMessage, QuerySetModification};
    use crate::value::{args_to_text, args_to_wire, Object, Value};

    /// Each frame written as text is exactly `ClientMessage::to_text`'s, and parses back.
    #[test]
    fn frames_are_the_client_messages_text() {
        let odd = ["", "s-1", "quote \" and \\ and \n", "\u{0}\u{1f}é😀"];
        for (i, s) in odd.iter().enumerate() {
            let n = i as u32;
            for (reason, max, ts) in [
                (None, None, None),
                (Some(*s), Some(Ts(u64::from(n) * 1_000_003)), Some(u64::MAX)),
            ] {
                let expected = ClientMessage::Connect {
                    session_id: s.to_string(),
                    connection_count: n,
                    last_close_reason: reason.map(str::to_owned),
                    max_observed_timestamp: max,
                    client_ts: ts,
                };
                let text = connect_text(s, n, reason, max, ts);
                assert_eq!(text, expected.to_text());
                assert_eq!(ClientMessage::parse(&text).unwrap(), expected);
            }
            for (token_type, value) in [
                (AuthTokenType::User, Some(*s)),
                (AuthTokenType::None, None),
                (AuthTokenType::Admin, Some(*s)),
            ] {
                let expected = ClientMessage::Authenticate {
                    base_version: n,
                    token_type,
                    value: value.map(str::to_owned),
                    impersonating: None,
                };
                let text = authenticate_text(n, token_type, value);
                assert_eq!(text, expected.to_text());
                assert_eq!(ClientMessage::parse(&text).unwrap(), expected);
            }
            let args: Object = [
                (s.to_string(), Value::String(s.to_string())),
                ("n".to_string(), Value::Int64(-(i as i64))),
                ("f".to_string(), Value::Float64(f64::NAN)),
            ]
            .into_iter()
            .collect();
            let expected = ClientMessage::ModifyQuerySet {
                base_version: n,
                new_version: n + 1,
                modifications: vec![
                    QuerySetModification::Add {
                        query_id: n,
                        udf_path: s.to_string(),
                        args: args_to_wire(&args),
                        journal: Some(s.to_string()),
                        component_path: None,
                    },
                    QuerySetModification::Remove { query_id: 7 },
                    QuerySetModification::Add {
                        query_id: n + 1,
                        udf_path: "m:q".into(),
                        args: args_to_wire(&Object::new()),
                        journal: None,
                        component_path: None,
                    },
                ],
            };
            let text = modify_query_set_text(
                n,
                &[
                    add_text(n, s, &args_to_text(&args), Some(s)),
                    remove_text(7),
                    add_text(n + 1, "m:q", &args_to_text(&Object::new()), None),
                ],
            );
            assert_eq!(text, expected.to_text());
            assert_eq!(ClientMessage::parse(&text).unwrap(), expected);
        }
        assert_eq!(
            modify_query_set_text(3, &[]),
            ClientMessage::ModifyQuerySet {
                base_version: 3,
                new_version: 4,
                modifications: vec![],
            }
            .to_text()
        );
    }
}
