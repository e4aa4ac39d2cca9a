//! [`ConvexProvider`]: puts a [`ConvexClient`] in context.

use yew::prelude::*;

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
/// use convex_yew::{yew::ConvexProvider, ConvexClient};
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
        <ContextProvider<ConvexClient> context={props.client.clone()}>
            { props.children.clone() }
        </ContextProvider<ConvexClient>>
    }
}

/// The [`ConvexClient`] of the nearest provider.
///
/// ```no_run
/// use convex_yew::yew::use_convex;
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
    use_context::<ConvexClient>()
        .expect("use_convex must be used inside a ConvexProvider or ConvexProviderWithAuthKit")
}
