//! The client's settings.

use std::time::Duration;

/// Settings of a [`SyncClient`](super::SyncClient).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The session id sent in every `Connect`: a v4 UUID, the same across reconnects (the
    /// server deduplicates re-sent mutations by it).
    pub session_id: String,
    /// Seed for the backoff jitter.
    pub seed: u64,
    /// How long before a token's expiry it is refreshed (the official default: 10 s).
    pub auth_refresh_leeway: Duration,
    /// A socket that hears nothing from the server for this long is closed and reopened.
    /// The server sends a Ping after 15 s idle, so the default, 36 s, is two missed Pings
    /// plus a margin (the official client waits 60 s).
    pub server_inactivity_timeout: Duration,
    /// A socket still connecting after this long is abandoned and retried.
    pub connect_timeout: Duration,
    /// A token fetch that has not answered after this long is abandoned (its late answer is
    /// ignored) and retried after a backoff.
    pub token_fetch_timeout: Duration,
    /// Send nothing (no query, no mutation) until auth is decided: the socket holds its
    /// handshake until [`SyncClient::set_auth`](super::SyncClient::set_auth) or [`SyncClient::clear_auth`](super::SyncClient::clear_auth) (convex-js's
    /// `expectAuth`). Off by default: the client starts anonymous.
    pub expect_auth: bool,
}

impl ClientConfig {
    /// Defaults with the given session id and jitter seed.
    pub fn new(session_id: impl Into<String>, seed: u64) -> ClientConfig {
        ClientConfig {
            session_id: session_id.into(),
            seed,
            auth_refresh_leeway: Duration::from_secs(10),
            server_inactivity_timeout: Duration::from_secs(36),
            connect_timeout: Duration::from_secs(30),
            token_fetch_timeout: Duration::from_secs(30),
            expect_auth: false,
        }
    }
}
