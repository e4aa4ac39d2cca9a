//! A hand-written parser for server frames. It reads the JSON tree once, dispatches on
//! `type` and moves each field out, instead of serde's buffering for internally tagged enums,
//! which costs a second full copy of every frame (and most of this crate's wasm size).
//! The derived `Deserialize` stays for tools; both agree on every wire vector (tests).

use serde_json::{Map, Value as Json};

use super::error::ProtocolError;
use super::server_message::{ServerMessage, StateModification, StateVersion};
use super::timestamp::Ts;
use crate::json::Quoted;

fn malformed(what: impl Into<String>) -> ProtocolError {
    ProtocolError::Malformed(what.into())
}

struct Fields(Map<String, Json>);

impl Fields {
    fn take(&mut self, key: &str) -> Json {
        self.0.remove(key).unwrap_or(Json::Null)
    }

    fn u32(&mut self, key: &str) -> Result<u32, ProtocolError> {
        self.0
            .get(key)
            .and_then(Json::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| malformed(format!("`{key}` must be an unsigned 32-bit number")))
    }

    fn opt_u32(&mut self, key: &str) -> Result<Option<u32>, ProtocolError> {
        match self.0.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(_) => self.u32(key).map(Some),
        }
    }

    /// A string the official client only prints: absent or `null` reads as empty.
    fn text(&mut self, key: &str) -> Result<String, ProtocolError> {
        match self.take(key) {
            Json::Null => Ok(String::new()),
            Json::String(s) => Ok(s),
            _ => Err(malformed(format!("`{key}` must be a string"))),
        }
    }

    fn string(&mut self, key: &str) -> Result<String, ProtocolError> {
        match self.take(key) {
            Json::String(s) => Ok(s),
            _ => Err(malformed(format!("`{key}` must be a string"))),
        }
    }

    fn opt_string(&mut self, key: &str) -> Result<Option<String>, ProtocolError> {
        match self.take(key) {
            Json::Null => Ok(None),
            Json::String(s) => Ok(Some(s)),
            _ => Err(malformed(format!("`{key}` must be a string or null"))),
        }
    }

    fn bool(&mut self, key: &str) -> Result<bool, ProtocolError> {
        self.0
            .get(key)
            .and_then(Json::as_bool)
            .ok_or_else(|| malformed(format!("`{key}` must be a boolean")))
    }

    fn opt_bool(&mut self, key: &str) -> Result<Option<bool>, ProtocolError> {
        match self.0.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(_) => self.bool(key).map(Some),
        }
    }

    fn opt_i64(&mut self, key: &str) -> Option<i64> {
        self.0
            .get(key)
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
    }

    fn ts(&mut self, key: &str) -> Result<Option<Ts>, ProtocolError> {
        match self.take(key) {
            Json::Null => Ok(None),
            Json::String(s) => Ts::decode(&s)
                .map(Some)
                .ok_or_else(|| malformed(format!("`{key}` is not an EncodedTS"))),
            _ => Err(malformed(format!("`{key}` must be an EncodedTS string"))),
        }
    }

    fn log_lines(&mut self) -> Result<Vec<String>, ProtocolError> {
        match self.take("logLines") {
            Json::Null => Ok(vec![]),
            Json::Array(items) => items
                .into_iter()
                .map(|l| match l {
                    Json::String(s) => Ok(s),
                    _ => Err(malformed("`logLines` must hold strings")),
                })
                .collect(),
            _ => Err(malformed("`logLines` must be an array")),
        }
    }

    /// A field that may be absent; `null` is a value (`errorData: null` is a `ConvexError`
    /// whose data is `null`, as the official client reads it).
    fn opt_json(&mut self, key: &str) -> Option<Json> {
        self.0.remove(key)
    }

    fn required(&mut self, key: &str) -> Result<Json, ProtocolError> {
        self.0
            .remove(key)
            .ok_or_else(|| malformed(format!("missing `{key}`")))
    }
}

fn object(v: Json, what: &str) -> Result<Fields, ProtocolError> {
    match v {
        Json::Object(m) => Ok(Fields(m)),
        _ => Err(malformed(format!("{what} must be an object"))),
    }
}

fn state_version(v: Json) -> Result<StateVersion, ProtocolError> {
    let mut f = object(v, "a StateVersion")?;
    Ok(StateVersion {
        query_set: f.u32("querySet")?,
        identity: f.u32("identity")?,
        ts: f
            .ts("ts")?
            .ok_or_else(|| malformed("StateVersion needs `ts`"))?,
    })
}

fn modification(v: Json) -> Result<StateModification, ProtocolError> {
    let mut f = object(v, "a modification")?;
    let kind = f.string("type")?;
    let query_id = f.u32("queryId")?;
    match kind.as_str() {
        "QueryUpdated" => Ok(StateModification::QueryUpdated {
            query_id,
            // The official client reads a missing value as `null`.
            value: f.take("value"),
            log_lines: f.log_lines()?,
            journal: f.opt_string("journal")?,
        }),
        "QueryFailed" => Ok(StateModification::QueryFailed {
            query_id,
            error_message: f.text("errorMessage")?,
            log_lines: f.log_lines()?,
            journal: f.opt_string("journal")?,
            error_data: f.opt_json("errorData"),
        }),
        "QueryRemoved" => Ok(StateModification::QueryRemoved { query_id }),
        other => Err(malformed(format!(
            "unknown modification type {}",
            Quoted(other)
        ))),
    }
}

/// Parses one server frame.
pub(super) fn parse(text: &str) -> Result<ServerMessage, ProtocolError> {
    let unrecognized = |what: String| ProtocolError::Unrecognized(what);
    let json: Json = crate::json::from_str(text).map_err(|e| unrecognized(e.to_string()))?;
    let Json::Object(map) = json else {
        return Err(unrecognized("not a JSON object".into()));
    };
    let mut f = Fields(map);
    let Json::String(kind) = f.take("type") else {
        return Err(unrecognized("no string `type`".into()));
    };
    Ok(match kind.as_str() {
        "Transition" => {
            let modifications = match f.take("modifications") {
                Json::Array(items) => items
                    .into_iter()
                    .map(modification)
                    .collect::<Result<_, _>>()?,
                _ => return Err(malformed("`modifications` must be an array")),
            };
            ServerMessage::Transition {
                start_version: state_version(f.required("startVersion")?)?,
                end_version: state_version(f.required("endVersion")?)?,
                modifications,
                client_clock_skew: f.opt_i64("clientClockSkew"),
                server_ts: f.opt_i64("serverTs"),
            }
        }
        "TransitionChunk" => ServerMessage::TransitionChunk {
            chunk: f.string("chunk")?,
            part_number: f.u32("partNumber")?,
            total_parts: f.u32("totalParts")?,
            transition_id: f.string("transitionId")?,
        },
        "MutationResponse" => ServerMessage::MutationResponse {
            request_id: f.u32("requestId")?,
            success: f.bool("success")?,
            result: f.required("result")?,
            ts: f.ts("ts")?,
            log_lines: f.log_lines()?,
            error_data: f.opt_json("errorData"),
        },
        "ActionResponse" => ServerMessage::ActionResponse {
            request_id: f.u32("requestId")?,
            success: f.bool("success")?,
            result: f.required("result")?,
            log_lines: f.log_lines()?,
            error_data: f.opt_json("errorData"),
        },
        "AuthError" => ServerMessage::AuthError {
            error: f.text("error")?,
            base_version: f.opt_u32("baseVersion")?,
            auth_update_attempted: f.opt_bool("authUpdateAttempted")?,
        },
        "FatalError" => ServerMessage::FatalError {
            error: f.text("error")?,
        },
        "Ping" => ServerMessage::Ping,
        other => {
            return Err(unrecognized(format!(
                "unknown message type {}",
                Quoted(other)
            )))
        }
    })
}

impl ServerMessage {
    /// Parses one server frame (hand-written: one pass over the JSON tree, fields moved out).
    pub fn parse(text: &str) -> Result<ServerMessage, ProtocolError> {
        parse(text)
    }

    /// Serialises this message as the backend sends it.
    pub fn to_text(&self) -> String {
        crate::json::to_string(self)
    }
}
