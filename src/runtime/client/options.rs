//! [`ClientOptions`]: how a [`ConvexClient`](super::ConvexClient) connects, logs and behaves;
//! and the shapes of the callbacks it takes.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use convex_yew_core::sync::TokenFetch;

use crate::runtime::logger::Logger;

/// Options of a [`ConvexClient`](super::ConvexClient).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Log every frame type and state change (at [`LogLevel::Debug`](crate::runtime::logger::LogLevel::Debug)).
    pub verbose: bool,
    /// Where messages and the functions' log lines go (default: the console;
    /// [`Logger::silent`] for none).
    pub logger: Logger,
    /// Refresh tokens this long before they expire (official default: 10 s).
    pub auth_refresh_leeway: Duration,
    /// Reconnect when the server is silent this long: 36 s by default, two missed server
    /// Pings (sent after 15 s idle) plus a margin; the official client waits 60 s.
    pub server_inactivity_timeout: Duration,
    /// Give up on a socket still connecting after this long.
    pub connect_timeout: Duration,
    /// Ask before the page is closed or left while mutations or actions are in flight (the
    /// JS client's `unsavedChangesWarning`; default on).
    pub unsaved_changes_warning: bool,
    /// Send nothing until auth is decided (`set_auth`, or `clear_auth` for a signed-out user):
    /// no query runs anonymously while the auth provider restores the session (the JS
    /// client's `expectAuth`; default off). [`ConvexProviderWithAuth`](crate::yew::ConvexProviderWithAuth)
    /// decides it as soon as the auth provider has.
    pub expect_auth: bool,
    /// Accept any http(s) URL, a `.convex.site` one included (for a proxy in front of the
    /// deployment; the JS client's `skipConvexDeploymentUrlCheck`; default off).
    pub skip_convex_deployment_url_check: bool,
    /// Called when the server closes the socket with an error code and a reason (the JS
    /// client's `onServerDisconnectError`); the client reconnects either way.
    pub on_server_disconnect_error: Option<DisconnectCallback>,
}

/// What [`DisconnectCallback`] wraps.
pub type DisconnectFn = dyn Fn(u16, &str);

/// A callback with the server's close code and reason.
#[derive(Clone)]
pub struct DisconnectCallback(pub Rc<DisconnectFn>);

impl DisconnectCallback {
    /// Wraps a callback.
    pub fn new(f: impl Fn(u16, &str) + 'static) -> DisconnectCallback {
        DisconnectCallback(Rc::new(f))
    }
}

impl std::fmt::Debug for DisconnectCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DisconnectCallback")
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            verbose: false,
            logger: Logger::console(),
            auth_refresh_leeway: Duration::from_secs(10),
            server_inactivity_timeout: Duration::from_secs(36),
            connect_timeout: Duration::from_secs(30),
            unsaved_changes_warning: true,
            expect_auth: false,
            skip_convex_deployment_url_check: false,
            on_server_disconnect_error: None,
        }
    }
}

/// What a token fetcher returns.
pub type TokenFuture = Pin<Box<dyn Future<Output = TokenFetch>>>;
