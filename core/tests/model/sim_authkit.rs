//! A simulated AuthKit API: sign-in codes with PKCE, single-use refresh tokens with reuse
//! detection (RFC 9700: a rotated-out token presented again revokes the session),
//! organization memberships, logout, two users, and access tokens with the world's lifetime
//! whose claims come in every shape a real deployment may send (odd types on claims the
//! session does not need; now and then, when asked, a token without a usable `exp` or `sid`).

use std::collections::{BTreeMap, BTreeSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

pub const USERS: [&str; 2] = ["user_1", "user_2"];
pub const USER: &str = USERS[0];
pub const MEMBER_ORGS: [&str; 2] = ["org_a", "org_b"];

#[derive(Debug, Clone)]
struct Session {
    user: String,
    revoked: bool,
    org: Option<String>,
}

#[derive(Debug)]
pub struct SimAuthKit {
    sessions: BTreeMap<String, Session>,
    /// refresh token -> (session, still valid)
    refresh_tokens: BTreeMap<String, (String, bool)>,
    codes: BTreeMap<String, (String, String)>, // code -> (challenge, user)
    /// Access tokens it issued (the Convex server trusts exactly these, until `exp`).
    pub issued: BTreeSet<String>,
    next: u64,
    /// Access token lifetime (`exp - iat`), seconds.
    pub lifetime_secs: u64,
    /// The next this many grants carry a token the session cannot use (no `exp`, or no `sid`).
    pub broken_next: u32,
    /// Sessions revoked by reuse detection (the model checks a correct client never does that).
    pub reuse_detected: u32,
    /// Refreshes refused because their session was signed out: a legitimate end for any tab
    /// that had adopted that session through the shared storage.
    pub refused_signed_out: u32,
}

impl SimAuthKit {
    pub fn new(lifetime_secs: u64) -> SimAuthKit {
        SimAuthKit {
            sessions: BTreeMap::new(),
            refresh_tokens: BTreeMap::new(),
            codes: BTreeMap::new(),
            issued: BTreeSet::new(),
            next: 0,
            lifetime_secs,
            broken_next: 0,
            reuse_detected: 0,
            refused_signed_out: 0,
        }
    }
}

pub fn jwt(claims: &Json) -> String {
    format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

pub fn claims_of(token: &str) -> Option<Json> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// The identity a token speaks for, as the Convex server and the model compare it:
/// `sub|org|sid` from its claims, read as a lenient server would.
pub fn identity_of(claims: &Json) -> String {
    let s = |k: &str| claims[k].as_str().unwrap_or_default().to_owned();
    format!("{}|{}|{}", s("sub"), s("org_id"), s("sid"))
}

impl SimAuthKit {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}_{}", self.next)
    }

    /// The hosted sign-in page: `user` signs in; returns the one-time code.
    pub fn create_code(&mut self, challenge: &str, user: usize) -> String {
        let code = self.id("code");
        self.codes.insert(
            code.clone(),
            (challenge.to_owned(), USERS[user % USERS.len()].to_owned()),
        );
        code
    }

    pub fn logout(&mut self, sid: &str) {
        if let Some(s) = self.sessions.get_mut(sid) {
            s.revoked = true;
        }
    }

    /// An access token. Its claims the session needs (`iat`, `exp`, `sid`, `sub`) are right
    /// (unless a broken one was asked for); the others come in a shape picked by the token's
    /// number: as WorkOS sends them, `null`, of another type, or extra claims.
    fn access_token(&mut self, sid: &str, now_secs: u64) -> String {
        let session = &self.sessions[sid];
        let (user, org) = (session.user.clone(), session.org.clone());
        let jti = self.id("jti");
        let n = self.next;
        let mut c = json!({
            "iss": "https://sim.authkit", "sub": user, "sid": sid, "org_id": org,
            "iat": now_secs, "exp": now_secs + self.lifetime_secs, "jti": jti,
        });
        match n % 7 {
            0 => {} // as WorkOS sends it
            1 => c["permissions"] = Json::Null,
            2 => {
                c["role"] = json!(5);
                c["roles"] = json!("admin");
            }
            3 => {
                c["feature_flags"] = json!(["a", 1]);
                c["act"] = json!("impersonator");
            }
            4 => {
                // Fractional NumericDates (allowed by RFC 7519).
                c["iat"] = json!(now_secs as f64 + 0.25);
                c["exp"] = json!((now_secs + self.lifetime_secs) as f64 + 0.25);
            }
            5 => c["extra"] = json!({"nested": [null, true]}),
            _ => c["permissions"] = json!({"not": "a list"}),
        }
        if self.broken_next > 0 {
            self.broken_next -= 1;
            if n % 2 == 0 {
                c.as_object_mut().expect("object").remove("exp");
            } else {
                c["sid"] = json!(42);
            }
        }
        let token = jwt(&c);
        self.issued.insert(token.clone());
        token
    }

    fn grant(&mut self, sid: &str, now_secs: u64) -> Json {
        let token = self.access_token(sid, now_secs);
        let session = &self.sessions[sid];
        let (user, org) = (session.user.clone(), session.org.clone());
        let rt = self.id("rt");
        self.refresh_tokens
            .insert(rt.clone(), (sid.to_owned(), true));
        json!({
            "user": {"id": user, "email": format!("{user}@example.com")},
            "organization_id": org,
            "access_token": token,
            "refresh_token": rt,
        })
    }

    fn refused(error: &str) -> (u16, String) {
        (
            400,
            json!({"error": error, "error_description": error}).to_string(),
        )
    }

    /// `POST /user_management/authenticate`.
    pub fn authenticate(&mut self, body: &str, now_secs: u64) -> (u16, String) {
        let Ok(body) = serde_json::from_str::<Json>(body) else {
            return Self::refused("invalid_request");
        };
        match body["grant_type"].as_str() {
            Some("authorization_code") => {
                let code = body["code"].as_str().unwrap_or_default();
                let Some((challenge, user)) = self.codes.remove(code) else {
                    return Self::refused("invalid_grant");
                };
                let verifier = body["code_verifier"].as_str().unwrap_or_default();
                if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge {
                    return Self::refused("invalid_grant");
                }
                let sid = self.id("session");
                self.sessions.insert(
                    sid.clone(),
                    Session {
                        user,
                        revoked: false,
                        org: None,
                    },
                );
                (200, self.grant(&sid, now_secs).to_string())
            }
            Some("refresh_token") => {
                let rt = body["refresh_token"].as_str().unwrap_or_default();
                let Some((sid, valid)) = self.refresh_tokens.get(rt).cloned() else {
                    return Self::refused("invalid_grant");
                };
                if !valid {
                    self.reuse_detected += 1;
                    self.logout(&sid);
                    return Self::refused("invalid_grant");
                }
                if self.sessions[&sid].revoked {
                    self.refused_signed_out += 1;
                    return Self::refused("invalid_grant");
                }
                if let Some(org) = body["organization_id"].as_str() {
                    if !MEMBER_ORGS.contains(&org) {
                        // Checked before the token is consumed.
                        return (
                            403,
                            json!({"error": "organization_not_member", "error_description": "not a member"})
                                .to_string(),
                        );
                    }
                    self.sessions.get_mut(&sid).expect("session").org = Some(org.to_owned());
                }
                self.refresh_tokens
                    .insert(rt.to_owned(), (sid.clone(), false));
                (200, self.grant(&sid, now_secs).to_string())
            }
            _ => Self::refused("unsupported_grant_type"),
        }
    }

    /// The Convex server's check of an access token (signature = issued here; `exp` against
    /// the server's clock): the identity it speaks for.
    pub fn verify(&self, token: &str, now_secs: u64) -> Option<String> {
        if !self.issued.contains(token) {
            return None;
        }
        let c = claims_of(token)?;
        (c["exp"].as_f64()? > now_secs as f64).then(|| identity_of(&c))
    }

    /// The session a refresh token belongs to, if it is still usable.
    pub fn live_session_of(&self, refresh_token: &str) -> Option<String> {
        let (sid, valid) = self.refresh_tokens.get(refresh_token)?;
        (*valid && self.session_alive(sid)).then(|| sid.clone())
    }

    pub fn session_alive(&self, sid: &str) -> bool {
        self.sessions.get(sid).is_some_and(|s| !s.revoked)
    }
}
