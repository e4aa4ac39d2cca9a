//! The one subscription mechanism of the Yew layer: a component's wanted queries, by key,
//! kept subscribed while it is mounted and re-rendering it when a result changes. Every query
//! hook is built on it; each reads its results in render (`WatchedResults::get`), so a
//! render's state always belongs to that render's arguments.

use std::cell::RefCell;
use std::rc::Rc;

use convex_yew_core::sorted_map::SortedMap;
use convex_yew_core::sync::QueryId;
use convex_yew_core::value::{Object, ResultValue};
use yew::prelude::*;

use super::convex_provider::use_convex;
use crate::error::ClientError;
use crate::runtime::{ConvexClient, Watch};

struct Watched {
    path: String,
    args: Object,
    watch: Watch,
}

/// The subscriptions a component holds, by key.
struct Watcher<K> {
    client: Option<ConvexClient>,
    watched: SortedMap<K, Watched>,
}

impl<K: Ord + Clone> Watcher<K> {
    fn unwatch_all(&mut self) {
        self.watched.clear();
    }

    /// Brings the subscriptions in line with `wanted`: new keys and keys whose query changed
    /// are watched, keys no longer wanted are dropped.
    fn reconcile(
        &mut self,
        client: &ConvexClient,
        wanted: &[(K, String, Object)],
        notify: &Rc<dyn Fn(QueryId)>,
    ) {
        if self.client.as_ref() != Some(client) {
            self.unwatch_all();
            self.client = Some(client.clone());
        }
        // Entries are taken out of the old (sorted) set by binary search, so a component with
        // thousands of keys reconciles in O(n log n), not O(n^2).
        let mut old: Vec<(K, Option<Watched>)> = std::mem::take(&mut self.watched)
            .into_iter()
            .map(|(k, w)| (k, Some(w)))
            .collect();
        let mut keep = SortedMap::new();
        for (key, path, args) in wanted {
            let previous = old
                .binary_search_by(|(k, _)| k.cmp(key))
                .ok()
                .and_then(|i| old[i].1.take());
            match previous {
                Some(w) if &w.path == path && &w.args == args => {
                    keep.insert(key.clone(), w);
                }
                previous => {
                    drop(previous);
                    let watch = client.watch(path, args, notify.clone());
                    keep.insert(
                        key.clone(),
                        Watched {
                            path: path.clone(),
                            args: args.clone(),
                            watch,
                        },
                    );
                }
            }
        }
        // What is left was not wanted any more: dropping it unsubscribes.
        drop(old);
        self.watched = keep;
    }
}

/// The queries a component wants, by key: `(key, path, arguments)`.
pub(crate) type Wanted<K> = Vec<(K, String, Object)>;

/// What a component watches, to read its results in render.
pub(crate) struct WatchedResults<K> {
    client: ConvexClient,
    watcher: Rc<RefCell<Watcher<K>>>,
}

impl<K: Ord> WatchedResults<K> {
    /// The result of `path(args)` as the client holds it (`None` while loading): read by
    /// query id when it is what `key` watches, otherwise looked up by path and arguments (new
    /// arguments, before the effect subscribes them; a result an identical subscription
    /// already holds shows at once).
    pub(crate) fn get(
        &self,
        key: &K,
        path: &str,
        args: &Object,
    ) -> Option<Result<ResultValue, ClientError>> {
        let watcher = self.watcher.borrow();
        let watched = watcher.watched.get(key).filter(|w| {
            watcher.client.as_ref() == Some(&self.client) && w.path == path && &w.args == args
        });
        match watched {
            Some(w) => self.client.result_value(w.watch.query_id()),
            None => self.client.cached_value(path, args),
        }
    }
}

/// Keeps `wanted` subscribed for as long as the component is mounted, and re-renders it when
/// any of their results changes; read the results with the returned [`WatchedResults`].
/// `rerender`: render once more after subscribing a changed `wanted` (a view whose queries
/// changed while it rendered shows what they now hold).
#[hook]
pub(crate) fn use_watched<K: Ord + Clone + Eq + 'static>(
    wanted: Rc<Wanted<K>>,
    rerender: bool,
) -> WatchedResults<K> {
    let client = use_convex();
    let update = use_force_update();
    let watcher = use_mut_ref(|| Watcher::<K> {
        client: None,
        watched: SortedMap::new(),
    });
    {
        let watcher = watcher.clone();
        use_effect_with((client.clone(), wanted), move |(client, wanted)| {
            let again = update.clone();
            let notify: Rc<dyn Fn(QueryId)> = Rc::new(move |_| update.force_update());
            watcher.borrow_mut().reconcile(client, wanted, &notify);
            if rerender {
                again.force_update();
            }
        });
    }
    {
        let watcher = watcher.clone();
        use_effect_with((), move |_| move || watcher.borrow_mut().unwatch_all());
    }
    WatchedResults { client, watcher }
}
