//! [`AuthKitOptions`] and the shapes its callbacks receive, as authkit-js names them.

use std::rc::Rc;

use convex_yew_core::authkit::urls::{SignInOptions, SignInState};
use convex_yew_core::authkit::{
    AuthKitConfig, AuthSnapshot, Claims, RefreshError, Secret, SessionTimeouts,
};

/// What `on_redirect_callback` receives after a successful sign-in: the app's state and the
/// authentication result, as authkit-js passes `{ state, ...authenticationResponse }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RedirectParams {
    /// The `state` passed to `sign_in` (untrusted: check any return URL is same-origin); read
    /// it with [`SignInState::get`].
    pub state: Option<SignInState>,
    /// The session after sign-in (user, organization, role, permissions, impersonator).
    pub snapshot: AuthSnapshot,
    /// The new access token. `Debug` redacts it; never log [`Secret::expose`].
    pub access_token: Secret,
    /// The access token's payload, decoded (not verified: the server verifies it).
    pub claims: Claims,
}

/// Sends the page to a URL; false when it could not.
pub type Navigator = Rc<dyn Fn(&str) -> bool>;
/// A callback with the session and its new access token after a refresh.
pub type OnRefresh = Rc<dyn Fn(RefreshParams)>;

/// What `on_refresh` receives after every successful code exchange and refresh (authkit-js
/// passes the authentication response with its `accessToken`).
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshParams {
    /// The session after the refresh.
    pub snapshot: AuthSnapshot,
    /// The new access token. `Debug` redacts it; never log [`Secret::expose`].
    pub access_token: Secret,
}
/// A callback with a terminal refresh failure.
pub type OnRefreshFailure = Rc<dyn Fn(RefreshError)>;

/// Settings and callbacks of an [`AuthKitClient`](super::AuthKitClient).
#[derive(Clone)]
pub struct AuthKitOptions {
    /// Where AuthKit is and where users come back.
    pub config: AuthKitConfig,
    /// Lock and request timeouts.
    pub timeouts: SessionTimeouts,
    /// After a successful sign-in, with the app's state.
    pub on_redirect_callback: Option<Rc<dyn Fn(RedirectParams)>>,
    /// After every successful code exchange and refresh.
    pub on_refresh: Option<OnRefresh>,
    /// When a refresh fails for good (not for the first refresh after page load).
    pub on_refresh_failure: Option<OnRefreshFailure>,
    /// Asked before each automatic refresh; the default skips hidden tabs.
    pub on_before_auto_refresh: Option<Rc<dyn Fn() -> bool>>,
    /// Where the page goes for sign-in, sign-up and sign-out (default: `location.assign`).
    /// Return false when it could not go. Lets a router or a test take over.
    pub navigate: Option<Navigator>,
}

impl AuthKitOptions {
    /// Options with no callbacks and the default timeouts.
    pub fn new(config: AuthKitConfig) -> AuthKitOptions {
        AuthKitOptions {
            config,
            timeouts: SessionTimeouts::default(),
            on_redirect_callback: None,
            on_refresh: None,
            on_refresh_failure: None,
            on_before_auto_refresh: None,
            navigate: None,
        }
    }
}

/// How [`AuthKitClient::switch_to_organization_with`](super::AuthKitClient::switch_to_organization_with) handles a session that cannot switch.
#[derive(Debug, Clone, Default)]
pub struct SwitchOptions {
    /// Options of the sign-in it redirects to (its organization is set to the target).
    pub sign_in: SignInOptions,
    /// Return [`AuthKitError::OrganizationRefused`](convex_yew_core::authkit::AuthKitError::OrganizationRefused) instead of redirecting.
    pub no_redirect: bool,
}

/// What a switch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwitchOutcome {
    /// The session is now in the organization.
    Switched,
    /// The session could not switch (for instance, the organization needs another sign-in
    /// method); the page is going to the hosted sign-in for that organization.
    SigningIn,
}
