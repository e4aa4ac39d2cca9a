//! The browser runtime: drives the sans-IO core with a real WebSocket, timers, page events,
//! `fetch` and storage. Its items are re-exported at the crate root.
//!
//! - `client/`: [`ConvexClient`], the live connection (its API, its driver, its options);
//! - `subscription.rs`: [`Subscription`], one live query, and the typed `subscribe`/`query`;
//! - `http.rs`: [`ConvexHttpClient`], one-shot calls over `/api/*`;
//! - `paginated.rs`: [`PaginatedWatch`], a paginated query outside Yew;
//! - `logger.rs`: [`Logger`], where messages and function log lines go;
//! - `codec.rs`: arguments and results between the app's types and the client's;
//! - `timer.rs`: the timer both drivers arm;
//! - `socket.rs` (the WebSocket wrapper), `js_text.rs` (frame text out of JS strings),
//!   `url.rs` (deployment URL rules), `browser.rs` (clock, randomness, page events,
//!   console): crate-private, public under `internals` with the `internals` feature (for
//!   the browser tests that drive a raw socket).

// `pub` only so that the crate's `internals` module (a test feature) can re-export them;
// `runtime` itself is private.
pub mod browser;
pub(crate) mod client;
pub(crate) mod codec;
mod http;
pub mod js_text;
mod logger;
mod paginated;
pub mod socket;
mod subscription;
pub(crate) mod timer;
pub mod url;

pub use client::{
    ClientOptions, ConnectionListenerHandle, ConvexClient, DisconnectCallback, DisconnectFn,
    TokenFuture, Watch,
};
pub use http::{ConvexHttpClient, HttpClientOptions, MutationOptions};
pub use logger::{LogLevel, Logger};
pub use paginated::PaginatedWatch;
pub use subscription::Subscription;
