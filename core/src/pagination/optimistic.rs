//! Optimistic updates on paginated queries: insert an item at the top or the bottom of a
//! view, at its sorted position ([`insert_at_position`], by Convex's value order), or change
//! items in place, across every page query of the function whose arguments match.
//!
//! ```
//! use convex_yew_core::pagination::optimistic::insert_at_top;
//! use convex_yew_core::protocol::udf_path::PaginatedQuery;
//! use convex_yew_core::sync::{LocalStore, OptimisticUpdate};
//! #[derive(serde::Serialize)]
//! struct Args {}
//! const FEED: PaginatedQuery<Args, f64> = PaginatedQuery::new("numbers:page");
//! let add_at_top = |value: f64| -> OptimisticUpdate {
//!     Box::new(move |store: &mut LocalStore<'_>| {
//!         let _ = insert_at_top(store, &FEED, &Args {}, &value);
//!     })
//! };
//! # let _ = add_at_top(1.0);
//! ```

use serde::Serialize;

use std::cmp::Ordering;

use super::page::{opts_of, without_opts};
use crate::protocol::udf_path::PaginatedQuery;
use crate::sync::LocalStore;
use crate::value::{compare_values, to_args, to_value, Object, Value, ValueError};

/// Every loaded page of `path` whose arguments (without `paginationOpts`) contain every field
/// of `matching`, with its page object.
fn loaded_pages(store: &LocalStore<'_>, path: &str, matching: &Object) -> Vec<(Object, Value)> {
    store
        .all(path)
        .into_iter()
        .filter(|(args, _)| {
            // A page query's own `paginationOpts` is not an argument the view was asked with.
            matching
                .iter()
                .all(|(k, v)| k != "paginationOpts" && args.get(k) == Some(v))
        })
        .filter_map(|(args, value)| {
            let value = value?;
            value.as_object()?.get("page")?.as_array()?;
            Some((args, value.clone()))
        })
        .collect()
}

/// Replaces the items of a page value.
fn with_items(page: &Value, items: Vec<Value>) -> Value {
    let mut o = page.as_object().cloned().unwrap_or_default();
    o.insert("page".into(), Value::Array(items));
    Value::Object(o)
}

fn items_of(page: &Value) -> Vec<Value> {
    page.as_object()
        .and_then(|o| o.get("page"))
        .and_then(Value::as_array)
        .map(<[Value]>::to_vec)
        .unwrap_or_default()
}

/// Where an insert goes in a page it applies to.
#[derive(Clone, Copy)]
enum End {
    Top,
    Bottom,
}

/// Inserts `item` at `end` of every loaded page of `path` matching `matching` that `applies`.
fn insert_into_pages(
    store: &mut LocalStore<'_>,
    path: &str,
    matching: &Object,
    item: Value,
    end: End,
    applies: impl Fn(&Object, &Value) -> bool,
) {
    for (args, page) in loaded_pages(store, path, matching) {
        if applies(&args, &page) {
            let mut items = items_of(&page);
            match end {
                End::Top => items.insert(0, item.clone()),
                End::Bottom => items.push(item.clone()),
            }
            store.set(path, &args, Some(with_items(&page, items)));
        }
    }
}

/// Inserts `item` at the top of the first page (the one asked for from the start) of every
/// loaded view whose arguments contain `matching`'s fields. Views whose first page is not
/// loaded are left alone.
pub fn insert_at_top_raw(store: &mut LocalStore<'_>, path: &str, matching: &Object, item: Value) {
    insert_into_pages(store, path, matching, item, End::Top, |args, _| {
        opts_of(args).and_then(|o| o.get("cursor")) == Some(&Value::Null)
    });
}

/// Appends `item` to the last page of every view whose last page is loaded (`isDone`): a
/// view that has not loaded its end would not show it yet.
pub fn insert_at_bottom_if_loaded_raw(
    store: &mut LocalStore<'_>,
    path: &str,
    matching: &Object,
    item: Value,
) {
    insert_into_pages(store, path, matching, item, End::Bottom, |_, page| {
        page.as_object().and_then(|o| o.get("isDone")) == Some(&Value::Boolean(true))
    });
}

/// Replaces every item of every loaded page of the views with exactly these arguments by
/// `update(item)` (return the item unchanged to leave it).
pub fn update_in_place_raw(
    store: &mut LocalStore<'_>,
    path: &str,
    args: &Object,
    update: impl Fn(&Value) -> Value,
) {
    for (page_args, page) in loaded_pages(store, path, args) {
        if without_opts(&page_args) != *args {
            continue;
        }
        let items = items_of(&page).iter().map(&update).collect();
        store.set(path, &page_args, Some(with_items(&page, items)));
    }
}

/// The order a paginated query returns its items in (its index order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Smallest key first (`.order("asc")`).
    Asc,
    /// Largest key first (`.order("desc")`).
    Desc,
}

/// Inserts `item` where the server will put it: in every view (the pages of one
/// `use_paginated_query`, i.e. the same arguments and pagination id) whose arguments contain
/// `matching`'s fields, into the page whose key range holds `sort_key(item)`, at its sorted
/// position among that page's items (keys compared by [`compare_values`], convex-js's
/// `insertAtPosition`). An item before the first loaded page goes in only when that page is
/// the view's first (its cursor is `null`); one after the last loaded page only when that page
/// is the last (`isDone`): otherwise it would pop out when the server answers.
pub fn insert_at_position_raw(
    store: &mut LocalStore<'_>,
    path: &str,
    matching: &Object,
    order: SortOrder,
    sort_key: impl Fn(&Value) -> Value,
    item: Value,
) {
    let cmp = |a: &Value, b: &Value| match order {
        SortOrder::Asc => compare_values(a, b),
        SortOrder::Desc => compare_values(b, a),
    };
    // One group per view: the arguments with `paginationOpts` reduced to its id.
    let mut views: Vec<(Object, Vec<(Object, Value)>)> = Vec::new();
    for (args, page) in loaded_pages(store, path, matching) {
        if items_of(&page).is_empty() {
            continue;
        }
        let mut view = without_opts(&args);
        if let Some(id) = opts_of(&args).and_then(|o| o.get("id")) {
            view.insert("paginationOpts".into(), id.clone());
        }
        match views.iter_mut().find(|(v, _)| *v == view) {
            Some((_, pages)) => pages.push((args, page)),
            None => views.push((view, vec![(args, page)])),
        }
    }
    let key = sort_key(&item);
    for (_, mut pages) in views {
        let first_key = |page: &Value| sort_key(&items_of(page)[0]);
        // A few pages: a stable insertion sort, not the standard library's (8 KB of wasm).
        for i in 1..pages.len() {
            let mut j = i;
            while j > 0 && cmp(&first_key(&pages[j - 1].1), &first_key(&pages[j].1)).is_gt() {
                pages.swap(j - 1, j);
                j -= 1;
            }
        }
        let (first_args, first) = &pages[0];
        if cmp(&key, &first_key(first)) != Ordering::Greater {
            if opts_of(first_args).and_then(|o| o.get("cursor")) == Some(&Value::Null) {
                let mut items = items_of(first);
                items.insert(0, item.clone());
                store.set(path, first_args, Some(with_items(first, items)));
            }
            continue;
        }
        let (last_args, last) = &pages[pages.len() - 1];
        let last_items = items_of(last);
        let last_key = sort_key(&last_items[last_items.len() - 1]);
        if cmp(&key, &last_key) != Ordering::Less {
            let done =
                last.as_object().and_then(|o| o.get("isDone")) == Some(&Value::Boolean(true));
            if done {
                let mut items = last_items;
                items.push(item.clone());
                store.set(path, last_args, Some(with_items(last, items)));
            }
            continue;
        }
        // The page before the first one that starts after the key.
        let successor = pages
            .iter()
            .position(|(_, p)| cmp(&first_key(p), &key) == Ordering::Greater);
        let (args, page) = match successor {
            Some(0) => continue,
            Some(i) => &pages[i - 1],
            None => &pages[pages.len() - 1],
        };
        let mut items = items_of(page);
        let at = items
            .iter()
            .position(|i| cmp(&sort_key(i), &key) != Ordering::Less)
            .unwrap_or(items.len());
        items.insert(at, item.clone());
        store.set(path, args, Some(with_items(page, items)));
    }
}

/// Typed [`insert_at_position_raw`]: `sort_key` reads the key the query's index sorts by
/// from an item (a field, or a tuple of fields for a compound index).
///
/// ```
/// use convex_yew_core::pagination::optimistic::{insert_at_position, SortOrder};
/// use convex_yew_core::protocol::udf_path::PaginatedQuery;
/// use convex_yew_core::sync::{LocalStore, OptimisticUpdate};
/// #[derive(serde::Serialize)]
/// struct Args {}
/// #[derive(serde::Serialize, serde::Deserialize, Clone)]
/// struct Message { body: String, #[serde(rename = "_creationTime")] created: f64 }
/// const FEED: PaginatedQuery<Args, Message> = PaginatedQuery::new("messages:list");
/// let send = |m: Message| -> OptimisticUpdate {
///     Box::new(move |store: &mut LocalStore<'_>| {
///         let _ = insert_at_position(store, &FEED, &Args {}, SortOrder::Desc, |m: &Message| m.created, &m);
///     })
/// };
/// # let _ = send(Message { body: "hi".into(), created: 1.0 });
/// ```
pub fn insert_at_position<A, T, K>(
    store: &mut LocalStore<'_>,
    query: &PaginatedQuery<A, T>,
    matching: &A,
    order: SortOrder,
    sort_key: impl Fn(&T) -> K,
    item: &T,
) -> Result<(), ValueError>
where
    A: Serialize,
    T: Serialize + serde::de::DeserializeOwned,
    K: Serialize,
{
    let matching = to_args(matching)?;
    let key_of = |v: &Value| {
        crate::value::from_value::<T>(v.clone())
            .ok()
            .and_then(|t| to_value(&sort_key(&t)).ok())
            .unwrap_or(Value::Null)
    };
    insert_at_position_raw(
        store,
        query.path(),
        &matching,
        order,
        key_of,
        to_value(item)?,
    );
    Ok(())
}

/// Typed [`insert_at_top_raw`]: `matching` serialises to the fields to match.
pub fn insert_at_top<A: Serialize, T: Serialize>(
    store: &mut LocalStore<'_>,
    query: &PaginatedQuery<A, T>,
    matching: &A,
    item: &T,
) -> Result<(), ValueError> {
    typed_insert(insert_at_top_raw, store, query, matching, item)
}

/// Typed [`insert_at_bottom_if_loaded_raw`].
pub fn insert_at_bottom_if_loaded<A: Serialize, T: Serialize>(
    store: &mut LocalStore<'_>,
    query: &PaginatedQuery<A, T>,
    matching: &A,
    item: &T,
) -> Result<(), ValueError> {
    typed_insert(insert_at_bottom_if_loaded_raw, store, query, matching, item)
}

/// Encodes `matching` and `item`, then runs a raw insert with them.
fn typed_insert<A: Serialize, T: Serialize>(
    raw: fn(&mut LocalStore<'_>, &str, &Object, Value),
    store: &mut LocalStore<'_>,
    query: &PaginatedQuery<A, T>,
    matching: &A,
    item: &T,
) -> Result<(), ValueError> {
    let matching = to_args(matching)?;
    raw(store, query.path(), &matching, to_value(item)?);
    Ok(())
}

/// Typed [`update_in_place_raw`]: items that do not decode into `T` are left as they are.
pub fn update_in_place<A, T>(
    store: &mut LocalStore<'_>,
    query: &PaginatedQuery<A, T>,
    args: &A,
    update: impl Fn(T) -> T,
) -> Result<(), ValueError>
where
    A: Serialize,
    T: Serialize + serde::de::DeserializeOwned,
{
    let args = to_args(args)?;
    update_in_place_raw(store, query.path(), &args, |item| {
        crate::value::from_value::<T>(item.clone())
            .ok()
            .and_then(|t| to_value(&update(t)).ok())
            .unwrap_or_else(|| item.clone())
    });
    Ok(())
}
