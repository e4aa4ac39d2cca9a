//! Components that render their children only in one auth state.
//!
//! ```no_run
//! use convex_yew::yew::{AuthLoading, AuthRefreshing, Authenticated, Unauthenticated};
//! use yew::prelude::*;
//! #[component]
//! fn Body() -> Html {
//!     html! {
//!         <>
//!             <AuthLoading><p>{ "Loading…" }</p></AuthLoading>
//!             <Unauthenticated><p>{ "Please sign in" }</p></Unauthenticated>
//!             <Authenticated><p>{ "Hello!" }</p></Authenticated>
//!             <AuthRefreshing><p>{ "Reconnecting your session…" }</p></AuthRefreshing>
//!         </>
//!     }
//! }
//! ```

use yew::prelude::*;

use super::convex_auth::use_convex_auth;

/// Props of the gates.
#[derive(Properties, PartialEq)]
pub struct GateProps {
    /// What to show in that state.
    pub children: Html,
}

/// Renders its children once the server confirmed the user's token.
#[component]
pub fn Authenticated(props: &GateProps) -> Html {
    let auth = use_convex_auth();
    if !auth.is_loading && auth.is_authenticated {
        props.children.clone()
    } else {
        Html::default()
    }
}

/// Renders its children when auth is settled and there is no confirmed user.
#[component]
pub fn Unauthenticated(props: &GateProps) -> Html {
    let auth = use_convex_auth();
    if !auth.is_loading && !auth.is_authenticated {
        props.children.clone()
    } else {
        Html::default()
    }
}

/// Renders its children while auth is not known yet (restoring a session, waiting for the
/// server), so nothing flashes "signed out" on reload.
#[component]
pub fn AuthLoading(props: &GateProps) -> Html {
    if use_convex_auth().is_loading {
        props.children.clone()
    } else {
        Html::default()
    }
}

/// Renders its children while a rejected token is being replaced.
#[component]
pub fn AuthRefreshing(props: &GateProps) -> Html {
    let auth = use_convex_auth();
    if auth.is_authenticated && auth.is_refreshing {
        props.children.clone()
    } else {
        Html::default()
    }
}
