//! Query, mutation, action and connection hooks.

use std::cell::Cell;
use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;

use convex_yew_core::protocol::udf_path::{Action, Mutation, Query};
use convex_yew_core::sync::{ConnectionState, LocalStore, OptimisticUpdate, QueryId, ResultValue};

use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::prelude::*;

use super::convex_provider::use_convex;
use crate::error::ClientError;
use crate::runtime::client::{decode_result, Watch};
use crate::runtime::ConvexClient;

/// A query's state as a component sees it.
#[derive(Debug)]
pub enum QueryState<R> {
    /// No result yet (or the query is skipped).
    Loading,
    /// The latest result.
    Ok(Rc<R>),
    /// The query threw, or its result did not fit `R`.
    Err(ClientError),
}

impl<R> Clone for QueryState<R> {
    fn clone(&self) -> Self {
        match self {
            QueryState::Loading => QueryState::Loading,
            QueryState::Ok(r) => QueryState::Ok(r.clone()),
            QueryState::Err(e) => QueryState::Err(e.clone()),
        }
    }
}

impl<R> PartialEq for QueryState<R> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (QueryState::Loading, QueryState::Loading) => true,
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

/// Subscribes to a query for as long as the component is mounted. `None` args skip the query
/// (it stays [`QueryState::Loading`] and nothing is sent). The component re-renders only when
/// the result changes: an identical result (e.g. after a reconnect) does not re-render it.
///
/// ```no_run
/// use convex_yew::yew::{use_query, QueryState};
/// use convex_yew::Query;
/// use yew::prelude::*;
/// #[derive(serde::Serialize)]
/// struct Args { count: u32 }
/// const LIST: Query<Args, Vec<f64>> = Query::new("numbers:list");
/// #[component]
/// fn Numbers() -> Html {
///     match use_query(&LIST, Some(Args { count: 5 })) {
///         QueryState::Ok(numbers) => html! { { format!("{numbers:?}") } },
///         QueryState::Loading => html! { "loading" },
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
    let client = use_convex();
    let path = query.path().to_owned();
    let encoded = args.map(|a| crate::runtime::client::encode_args(&path, &a));
    // A result an identical subscription already holds shows on the first render: no
    // loading frame, as `useQuery` does.
    let cached = |client: &ConvexClient, path: &str, encoded: &Option<Result<_, _>>| match encoded {
        Some(Ok(args)) => client.cached_value(path, args),
        _ => None,
    };
    let raw = use_mut_ref(|| cached(&client, &path, &encoded));
    let state = {
        let raw = raw.clone();
        use_state(move || to_state::<R>(&raw.borrow()))
    };
    {
        let state = state.clone();
        use_effect_with((client, path, encoded), move |(client, path, encoded)| {
            let fresh = cached(client, path, encoded);
            if fresh != *raw.borrow() {
                state.set(to_state::<R>(&fresh));
                *raw.borrow_mut() = fresh;
            }
            let mut watching: Option<Watch> = None;
            match encoded {
                None => {}
                Some(Err(e)) => {
                    *raw.borrow_mut() = Some(Err(e.clone()));
                    state.set(QueryState::Err(e.clone()));
                }
                Some(Ok(args)) => {
                    let id: Rc<Cell<Option<QueryId>>> = Rc::default();
                    let update: Rc<dyn Fn()> = {
                        let (client, id, raw, state) =
                            (client.clone(), id.clone(), raw.clone(), state.clone());
                        Rc::new(move || {
                            let Some(q) = id.get() else { return };
                            let latest = client.result_value(q);
                            if latest != *raw.borrow() {
                                state.set(to_state::<R>(&latest));
                                *raw.borrow_mut() = latest;
                            }
                        })
                    };
                    let watch = client.watch(path, args, update.clone());
                    id.set(Some(watch.query_id()));
                    update();
                    watching = Some(watch);
                }
            }
            move || drop(watching)
        });
    }
    (*state).clone()
}

/// Binds an optimistic update to one call's arguments.
type UpdateFactory<A> = Rc<dyn Fn(&A) -> OptimisticUpdate>;

/// A mutation bound to the client in context; calling it never re-renders anything.
pub struct UseMutation<A, R> {
    client: ConvexClient,
    mutation: Mutation<A, R>,
    update: Option<UpdateFactory<A>>,
}

impl<A: Serialize, R: DeserializeOwned + 'static> UseMutation<A, R> {
    /// Runs the mutation; resolves once its writes are visible to this client's queries.
    /// With an [optimistic update](Self::with_optimistic_update), the update shows at once.
    pub fn call(&self, args: &A) -> impl Future<Output = Result<R, ClientError>> + 'static {
        let update = self.update.as_ref().map(|bind| bind(args));
        self.client
            .mutation_with_update(&self.mutation, args, update)
    }
}

impl<A: Clone + 'static, R> UseMutation<A, R> {
    /// The same mutation with an optimistic update: `update(store, args)` runs at every call,
    /// changing query results locally until the mutation's writes are visible; a failed
    /// mutation rolls it back (see [`LocalStore`]).
    ///
    /// ```no_run
    /// use convex_yew::yew::use_mutation;
    /// use convex_yew::{LocalStore, Mutation, Query};
    /// use yew::prelude::*;
    /// #[derive(serde::Serialize, Clone)]
    /// struct Add { value: f64 }
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct ListArgs { count: u32 }
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct List { viewer: Option<String>, numbers: Vec<f64> }
    /// const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
    /// const ADD: Mutation<Add, ()> = Mutation::new("myFunctions:addNumber");
    /// #[component]
    /// fn AddButton() -> Html {
    ///     let add = use_mutation(&ADD).with_optimistic_update(|store: &mut LocalStore<'_>, args: &Add| {
    ///         let list_args = ListArgs { count: 10 };
    ///         if let Some(mut list) = store.get_query(&LIST, &list_args) {
    ///             list.numbers.push(args.value);
    ///             let _ = store.set_query(&LIST, &list_args, Some(&list));
    ///         }
    ///     });
    ///     let onclick = Callback::from(move |_| {
    ///         let done = add.call(&Add { value: 1.0 });
    ///         wasm_bindgen_futures::spawn_local(async move { let _ = done.await; });
    ///     });
    ///     html! { <button {onclick}>{ "Add" }</button> }
    /// }
    /// ```
    pub fn with_optimistic_update(
        self,
        update: impl Fn(&mut LocalStore<'_>, &A) + 'static,
    ) -> UseMutation<A, R> {
        let update = Rc::new(update);
        let bind: UpdateFactory<A> = Rc::new(move |args: &A| {
            let (update, args) = (update.clone(), args.clone());
            Box::new(move |store: &mut LocalStore<'_>| update(store, &args)) as OptimisticUpdate
        });
        UseMutation {
            update: Some(bind),
            ..self
        }
    }
}

impl<A, R> Clone for UseMutation<A, R> {
    fn clone(&self) -> Self {
        UseMutation {
            client: self.client.clone(),
            mutation: self.mutation.clone(),
            update: self.update.clone(),
        }
    }
}

impl<A, R> PartialEq for UseMutation<A, R> {
    fn eq(&self, other: &Self) -> bool {
        let same_update = match (&self.update, &other.update) {
            (None, None) => true,
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            _ => false,
        };
        self.client == other.client && self.mutation == other.mutation && same_update
    }
}

/// A callable for a mutation.
///
/// ```no_run
/// use convex_yew::yew::use_mutation;
/// use convex_yew::Mutation;
/// use yew::prelude::*;
/// #[derive(serde::Serialize)]
/// struct Add { value: f64 }
/// const ADD: Mutation<Add, ()> = Mutation::new("myFunctions:addNumber");
/// #[component]
/// fn AddButton() -> Html {
///     let add = use_mutation(&ADD);
///     let onclick = Callback::from(move |_| {
///         let done = add.call(&Add { value: 1.0 });
///         wasm_bindgen_futures::spawn_local(async move { let _ = done.await; });
///     });
///     html! { <button {onclick}>{ "Add" }</button> }
/// }
/// ```
#[hook]
pub fn use_mutation<A: 'static, R: 'static>(mutation: &Mutation<A, R>) -> UseMutation<A, R> {
    UseMutation {
        client: use_convex(),
        mutation: mutation.clone(),
        update: None,
    }
}

/// An action bound to the client in context.
pub struct UseAction<A, R> {
    client: ConvexClient,
    action: Action<A, R>,
    _types: PhantomData<fn(A) -> R>,
}

impl<A: Serialize, R: DeserializeOwned + 'static> UseAction<A, R> {
    /// Runs the action.
    pub fn call(&self, args: &A) -> impl Future<Output = Result<R, ClientError>> + 'static {
        self.client.action(&self.action, args)
    }
}

impl<A, R> Clone for UseAction<A, R> {
    fn clone(&self) -> Self {
        UseAction {
            client: self.client.clone(),
            action: self.action.clone(),
            _types: PhantomData,
        }
    }
}

impl<A, R> PartialEq for UseAction<A, R> {
    fn eq(&self, other: &Self) -> bool {
        self.client == other.client && self.action == other.action
    }
}

/// A callable for an action.
///
/// ```no_run
/// use convex_yew::yew::use_action;
/// use convex_yew::Action;
/// use yew::prelude::*;
/// #[derive(serde::Serialize)]
/// struct Args { first: f64, second: String }
/// const MY_ACTION: Action<Args, convex_yew::Value> = Action::new("myFunctions:myAction");
/// #[component]
/// fn RunButton() -> Html {
///     let run = use_action(&MY_ACTION);
///     let result = use_state(String::new);
///     let onclick = {
///         let result = result.clone();
///         Callback::from(move |_| {
///             let done = run.call(&Args { first: 1.0, second: "hi".into() });
///             let result = result.clone();
///             wasm_bindgen_futures::spawn_local(async move {
///                 result.set(match done.await { Ok(v) => format!("{v:?}"), Err(e) => e.to_string() });
///             });
///         })
///     };
///     html! { <><button {onclick}>{ "Run" }</button><p>{ (*result).clone() }</p></> }
/// }
/// ```
#[hook]
pub fn use_action<A: 'static, R: 'static>(action: &Action<A, R>) -> UseAction<A, R> {
    UseAction {
        client: use_convex(),
        action: action.clone(),
        _types: PhantomData,
    }
}

/// The connection state; re-renders when it changes.
///
/// ```no_run
/// use convex_yew::yew::use_connection_state;
/// use yew::prelude::*;
/// #[component]
/// fn Offline() -> Html {
///     let state = use_connection_state();
///     if state.has_ever_connected && !state.is_websocket_connected {
///         html! { <p class="banner">{ format!("Reconnecting… ({} pending changes)", state.inflight_mutations) }</p> }
///     } else {
///         html! {}
///     }
/// }
/// ```
#[hook]
pub fn use_connection_state() -> ConnectionState {
    let client = use_convex();
    let state = use_state_eq(|| client.connection_state());
    {
        let setter = state.setter();
        use_effect_with(client, move |client| {
            setter.set(client.connection_state());
            let listener = client.on_connection_change(move |s| setter.set(s.clone()));
            move || drop(listener)
        });
    }
    (*state).clone()
}
