//! Real pagination for `myFunctions:listNumbersPaginated`: cursors, pinned page ends carried
//! in the query journal, `isDone`, and split hints (`splitCursor`, `pageStatus`).
//!
//! The numbers table only grows, so a cursor is a position: `"n<i>"` is the boundary below
//! the `i`-th number (oldest is 0). Pages run newest first: a page covers the numbers between
//! its `cursor` (`null`: the top, which moves up as numbers are added) and its end. The first
//! run of a page query pins its end, and the journal the server returns with the result
//! (`{"endCursor":"n<i>"}`) keeps it pinned on every re-run and after a reconnect, as Convex
//! does; `paginationOpts.endCursor` pins it explicitly (the halves of a split page).

use convex_yew_core::value::Object;
use convex_yew_core::value::Value;

use super::database::Database;
use super::functions::{FunctionError, Identity, QueryOutput};

/// A page query's journal.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    /// Where the page ends.
    pub end_cursor: String,
}

impl Journal {
    /// Reads a journal the client sent back; anything else is ignored (the page re-pins).
    pub fn parse(text: Option<&str>) -> Option<Journal> {
        serde_json::from_str(text?).ok()
    }

    /// The journal as the wire carries it.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn invalid_cursor(cursor: &str) -> FunctionError {
    let mut data = Object::new();
    data.insert("isConvexSystemError".into(), Value::Boolean(true));
    data.insert(
        "paginationError".into(),
        Value::String("InvalidCursor".into()),
    );
    FunctionError {
        message: format!(
            "InvalidCursor: {:?} is not a cursor of this query",
            cursor.chars().take(40).collect::<String>()
        ),
        data: Some(Value::Object(data)),
    }
}

fn bad_opts(why: &str) -> FunctionError {
    FunctionError {
        message: format!("ArgumentValidationError: paginationOpts {why}"),
        data: None,
    }
}

/// The position a cursor names, checked against the table's length.
fn position(cursor: &str, len: usize) -> Result<usize, FunctionError> {
    let i: usize = cursor
        .strip_prefix('n')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| invalid_cursor(cursor))?;
    if i > len {
        return Err(invalid_cursor(cursor));
    }
    Ok(i)
}

fn cursor_at(i: usize) -> String {
    format!("n{i}")
}

/// Runs the paginated list; returns the page and the journal that pins its end.
pub fn list_numbers_paginated(
    args: &Object,
    db: &Database,
    _identity: Option<&Identity>,
    journal: Option<&str>,
) -> Result<QueryOutput, FunctionError> {
    let opts = args
        .get("paginationOpts")
        .and_then(Value::as_object)
        .ok_or_else(|| bad_opts("is missing"))?;
    let num_items = opts
        .get("numItems")
        .and_then(Value::as_f64)
        .filter(|n| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| bad_opts("numItems must be a non-negative number"))?
        .min(1_000_000.0) as usize;
    let all = db.numbers();
    let start = match opts.get("cursor") {
        None | Some(Value::Null) => all.len(),
        Some(Value::String(c)) => position(c, all.len())?,
        Some(_) => return Err(bad_opts("cursor must be a string or null")),
    };
    let pinned = match opts.get("endCursor") {
        Some(Value::String(c)) => Some(c.clone()),
        None | Some(Value::Null) => Journal::parse(journal).map(|j| j.end_cursor),
        Some(_) => return Err(bad_opts("endCursor must be a string")),
    };
    let end = match &pinned {
        Some(c) => position(c, all.len())?.min(start),
        None => start.saturating_sub(num_items),
    };
    let items: Vec<Value> = all[end..start]
        .iter()
        .rev()
        .map(|n| Value::Float64(*n))
        .collect();
    let mut page = Object::new();
    // A page that grew past its size gets a split hint at its middle.
    if items.len() > num_items.max(1) {
        let middle = start - items.len() / 2;
        page.insert("splitCursor".into(), Value::String(cursor_at(middle)));
        let status = if items.len() > num_items.saturating_mul(2) {
            Value::String("SplitRecommended".into())
        } else {
            Value::Null
        };
        page.insert("pageStatus".into(), status);
    }
    page.insert("page".into(), Value::Array(items));
    page.insert("isDone".into(), Value::Boolean(end == 0));
    page.insert("continueCursor".into(), Value::String(cursor_at(end)));
    let journal = Journal {
        end_cursor: cursor_at(end),
    };
    Ok(QueryOutput {
        value: Value::Object(page),
        journal: Some(journal.to_text()),
        logs: Vec::new(),
    })
}
