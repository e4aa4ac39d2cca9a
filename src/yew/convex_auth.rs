//! [`ConvexProviderWithAuth`] (any auth source), [`ConvexProviderWithAuthKit`] and
//! [`use_convex_auth`]: Convex's `ConvexProviderWithAuth` / `useConvexAuth` in Yew. The rules
//! are the core's [`AuthLink`]; this file only carries out what it decides.

use std::rc::Rc;

use convex_yew_core::convex_auth::ConvexAuthState;
use convex_yew_core::convex_auth::{
    authkit_identity, token_fetch, AuthInput, AuthLink, LinkAction,
};
use convex_yew_core::sync::TokenFetch;
use yew::prelude::*;

use super::authkit_provider::use_auth;
use super::context::{provide, use_sdk_context, SdkContext};
use super::convex_provider::ConvexProviderProps;
use crate::authkit::AuthKitClient;
use crate::runtime::{ConvexClient, TokenFuture};

/// A token fetcher with a stable identity: `fetch(force_refresh)` returns a token,
/// [`TokenFetch::SignedOut`] or [`TokenFetch::Transient`]. Equality is identity, so keep one
/// per auth client (a new fetcher re-runs `set_auth`, as in React).
#[derive(Clone)]
pub struct TokenFetcher {
    fetch: Rc<dyn Fn(bool) -> TokenFuture>,
    /// The AuthKit client a `ConvexProviderWithAuthKit` fetcher asks (`Some(None)`: signed
    /// out): two such fetchers are equal when they ask the same client. The fetcher holds the
    /// client, so its identity cannot be reused while the fetcher lives.
    authkit: Option<Option<AuthKitClient>>,
}

impl TokenFetcher {
    /// Wraps a fetch function.
    pub fn new(fetch: impl Fn(bool) -> TokenFuture + 'static) -> TokenFetcher {
        TokenFetcher {
            fetch: Rc::new(fetch),
            authkit: None,
        }
    }
}

impl PartialEq for TokenFetcher {
    fn eq(&self, other: &Self) -> bool {
        match (&self.authkit, &other.authkit) {
            (Some(a), Some(b)) => a == b,
            (None, None) => Rc::ptr_eq(&self.fetch, &other.fetch),
            _ => false,
        }
    }
}

/// Any auth provider, as Convex's `useAuth` contract: loading, signed in, who, and a token
/// fetcher.
#[derive(Clone, PartialEq)]
pub struct AuthSource {
    /// The provider is still restoring its session.
    pub is_loading: bool,
    /// The provider has a signed-in user.
    pub is_authenticated: bool,
    /// Who the provider's tokens speak for, as a key that changes whenever that changes
    /// (user, organization, session). When it changes while signed in, the Convex socket
    /// re-authenticates at once with a freshly fetched token, without a loading phase;
    /// `None` leaves identity changes to the scheduled refetch (as the official provider
    /// does). [`ConvexProviderWithAuthKit`] sets it from the AuthKit session.
    pub identity: Option<String>,
    /// Fetches tokens for Convex.
    pub fetch_access_token: TokenFetcher,
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

type Link = AuthLink<ConvexClient, TokenFetcher>;

/// Connects any auth provider to Convex, by the rules of the core's [`AuthLink`]:
/// `set_auth` happens while this provider renders, so before any child subscribes; a new
/// [`AuthSource::identity`] re-authenticates at once; `clear_auth` is deferred until
/// unmounting children have unsubscribed, so their queries never re-run without auth, and
/// runs when the provider itself unmounts.
///
/// ```no_run
/// use convex_yew::{AuthSource, ConvexProviderWithAuth, TokenFetcher, Authenticated};
/// use convex_yew::{ConvexClient, TokenFetch};
/// use yew::prelude::*;
/// #[component]
/// fn Root() -> Html {
///     let client = use_memo((), |_| ConvexClient::new("https://happy-otter-123.convex.cloud").unwrap());
///     // One fetcher per auth client: its identity is what re-runs set_auth.
///     let fetcher = use_memo((), |_| TokenFetcher::new(|_force| Box::pin(async { TokenFetch::Token("a.jwt.token".into()) })));
///     let auth = AuthSource {
///         is_loading: false,
///         is_authenticated: true,
///         identity: Some("user_1".into()),
///         fetch_access_token: (*fetcher).clone(),
///     };
///     html! {
///         <ConvexProviderWithAuth client={(*client).clone()} {auth}>
///             <Authenticated><p>{ "the server accepted the token" }</p></Authenticated>
///         </ConvexProviderWithAuth>
///     }
/// }
/// ```
#[component]
pub fn ConvexProviderWithAuth(props: &ConvexProviderWithAuthProps) -> Html {
    let outer = use_sdk_context();
    let state = use_auth_link(&props.client, &props.auth);
    provide(with_convex(outer, &props.client, state), &props.children)
}

/// The provider's rules ([`AuthLink`](convex_yew_core::convex_auth::AuthLink)) carried out for
/// `client` and `auth`: what both providers run, as a hook (so an app that uses only
/// [`ConvexProviderWithAuthKit`] builds no second component for it).
#[hook]
fn use_auth_link(client: &ConvexClient, auth: &AuthSource) -> ConvexAuthState {
    let link = use_mut_ref(Link::new);
    let rerender = use_force_update();
    let input = AuthInput {
        is_loading: auth.is_loading,
        is_authenticated: auth.is_authenticated,
        identity: auth.identity.clone(),
        client: client.clone(),
        fetcher: auth.fetch_access_token.clone(),
    };
    let actions = link.borrow_mut().update(&input);
    for action in actions {
        match action {
            LinkAction::SetAuth {
                client,
                fetcher,
                generation,
            } => {
                let (on_change, on_refreshing) = {
                    let (weak, rerender) = (Rc::downgrade(&link), rerender.clone());
                    let changed = move |f: &dyn Fn(&mut Link) -> bool| {
                        if weak.upgrade().is_some_and(|l| f(&mut l.borrow_mut())) {
                            rerender.force_update();
                        }
                    };
                    let changed = Rc::new(changed);
                    let again = changed.clone();
                    (
                        move |ok| changed(&|l: &mut Link| l.server_said(generation, ok)),
                        move |r| again(&|l: &mut Link| l.refreshing(generation, r)),
                    )
                };
                client.set_auth_with_refreshing(
                    move |force| (fetcher.fetch)(force),
                    on_change,
                    on_refreshing,
                );
            }
            LinkAction::Reauthenticate { client } => client.reauthenticate(),
            LinkAction::ClearAuth { client } => {
                // After this render pass, so unmounting children unsubscribe first.
                let weak = Rc::downgrade(&link);
                crate::runtime::browser::spawn(async move {
                    if weak
                        .upgrade()
                        .is_none_or(|l| l.borrow().clear_is_due(&client))
                    {
                        client.clear_auth();
                    }
                });
            }
        }
    }
    {
        let link = link.clone();
        use_effect_with((), move |_| {
            move || {
                let actions = link.borrow_mut().unmount();
                for action in actions {
                    if let LinkAction::ClearAuth { client } = action {
                        client.clear_auth();
                    }
                }
            }
        });
    }
    let state = link.borrow().state(&input);
    state
}

/// The client and the auth state in context, around `children`.
/// The outer context with the client and its auth state put in.
fn with_convex(outer: SdkContext, client: &ConvexClient, state: ConvexAuthState) -> SdkContext {
    SdkContext {
        client: Some(client.clone()),
        auth: Some(state),
        ..outer
    }
}

/// [`ConvexProviderWithAuth`] fed by the enclosing [`AuthKitProvider`](super::AuthKitProvider):
/// honours `force_refresh`, maps "login required" to signed out and a transient failure to
/// "keep the session and retry" (never to sign-out), and re-authenticates Convex the moment
/// the session's user, organization or session id changes (an organization switch, a
/// session adopted from another tab).
///
/// ```no_run
/// use convex_yew::{AuthKitProvider, ConvexProviderWithAuthKit, Authenticated, Unauthenticated};
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
///
/// # Panics
/// Outside an [`AuthKitProvider`](super::AuthKitProvider) (it reads [`use_auth`]), as
/// `ConvexProviderWithAuthKit` fails in React without its `AuthKitProvider`.
#[component]
pub fn ConvexProviderWithAuthKit(props: &ConvexProviderProps) -> Html {
    let auth = use_auth();
    let authkit = auth.client().cloned();
    // Made at each render, and equal across renders while the AuthKit client is the same.
    let fetcher = TokenFetcher {
        authkit: Some(authkit.clone()),
        ..TokenFetcher::new(move |force| {
            let authkit = authkit.clone();
            Box::pin(async move {
                let Some(authkit) = authkit else {
                    return TokenFetch::SignedOut;
                };
                token_fetch(authkit.get_access_token(force).await)
            })
        })
    };
    let source = AuthSource {
        is_loading: auth.is_loading,
        is_authenticated: auth.user().is_some(),
        identity: authkit_identity(auth.snapshot()),
        fetch_access_token: fetcher,
    };
    let outer = use_sdk_context();
    let state = use_auth_link(&props.client, &source);
    provide(with_convex(outer, &props.client, state), &props.children)
}

/// Convex's view of auth: authenticated only once the server confirmed the token.
///
/// ```no_run
/// use convex_yew::use_convex_auth;
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
    use_sdk_context().auth.expect(
        "use_convex_auth must be used inside ConvexProviderWithAuth or ConvexProviderWithAuthKit",
    )
}
