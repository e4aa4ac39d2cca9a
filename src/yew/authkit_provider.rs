//! [`AuthKitProvider`] and [`use_auth`]: the authkit-react API in Yew.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use convex_yew_core::authkit::urls::SignInOptions;
use convex_yew_core::authkit::{
    AuthKitConfig, AuthKitError, AuthSnapshot, Impersonator, RefreshError, User,
};
use yew::prelude::*;

use super::context::{provide, use_sdk_context, SdkContext};
use crate::authkit::{
    AuthKitClient, AuthKitOptions, ListenerHandle, RedirectParams, RefreshParams, SwitchOptions,
    SwitchOutcome,
};
use crate::runtime::browser::{self, Level};

/// Props of [`AuthKitProvider`]: the whole AuthKit configuration, as authkit-react takes it.
#[derive(Properties, PartialEq, Clone)]
pub struct AuthKitProviderProps {
    /// The WorkOS client id.
    pub client_id: AttrValue,
    /// API host (default `api.workos.com`; a custom auth domain in production).
    #[prop_or_default]
    pub api_hostname: Option<AttrValue>,
    /// `https` (default true).
    #[prop_or_default]
    pub https: Option<bool>,
    /// API port.
    #[prop_or_default]
    pub port: Option<u16>,
    /// Where AuthKit sends users back (default: the page's origin).
    #[prop_or_default]
    pub redirect_uri: Option<AttrValue>,
    /// Dev mode (default: on for localhost and 127.0.0.1).
    #[prop_or_default]
    pub dev_mode: Option<bool>,
    /// Refresh this many seconds before expiry (default 10).
    #[prop_or_default]
    pub refresh_buffer_secs: Option<u64>,
    /// After a successful sign-in, with the state passed to `sign_in`.
    #[prop_or_default]
    pub on_redirect_callback: Option<Callback<RedirectParams>>,
    /// After every successful code exchange and refresh, with the session and the new
    /// access token.
    #[prop_or_default]
    pub on_refresh: Option<Callback<RefreshParams>>,
    /// When the session ends because a refresh was refused.
    #[prop_or_default]
    pub on_refresh_failure: Option<Callback<RefreshError>>,
    /// Asked before each automatic refresh: return false to skip it (authkit-js's
    /// `onBeforeAutoRefresh`; without it, hidden tabs skip).
    #[prop_or_default]
    pub on_before_auto_refresh: Option<Callback<(), bool>>,
    /// Where the page goes for sign-in, sign-up and sign-out (a router's navigation;
    /// default `location.assign`). Return false when it could not go.
    #[prop_or_default]
    pub navigate: Option<Callback<String, bool>>,
    /// The app.
    pub children: Html,
}

impl AuthKitProviderProps {
    fn config(&self) -> Option<AuthKitConfig> {
        let location = web_sys::window()?.location();
        let origin = location.origin().ok()?;
        let hostname = location.hostname().ok()?;
        let mut c = AuthKitConfig::new(self.client_id.to_string(), &origin, &hostname);
        if let Some(h) = &self.api_hostname {
            c.api_hostname = h.to_string();
        }
        if let Some(h) = self.https {
            c.https = h;
        }
        c.port = self.port;
        if let Some(r) = &self.redirect_uri {
            c.redirect_uri = r.to_string();
        }
        if let Some(d) = self.dev_mode {
            c.dev_mode = d;
        }
        if let Some(b) = self.refresh_buffer_secs {
            c.refresh_buffer_secs = b;
        }
        Some(c)
    }
}

/// The context [`use_auth`] reads: loading flag, session snapshot and the client.
#[derive(Clone, PartialEq)]
pub(crate) struct AuthContext {
    is_loading: bool,
    snapshot: Rc<AuthSnapshot>,
    client: Option<AuthKitClient>,
    error: Option<AuthKitError>,
}

/// Signs users in with AuthKit and provides [`use_auth`] to the app.
///
/// The client is created once per configuration (the old one is disposed when the config
/// changes). Consumers re-render only when a field they can see changes (or, since the
/// providers share one context, when a Convex provider's auth state changes): routine token
/// refreshes re-render nothing.
///
/// ```no_run
/// use convex_yew::{use_auth, AuthKitProvider};
/// use yew::prelude::*;
/// #[component]
/// fn Header() -> Html {
///     let auth = use_auth();
///     let sign_in = { let auth = auth.clone(); Callback::from(move |_| { let _ = auth.sign_in(Default::default()); }) };
///     match auth.user() {
///         Some(user) => html! { <span>{ &user.email }</span> },
///         None => html! { <button onclick={sign_in}>{ "Sign in" }</button> },
///     }
/// }
/// #[component]
/// fn Root() -> Html {
///     html! { <AuthKitProvider client_id="client_01ABC"><Header /></AuthKitProvider> }
/// }
/// ```
#[component]
pub fn AuthKitProvider(props: &AuthKitProviderProps) -> Html {
    let outer = use_sdk_context();
    let state = use_mut_ref(|| ProviderState {
        shown: Rc::new(AuthContext {
            is_loading: true,
            snapshot: Rc::default(),
            client: None,
            error: None,
        }),
        callbacks: Callbacks::default(),
    });
    let rerender = use_force_update();
    // The latest callback props: the client's callbacks read them when they fire, so a
    // parent that passes new callbacks is heard without recreating the client.
    state.borrow_mut().callbacks = Callbacks {
        on_redirect_callback: props.on_redirect_callback.clone(),
        on_refresh: props.on_refresh.clone(),
        on_refresh_failure: props.on_refresh_failure.clone(),
        on_before_auto_refresh: props.on_before_auto_refresh.clone(),
        navigate: props.navigate.clone(),
    };
    {
        let state = state.clone();
        let props = props.clone();
        let key = (
            props.client_id.clone(),
            props.api_hostname.clone(),
            props.https,
            props.port,
            props.redirect_uri.clone(),
            props.dev_mode,
            props.refresh_buffer_secs,
        );
        use_effect_with(key, move |_| {
            let running: Rc<RefCell<Option<(AuthKitClient, ListenerHandle)>>> = Rc::default();
            let started = match props.config() {
                None => Err(AuthKitError::NoWindow),
                Some(config) => AuthKitClient::start(options(config, &state)),
            };
            match started {
                Ok(client) => {
                    let publish = {
                        let (state, rerender) = (state.clone(), rerender.clone());
                        let weak = client.downgrade();
                        move || {
                            if let Some(client) = weak.upgrade() {
                                let shown = AuthContext {
                                    is_loading: client.is_loading(),
                                    snapshot: Rc::new(client.snapshot()),
                                    error: client.callback_error(),
                                    client: Some(client),
                                };
                                show(&state, &rerender, shown);
                            }
                        }
                    };
                    publish();
                    let handle = client.subscribe(publish);
                    *running.borrow_mut() = Some((client, handle));
                }
                Err(e) => {
                    browser::log(
                        Level::Error,
                        &format!("[convex-yew] AuthKit: {}", crate::error::report(&e)),
                    );
                    let shown = AuthContext {
                        is_loading: false,
                        snapshot: Rc::default(),
                        client: None,
                        error: Some(e),
                    };
                    show(&state, &rerender, shown);
                }
            }
            move || {
                if let Some((client, handle)) = running.borrow_mut().take() {
                    drop(handle);
                    client.dispose();
                }
            }
        });
    }
    let context = SdkContext {
        authkit: Some(state.borrow().shown.clone()),
        ..outer
    };
    provide(context, &props.children)
}

/// The provider's state between renders: what it shows its consumers, and the latest
/// callback props.
struct ProviderState {
    shown: Rc<AuthContext>,
    callbacks: Callbacks,
}

/// Shows `next` to consumers, re-rendering only when it differs from what they see.
fn show(state: &RefCell<ProviderState>, rerender: &UseForceUpdateHandle, next: AuthContext) {
    let changed = {
        let mut state = state.borrow_mut();
        let changed = *state.shown != next;
        if changed {
            state.shown = Rc::new(next);
        }
        changed
    };
    if changed {
        rerender.force_update();
    }
}

#[derive(Default)]
struct Callbacks {
    on_redirect_callback: Option<Callback<RedirectParams>>,
    on_refresh: Option<Callback<RefreshParams>>,
    on_refresh_failure: Option<Callback<RefreshError>>,
    on_before_auto_refresh: Option<Callback<(), bool>>,
    navigate: Option<Callback<String, bool>>,
}

/// Client options whose callbacks forward to the provider's latest props.
fn options(config: AuthKitConfig, callbacks: &Rc<RefCell<ProviderState>>) -> AuthKitOptions {
    let mut options = AuthKitOptions::new(config);
    let c = callbacks.clone();
    options.on_redirect_callback = Some(Rc::new(move |p| {
        let cb = c.borrow().callbacks.on_redirect_callback.clone();
        if let Some(cb) = cb {
            cb.emit(p);
        }
    }));
    let c = callbacks.clone();
    options.on_refresh = Some(Rc::new(move |p: RefreshParams| {
        let cb = c.borrow().callbacks.on_refresh.clone();
        if let Some(cb) = cb {
            cb.emit(p);
        }
    }));
    // Asked at each automatic refresh: the provider's latest prop, or the default policy
    // (skip hidden tabs) when it has none.
    let c = callbacks.clone();
    options.on_before_auto_refresh = Some(Rc::new(move || {
        let cb = c.borrow().callbacks.on_before_auto_refresh.clone();
        match cb {
            Some(cb) => cb.emit(()),
            None => crate::authkit::browser_io::visible(),
        }
    }));
    let c = callbacks.clone();
    options.navigate = Some(Rc::new(move |url: &str| {
        let cb = c.borrow().callbacks.navigate.clone();
        match cb {
            Some(cb) => cb.emit(url.to_owned()),
            None => crate::authkit::browser_io::navigate(url),
        }
    }));
    let c = callbacks.clone();
    options.on_refresh_failure = Some(Rc::new(move |e: RefreshError| {
        let cb = c.borrow().callbacks.on_refresh_failure.clone();
        if let Some(cb) = cb {
            cb.emit(e);
        }
    }));
    options
}

/// How [`UseAuth::sign_out_with`] signs out.
#[derive(Debug, Clone, PartialEq)]
pub struct SignOutOptions {
    /// Where AuthKit's logout sends the browser (must be on its allow-list).
    pub return_to: Option<String>,
    /// Go to AuthKit's logout page (`true`, the default) or call it in the background.
    pub navigate: bool,
}

impl Default for SignOutOptions {
    fn default() -> Self {
        SignOutOptions {
            return_to: None,
            navigate: true,
        }
    }
}

/// What [`use_auth`] returns: authkit-react's `useAuth()`, state and actions. The session's
/// fields are accessors named as React's (`auth.user()` for `auth.user`, `role()`,
/// `organization_id()`, ...), or the whole [`AuthSnapshot`] with [`snapshot`](Self::snapshot).
#[derive(Clone, PartialEq)]
pub struct UseAuth {
    /// True until the session is restored (or known absent).
    pub is_loading: bool,
    /// Why sign-in failed on this page load (a failed code exchange), if it did.
    pub error: Option<AuthKitError>,
    snapshot: Rc<AuthSnapshot>,
    client: Option<AuthKitClient>,
}

impl UseAuth {
    /// The whole session as the app sees it (what the accessors below read).
    pub fn snapshot(&self) -> &AuthSnapshot {
        &self.snapshot
    }

    /// The signed-in user (authkit-react's `user`), `None` when signed out.
    pub fn user(&self) -> Option<&User> {
        self.snapshot.user.as_ref()
    }

    /// The session's organization (`organizationId`).
    pub fn organization_id(&self) -> Option<&str> {
        self.snapshot.organization_id.as_deref()
    }

    /// The session id (`sessionId`, the token's `sid`).
    pub fn session_id(&self) -> Option<&str> {
        self.snapshot.session_id.as_deref()
    }

    /// The user's role in the organization (`role`).
    pub fn role(&self) -> Option<&str> {
        self.snapshot.role.as_deref()
    }

    /// Every role of the user in the organization (`roles`).
    pub fn roles(&self) -> Option<&[String]> {
        self.snapshot.roles.as_deref()
    }

    /// The permissions the token carries (`permissions`).
    pub fn permissions(&self) -> &[String] {
        &self.snapshot.permissions
    }

    /// The feature flags the token carries (`featureFlags`).
    pub fn feature_flags(&self) -> &[String] {
        &self.snapshot.feature_flags
    }

    /// Who is impersonating the user, if anyone (`impersonator`).
    pub fn impersonator(&self) -> Option<&Impersonator> {
        self.snapshot.impersonator.as_ref()
    }

    /// How the user signed in (`authenticationMethod`).
    pub fn authentication_method(&self) -> Option<&str> {
        self.snapshot.authentication_method.as_deref()
    }

    /// The AuthKit client, once created.
    pub fn client(&self) -> Option<&AuthKitClient> {
        self.client.as_ref()
    }

    /// Goes to the hosted sign-in page.
    pub fn sign_in(&self, options: SignInOptions) -> Result<(), AuthKitError> {
        self.client
            .as_ref()
            .ok_or(AuthKitError::LoginRequired)?
            .sign_in(options)
    }

    /// Goes to the hosted sign-up page.
    pub fn sign_up(&self, options: SignInOptions) -> Result<(), AuthKitError> {
        self.client
            .as_ref()
            .ok_or(AuthKitError::LoginRequired)?
            .sign_up(options)
    }

    /// Signs out and goes to AuthKit's logout (then to `return_to`).
    pub fn sign_out(
        &self,
        return_to: Option<String>,
    ) -> impl Future<Output = Result<(), AuthKitError>> + 'static {
        self.sign_out_with(SignOutOptions {
            return_to,
            navigate: true,
        })
    }

    /// Signs out with options: `navigate: false` ends the session in the background (AuthKit's
    /// logout is called, the page stays), as authkit-react's `signOut({ navigate: false })`.
    pub fn sign_out_with(
        &self,
        options: SignOutOptions,
    ) -> impl Future<Output = Result<(), AuthKitError>> + 'static {
        let client = self.client.clone();
        async move {
            client
                .ok_or(AuthKitError::NoSession)?
                .sign_out(options.return_to.as_deref(), options.navigate)
                .await
        }
    }

    /// The hosted sign-in page's URL, for a link (authkit-react's `getSignInUrl`). Building it
    /// stores this tab's PKCE verifier, so only the latest URL can complete.
    pub fn sign_in_url(&self, options: SignInOptions) -> Result<String, AuthKitError> {
        self.client
            .as_ref()
            .ok_or(AuthKitError::LoginRequired)?
            .sign_in_url(&options, false)
    }

    /// The hosted sign-up page's URL (authkit-react's `getSignUpUrl`).
    pub fn sign_up_url(&self, options: SignInOptions) -> Result<String, AuthKitError> {
        self.client
            .as_ref()
            .ok_or(AuthKitError::LoginRequired)?
            .sign_in_url(&options, true)
    }

    /// An access token (see [`AuthKitClient::get_access_token`]). Calling it never re-renders.
    pub fn get_access_token(
        &self,
        force_refresh: bool,
    ) -> impl Future<Output = Result<String, AuthKitError>> + 'static {
        let client = self.client.clone();
        async move {
            client
                .ok_or(AuthKitError::LoginRequired)?
                .get_access_token(force_refresh)
                .await
        }
    }

    /// Moves the session to another organization; when AuthKit refuses, goes to the hosted
    /// sign-in for it (see [`AuthKitClient::switch_to_organization`]).
    pub fn switch_to_organization(
        &self,
        organization_id: &str,
    ) -> impl Future<Output = Result<SwitchOutcome, AuthKitError>> + 'static {
        self.switch_to_organization_with(organization_id, SwitchOptions::default())
    }

    /// [`switch_to_organization`](Self::switch_to_organization) with sign-in options for the
    /// redirect, or none.
    pub fn switch_to_organization_with(
        &self,
        organization_id: &str,
        options: SwitchOptions,
    ) -> impl Future<Output = Result<SwitchOutcome, AuthKitError>> + 'static {
        let client = self.client.clone();
        let organization_id = organization_id.to_owned();
        async move {
            client
                .ok_or(AuthKitError::LoginRequired)?
                .switch_to_organization_with(&organization_id, options)
                .await
        }
    }
}

/// The AuthKit session and its actions.
///
/// ```no_run
/// use convex_yew::use_auth;
/// use yew::prelude::*;
/// #[component]
/// fn Account() -> Html {
///     let auth = use_auth();
///     if auth.is_loading {
///         return html! { "…" };
///     }
///     let sign_out = {
///         let auth = auth.clone();
///         Callback::from(move |_| {
///             let done = auth.sign_out(Some("https://app.example.com/".into()));
///             wasm_bindgen_futures::spawn_local(async move { let _ = done.await; });
///         })
///     };
///     match auth.user() {
///         Some(user) => html! {
///             <p>{ format!("{} ({})", user.email, auth.role().unwrap_or_default()) }
///                <button onclick={sign_out}>{ "Sign out" }</button></p>
///         },
///         None => html! { <p>{ "Signed out" }</p> },
///     }
/// }
/// ```
///
/// # Panics
/// Outside an [`AuthKitProvider`] (a programming error, as authkit-react throws).
#[hook]
pub fn use_auth() -> UseAuth {
    let ctx = use_sdk_context()
        .authkit
        .expect("use_auth must be used within an AuthKitProvider");
    UseAuth {
        is_loading: ctx.is_loading,
        error: ctx.error.clone(),
        snapshot: ctx.snapshot.clone(),
        client: ctx.client.clone(),
    }
}
