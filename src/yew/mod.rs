//! The Yew layer: providers, hooks and components. Thin: all behaviour lives in the runtime
//! and the core. Its items are re-exported at the crate root.
//!
//! - `authkit_provider.rs`: [`AuthKitProvider`] and [`use_auth`].
//! - `convex_provider.rs`: [`ConvexProvider`], [`use_convex`].
//! - `convex_auth.rs`: [`ConvexProviderWithAuth`] (any auth source),
//!   [`ConvexProviderWithAuthKit`], [`use_convex_auth`].
//! - `gates.rs`: [`Authenticated`], [`Unauthenticated`], [`AuthLoading`], [`AuthRefreshing`].
//! - `query.rs`: [`use_query`], [`use_query_with`].
//! - `queries.rs`: [`use_queries`], [`use_queries_raw`], [`use_query_set`].
//! - `paginated.rs`: pages of a paginated query, [`use_paginated_query`].
//! - `watcher.rs`: the subscription mechanism every query hook is built on.
//! - `calls.rs`: [`use_mutation`] (with optimistic updates), [`use_action`], and their
//!   `_state` forms.
//! - the connection state hooks ([`use_connection_state`]) sit with [`use_convex`].

mod authkit_provider;
mod calls;
mod context;
mod convex_auth;
mod convex_provider;
mod gates;
mod paginated;
mod queries;
mod query;
mod watcher;

pub use authkit_provider::{
    use_auth, AuthKitProvider, AuthKitProviderProps, SignOutOptions, UseAuth,
};
pub use calls::{
    use_action, use_action_state, use_mutation, use_mutation_state, CallState, UseAction,
    UseActionState, UseMutation, UseMutationState,
};
pub use convex_auth::{
    use_convex_auth, AuthSource, ConvexProviderWithAuth, ConvexProviderWithAuthKit,
    ConvexProviderWithAuthProps, TokenFetcher,
};
pub use convex_provider::{
    use_connection_state, use_convex, use_convex_connection_state, ConvexProvider,
    ConvexProviderProps,
};
pub use gates::{AuthLoading, AuthRefreshing, Authenticated, GateProps, Unauthenticated};
pub use paginated::{use_paginated_query, UsePaginatedQuery};
pub use queries::{use_queries, use_queries_raw, use_query_set, QueryRequest, QuerySet};
pub use query::{use_query, use_query_with, QueryOptions, QueryState, UseQuery};
