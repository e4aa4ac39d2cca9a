//! [`use_query`] and [`use_query_with`]: one query's state for a component, built on the
//! same watcher as the keyed query hooks (as convex-js builds `useQuery` on `useQueries`).

use std::rc::Rc;

use convex_yew_core::protocol::udf_path::Query;
use convex_yew_core::value::{Object, ResultValue};
use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::prelude::*;

use super::convex_provider::use_convex;
use super::watcher::{use_watched, Wanted};
use crate::error::ClientError;
use crate::runtime::codec::{decode_result, encode_args};
use crate::runtime::ConvexClient;

/// A query's state as a component sees it.
#[derive(Debug)]
pub enum QueryState<R> {
    /// No result yet for the current arguments.
    Loading,
    /// The query is skipped (`None` arguments): nothing is subscribed.
    Skipped,
    /// The latest result.
    Ok(Rc<R>),
    /// The query threw, or its result did not fit `R`.
    Err(ClientError),
}

impl<R> Clone for QueryState<R> {
    fn clone(&self) -> Self {
        match self {
            QueryState::Loading => QueryState::Loading,
            QueryState::Skipped => QueryState::Skipped,
            QueryState::Ok(r) => QueryState::Ok(r.clone()),
            QueryState::Err(e) => QueryState::Err(e.clone()),
        }
    }
}

impl<R> PartialEq for QueryState<R> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (QueryState::Loading, QueryState::Loading)
            | (QueryState::Skipped, QueryState::Skipped) => true,
            (QueryState::Ok(a), QueryState::Ok(b)) => Rc::ptr_eq(a, b),
            (QueryState::Err(a), QueryState::Err(b)) => a == b,
            _ => false,
        }
    }
}

impl<R> QueryState<R> {
    /// The value, if loaded and successful.
    pub fn data(&self) -> Option<&R> {
        match self {
            QueryState::Ok(r) => Some(r),
            _ => None,
        }
    }

    /// The error, if the query failed.
    pub fn error(&self) -> Option<&ClientError> {
        match self {
            QueryState::Err(e) => Some(e),
            _ => None,
        }
    }

    /// Still loading.
    pub fn is_loading(&self) -> bool {
        matches!(self, QueryState::Loading)
    }

    /// Skipped (`None` arguments).
    pub fn is_skipped(&self) -> bool {
        matches!(self, QueryState::Skipped)
    }
}

/// A result as the client keeps it (`None` while loading), decoded into `R` straight from
/// the server's text.
pub(crate) fn to_state<R: DeserializeOwned>(
    raw: &Option<Result<ResultValue, ClientError>>,
) -> QueryState<R> {
    match raw {
        None => QueryState::Loading,
        Some(r) => match decode_result::<R>(r) {
            Ok(r) => QueryState::Ok(Rc::new(r)),
            Err(e) => QueryState::Err(e),
        },
    }
}

/// Options of [`use_query_with`].
pub struct QueryOptions<R> {
    /// While the new arguments' result loads, keep showing the previous arguments' result
    /// (marked [`UseQuery::is_stale`]) instead of [`QueryState::Loading`]: Svelte's and
    /// Solid's `keepPreviousData`, convex-helpers' `useStableQuery`.
    pub keep_previous_data: bool,
    /// Shown as [`QueryState::Ok`] (marked stale) until the first result arrives.
    pub initial_value: Option<Rc<R>>,
}

impl<R> Default for QueryOptions<R> {
    fn default() -> Self {
        QueryOptions {
            keep_previous_data: false,
            initial_value: None,
        }
    }
}

impl<R> Clone for QueryOptions<R> {
    fn clone(&self) -> Self {
        QueryOptions {
            keep_previous_data: self.keep_previous_data,
            initial_value: self.initial_value.clone(),
        }
    }
}

/// What [`use_query_with`] gives a component.
#[derive(Debug)]
pub struct UseQuery<R> {
    /// What to show.
    pub state: QueryState<R>,
    /// `state` is not the current arguments' result: the previous arguments' result kept
    /// while the new one loads ([`QueryOptions::keep_previous_data`]), or the
    /// [initial value](QueryOptions::initial_value).
    pub is_stale: bool,
}

impl<R> Clone for UseQuery<R> {
    fn clone(&self) -> Self {
        UseQuery {
            state: self.state.clone(),
            is_stale: self.is_stale,
        }
    }
}

impl<R> PartialEq for UseQuery<R> {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state && self.is_stale == other.is_stale
    }
}

impl<R> UseQuery<R> {
    /// The value shown, if any.
    pub fn data(&self) -> Option<&R> {
        self.state.data()
    }
}

/// The arguments a query hook's state belongs to: client, path, encoded arguments.
type ArgsKey = (ConvexClient, String, Option<Result<Object, ClientError>>);

/// What a query hook holds between renders: what it showed, for which arguments and raw
/// result (decoded again only when either changes).
struct Slot<R> {
    key: Option<ArgsKey>,
    /// What the watcher is given for `key` (key 0: the same watcher code as the paginated
    /// hook's `u32` keys, one instance in the wasm).
    wanted: Rc<Wanted<u32>>,
    raw: Option<Result<ResultValue, ClientError>>,
    shown: UseQuery<R>,
    /// A result arrived since mount (the initial value is shown only before the first).
    had_result: bool,
}

/// What a raw result shows, with the options' fallbacks while it loads.
fn shown<R: DeserializeOwned>(
    encoded: &Option<Result<Object, ClientError>>,
    raw: &Option<Result<ResultValue, ClientError>>,
    options: &QueryOptions<R>,
    previous: &UseQuery<R>,
    had_result: bool,
) -> UseQuery<R> {
    let fresh = match encoded {
        None => QueryState::Skipped,
        _ => to_state::<R>(raw),
    };
    if !fresh.is_loading() {
        return UseQuery {
            state: fresh,
            is_stale: false,
        };
    }
    if options.keep_previous_data && matches!(previous.state, QueryState::Ok(_)) {
        return UseQuery {
            state: previous.state.clone(),
            is_stale: true,
        };
    }
    match (&options.initial_value, had_result) {
        (Some(initial), false) => UseQuery {
            state: QueryState::Ok(initial.clone()),
            is_stale: true,
        },
        _ => UseQuery {
            state: QueryState::Loading,
            is_stale: false,
        },
    }
}

/// Subscribes to a query for as long as the component is mounted. `None` args skip the query
/// ([`QueryState::Skipped`]; nothing is sent). The state always belongs to the arguments of
/// the render that returns it: new arguments show their own result at once (from the client's
/// cache when an identical subscription holds one, otherwise [`QueryState::Loading`]), never
/// the previous arguments' data, as `useQuery` does. The component re-renders only when the
/// result changes: an identical result (e.g. after a reconnect) does not re-render it.
///
/// ```no_run
/// use convex_yew::{use_query, QueryState};
/// use convex_yew::Query;
/// use yew::prelude::*;
/// #[derive(serde::Serialize)]
/// struct Args { count: u32 }
/// const LIST: Query<Args, Vec<f64>> = Query::new("numbers:list");
/// #[component]
/// fn Numbers() -> Html {
///     match use_query(&LIST, Some(Args { count: 5 })) {
///         QueryState::Ok(numbers) => html! { { format!("{numbers:?}") } },
///         QueryState::Loading | QueryState::Skipped => html! { "loading" },
///         QueryState::Err(e) => html! { { e.to_string() } },
///     }
/// }
/// ```
#[hook]
pub fn use_query<A, R>(query: &Query<A, R>, args: Option<A>) -> QueryState<R>
where
    A: Serialize + 'static,
    R: DeserializeOwned + 'static,
{
    use_query_with(query, args, QueryOptions::default()).state
}

/// [`use_query`] with [`QueryOptions`]: keep showing the previous arguments' result while new
/// arguments load (stale-while-revalidate), or an initial value before the first result.
///
/// ```no_run
/// use std::rc::Rc;
/// use convex_yew::{use_query_with, QueryOptions};
/// use convex_yew::Query;
/// use yew::prelude::*;
/// #[derive(serde::Serialize)]
/// struct Search { text: String }
/// const SEARCH: Query<Search, Vec<String>> = Query::new("messages:search");
/// #[derive(Properties, PartialEq)]
/// struct Props { text: String }
/// #[component]
/// fn Results(props: &Props) -> Html {
///     let options = QueryOptions { keep_previous_data: true, initial_value: Some(Rc::new(vec![])) };
///     let results = use_query_with(&SEARCH, Some(Search { text: props.text.clone() }), options);
///     let class = if results.is_stale { "dimmed" } else { "" };
///     html! { <ul {class}>{ for results.data().into_iter().flatten().map(|m| html! { <li>{ m }</li> }) }</ul> }
/// }
/// ```
#[hook]
pub fn use_query_with<A, R>(
    query: &Query<A, R>,
    args: Option<A>,
    options: QueryOptions<R>,
) -> UseQuery<R>
where
    A: Serialize + 'static,
    R: DeserializeOwned + 'static,
{
    let client = use_convex();
    let path = query.path().to_owned();
    let encoded = args.map(|a| encode_args(&path, &a));
    let slot = use_mut_ref(|| Slot::<R> {
        key: None,
        wanted: Rc::default(),
        raw: None,
        shown: UseQuery {
            state: QueryState::Loading,
            is_stale: false,
        },
        had_result: false,
    });
    let key = (client, path, encoded);
    let args_changed = slot.borrow().key.as_ref() != Some(&key);
    if args_changed {
        // The watcher compares what it is given with what it watches: the same `Rc` while
        // the arguments stay is compared by pointer.
        slot.borrow_mut().wanted = Rc::new(match &key.2 {
            Some(Ok(args)) => vec![(0, key.1.clone(), args.clone())],
            _ => Vec::new(),
        });
    }
    let wanted = slot.borrow().wanted.clone();
    let results = use_watched(wanted, false);
    // The state is computed in render, for this render's arguments: new arguments show their
    // own result at once (a result an identical subscription already holds, as `useQuery`
    // does), never the previous arguments' data.
    let raw = match &key.2 {
        Some(Ok(args)) => results.get(&0, &key.1, args),
        Some(Err(e)) => Some(Err(e.clone())),
        None => None,
    };
    let mut s = slot.borrow_mut();
    if args_changed || s.raw != raw {
        s.had_result |= raw.is_some();
        let shown = shown(&key.2, &raw, &options, &s.shown, s.had_result);
        s.shown = shown;
        s.raw = raw;
        s.key = Some(key);
    }
    s.shown.clone()
}
