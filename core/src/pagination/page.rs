//! One page as a paginated query returns it, and the `paginationOpts` that asks for it.

use crate::value::{Object, Value};

/// `paginationOpts.id` is a float on the wire; ids stay below 2^53 so they round-trip.
pub(crate) const MAX_ID: u64 = (1 << 53) - 1;

/// What the server says about a page that has grown (Convex's `pageStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStatus {
    /// The page is fine as it is.
    Normal,
    /// The page has grown large: split it at `split_cursor` soon.
    SplitRecommended,
    /// The page is too large to serve whole: it is shown as loading until split.
    SplitRequired,
}

/// One page of a paginated query's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<'a> {
    /// The items.
    pub items: &'a [Value],
    /// No item after this page.
    pub is_done: bool,
    /// Where the next page starts.
    pub continue_cursor: &'a str,
    /// Where to split this page in two, when it has grown.
    pub split_cursor: Option<&'a str>,
    /// Whether the server asks for a split.
    pub status: PageStatus,
}

impl<'a> Page<'a> {
    /// Reads a page from a query result (`{page, isDone, continueCursor, splitCursor?,
    /// pageStatus?}`).
    pub fn parse(value: &'a Value) -> Result<Page<'a>, PaginationError> {
        let bad = |why: &str| PaginationError::MalformedPage(why.to_owned());
        let o = value
            .as_object()
            .ok_or_else(|| bad("a page must be an object"))?;
        let items = o
            .get("page")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("`page` must be an array"))?;
        let is_done = match o.get("isDone") {
            Some(Value::Boolean(b)) => *b,
            _ => return Err(bad("`isDone` must be a boolean")),
        };
        let continue_cursor = o
            .get("continueCursor")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("`continueCursor` must be a string"))?;
        let split_cursor = match o.get("splitCursor") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => return Err(bad("`splitCursor` must be a string or null")),
        };
        let status = match o.get("pageStatus") {
            None | Some(Value::Null) => PageStatus::Normal,
            Some(Value::String(s)) if s == "SplitRecommended" => PageStatus::SplitRecommended,
            Some(Value::String(s)) if s == "SplitRequired" => PageStatus::SplitRequired,
            Some(_) => PageStatus::Normal, // a status this client does not know: show the page
        };
        Ok(Page {
            items,
            is_done,
            continue_cursor,
            split_cursor,
            status,
        })
    }
}

/// The arguments of one page query: the user's arguments plus `paginationOpts`.
pub(crate) fn page_args(
    base: &Object,
    num_items: u32,
    cursor: Option<&str>,
    end_cursor: Option<&str>,
    id: u64,
) -> Object {
    let mut opts = Object::new();
    opts.insert("numItems".into(), Value::Float64(f64::from(num_items)));
    opts.insert(
        "cursor".into(),
        cursor.map_or(Value::Null, |c| Value::String(c.to_owned())),
    );
    if let Some(end) = end_cursor {
        opts.insert("endCursor".into(), Value::String(end.to_owned()));
    }
    opts.insert("id".into(), Value::Float64((id & MAX_ID) as f64));
    let mut args = base.clone();
    args.insert("paginationOpts".into(), Value::Object(opts));
    args
}

/// The `paginationOpts` of a page query's arguments.
pub(crate) fn opts_of(args: &Object) -> Option<&Object> {
    args.get("paginationOpts").and_then(Value::as_object)
}

/// A page query's arguments without `paginationOpts`. Built by inserting the others (in
/// order) rather than cloning and removing: no map removal is compiled into the client.
pub(crate) fn without_opts(args: &Object) -> Object {
    let mut inner = Object::new();
    for (key, value) in args {
        if key != "paginationOpts" {
            inner.insert(key.clone(), value.clone());
        }
    }
    inner
}

/// Whether a query error says the cursor is no longer valid (the paginator then starts over).
pub(crate) fn is_invalid_cursor(message: &str, data: Option<&Value>) -> bool {
    if crate::find_text(message, "InvalidCursor").is_some() {
        return true;
    }
    let Some(Value::Object(d)) = data else {
        return false;
    };
    d.get("isConvexSystemError") == Some(&Value::Boolean(true))
        && d.get("paginationError").and_then(Value::as_str) == Some("InvalidCursor")
}

/// Why a paginated view cannot be shown.
#[derive(Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationError {
    /// A page query threw.
    #[error("{message}")]
    Function {
        /// The server's message.
        message: String,
        /// The `ConvexError` payload.
        data: Option<Value>,
    },
    /// A page query's result is not a page.
    #[error("the query did not return a page: {0}")]
    MalformedPage(String),
}

debug_as_message!(PaginationError);
