//! [`ConvexProvider`]: puts a [`ConvexClient`] in context; [`use_convex`] and the connection
//! state hooks read it.

use convex_yew_core::sync::ConnectionState;
use yew::prelude::*;

use crate::runtime::ConvexClient;

/// What the Convex providers put in context: the client, and the auth state when a provider
/// with auth put it there. One context for both keeps one copy of Yew's context machinery
/// (1.2 KB gzip of wasm); the price is that components reading the client also re-render when
/// the auth state changes (a few times a session: the first confirmation, sign-in, sign-out),
/// their queries staying subscribed.
#[derive(Clone, PartialEq)]
pub(crate) struct ConvexContext {
    pub(crate) client: ConvexClient,
    pub(crate) auth: Option<convex_yew_core::convex_auth::ConvexAuthState>,
}

/// Props of [`ConvexProvider`].
#[derive(Properties, PartialEq)]
pub struct ConvexProviderProps {
    /// The client (create it once, e.g. with `use_memo`).
    pub client: ConvexClient,
    /// The app.
    pub children: Html,
}

/// Makes `client` available to [`use_convex`] and the query hooks, without auth.
///
/// ```no_run
/// use convex_yew::{ConvexClient, ConvexProvider};
/// use yew::prelude::*;
/// #[component]
/// fn Root() -> Html {
///     let client = use_memo((), |_| ConvexClient::new("https://happy-otter-123.convex.cloud").unwrap());
///     html! { <ConvexProvider client={(*client).clone()}><p>{ "app" }</p></ConvexProvider> }
/// }
/// ```
#[component]
pub fn ConvexProvider(props: &ConvexProviderProps) -> Html {
    html! {
        <ContextProvider<ConvexContext> context={ConvexContext { client: props.client.clone(), auth: None }}>
            { props.children.clone() }
        </ContextProvider<ConvexContext>>
    }
}

/// The [`ConvexClient`] of the nearest provider.
///
/// ```no_run
/// use convex_yew::use_convex;
/// use yew::prelude::*;
/// #[component]
/// fn Status() -> Html {
///     let client = use_convex();
///     html! { <span>{ format!("{} queries", client.connection_state().subscribed_queries) }</span> }
/// }
/// ```
///
/// # Panics
/// Outside a `ConvexProvider` (a programming error, as `useConvex` throws in React).
#[hook]
pub fn use_convex() -> ConvexClient {
    use_context::<ConvexContext>()
        .map(|c| c.client)
        .expect("use_convex must be used inside a ConvexProvider or ConvexProviderWithAuthKit")
}

/// The connection state; re-renders when it changes.
///
/// ```no_run
/// use convex_yew::use_connection_state;
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
    use_convex_connection_state()
}

/// [`use_connection_state`] under the React name (`useConvexConnectionState`).
#[hook]
pub fn use_convex_connection_state() -> ConnectionState {
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
