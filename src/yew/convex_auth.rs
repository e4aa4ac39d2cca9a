//! [`ConvexProviderWithAuth`] (any auth source), [`ConvexProviderWithAuthKit`] and
//! [`use_convex_auth`]: Convex's `ConvexProviderWithAuth` / `useConvexAuth` in Yew.

use std::rc::Rc;

use convex_yew_core::sync::TokenFetch;
use yew::prelude::*;

use super::authkit_provider::use_auth;
use super::convex_provider::ConvexProviderProps;
use crate::runtime::{ConvexClient, TokenFuture};
use convex_yew_core::authkit::convex_link::token_fetch;

/// A token fetcher with a stable identity: `fetch(force_refresh)` returns a token,
/// [`TokenFetch::SignedOut`] or [`TokenFetch::Transient`]. Equality is identity, so keep one
/// per auth client (a new fetcher re-runs `set_auth`, as in React).
#[derive(Clone)]
pub struct TokenFetcher(Rc<dyn Fn(bool) -> TokenFuture>);

impl TokenFetcher {
    /// Wraps a fetch function.
    pub fn new(fetch: impl Fn(bool) -> TokenFuture + 'static) -> TokenFetcher {
        TokenFetcher(Rc::new(fetch))
    }
}

impl PartialEq for TokenFetcher {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Any auth provider, as Convex's `useAuth` contract: loading, signed in, and a token fetcher.
#[derive(Clone, PartialEq)]
pub struct AuthSource {
    /// The provider is still restoring its session.
    pub is_loading: bool,
    /// The provider has a signed-in user.
    pub is_authenticated: bool,
    /// Fetches tokens for Convex.
    pub fetch_access_token: TokenFetcher,
}

/// What [`use_convex_auth`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConvexAuthState {
    /// Not known yet: the auth provider is loading, or the server has not answered.
    pub is_loading: bool,
    /// The provider has a user and the Convex server confirmed the token.
    pub is_authenticated: bool,
    /// A rejected token is being replaced.
    pub is_refreshing: bool,
}

/// Props of [`ConvexProviderWithAuth`].
#[derive(Properties, PartialEq)]
pub struct ConvexProviderWithAuthProps {
    /// The Convex client.
    pub client: ConvexClient,
    /// The auth provider's state and token fetcher.
    pub auth: AuthSource,
    /// The app.
    pub children: Html,
}

#[derive(Default)]
struct Applied {
    /// The (client, fetcher) `set_auth` was called with, while authenticated.
    with: Option<(ConvexClient, TokenFetcher)>,
    generation: u64,
}

/// Connects any auth provider to Convex. `set_auth` happens while this provider renders, so
/// before any child subscribes; `clear_auth` is deferred until unmounting children have
/// unsubscribed, so their queries never re-run without auth.
///
/// ```no_run
/// use convex_yew::yew::{AuthSource, ConvexProviderWithAuth, TokenFetcher, Authenticated};
/// use convex_yew::{ConvexClient, TokenFetch};
/// use yew::prelude::*;
/// #[component]
/// fn Root() -> Html {
///     let client = use_memo((), |_| ConvexClient::new("https://happy-otter-123.convex.cloud").unwrap());
///     // One fetcher per auth client: its identity is what re-runs set_auth.
///     let fetcher = use_memo((), |_| TokenFetcher::new(|_force| Box::pin(async { TokenFetch::Token("a.jwt.token".into()) })));
///     let auth = AuthSource { is_loading: false, is_authenticated: true, fetch_access_token: (*fetcher).clone() };
///     html! {
///         <ConvexProviderWithAuth client={(*client).clone()} {auth}>
///             <Authenticated><p>{ "the server accepted the token" }</p></Authenticated>
///         </ConvexProviderWithAuth>
///     }
/// }
/// ```
#[component]
pub fn ConvexProviderWithAuth(props: &ConvexProviderWithAuthProps) -> Html {
    let convex_authed = use_state_eq(|| None::<bool>);
    let refreshing = use_state_eq(|| false);
    let applied = use_mut_ref(Applied::default);
    let auth = &props.auth;

    let mut authed = *convex_authed;
    if auth.is_loading && authed.is_some() {
        authed = None;
        convex_authed.set(None);
    }
    if !auth.is_loading && !auth.is_authenticated && authed != Some(false) {
        authed = Some(false);
        convex_authed.set(Some(false));
    }

    {
        let mut a = applied.borrow_mut();
        let want = auth
            .is_authenticated
            .then(|| (props.client.clone(), auth.fetch_access_token.clone()));
        if a.with != want {
            if let Some((old_client, _)) = a.with.take() {
                let same_client = want.as_ref().is_some_and(|(c, _)| *c == old_client);
                if !same_client {
                    // Signed out, or a new client: the old client must not stay authenticated.
                    // After this render pass, so unmounting children unsubscribe first; skipped
                    // if that client was authenticated again in the meantime.
                    let applied = applied.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let again = applied
                            .borrow()
                            .with
                            .as_ref()
                            .is_some_and(|(c, _)| *c == old_client);
                        if !again {
                            old_client.clear_auth();
                        }
                    });
                }
            }
            a.generation += 1;
            if let Some((client, fetcher)) = &want {
                let generation = a.generation;
                let (weak_gen, set_authed, set_refreshing) =
                    (applied.clone(), convex_authed.setter(), refreshing.setter());
                let current = move || weak_gen.borrow().generation == generation;
                let current2 = current.clone();
                let fetch = fetcher.0.clone();
                client.set_auth_with_refreshing(
                    move |force| fetch(force),
                    move |ok| {
                        if current() {
                            set_authed.set(Some(ok));
                        }
                    },
                    move |r| {
                        if current2() {
                            set_refreshing.set(r);
                        }
                    },
                );
                if authed == Some(true) {
                    // A new token source: wait for the server again.
                    authed = None;
                    convex_authed.set(None);
                }
            }
            a.with = want;
        }
    }

    let state = ConvexAuthState {
        is_loading: authed.is_none(),
        is_authenticated: auth.is_authenticated && authed == Some(true),
        is_refreshing: *refreshing && auth.is_authenticated && authed == Some(true),
    };
    html! {
        <ContextProvider<ConvexClient> context={props.client.clone()}>
            <ContextProvider<ConvexAuthState> context={state}>
                { props.children.clone() }
            </ContextProvider<ConvexAuthState>>
        </ContextProvider<ConvexClient>>
    }
}

/// [`ConvexProviderWithAuth`] fed by the enclosing [`AuthKitProvider`](super::AuthKitProvider):
/// honours `force_refresh`, maps "login required" to signed out and a transient failure to
/// "keep the session and retry" (never to sign-out).
///
/// ```no_run
/// use convex_yew::yew::{AuthKitProvider, ConvexProviderWithAuthKit, Authenticated, Unauthenticated};
/// use convex_yew::ConvexClient;
/// use yew::prelude::*;
/// #[component]
/// fn Root() -> Html {
///     let client = use_memo((), |_| ConvexClient::new("https://happy-otter-123.convex.cloud").unwrap());
///     html! {
///         <AuthKitProvider client_id="client_01ABC" redirect_uri="https://app.example.com/callback">
///             <ConvexProviderWithAuthKit client={(*client).clone()}>
///                 <Authenticated><p>{ "Signed in" }</p></Authenticated>
///                 <Unauthenticated><p>{ "Signed out" }</p></Unauthenticated>
///             </ConvexProviderWithAuthKit>
///         </AuthKitProvider>
///     }
/// }
/// ```
#[component]
pub fn ConvexProviderWithAuthKit(props: &ConvexProviderProps) -> Html {
    let auth = use_auth();
    let authkit = auth.client().cloned();
    let fetcher = use_memo(authkit, |authkit| {
        let authkit = authkit.clone();
        TokenFetcher::new(move |force| {
            let authkit = authkit.clone();
            Box::pin(async move {
                let Some(authkit) = authkit else {
                    return TokenFetch::SignedOut;
                };
                token_fetch(authkit.get_access_token(force).await)
            })
        })
    });
    let source = AuthSource {
        is_loading: auth.is_loading,
        is_authenticated: auth.user.is_some(),
        fetch_access_token: (*fetcher).clone(),
    };
    html! {
        <ConvexProviderWithAuth client={props.client.clone()} auth={source}>
            { props.children.clone() }
        </ConvexProviderWithAuth>
    }
}

/// Convex's view of auth: authenticated only once the server confirmed the token.
///
/// ```no_run
/// use convex_yew::yew::use_convex_auth;
/// use yew::prelude::*;
/// #[component]
/// fn Status() -> Html {
///     let auth = use_convex_auth();
///     html! { <span>{ if auth.is_loading { "…" } else if auth.is_authenticated { "signed in" } else { "signed out" } }</span> }
/// }
/// ```
///
/// # Panics
/// Outside a [`ConvexProviderWithAuth`] / [`ConvexProviderWithAuthKit`] (as `useConvexAuth`
/// throws in React).
#[hook]
pub fn use_convex_auth() -> ConvexAuthState {
    use_context::<ConvexAuthState>().expect(
        "use_convex_auth must be used inside ConvexProviderWithAuth or ConvexProviderWithAuthKit",
    )
}
