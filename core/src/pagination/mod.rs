//! Paginated queries: the page bookkeeping of `usePaginatedQuery`, without I/O.
//!
//! A [`Paginator`] owns the list of page queries of one paginated view. The caller subscribes
//! to every query in [`queries`](Paginator::queries), feeds their current results to
//! [`ingest`](Paginator::ingest), which stitches the pages and moves the state on (split a
//! grown page, finish a split, start over after an invalid cursor), and calls
//! [`load_more`](Paginator::load_more) for the next page. When `ingest` or `load_more` change
//! the wanted queries, it says so, and the caller subscribes again.
//!
//! The rules are Convex's:
//! - the first page asks for `initial_num_items` from the start (`cursor: null`); each further
//!   page starts at the previous page's `continueCursor`;
//! - the server pins each page's end the first time it runs (in the query's journal, which
//!   the client's query set carries and re-sends after a reconnect), so pages grow and shrink
//!   in place instead of shifting items between them;
//! - a page that grew too large (`pageStatus` `SplitRecommended` / `SplitRequired`, or twice
//!   `initial_num_items`) is replaced by two queries split at `splitCursor`; the old page stays
//!   shown until both halves are loaded (a `SplitRequired` page shows as loading);
//! - an `InvalidCursor` error starts over with a new pagination id.
//!
//! [`optimistic`] has the helpers that change a paginated query's pages in an optimistic
//! update (insert at the top, insert at the bottom, update in place).
//!
//! ```
//! use convex_yew_core::pagination::{Paginator, PaginationStatus};
//! use convex_yew_core::sync::QueryResult;
//! use convex_yew_core::value::Object;
//! use convex_yew_core::value::Value;
//!
//! let mut p = Paginator::new("messages:feed", Object::new(), 2, 1);
//! let first = p.queries()[0].clone();
//! assert_eq!(p.ingest(|_| None, || 2).status, PaginationStatus::LoadingFirstPage);
//! let page: Value = serde_json::from_str::<serde_json::Value>(
//!     r#"{"page": ["a", "b"], "isDone": false, "continueCursor": "c1"}"#,
//! ).map(|j| Value::from_json(&j).unwrap()).unwrap();
//! let result = QueryResult::from(page);
//! let view = p.ingest(|args| (args == &first).then_some(&result), || 2);
//! assert_eq!(view.status, PaginationStatus::CanLoadMore);
//! assert_eq!(view.items.len(), 2);
//! assert!(p.load_more(10)); // a second page query, starting at "c1"
//! assert_eq!(p.queries().len(), 2);
//! ```

pub mod optimistic;
mod page;

use crate::protocol::udf_path::canonicalize;
use crate::sorted_map::SortedMap;
use crate::sync::QueryResult;
use crate::value::{Object, Value};

use page::{is_invalid_cursor, opts_of, page_args};
pub use page::{Page, PageStatus, PaginationError};

/// Where a paginated view stands (`usePaginatedQuery`'s `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaginationStatus {
    /// The first page has not arrived.
    LoadingFirstPage,
    /// Every loaded page is shown and there is more.
    CanLoadMore,
    /// A further page (or a page being split) is loading.
    LoadingMore,
    /// The last page is loaded: nothing more to load.
    Exhausted,
}

/// The stitched items and status of a paginated view.
#[derive(Debug, Clone, PartialEq)]
pub struct PaginatedView {
    /// The items of every loaded page, in order (up to the first page still loading).
    pub items: Vec<Value>,
    /// Where the view stands.
    pub status: PaginationStatus,
    /// Set when a page failed; `items` then holds the pages before it.
    pub error: Option<PaginationError>,
    /// True when this call changed [`Paginator::queries`] (split, finished split, reset).
    pub queries_changed: bool,
}

/// A page key: stable for the life of a page query.
pub type PageKey = u32;

/// The pages of one paginated view. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Paginator {
    path: String,
    args: Object,
    initial_num_items: u32,
    id: u64,
    next_key: PageKey,
    /// The pages shown, in order.
    page_keys: Vec<PageKey>,
    /// Every page query wanted: shown pages and the halves of ongoing splits.
    pages: SortedMap<PageKey, Object>,
    /// A shown page being split, and its two halves.
    splits: SortedMap<PageKey, (PageKey, PageKey)>,
    /// The continue cursor `load_more` may start from (set while `CanLoadMore`).
    more_from: Option<String>,
}

impl Paginator {
    /// A view of `path` with these arguments (without `paginationOpts`); `id` tells it apart
    /// from other views of the same query (take it from a per-client counter).
    pub fn new(path: &str, args: Object, initial_num_items: u32, id: u64) -> Paginator {
        let mut p = Paginator {
            path: canonicalize(path),
            args,
            initial_num_items,
            id,
            next_key: 0,
            page_keys: Vec::new(),
            pages: SortedMap::new(),
            splits: SortedMap::new(),
            more_from: None,
        };
        p.start(id);
        p
    }

    fn start(&mut self, id: u64) {
        self.id = id;
        self.pages.clear();
        self.splits.clear();
        self.more_from = None;
        self.pages.insert(
            0,
            page_args(&self.args, self.initial_num_items, None, None, id),
        );
        self.page_keys = vec![0];
        self.next_key = 1;
    }

    /// The function's canonical path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The arguments of every page query to subscribe to, in key order.
    pub fn queries(&self) -> Vec<Object> {
        self.pages.values().cloned().collect()
    }

    /// The page queries with their keys.
    pub fn keyed_queries(&self) -> impl Iterator<Item = (PageKey, &Object)> + '_ {
        self.pages.iter().map(|(k, a)| (*k, a))
    }

    /// Stitches the pages from their current results (`result(args)` is the result of the page
    /// query with these arguments, `None` while it loads) and moves the state on. `fresh_id`
    /// gives a new pagination id when the view has to start over.
    pub fn ingest<'r>(
        &mut self,
        result: impl Fn(&Object) -> Option<&'r QueryResult>,
        fresh_id: impl FnOnce() -> u64,
    ) -> PaginatedView {
        let mut items = Vec::new();
        let mut last: Option<(bool, String)> = None; // (is_done, continue cursor)
        let mut to_split = Vec::new();
        let mut finished_splits = Vec::new();
        let mut blocked = false;
        for &key in &self.page_keys {
            let Some(args) = self.pages.get(&key) else {
                last = None;
                break;
            };
            let value = match result(args) {
                None => {
                    last = None;
                    break;
                }
                Some(QueryResult::Error { message, data }) => {
                    if is_invalid_cursor(message, data.as_ref()) {
                        self.start(fresh_id());
                        return PaginatedView {
                            items: Vec::new(),
                            status: PaginationStatus::LoadingFirstPage,
                            error: None,
                            queries_changed: true,
                        };
                    }
                    return self.failed(
                        items,
                        PaginationError::Function {
                            message: message.clone(),
                            data: data.clone(),
                        },
                    );
                }
                Some(QueryResult::Value(v)) => match v.value() {
                    Ok(v) => v,
                    Err(e) => {
                        return self.failed(items, PaginationError::MalformedPage(e.to_string()))
                    }
                },
            };
            let page = match Page::parse(value) {
                Ok(p) => p,
                Err(e) => return self.failed(items, e),
            };
            match self.splits.get(&key) {
                Some((a, b)) => {
                    let loaded = |k: &PageKey| self.pages.get(k).and_then(&result).is_some();
                    if loaded(a) && loaded(b) {
                        finished_splits.push(key);
                    }
                }
                None => {
                    let grown = page.status != PageStatus::Normal
                        || page.items.len() > (self.initial_num_items as usize).saturating_mul(2);
                    if let (true, Some(split)) = (grown, page.split_cursor) {
                        to_split.push((key, split.to_owned(), page.continue_cursor.to_owned()));
                    }
                }
            }
            if page.status == PageStatus::SplitRequired {
                blocked = true;
                last = None;
                break;
            }
            items.extend(page.items.iter().cloned());
            last = Some((page.is_done, page.continue_cursor.to_owned()));
        }
        let queries_changed = !to_split.is_empty() || !finished_splits.is_empty();
        for (key, split, end) in to_split {
            self.split(key, &split, &end);
        }
        for key in finished_splits {
            self.finish_split(key);
        }
        let status = match last {
            None if self.next_key == 1 && !blocked => PaginationStatus::LoadingFirstPage,
            None => PaginationStatus::LoadingMore,
            Some((true, _)) => PaginationStatus::Exhausted,
            Some((false, cursor)) => {
                self.more_from = Some(cursor);
                PaginationStatus::CanLoadMore
            }
        };
        if status != PaginationStatus::CanLoadMore {
            self.more_from = None;
        }
        PaginatedView {
            items,
            status,
            error: None,
            queries_changed,
        }
    }

    fn failed(&mut self, items: Vec<Value>, error: PaginationError) -> PaginatedView {
        self.more_from = None;
        PaginatedView {
            items,
            status: PaginationStatus::LoadingMore,
            error: Some(error),
            queries_changed: false,
        }
    }

    /// Asks for `num_items` more after the last page. Does nothing (returns false) unless
    /// the last [`ingest`](Self::ingest) said [`PaginationStatus::CanLoadMore`], and only
    /// once per such state, as `loadMore` does.
    pub fn load_more(&mut self, num_items: u32) -> bool {
        let Some(cursor) = self.more_from.take() else {
            return false;
        };
        let key = self.next_key;
        self.next_key += 1;
        self.pages.insert(
            key,
            page_args(&self.args, num_items, Some(&cursor), None, self.id),
        );
        self.page_keys.push(key);
        true
    }

    /// Replaces (once both are loaded) page `key` by `[cursor, split)` and `[split, end)`.
    fn split(&mut self, key: PageKey, split: &str, end: &str) {
        let Some(opts) = self.pages.get(&key).and_then(opts_of) else {
            return;
        };
        let num_items = opts
            .get("numItems")
            .and_then(Value::as_f64)
            .map_or(self.initial_num_items, |n| {
                n.clamp(0.0, u32::MAX as f64) as u32
            });
        let cursor = opts
            .get("cursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let (a, b) = (self.next_key, self.next_key + 1);
        self.next_key += 2;
        self.pages.insert(
            a,
            page_args(
                &self.args,
                num_items,
                cursor.as_deref(),
                Some(split),
                self.id,
            ),
        );
        self.pages.insert(
            b,
            page_args(&self.args, num_items, Some(split), Some(end), self.id),
        );
        self.splits.insert(key, (a, b));
    }

    fn finish_split(&mut self, key: PageKey) {
        let Some((a, b)) = self.splits.remove(&key) else {
            return;
        };
        self.pages.remove(&key);
        if let Some(i) = self.page_keys.iter().position(|k| *k == key) {
            self.page_keys.splice(i..=i, [a, b]);
        }
    }
}
