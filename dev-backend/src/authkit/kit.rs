//! The AuthKit stand-in's state: its client, signing key, storage, the sign-in codes waiting
//! to be exchanged; and what it issues: codes, sessions, refresh tokens and access tokens.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value as JsonValue};

use crate::clock::now_secs;
use crate::controls::Controls;
use crate::jwt::KeyPair;
use crate::storage::{SessionRow, Storage, StorageError, UserRow};

use super::redirect::redirect_allowed;
use super::seed::{feature_flags, memberships, seed_users};
use super::users::{display_name, random_id};

/// A sign-in code waiting for its exchange.
pub(super) struct PendingCode {
    pub(super) user_id: String,
    pub(super) organization_id: Option<String>,
    /// The PKCE S256 challenge the verifier must match.
    pub(super) challenge: String,
    pub(super) client_id: String,
    pub(super) expires: Instant,
}

/// The AuthKit stand-in.
pub struct AuthKit {
    /// The client id apps must use.
    pub client_id: String,
    /// This server's own base URL, e.g. `http://127.0.0.1:3210`.
    pub base_url: String,
    /// Exact redirect URIs allowed besides any loopback URL.
    pub extra_redirect_uris: Vec<String>,
    keys: KeyPair,
    pub(super) storage: Arc<Storage>,
    codes: Mutex<HashMap<String, PendingCode>>,
    pub(super) controls: Arc<Controls>,
}

/// The issuer of access tokens: WorkOS's `.../user_management/<client_id>` form.
pub fn issuer(base_url: &str, client_id: &str) -> String {
    format!("{base_url}/user_management/{client_id}")
}

impl AuthKit {
    /// Sets up the AuthKit side: the signing key (made once and kept in storage) and the
    /// seeded users.
    pub fn new(
        client_id: String,
        base_url: String,
        extra_redirect_uris: Vec<String>,
        storage: Arc<Storage>,
        controls: Arc<Controls>,
    ) -> Result<AuthKit, StorageError> {
        use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
        let private = match storage
            .get("authkit_signing_key")?
            .and_then(|pem| rsa::RsaPrivateKey::from_pkcs8_pem(&pem).ok())
        {
            Some(k) => k,
            None => {
                let k = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
                    .map_err(|e| StorageError::Io(std::io::Error::other(e.to_string())))?;
                if let Ok(pem) = k.to_pkcs8_pem(LineEnding::LF) {
                    storage.set("authkit_signing_key", &pem)?;
                }
                k
            }
        };
        seed_users(&storage)?;
        Ok(AuthKit {
            client_id,
            base_url,
            extra_redirect_uris,
            keys: KeyPair::new(private),
            storage,
            codes: Mutex::new(HashMap::new()),
            controls,
        })
    }

    /// The JWKS document.
    pub fn jwks(&self) -> JsonValue {
        json!({"keys": [self.keys.jwk()]})
    }

    /// Mints an access token for a session.
    pub fn access_token(&self, user: &UserRow, session: &SessionRow) -> String {
        self.access_token_with_lifetime(
            user,
            session,
            self.controls.token_lifetime.load(Ordering::SeqCst),
        )
    }

    pub(super) fn access_token_with_lifetime(
        &self,
        user: &UserRow,
        session: &SessionRow,
        lifetime: u64,
    ) -> String {
        let iat = now_secs();
        let mut claims = json!({
            "iss": issuer(&self.base_url, &self.client_id),
            "sub": user.id,
            "sid": session.id,
            "jti": random_id(26),
            "iat": iat,
            "exp": iat + lifetime,
            // As a WorkOS JWT template adding the profile: Convex functions see them.
            "name": display_name(user),
            "email": user.email,
            "feature_flags": feature_flags(&user.email),
        });
        if let Some(org) = &session.organization_id {
            if let Some(m) = memberships(&user.email).iter().find(|m| m.org == org) {
                claims["org_id"] = json!(org);
                claims["role"] = json!(m.role);
                claims["roles"] = json!([m.role]);
                claims["permissions"] = json!(m.permissions);
            }
        }
        self.keys.sign(&claims)
    }

    pub(super) fn redirect_allowed(&self, uri: &str) -> bool {
        redirect_allowed(uri, &self.extra_redirect_uris)
    }

    /// Keeps a sign-in code until it is used or expires; expired ones are dropped here, and
    /// past [`MAX_PENDING_CODES`] the oldest go, so abandoned sign-ins cannot pile up.
    fn remember_code(&self, code: String, pending: PendingCode) {
        let mut codes = self.codes.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        codes.retain(|_, p| p.expires > now);
        while codes.len() >= MAX_PENDING_CODES {
            let oldest = codes
                .iter()
                .min_by_key(|(_, p)| p.expires)
                .map(|(c, _)| c.clone());
            match oldest {
                Some(c) => codes.remove(&c),
                None => break,
            };
        }
        codes.insert(code, pending);
    }

    /// Issues a sign-in code for `user_id`, good for ten minutes, to be exchanged with the
    /// verifier of `challenge`.
    pub(super) fn issue_code(
        &self,
        user_id: String,
        organization_id: Option<String>,
        challenge: String,
    ) -> String {
        let code = random_id(32);
        self.remember_code(
            code.clone(),
            PendingCode {
                user_id,
                organization_id,
                challenge,
                client_id: self.client_id.clone(),
                expires: Instant::now() + Duration::from_secs(600),
            },
        );
        code
    }

    /// Takes a sign-in code out, whether or not it is still good: codes are single use.
    pub(super) fn take_code(&self, code: &str) -> Option<PendingCode> {
        self.codes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(code)
    }

    /// Starts and stores a session.
    pub(super) fn start_session(
        &self,
        user_id: &str,
        organization_id: Option<String>,
    ) -> Result<SessionRow, StorageError> {
        let session = SessionRow {
            id: format!("session_{}", random_id(26)),
            user_id: user_id.to_string(),
            organization_id,
            revoked: false,
        };
        self.storage.insert_session(&session)?;
        Ok(session)
    }

    /// Issues and stores a refresh token of a session.
    pub(super) fn new_refresh_token(&self, session_id: &str) -> Result<String, StorageError> {
        let refresh_token = random_id(40);
        self.storage
            .insert_refresh_token(&refresh_token, session_id)?;
        Ok(refresh_token)
    }

    /// How many sign-in codes wait to be exchanged.
    pub fn pending_codes(&self) -> usize {
        self.codes.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// The most sign-in codes kept waiting for their exchange.
pub const MAX_PENDING_CODES: usize = 10_000;

#[cfg(test)]
mod pending_code_tests {
    use super::*;

    fn pending(expires: Instant) -> PendingCode {
        PendingCode {
            user_id: "user_1".into(),
            organization_id: None,
            challenge: "c".into(),
            client_id: "client_local_dev".into(),
            expires,
        }
    }

    #[test]
    fn abandoned_sign_in_codes_cannot_pile_up() {
        let storage = Arc::new(Storage::open(None).unwrap());
        let a = AuthKit::new(
            "client_local_dev".into(),
            "http://127.0.0.1:1".into(),
            vec![],
            storage,
            Arc::new(Controls::new(300)),
        )
        .unwrap();
        let now = Instant::now();
        // Expired codes go at the next insert.
        for i in 0..100 {
            a.remember_code(format!("old{i}"), pending(now - Duration::from_secs(1)));
        }
        a.remember_code("fresh".into(), pending(now + Duration::from_secs(600)));
        assert_eq!(a.pending_codes(), 1);
        // Live ones are capped; the oldest go first.
        for i in 0..MAX_PENDING_CODES + 10 {
            a.remember_code(
                format!("c{i}"),
                pending(now + Duration::from_secs(601 + i as u64)),
            );
        }
        assert_eq!(a.pending_codes(), MAX_PENDING_CODES);
        let codes = a.codes.lock().unwrap();
        assert!(
            !codes.contains_key("fresh")
                && codes.contains_key(&format!("c{}", MAX_PENDING_CODES + 9))
        );
    }
}
