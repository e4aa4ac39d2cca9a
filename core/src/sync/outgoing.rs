//! What the server has not been told yet: the held `Connect`, then, in the official order,
//! `Authenticate`, `ModifyQuerySet` and the requests in id order.

use super::{Io, SyncClient};
use crate::protocol::{AuthTokenType, ClientMessage, QuerySetModification};

impl SyncClient {
    /// Sends the held `Connect`, then whatever else the server needs.
    pub(super) fn send_connect(&mut self) {
        let Some((id, connection_count, last_close_reason)) = self.socket.send_handshake() else {
            return;
        };
        let msg = ClientMessage::Connect {
            session_id: self.config.session_id.clone(),
            connection_count,
            last_close_reason,
            max_observed_timestamp: self.remote.max_observed_ts(),
            client_ts: Some(self.wall.unix_ms(self.now)),
        };
        self.io.push_back(Io::Send {
            socket: id,
            text: msg.to_text(),
        });
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
            let msg = ClientMessage::Authenticate {
                base_version,
                token_type: if value.is_some() {
                    AuthTokenType::User
                } else {
                    AuthTokenType::None
                },
                value,
                impersonating: None,
            };
            self.io.push_back(Io::Send {
                socket: id,
                text: msg.to_text(),
            });
        }
        if let Some((base, added, removed)) =
            sent.modify_query_set(self.queries.ids().map(|q| (q, ())).collect())
        {
            let mut modifications = Vec::with_capacity(added.len() + removed.len());
            for q in added {
                if let Some(local) = self.queries.get(q) {
                    modifications.push(QuerySetModification::Add {
                        query_id: q.0,
                        udf_path: local.path.clone(),
                        args: local.args.clone(),
                        journal: local.journal.clone(),
                        component_path: None,
                    });
                }
            }
            modifications.extend(
                removed
                    .into_iter()
                    .map(|q| QuerySetModification::Remove { query_id: q.0 }),
            );
            let msg = ClientMessage::ModifyQuerySet {
                base_version: base,
                new_version: base + 1,
                modifications,
            };
            self.io.push_back(Io::Send {
                socket: id,
                text: msg.to_text(),
            });
        }
        for text in self.requests.take_unsent() {
            self.io.push_back(Io::Send { socket: id, text });
        }
    }
}
