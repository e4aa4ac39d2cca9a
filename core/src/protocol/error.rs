//! [`ProtocolError`]: a server frame the client could not understand.

/// A server frame that could not be understood.
#[derive(Clone, PartialEq, thiserror::Error)]
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

debug_as_message!(ProtocolError);
