//! The Convex sync protocol on the wire: one JSON object per WebSocket text frame.
//!
//! [`ClientMessage`] and [`ServerMessage`] serialise exactly as the official npm client and the
//! Convex backend do (golden vectors in `core/tests/wire_vectors.rs`); [`Ts`] is the base64
//! little-endian timestamp encoding; [`udf_path`] holds function-path canonicalisation.

mod client_message;
mod error;
pub(crate) mod incoming;
mod server_message;
mod server_parse;
mod timestamp;
pub(crate) mod transition;
pub mod udf_path;

pub use client_message::{AuthTokenType, ClientMessage, QuerySetModification};
pub use error::ProtocolError;
pub use server_message::{ServerMessage, StateModification, StateVersion};
pub use timestamp::Ts;

/// The npm client version this crate speaks as. It goes into the sync URL
/// (`/api/<version>/sync`), which is how the backend decides to send `TransitionChunk`s.
pub const PROTOCOL_CLIENT_VERSION: &str = "1.49.0";
