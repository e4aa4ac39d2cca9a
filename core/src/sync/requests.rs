//! Mutations and actions in flight.

use super::io::{FunctionError, LogSource, RequestId};
use crate::protocol::incoming::Reply;
use crate::protocol::Ts;
use crate::sorted_map::SortedMap;
use crate::time::Instant;
use crate::value::Value;

/// Mutation or action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    /// A mutation: idempotent per (session, request id), re-sent after a reconnect.
    Mutation,
    /// An action: not idempotent, failed if the connection drops while it runs.
    Action,
}

#[derive(Debug, Clone, PartialEq)]
enum Status {
    NotSent,
    Requested,
    /// The mutation committed at `ts`; it resolves once a Transition reaches `ts`.
    Committed {
        ts: Ts,
        value: Value,
    },
}

#[derive(Debug)]
struct Request {
    kind: RequestKind,
    path: String,
    /// The encoded argument array (`[{...}]`), written once, sent again after a reconnect.
    args: String,
    status: Status,
    /// When the app asked for it.
    since: Instant,
}

impl Request {
    /// The `Mutation` / `Action` frame, written around the argument text (the same JSON as
    /// `ClientMessage::Mutation { .. }.to_text()`, without building a JSON tree).
    fn frame_text(&self, id: RequestId) -> String {
        let kind = match self.kind {
            RequestKind::Mutation => "Mutation",
            RequestKind::Action => "Action",
        };
        let mut path = String::new();
        crate::json::write_str(&mut path, &self.path);
        format!(
            r#"{{"type":"{kind}","requestId":{},"udfPath":{path},"args":{}}}"#,
            id.0, self.args
        )
    }
}

/// What a response did to its request.
pub(crate) enum Answered {
    /// A mutation committed at this timestamp: it settles once a Transition reaches it.
    Committed(Ts),
    /// The request is done (an action, or a mutation that failed) and removed.
    Settled(RequestId, RequestKind, Result<Value, FunctionError>),
}

/// Mutations and actions by id, in id order (the order they are sent in), with the
/// transitions that carry the protocol's rules: restart on a new socket, send once, settle at
/// a timestamp (the official `RequestManager`).
#[derive(Debug, Default)]
pub(crate) struct Requests {
    map: SortedMap<RequestId, Request>,
    next_id: u32,
}

impl Requests {
    /// The next request id (ids are never reused, even for a request that never starts).
    pub(crate) fn allocate(&mut self) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    /// Queues request `id`, asked for at `since`, to be sent.
    pub(crate) fn add(
        &mut self,
        id: RequestId,
        kind: RequestKind,
        path: String,
        args: String,
        since: Instant,
    ) {
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
    }

    /// A new socket: mutations not yet settled are sent again (the server deduplicates them
    /// by session and request id); actions in flight are lost, removed and returned: they
    /// are not idempotent, so they are never retried.
    pub(crate) fn restart(&mut self) -> Vec<RequestId> {
        let mut lost = Vec::new();
        for (&id, r) in self.map.iter_mut() {
            match (r.kind, &r.status) {
                (RequestKind::Mutation, Status::Requested | Status::Committed { .. }) => {
                    r.status = Status::NotSent
                }
                (RequestKind::Action, Status::Requested) => lost.push(id),
                _ => {}
            }
        }
        for id in &lost {
            self.map.remove(id);
        }
        lost
    }

    /// The frames of the requests not sent yet, in id order; they count as sent.
    pub(crate) fn take_unsent(&mut self) -> Vec<String> {
        let mut frames = Vec::new();
        for (&id, r) in self.map.iter_mut() {
            if r.status == Status::NotSent {
                r.status = Status::Requested;
                frames.push(r.frame_text(id));
            }
        }
        frames
    }

    /// Applies a response. `None` for a stray, a duplicate, or a response to a request not
    /// sent on this socket. The log lines it carries go to `logs` with the request they
    /// belong to.
    pub(crate) fn on_response(
        &mut self,
        response: Reply,
        logs: &mut Vec<(LogSource, Vec<String>)>,
    ) -> Option<Answered> {
        let Reply {
            action,
            request_id,
            success,
            result,
            ts,
            log_lines,
            error_data,
        } = response;
        let kind = if action {
            RequestKind::Action
        } else {
            RequestKind::Mutation
        };
        let id = RequestId(request_id);
        let r = self.map.get_mut(&id)?;
        if r.kind != kind || r.status != Status::Requested {
            return None;
        }
        if !log_lines.is_empty() {
            let path = r.path.clone();
            let source = match kind {
                RequestKind::Mutation => LogSource::Mutation { id, path },
                RequestKind::Action => LogSource::Action { id, path },
            };
            logs.push((source, log_lines));
        }
        let outcome = if success {
            Value::from_json_str(&result).map_err(FunctionError::MalformedResult)
        } else {
            Err(FunctionError::Failed {
                // A message that is not a JSON string (a newer or odd server) reads as its
                // JSON text.
                message: crate::json::read_string(&result).unwrap_or(result),
                data: error_data.and_then(|d| Value::from_json_str(&d).ok()),
            })
        };
        match (kind, outcome, ts) {
            (RequestKind::Mutation, Ok(value), Some(ts)) => {
                r.status = Status::Committed { ts, value };
                Some(Answered::Committed(ts))
            }
            (kind, outcome, _) => {
                self.map.remove(&id);
                Some(Answered::Settled(id, kind, outcome))
            }
        }
    }

    /// Removes the mutations committed at or before `visible` and returns their results, in
    /// id order.
    pub(crate) fn take_committed(&mut self, visible: Ts) -> Vec<(RequestId, Value)> {
        let ids: Vec<RequestId> = self
            .map
            .iter()
            .filter(|(_, r)| matches!(&r.status, Status::Committed { ts, .. } if *ts <= visible))
            .map(|(&id, _)| id)
            .collect();
        ids.into_iter()
            .filter_map(|id| match self.map.remove(&id)?.status {
                Status::Committed { value, .. } => Some((id, value)),
                _ => None,
            })
            .collect()
    }

    /// Removes every request (the client is closing) and returns what each was.
    pub(crate) fn fail_all(&mut self) -> Vec<(RequestId, RequestKind)> {
        std::mem::take(&mut self.map)
            .into_iter()
            .map(|(id, r)| (id, r.kind))
            .collect()
    }

    /// When the oldest request still in flight was asked for.
    pub(crate) fn oldest(&self) -> Option<Instant> {
        self.map.values().map(|r| r.since).min()
    }

    /// Requests of this kind in flight.
    pub(crate) fn count(&self, kind: RequestKind) -> usize {
        self.map.values().filter(|r| r.kind == kind).count()
    }

    /// Nothing in flight.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ClientMessage;
    use crate::value::Object;
    use crate::value::{args_to_text, args_to_wire};

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
            let id = requests.allocate();
            requests.add(
                id,
                kind,
                path.into(),
                args_to_text(&args),
                Instant::from_millis(0),
            );
            let text = requests.take_unsent().remove(0);
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
