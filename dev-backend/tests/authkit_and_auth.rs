//! The AuthKit side over real HTTP, and the Convex side verifying its tokens.

mod support;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use convex_dev_backend::Config;
use convex_yew_core::protocol::{
    AuthTokenType, ClientMessage, QuerySetModification, ServerMessage, StateModification,
};
use serde_json::{json, Value};
use support::*;

fn claims(token: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn refresh(b: &Backend, token: &str, org: Option<&str>) -> (u16, Value) {
    let mut body = json!({"client_id": "client_local_dev", "grant_type": "refresh_token", "refresh_token": token});
    if let Some(o) = org {
        body["organization_id"] = json!(o);
    }
    post_json(b, "/user_management/authenticate", body)
}

#[test]
fn pkce_sign_in_issues_workos_shaped_tokens() {
    let b = start();
    let (access, refresh_token, body) = sign_in(&b, "ada@example.com");
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["object"], "user");
    assert_eq!(body["organization_id"], "org_acme");
    assert_eq!(body["authentication_method"], "Password");
    assert!(!refresh_token.is_empty());
    let c = claims(&access);
    assert_eq!(
        c["iss"],
        format!("{}/user_management/client_local_dev", b.url)
    );
    assert!(c["sub"].as_str().unwrap().starts_with("user_"));
    assert!(c["sid"].as_str().unwrap().starts_with("session_"));
    assert_eq!(c["org_id"], "org_acme");
    assert_eq!(c["role"], "admin");
    assert_eq!(c["roles"], json!(["admin"]));
    assert_eq!(c["permissions"], json!(["numbers:read", "numbers:write"]));
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 300);
    assert!(c["jti"].is_string());
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    let (_, jwks, _) = call(
        http()
            .get(&format!("{}/sso/jwks/client_local_dev", b.url))
            .call(),
    );
    let jwks: Value = serde_json::from_str(&jwks).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(header["alg"], "RS256");
}

#[test]
fn wrong_verifier_and_replayed_codes_are_rejected() {
    let b = start();
    let (verifier, challenge) = verifier();
    let code = sign_in_code(&b, "ada@example.com", &challenge, "s");
    let (s, body) = post_json(
        &b,
        "/user_management/authenticate",
        json!({"client_id": "client_local_dev", "grant_type": "authorization_code", "code": code, "code_verifier": "w".repeat(128)}),
    );
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    // The code is single-use: even the right verifier cannot use it now.
    let (s, body) = post_json(
        &b,
        "/user_management/authenticate",
        json!({"client_id": "client_local_dev", "grant_type": "authorization_code", "code": code, "code_verifier": verifier}),
    );
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    let code = sign_in_code(&b, "ada@example.com", &challenge, "s");
    let ok = json!({"client_id": "client_local_dev", "grant_type": "authorization_code", "code": code, "code_verifier": verifier});
    assert_eq!(
        post_json(&b, "/user_management/authenticate", ok.clone()).0,
        200
    );
    assert_eq!(
        post_json(&b, "/user_management/authenticate", ok).0,
        400,
        "replayed code"
    );
    let (s, body) = post_json(
        &b,
        "/user_management/authenticate",
        json!({"client_id": "client_other", "grant_type": "refresh_token"}),
    );
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_client")));
    let (s, _, _) = call(
        http()
            .post(&format!("{}/user_management/authenticate", b.url))
            .set("content-type", "application/json")
            .send_string("[]"),
    );
    assert_eq!(s, 400);
}

#[test]
fn authorize_validates_its_request() {
    let b = start();
    let (_, challenge) = verifier();
    let base = |extra: &str| {
        format!("{}/user_management/authorize?client_id=client_local_dev&response_type=code&code_challenge_method=S256&code_challenge={challenge}{extra}", b.url)
    };
    let (s, body, _) = call(
        http()
            .get(&base("&redirect_uri=https://evil.example/cb"))
            .call(),
    );
    assert_eq!(s, 400);
    assert!(body.contains("redirect_uri"));
    let (s, _, _) = call(
        http()
            .get(&base("&redirect_uri=http://127.0.0.1:9/cb").replace("client_local_dev", "nope"))
            .call(),
    );
    assert_eq!(s, 400);
    let (s, _, location) = call(
        http()
            .get(&base("&redirect_uri=http://127.0.0.1:9/cb&state=abc").replace("S256", "plain"))
            .call(),
    );
    assert_eq!(s, 302);
    assert!(
        location.unwrap().contains("error=invalid_request"),
        "errors go back to the app with the state"
    );
    // Wrong password re-renders the form with an error.
    let request = format!("client_id=client_local_dev&response_type=code&code_challenge_method=S256&code_challenge={challenge}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb");
    let (s, page, _) = call(
        http()
            .post(&format!("{}/user_management/authorize", b.url))
            .send_form(&[
                ("request", &request),
                ("mode", "sign-in"),
                ("email", "ada@example.com"),
                ("password", "wrong"),
            ]),
    );
    assert_eq!(s, 401);
    assert!(page.contains("Incorrect email or password"));
}

#[test]
fn sign_up_creates_a_user_who_can_sign_in() {
    let b = start();
    let (_, challenge) = verifier();
    let request = format!("client_id=client_local_dev&response_type=code&code_challenge_method=S256&code_challenge={challenge}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&screen_hint=sign-up");
    let (_, page, _) = call(
        http()
            .get(&format!("{}/user_management/authorize?{request}", b.url))
            .call(),
    );
    assert!(page.contains("first_name"));
    let (s, _, location) = call(
        http()
            .post(&format!("{}/user_management/authorize", b.url))
            .send_form(&[
                ("request", &request),
                ("mode", "sign-up"),
                ("email", "new@example.com"),
                ("password", "password"),
                ("first_name", "Newt"),
            ]),
    );
    assert_eq!(s, 302);
    assert!(location.unwrap().contains("code="));
    let (access, _, body) = sign_in(&b, "new@example.com");
    assert_eq!(body["user"]["first_name"], "Newt");
    assert!(body.get("organization_id").is_none());
    assert_eq!(claims(&access)["name"], "Newt");
}

#[test]
fn refresh_tokens_rotate_and_work_once() {
    let b = start();
    let (_, r1, _) = sign_in(&b, "ada@example.com");
    let (s, body) = refresh(&b, &r1, None);
    assert_eq!(s, 200);
    let r2 = body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    let (s, body) = refresh(&b, &r1, None);
    assert_eq!(
        (s, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "a used refresh token is rejected (and revokes the session: see tests/attacks.rs)"
    );
    let _ = r2;
    let (_, fresh, _) = sign_in(&b, "ada@example.com");
    let (s, body) = refresh(&b, &fresh, Some("org_globex"));
    assert_eq!(s, 200);
    assert_eq!(body["organization_id"], "org_globex");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["role"],
        "member"
    );
    let r3 = body["refresh_token"].as_str().unwrap().to_string();
    let (s, body) = refresh(&b, &r3, Some("org_unknown"));
    assert_eq!(
        (s, body["error"].as_str()),
        (403, Some("organization_membership_not_found"))
    );
    let (s, body) = refresh(&b, &r3, None);
    assert_eq!(
        s, 200,
        "a refused org switch must not use up the refresh token: {body}"
    );
}

#[test]
fn logout_revokes_the_session() {
    let b = start();
    let (access, r1, _) = sign_in(&b, "grace@example.com");
    let sid = claims(&access)["sid"].as_str().unwrap().to_string();
    let (s, _, location) = call(http().get(&format!("{}/user_management/sessions/logout?session_id={sid}&return_to=http%3A%2F%2F127.0.0.1%3A8080%2F", b.url)).call());
    assert_eq!(s, 302);
    assert_eq!(location.as_deref(), Some("http://127.0.0.1:8080/"));
    let (s, _) = refresh(&b, &r1, None);
    assert_eq!(s, 400, "refresh after sign-out fails");
    let (s, _, _) = call(
        http()
            .get(&format!("{}/user_management/sessions/logout", b.url))
            .call(),
    );
    assert_eq!(s, 422);
}

#[test]
fn injected_refresh_failures_and_delays() {
    let b = start();
    let (_, r1, _) = sign_in(&b, "ada@example.com");
    assert_eq!(
        post_json(
            &b,
            "/_test/refresh_failures",
            json!({"count": 2, "status": 500})
        )
        .0,
        200
    );
    assert_eq!(refresh(&b, &r1, None).0, 500);
    assert_eq!(refresh(&b, &r1, None).0, 500);
    assert_eq!(
        refresh(&b, &r1, None).0,
        200,
        "the failures did not consume the token"
    );
    post_json(&b, "/_test/delay", json!({"ms": 300}));
    let started = std::time::Instant::now();
    let _ = refresh(&b, "unknown", None);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

fn authenticate(ws: &mut Ws, base: u32, token: &str) {
    ws.send(&ClientMessage::Authenticate {
        base_version: base,
        token_type: AuthTokenType::User,
        value: Some(token.into()),
        impersonating: None,
    });
}

fn whoami(ws: &mut Ws) -> Value {
    ws.send(&ClientMessage::ModifyQuerySet {
        base_version: 0,
        new_version: 1,
        modifications: vec![
            QuerySetModification::Add {
                query_id: 0,
                udf_path: "testing:whoami".into(),
                args: json!([{}]),
                journal: None,
                component_path: None,
            },
            QuerySetModification::Add {
                query_id: 1,
                udf_path: "myFunctions:listNumbers".into(),
                args: json!([{"count": 1}]),
                journal: None,
                component_path: None,
            },
        ],
    });
    let t = ws.until(|m| matches!(m, ServerMessage::Transition { end_version, .. } if end_version.query_set == 1));
    let ServerMessage::Transition {
        modifications,
        end_version,
        ..
    } = t
    else {
        unreachable!()
    };
    let mut out = json!({"identity_version": end_version.identity});
    for m in modifications {
        if let StateModification::QueryUpdated {
            query_id, value, ..
        } = m
        {
            out[if query_id == 0 { "whoami" } else { "list" }] = value;
        }
    }
    out
}

#[test]
fn convex_verifies_authkit_tokens_and_functions_see_the_identity() {
    let b = start();
    let (access, _, _) = sign_in(&b, "ada@example.com");
    let c = claims(&access);
    let mut ws = Ws::connect(&b, SESSION);
    authenticate(&mut ws, 0, &access);
    let seen = whoami(&mut ws);
    assert_eq!(seen["identity_version"], 1);
    assert_eq!(
        seen["whoami"]["tokenIdentifier"],
        format!(
            "{}|{}",
            c["iss"].as_str().unwrap(),
            c["sub"].as_str().unwrap()
        )
    );
    assert_eq!(seen["whoami"]["name"], "Ada Lovelace");
    assert_eq!(seen["whoami"]["org_id"], "org_acme");
    assert!(
        seen["whoami"].get("exp").is_none(),
        "registered claims are not custom claims"
    );
    assert_eq!(seen["list"]["viewer"], "Ada Lovelace");
    let (_, count) = {
        let (s, text, _) = call(
            http()
                .get(&format!("{}/_test/authenticate_count", b.url))
                .call(),
        );
        (s, serde_json::from_str::<Value>(&text).unwrap())
    };
    assert!(count["count"].as_u64().unwrap() >= 1);
}

#[test]
fn bad_tokens_get_an_auth_error_and_a_close() {
    let b = start();
    let (access, _, _) = sign_in(&b, "ada@example.com");
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    let mut forged = claims(&access);
    forged["sub"] = json!("user_admin");
    parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
    let foreign_issuer = {
        let mut c = claims(&access);
        c["iss"] = json!("https://elsewhere.example");
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(c.to_string()),
            parts[2]
        )
    };
    for (token, expected) in [
        (parts.join("."), "Could not decode token"),
        (foreign_issuer, "No auth provider found"),
        ("garbage".to_string(), "Could not parse JWT"),
    ] {
        let mut ws = Ws::connect(&b, SESSION);
        authenticate(&mut ws, 0, &token);
        match ws.recv() {
            Some(ServerMessage::AuthError {
                error,
                base_version,
                auth_update_attempted,
            }) => {
                assert!(error.contains(expected), "{error}");
                assert_eq!(base_version, Some(0));
                assert_eq!(auth_update_attempted, Some(true));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ws.recv(), None, "closed after the AuthError");
    }
}

#[test]
fn an_expired_identity_gets_an_auth_error_on_its_next_use() {
    let b = start();
    post_json(&b, "/_test/token_lifetime", json!({"seconds": 1}));
    let (access, _, _) = sign_in(&b, "ada@example.com");
    let mut ws = Ws::connect(&b, SESSION);
    authenticate(&mut ws, 0, &access);
    whoami(&mut ws);
    std::thread::sleep(Duration::from_millis(2100));
    ws.send(&ClientMessage::Mutation {
        request_id: 0,
        udf_path: "myFunctions:addNumber".into(),
        args: json!([{"value": 1}]),
        component_path: None,
    });
    match ws.recv() {
        Some(ServerMessage::AuthError {
            error,
            auth_update_attempted,
            ..
        }) => {
            assert_eq!(error, "Convex token identity expired");
            assert_eq!(auth_update_attempted, Some(false));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn drop_sockets_cuts_every_connection() {
    let b = start();
    let mut ws = Ws::connect(&b, SESSION);
    whoami(&mut ws);
    let (_, body) = post_json(&b, "/_test/drop_sockets", json!({}));
    assert_eq!(body["dropped"], 1);
    assert_eq!(ws.recv(), None);
}

#[test]
fn a_custom_auth_config_with_an_audience() {
    // A provider requiring an audience nobody has.
    let b = start();
    let strict = start_requiring_audience(&b, "app_x");
    let path = std::env::temp_dir()
        .join(format!("cdb-auth-{}", std::process::id()))
        .join("auth.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let (access, _, _) = sign_in(&b, "ada@example.com");
    let mut ws = Ws::connect(&strict, SESSION);
    authenticate(&mut ws, 0, &access);
    assert!(
        matches!(ws.recv(), Some(ServerMessage::AuthError { error, .. }) if error.contains("No auth provider found") && error.contains("app_x"))
    );
    // Unsupported configs are refused at start with a clear message.
    for bad in [
        json!({"providers": [{"type": "oidc", "issuer": "x", "jwks": "y", "algorithm": "RS256"}]}),
        json!({"nope": 1}),
    ] {
        std::fs::write(&path, bad.to_string()).unwrap();
        assert!(convex_dev_backend::convex::auth::AuthConfig::load(&path).is_err());
    }
}

#[test]
fn data_survives_a_restart() {
    let dir =
        std::env::temp_dir().join(format!("cdb-data-{}-{}", std::process::id(), rand_suffix()));
    let config = || Config {
        data_dir: Some(dir.clone()),
        test_controls: true,
        port: 0,
        ..Config::default()
    };
    let b = start_with(config());
    post_json(
        &b,
        "/api/mutation",
        json!({"path": "myFunctions:addNumber", "args": {"value": 99}}),
    );
    let (_, jwks1, _) = call(
        http()
            .get(&format!("{}/sso/jwks/client_local_dev", b.url))
            .call(),
    );
    let b2 = start_with(config());
    let (_, body) = post_json(
        &b2,
        "/api/query",
        json!({"path": "myFunctions:listNumbers", "args": {"count": 10}}),
    );
    assert_eq!(body["value"]["numbers"], json!([99]));
    let (_, jwks2, _) = call(
        http()
            .get(&format!("{}/sso/jwks/client_local_dev", b2.url))
            .call(),
    );
    assert_eq!(jwks1, jwks2, "the signing key is kept");
    let _ = std::fs::remove_dir_all(&dir);
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}
