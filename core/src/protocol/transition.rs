//! The client's fast path for Transitions, the one bulky message: the frame is read once and
//! each query result is kept as its encoded JSON text ([`ResultValue`]), decoded later by
//! whoever reads it, straight into their own type. Other frames are read field by field in
//! [`incoming`](super::incoming).

use super::error::ProtocolError;
use super::server_message::StateVersion;
use super::timestamp::Ts;
use crate::json::{JsonError, Quoted, Reader};
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
                    <JsonError as serde::de::Error>::custom(format!(
                        "invalid EncodedTS {}",
                        Quoted(&text)
                    ))
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
                c.log_lines = nullable(r, |r| r.strings())?;
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

fn malformed(e: impl ToString) -> ProtocolError {
    ProtocolError::Malformed(e.to_string())
}

/// Reads a Transition frame in one pass; `None` when the frame is not one this reader takes
/// (another message, a key given twice, not JSON): the field reader in `incoming` decides.
pub(super) fn fast(text: &str) -> Option<Result<Transition, ProtocolError>> {
    let top = match crate::json::from_str_with(text, top) {
        Ok(top) if top.kind.as_deref() == Some("Transition") => top,
        _ => return None,
    };
    Some(checked(top))
}

/// The Transition's fields, checked and turned into changes.
fn checked(top: RawTop<'_>) -> Result<Transition, ProtocolError> {
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
                other => Err(malformed(format!(
                    "unknown modification type {}",
                    Quoted(other)
                ))),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Transition {
        start,
        end,
        changes,
    })
}
