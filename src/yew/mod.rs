//! The Yew layer: providers, hooks and components. Thin: all behaviour lives in the runtime
//! and the core.
//!
//! - [`authkit_provider`]: [`AuthKitProvider`] and [`use_auth`].
//! - [`convex_provider`]: [`ConvexProvider`], [`use_convex`].
//! - [`convex_auth`]: [`ConvexProviderWithAuth`] (any auth source), [`ConvexProviderWithAuthKit`],
//!   [`use_convex_auth`].
//! - [`gates`]: [`Authenticated`], [`Unauthenticated`], [`AuthLoading`], [`AuthRefreshing`].
//! - [`hooks`]: [`use_query`], [`use_mutation`] (with optimistic updates), [`use_action`],
//!   [`use_connection_state`].
//! - [`queries`]: [`use_queries`], [`use_queries_raw`]: a keyed, variable set of queries.
//! - [`paginated`]: pages of a paginated query, [`use_paginated_query`].
//!
//! ```no_run
//! use convex_yew::yew::*;
//! use convex_yew::{ConvexClient, Query};
//! use yew::prelude::*;
//!
//! #[derive(serde::Serialize, Clone, PartialEq)]
//! struct ListArgs { count: u32 }
//! #[derive(serde::Deserialize, Clone, PartialEq)]
//! struct List { viewer: Option<String>, numbers: Vec<f64> }
//! const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
//!
//! #[component]
//! fn Numbers() -> Html {
//!     match use_query(&LIST, Some(ListArgs { count: 10 })) {
//!         QueryState::Loading | QueryState::Skipped => html! { <p>{ "Loading..." }</p> },
//!         QueryState::Ok(list) => html! { <p>{ format!("{} numbers", list.numbers.len()) }</p> },
//!         QueryState::Err(e) => html! { <p>{ e.to_string() }</p> },
//!     }
//! }
//!
//! #[component]
//! fn Root() -> Html {
//!     let client = use_memo((), |_| ConvexClient::new("http://127.0.0.1:3210").unwrap());
//!     html! {
//!         <AuthKitProvider client_id="client_local_dev" api_hostname="127.0.0.1" port={3210} https={false}>
//!             <ConvexProviderWithAuthKit client={(*client).clone()}>
//!                 <Authenticated><Numbers /></Authenticated>
//!                 <Unauthenticated><p>{ "Sign in to see the numbers" }</p></Unauthenticated>
//!                 <AuthLoading><p>{ "Loading..." }</p></AuthLoading>
//!             </ConvexProviderWithAuthKit>
//!         </AuthKitProvider>
//!     }
//! }
//! ```

pub mod authkit_provider;
pub mod convex_auth;
pub mod convex_provider;
pub mod gates;
pub mod hooks;
pub mod paginated;
pub mod queries;

pub use authkit_provider::{
    use_auth, AuthKitProvider, AuthKitProviderProps, SignOutOptions, UseAuth,
};
pub use convex_auth::{
    use_convex_auth, AuthSource, ConvexAuthState, ConvexProviderWithAuth,
    ConvexProviderWithAuthKit, TokenFetcher,
};
pub use convex_provider::{use_convex, ConvexProvider};
pub use gates::{AuthLoading, AuthRefreshing, Authenticated, Unauthenticated};
pub use hooks::{
    use_action, use_action_state, use_connection_state, use_convex_connection_state, use_mutation,
    use_mutation_state, use_query, use_query_with, CallState, QueryOptions, QueryState, UseAction,
    UseActionState, UseMutation, UseMutationState, UseQuery,
};
pub use paginated::{use_paginated_query, UsePaginatedQuery};
pub use queries::{use_queries, use_queries_raw, use_query_set, QueryRequest, QuerySet};
