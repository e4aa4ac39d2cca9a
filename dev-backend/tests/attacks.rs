//! Attacks on the dev backend, one test each, over real HTTP and WebSockets. Each one fails
//! against a backend without the check it names. (Test controls from a non-loopback address:
//! `controls::tests::only_loopback_callers_reach_the_controls`, in-process, since no traffic
//! may leave this machine.)

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use convex_dev_backend::Config;
use convex_yew_core::protocol::{AuthTokenType, ClientMessage, ServerMessage};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::*;

fn b64(v: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

fn parts(token: &str) -> (Value, Value) {
    let p: Vec<&str> = token.split('.').collect();
    let decode = |s: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
    (decode(p[0]), decode(p[1]))
}

/// Presents `token` on a new sync socket and returns the AuthError's message (panics if the
/// server accepted it).
fn rejected(b: &Backend, token: &str) -> String {
    let mut ws = Ws::connect(b, SESSION);
    ws.send(&ClientMessage::Authenticate {
        base_version: 0,
        token_type: AuthTokenType::User,
        value: Some(token.into()),
        impersonating: None,
    });
    match ws.recv() {
        Some(ServerMessage::AuthError { error, .. }) => {
            assert_eq!(ws.recv(), None, "the socket closes after an AuthError");
            error
        }
        other => panic!("the server accepted a bad token: {other:?}"),
    }
}

fn exchange(b: &Backend, code: &str, verifier: &str) -> (u16, Value) {
    post_json(
        b,
        "/user_management/authenticate",
        json!({"client_id": "client_local_dev", "grant_type": "authorization_code", "code": code, "code_verifier": verifier}),
    )
}

fn refresh(b: &Backend, token: &str) -> (u16, Value) {
    post_json(
        b,
        "/user_management/authenticate",
        json!({"client_id": "client_local_dev", "grant_type": "refresh_token", "refresh_token": token}),
    )
}

#[test]
fn a_wrong_pkce_verifier_is_refused() {
    let b = start();
    let (_, challenge) = verifier();
    let code = sign_in_code(&b, "ada@example.com", &challenge, "s");
    let (s, body) = exchange(&b, &code, &"w".repeat(64));
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[test]
fn a_replayed_authorization_code_is_refused() {
    let b = start();
    let (verifier, challenge) = verifier();
    let code = sign_in_code(&b, "ada@example.com", &challenge, "s");
    assert_eq!(exchange(&b, &code, &verifier).0, 200);
    let (s, body) = exchange(&b, &code, &verifier);
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[test]
fn a_callback_this_browser_did_not_start_is_harmless() {
    // The attacker signs in as themselves and plants their code in the victim's callback URL.
    // The victim's browser holds its own verifier (or none): the exchange fails, so the victim
    // is never signed into the attacker's account.
    let b = start();
    let (_, attacker_challenge) = verifier();
    let code = sign_in_code(&b, "grace@example.com", &attacker_challenge, "s");
    let victim_verifier = "z".repeat(64); // made in the victim's tab, never the attacker's
    let (s, body) = exchange(&b, &code, &victim_verifier);
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[test]
fn a_jwt_with_a_tampered_signature_is_refused() {
    let b = start();
    let (access, _, _) = sign_in(&b, "ada@example.com");
    let mut p: Vec<String> = access.split('.').map(str::to_owned).collect();
    let mut sig = URL_SAFE_NO_PAD.decode(&p[2]).unwrap();
    sig[10] ^= 0x01;
    p[2] = b64(&sig);
    assert!(rejected(&b, &p.join(".")).contains("Could not decode token"));
}

#[test]
fn an_expired_jwt_is_refused() {
    let b = start();
    let token = post_json(
        &b,
        "/_test/issue_token",
        json!({"email": "ada@example.com", "lifetime": 1}),
    )
    .1["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // exp + the 5 s leeway must pass.
    std::thread::sleep(std::time::Duration::from_millis(6_500));
    assert!(rejected(&b, &token).contains("expired"));
}

#[test]
fn a_jwt_from_a_foreign_issuer_is_refused() {
    let b = start();
    let other = start(); // its own keys and issuer
    let (access, _, _) = sign_in(&other, "ada@example.com");
    let error = rejected(&b, &access);
    assert!(
        error.contains("No auth provider found") || error.contains("Could not decode"),
        "{error}"
    );
}

#[test]
fn a_jwt_for_another_audience_is_refused() {
    let b = start();
    let strict = start_requiring_audience(&b, "app_x");
    let (access, _, _) = sign_in(&b, "ada@example.com");
    assert!(rejected(&strict, &access).contains("app_x"));
}

#[test]
fn alg_none_is_refused() {
    let b = start();
    let (access, _, _) = sign_in(&b, "ada@example.com");
    let (mut header, payload) = parts(&access);
    header["alg"] = json!("none");
    let forged = format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    rejected(&b, &forged);
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let (mut inner, mut outer) = (Sha256::new(), Sha256::new());
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let b = start();
    let (access, _, _) = sign_in(&b, "ada@example.com");
    let (mut header, mut payload) = parts(&access);
    let (_, jwks, _) = call(
        http()
            .get(&format!("{}/sso/jwks/client_local_dev", b.url))
            .call(),
    );
    header["alg"] = json!("HS256");
    payload["sub"] = json!("user_admin");
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    // Every form of "the public key" an HS256/RS256 confusion could use as the secret.
    let jwks: Value = serde_json::from_str(&jwks).unwrap();
    let n = jwks["keys"][0]["n"].as_str().unwrap().to_owned();
    for secret in [jwks.to_string(), jwks["keys"][0].to_string(), n] {
        let sig = hmac_sha256(secret.as_bytes(), signing_input.as_bytes());
        rejected(&b, &format!("{signing_input}.{}", b64(&sig)));
    }
}

#[test]
fn a_reused_refresh_token_revokes_the_session_for_thief_and_user() {
    let b = start();
    let (_, r1, _) = sign_in(&b, "ada@example.com");
    let (s, body) = refresh(&b, &r1);
    assert_eq!(s, 200);
    let r2 = body["refresh_token"].as_str().unwrap().to_owned();
    // A thief who copied r1 presents it.
    let (s, body) = refresh(&b, &r1);
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    // The whole session is gone: the user's current token no longer works either.
    let (s, body) = refresh(&b, &r2);
    assert_eq!(
        (s, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "reuse must revoke the session: {body}"
    );
}

#[test]
fn a_redirect_uri_with_userinfo_is_refused() {
    let b = start();
    let (_, challenge) = verifier();
    for evil in [
        "http://localhost:1@evil.example/cb",
        "http://127.0.0.1@evil.example/cb",
        "http://localhost%3A1@evil.example/cb",
    ] {
        let url = format!(
            "{}/user_management/authorize?client_id=client_local_dev&response_type=code&code_challenge_method=S256&code_challenge={challenge}&redirect_uri={}",
            b.url,
            serde_urlencoded::to_string([("x", evil)]).unwrap().trim_start_matches("x=").to_owned()
        );
        let (s, _, location) = call(http().get(&url).call());
        assert_eq!(s, 400, "{evil} was accepted");
        assert!(location.is_none());
    }
    let (s, _, location) = call(
        http()
            .get(&format!(
                "{}/user_management/sessions/logout?session_id=x&return_to={}",
                b.url,
                serde_urlencoded::to_string([("x", "http://localhost:1@evil.example/")])
                    .unwrap()
                    .trim_start_matches("x=")
            ))
            .call(),
    );
    assert!(
        location.is_none_or(|l| !l.contains("evil.example")),
        "logout redirected to {s}"
    );
}

fn preflight(b: &Backend, origin: &str) -> Option<String> {
    let r = http()
        .request(
            "OPTIONS",
            &format!("{}/user_management/authenticate", b.url),
        )
        .set("Origin", origin)
        .set("Access-Control-Request-Method", "POST")
        .set("Access-Control-Request-Headers", "content-type")
        .call();
    let r = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    r.header("access-control-allow-origin").map(str::to_owned)
}

#[test]
fn a_cross_origin_preflight_from_a_foreign_origin_is_not_allowed() {
    let b = start();
    assert_eq!(preflight(&b, "https://evil.example"), None);
    assert_eq!(preflight(&b, "http://localhost.evil.example"), None);
    assert_eq!(
        preflight(&b, "http://127.0.0.1:8080").as_deref(),
        Some("http://127.0.0.1:8080")
    );
    let configured = start_with(Config {
        data_dir: None,
        port: 0,
        allowed_origins: vec!["https://app.example".into()],
        ..Config::default()
    });
    assert_eq!(
        preflight(&configured, "https://app.example").as_deref(),
        Some("https://app.example")
    );
    assert_eq!(preflight(&configured, "https://evil.example"), None);
}

#[test]
fn a_client_clock_near_u64_max_does_not_kill_the_connection() {
    let b = start();
    for client_ts in [u64::MAX, i64::MAX as u64 + 1, 0] {
        let mut ws = Ws::open(&b, "/api/1.49.0/sync");
        ws.send(&ClientMessage::Connect {
            session_id: SESSION.into(),
            connection_count: 0,
            last_close_reason: None,
            max_observed_timestamp: None,
            client_ts: Some(client_ts),
        });
        ws.send(&ClientMessage::ModifyQuerySet {
            base_version: 0,
            new_version: 1,
            modifications: vec![],
        });
        let t = ws.until(|m| matches!(m, ServerMessage::Transition { .. }));
        assert!(
            matches!(
                t,
                ServerMessage::Transition {
                    client_clock_skew: Some(_),
                    ..
                }
            ),
            "{t:?}"
        );
    }
}
