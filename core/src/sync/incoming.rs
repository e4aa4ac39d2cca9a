//! What the server says: each frame on the open socket, read and applied (Transitions to the
//! remote query set, responses to the requests, auth errors to the auth state), and what
//! the client does about a frame that breaks the protocol.

use super::auth::Effect;
use super::backoff::CloseCause;
use super::requests::{Answered, RequestKind};
use super::{Event, SocketId, SyncClient};
use crate::protocol::incoming::{self, Incoming, Reply};
use crate::protocol::transition::Transition;
use crate::protocol::ProtocolError;
use crate::sorted_map::SortedMap;
use crate::time::Instant;

impl SyncClient {
    /// One text frame arrived on `socket`.
    pub fn handle_message(&mut self, socket: SocketId, text: &str, now: Instant) {
        let now = self.tick(now);
        if !self.socket.is_open(socket) {
            return;
        }
        self.socket.heard(now);
        let msg = match incoming::parse(text) {
            Ok(Incoming::Transition(t)) => {
                self.interrupt_chunks();
                return self.apply_transition(t);
            }
            Ok(m) => m,
            Err(ProtocolError::Unrecognized(what)) => {
                // A frame this version does not know (a newer server's message type): the
                // official client drops it and keeps the socket and any pending chunks.
                return self.unrecognized(what);
            }
            Err(e) => {
                let preview: String = text.chars().take(80).collect();
                return self.protocol_violation(format!("{e}: {preview}"));
            }
        };
        // A Ping between the chunks of a Transition is harmless (the official client handles
        // it before its chunk check); anything else ends the partial Transition.
        if !matches!(msg, Incoming::Chunk { .. } | Incoming::Ping) {
            self.interrupt_chunks();
        }
        match msg {
            // Transitions returned above.
            Incoming::Transition(_) | Incoming::Ping => {}
            Incoming::Chunk {
                chunk,
                part_number,
                total_parts,
                transition_id,
            } => match self
                .chunks
                .push(chunk, part_number, total_parts, transition_id)
            {
                Ok(None) => {}
                Ok(Some(whole)) => match incoming::parse(&whole) {
                    Ok(Incoming::Transition(t)) => self.apply_transition(t),
                    _ => self.protocol_violation("reassembled chunks are not a Transition".into()),
                },
                Err(e) => self.protocol_violation(e.to_string()),
            },
            Incoming::Reply(r) => self.on_response(r),
            Incoming::AuthError {
                error,
                base_version,
                auth_update_attempted,
            } => self.on_auth_error(error, base_version, auth_update_attempted),
            Incoming::FatalError(error) => {
                let reason: String = format!("FatalError: {error}").chars().take(123).collect();
                self.events
                    .push_back(Event::ProtocolViolation(reason.clone()));
                self.client_close(&reason);
            }
        }
    }

    pub(super) fn on_auth_error(
        &mut self,
        error: String,
        base_version: Option<u32>,
        attempted: Option<bool>,
    ) {
        if attempted == Some(false) && self.auth.awaits_confirmation() {
            return; // about a token that is already being replaced
        }
        let sent = self.socket.sent();
        if base_version.is_some_and(|base| sent.is_some_and(|s| s.is_stale_auth_error(base))) {
            return; // about an older auth attempt
        }
        let was_anonymous = self.auth.presented() == Some(None);
        let fx = self.auth.on_rejected(error, self.now);
        let gave_up = fx.iter().any(|e| matches!(e, Effect::GaveUp(_)));
        if gave_up || was_anonymous {
            // The server closes the socket after an AuthError: reconnect anonymous at once.
            if let Some(id) = self.socket.current() {
                self.close_socket(id, "AuthError", CloseCause::Client, true);
            }
        }
        self.apply_auth(fx);
    }

    /// A message other than a chunk or a Ping arrived while chunks were pending: the partial
    /// Transition is dropped and the message handled (as the official client does).
    pub(super) fn interrupt_chunks(&mut self) {
        if !self.chunks.is_empty() {
            self.chunks.clear();
            self.events.push_back(Event::ProtocolViolation(
                "a message arrived between the chunks of a Transition; the partial Transition was dropped".into(),
            ));
        }
    }

    /// An unrecognized frame is dropped; each kind is reported once.
    pub(super) fn unrecognized(&mut self, what: String) {
        let kind: String = what.chars().take(80).collect();
        if !self.unrecognized.contains(&kind) && self.unrecognized.len() < 16 {
            self.unrecognized.push(kind.clone());
            self.events.push_back(Event::ProtocolViolation(format!(
                "ignored a server frame this client does not know ({kind}); later ones like it are ignored silently"
            )));
        }
    }

    pub(super) fn protocol_violation(&mut self, message: String) {
        self.events.push_back(Event::ProtocolViolation(message));
        self.client_close("ProtocolError");
    }

    pub(super) fn apply_transition(&mut self, transition: Transition) {
        let (start, end) = (transition.start, transition.end);
        let confirms_auth = self
            .socket
            .sent()
            .is_some_and(|s| s.confirms_identity(start.identity, end.identity));
        let applied = match self.remote.apply(transition, &mut self.queries) {
            Ok(applied) => applied,
            Err(violation) => return self.protocol_violation(violation),
        };
        for (source, lines) in applied.logs {
            self.events.push_back(Event::LogLines { source, lines });
        }
        // The updates of the mutations this Transition makes visible go in the same step as
        // the server results that contain their writes.
        let done = self.take_committed(end.ts);
        self.publish(applied.changed);
        for (id, value) in done {
            self.settle(RequestKind::Mutation, id, Ok(value));
        }
        if confirms_auth {
            let fx = self.auth.on_confirmed(self.now);
            self.apply_auth(fx);
        }
        let caught_up = self
            .socket
            .sent()
            .is_some_and(|s| s.caught_up(end.query_set, end.identity));
        if caught_up {
            self.socket.caught_up();
        }
    }

    pub(super) fn on_response(&mut self, response: Reply) {
        let mut logs = Vec::new();
        let answered = self.requests.on_response(response, &mut logs);
        for (source, lines) in logs {
            self.events.push_back(Event::LogLines { source, lines });
        }
        match answered {
            None => {} // stray, duplicate, or for a request not sent on this socket
            Some(Answered::Committed(ts)) => {
                self.remote.observe(ts);
                // Already visible if a Transition got there first.
                let done = self.take_committed(self.remote.version().ts);
                if !done.is_empty() {
                    self.publish(SortedMap::new());
                }
                for (id, value) in done {
                    self.settle(RequestKind::Mutation, id, Ok(value));
                }
            }
            Some(Answered::Settled(id, kind, outcome)) => self.settle(kind, id, outcome),
        }
    }
}
