//! The bridge between an auth provider and the Convex client: Convex's
//! `ConvexProviderWithAuth` rules as a sans-IO type, [`AuthLink`], driven by the Yew provider
//! and by the native model test alike, and the AuthKit adapter ([`token_fetch`],
//! [`authkit_identity`]).
//!
//! On every render the provider hands [`AuthLink::update`] what the auth provider says now
//! ([`AuthInput`]: loading, signed in, who, the Convex client and the token fetcher) and
//! carries out the [`LinkAction`]s it returns; the client's callbacks come back through
//! [`AuthLink::server_said`] and [`AuthLink::refreshing`], and [`AuthLink::state`] is what
//! `use_convex_auth` shows. The rules, all here:
//!
//! - `set_auth` runs when the provider signs in, and again for a new client or a new fetcher
//!   (a new token source: `is_loading` until the server confirms). Callbacks of an earlier
//!   `set_auth` are ignored by their generation.
//! - A new identity behind the same client and fetcher (an organization switch, another user
//!   or session adopted from another tab) re-authenticates the socket at once
//!   ([`LinkAction::Reauthenticate`]), without a loading phase: `is_authenticated` does not
//!   flicker. The official provider waits for the scheduled refetch (up to the token's
//!   lifetime), authorizing every function against the old identity meanwhile.
//! - A client that is signed out of, or replaced, must not stay authenticated: its
//!   `clear_auth` is deferred until the children rendered with it have unmounted
//!   ([`LinkAction::ClearAuth`]), and skipped if it was authenticated again meanwhile
//!   ([`AuthLink::clear_is_due`]).
//! - `is_loading` while the provider loads or the server has not answered;
//!   `is_authenticated` only once the server confirmed the token.
//!
//! ```
//! use convex_yew_core::convex_auth::{AuthInput, AuthLink, LinkAction};
//!
//! // Any client and fetcher type with an identity: the Yew provider uses its ConvexClient and
//! // TokenFetcher handles; here, numbers.
//! let mut link = AuthLink::<u32, u32>::new();
//! let signed_in = |identity: &str| AuthInput {
//!     is_loading: false,
//!     is_authenticated: true,
//!     identity: Some(identity.to_owned()),
//!     client: 1,
//!     fetcher: 7,
//! };
//! let actions = link.update(&signed_in("user_1|org_a"));
//! let [LinkAction::SetAuth { generation, .. }] = actions.as_slice() else { panic!() };
//! assert!(link.state(&signed_in("user_1|org_a")).is_loading);
//! link.server_said(*generation, true);
//! assert!(link.state(&signed_in("user_1|org_a")).is_authenticated);
//! // An organization switch: the same client re-authenticates at once, no loading phase.
//! let actions = link.update(&signed_in("user_1|org_b"));
//! assert_eq!(actions, [LinkAction::Reauthenticate { client: 1 }]);
//! assert!(link.state(&signed_in("user_1|org_b")).is_authenticated);
//! ```

use crate::authkit::{AuthKitError, AuthSnapshot};
use crate::sync::TokenFetch;

/// What the auth provider says at one render.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthInput<C, F> {
    /// The provider is still restoring its session.
    pub is_loading: bool,
    /// The provider has a signed-in user.
    pub is_authenticated: bool,
    /// Who the provider's tokens speak for, as a key that changes whenever that changes
    /// (subject, organization, session: see [`authkit_identity`]); `None` when the provider
    /// cannot tell (no re-authentication then, only the scheduled refetches).
    pub identity: Option<String>,
    /// The Convex client.
    pub client: C,
    /// The token fetcher (its identity is what re-runs `set_auth`).
    pub fetcher: F,
}

/// What the server said of the current token source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerAuth {
    /// Nothing yet (or the provider went back to loading).
    #[default]
    Unknown,
    /// The server confirmed a token.
    Confirmed,
    /// The server refused, or auth ended.
    Refused,
}

/// What the provider must do after [`AuthLink::update`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkAction<C, F> {
    /// Call `client.set_auth` with `fetcher`, reporting its callbacks with `generation`
    /// ([`AuthLink::server_said`], [`AuthLink::refreshing`]).
    SetAuth {
        /// The client.
        client: C,
        /// The token fetcher.
        fetcher: F,
        /// The generation its callbacks carry.
        generation: u64,
    },
    /// The identity changed behind the same client and fetcher: `client.reauthenticate()`.
    Reauthenticate {
        /// The client.
        client: C,
    },
    /// `client` must not stay authenticated: call `client.clear_auth()` once the children
    /// rendered with it have unmounted (after this render), if
    /// [`AuthLink::clear_is_due`] still says so then.
    ClearAuth {
        /// The client.
        client: C,
    },
}

/// `use_convex_auth`'s answer (Convex's `useConvexAuth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConvexAuthState {
    /// Not known yet: the auth provider is loading, or the server has not answered.
    pub is_loading: bool,
    /// The provider has a user and the Convex server confirmed the token.
    pub is_authenticated: bool,
    /// A rejected token is being replaced.
    pub is_refreshing: bool,
}

/// The client and fetcher auth was set on, and the identity the source had then.
#[derive(Debug, Clone)]
struct Bound<C, F> {
    client: C,
    fetcher: F,
    identity: Option<String>,
}

/// The provider's side of auth, without I/O. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct AuthLink<C, F> {
    /// What `set_auth` was last called with, while signed in.
    bound: Option<Bound<C, F>>,
    /// Bumped whenever `bound` changes: older callbacks are ignored.
    generation: u64,
    server: ServerAuth,
    refreshing: bool,
    /// The client last told the user is anonymous (a `clear_auth`), so a client that expects
    /// auth starts its queries.
    told_anonymous: Option<C>,
}

impl<C, F> Default for AuthLink<C, F> {
    fn default() -> Self {
        AuthLink {
            bound: None,
            generation: 0,
            server: ServerAuth::Unknown,
            refreshing: false,
            told_anonymous: None,
        }
    }
}

impl<C: Clone + PartialEq, F: Clone + PartialEq> AuthLink<C, F> {
    /// A link that has applied nothing yet.
    pub fn new() -> Self {
        AuthLink::default()
    }

    /// The provider rendered with `input`: brings the Convex client in line with it.
    pub fn update(&mut self, input: &AuthInput<C, F>) -> Vec<LinkAction<C, F>> {
        if input.is_loading {
            self.server = ServerAuth::Unknown;
        } else if !input.is_authenticated {
            self.server = ServerAuth::Refused;
        }
        let mut actions = Vec::new();
        let same_source = self.bound.as_ref().is_some_and(|a| {
            input.is_authenticated && a.client == input.client && a.fetcher == input.fetcher
        });
        if same_source {
            let applied = self.bound.as_mut().expect("checked above");
            if applied.identity != input.identity {
                applied.identity = input.identity.clone();
                actions.push(LinkAction::Reauthenticate {
                    client: input.client.clone(),
                });
            }
            return actions;
        }
        let anonymous = !input.is_loading && !input.is_authenticated;
        if self.bound.is_none() && !input.is_authenticated {
            // Settled signed out: a client that expects auth (and holds its queries) is told
            // the user is anonymous, once.
            if anonymous && self.told_anonymous.as_ref() != Some(&input.client) {
                self.told_anonymous = Some(input.client.clone());
                actions.push(LinkAction::ClearAuth {
                    client: input.client.clone(),
                });
            }
            return actions;
        }
        if let Some(old) = self.bound.take() {
            let kept = input.is_authenticated && old.client == input.client;
            if !kept {
                if old.client == input.client && anonymous {
                    self.told_anonymous = Some(old.client.clone());
                }
                actions.push(LinkAction::ClearAuth { client: old.client });
            }
            if anonymous && self.told_anonymous.as_ref() != Some(&input.client) {
                self.told_anonymous = Some(input.client.clone());
                actions.push(LinkAction::ClearAuth {
                    client: input.client.clone(),
                });
            }
        }
        self.generation += 1;
        self.refreshing = false;
        if input.is_authenticated {
            self.told_anonymous = None;
            actions.push(LinkAction::SetAuth {
                client: input.client.clone(),
                fetcher: input.fetcher.clone(),
                generation: self.generation,
            });
            if self.server == ServerAuth::Confirmed {
                // A new token source: wait for the server again.
                self.server = ServerAuth::Unknown;
            }
            self.bound = Some(Bound {
                client: input.client.clone(),
                fetcher: input.fetcher.clone(),
                identity: input.identity.clone(),
            });
        }
        actions
    }

    /// The provider unmounts: the client it authenticated must not stay authenticated (a
    /// [`LinkAction::ClearAuth`] to run at once), and later callbacks are ignored.
    pub fn unmount(&mut self) -> Vec<LinkAction<C, F>> {
        self.generation += 1;
        self.server = ServerAuth::Unknown;
        self.refreshing = false;
        self.bound
            .take()
            .map(|a| LinkAction::ClearAuth { client: a.client })
            .into_iter()
            .collect()
    }

    /// The client's `on_change` callback of `generation` fired. Returns whether the state
    /// changed (a stale generation changes nothing).
    pub fn server_said(&mut self, generation: u64, is_authenticated: bool) -> bool {
        if generation != self.generation || self.bound.is_none() {
            return false;
        }
        let server = if is_authenticated {
            ServerAuth::Confirmed
        } else {
            ServerAuth::Refused
        };
        std::mem::replace(&mut self.server, server) != server
    }

    /// The client's `on_refreshing` callback of `generation` fired. Returns whether the state
    /// changed.
    pub fn refreshing(&mut self, generation: u64, refreshing: bool) -> bool {
        if generation != self.generation || self.bound.is_none() {
            return false;
        }
        std::mem::replace(&mut self.refreshing, refreshing) != refreshing
    }

    /// Whether a deferred [`LinkAction::ClearAuth`] of `client` must still run: false when
    /// that client was authenticated again meanwhile.
    pub fn clear_is_due(&self, client: &C) -> bool {
        self.bound.as_ref().is_none_or(|a| a.client != *client)
    }

    /// What the server said of the current token source.
    pub fn server(&self) -> ServerAuth {
        self.server
    }

    /// `use_convex_auth`'s answer for the provider's current `input`.
    pub fn state(&self, input: &AuthInput<C, F>) -> ConvexAuthState {
        let confirmed = input.is_authenticated && self.server == ServerAuth::Confirmed;
        ConvexAuthState {
            is_loading: self.server == ServerAuth::Unknown,
            is_authenticated: confirmed,
            is_refreshing: confirmed && self.refreshing,
        }
    }
}

/// Maps `get_access_token`'s answer for the Convex client: a token; "signed out" only when
/// the session is really over; anything that may pass (a transient refresh failure, a
/// disposed client whose successor will set auth again) keeps the server's identity and
/// retries.
pub fn token_fetch(result: Result<String, AuthKitError>) -> TokenFetch {
    match result {
        Ok(token) => TokenFetch::Token(token),
        Err(AuthKitError::LoginRequired | AuthKitError::NoSession) => TokenFetch::SignedOut,
        Err(_) => TokenFetch::Transient,
    }
}

/// The identity key of an AuthKit session for [`AuthInput::identity`]: its user, organization
/// and session id. `None` when signed out.
pub fn authkit_identity(snapshot: &AuthSnapshot) -> Option<String> {
    let user = &snapshot.user.as_ref()?.id;
    let org = snapshot.organization_id.as_deref().unwrap_or("");
    let sid = snapshot.session_id.as_deref().unwrap_or("");
    // The unit separator cannot appear in WorkOS ids.
    Some(format!("{user}\u{1f}{org}\u{1f}{sid}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authkit::RefreshError;

    fn input(
        loading: bool,
        signed_in: bool,
        who: &str,
        client: u32,
        fetcher: u32,
    ) -> AuthInput<u32, u32> {
        AuthInput {
            is_loading: loading,
            is_authenticated: signed_in,
            identity: signed_in.then(|| who.to_owned()),
            client,
            fetcher,
        }
    }

    #[test]
    fn only_an_ended_session_signs_out() {
        assert_eq!(
            token_fetch(Err(AuthKitError::LoginRequired)),
            TokenFetch::SignedOut
        );
        for e in [
            AuthKitError::Refresh(RefreshError::LockTimeout),
            AuthKitError::Refresh(RefreshError::Network("x".into())),
            AuthKitError::Disposed,
        ] {
            assert_eq!(token_fetch(Err(e)), TokenFetch::Transient);
        }
        assert_eq!(token_fetch(Ok("t".into())), TokenFetch::Token("t".into()));
    }

    #[test]
    fn loading_then_signed_in_then_confirmed() {
        let mut link = AuthLink::new();
        let loading = input(true, false, "", 1, 1);
        assert!(link.update(&loading).is_empty());
        assert_eq!(
            link.state(&loading),
            ConvexAuthState {
                is_loading: true,
                ..Default::default()
            }
        );
        let a = input(false, true, "u|o|s", 1, 1);
        let actions = link.update(&a);
        assert_eq!(
            actions,
            [LinkAction::SetAuth {
                client: 1,
                fetcher: 1,
                generation: 1
            }]
        );
        assert!(link.state(&a).is_loading);
        assert!(!link.server_said(0, true), "a stale generation");
        assert!(link.server_said(1, true));
        assert!(!link.server_said(1, true), "no change");
        assert!(link.state(&a).is_authenticated);
        assert!(link.update(&a).is_empty(), "a re-render changes nothing");
        assert!(link.refreshing(1, true));
        assert!(link.state(&a).is_refreshing);
    }

    #[test]
    fn a_new_identity_reauthenticates_without_a_loading_phase() {
        let mut link = AuthLink::new();
        link.update(&input(false, true, "u|org_a|s", 1, 1));
        link.server_said(1, true);
        let b = input(false, true, "u|org_b|s", 1, 1);
        assert_eq!(link.update(&b), [LinkAction::Reauthenticate { client: 1 }]);
        let s = link.state(&b);
        assert!(s.is_authenticated && !s.is_loading);
        assert!(link.update(&b).is_empty());
        assert!(!link.server_said(1, true), "the generation is unchanged");
    }

    #[test]
    fn a_new_client_clears_the_old_one_and_waits_for_the_server() {
        let mut link = AuthLink::new();
        link.update(&input(false, true, "u", 1, 1));
        link.server_said(1, true);
        let swapped = input(false, true, "u", 2, 1);
        assert_eq!(
            link.update(&swapped),
            [
                LinkAction::ClearAuth { client: 1 },
                LinkAction::SetAuth {
                    client: 2,
                    fetcher: 1,
                    generation: 2
                }
            ]
        );
        assert!(link.clear_is_due(&1));
        assert!(link.state(&swapped).is_loading);
        assert!(
            !link.server_said(1, false),
            "the old client's late callback"
        );
        // Back to the first client before the deferred clear ran: it is not cleared.
        link.update(&input(false, true, "u", 1, 1));
        assert!(!link.clear_is_due(&1));
    }

    #[test]
    fn a_new_fetcher_sets_auth_again_on_the_same_client_without_clearing() {
        let mut link = AuthLink::new();
        link.update(&input(false, true, "u", 1, 1));
        assert_eq!(
            link.update(&input(false, true, "u", 1, 2)),
            [LinkAction::SetAuth {
                client: 1,
                fetcher: 2,
                generation: 2
            }]
        );
    }

    #[test]
    fn signing_out_clears_and_ignores_late_callbacks() {
        let mut link = AuthLink::new();
        link.update(&input(false, true, "u", 1, 1));
        link.server_said(1, true);
        let out = input(false, false, "", 1, 1);
        assert_eq!(link.update(&out), [LinkAction::ClearAuth { client: 1 }]);
        assert_eq!(link.state(&out), ConvexAuthState::default());
        assert!(!link.server_said(1, true));
        assert!(!link.state(&out).is_authenticated);
        // Loading again (rare, but possible) hides the old answer.
        let loading = input(true, false, "", 1, 1);
        link.update(&loading);
        assert!(link.state(&loading).is_loading);
    }

    #[test]
    fn a_settled_signed_out_source_tells_the_client_once() {
        let mut link = AuthLink::new();
        assert!(
            link.update(&input(true, false, "", 1, 1)).is_empty(),
            "still loading"
        );
        let out = input(false, false, "", 1, 1);
        assert_eq!(link.update(&out), [LinkAction::ClearAuth { client: 1 }]);
        assert!(link.update(&out).is_empty(), "once");
        assert!(link.clear_is_due(&1));
        // Signing in and out again: one ClearAuth for the sign-out.
        link.update(&input(false, true, "u", 1, 1));
        assert_eq!(link.update(&out), [LinkAction::ClearAuth { client: 1 }]);
        // A new client while signed out is told too.
        assert_eq!(
            link.update(&input(false, false, "", 2, 1)),
            [LinkAction::ClearAuth { client: 2 }]
        );
    }

    #[test]
    fn unmounting_clears_the_authenticated_client() {
        let mut link = AuthLink::new();
        assert!(link.unmount().is_empty());
        link.update(&input(false, true, "u", 1, 1));
        assert_eq!(link.unmount(), [LinkAction::ClearAuth { client: 1 }]);
        assert!(!link.server_said(1, true));
        assert!(link.clear_is_due(&1));
    }

    #[test]
    fn the_identity_key_names_user_organization_and_session() {
        let user: crate::authkit::User =
            serde_json::from_str(r#"{"id":"user_1","email":"a@b.c"}"#).unwrap();
        let snapshot = AuthSnapshot {
            user: Some(user),
            organization_id: Some("org_a".into()),
            session_id: Some("session_1".into()),
            ..Default::default()
        };
        let a = authkit_identity(&snapshot);
        let b = authkit_identity(&AuthSnapshot {
            organization_id: Some("org_b".into()),
            ..snapshot.clone()
        });
        let c = authkit_identity(&AuthSnapshot {
            session_id: Some("session_2".into()),
            ..snapshot.clone()
        });
        assert!(a.is_some() && a != b && a != c);
        assert_eq!(authkit_identity(&AuthSnapshot::default()), None);
    }
}
