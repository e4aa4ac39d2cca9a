//! The Yew layer's one context: what the providers put there for the hooks below them.
//!
//! Each provider passes on what an outer provider put in, with its own part replaced, so one
//! context type serves `<AuthKitProvider>`, `<ConvexProvider>` and the providers with auth, in
//! any nesting. One type keeps one copy of Yew's context machinery in wasm (about 1.2 KB gzip
//! per context type); the price is that a component reading one part also re-renders when
//! another part changes. Those changes are rare: sign-in, sign-out, an organization switch,
//! the server's first confirmation of a token, a rejected token being replaced. Routine token
//! refreshes change nothing, and queries stay subscribed across a re-render.

use convex_yew_core::convex_auth::ConvexAuthState;
use yew::prelude::*;

use super::authkit_provider::AuthContext;
use crate::runtime::ConvexClient;

/// What the providers above a component put in context.
#[derive(Clone, PartialEq, Default)]
pub(crate) struct SdkContext {
    /// From `<AuthKitProvider>`.
    pub(crate) authkit: Option<std::rc::Rc<AuthContext>>,
    /// From a Convex provider.
    pub(crate) client: Option<ConvexClient>,
    /// From a Convex provider with auth (a plain `<ConvexProvider>` inside one keeps it, as
    /// React's `ConvexProvider` sets only the client).
    pub(crate) auth: Option<ConvexAuthState>,
}

/// The context the providers above put in (empty outside every provider).
#[hook]
pub(crate) fn use_sdk_context() -> SdkContext {
    use_context::<SdkContext>().unwrap_or_default()
}

/// Puts `context` in context for `children`.
pub(crate) fn provide(context: SdkContext, children: &Html) -> Html {
    html! {
        <ContextProvider<SdkContext> {context}>
            { children.clone() }
        </ContextProvider<SdkContext>>
    }
}
