//! The browser runtime: drives the sans-IO core with a real WebSocket, timers, page events,
//! `fetch` and storage.
//!
//! - [`client`]: [`ConvexClient`], the live connection.
//! - [`subscription`]: [`Subscription`], one live query.
//! - [`http`]: [`ConvexHttpClient`], one-shot calls over `/api/*`.
//! - [`paginated`]: [`PaginatedWatch`], a paginated query outside Yew.
//! - [`logger`]: [`Logger`], where messages and function log lines go.
//! - `socket`: the WebSocket wrapper; `js_text`: frame text out of JS strings; `url`:
//!   deployment URL rules; `browser`: clock,
//!   randomness, page wake-up events, console (crate-private; the `internals` feature makes
//!   them public for tests).

// Internals: crate-private, public only with the `internals` feature (for the browser
// smoke tests that drive a raw socket).
#[cfg(feature = "internals")]
pub mod browser;
#[cfg(not(feature = "internals"))]
pub(crate) mod browser;
pub mod client;
pub mod http;
#[cfg(feature = "internals")]
pub mod js_text;
#[cfg(not(feature = "internals"))]
pub(crate) mod js_text;
pub mod logger;
pub mod paginated;
#[cfg(feature = "internals")]
pub mod socket;
#[cfg(not(feature = "internals"))]
pub(crate) mod socket;
pub mod subscription;
#[cfg(feature = "internals")]
pub mod url;
#[cfg(not(feature = "internals"))]
pub(crate) mod url;

pub use client::{ClientOptions, ConvexClient, DisconnectCallback, TokenFuture};
pub use http::{ConvexHttpClient, HttpClientOptions, MutationOptions};
pub use logger::{LogLevel, Logger};
pub use paginated::PaginatedWatch;
pub use subscription::Subscription;
pub use url::DeploymentUrlError;
