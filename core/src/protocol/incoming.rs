//! A server frame as the client reads it, without a JSON tree.
//!
//! A Transition takes the one-pass reader in [`transition`](super::transition), which also
//! says when a frame is another message. Every other frame is read field by field: the
//! frame's keys and the text of their values first (a key given twice counts once, with its
//! last value, as `JSON.parse` reads it), then each field with the type it must have. Results
//! and `ConvexError` data stay JSON text until someone reads them.
//!
//! The rules are [`ServerMessage::parse`](super::ServerMessage::parse)'s, the parser tools
//! use (the tests read random frames with both and compare, refusals included: unrecognized
//! keeps the socket, malformed reconnects), with two exceptions. Values kept as text for
//! later (a query's `value` and `errorData`, a reply's `result` and `errorData`) are checked
//! only as skipping checks them; so are a Transition's keys the client does not read. A lone surrogate, `1e400` or nesting past 128
//! levels there fails only that query or request when it is decoded (as convex-js would read
//! it), where the full parser drops the whole frame and leaves the request waiting forever.

use std::ops::Range;

use super::error::ProtocolError;
use super::timestamp::Ts;
use super::transition::{self, Transition};
use crate::json::{JsonError, Quoted};

/// A server frame as the client reads it.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A whole Transition.
    Transition(Transition),
    /// One slice of a Transition too large for one frame.
    Chunk {
        chunk: String,
        part_number: u32,
        total_parts: u32,
        transition_id: String,
    },
    /// A `MutationResponse` or an `ActionResponse`.
    Reply(Reply),
    /// The identity was rejected.
    AuthError {
        error: String,
        base_version: Option<u32>,
        auth_update_attempted: Option<bool>,
    },
    /// A deterministic client error.
    FatalError(String),
    /// Keep-alive.
    Ping,
}

/// A `MutationResponse` (with `ts`) or an `ActionResponse`.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) action: bool,
    pub(crate) request_id: u32,
    pub(crate) success: bool,
    /// The result's JSON text: the encoded value on success, the error message (usually a
    /// JSON string) on failure.
    pub(crate) result: String,
    pub(crate) ts: Option<Ts>,
    pub(crate) log_lines: Vec<String>,
    /// A `ConvexError`'s data as JSON text (`null` is data too).
    pub(crate) error_data: Option<String>,
}

/// Reads one server frame.
pub(crate) fn parse(text: &str) -> Result<Incoming, ProtocolError> {
    let unreadable = match transition::read(text) {
        transition::Read::Transition(t) => return t.map(Incoming::Transition),
        transition::Read::Unreadable(e) => Some(e),
        transition::Read::Other => None,
    };
    let unrecognized = ProtocolError::Unrecognized;
    let mut f = match Fields::read(text) {
        Ok(f) => f,
        Err(_) if crate::json::validate(text).is_ok() => {
            return Err(unrecognized("not a JSON object".into()))
        }
        Err(e) => return Err(unrecognized(e.to_string())),
    };
    let Some(kind) = f.peek("type").and_then(|t| string(t).ok()) else {
        f.check(&[]).map_err(|e| unrecognized(e.to_string()))?;
        return Err(unrecognized("no string `type`".into()));
    };
    // JSON as a JSON tree reads it (the full parser's rule: a lone surrogate, a number no f64
    // holds or nesting past 128 levels makes the frame unreadable, never malformed), except
    // in the values kept as text for later: a reply's `result` and `errorData` fail only
    // their request when they are decoded, as a query's value fails only its query.
    let kept: &[&str] = match kind.as_str() {
        "MutationResponse" | "ActionResponse" => &["result", "errorData"],
        "Transition" => &["modifications"],
        _ => &[],
    };
    f.check(kept).map_err(|e| unrecognized(e.to_string()))?;
    f.take("type");
    Ok(match kind.as_str() {
        // A Transition holding a value no JSON tree holds (the one-pass reader said where).
        "Transition" => return Err(unrecognized(unreadable.unwrap_or_default())),
        "TransitionChunk" => Incoming::Chunk {
            chunk: f.string("chunk")?,
            part_number: f.u32("partNumber")?,
            total_parts: f.u32("totalParts")?,
            transition_id: f.string("transitionId")?,
        },
        "MutationResponse" | "ActionResponse" => {
            let action = kind == "ActionResponse";
            Incoming::Reply(Reply {
                action,
                request_id: f.u32("requestId")?,
                success: f.bool("success")?,
                result: f.required("result")?.to_owned(),
                ts: if action { None } else { f.ts("ts")? },
                log_lines: f.log_lines()?,
                error_data: f.take("errorData").map(str::to_owned),
            })
        }
        "AuthError" => Incoming::AuthError {
            error: f.text("error")?,
            base_version: f.opt(Fields::u32, "baseVersion")?,
            auth_update_attempted: f.opt(Fields::bool, "authUpdateAttempted")?,
        },
        "FatalError" => Incoming::FatalError(f.text("error")?),
        "Ping" => Incoming::Ping,
        other => {
            return Err(unrecognized(format!(
                "unknown message type {}",
                Quoted(other)
            )))
        }
    })
}

fn malformed(what: impl Into<String>) -> ProtocolError {
    ProtocolError::Malformed(what.into())
}

fn string(raw: &str) -> Result<String, ()> {
    crate::json::read_string(raw).ok_or(())
}

/// An object's fields as the text of their values, taken one by one.
struct Fields<'a> {
    text: &'a str,
    fields: Vec<(String, Range<usize>)>,
}

impl<'a> Fields<'a> {
    fn read(text: &'a str) -> Result<Fields<'a>, JsonError> {
        Ok(Fields {
            text,
            fields: crate::json::object_fields(text)?,
        })
    }

    /// The value's text without taking it (its last value when given twice).
    fn peek(&self, key: &str) -> Option<&'a str> {
        let text = self.text;
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, range)| &text[range.clone()])
    }

    /// Checks every value but those of `kept` as a JSON tree reads it (see [`validate`]),
    /// for an object at the document's root.
    ///
    /// [`validate`]: crate::json::validate
    fn check(&self, kept: &[&str]) -> Result<(), JsonError> {
        self.check_at(kept, 1)
    }

    /// [`check`](Self::check) for an object whose values are `depth` levels in.
    fn check_at(&self, kept: &[&str], depth: u32) -> Result<(), JsonError> {
        for (key, range) in &self.fields {
            if !kept.contains(&key.as_str()) {
                crate::json::validate_at(&self.text[range.clone()], depth)?;
            }
        }
        Ok(())
    }

    /// The value's text, or `None` when the key is absent (its last value when given twice).
    fn take(&mut self, key: &str) -> Option<&'a str> {
        let mut last = None;
        self.fields.retain(|(k, range)| {
            if k == key {
                last = Some(range.clone());
            }
            k != key
        });
        Some(&self.text[last?])
    }

    /// The value's text, `null` included; absent is an error.
    fn required(&mut self, key: &str) -> Result<&'a str, ProtocolError> {
        self.take(key)
            .ok_or_else(|| malformed(format!("missing `{key}`")))
    }

    /// `read`, or `None` for an absent or `null` field.
    fn opt<T>(
        &mut self,
        read: fn(&mut Self, &str) -> Result<T, ProtocolError>,
        key: &str,
    ) -> Result<Option<T>, ProtocolError> {
        match self.fields.iter().rev().find(|(k, _)| k == key) {
            None => Ok(None),
            Some((_, range)) if &self.text[range.clone()] == "null" => Ok(None),
            Some(_) => read(self, key).map(Some),
        }
    }

    fn u32(&mut self, key: &str) -> Result<u32, ProtocolError> {
        self.take(key)
            .and_then(|raw| crate::json::from_str_with(raw, |r| r.u32()).ok())
            .ok_or_else(|| malformed(format!("`{key}` must be an unsigned 32-bit number")))
    }

    fn bool(&mut self, key: &str) -> Result<bool, ProtocolError> {
        self.take(key)
            .and_then(crate::json::read_bool)
            .ok_or_else(|| malformed(format!("`{key}` must be a boolean")))
    }

    fn string(&mut self, key: &str) -> Result<String, ProtocolError> {
        self.take(key)
            .and_then(|raw| string(raw).ok())
            .ok_or_else(|| malformed(format!("`{key}` must be a string")))
    }

    /// A string the official client only prints: absent or `null` reads as empty.
    fn text(&mut self, key: &str) -> Result<String, ProtocolError> {
        match self.take(key) {
            None | Some("null") => Ok(String::new()),
            Some(raw) => string(raw).map_err(|_| malformed(format!("`{key}` must be a string"))),
        }
    }

    fn ts(&mut self, key: &str) -> Result<Option<Ts>, ProtocolError> {
        match self.take(key) {
            None | Some("null") => Ok(None),
            Some(raw) => match string(raw) {
                Ok(s) => Ts::decode(&s)
                    .map(Some)
                    .ok_or_else(|| malformed(format!("`{key}` is not an EncodedTS"))),
                Err(_) => Err(malformed(format!("`{key}` must be an EncodedTS string"))),
            },
        }
    }

    fn log_lines(&mut self) -> Result<Vec<String>, ProtocolError> {
        match self.take("logLines") {
            None | Some("null") => Ok(vec![]),
            Some(raw) => crate::json::from_str_with(raw, |r| {
                if raw.starts_with('[') {
                    r.strings().map(Some)
                } else {
                    Ok(None)
                }
            })
            .map_err(|_| malformed("`logLines` must hold strings"))?
            .ok_or_else(|| malformed("`logLines` must be an array")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::transition::{Change, Journal};
    use crate::protocol::{ServerMessage, StateModification};
    use crate::value::Value;

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
        let (mut both, mut unrecognized, mut malformed) = (0, 0, 0);
        for _ in 0..20_000 {
            let mut changes = Vec::new();
            for _ in 0..next(4) {
                let kinds = [
                    r#""QueryUpdated""#,
                    r#""QueryFailed""#,
                    r#""QueryRemoved""#,
                    "null",
                    "5",
                    r#""Odd""#,
                ];
                let ids = [
                    "0",
                    "7",
                    "4294967295",
                    "4294967296",
                    "-1",
                    "1.5",
                    "null",
                    r#""3""#,
                    "1e400",
                ];
                let mut fields = vec![
                    format!(r#""type":{}"#, pick(&mut next, &kinds)),
                    format!(r#""queryId":{}"#, pick(&mut next, &ids)),
                ];
                // Given again (the last one counts).
                if next(5) == 0 {
                    fields.push(format!(r#""type":{}"#, pick(&mut next, &kinds)));
                }
                if next(5) == 0 {
                    fields.push(format!(r#""queryId":{}"#, pick(&mut next, &ids)));
                }
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
                    (
                        r#""errorMessage""#,
                        &["null", r#""boom""#, "5", r#""\ud800""#][..],
                    ),
                    (
                        r#""logLines""#,
                        &["null", "[]", r#"["a","b"]"#, "[1]", r#""a""#][..],
                    ),
                    (r#""journal""#, &["null", r#""j""#, "5", "1e400"][..]),
                    (r#""errorData""#, &["null", r#"{"code":1}"#][..]),
                    (r#""future""#, &["null", r#"[1,{"x":null}]"#, "1e400"][..]),
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
            // Rarely, an element that is not a modification.
            if next(12) == 0 {
                let odd = pick(&mut next, &["5", "null", "[1e400]", r#""\udc00""#]);
                changes.push(odd);
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
                        r#""serverTs":[1e400]"#,
                        r#""type":"Transition""#,
                        r#""type":"Ping""#,
                        r#""startVersion":{"querySet":"1","identity":0,"ts":"AQAAAAAAAAA="}"#,
                        r#""endVersion":null"#,
                        r#""modifications":5"#,
                        r#""modifications":{"a":1e400}"#,
                        r#""modifications":[]"#,
                    ],
                ));
            }
            let i = next(top.len() as u64) as usize;
            top.swap(0, i);
            let text = format!("{{{}}}", top.join(","));
            // In a Transition, a key the client does not read is skipped as serde_json skips
            // it (its syntax checked, nothing more; see
            // `an_undecodable_result_fails_its_query_not_the_transition`): the full parser
            // reads such a frame with those values tamed. Other messages check every key.
            let last_type = crate::json::object_fields(&text).ok().and_then(|f| {
                let (_, range) = f.iter().rev().find(|(k, _)| k == "type")?;
                Some(text[range.clone()].to_owned())
            });
            let tame = match last_type.as_deref() {
                Some(r#""Transition""#) => text
                    .replace(r#""future":1e400"#, r#""future":0"#)
                    .replace(r#""serverTs":[1e400]"#, r#""serverTs":[0]"#),
                _ => text.clone(),
            };
            let full = ServerMessage::parse(&tame);
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
                // A frame the full parser refuses is refused the same way: unrecognized (the
                // socket stays) or malformed (the client reconnects); another message
                // (a `type` given last as "Ping") is that message.
                match (&full, &fast) {
                    (Err(ProtocolError::Unrecognized(_)), Err(ProtocolError::Unrecognized(_))) => {
                        unrecognized += 1
                    }
                    (Err(ProtocolError::Malformed(_)), Err(ProtocolError::Malformed(_))) => {
                        malformed += 1
                    }
                    (Ok(ServerMessage::Ping), Ok(Incoming::Ping)) => {}
                    _ => panic!("{text}: the full parser says {full:?}, the fast path {fast:?}"),
                }
            }
        }
        // The generator reaches every outcome often.
        assert!(
            both > 1000 && unrecognized > 1000 && malformed > 1000,
            "{both} {unrecognized} {malformed}"
        );
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
        assert!(matches!(parse(r#"{"type":"Ping"}"#), Ok(Incoming::Ping)));
    }

    /// Every frame but a Transition is read as `ServerMessage::parse` (the parser tools use)
    /// reads it: the same outcome (message, malformed, unrecognized) and the same fields, on
    /// random frames of every type with missing, `null`, odd-typed, duplicate and unknown keys.
    #[test]
    fn other_frames_read_as_the_full_parser_reads_them() {
        let mut random = crate::json::xorshift(0x9e37_79b9_7f4a_7c15);
        let mut next = move |n: u64| random() % n;
        let kinds = [
            r#""MutationResponse""#,
            r#""ActionResponse""#,
            r#""TransitionChunk""#,
            r#""AuthError""#,
            r#""FatalError""#,
            r#""Ping""#,
            r#""Pong""#,
            "null",
            "7",
        ];
        // What a JSON tree cannot hold: the frame is unreadable wherever it appears.
        let deep: &'static str =
            Box::leak(format!("{}{}", "[".repeat(200), "]".repeat(200)).into_boxed_str());
        let fields: [(&str, &[&str]); 14] = [
            (
                "requestId",
                &[
                    "0",
                    "7",
                    "4294967295",
                    "4294967296",
                    "-1",
                    "1.5",
                    "null",
                    r#""3""#,
                    "1e400",
                ],
            ),
            ("success", &["true", "false", "null", "0"]),
            (
                "result",
                &[
                    "null",
                    "1",
                    r#""boom""#,
                    r#"{"$integer":"AQAAAAAAAAA="}"#,
                    r#"{"a":[1,2.5]}"#,
                    r#"{"$bytes":"%%"}"#,
                    r#""\ud800""#,
                    "1e400",
                ],
            ),
            ("ts", &["null", r#""AQAAAAAAAAA=""#, r#""%%""#, "5"]),
            ("logLines", &["null", "[]", r#"["a","b"]"#, "[1]", r#""a""#]),
            ("errorData", &["null", r#"{"code":1}"#, "[]", "1e400", deep]),
            ("chunk", &[r#""{\"a\"""#, "null", "5"]),
            ("partNumber", &["0", "1", "-1", "null"]),
            ("totalParts", &["2", "0", r#""2""#]),
            ("transitionId", &[r#""t1""#, "null", "[]"]),
            (
                "error",
                &[r#""bad token""#, "null", "5", r#""""#, r#""\udc00""#],
            ),
            ("baseVersion", &["0", "3", "null", "-2", r#""1""#]),
            ("authUpdateAttempted", &["true", "false", "null", "1"]),
            ("future", &["null", r#"[1,{"x":null}]"#, "1e400", deep]),
        ];
        // A reply's `result` and `errorData` are kept as text: a value no tree holds there
        // fails only the request when decoded. The full parser reads the frame with such a
        // value replaced by "odd"; ours must keep the value's text as it stands.
        let odd = |key: &str, value: &str| {
            matches!(key, "result" | "errorData")
                && serde_json::from_str::<serde_json::Value>(value).is_err()
        };
        let (mut read, mut refused) = (0, 0);
        for _ in 0..20_000 {
            let kind = kinds[next(kinds.len() as u64) as usize];
            let reply = kind.ends_with(r#"Response""#);
            let mut parts = vec![(format!(r#""type":{kind}"#), format!(r#""type":{kind}"#))];
            for (key, values) in fields {
                // Absent, once, or (rarely) twice: the last one counts.
                for _ in 0..[0, 1, 1, 1, 2][next(5) as usize] {
                    let value = values[next(values.len() as u64) as usize];
                    let tame = if reply && odd(key, value) {
                        r#""odd""#
                    } else {
                        value
                    };
                    parts.push((format!(r#""{key}":{value}"#), format!(r#""{key}":{tame}"#)));
                }
            }
            let i = next(parts.len() as u64) as usize;
            parts.swap(0, i);
            let (texts, tames): (Vec<String>, Vec<String>) = parts.into_iter().unzip();
            let text = format!("{{{}}}", texts.join(","));
            let full = ServerMessage::parse(&format!("{{{}}}", tames.join(",")));
            let ours = parse(&text);
            // The last `result` / `errorData` the frame gives, when it is one no tree holds.
            let last_odd = |key: &str| {
                let fields = crate::json::object_fields(&text).ok()?;
                let (_, range) = fields.iter().rev().find(|(k, _)| k == key)?;
                let raw = &text[range.clone()];
                odd(key, raw).then(|| raw.to_owned())
            };
            let json = |raw: &str| serde_json::from_str::<serde_json::Value>(raw).unwrap();
            match (&full, &ours) {
                (Err(ProtocolError::Unrecognized(_)), Err(ProtocolError::Unrecognized(_)))
                | (Err(ProtocolError::Malformed(_)), Err(ProtocolError::Malformed(_)))
                | (Ok(ServerMessage::Ping), Ok(Incoming::Ping)) => {}
                (
                    Ok(ServerMessage::MutationResponse {
                        request_id,
                        success,
                        result,
                        ts,
                        log_lines,
                        error_data,
                    }),
                    Ok(Incoming::Reply(r)),
                ) => {
                    assert!(!r.action, "{text}");
                    assert_eq!(
                        (r.request_id, r.success, r.ts, &r.log_lines),
                        (*request_id, *success, *ts, log_lines),
                        "{text}"
                    );
                    match last_odd("result") {
                        Some(raw) => assert_eq!(r.result, raw, "{text}"),
                        None => assert_eq!(json(&r.result), *result, "{text}"),
                    }
                    match last_odd("errorData") {
                        Some(raw) => assert_eq!(r.error_data.as_deref(), Some(&*raw), "{text}"),
                        None => {
                            assert_eq!(r.error_data.as_deref().map(json), *error_data, "{text}")
                        }
                    }
                }
                (
                    Ok(ServerMessage::ActionResponse {
                        request_id,
                        success,
                        result,
                        log_lines,
                        error_data,
                    }),
                    Ok(Incoming::Reply(r)),
                ) => {
                    assert!(r.action && r.ts.is_none(), "{text}");
                    assert_eq!(
                        (r.request_id, r.success, &r.log_lines),
                        (*request_id, *success, log_lines),
                        "{text}"
                    );
                    match last_odd("result") {
                        Some(raw) => assert_eq!(r.result, raw, "{text}"),
                        None => assert_eq!(json(&r.result), *result, "{text}"),
                    }
                    match last_odd("errorData") {
                        Some(raw) => assert_eq!(r.error_data.as_deref(), Some(&*raw), "{text}"),
                        None => {
                            assert_eq!(r.error_data.as_deref().map(json), *error_data, "{text}")
                        }
                    }
                }
                (
                    Ok(ServerMessage::TransitionChunk {
                        chunk,
                        part_number,
                        total_parts,
                        transition_id,
                    }),
                    Ok(Incoming::Chunk {
                        chunk: c,
                        part_number: p,
                        total_parts: t,
                        transition_id: id,
                    }),
                ) => assert_eq!(
                    (c, p, t, id),
                    (chunk, part_number, total_parts, transition_id),
                    "{text}"
                ),
                (
                    Ok(ServerMessage::AuthError {
                        error,
                        base_version,
                        auth_update_attempted,
                    }),
                    Ok(Incoming::AuthError {
                        error: e,
                        base_version: b,
                        auth_update_attempted: a,
                    }),
                ) => assert_eq!(
                    (e, b, a),
                    (error, base_version, auth_update_attempted),
                    "{text}"
                ),
                (Ok(ServerMessage::FatalError { error }), Ok(Incoming::FatalError(e))) => {
                    assert_eq!(e, error, "{text}")
                }
                _ => panic!("{text}: the full parser {full:?}, ours {ours:?}"),
            }
            if ours.is_ok() {
                read += 1;
            } else {
                refused += 1;
            }
        }
        // The generator reaches both outcomes often.
        assert!(read > 1000 && refused > 1000, "{read} {refused}");
    }
}
