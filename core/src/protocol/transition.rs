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

/// One modification as the frame has it. A key given twice keeps its last value, as
/// `JSON.parse` does: a value of the wrong type sets the key's bit in `wrong`, a later one
/// that fits clears it.
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
    wrong: u8,
}

/// The bits of [`RawChange::wrong`], named as the frame names the keys.
const TYPE: u8 = 1;
const QUERY_ID: u8 = 2;
const ERROR_MESSAGE: u8 = 4;
const LOG_LINES: u8 = 8;
const JOURNAL: u8 = 16;
const KEYS: [&str; 5] = ["type", "queryId", "errorMessage", "logLines", "journal"];

/// The Transition's fields the client reads; the rest are skipped (their syntax checked).
#[derive(Default)]
struct RawTop<'a> {
    kind: Option<String>,
    /// A non-object element is `None`.
    modifications: Option<Vec<Option<RawChange<'a>>>>,
    start_version: Option<StateVersion>,
    end_version: Option<StateVersion>,
    /// `type`, `modifications`, `startVersion`, `endVersion`: absent or of the wrong type
    /// (`null` included), as [`RawChange::wrong`].
    wrong: u8,
}

/// Reads one field's value with `read`, and notes in `wrong` whether it had the wrong type
/// (see [`Reader::fitting`]: a value no JSON tree holds is still an error).
fn field(
    r: &mut Reader<'_>,
    wrong: &mut u8,
    bit: u8,
    read: &mut dyn FnMut(&mut Reader<'_>) -> Result<(), JsonError>,
) -> Result<(), JsonError> {
    if r.fitting(read)? {
        *wrong &= !bit;
    } else {
        *wrong |= bit;
    }
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

/// A state version; any field missing or of the wrong type is an error (the caller's
/// [`field`] counts the version as of the wrong type).
fn state_version(r: &mut Reader<'_>) -> Result<StateVersion, JsonError> {
    let (mut query_set, mut identity, mut ts, mut wrong) = (None, None, None, 0);
    r.object(&mut |r, key| match key {
        "querySet" => field(r, &mut wrong, 1, &mut |r| {
            query_set = Some(r.u32()?);
            Ok(())
        }),
        "identity" => field(r, &mut wrong, 2, &mut |r| {
            identity = Some(r.u32()?);
            Ok(())
        }),
        "ts" => field(r, &mut wrong, 4, &mut |r| {
            ts = Some(Ts::decode(&r.text()?).ok_or_else(JsonError::wrong_type)?);
            Ok(())
        }),
        _ => r.skip_value(),
    })?;
    match (query_set, identity, ts, wrong) {
        (Some(query_set), Some(identity), Some(ts), 0) => Ok(StateVersion {
            query_set,
            identity,
            ts,
        }),
        _ => Err(JsonError::wrong_type()),
    }
}

fn change<'a>(r: &mut Reader<'a>) -> Result<RawChange<'a>, JsonError> {
    let mut c = RawChange::default();
    let mut wrong = 0;
    r.object(&mut |r, key| match key {
        "type" => field(r, &mut wrong, TYPE, &mut |r| {
            c.kind = Some(r.text()?);
            Ok(())
        }),
        "queryId" => field(r, &mut wrong, QUERY_ID, &mut |r| {
            c.query_id = Some(r.u32()?);
            Ok(())
        }),
        "value" => {
            c.value = Some(r.raw()?);
            Ok(())
        }
        "errorMessage" => field(r, &mut wrong, ERROR_MESSAGE, &mut |r| {
            c.error_message = nullable(r, |r| r.text())?;
            Ok(())
        }),
        "logLines" => field(r, &mut wrong, LOG_LINES, &mut |r| {
            c.log_lines = nullable(r, |r| r.strings())?;
            Ok(())
        }),
        "journal" => field(r, &mut wrong, JOURNAL, &mut |r| {
            c.journal = Some(nullable(r, |r| r.text())?);
            Ok(())
        }),
        "errorData" => {
            c.error_data = Some(r.raw()?);
            Ok(())
        }
        _ => r.skip_value(),
    })?;
    c.wrong = wrong;
    Ok(c)
}

/// `modifications`: an array of modifications, each element that is not an object kept as
/// `None` (malformed, unless a later `modifications` replaces the array). Not [`field`]
/// over the whole array: a modification's `value` and `errorData` are not checked as a
/// JSON tree reads them, and an array of the wrong type is malformed whatever it holds.
fn modifications<'a>(
    r: &mut Reader<'a>,
    out: &mut Option<Vec<Option<RawChange<'a>>>>,
) -> Result<bool, JsonError> {
    if !r.next_is(b'[') {
        r.check_value()?;
        return Ok(false);
    }
    let mut changes = Vec::new();
    r.array(&mut |r| {
        let mut c = None;
        r.fitting(&mut |r| {
            c = Some(change(r)?);
            Ok(())
        })?;
        changes.push(c);
        Ok(())
    })?;
    *out = Some(changes);
    Ok(true)
}

fn top<'a>(r: &mut Reader<'a>) -> Result<RawTop<'a>, JsonError> {
    let mut top = RawTop::default();
    let mut wrong = 0b1111;
    r.object(&mut |r, key| match key {
        "type" => field(r, &mut wrong, 1, &mut |r| {
            top.kind = Some(r.text()?);
            Ok(())
        }),
        "modifications" => {
            let fits = modifications(r, &mut top.modifications)?;
            wrong = if fits { wrong & !2 } else { wrong | 2 };
            Ok(())
        }
        "startVersion" => field(r, &mut wrong, 4, &mut |r| {
            top.start_version = Some(state_version(r)?);
            Ok(())
        }),
        "endVersion" => field(r, &mut wrong, 8, &mut |r| {
            top.end_version = Some(state_version(r)?);
            Ok(())
        }),
        _ => r.skip_value(),
    })?;
    top.wrong = wrong;
    Ok(top)
}

fn malformed(e: impl ToString) -> ProtocolError {
    ProtocolError::Malformed(e.to_string())
}

/// What [`read`] makes of a frame.
pub(super) enum Read {
    /// A frame whose `type` (its last one) is `"Transition"`, read or found malformed.
    Transition(Result<Transition, ProtocolError>),
    /// Another message (or not a JSON object): the field reader in `incoming` reads it.
    Other,
    /// A value no JSON tree holds, outside the values kept as text: if the frame is a
    /// Transition, it is unrecognized with this message.
    Unreadable(String),
}

/// Reads a frame in one pass as a Transition, as `JSON.parse` and then the official client
/// read it: an object's last value for a key counts (a key given twice, or a wrong type
/// given first, changes nothing). The keys the client reads are checked as a JSON tree
/// reads them (a lone surrogate or `1e400` there makes the frame unrecognized); a
/// modification's `value` and `errorData` are kept as text and, like unknown keys, checked
/// only for their syntax.
pub(super) fn read(text: &str) -> Read {
    match crate::json::from_str_with(text, top) {
        Ok(top) if top.wrong & 1 == 0 && top.kind.as_deref() == Some("Transition") => {
            Read::Transition(checked(top))
        }
        Ok(_) => Read::Other,
        Err(e) => Read::Unreadable(e.to_string()),
    }
}

/// The Transition's fields, checked and turned into changes.
fn checked(top: RawTop<'_>) -> Result<Transition, ProtocolError> {
    let (Some(start), Some(end), Some(raw), 0) = (
        top.start_version,
        top.end_version,
        top.modifications,
        top.wrong,
    ) else {
        return Err(malformed(
            "a Transition needs startVersion, endVersion and modifications",
        ));
    };
    // Into a new vector, not collected in place over `raw`'s buffer: reusing it (and
    // shrinking it to the smaller `Change`s) fragmented the heap that the typed decoding
    // allocates into next (glibc's malloc took 3.5x the instructions).
    let mut changes = Vec::with_capacity(raw.len());
    for c in raw {
        changes.push({
            let c = c.ok_or_else(|| malformed("a modification must be an object"))?;
            let (Some(kind), Some(query_id)) = (c.kind, c.query_id) else {
                return Err(malformed("a modification needs type and queryId"));
            };
            // The keys this kind reads (a removal reads no more).
            let read = match kind.as_str() {
                "QueryUpdated" => TYPE | QUERY_ID | LOG_LINES | JOURNAL,
                "QueryFailed" => TYPE | QUERY_ID | ERROR_MESSAGE | LOG_LINES | JOURNAL,
                _ => TYPE | QUERY_ID,
            };
            if let Some(i) = (0..KEYS.len()).find(|i| c.wrong & read & 1 << i != 0) {
                return Err(malformed(format!(
                    "a modification's `{}` has the wrong type",
                    KEYS[i]
                )));
            }
            let log_lines = c.log_lines.unwrap_or_default();
            let journal = c.journal.map_or(Journal::Keep, Journal::Set);
            match kind.as_str() {
                // The official client reads a missing value as `null`.
                "QueryUpdated" => Ok(Change::Updated {
                    query_id,
                    value: ResultValue::from_wire(c.value.unwrap_or("null")),
                    log_lines,
                    journal,
                }),
                "QueryFailed" => Ok(Change::Failed {
                    query_id,
                    message: c.error_message.unwrap_or_default(),
                    data: c.error_data.and_then(|d| Value::from_json_str(d).ok()),
                    log_lines,
                    journal,
                }),
                "QueryRemoved" => Ok(Change::Removed { query_id }),
                other => Err(malformed(format!(
                    "unknown modification type {}",
                    Quoted(other)
                ))),
            }
        }?);
    }
    Ok(Transition {
        start,
        end,
        changes,
    })
}
