//! [`use_paginated_query`]: `usePaginatedQuery` for Yew, on the core's
//! [`convex_yew_core::pagination::Paginator`].

use std::cell::Cell;
use std::rc::Rc;

use convex_yew_core::pagination::{PaginationError, PaginationStatus, Paginator};
use convex_yew_core::protocol::udf_path::PaginatedQuery;
use convex_yew_core::value::Object;
use convex_yew_core::value::{from_value, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::prelude::*;

use super::convex_provider::use_convex;
use super::watcher::use_watched;
use crate::error::ClientError;
use crate::runtime::codec::encode_args;

thread_local! {
    static NEXT_PAGINATION_ID: Cell<u64> = const { Cell::new(1) };
}

/// A pagination id unique in this page (it keeps two views of one query apart).
fn next_pagination_id() -> u64 {
    NEXT_PAGINATION_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    })
}

/// What [`use_paginated_query`] gives a component.
pub struct UsePaginatedQuery<T> {
    /// The items of every loaded page, in order. The same `Rc` while they do not change.
    pub results: Rc<Vec<T>>,
    /// Where the view stands.
    pub status: PaginationStatus,
    /// A page failed (its message and `ConvexError` data), or an item did not decode into `T`.
    pub error: Option<ClientError>,
    load_more: Callback<u32>,
}

impl<T> UsePaginatedQuery<T> {
    /// Asks for `num_items` more. Does nothing unless the status is
    /// [`PaginationStatus::CanLoadMore`], and only once per such state.
    pub fn load_more(&self, num_items: u32) {
        self.load_more.emit(num_items)
    }

    /// A callback for buttons: `onclick={view.load_more_callback(10)}`.
    pub fn load_more_callback<E>(&self, num_items: u32) -> Callback<E> {
        let load_more = self.load_more.clone();
        Callback::from(move |_| load_more.emit(num_items))
    }

    /// The first page or a further page is loading.
    pub fn is_loading(&self) -> bool {
        matches!(
            self.status,
            PaginationStatus::LoadingFirstPage | PaginationStatus::LoadingMore
        )
    }
}

impl<T> Clone for UsePaginatedQuery<T> {
    fn clone(&self) -> Self {
        UsePaginatedQuery {
            results: self.results.clone(),
            status: self.status,
            error: self.error.clone(),
            load_more: self.load_more.clone(),
        }
    }
}

impl<T> PartialEq for UsePaginatedQuery<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.results, &other.results)
            && self.status == other.status
            && self.error == other.error
    }
}

/// The paginator of the current arguments, and what identifies them.
struct State<T> {
    key: Option<(String, Object, u32)>,
    paginator: Option<Paginator>,
    items: Vec<Value>,
    /// The items did not decode into the hook's type: the error shows until they change.
    undecodable: Option<ClientError>,
    /// `items` decoded.
    results: Rc<Vec<T>>,
}

/// Subscribes to a paginated query (one that takes `paginationOpts`), as `usePaginatedQuery`
/// does: the first page has `initial_num_items`, [`load_more`](UsePaginatedQuery::load_more)
/// adds a page, pages grow and shrink in place as data changes (each page's end is pinned),
/// pages that grow too large are split, and new arguments start over. `None` skips it.
///
/// ```no_run
/// use convex_yew::use_paginated_query;
/// use convex_yew::{PaginatedQuery, PaginationStatus};
/// use yew::prelude::*;
/// #[derive(serde::Serialize)]
/// struct Args {}
/// const NUMBERS: PaginatedQuery<Args, f64> = PaginatedQuery::new("myFunctions:listNumbersPaginated");
/// #[component]
/// fn Feed() -> Html {
///     let feed = use_paginated_query(&NUMBERS, Some(Args {}), 5);
///     html! {
///         <>
///             <ul>{ for feed.results.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
///             if feed.status == PaginationStatus::CanLoadMore {
///                 <button onclick={feed.load_more_callback(5)}>{ "Load more" }</button>
///             }
///         </>
///     }
/// }
/// ```
#[hook]
pub fn use_paginated_query<A, T>(
    query: &PaginatedQuery<A, T>,
    args: Option<A>,
    initial_num_items: u32,
) -> UsePaginatedQuery<T>
where
    A: Serialize + 'static,
    T: DeserializeOwned + 'static,
{
    let client = use_convex();
    let update = use_force_update();
    let state = use_mut_ref(|| State {
        key: None,
        paginator: None,
        items: Vec::new(),
        undecodable: None,
        results: Rc::new(Vec::<T>::new()),
    });
    let path = query.path().to_owned();
    let encoded = args.map(|a| encode_args(&path, &a));
    let mut error = None;
    let view = {
        let mut st = state.borrow_mut();
        let key = match &encoded {
            Some(Ok(args)) => Some((path.clone(), args.clone(), initial_num_items)),
            _ => None,
        };
        if st.key != key {
            // New arguments: start over, page-level, with a new pagination id.
            st.paginator = key
                .as_ref()
                .map(|(p, a, n)| Paginator::new(p, a.clone(), *n, next_pagination_id()));
            st.key = key;
        }
        if let Some(Err(e)) = &encoded {
            error = Some(e.clone());
        }
        st.paginator
            .as_mut()
            .map(|p| client.ingest(p, next_pagination_id))
    };
    let wanted: Vec<(u32, String, Object)> = state
        .borrow()
        .paginator
        .as_ref()
        .map(|p| {
            p.keyed_queries()
                .map(|(k, a)| (k, p.path().to_owned(), a.clone()))
                .collect()
        })
        .unwrap_or_default();
    // Queries that changed in this render (a split started or finished, a reset): render
    // again once they are subscribed, to show the pages as they now are.
    let queries_changed = view.as_ref().is_some_and(|v| v.queries_changed);
    use_watched(Rc::new(wanted), queries_changed);
    let status = view
        .as_ref()
        .map_or(PaginationStatus::LoadingFirstPage, |v| v.status);
    if let Some(v) = view {
        if let Some(e) = v.error {
            error = Some(pagination_error(&path, e));
        }
        let mut st = state.borrow_mut();
        if st.items != v.items {
            let decoded = v
                .items
                .iter()
                .map(|i| from_value::<T>(i.clone()))
                .collect::<Result<Vec<T>, _>>();
            // Items that do not decode show as that error, with no items (never the
            // previous arguments' rows), on every render until they change.
            let (decoded, undecodable) = match decoded {
                Ok(decoded) => (decoded, None),
                Err(e) => (Vec::new(), Some(ClientError::decode(e))),
            };
            st.results = Rc::new(decoded);
            st.undecodable = undecodable;
            st.items = v.items;
        }
        if error.is_none() {
            error = st.undecodable.clone();
        }
    } else if !state.borrow().items.is_empty() {
        let mut st = state.borrow_mut();
        st.items.clear();
        st.undecodable = None;
        st.results = Rc::new(Vec::new());
    }
    let load_more = {
        let state = state.clone();
        Callback::from(move |n: u32| {
            let loaded = state
                .borrow_mut()
                .paginator
                .as_mut()
                .is_some_and(|p| p.load_more(n));
            if loaded {
                update.force_update();
            }
        })
    };
    let results = state.borrow().results.clone();
    UsePaginatedQuery {
        results,
        status,
        error,
        load_more,
    }
}

fn pagination_error(path: &str, e: PaginationError) -> ClientError {
    match e {
        PaginationError::Function { message, data } => ClientError::from_function(
            path,
            convex_yew_core::sync::FunctionError::Failed { message, data },
        ),
        other => ClientError::pagination(path, other),
    }
}
