//! Between the app's Rust types and what the client keeps: arguments encoded once (naming the
//! function in the error), results decoded straight from the server's text into the caller's
//! type, and query results turned into [`ClientError`]s. (Typed mutations and actions decode
//! their replies in `client/mod.rs`, one future per result type.)

use convex_yew_core::sync::{FunctionError, QueryResult};
use convex_yew_core::value::{Object, ResultValue, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ClientError;

/// Encodes arguments, naming the function in the error.
pub(crate) fn encode_args<A: Serialize>(path: &str, args: &A) -> Result<Object, ClientError> {
    convex_yew_core::value::to_args(args).map_err(|e| ClientError::invalid_args(path, e))
}

/// Decodes a result into the caller's type, straight from the server's text.
pub(crate) fn decode_result<R: DeserializeOwned>(
    r: &Result<ResultValue, ClientError>,
) -> Result<R, ClientError> {
    match r {
        Ok(v) => v.decode().map_err(ClientError::decode),
        Err(e) => Err(e.clone()),
    }
}

/// A query result as the app reads it: the value, or the function's error naming `path`.
pub(crate) fn to_result(path: &str, r: &QueryResult) -> Result<ResultValue, ClientError> {
    match r {
        QueryResult::Value(v) => Ok(v.clone()),
        QueryResult::Error { message, data } => Err(ClientError::from_function(
            path,
            FunctionError::Failed {
                message: message.clone(),
                data: data.clone(),
            },
        )),
    }
}

/// A result's value tree (built once per result), or why there is none.
pub(crate) fn value_tree(r: Result<ResultValue, ClientError>) -> Result<Value, ClientError> {
    r.and_then(|v| {
        v.value()
            .cloned()
            .map_err(|e| ClientError::decode(e.clone()))
    })
}
