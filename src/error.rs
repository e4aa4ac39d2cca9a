//! The error type of the public API: opaque, with `is_*` queries (in the style of reqwest).

use convex_yew_core::json::Quoted;
use convex_yew_core::pagination::PaginationError;
use convex_yew_core::sync::FunctionError;
use convex_yew_core::value::ValueError;
use convex_yew_core::value::{from_value, Value};
use serde::de::DeserializeOwned;

/// Why a deployment URL was refused.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeploymentUrlError {
    /// Not `http://` or `https://`.
    #[error("deployment URL {} must start with http:// or https://", Quoted(.0))]
    BadScheme(String),
    /// Nothing after the scheme.
    #[error("deployment URL {} has no host", Quoted(.0))]
    NoHost(String),
    /// A `.convex.site` URL is for HTTP actions, not the client.
    #[error("deployment URL {} ends in .convex.site, which serves HTTP actions; use the .convex.cloud URL", Quoted(.0))]
    ConvexSite(String),
}

/// Why a query, mutation, action or client call failed.
///
/// `Display` names what failed (and the function's own message, for an error the function
/// threw); the underlying cause (a value that did not encode or decode, a refused URL, a
/// malformed page) is its `source()`, as in reqwest, so a reporter that walks the chain
/// prints it once. [`report`] gives the whole chain on one line.
#[derive(Clone, PartialEq, thiserror::Error)]
#[error(transparent)]
pub struct ClientError {
    // Shared: errors are cloned into every render's state, and an `Arc` clone is a counter
    // where the kinds' own `Clone` compiled every field's (values, nested errors) into wasm.
    kind: std::sync::Arc<Kind>,
}

#[derive(PartialEq, thiserror::Error)]
enum Kind {
    #[error("{path}: {message}")]
    Function {
        path: String,
        message: String,
        data: Option<Value>,
    },
    #[error("{path}: connection lost while the action was in flight")]
    ConnectionLost { path: String },
    #[error("{path}: invalid arguments")]
    InvalidArgs { path: String, source: ValueError },
    #[error("could not decode the result")]
    Decode(#[source] ValueError),
    #[error("{path}: the paginated query failed")]
    Pagination {
        path: String,
        source: PaginationError,
    },
    /// A failure kind this version does not name: kept whole, never relabelled.
    #[error("{path}: the call failed")]
    Other { path: String, source: FunctionError },
    #[error("the client was closed")]
    Closed,
    #[error(transparent)]
    Url(#[from] DeploymentUrlError),
    #[error("HTTP {status} {code}: {message}")]
    Http {
        status: u16,
        code: String,
        message: String,
    },
    #[error("network error: {0}")]
    Network(String),
}

impl ClientError {
    fn new(kind: Kind) -> ClientError {
        ClientError {
            kind: std::sync::Arc::new(kind),
        }
    }

    pub(crate) fn from_function(path: &str, e: FunctionError) -> ClientError {
        let path = path.to_owned();
        let kind = match e {
            FunctionError::Failed { message, data } => Kind::Function {
                path,
                message,
                data,
            },
            FunctionError::ConnectionLost => Kind::ConnectionLost { path },
            FunctionError::InvalidArgs(source) => Kind::InvalidArgs { path, source },
            FunctionError::MalformedResult(e) => Kind::Decode(e),
            FunctionError::ClientClosed => Kind::Closed,
            source => Kind::Other { path, source },
        };
        ClientError::new(kind)
    }

    pub(crate) fn invalid_args(path: &str, source: ValueError) -> ClientError {
        ClientError::new(Kind::InvalidArgs {
            path: path.to_owned(),
            source,
        })
    }

    pub(crate) fn pagination(path: &str, source: PaginationError) -> ClientError {
        ClientError::new(Kind::Pagination {
            path: path.to_owned(),
            source,
        })
    }

    pub(crate) fn decode(e: ValueError) -> ClientError {
        ClientError::new(Kind::Decode(e))
    }

    pub(crate) fn closed() -> ClientError {
        ClientError::new(Kind::Closed)
    }

    pub(crate) fn http(status: u16, code: String, message: String) -> ClientError {
        ClientError::new(Kind::Http {
            status,
            code,
            message,
        })
    }

    pub(crate) fn network(message: String) -> ClientError {
        ClientError::new(Kind::Network(message))
    }

    /// The function ran and threw (a `ConvexError` or any other error).
    pub fn is_function_error(&self) -> bool {
        matches!(*self.kind, Kind::Function { .. })
    }

    /// The function threw a `ConvexError`: [`data`](Self::data) holds its payload.
    pub fn is_convex_error(&self) -> bool {
        matches!(*self.kind, Kind::Function { data: Some(_), .. })
    }

    /// An action was cut off by a lost connection (actions are never retried).
    pub fn is_connection_lost(&self) -> bool {
        matches!(*self.kind, Kind::ConnectionLost { .. })
    }

    /// The arguments could not be encoded as Convex values.
    pub fn is_invalid_args(&self) -> bool {
        matches!(*self.kind, Kind::InvalidArgs { .. })
    }

    /// The result did not deserialise into the expected type, or a paginated query's result
    /// was not a page.
    pub fn is_decode(&self) -> bool {
        matches!(*self.kind, Kind::Decode(_) | Kind::Pagination { .. })
    }

    /// The client was closed before the call settled.
    pub fn is_closed(&self) -> bool {
        matches!(*self.kind, Kind::Closed)
    }

    /// The deployment URL was refused.
    pub fn is_url(&self) -> bool {
        matches!(*self.kind, Kind::Url(_))
    }

    /// A network failure or a non-success HTTP answer (the one-shot HTTP client).
    pub fn is_network(&self) -> bool {
        matches!(*self.kind, Kind::Network(_) | Kind::Http { .. })
    }

    /// The HTTP status, for errors of the one-shot HTTP client.
    pub fn status(&self) -> Option<u16> {
        match *self.kind {
            Kind::Http { status, .. } => Some(status),
            _ => None,
        }
    }

    /// The `ConvexError` payload.
    pub fn data(&self) -> Option<&Value> {
        match &*self.kind {
            Kind::Function { data, .. } => data.as_ref(),
            _ => None,
        }
    }

    /// The `ConvexError` payload as a Rust type.
    pub fn data_as<T: DeserializeOwned>(&self) -> Option<T> {
        self.data().cloned().and_then(|d| from_value(d).ok())
    }

    /// The server's error message, for function errors.
    pub fn message(&self) -> Option<&str> {
        match &*self.kind {
            Kind::Function { message, .. } => Some(message),
            _ => None,
        }
    }
}

impl From<DeploymentUrlError> for ClientError {
    fn from(e: DeploymentUrlError) -> Self {
        ClientError::new(Kind::Url(e))
    }
}

/// An error and its causes on one line, joined by `": "` (for logs, and UIs that show one
/// line): `"m:add: invalid arguments: field names cannot start with '$'"`.
///
/// ```
/// let e = std::io::Error::other("disk full");
/// assert_eq!(convex_yew::report(&e), "disk full");
/// ```
pub fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !text.is_empty() && !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = e.source();
    }
    line
}

convex_yew_core::debug_as_message!(DeploymentUrlError, ClientError, Kind);

#[cfg(test)]
mod tests {
    use super::*;

    /// `ClientError` goes into `anyhow::Error` and across threads in native code: it must stay
    /// `Send + Sync`, and a clone must equal its original.
    #[test]
    fn client_errors_are_send_sync_and_clone_equal() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<ClientError>();
        let e = ClientError::from_function(
            "m:add",
            FunctionError::Failed {
                message: "no".into(),
                data: Some(Value::String("d".into())),
            },
        );
        let copy = e.clone();
        assert!(copy == e && copy.is_function_error() && copy.is_convex_error());
        assert_eq!(format!("{copy:?}"), "ClientError(m:add: no)");
        assert!(e != ClientError::closed());
    }
}
