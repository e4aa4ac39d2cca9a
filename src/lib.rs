//! # convex-yew
//!
//! Sign users in with WorkOS AuthKit and talk to a Convex backend over its live WebSocket
//! protocol, from a Rust/Yew (WASM) frontend: the Yew equivalent of Convex's
//! `ConvexProviderWithAuthKit`.
//!
//! ```no_run
//! use convex_yew::prelude::*;
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
//!         QueryState::Err(e) => html! { <p>{ convex_yew::report(&e) }</p> },
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
//!
//! Every item has one path, at this root (the modules are private, as in quinn-proto and
//! reqwest); [`prelude`] gathers what a component file needs for a glob import, as
//! `yew::prelude` does. The layers are the crate's folders:
//! - [`core`] (the `convex-yew-core` crate, re-exported whole): the sans-IO protocol, values,
//!   and the Convex and AuthKit state machines. No I/O, no clock, no async.
//! - `src/runtime`: the browser side that drives the core (WebSocket, timers, fetch):
//!   [`ConvexClient`], [`Subscription`], [`ConvexHttpClient`], [`PaginatedWatch`], [`Logger`].
//! - `src/authkit`: [`AuthKitClient`], AuthKit sign-in in the browser.
//! - `src/yew`: providers, hooks and components: [`ConvexProviderWithAuthKit`],
//!   [`use_convex_auth`], [`use_query`], [`use_mutation`], [`Authenticated`], ...
//!
//! The items of `core` an app uses directly ([`Query`], [`Value`], [`AuthSnapshot`], ...) are
//! re-exported here too: this crate's root is their path for a Yew app.
#![warn(missing_docs)]

mod authkit;
mod error;
mod runtime;
mod yew;

pub use convex_yew_core as core;

pub use authkit::{
    AuthKitClient, AuthKitOptions, ListenerHandle, Navigator, OnRefresh, OnRefreshFailure,
    RedirectParams, RefreshParams, SwitchOptions, SwitchOutcome, WeakAuthKitClient,
};
pub use error::{report, ClientError, DeploymentUrlError};
pub use runtime::{
    ClientOptions, ConnectionListenerHandle, ConvexClient, ConvexHttpClient, DisconnectCallback,
    DisconnectFn, HttpClientOptions, LogLevel, Logger, MutationOptions, PaginatedWatch,
    Subscription, TokenFuture, Watch,
};
pub use yew::{
    use_action, use_action_state, use_auth, use_connection_state, use_convex, use_convex_auth,
    use_convex_connection_state, use_mutation, use_mutation_state, use_paginated_query,
    use_queries, use_queries_raw, use_query, use_query_set, use_query_with, AuthKitProvider,
    AuthKitProviderProps, AuthLoading, AuthRefreshing, AuthSource, Authenticated, CallState,
    ConvexProvider, ConvexProviderProps, ConvexProviderWithAuth, ConvexProviderWithAuthKit,
    ConvexProviderWithAuthProps, GateProps, QueryOptions, QueryRequest, QuerySet, QueryState,
    SignOutOptions, TokenFetcher, Unauthenticated, UseAction, UseActionState, UseAuth, UseMutation,
    UseMutationState, UsePaginatedQuery, UseQuery,
};

// The core's items an app uses directly.
pub use convex_yew_core::authkit::urls::{SignInOptions, SignInState};
pub use convex_yew_core::authkit::{
    AuthKitConfig, AuthKitError, AuthSnapshot, Claims, RefreshError, Secret, SessionTimeouts, User,
};
pub use convex_yew_core::convex_auth::ConvexAuthState;
pub use convex_yew_core::json::JsonError;
pub use convex_yew_core::pagination::{PaginationStatus, Paginator};
pub use convex_yew_core::protocol::udf_path::{Action, Mutation, PaginatedQuery, Query};
pub use convex_yew_core::sync::{ConnectionState, LocalStore, TokenFetch};
pub use convex_yew_core::value::{from_value, to_value, Value};

/// The README's Rust examples, compiled as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}

/// What a component file needs, for `use convex_yew::prelude::*;`: every provider, gate,
/// hook and hook result of the Yew layer, and the function references and types they take
/// (the same items as at the crate root: this module only gathers them, as `yew::prelude`
/// does).
pub mod prelude {
    #[doc(no_inline)]
    pub use crate::yew::*;
    #[doc(no_inline)]
    pub use crate::{
        Action, AuthSnapshot, ClientError, ConnectionState, ConvexAuthState, ConvexClient,
        LocalStore, Mutation, PaginatedQuery, PaginationStatus, Query, Value,
    };
}

/// The runtime's private pieces, public for the browser tests that drive a raw socket (the
/// `internals` feature; not part of the API).
#[cfg(feature = "internals")]
pub mod internals {
    pub use crate::runtime::{browser, js_text, socket, url};
}
