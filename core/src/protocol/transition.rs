//! The client's fast path for Transitions, the one bulky message: the frame is read once and
//! each query result is kept as its encoded JSON text ([`ResultValue`]), decoded later by
//! whoever reads it, straight into their own type. Other messages go through
//! [`ServerMessage::parse`].

use serde::Deserialize;

use super::error::ProtocolError;
use super::server_message::{ServerMessage, StateVersion};
use crate::json::RawText;
use crate::value::ResultValue;
use crate::value::Value;

/// A query's journal as a change carries it: absent keeps the one the client holds (as the
/// official client does), `null` or a string replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Journal {
    Keep,
    Set(Option<String>),
}

/// One query's change in a Transition, decoded.
#[derive(Debug)]
pub(crate) enum Change {
    /// A new result, not decoded yet.
    Updated {
        query_id: u32,
        value: ResultValue,
        log_lines: Vec<String>,
        journal: Journal,
    },
    /// The query threw. `data`: the `ConvexError` payload (`null` is a payload too).
    Failed {
        query_id: u32,
        message: String,
        data: Option<Value>,
        log_lines: Vec<String>,
        journal: Journal,
    },
    /// The query left the set.
    Removed { query_id: u32 },
}

/// A decoded Transition.
#[derive(Debug)]
pub(crate) struct Transition {
    pub(crate) start: StateVersion,
    pub(crate) end: StateVersion,
    pub(crate) changes: Vec<Change>,
}

/// A server frame as the client reads it.
#[derive(Debug)]
pub(crate) enum Incoming {
    Transition(Transition),
    Other(ServerMessage),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawChange<'a> {
    #[serde(rename = "type")]
    kind: String,
    query_id: u32,
    // `null` is a result like any other: keep it as raw `null`, not as a missing value.
    #[serde(borrow, default, deserialize_with = "present")]
    value: Option<RawText<'a>>,
    #[serde(default)]
    error_message: Option<String>,
    #[serde(default)]
    log_lines: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present_journal")]
    journal: Option<Option<String>>,
    #[serde(borrow, default, deserialize_with = "present")]
    error_data: Option<RawText<'a>>,
}

/// `journal`: absent stays `None` (the field default), present (`null` too) is `Some`.
fn present_journal<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn journal(j: Option<Option<String>>) -> Journal {
    j.map_or(Journal::Keep, Journal::Set)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTop<'a> {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(borrow, default)]
    modifications: Option<Vec<RawChange<'a>>>,
    #[serde(default)]
    start_version: Option<StateVersion>,
    #[serde(default)]
    end_version: Option<StateVersion>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<RawText<'de>>, D::Error> {
    RawText::deserialize(d).map(Some)
}

fn malformed(e: impl ToString) -> ProtocolError {
    ProtocolError::Malformed(e.to_string())
}

/// Reads one server frame.
pub(crate) fn parse(text: &str) -> Result<Incoming, ProtocolError> {
    let top: RawTop = match crate::json::from_str(text) {
        Ok(top) => top,
        // Not a Transition-shaped object: the full parser says what it is.
        Err(_) => return ServerMessage::parse(text).map(Incoming::Other),
    };
    if top.kind.as_deref() != Some("Transition") {
        return ServerMessage::parse(text).map(Incoming::Other);
    }
    let (Some(start), Some(end), Some(raw)) =
        (top.start_version, top.end_version, top.modifications)
    else {
        return Err(malformed(
            "a Transition needs startVersion, endVersion and modifications",
        ));
    };
    let changes = raw
        .into_iter()
        .map(|c| {
            let log_lines = c.log_lines.unwrap_or_default();
            match c.kind.as_str() {
                // The official client reads a missing value as `null`.
                "QueryUpdated" => Ok(Change::Updated {
                    query_id: c.query_id,
                    value: ResultValue::from_wire(c.value.map_or("null", |v| v.0)),
                    log_lines,
                    journal: journal(c.journal),
                }),
                "QueryFailed" => Ok(Change::Failed {
                    query_id: c.query_id,
                    message: c.error_message.unwrap_or_default(),
                    data: c.error_data.and_then(|d| Value::from_json_str(d.0).ok()),
                    log_lines,
                    journal: journal(c.journal),
                }),
                "QueryRemoved" => Ok(Change::Removed {
                    query_id: c.query_id,
                }),
                other => Err(malformed(format!("unknown modification type {other:?}"))),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Incoming::Transition(Transition {
        start,
        end,
        changes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_results_and_errors() {
        let text = r#"{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"endVersion":{"querySet":1,"identity":0,"ts":"AQAAAAAAAAA="},"modifications":[
            {"type":"QueryUpdated","queryId":0,"value":null,"logLines":[],"journal":null},
            {"type":"QueryUpdated","queryId":1,"value":{"$bytes":"%%"}},
            {"type":"QueryFailed","queryId":2,"errorMessage":"boom","errorData":null},
            {"type":"QueryRemoved","queryId":3}]}"#;
        let Ok(Incoming::Transition(t)) = parse(text) else {
            panic!()
        };
        assert!(matches!(
            &t.changes[0],
            Change::Updated { value, .. } if value.value() == Ok(&Value::Null)
        ));
        assert!(
            matches!(&t.changes[1], Change::Updated { value, .. } if value.value().is_err()),
            "a bad value fails only its own readers"
        );
        assert!(
            matches!(
                &t.changes[2],
                Change::Failed {
                    data: Some(Value::Null),
                    ..
                }
            ),
            "errorData null is a ConvexError payload, as in the official client"
        );
        assert!(matches!(&t.changes[3], Change::Removed { query_id: 3 }));
        assert!(matches!(
            &t.changes[0],
            Change::Updated {
                journal: Journal::Set(None),
                ..
            }
        ));
        assert!(matches!(
            &t.changes[1],
            Change::Updated {
                journal: Journal::Keep,
                ..
            }
        ));
        // What the official client tolerates: a missing value (null), a missing errorMessage.
        let missing = r#"{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"endVersion":{"querySet":1,"identity":0,"ts":"AQAAAAAAAAA="},"modifications":[{"type":"QueryUpdated","queryId":0},{"type":"QueryFailed","queryId":1}]}"#;
        let Ok(Incoming::Transition(t)) = parse(missing) else {
            panic!()
        };
        assert!(matches!(
            &t.changes[0],
            Change::Updated { value, .. } if value.value() == Ok(&Value::Null)
        ));
        assert!(matches!(&t.changes[1], Change::Failed { message, .. } if message.is_empty()));
        for unknown in ["nope", "[]", "{}", r#"{"type":5}"#, r#"{"type":"Pong"}"#] {
            assert!(
                matches!(parse(unknown), Err(ProtocolError::Unrecognized(_))),
                "{unknown}"
            );
        }
        assert!(matches!(
            parse(r#"{"type":"Ping"}"#),
            Ok(Incoming::Other(ServerMessage::Ping))
        ));
    }
}
