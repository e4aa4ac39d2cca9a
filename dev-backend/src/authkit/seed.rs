//! The users the AuthKit side starts with, and everything that is special about them, in one
//! table: their organization memberships (with roles and permissions) and the feature flags
//! their tokens carry. Users who sign up have neither.

use sha2::{Digest, Sha256};

use crate::clock::{now_secs, rfc3339};
use crate::storage::{Storage, StorageError, UserRow};

use super::users::hash_password;

/// An organization membership of a seeded user.
pub(super) struct Membership {
    pub(super) org: &'static str,
    pub(super) role: &'static str,
    pub(super) permissions: &'static [&'static str],
}

/// A user present from the start.
struct SeedUser {
    email: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    /// The first is where a sign-in lands when the request names no organization.
    memberships: &'static [Membership],
    /// The `feature_flags` claim of their access tokens.
    feature_flags: &'static [&'static str],
}

/// The password of every seeded user (the hosted page says so).
pub(super) const SEED_PASSWORD: &str = "password";

const SEED_USERS: &[SeedUser] = &[
    SeedUser {
        email: "ada@example.com",
        first_name: "Ada",
        last_name: "Lovelace",
        memberships: &[
            Membership {
                org: "org_acme",
                role: "admin",
                permissions: &["numbers:read", "numbers:write"],
            },
            Membership {
                org: "org_globex",
                role: "member",
                permissions: &["numbers:read"],
            },
        ],
        feature_flags: &["beta-ui"],
    },
    SeedUser {
        email: "grace@example.com",
        first_name: "Grace",
        last_name: "Hopper",
        memberships: &[],
        feature_flags: &[],
    },
];

/// Whom the test routes sign in when the request names no one.
pub(super) const DEFAULT_TEST_USER: &str = SEED_USERS[0].email;

/// The seeded users' emails, as the hosted page lists them.
pub(super) fn emails() -> Vec<&'static str> {
    SEED_USERS.iter().map(|u| u.email).collect()
}

/// The seeded user with exactly this email.
fn seeded(email: &str) -> Option<&'static SeedUser> {
    SEED_USERS.iter().find(|u| u.email == email)
}

/// The organizations of the user with this email (none for users who signed up).
pub(super) fn memberships(email: &str) -> &'static [Membership] {
    seeded(email).map_or(&[], |u| u.memberships)
}

/// The feature flags of the user with this email (none for users who signed up).
pub(super) fn feature_flags(email: &str) -> &'static [&'static str] {
    seeded(email).map_or(&[], |u| u.feature_flags)
}

/// Adds the seeded users that are not in storage yet; their ids derive from their emails,
/// so they are the same on every start.
pub(super) fn seed_users(storage: &Storage) -> Result<(), StorageError> {
    for user in SEED_USERS {
        storage.insert_user(&UserRow {
            id: format!("user_{}", stable_id(user.email)),
            email: user.email.into(),
            password_hash: hash_password(SEED_PASSWORD),
            first_name: Some(user.first_name.into()),
            last_name: Some(user.last_name.into()),
            created_at: rfc3339(now_secs()),
        })?;
    }
    Ok(())
}

fn stable_id(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    digest.iter().take(13).map(|b| format!("{b:02X}")).collect()
}
