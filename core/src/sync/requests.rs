//! Mutations and actions in flight.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::time::Instant;
use crate::protocol::{ClientMessage, Ts};
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
    pub(crate) args: Json,
    pub(crate) status: Status,
    /// When the app asked for it.
    pub(crate) since: Instant,
}

impl Request {
    pub(crate) fn message(&self, id: RequestId) -> ClientMessage {
        match self.kind {
            RequestKind::Mutation => ClientMessage::Mutation {
                request_id: id.0,
                udf_path: self.path.clone(),
                args: self.args.clone(),
                component_path: None,
            },
            RequestKind::Action => ClientMessage::Action {
                request_id: id.0,
                udf_path: self.path.clone(),
                args: self.args.clone(),
                component_path: None,
            },
        }
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
        args: Json,
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
