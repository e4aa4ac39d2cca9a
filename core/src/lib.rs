//! # convex-yew-core
//!
//! The sans-IO heart of convex-yew: the Convex sync protocol ([`protocol`]), Convex values
//! ([`value`]) and the client state machine ([`sync`]). Nothing here opens a socket, reads a
//! clock, spawns a task or awaits: time and events go in through `handle_*` calls, frames,
//! commands and deadlines come out through `poll_*` calls, in the style of quinn-proto. That
//! makes every rule testable natively with a virtual clock, and lets the same code run in the
//! browser (convex-yew's runtime), in native programs and in the dev backend's tests.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod authkit;
pub mod pagination;
pub mod protocol;
pub mod sync;
pub mod value;

pub use value::{from_value, to_value, Value};

/// The client's Transition decoding on its own, for `scripts/bench`: returns how many array
/// elements the query results hold. Not part of the API.
#[doc(hidden)]
pub fn bench_decode_transition(text: &str) -> usize {
    match protocol::transition::parse(text) {
        Ok(protocol::transition::Incoming::Transition(t)) => t
            .changes
            .iter()
            .map(|c| match c {
                protocol::transition::Change::Updated {
                    value: Ok(Value::Array(items)),
                    ..
                } => items.len(),
                _ => 0,
            })
            .sum(),
        _ => 0,
    }
}
