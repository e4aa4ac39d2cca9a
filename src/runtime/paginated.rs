//! [`PaginatedWatch`]: a paginated query subscribed outside Yew (the JS client's
//! `onPaginatedUpdate`), on the core's [`Paginator`]: the same pages, splits and resets as
//! `use_paginated_query`.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use convex_yew_core::pagination::{PaginationStatus, Paginator};
use convex_yew_core::protocol::udf_path::PaginatedQuery;
use convex_yew_core::sorted_map::SortedMap;
use convex_yew_core::sync::QueryId;
use convex_yew_core::value::Object;
use convex_yew_core::value::{from_value, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::client::{ConvexClient, Watch};
use super::codec::encode_args;
use crate::error::ClientError;

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(1 << 40) };
}

/// A pagination id unique in this page (the hook counts from 1; these from 2^40).
fn next_id() -> u64 {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    })
}

struct Inner<T> {
    client: ConvexClient,
    paginator: Paginator,
    watches: SortedMap<u32, (Object, Watch)>,
    items: Vec<Value>,
    results: Rc<Vec<T>>,
    status: PaginationStatus,
    error: Option<ClientError>,
    on_update: Rc<dyn Fn()>,
    /// A refresh is running; another one asked for meanwhile runs after it.
    refreshing: bool,
    again: bool,
}

/// A paginated query's pages, kept up to date: the items of every loaded page, the status,
/// and [`load_more`](Self::load_more). Dropping it unsubscribes every page.
pub struct PaginatedWatch<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

impl<T> std::fmt::Debug for PaginatedWatch<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let me = self.inner.borrow();
        f.debug_struct("PaginatedWatch")
            .field("status", &me.status)
            .field("items", &me.items.len())
            .finish()
    }
}

impl<T: DeserializeOwned + 'static> PaginatedWatch<T> {
    /// The items of every loaded page, in order (the same `Rc` while they do not change).
    pub fn results(&self) -> Rc<Vec<T>> {
        self.inner.borrow().results.clone()
    }

    /// Where the pages stand.
    pub fn status(&self) -> PaginationStatus {
        self.inner.borrow().status
    }

    /// A page failed, or an item did not decode into `T`.
    pub fn error(&self) -> Option<ClientError> {
        self.inner.borrow().error.clone()
    }

    /// Asks for `num_items` more; false unless the status is
    /// [`PaginationStatus::CanLoadMore`].
    pub fn load_more(&self, num_items: u32) -> bool {
        let loaded = self.inner.borrow_mut().paginator.load_more(num_items);
        if loaded {
            refresh(&self.inner);
        }
        loaded
    }
}

impl ConvexClient {
    /// Subscribes to a paginated query (one that takes `paginationOpts`) with a first page of
    /// `initial_num_items`; `on_update` runs whenever the items, the status or the error
    /// change (read them from the returned [`PaginatedWatch`]). The JS client's
    /// `onPaginatedUpdate`, without Yew.
    ///
    /// ```no_run
    /// use convex_yew::{ConvexClient, PaginatedQuery};
    /// #[derive(serde::Serialize)]
    /// struct Args {}
    /// const NUMBERS: PaginatedQuery<Args, f64> = PaginatedQuery::new("myFunctions:listNumbersPaginated");
    /// # fn run(client: ConvexClient) -> Result<(), convex_yew::ClientError> {
    /// let feed = client.watch_paginated(&NUMBERS, &Args {}, 10, || { /* re-read the feed */ })?;
    /// let _more = feed.load_more(10);
    /// # Ok(()) }
    /// ```
    pub fn watch_paginated<A: Serialize, T: DeserializeOwned + 'static>(
        &self,
        query: &PaginatedQuery<A, T>,
        args: &A,
        initial_num_items: u32,
        on_update: impl Fn() + 'static,
    ) -> Result<PaginatedWatch<T>, ClientError> {
        let args = encode_args(query.path(), args)?;
        let inner = Rc::new(RefCell::new(Inner {
            client: self.clone(),
            paginator: Paginator::new(query.path(), args, initial_num_items, next_id()),
            watches: SortedMap::new(),
            items: Vec::new(),
            results: Rc::new(Vec::new()),
            status: PaginationStatus::LoadingFirstPage,
            error: None,
            on_update: Rc::new(on_update),
            refreshing: false,
            again: false,
        }));
        refresh(&inner);
        Ok(PaginatedWatch { inner })
    }
}

/// Reads the pages the client holds into the paginator, subscribes to the page queries it
/// wants now, and tells the app when what it shows changed.
fn refresh<T: DeserializeOwned + 'static>(inner: &Rc<RefCell<Inner<T>>>) {
    {
        let mut me = inner.borrow_mut();
        if me.refreshing {
            me.again = true;
            return;
        }
        me.refreshing = true;
    }
    let mut notify_app = false;
    loop {
        inner.borrow_mut().again = false;
        let (wanted, client) = {
            let mut guard = inner.borrow_mut();
            let me = &mut *guard;
            let client = me.client.clone();
            let view = client.ingest(&mut me.paginator, next_id);
            let path = me.paginator.path().to_owned();
            let mut error = view.error.map(|e| ClientError::pagination(&path, e));
            if me.items != view.items {
                match view
                    .items
                    .iter()
                    .map(|i| from_value::<T>(i.clone()))
                    .collect::<Result<Vec<T>, _>>()
                {
                    Ok(decoded) => me.results = Rc::new(decoded),
                    Err(e) => error = Some(ClientError::decode(e)),
                }
                me.items = view.items;
                notify_app = true;
            }
            if me.status != view.status || me.error != error {
                me.status = view.status;
                me.error = error;
                notify_app = true;
            }
            let wanted: Vec<(u32, Object)> = me
                .paginator
                .keyed_queries()
                .map(|(k, a)| (k, a.clone()))
                .collect();
            (wanted, client)
        };
        // Subscribe outside the borrow: a page the client already holds notifies at once.
        let weak: Weak<RefCell<Inner<T>>> = Rc::downgrade(inner);
        let notify: Rc<dyn Fn(QueryId)> = Rc::new(move |_| {
            if let Some(inner) = weak.upgrade() {
                refresh(&inner);
            }
        });
        let path = inner.borrow().paginator.path().to_owned();
        let mut keep = SortedMap::new();
        let mut old = std::mem::take(&mut inner.borrow_mut().watches);
        for (key, args) in wanted {
            match old.remove(&key) {
                Some((a, w)) if a == args => {
                    keep.insert(key, (a, w));
                }
                _ => {
                    let w = client.watch(&path, &args, notify.clone());
                    keep.insert(key, (args, w));
                }
            }
        }
        drop(old); // pages no longer wanted: unsubscribed
        inner.borrow_mut().watches = keep;
        if !inner.borrow().again {
            break;
        }
    }
    let on_update = {
        let mut me = inner.borrow_mut();
        me.refreshing = false;
        me.on_update.clone()
    };
    if notify_app {
        on_update();
    }
}
