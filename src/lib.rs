//! # convex-yew
//!
//! Sign users in with WorkOS AuthKit and talk to a Convex backend over its live WebSocket
//! protocol, from a Rust/Yew (WASM) frontend: the Yew equivalent of Convex's
//! `ConvexProviderWithAuthKit`.
//!
//! The crate is layered, and the folders say so:
//! - [`core`] (the `convex-yew-core` crate, re-exported): the sans-IO protocol, values and
//!   client state machine. No I/O, no clock, no async.
//! - [`runtime`]: the browser side that drives the core: WebSocket, timers, fetch, storage.
//! - [`yew`]: providers, hooks and components.
#![warn(missing_docs)]

pub use convex_yew_core as core;
pub use convex_yew_core::pagination::{PaginationStatus, Paginator};
pub use convex_yew_core::protocol::udf_path::{Action, Mutation, PaginatedQuery, Query};
pub use convex_yew_core::sync::{ConnectionState, LocalStore, TokenFetch};
pub use convex_yew_core::value::{from_value, to_value, Value};

pub mod authkit;
pub mod error;
pub mod runtime;
pub mod yew;

pub use error::{report, ClientError};
pub use runtime::{ConvexClient, ConvexHttpClient, Subscription};
