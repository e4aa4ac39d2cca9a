//! Components that render their children only in one auth state. Outside a Convex auth
//! provider they render a message saying so (and log it), never panic.
//!
//! ```no_run
//! use convex_yew::{AuthLoading, AuthRefreshing, Authenticated, Unauthenticated};
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

use convex_yew_core::convex_auth::ConvexAuthState;
use yew::prelude::*;

use crate::runtime::browser::{self, Level};

/// The auth state a gate reads; outside a provider, the message the gate renders instead
/// (and logs once): a gate in the wrong place says so rather than panicking, as
/// yew-oauth2's components do.
#[hook]
fn use_gate(gate: &'static str) -> Result<ConvexAuthState, Html> {
    let auth = super::context::use_sdk_context().auth;
    let logged = use_mut_ref(|| false);
    if auth.is_none() && !std::mem::replace(&mut *logged.borrow_mut(), true) {
        browser::log(
            Level::Error,
            &format!("[convex-yew] {}", missing_provider(gate)),
        );
    }
    auth.ok_or_else(|| {
        html! { <p class="convex-yew-missing-provider" role="alert">{ missing_provider(gate) }</p> }
    })
}

fn missing_provider(gate: &str) -> String {
    format!("<{gate}> must be inside <ConvexProviderWithAuthKit> or <ConvexProviderWithAuth>")
}

/// Props of the gates.
#[derive(Properties, PartialEq)]
pub struct GateProps {
    /// What to show in that state.
    pub children: Html,
}

/// Renders its children once the server confirmed the user's token.
#[component]
pub fn Authenticated(props: &GateProps) -> Html {
    let auth = match use_gate("Authenticated") {
        Ok(auth) => auth,
        Err(message) => return message,
    };
    if !auth.is_loading && auth.is_authenticated {
        props.children.clone()
    } else {
        Html::default()
    }
}

/// Renders its children when auth is settled and there is no confirmed user.
#[component]
pub fn Unauthenticated(props: &GateProps) -> Html {
    let auth = match use_gate("Unauthenticated") {
        Ok(auth) => auth,
        Err(message) => return message,
    };
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
    let auth = match use_gate("AuthLoading") {
        Ok(auth) => auth,
        Err(message) => return message,
    };
    if auth.is_loading {
        props.children.clone()
    } else {
        Html::default()
    }
}

/// Renders its children while a rejected token is being replaced.
#[component]
pub fn AuthRefreshing(props: &GateProps) -> Html {
    let auth = match use_gate("AuthRefreshing") {
        Ok(auth) => auth,
        Err(message) => return message,
    };
    if auth.is_authenticated && auth.is_refreshing {
        props.children.clone()
    } else {
        Html::default()
    }
}
