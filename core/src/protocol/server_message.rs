use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::timestamp::Ts;

/// A message from the backend to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
#[allow(missing_docs)] // fields are the protocol's, documented in convex-sync-protocol.md §3.3
pub enum ServerMessage {
    /// Moves the client's view from `start_version` to `end_version`.
    Transition {
        start_version: StateVersion,
        end_version: StateVersion,
        modifications: Vec<StateModification>,
        #[serde(default, deserialize_with = "lenient_i64")]
        client_clock_skew: Option<i64>,
        #[serde(default, deserialize_with = "lenient_i64")]
        server_ts: Option<i64>,
    },
    /// One slice of a Transition too large for one frame.
    TransitionChunk {
        chunk: String,
        part_number: u32,
        total_parts: u32,
        transition_id: String,
    },
    /// The outcome of a mutation. On success `result` is the encoded value and `ts` the commit
    /// timestamp; on failure `result` is the error message.
    MutationResponse {
        request_id: u32,
        success: bool,
        result: Json,
        #[serde(default)]
        ts: Option<Ts>,
        #[serde(default)]
        log_lines: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_data: Option<Json>,
    },
    /// The outcome of an action.
    ActionResponse {
        request_id: u32,
        success: bool,
        result: Json,
        #[serde(default)]
        log_lines: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_data: Option<Json>,
    },
    /// The identity was rejected; the server closes the socket right after.
    AuthError {
        error: String,
        base_version: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth_update_attempted: Option<bool>,
    },
    /// A deterministic client error; the server closes the socket right after.
    FatalError { error: String },
    /// Keep-alive: only resets the inactivity timer.
    Ping,
}

/// The version of the client's view: query set, identity and database timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateVersion {
    /// The query-set version.
    pub query_set: u32,
    /// The identity version.
    pub identity: u32,
    /// The database timestamp.
    pub ts: Ts,
}

/// As the protocol names its parts: `{querySet: 2, identity: 1, ts: 1700000000000000000}` (the
/// timestamp in nanoseconds).
impl std::fmt::Display for StateVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{{querySet: {}, identity: {}, ts: {}}}",
            self.query_set, self.identity, self.ts.0
        )
    }
}

/// One change to one query in a Transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
#[allow(missing_docs)]
pub enum StateModification {
    /// A new result.
    QueryUpdated {
        query_id: u32,
        value: Json,
        #[serde(default)]
        log_lines: Vec<String>,
        #[serde(default)]
        journal: Option<String>,
    },
    /// The query threw; `error_data` is set for a `ConvexError`.
    QueryFailed {
        query_id: u32,
        error_message: String,
        #[serde(default)]
        log_lines: Vec<String>,
        #[serde(default)]
        journal: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_data: Option<Json>,
    },
    /// The query left the set.
    QueryRemoved { query_id: u32 },
}

/// Reads an optional integer that some peers write as a float (it is diagnostics only).
fn lenient_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<Json>::deserialize(d)?;
    Ok(v.and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))))
}
