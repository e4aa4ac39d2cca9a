//! Tokens, refresh tokens and code verifiers never print through `Debug` (logs, panics,
//! `{:?}` in apps): issue 11, defect 10.
#![cfg(not(target_arch = "wasm32"))]

use convex_yew_core::authkit::{AuthKitConfig, AuthResponse};
use convex_yew_core::authkit::{AuthKitSession, PageLoad, Secret, SessionIo};
use convex_yew_core::sync::{ClientConfig, Io, SyncClient, TokenFetch};
use convex_yew_core::time::Instant;

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2VjcmV0LXNpZw";

fn assert_clean(what: &str, text: &str) {
    for secret in [TOKEN, "refresh-secret", "verifier-secret"] {
        assert!(!text.contains(secret), "{what} printed a secret: {text}");
    }
}

#[test]
fn the_sync_client_its_io_and_token_outcomes_print_no_token() {
    let now = Instant::from_millis(1_700_000_000_000);
    let mut client = SyncClient::new(ClientConfig::new("s", 1), now);
    let Some(Io::Connect { socket }) = client.poll_io() else {
        panic!()
    };
    client.set_auth(now);
    client.handle_open(socket, now);
    let mut fetch = None;
    while let Some(io) = client.poll_io() {
        if let Io::FetchToken { fetch: f, .. } = io {
            fetch = Some(f);
        }
    }
    client.token_fetched(fetch.unwrap(), TokenFetch::Token(TOKEN.into()), now);
    let mut saw_authenticate = false;
    while let Some(io) = client.poll_io() {
        if let Io::Send { text, .. } = &io {
            saw_authenticate |= text.contains(TOKEN);
        }
        assert_clean("Io", &format!("{io:?}"));
        if let Io::Send { text, .. } = &io {
            let msg = convex_yew_core::protocol::ClientMessage::parse(text).unwrap();
            assert_clean("ClientMessage", &format!("{msg:?}"));
        }
    }
    assert!(saw_authenticate, "the frame itself carries the token");
    assert_clean("SyncClient", &format!("{client:?}"));
    assert_clean(
        "TokenFetch",
        &format!("{:?}", TokenFetch::Token(TOKEN.into())),
    );
}

#[test]
fn authkit_responses_requests_and_storage_writes_print_no_secret() {
    let body = format!(
        r#"{{"user":{{"id":"user_1","email":"a@b.c"}},"access_token":"{TOKEN}","refresh_token":"refresh-secret"}}"#
    );
    let response = AuthResponse::parse(&body).unwrap();
    assert_clean("AuthResponse", &format!("{response:?}"));
    assert_clean("Secret", &format!("{:?}", Secret::new("verifier-secret")));
    let mut config = AuthKitConfig::new("client_1", "http://localhost:8080", "localhost");
    config.redirect_uri = "http://localhost:8080/callback".into();
    let now = Instant::from_millis(1_700_000_000_000);
    let mut session = AuthKitSession::new(config, now);
    session.start(
        PageLoad {
            pathname: "/callback".into(),
            search: "?code=abc".into(),
            verifier: Some(Secret::new("verifier-secret")),
            ..Default::default()
        },
        now,
    );
    let mut request = None;
    while let Some(io) = session.poll_io() {
        assert_clean("SessionIo", &format!("{io:?}"));
        if let SessionIo::Authenticate {
            request: r, body, ..
        } = io
        {
            assert!(body.expose().contains("verifier-secret"));
            request = Some(r);
        }
    }
    session.handle_response(request.unwrap(), Ok((200, body)), now);
    while let Some(io) = session.poll_io() {
        assert_clean("SessionIo", &format!("{io:?}"));
    }
    while let Some(event) = session.poll_event() {
        assert_clean("SessionEvent", &format!("{event:?}"));
    }
    assert_clean("AuthKitSession", &format!("{session:?}"));
}
