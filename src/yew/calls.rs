//! [`use_mutation`] and [`use_action`] (calls bound to the client in context), and their
//! `_state` forms that also track the last call's progress and outcome.

use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;

use convex_yew_core::protocol::udf_path::{Action, Mutation};
use convex_yew_core::sync::{LocalStore, OptimisticUpdate};
use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::prelude::*;

use super::convex_provider::use_convex;
use crate::error::ClientError;
use crate::runtime::ConvexClient;

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
    /// use convex_yew::use_mutation;
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
/// use convex_yew::use_mutation;
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
/// use convex_yew::use_action;
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

/// What a mutation's or action's calls from this component came to, for the UI: whether one
/// is running, the last call's result or error. Setting it re-renders the component.
#[derive(Debug)]
pub struct CallState<R> {
    /// A call is running.
    pub is_pending: bool,
    /// The last call's result, if it succeeded.
    pub data: Option<Rc<R>>,
    /// The last call's error, if it failed.
    pub error: Option<ClientError>,
}

impl<R> Clone for CallState<R> {
    fn clone(&self) -> Self {
        CallState {
            is_pending: self.is_pending,
            data: self.data.clone(),
            error: self.error.clone(),
        }
    }
}

impl<R> PartialEq for CallState<R> {
    fn eq(&self, other: &Self) -> bool {
        let same_data = match (&self.data, &other.data) {
            (None, None) => true,
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            _ => false,
        };
        self.is_pending == other.is_pending && same_data && self.error == other.error
    }
}

impl<R> Default for CallState<R> {
    fn default() -> Self {
        CallState {
            is_pending: false,
            data: None,
            error: None,
        }
    }
}

/// Tracks calls: how many run, and which is the latest (whose outcome is shown).
struct Calls<R> {
    running: u32,
    latest: u64,
    state: CallState<R>,
}

/// The bookkeeping shared by [`use_mutation_state`] and [`use_action_state`].
struct Tracker<R> {
    calls: Rc<std::cell::RefCell<Calls<R>>>,
    rerender: UseForceUpdateHandle,
}

impl<R> Clone for Tracker<R> {
    fn clone(&self) -> Self {
        Tracker {
            calls: self.calls.clone(),
            rerender: self.rerender.clone(),
        }
    }
}

impl<R: 'static> Tracker<R> {
    /// Runs `done` and records its outcome (the latest call's wins; earlier calls' outcomes
    /// arriving later are dropped).
    fn track(
        &self,
        done: impl Future<Output = Result<R, ClientError>> + 'static,
    ) -> impl Future<Output = Result<Rc<R>, ClientError>> + 'static {
        let seq = {
            let mut c = self.calls.borrow_mut();
            c.running += 1;
            c.latest += 1;
            c.state.is_pending = true;
            c.latest
        };
        self.rerender.force_update();
        let tracker = self.clone();
        async move {
            let outcome = done.await.map(Rc::new);
            {
                let mut c = tracker.calls.borrow_mut();
                c.running = c.running.saturating_sub(1);
                c.state.is_pending = c.running > 0;
                if seq == c.latest {
                    match &outcome {
                        Ok(v) => {
                            c.state.data = Some(v.clone());
                            c.state.error = None;
                        }
                        Err(e) => {
                            c.state.data = None;
                            c.state.error = Some(e.clone());
                        }
                    }
                }
            }
            tracker.rerender.force_update();
            outcome
        }
    }

    fn reset(&self) {
        {
            let mut c = self.calls.borrow_mut();
            c.latest += 1; // calls still running report nothing now
            c.state.data = None;
            c.state.error = None;
        }
        self.rerender.force_update();
    }

    fn state(&self) -> CallState<R> {
        self.calls.borrow().state.clone()
    }
}

#[hook]
fn use_tracker<R: 'static>() -> Tracker<R> {
    let calls = use_mut_ref(|| Calls {
        running: 0,
        latest: 0,
        state: CallState::default(),
    });
    Tracker {
        calls,
        rerender: use_force_update(),
    }
}

/// A mutation whose calls' state re-renders the component: [`UseMutationState::state`] says
/// whether one is running and how the last one ended (convex-solidjs's mutation state),
/// next to [`UseMutation::call`]'s future. A failed call leaves the handle usable: call again.
pub struct UseMutationState<A, R> {
    mutation: UseMutation<A, R>,
    tracker: Tracker<R>,
    /// The state at this render.
    pub state: CallState<R>,
}

impl<A, R> Clone for UseMutationState<A, R> {
    fn clone(&self) -> Self {
        UseMutationState {
            mutation: self.mutation.clone(),
            tracker: self.tracker.clone(),
            state: self.state.clone(),
        }
    }
}

impl<A, R> PartialEq for UseMutationState<A, R> {
    fn eq(&self, other: &Self) -> bool {
        self.mutation == other.mutation && self.state == other.state
    }
}

impl<A: Serialize + 'static, R: DeserializeOwned + 'static> UseMutationState<A, R> {
    /// Runs the mutation and tracks it; the returned future gives its result too (it need
    /// not be awaited: the state shows the outcome).
    pub fn call(&self, args: &A) -> impl Future<Output = Result<Rc<R>, ClientError>> + 'static {
        self.tracker.track(self.mutation.call(args))
    }

    /// Runs the mutation in the background; the state shows how it went.
    pub fn mutate(&self, args: &A) {
        let done = self.call(args);
        crate::runtime::browser::spawn(async move {
            let _ = done.await;
        });
    }

    /// Forgets the last result and error (a call still running reports nothing).
    pub fn reset(&self) {
        self.tracker.reset()
    }
}

impl<A: Clone + 'static, R> UseMutationState<A, R> {
    /// The same, with an optimistic update (see [`UseMutation::with_optimistic_update`]).
    pub fn with_optimistic_update(
        self,
        update: impl Fn(&mut LocalStore<'_>, &A) + 'static,
    ) -> UseMutationState<A, R> {
        UseMutationState {
            mutation: self.mutation.with_optimistic_update(update),
            ..self
        }
    }
}

/// [`use_mutation`] with its calls' state: pending, the last result, the last error, reset.
///
/// ```no_run
/// use convex_yew::use_mutation_state;
/// use convex_yew::Mutation;
/// use yew::prelude::*;
/// #[derive(serde::Serialize)]
/// struct Add { value: f64 }
/// const ADD: Mutation<Add, ()> = Mutation::new("myFunctions:addNumber");
/// #[component]
/// fn AddButton() -> Html {
///     let add = use_mutation_state(&ADD);
///     let onclick = { let add = add.clone(); Callback::from(move |_| add.mutate(&Add { value: 1.0 })) };
///     html! {
///         <>
///             <button {onclick} disabled={add.state.is_pending}>{ "Add" }</button>
///             if let Some(e) = &add.state.error { <p class="error">{ e.to_string() }</p> }
///         </>
///     }
/// }
/// ```
#[hook]
pub fn use_mutation_state<A: 'static, R: 'static>(
    mutation: &Mutation<A, R>,
) -> UseMutationState<A, R> {
    let mutation = use_mutation(mutation);
    let tracker = use_tracker::<R>();
    let state = tracker.state();
    UseMutationState {
        mutation,
        tracker,
        state,
    }
}

/// An action whose calls' state re-renders the component (see [`use_mutation_state`]).
pub struct UseActionState<A, R> {
    action: UseAction<A, R>,
    tracker: Tracker<R>,
    /// The state at this render.
    pub state: CallState<R>,
}

impl<A, R> Clone for UseActionState<A, R> {
    fn clone(&self) -> Self {
        UseActionState {
            action: self.action.clone(),
            tracker: self.tracker.clone(),
            state: self.state.clone(),
        }
    }
}

impl<A, R> PartialEq for UseActionState<A, R> {
    fn eq(&self, other: &Self) -> bool {
        self.action == other.action && self.state == other.state
    }
}

impl<A: Serialize + 'static, R: DeserializeOwned + 'static> UseActionState<A, R> {
    /// Runs the action and tracks it.
    pub fn call(&self, args: &A) -> impl Future<Output = Result<Rc<R>, ClientError>> + 'static {
        self.tracker.track(self.action.call(args))
    }

    /// Runs the action in the background; the state shows how it went.
    pub fn run(&self, args: &A) {
        let done = self.call(args);
        crate::runtime::browser::spawn(async move {
            let _ = done.await;
        });
    }

    /// Forgets the last result and error.
    pub fn reset(&self) {
        self.tracker.reset()
    }
}

/// [`use_action`] with its calls' state: pending, the last result, the last error, reset.
///
/// ```no_run
/// use convex_yew::use_action_state;
/// use convex_yew::{Action, Value};
/// use yew::prelude::*;
/// #[derive(serde::Serialize)]
/// struct Args { first: f64, second: String }
/// const MY_ACTION: Action<Args, Value> = Action::new("myFunctions:myAction");
/// #[component]
/// fn Run() -> Html {
///     let run = use_action_state(&MY_ACTION);
///     let onclick = { let run = run.clone(); Callback::from(move |_| run.run(&Args { first: 1.0, second: "x".into() })) };
///     html! { <button {onclick}>{ if run.state.is_pending { "Running…" } else { "Run" } }</button> }
/// }
/// ```
#[hook]
pub fn use_action_state<A: 'static, R: 'static>(action: &Action<A, R>) -> UseActionState<A, R> {
    let action = use_action(action);
    let tracker = use_tracker::<R>();
    let state = tracker.state();
    UseActionState {
        action,
        tracker,
        state,
    }
}
