//! [`AuthSnapshot`]: what the app sees of the session.

use super::claims::Claims;
use super::session::{AuthResponse, Impersonator, User};

/// What the app sees of the session (all derived from the last authenticate response and the
/// access token's claims). Compared by value, so unchanged refreshes re-render nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuthSnapshot {
    /// The signed-in user.
    pub user: Option<User>,
    /// The session's organization.
    pub organization_id: Option<String>,
    /// The session id (the access token's `sid`; authkit-react's `sessionId`).
    pub session_id: Option<String>,
    /// The membership's role.
    pub role: Option<String>,
    /// The membership's roles.
    pub roles: Option<Vec<String>>,
    /// Permissions.
    pub permissions: Vec<String>,
    /// Feature flags.
    pub feature_flags: Vec<String>,
    /// Set during impersonation.
    pub impersonator: Option<Impersonator>,
    /// How the user signed in.
    pub authentication_method: Option<String>,
}

impl AuthSnapshot {
    /// The snapshot of a signed-in session.
    pub fn of(response: &AuthResponse, claims: &Claims) -> AuthSnapshot {
        AuthSnapshot {
            user: Some(response.user.clone()),
            organization_id: response
                .organization_id
                .clone()
                .or_else(|| claims.org_id.clone()),
            session_id: claims.sid.clone(),
            role: claims.role.clone(),
            roles: claims.roles.clone(),
            permissions: claims.permissions.clone(),
            feature_flags: claims.feature_flags.clone(),
            impersonator: response.impersonator.clone(),
            authentication_method: response.authentication_method.clone(),
        }
    }
}
