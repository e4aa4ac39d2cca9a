//! The Convex sync protocol on the wire: one JSON object per WebSocket text frame.
//!
//! [`ClientMessage`] and [`ServerMessage`] serialise exactly as the official npm client and the
//! Convex backend do (golden vectors in `core/tests/wire_vectors.rs`); [`Ts`] is the base64
//! little-endian timestamp encoding; [`udf_path`] holds function-path canonicalisation.

mod client_message;
mod server_message;
mod server_parse;
mod timestamp;
pub(crate) mod transition;
pub mod udf_path;

pub use client_message::{AuthTokenType, ClientMessage, QuerySetModification};
pub use server_message::{ServerMessage, StateModification, StateVersion};
pub use timestamp::Ts;

/// The npm client version this crate speaks as. It goes into the sync URL
/// (`/api/<version>/sync`), which is how the backend decides to send `TransitionChunk`s.
pub const PROTOCOL_CLIENT_VERSION: &str = "1.49.0";

/// A server frame that could not be understood.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A known message whose fields do not fit the protocol.
    #[error("malformed server message: {0}")]
    Malformed(String),
    /// Not a message this client knows: not JSON, not an object, no string `type`, or a
    /// `type` added after this version. The official client drops such a frame and keeps the
    /// socket; so does [`SyncClient`](crate::sync::SyncClient).
    #[error("unrecognized server message: {0}")]
    Unrecognized(String),
}

impl ServerMessage {
    /// Parses one server frame (hand-written: one pass over the JSON tree, fields moved out).
    pub fn parse(text: &str) -> Result<ServerMessage, ProtocolError> {
        server_parse::parse(text)
    }

    /// Serialises this message as the backend sends it.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl ClientMessage {
    /// Serialises this message as the official client sends it.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses one client frame (what the dev backend receives).
    pub fn parse(text: &str) -> Result<ClientMessage, ProtocolError> {
        serde_json::from_str(text).map_err(|e| ProtocolError::Malformed(e.to_string()))
    }
}
