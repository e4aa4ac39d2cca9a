//! The browser runtime: drives the sans-IO core with a real WebSocket, timers, page events,
//! `fetch` and storage.
//!
//! - [`client`]: [`ConvexClient`], the live connection.
//! - [`subscription`]: [`Subscription`], one live query.
//! - [`http`]: [`ConvexHttpClient`], one-shot calls over `/api/*`.
//! - [`socket`]: the WebSocket wrapper.
//! - [`url`]: deployment URL rules.
//! - [`browser`]: clock, randomness, page wake-up events, console.

pub mod browser;
pub mod client;
pub mod http;
pub mod socket;
pub mod subscription;
pub mod url;

pub use client::{ClientOptions, ConvexClient, TokenFuture};
pub use http::ConvexHttpClient;
pub use subscription::Subscription;
