//! The shapes the sync protocol carries, between the session and the functions: arguments
//! in, query results and function outcomes out, and Transitions cut into chunks.

use std::sync::atomic::{AtomicU64, Ordering};

use convex_yew_core::protocol::{ServerMessage, StateModification};
use convex_yew_core::value::Value;
use serde_json::Value as JsonValue;

use crate::convex::functions::FunctionError;

/// Transitions larger than this are split into `TransitionChunk`s (the backend's limit).
pub const CHUNK_BYTES: usize = 5_000_000;

/// A function's outcome as `MutationResponse` and `ActionResponse` carry it.
pub(super) struct Outcome {
    pub(super) success: bool,
    /// The value, or the error message.
    pub(super) result: JsonValue,
    /// The `ConvexError` payload of a failure.
    pub(super) error_data: Option<JsonValue>,
}

impl From<Result<Value, FunctionError>> for Outcome {
    fn from(outcome: Result<Value, FunctionError>) -> Outcome {
        match outcome {
            Ok(value) => Outcome {
                success: true,
                result: value.to_json(),
                error_data: None,
            },
            Err(e) => Outcome {
                success: false,
                result: JsonValue::String(e.message),
                error_data: e.data.map(|d| d.to_json()),
            },
        }
    }
}

/// A query's result as the Transition carries it.
pub(super) fn to_modification(
    query_id: u32,
    result: Result<Value, FunctionError>,
    journal: Option<String>,
    log_lines: Vec<String>,
) -> StateModification {
    match result {
        Ok(value) => StateModification::QueryUpdated {
            query_id,
            value: value.to_json(),
            log_lines,
            journal,
        },
        Err(e) => StateModification::QueryFailed {
            query_id,
            error_message: e.message,
            log_lines,
            journal,
            error_data: e.data.map(|d| d.to_json()),
        },
    }
}

/// Decodes the one-element argument array (or a bare object, which the backend also accepts).
pub(super) fn decode_args(args: &JsonValue) -> Result<Value, FunctionError> {
    let inner = match args {
        JsonValue::Array(items) if items.len() == 1 => &items[0],
        JsonValue::Object(_) => args,
        _ => {
            return Err(FunctionError::new(
                "ArgumentValidationError: args must be a one-element array holding an object",
            ))
        }
    };
    let value = Value::from_json(inner)
        .map_err(|e| FunctionError::new(format!("ArgumentValidationError: {e}")))?;
    if value.as_object().is_none() {
        return Err(FunctionError::new(
            "ArgumentValidationError: args must be an object",
        ));
    }
    Ok(value)
}

static NEXT_TRANSITION_ID: AtomicU64 = AtomicU64::new(1);

/// Splits a serialised Transition into chunks of at most `max` bytes at character boundaries.
pub fn split_transition(text: &str, max: usize) -> Vec<ServerMessage> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(max.max(4));
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        parts.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    let total = parts.len() as u32;
    // Unique per transition (two transitions of one length must not be confused).
    let id = NEXT_TRANSITION_ID
        .fetch_add(1, Ordering::SeqCst)
        .to_string();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| ServerMessage::TransitionChunk {
            chunk: chunk.to_owned(),
            part_number: i as u32,
            total_parts: total,
            transition_id: id.clone(),
        })
        .collect()
}

/// Whether a Connect's `sessionId` has the shape of a UUID (8-4-4-4-12 hex digits).
pub(super) fn looks_like_uuid(s: &str) -> bool {
    let groups: Vec<_> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}
