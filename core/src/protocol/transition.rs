//! The client's fast path for Transitions, the one bulky message: the frame is read once and
//! each query result is kept as its encoded JSON text ([`ResultValue`]), decoded later by
//! whoever reads it, straight into their own type. Other messages go through
//! [`ServerMessage::parse`].

use super::error::ProtocolError;
use super::server_message::{ServerMessage, StateModification, StateVersion};
use super::timestamp::Ts;
use crate::json::{JsonError, Reader};
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

/// One modification as the frame has it.
#[derive(Default)]
struct RawChange<'a> {
    kind: Option<String>,
    query_id: Option<u32>,
    // `null` is a result like any other: kept as raw `null`, not as a missing value.
    value: Option<&'a str>,
    error_message: Option<String>,
    log_lines: Option<Vec<String>>,
    /// Absent stays `None`; present (`null` too) is `Some`.
    journal: Option<Option<String>>,
    error_data: Option<&'a str>,
}

/// The Transition's fields the client reads; the rest are skipped (checked).
#[derive(Default)]
struct RawTop<'a> {
    kind: Option<String>,
    modifications: Option<Vec<RawChange<'a>>>,
    start_version: Option<StateVersion>,
    end_version: Option<StateVersion>,
}

fn journal(j: Option<Option<String>>) -> Journal {
    j.map_or(Journal::Keep, Journal::Set)
}

/// Notes that key number `bit` of an object was read: a key given twice (even as `null`)
/// makes the frame not Transition-shaped, and the full parser reads it.
fn seen(keys: &mut u8, bit: u8) -> Result<(), JsonError> {
    if *keys & 1 << bit != 0 {
        return Err(<JsonError as serde::de::Error>::custom("duplicate field"));
    }
    *keys |= 1 << bit;
    Ok(())
}

/// `null` as absent, else `read`.
fn nullable<'a, T>(
    r: &mut Reader<'a>,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, JsonError>,
) -> Result<Option<T>, JsonError> {
    if r.null()? {
        Ok(None)
    } else {
        read(r).map(Some)
    }
}

fn strings(r: &mut Reader<'_>) -> Result<Vec<String>, JsonError> {
    let mut lines = Vec::new();
    r.array(&mut |r| {
        lines.push(r.text()?);
        Ok(())
    })?;
    Ok(lines)
}

fn state_version(r: &mut Reader<'_>) -> Result<StateVersion, JsonError> {
    let (mut query_set, mut identity, mut ts, mut keys) = (None, None, None, 0);
    r.object(&mut |r, key| {
        match key {
            "querySet" => {
                seen(&mut keys, 0)?;
                query_set = Some(r.u32()?);
            }
            "identity" => {
                seen(&mut keys, 1)?;
                identity = Some(r.u32()?);
            }
            "ts" => {
                seen(&mut keys, 2)?;
                let text = r.text()?;
                ts = Some(Ts::decode(&text).ok_or_else(|| {
                    <JsonError as serde::de::Error>::custom(format!("invalid EncodedTS {text:?}"))
                })?);
            }
            _ => r.skip_value()?,
        }
        Ok(())
    })?;
    match (query_set, identity, ts) {
        (Some(query_set), Some(identity), Some(ts)) => Ok(StateVersion {
            query_set,
            identity,
            ts,
        }),
        _ => Err(<JsonError as serde::de::Error>::custom(
            "a state version needs querySet, identity and ts",
        )),
    }
}

fn change<'a>(r: &mut Reader<'a>) -> Result<RawChange<'a>, JsonError> {
    let (mut c, mut keys) = (RawChange::default(), 0);
    r.object(&mut |r, key| {
        match key {
            "type" => {
                seen(&mut keys, 0)?;
                c.kind = Some(r.text()?);
            }
            "queryId" => {
                seen(&mut keys, 1)?;
                c.query_id = Some(r.u32()?);
            }
            "value" => {
                seen(&mut keys, 2)?;
                c.value = Some(r.raw()?);
            }
            "errorMessage" => {
                seen(&mut keys, 3)?;
                c.error_message = nullable(r, |r| r.text())?;
            }
            "logLines" => {
                seen(&mut keys, 4)?;
                c.log_lines = nullable(r, strings)?;
            }
            "journal" => {
                seen(&mut keys, 5)?;
                c.journal = Some(nullable(r, |r| r.text())?);
            }
            "errorData" => {
                seen(&mut keys, 6)?;
                c.error_data = Some(r.raw()?);
            }
            _ => r.skip_value()?,
        }
        Ok(())
    })?;
    if c.kind.is_none() || c.query_id.is_none() {
        return Err(<JsonError as serde::de::Error>::custom(
            "a modification needs type and queryId",
        ));
    }
    Ok(c)
}

fn top<'a>(r: &mut Reader<'a>) -> Result<RawTop<'a>, JsonError> {
    let (mut top, mut keys) = (RawTop::default(), 0);
    r.object(&mut |r, key| {
        match key {
            "type" => {
                seen(&mut keys, 0)?;
                top.kind = nullable(r, |r| r.text())?;
            }
            "modifications" => {
                seen(&mut keys, 1)?;
                let mut changes = Vec::new();
                let present = nullable(r, |r| {
                    r.array(&mut |r| {
                        changes.push(change(r)?);
                        Ok(())
                    })
                })?;
                top.modifications = present.map(|()| changes);
            }
            "startVersion" => {
                seen(&mut keys, 2)?;
                top.start_version = nullable(r, state_version)?;
            }
            "endVersion" => {
                seen(&mut keys, 3)?;
                top.end_version = nullable(r, state_version)?;
            }
            _ => r.skip_value()?,
        }
        Ok(())
    })?;
    Ok(top)
}

/// A frame as the full parser read it; its Transition in the fast path's terms.
fn from_full(message: ServerMessage) -> Incoming {
    let ServerMessage::Transition {
        start_version,
        end_version,
        modifications,
        ..
    } = message
    else {
        return Incoming::Other(message);
    };
    // The full parser cannot tell an absent journal from `null`: keep the one held.
    let journal = |j: Option<String>| j.map_or(Journal::Keep, |j| Journal::Set(Some(j)));
    let changes = modifications
        .into_iter()
        .map(|m| match m {
            StateModification::QueryUpdated {
                query_id,
                value,
                log_lines,
                journal: j,
            } => Change::Updated {
                query_id,
                value: ResultValue::from_wire(&crate::json::to_string(&value)),
                log_lines,
                journal: journal(j),
            },
            StateModification::QueryFailed {
                query_id,
                error_message,
                log_lines,
                journal: j,
                error_data,
            } => Change::Failed {
                query_id,
                message: error_message,
                data: error_data.and_then(|d| Value::from_json(&d).ok()),
                log_lines,
                journal: journal(j),
            },
            StateModification::QueryRemoved { query_id } => Change::Removed { query_id },
        })
        .collect();
    Incoming::Transition(Transition {
        start: start_version,
        end: end_version,
        changes,
    })
}

fn malformed(e: impl ToString) -> ProtocolError {
    ProtocolError::Malformed(e.to_string())
}

/// Reads one server frame.
pub(crate) fn parse(text: &str) -> Result<Incoming, ProtocolError> {
    let top = match crate::json::from_str_with(text, top) {
        Ok(top) if top.kind.as_deref() == Some("Transition") => top,
        // Not a Transition the fast path reads: the full parser says what it is, and a
        // Transition it reads (a key given twice, JSON.parse's last one winning) is applied.
        _ => return ServerMessage::parse(text).map(from_full),
    };
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
            match c.kind.as_deref().unwrap_or_default() {
                // The official client reads a missing value as `null`.
                "QueryUpdated" => Ok(Change::Updated {
                    query_id: c.query_id.unwrap_or_default(),
                    value: ResultValue::from_wire(c.value.unwrap_or("null")),
                    log_lines,
                    journal: journal(c.journal),
                }),
                "QueryFailed" => Ok(Change::Failed {
                    query_id: c.query_id.unwrap_or_default(),
                    message: c.error_message.unwrap_or_default(),
                    data: c.error_data.and_then(|d| Value::from_json_str(d).ok()),
                    log_lines,
                    journal: journal(c.journal),
                }),
                "QueryRemoved" => Ok(Change::Removed {
                    query_id: c.query_id.unwrap_or_default(),
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

    /// Every frame the full parser reads as a Transition is read as one (the old fast path
    /// refused a frame with a key given twice, and the client dropped it), with the same
    /// versions, query ids and kinds; on random frames with nulls, odd types, duplicate and
    /// unknown keys.
    #[test]
    fn fast_path_reads_every_transition_the_full_parser_reads() {
        let mut random = crate::json::xorshift(0x2545_f491_4f6c_dd1d);
        let mut next = move |n: u64| random() % n;
        let pick = |next: &mut dyn FnMut(u64) -> u64, xs: &[&str]| -> String {
            xs[next(xs.len() as u64) as usize].to_owned()
        };
        let version = r#"{"querySet":1,"identity":0,"ts":"AQAAAAAAAAA="}"#;
        let (mut both, mut refused) = (0, 0);
        for _ in 0..20_000 {
            let mut changes = Vec::new();
            for _ in 0..next(4) {
                let mut fields = vec![
                    format!(
                        r#""type":{}"#,
                        pick(
                            &mut next,
                            &[
                                r#""QueryUpdated""#,
                                r#""QueryFailed""#,
                                r#""QueryRemoved""#,
                                "null",
                                "5",
                                r#""Odd""#
                            ]
                        )
                    ),
                    format!(
                        r#""queryId":{}"#,
                        pick(
                            &mut next,
                            &[
                                "0",
                                "7",
                                "4294967295",
                                "4294967296",
                                "-1",
                                "1.5",
                                "null",
                                r#""3""#
                            ]
                        )
                    ),
                ];
                let optional = [
                    (
                        r#""value""#,
                        &[
                            "null",
                            "1",
                            r#"{"a":[1,{"$integer":"AQAAAAAAAAA="}]}"#,
                            r#""s""#,
                        ][..],
                    ),
                    (r#""errorMessage""#, &["null", r#""boom""#, "5"][..]),
                    (
                        r#""logLines""#,
                        &["null", "[]", r#"["a","b"]"#, "[1]", r#""a""#][..],
                    ),
                    (r#""journal""#, &["null", r#""j""#, "5"][..]),
                    (r#""errorData""#, &["null", r#"{"code":1}"#][..]),
                    (r#""future""#, &["null", r#"[1,{"x":null}]"#][..]),
                ];
                for (key, values) in optional {
                    for _ in 0..next(3).saturating_sub(0).min(2) {
                        if next(2) == 0 {
                            fields.push(format!("{key}:{}", pick(&mut next, values)));
                        }
                    }
                }
                let i = next(fields.len() as u64) as usize;
                fields.swap(0, i);
                changes.push(format!("{{{}}}", fields.join(",")));
            }
            let mut top = vec![
                format!(
                    r#""type":{}"#,
                    pick(&mut next, &[r#""Transition""#, r#""Transition""#, "null"])
                ),
                format!(
                    r#""startVersion":{}"#,
                    pick(
                        &mut next,
                        &[
                            version,
                            version,
                            "null",
                            r#"{"querySet":1,"identity":0}"#,
                            r#"{"querySet":1,"identity":0,"ts":"%%"}"#
                        ]
                    )
                ),
                format!(r#""endVersion":{version}"#),
                format!(r#""modifications":[{}]"#, changes.join(",")),
            ];
            if next(3) == 0 {
                top.push(pick(
                    &mut next,
                    &[
                        r#""clientClockSkew":0"#,
                        r#""serverTs":{"a":1}"#,
                        r#""type":"Transition""#,
                    ],
                ));
            }
            let i = next(top.len() as u64) as usize;
            top.swap(0, i);
            let text = format!("{{{}}}", top.join(","));
            let full = ServerMessage::parse(&text);
            let fast = parse(&text);
            if let Ok(ServerMessage::Transition {
                start_version,
                end_version,
                modifications,
                ..
            }) = &full
            {
                let Ok(Incoming::Transition(t)) = &fast else {
                    panic!("{text}: the full parser reads a Transition, the fast path {fast:?}");
                };
                assert_eq!((t.start, t.end), (*start_version, *end_version), "{text}");
                let ids = |c: &Change| match c {
                    Change::Updated { query_id, .. } => (0, *query_id),
                    Change::Failed { query_id, .. } => (1, *query_id),
                    Change::Removed { query_id } => (2, *query_id),
                };
                let full_ids: Vec<_> = modifications
                    .iter()
                    .map(|m| match m {
                        StateModification::QueryUpdated { query_id, .. } => (0, *query_id),
                        StateModification::QueryFailed { query_id, .. } => (1, *query_id),
                        StateModification::QueryRemoved { query_id } => (2, *query_id),
                    })
                    .collect();
                assert_eq!(
                    t.changes.iter().map(ids).collect::<Vec<_>>(),
                    full_ids,
                    "{text}"
                );
                both += 1;
            } else {
                refused += 1;
            }
        }
        // The generator reaches both outcomes often.
        assert!(both > 1000 && refused > 1000, "{both} {refused}");
    }

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
