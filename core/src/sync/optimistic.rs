//! Optimistic updates: local changes to query results, layered over the server's results
//! until the mutation that made them is settled.
//!
//! The rules are the official client's:
//! - an update runs once when its mutation is called, and again, in call order with the
//!   others still pending, over the fresh server results of every Transition;
//! - it is dropped in the same step that makes its mutation's writes visible (the
//!   Transition that reaches the commit timestamp), or when the mutation fails, so the
//!   server's truth replaces it with no frame in between;
//! - an update reads and writes through a [`LocalStore`]: `get` sees the server result with
//!   earlier updates applied, `set(.., None)` makes a query show as loading.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::io::RequestId;
use super::query_set::{token_of, QueryId, QueryResult, QuerySet};
use crate::protocol::udf_path::{canonicalize, Query};
use crate::sorted_map::SortedMap;
use crate::value::{from_value, to_args, to_value, Object, Value, ValueError};

/// A local change to query results. It must be a pure function of the store: it is run
/// again over every new server result until its mutation settles.
pub type OptimisticUpdate = Box<dyn Fn(&mut LocalStore<'_>)>;

/// A query result written by an optimistic update.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Override {
    pub(crate) path: String,
    pub(crate) args: Object,
    /// `None`: the query shows as loading.
    pub(crate) result: Option<QueryResult>,
}

/// The pending updates and what they currently produce.
#[derive(Default)]
pub(crate) struct Optimistic {
    updates: Vec<(RequestId, OptimisticUpdate)>,
    /// By query token: the results the updates wrote, over the server's.
    overlay: SortedMap<String, Override>,
}

impl Optimistic {
    pub(crate) fn push(&mut self, id: RequestId, update: OptimisticUpdate) {
        self.updates.push((id, update));
    }

    /// Drops the update of `id`; true if there was one.
    pub(crate) fn drop_update(&mut self, id: RequestId) -> bool {
        let before = self.updates.len();
        self.updates.retain(|(r, _)| *r != id);
        self.updates.len() != before
    }

    pub(crate) fn clear(&mut self) -> bool {
        let had = !self.updates.is_empty();
        self.updates.clear();
        had
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.updates.is_empty() && self.overlay.is_empty()
    }

    /// What an update wrote for the query with this token: `Some(None)` shows it loading,
    /// `None` leaves the server's result.
    pub(crate) fn written(&self, token: &str) -> Option<Option<&QueryResult>> {
        self.overlay.get(token).map(|o| o.result.as_ref())
    }

    /// The result a subscriber sees: the updates' over the server's.
    pub(crate) fn visible<'a>(
        &'a self,
        queries: &QuerySet,
        results: &'a SortedMap<QueryId, QueryResult>,
        id: QueryId,
    ) -> Option<&'a QueryResult> {
        let token = queries.token(id)?;
        match self.written(token) {
            Some(written) => written,
            None => results.get(&id),
        }
    }

    /// Replays the pending updates over the server's `results` and returns every subscribed
    /// query whose visible result changed: those the server changed (`server_changed` holds
    /// their previous server result) and those an update touched before or after.
    pub(crate) fn publish(
        &mut self,
        queries: &QuerySet,
        results: &SortedMap<QueryId, QueryResult>,
        server_changed: SortedMap<QueryId, Option<QueryResult>>,
    ) -> Vec<QueryId> {
        if self.is_idle() {
            return server_changed.into_keys().collect();
        }
        let old = self.replay(queries, results);
        let mut candidates: SortedMap<QueryId, ()> =
            server_changed.keys().map(|&id| (id, ())).collect();
        for token in old.keys().chain(self.overlay.keys()) {
            if let Some(id) = queries.by_token(token) {
                candidates.insert(id, ());
            }
        }
        candidates
            .into_keys()
            .filter(|&id| {
                let Some(token) = queries.token(id) else {
                    return false;
                };
                let before = match old.get(token) {
                    Some(o) => o.result.as_ref(),
                    None => match server_changed.get(&id) {
                        Some(previous) => previous.as_ref(),
                        None => results.get(&id),
                    },
                };
                before != self.visible(queries, results, id)
            })
            .collect()
    }

    /// Runs every pending update, in call order, over `results`; returns the old overlay.
    fn replay(
        &mut self,
        queries: &QuerySet,
        results: &SortedMap<QueryId, QueryResult>,
    ) -> SortedMap<String, Override> {
        let mut store = LocalStore {
            queries,
            results,
            overlay: SortedMap::new(),
        };
        for (_, update) in &self.updates {
            update(&mut store);
        }
        std::mem::replace(&mut self.overlay, store.overlay)
    }
}

/// The query results an optimistic update sees and changes.
///
/// Raw access ([`get`](Self::get), [`set`](Self::set), [`all`](Self::all)) works on
/// [`Value`]s; the typed methods ([`get_query`](Self::get_query),
/// [`set_query`](Self::set_query), [`get_all_queries`](Self::get_all_queries)) take the same
/// [`Query`] references the app subscribes with.
///
/// ```
/// use convex_yew_core::sync::{LocalStore, OptimisticUpdate};
/// use convex_yew_core::protocol::udf_path::Query;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Args { count: u32 }
/// const LIST: Query<Args, Vec<f64>> = Query::new("numbers:list");
/// let add_locally = |value: f64| -> OptimisticUpdate {
///     Box::new(move |store: &mut LocalStore<'_>| {
///         let args = Args { count: 10 };
///         if let Some(mut numbers) = store.get_query(&LIST, &args) {
///             numbers.push(value);
///             let _ = store.set_query(&LIST, &args, Some(&numbers));
///         }
///     })
/// };
/// # let _ = add_locally(1.0);
/// ```
pub struct LocalStore<'a> {
    queries: &'a QuerySet,
    results: &'a SortedMap<QueryId, QueryResult>,
    overlay: SortedMap<String, Override>,
}

impl std::fmt::Debug for LocalStore<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("queries", &self.queries.len())
            .field("overridden", &self.overlay.len())
            .finish()
    }
}

impl LocalStore<'_> {
    /// The current value of a query (`None` while it loads, when it failed, or when it is
    /// not subscribed and no update set it).
    pub fn get(&self, path: &str, args: &Object) -> Option<&Value> {
        let token = token_of(path, args);
        if let Some(o) = self.overlay.get(&token) {
            return o.result.as_ref().and_then(QueryResult::value);
        }
        let id = self.queries.by_token(&token)?;
        self.results.get(&id).and_then(QueryResult::value)
    }

    /// Sets a query's value; `None` shows it as loading. A query that is not subscribed keeps
    /// the value for a subscription made while the update is pending.
    pub fn set(&mut self, path: &str, args: &Object, value: Option<Value>) {
        let token = token_of(path, args);
        self.overlay.insert(
            token,
            Override {
                path: canonicalize(path),
                args: args.clone(),
                result: value.map(QueryResult::from),
            },
        );
    }

    /// Every query of this function with its arguments and current value, in a stable order.
    pub fn all(&self, path: &str) -> Vec<(Object, Option<&Value>)> {
        let path = canonicalize(path);
        // Both lists are in token order, and a token the overlay holds is the overlay's: a
        // merge of the two gives the token order with no map of its own.
        let mut server = self
            .queries
            .iter()
            .filter(|(token, _, q)| q.path == path && !self.overlay.contains_key(*token))
            .map(|(token, id, q)| (token, &q.args, self.results.get(&id)))
            .peekable();
        let mut local = self
            .overlay
            .iter()
            .filter(|(_, o)| o.path == path)
            .map(|(token, o)| (token.as_str(), &o.args, o.result.as_ref()))
            .peekable();
        let mut found = Vec::new();
        loop {
            let next = match (server.peek(), local.peek()) {
                (Some(s), Some(l)) if s.0 < l.0 => server.next(),
                (Some(_), Some(_)) | (None, _) => local.next(),
                (Some(_), None) => server.next(),
            };
            let Some((_, args, result)) = next else { break };
            found.push((args.clone(), result.and_then(QueryResult::value)));
        }
        found
    }

    /// The typed value of a query; `None` while loading, on error, or when the value does not
    /// decode into `R`.
    pub fn get_query<A: Serialize, R: DeserializeOwned>(
        &self,
        query: &Query<A, R>,
        args: &A,
    ) -> Option<R> {
        let args = to_args(args).ok()?;
        let value = self.get(query.path(), &args)?.clone();
        from_value(value).ok()
    }

    /// Sets the typed value of a query; `None` shows it as loading.
    pub fn set_query<A: Serialize, R: Serialize>(
        &mut self,
        query: &Query<A, R>,
        args: &A,
        value: Option<&R>,
    ) -> Result<(), ValueError> {
        let args = to_args(args)?;
        let value = value.map(to_value).transpose()?;
        self.set(query.path(), &args, value);
        Ok(())
    }

    /// Every query of this function whose arguments decode into `A`, with its typed value
    /// (`None` while loading or when it does not decode into `R`).
    pub fn get_all_queries<A: DeserializeOwned, R: DeserializeOwned>(
        &self,
        query: &Query<A, R>,
    ) -> Vec<(A, Option<R>)> {
        self.all(query.path())
            .into_iter()
            .filter_map(|(args, value)| {
                let args = from_value::<A>(Value::Object(args)).ok()?;
                Some((args, value.and_then(|v| from_value(v.clone()).ok())))
            })
            .collect()
    }
}
