//! [`ConvexProvider`]: puts a [`ConvexClient`] in context; [`use_convex`] and the connection
//! state hooks read it.

use convex_yew_core::sync::ConnectionState;
use yew::prelude::*;

use super::context::{provide, use_sdk_context, SdkContext};
use crate::runtime::ConvexClient;

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
    let outer = use_sdk_context();
    let context = SdkContext {
        client: Some(props.client.clone()),
        ..outer
    };
    provide(context, &props.children)
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
    use_sdk_context()
        .client
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
