//! What the AuthKit side makes of a user: random ids in WorkOS's alphabet, password hashes,
//! the display name tokens carry, and the user object WorkOS returns.

use rand::Rng;
use serde_json::{json, Value as JsonValue};
use sha2::{Digest, Sha256};

use crate::storage::UserRow;

/// `len` random characters of Crockford's base32, as WorkOS ids are made of.
pub(super) fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

pub(super) fn hash_password(password: &str) -> String {
    // A dev tool's users: salted SHA-256 is enough to keep plain passwords out of the file.
    Sha256::digest(format!("convex-dev-backend:{password}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// First and last name, the first name alone, or the email.
pub(super) fn display_name(user: &UserRow) -> String {
    match (&user.first_name, &user.last_name) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(f), None) => f.clone(),
        _ => user.email.clone(),
    }
}

/// The `user` object of an authenticate response.
pub(super) fn user_json(user: &UserRow) -> JsonValue {
    json!({
        "object": "user",
        "id": user.id,
        "email": user.email,
        "email_verified": true,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "name": display_name(user),
        "profile_picture_url": null,
        // Stable across refreshes, as WorkOS reports it.
        "last_sign_in_at": user.created_at,
        "external_id": null,
        "metadata": {},
        "locale": null,
        "created_at": user.created_at,
        "updated_at": user.created_at,
    })
}
