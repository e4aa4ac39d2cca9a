//! A keyed, variable set of queries from one component: [`use_queries`] (one function, many
//! argument sets), [`use_queries_raw`] (any functions, untyped), and [`use_query_set`] (a
//! fixed tuple of queries, each with its own types).

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use convex_yew_core::protocol::udf_path::Query;
use convex_yew_core::value::Object;
use convex_yew_core::value::ResultValue;
use convex_yew_core::value::Value;
use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::prelude::*;

use super::query::{to_state, QueryState};
use super::watcher::{use_watched, WatchedResults};
use crate::error::ClientError;
use crate::runtime::codec::encode_args;

/// One query a component wants: a path and its argument object.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    path: String,
    args: Result<Object, ClientError>,
}

impl QueryRequest {
    /// A typed query with its arguments (an encoding error shows as that key's error).
    pub fn new<A: Serialize, R>(query: &Query<A, R>, args: &A) -> QueryRequest {
        QueryRequest {
            path: query.path().to_owned(),
            args: encode_args(query.path(), args),
        }
    }

    /// An untyped query.
    pub fn raw(path: &str, args: Object) -> QueryRequest {
        QueryRequest {
            path: path.to_owned(),
            args: Ok(args),
        }
    }
}

/// Decodes raw results into `QueryState`s, keeping the previous `Rc` for an unchanged result so
/// children given it as a prop do not re-render.
type DecodeCache<K, R> =
    Rc<RefCell<BTreeMap<K, (Option<Result<ResultValue, ClientError>>, QueryState<R>)>>>;

fn decode<K: Ord + Clone, R: DeserializeOwned>(
    cache: &DecodeCache<K, R>,
    raw: BTreeMap<K, Option<Result<ResultValue, ClientError>>>,
) -> BTreeMap<K, QueryState<R>> {
    let mut cache = cache.borrow_mut();
    let mut next = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (key, raw) in raw {
        let state = match cache.remove(&key) {
            Some((old, state)) if old == raw => state,
            _ => to_state::<R>(&raw),
        };
        out.insert(key.clone(), state.clone());
        next.insert(key, (raw, state));
    }
    *cache = next;
    out
}

fn raw_results<K: Ord + Clone>(
    results: &WatchedResults<K>,
    requests: &BTreeMap<K, QueryRequest>,
) -> BTreeMap<K, Option<Result<ResultValue, ClientError>>> {
    requests
        .iter()
        .map(|(k, r)| (k.clone(), raw_result(results, k, r)))
        .collect()
}

fn wanted<K: Ord + Clone>(requests: &BTreeMap<K, QueryRequest>) -> Vec<(K, String, Object)> {
    requests
        .iter()
        .filter_map(|(k, r)| Some((k.clone(), r.path.clone(), r.args.clone().ok()?)))
        .collect()
}

/// Subscribes to one query function with many argument sets, keyed by `K`; keys may come and
/// go between renders. Each key's state is what [`use_query`](super::use_query) would give,
/// and a result the client already holds shows on the first render.
///
/// ```no_run
/// use std::collections::BTreeMap;
/// use convex_yew::{use_queries, QueryState};
/// use convex_yew::Query;
/// use yew::prelude::*;
/// #[derive(serde::Serialize)]
/// struct Args { count: u32 }
/// #[derive(serde::Deserialize)]
/// struct List { numbers: Vec<f64> }
/// const LIST: Query<Args, List> = Query::new("myFunctions:listNumbers");
/// #[component]
/// fn Several() -> Html {
///     let args: BTreeMap<u32, Args> = (1..=3).map(|n| (n, Args { count: n })).collect();
///     let lists = use_queries(&LIST, args);
///     html! { <>{ for lists.iter().map(|(n, state)| html! {
///         <p>{ format!("{n}: {:?}", state.data().map(|l| l.numbers.len())) }</p>
///     }) }</> }
/// }
/// ```
#[hook]
pub fn use_queries<K, A, R>(query: &Query<A, R>, args: BTreeMap<K, A>) -> BTreeMap<K, QueryState<R>>
where
    K: Ord + Clone + 'static,
    A: Serialize + 'static,
    R: DeserializeOwned + 'static,
{
    let requests: BTreeMap<K, QueryRequest> = args
        .into_iter()
        .map(|(k, a)| (k, QueryRequest::new(query, &a)))
        .collect();
    let cache: DecodeCache<K, R> = use_mut_ref(BTreeMap::new);
    let results = use_watched(Rc::new(wanted(&requests)), false);
    decode(&cache, raw_results(&results, &requests))
}

/// Subscribes to any set of queries, keyed by `K`, with untyped results.
#[hook]
pub fn use_queries_raw<K>(requests: BTreeMap<K, QueryRequest>) -> BTreeMap<K, QueryState<Value>>
where
    K: Ord + Clone + 'static,
{
    let cache: DecodeCache<K, Value> = use_mut_ref(BTreeMap::new);
    let results = use_watched(Rc::new(wanted(&requests)), false);
    decode(&cache, raw_results(&results, &requests))
}

/// What [`use_query_set`] keeps between renders: each query's raw result and its decoded
/// state (reused while the result does not change, so children given it do not re-render).
type SetCache = Rc<RefCell<Vec<Option<(Option<Result<ResultValue, ClientError>>, Rc<dyn Any>)>>>>;

fn decode_cached<R: DeserializeOwned + 'static>(
    cache: &SetCache,
    index: usize,
    raw: Option<Result<ResultValue, ClientError>>,
) -> QueryState<R> {
    let mut cache = cache.borrow_mut();
    if cache.len() <= index {
        cache.resize_with(index + 1, || None);
    }
    if let Some((old, state)) = &cache[index] {
        if *old == raw {
            if let Some(state) = state.downcast_ref::<QueryState<R>>() {
                return state.clone();
            }
        }
    }
    let state = to_state::<R>(&raw);
    cache[index] = Some((raw, Rc::new(state.clone())));
    state
}

/// Reads a query's raw result (as the client keeps it) by its index in a [`QuerySet`].
#[doc(hidden)]
pub type RawReader<'a> =
    dyn Fn(usize, &QueryRequest) -> Option<Result<ResultValue, ClientError>> + 'a;

/// A fixed set of queries of different functions, each with its own types: a tuple of
/// `(&Query<A, R>, Option<A>)` pairs (`None` skips that query). Implemented for tuples of up
/// to eight queries.
pub trait QuerySet {
    /// The states, in the tuple's order: a `QueryState<R>` per query.
    type States;
    /// Each query's request (`None`: skipped).
    fn requests(&self) -> Vec<Option<QueryRequest>>;
    /// Each query's state, from `read(index, request)` (the raw result as the client keeps
    /// it; cached results show on the first render).
    #[doc(hidden)]
    fn states(
        read: &RawReader<'_>,
        requests: &[Option<QueryRequest>],
        cache: &SetCache,
    ) -> Self::States;
}

fn raw_result<K: Ord>(
    results: &WatchedResults<K>,
    key: &K,
    r: &QueryRequest,
) -> Option<Result<ResultValue, ClientError>> {
    match &r.args {
        Ok(args) => results.get(key, &r.path, args),
        Err(e) => Some(Err(e.clone())),
    }
}

macro_rules! query_set {
    ($($i:tt $A:ident $R:ident),+) => {
        impl<'q, $($A: Serialize, $R: DeserializeOwned + 'static),+> QuerySet
            for ($((&'q Query<$A, $R>, Option<$A>),)+)
        {
            type States = ($(QueryState<$R>,)+);
            fn requests(&self) -> Vec<Option<QueryRequest>> {
                vec![$(self.$i.1.as_ref().map(|a| QueryRequest::new(self.$i.0, a))),+]
            }
            fn states(
                read: &RawReader<'_>,
                requests: &[Option<QueryRequest>],
                cache: &SetCache,
            ) -> Self::States {
                ($(match &requests[$i] {
                    None => QueryState::Skipped,
                    Some(r) => decode_cached::<$R>(cache, $i, read($i, r)),
                },)+)
            }
        }
    };
}

query_set!(0 A0 R0);
query_set!(0 A0 R0, 1 A1 R1);
query_set!(0 A0 R0, 1 A1 R1, 2 A2 R2);
query_set!(0 A0 R0, 1 A1 R1, 2 A2 R2, 3 A3 R3);
query_set!(0 A0 R0, 1 A1 R1, 2 A2 R2, 3 A3 R3, 4 A4 R4);
query_set!(0 A0 R0, 1 A1 R1, 2 A2 R2, 3 A3 R3, 4 A4 R4, 5 A5 R5);
query_set!(0 A0 R0, 1 A1 R1, 2 A2 R2, 3 A3 R3, 4 A4 R4, 5 A5 R5, 6 A6 R6);
query_set!(0 A0 R0, 1 A1 R1, 2 A2 R2, 3 A3 R3, 4 A4 R4, 5 A5 R5, 6 A6 R6, 7 A7 R7);

/// Subscribes to queries of different functions at once, each typed: `useQueries` with a
/// tuple instead of a record. Each state is what [`use_query`](super::use_query) would give
/// for that query, in the same render.
///
/// ```no_run
/// use convex_yew::{use_query_set, QueryState};
/// use convex_yew::Query;
/// use yew::prelude::*;
/// #[derive(serde::Serialize)]
/// struct ListArgs { count: u32 }
/// #[derive(serde::Deserialize)]
/// struct List { numbers: Vec<f64> }
/// #[derive(serde::Deserialize)]
/// struct Who { name: Option<String> }
/// const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
/// const WHO: Query<(), Option<Who>> = Query::new("testing:whoami");
/// #[component]
/// fn Header() -> Html {
///     let (list, who) = use_query_set(((&LIST, Some(ListArgs { count: 3 })), (&WHO, Some(()))));
///     let name = who.data().and_then(|w| w.as_ref()).and_then(|w| w.name.clone());
///     html! { <p>{ format!("{name:?}: {:?}", list.data().map(|l| l.numbers.len())) }</p> }
/// }
/// ```
#[hook]
pub fn use_query_set<S: QuerySet>(set: S) -> S::States {
    let cache: SetCache = use_mut_ref(Vec::new);
    let requests = set.requests();
    // Keyed by position as `u32`: the same watcher code as the other query hooks.
    let wanted: Vec<(u32, String, Object)> = (0u32..)
        .zip(&requests)
        .filter_map(|(i, r)| {
            let r = r.as_ref()?;
            Some((i, r.path.clone(), r.args.clone().ok()?))
        })
        .collect();
    let results = use_watched(Rc::new(wanted), false);
    S::states(
        &|i, r| raw_result(&results, &(i as u32), r),
        &requests,
        &cache,
    )
}
