use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::error::ProtocolError;
use super::timestamp::Ts;

/// A message from the client to the backend.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
#[allow(missing_docs)] // fields are the protocol's, documented in convex-sync-protocol.md §3.2
pub enum ClientMessage {
    /// First message on every socket.
    Connect {
        session_id: String,
        connection_count: u32,
        last_close_reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_observed_timestamp: Option<Ts>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_ts: Option<u64>,
    },
    /// Changes the subscribed query set from `base_version` to `new_version`.
    ModifyQuerySet {
        base_version: u32,
        new_version: u32,
        modifications: Vec<QuerySetModification>,
    },
    /// Runs a mutation; `args` is the one-element array of the encoded argument object.
    Mutation {
        request_id: u32,
        udf_path: String,
        args: Json,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        component_path: Option<String>,
    },
    /// Runs an action.
    Action {
        request_id: u32,
        udf_path: String,
        args: Json,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        component_path: Option<String>,
    },
    /// Sets (`User`, `Admin`) or clears (`None`) the identity; `base_version` is the identity
    /// version before this change.
    Authenticate {
        base_version: u32,
        token_type: AuthTokenType,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        impersonating: Option<Json>,
    },
    /// Telemetry; the server only logs it.
    Event { event_type: String, event: Json },
}

/// Prints the frame as JSON, except an `Authenticate` frame's token.
impl std::fmt::Debug for ClientMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientMessage::Authenticate {
                base_version,
                token_type,
                value,
                ..
            } => f
                .debug_struct("Authenticate")
                .field("base_version", base_version)
                .field("token_type", token_type)
                .field("value", &value.as_ref().map(|_| "[redacted]"))
                .finish_non_exhaustive(),
            other => match crate::json::try_to_string(other) {
                Ok(json) => f.write_str(&json),
                Err(_) => f.write_str("ClientMessage(?)"),
            },
        }
    }
}

/// The `tokenType` of an `Authenticate` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthTokenType {
    /// A user's JWT.
    User,
    /// A deployment admin key.
    Admin,
    /// No identity (sign out).
    None,
}

/// One change in a `ModifyQuerySet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
#[allow(missing_docs)]
pub enum QuerySetModification {
    /// Subscribe `query_id` to a query.
    Add {
        query_id: u32,
        udf_path: String,
        args: Json,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        journal: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        component_path: Option<String>,
    },
    /// Unsubscribe `query_id`.
    Remove { query_id: u32 },
}

impl ClientMessage {
    /// Serialises this message as the official client sends it.
    pub fn to_text(&self) -> String {
        crate::json::to_string(self)
    }

    /// Parses one client frame (what the dev backend receives).
    pub fn parse(text: &str) -> Result<ClientMessage, ProtocolError> {
        crate::json::from_str(text).map_err(|e| ProtocolError::Malformed(e.to_string()))
    }
}
