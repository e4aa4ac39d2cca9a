//! Mutations and actions in flight.

use std::collections::BTreeMap;

use crate::protocol::Ts;
use crate::time::Instant;
use crate::value::Value;

/// Identifies one mutation or action (the protocol's `requestId`), from one counter per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u32);

/// Mutation or action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A mutation: idempotent per (session, request id), re-sent after a reconnect.
    Mutation,
    /// An action: not idempotent, failed if the connection drops while it runs.
    Action,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Status {
    NotSent,
    Requested,
    /// The mutation committed at `ts`; it resolves once a Transition reaches `ts`.
    Committed {
        ts: Ts,
        value: Value,
    },
}

#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) kind: RequestKind,
    pub(crate) path: String,
    /// The encoded argument array (`[{...}]`), written once, sent again after a reconnect.
    pub(crate) args: String,
    pub(crate) status: Status,
    /// When the app asked for it.
    pub(crate) since: Instant,
}

impl Request {
    /// The `Mutation` / `Action` frame, written around the argument text (the same JSON as
    /// `ClientMessage::Mutation { .. }.to_text()`, without building a JSON tree).
    pub(crate) fn frame_text(&self, id: RequestId) -> String {
        let kind = match self.kind {
            RequestKind::Mutation => "Mutation",
            RequestKind::Action => "Action",
        };
        // A `String` always serialises.
        let path = serde_json::to_string(&self.path).unwrap_or_default();
        format!(
            r#"{{"type":"{kind}","requestId":{},"udfPath":{path},"args":{}}}"#,
            id.0, self.args
        )
    }
}

/// Requests by id, in id order (the order they are sent in).
#[derive(Debug, Default)]
pub(crate) struct Requests {
    pub(crate) map: BTreeMap<RequestId, Request>,
    next_id: u32,
}

impl Requests {
    pub(crate) fn add(
        &mut self,
        kind: RequestKind,
        path: String,
        args: String,
        since: Instant,
    ) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        self.map.insert(
            id,
            Request {
                kind,
                path,
                args,
                status: Status::NotSent,
                since,
            },
        );
        id
    }

    /// When the oldest request still in flight was asked for.
    pub(crate) fn oldest(&self) -> Option<Instant> {
        self.map.values().map(|r| r.since).min()
    }

    pub(crate) fn count(&self, kind: RequestKind) -> usize {
        self.map.values().filter(|r| r.kind == kind).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ClientMessage;
    use crate::value::json::{args_to_text, args_to_wire};
    use crate::value::Object;

    #[test]
    fn the_written_frame_is_the_protocol_message() {
        let mut args = Object::new();
        args.insert("big".into(), Value::Int64(-3));
        args.insert("text".into(), Value::String("quote \" and \u{e9}".into()));
        args.insert("f".into(), Value::Float64(f64::NEG_INFINITY));
        for (kind, path) in [
            (RequestKind::Mutation, "messages:send"),
            (RequestKind::Action, "odd \"path\"\n:x"),
        ] {
            let mut requests = Requests::default();
            let id = requests.add(
                kind,
                path.into(),
                args_to_text(&args),
                Instant::from_millis(0),
            );
            let text = requests.map[&id].frame_text(id);
            let expected = match kind {
                RequestKind::Mutation => ClientMessage::Mutation {
                    request_id: id.0,
                    udf_path: path.into(),
                    args: args_to_wire(&args),
                    component_path: None,
                },
                RequestKind::Action => ClientMessage::Action {
                    request_id: id.0,
                    udf_path: path.into(),
                    args: args_to_wire(&args),
                    component_path: None,
                },
            };
            assert_eq!(text, expected.to_text());
            assert_eq!(ClientMessage::parse(&text).unwrap(), expected);
        }
    }
}
