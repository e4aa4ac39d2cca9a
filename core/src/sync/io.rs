//! What the client asks the runtime to do ([`Io`]), what it tells the app ([`Event`], with
//! [`FunctionError`] and [`LogSource`]), and the connection snapshot ([`ConnectionState`]).

use super::auth::FetchId;
use super::query_set::QueryId;
use crate::jwt;
use crate::value::{Value, ValueError};

/// Identifies one mutation or action (the protocol's `requestId`), from one counter per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u32);

/// Identifies one socket. Events from a socket the core has already closed are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId(pub u64);

/// What the runtime must do.
#[derive(Clone, PartialEq, Eq)]
pub enum Io {
    /// Open a new socket to the sync URL and report it with this id.
    Connect {
        /// The id to report its events with.
        socket: SocketId,
    },
    /// Send one text frame on the socket.
    Send {
        /// The socket.
        socket: SocketId,
        /// The frame.
        text: String,
    },
    /// Close the socket; the core already treats it as gone.
    Close {
        /// The socket.
        socket: SocketId,
        /// Why, for logs.
        reason: String,
    },
    /// Call the app's token fetcher and report with [`SyncClient::token_fetched`](super::SyncClient::token_fetched).
    FetchToken {
        /// The id to report the outcome with.
        fetch: FetchId,
        /// Ask the auth provider for a new token rather than a cached one.
        force_refresh: bool,
    },
}

/// Frames are summarised by their type and length: an `Authenticate` frame carries a token,
/// and logs must never show one.
impl std::fmt::Debug for Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Io::Connect { socket } => f.debug_struct("Connect").field("socket", socket).finish(),
            Io::Send { socket, text } => {
                let kind = crate::split_once_text(text, "\"type\":\"")
                    .and_then(|(_, rest)| rest.split('"').next())
                    .unwrap_or("?");
                f.debug_struct("Send")
                    .field("socket", socket)
                    .field("type", &kind)
                    .field("bytes", &text.len())
                    .finish()
            }
            Io::Close { socket, reason } => f
                .debug_struct("Close")
                .field("socket", socket)
                .field("reason", reason)
                .finish(),
            Io::FetchToken {
                fetch,
                force_refresh,
            } => f
                .debug_struct("FetchToken")
                .field("fetch", fetch)
                .field("force_refresh", force_refresh)
                .finish(),
        }
    }
}

/// Why a mutation, action or query failed.
#[derive(Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FunctionError {
    /// The function ran and threw. `data` is set when it threw a `ConvexError`.
    #[error("{message}")]
    Failed {
        /// The server's error message.
        message: String,
        /// The `ConvexError` payload.
        data: Option<Value>,
    },
    /// The connection dropped while an action ran; actions are not retried (not idempotent).
    #[error("Connection lost while action was in flight")]
    ConnectionLost,
    /// The arguments could not be encoded (the cause is the error's `source`).
    #[error("invalid arguments")]
    InvalidArgs(#[source] ValueError),
    /// The server's result could not be decoded (the cause is the error's `source`).
    #[error("malformed result from the server")]
    MalformedResult(#[source] ValueError),
    /// The client was closed before the request settled.
    #[error("the client was closed")]
    ClientClosed,
}

/// Something the app may want to react to.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// These queries' results changed; read them with [`SyncClient::query_result`](super::SyncClient::query_result).
    QueriesUpdated(Vec<QueryId>),
    /// A mutation settled. A success is reported once its writes are visible in query results.
    MutationSettled {
        /// Which mutation.
        request: RequestId,
        /// Its result.
        result: Result<Value, FunctionError>,
    },
    /// An action settled.
    ActionSettled {
        /// Which action.
        request: RequestId,
        /// Its result.
        result: Result<Value, FunctionError>,
    },
    /// The server confirmed the token (`true`) or auth ended (`false`).
    AuthChanged {
        /// Whether the server has confirmed the current token.
        is_authenticated: bool,
    },
    /// A rejected token is being replaced (`true`) or the replacement was confirmed (`false`).
    AuthRefreshing(bool),
    /// The server rejected a token; `error` is its message, `token_claims` the token's
    /// iss/aud/exp to make misconfiguration obvious (never the token itself).
    AuthRejected {
        /// The server's message.
        error: String,
        /// `iss`, `aud` and `exp` of the rejected token, decoded without verification.
        token_claims: Option<jwt::TimingClaims>,
    },
    /// A server frame was not understood or broke the protocol. Says what was done: a frame
    /// this client does not know is dropped (reported once per kind), a partial chunked
    /// Transition interrupted by another message is dropped, a frame that breaks the protocol
    /// resets the socket.
    ProtocolViolation(String),
    /// Something the app's log should say once (for example: the auth token lives no
    /// longer than the refresh leeway).
    Warning(String),
    /// The server closed the socket with an error: a close code other than 1000, 1001, 1005
    /// and 4040, and a reason (convex-js's `onServerDisconnectError`). The client reconnects
    /// anyway; this is for the app's own reporting.
    ServerDisconnectError {
        /// The WebSocket close code.
        code: u16,
        /// The server's reason.
        reason: String,
    },
    /// Authentication was given up (the provider has no session, or the server kept
    /// rejecting its tokens): the client continues anonymous. Says why.
    AuthGaveUp(String),
    /// Log lines a query, mutation or action printed, with the function that printed them.
    LogLines {
        /// Which function call printed them.
        source: LogSource,
        /// The lines, as the server formatted them (e.g. `[LOG] 'hello'`).
        lines: Vec<String>,
    },
}

/// The function call that printed log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSource {
    /// A subscribed query, while computing its new result.
    Query {
        /// The query.
        id: QueryId,
        /// Its canonical path.
        path: String,
    },
    /// A mutation.
    Mutation {
        /// The request.
        id: RequestId,
        /// Its path.
        path: String,
    },
    /// An action.
    Action {
        /// The request.
        id: RequestId,
        /// Its path.
        path: String,
    },
}

impl LogSource {
    /// The function's path.
    pub fn path(&self) -> &str {
        match self {
            LogSource::Query { path, .. }
            | LogSource::Mutation { path, .. }
            | LogSource::Action { path, .. } => path,
        }
    }

    /// `Q`, `M` or `A`, as the official client tags log lines.
    pub fn tag(&self) -> char {
        match self {
            LogSource::Query { .. } => 'Q',
            LogSource::Mutation { .. } => 'M',
            LogSource::Action { .. } => 'A',
        }
    }
}

/// A snapshot of the connection, for UIs and tests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectionState {
    /// A socket is open and `Connect` was sent.
    pub is_websocket_connected: bool,
    /// A socket has opened at least once.
    pub has_ever_connected: bool,
    /// Successful opens so far.
    pub connection_count: u32,
    /// Reconnect attempts since the connection last caught up.
    pub connection_retries: u32,
    /// Mutations not yet settled.
    pub inflight_mutations: usize,
    /// Actions not yet settled.
    pub inflight_actions: usize,
    /// Any mutation or action not yet settled (the official `hasInflightRequests`).
    pub has_inflight_requests: bool,
    /// When the oldest unsettled mutation or action was asked for (the official
    /// `timeOfOldestInflightRequest`), on the caller's monotonic clock (in the browser
    /// `performance.timeOrigin + performance.now()`: Unix milliseconds as of page load, never
    /// stepped).
    pub time_of_oldest_inflight_request: Option<crate::time::Instant>,
    /// Subscribed queries.
    pub subscribed_queries: usize,
}

debug_as_message!(FunctionError);

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame shows as its type and length: never its text (an `Authenticate` frame carries
    /// the token).
    #[test]
    fn a_sent_frame_debugs_as_its_type_and_length() {
        let text = r#"{"type":"Authenticate","baseVersion":0,"value":"eyJ.secret.sig"}"#;
        let io = Io::Send {
            socket: SocketId(3),
            text: text.into(),
        };
        let shown = format!("{io:?}");
        assert_eq!(
            shown,
            format!(
                r#"Send {{ socket: SocketId(3), type: "Authenticate", bytes: {} }}"#,
                text.len()
            )
        );
        let odd = Io::Send {
            socket: SocketId(3),
            text: "not a frame".into(),
        };
        assert!(format!("{odd:?}").contains(r#"type: "?""#));
    }
}
