//! Auth in the client state machine: token fetches, server confirmation, refresh timing,
//! AuthErrors and the three-way fetch outcome. Virtual clock; tokens are unsigned JWTs.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use convex_yew_core::protocol::{AuthTokenType, ClientMessage, ServerMessage};
use convex_yew_core::sync::{Event, TokenFetch};
use convex_yew_core::time::Instant;
use serde_json::json;
use support::*;

fn authenticate(msg: &ClientMessage) -> Option<(u32, Option<String>)> {
    match msg {
        ClientMessage::Authenticate {
            base_version,
            token_type,
            value,
            ..
        } => Some((
            *base_version,
            if *token_type == AuthTokenType::User {
                value.clone()
            } else {
                None
            },
        )),
        _ => None,
    }
}

fn auth_changes(events: &[Event]) -> Vec<bool> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::AuthChanged { is_authenticated } => Some(*is_authenticated),
            _ => None,
        })
        .collect()
}

/// set_auth on an open socket, with a cached token that the server confirms, then a fresh one.
fn signed_in(lifetime: u64) -> (Net, String) {
    let mut net = Net::connected();
    net.client.set_auth(net.now);
    net.pump();
    let (f, force) = net.take_fetches()[0];
    assert!(!force, "the first fetch may use a cached token");
    let cached = jwt(secs(&net) - 100, secs(&net) + lifetime, "cached");
    net.fetched(f, TokenFetch::Token(cached.clone()));
    let sent = net.take_sent();
    assert_eq!(authenticate(&sent[0]), Some((0, Some(cached))));
    let t = net.transition(1, 1, 1, vec![]);
    net.deliver(t);
    assert_eq!(auth_changes(&net.take_events()), vec![true]);
    let (f, force) = net.take_fetches()[0];
    assert!(
        force,
        "after a cached token is confirmed, a fresh one is fetched"
    );
    let fresh = jwt(secs(&net), secs(&net) + lifetime, "fresh");
    net.fetched(f, TokenFetch::Token(fresh.clone()));
    assert_eq!(
        authenticate(&net.take_sent()[0]),
        Some((1, Some(fresh.clone())))
    );
    let t = net.transition(1, 2, 2, vec![]);
    net.deliver(t);
    assert!(
        auth_changes(&net.take_events()).is_empty(),
        "still authenticated: no second AuthChanged"
    );
    (net, fresh)
}

#[test]
fn queries_wait_for_the_token_and_authenticate_goes_first() {
    let mut net = Net::new();
    net.client.set_auth(net.now);
    let q = net.client.subscribe("m:q", &args(json!({})));
    net.open();
    assert!(
        net.take_sent().is_empty(),
        "nothing, not even Connect, before the token"
    );
    let (f, _) = net.take_fetches()[0];
    let token = jwt(secs(&net), secs(&net) + 3600, "u");
    net.fetched(f, TokenFetch::Token(token.clone()));
    let sent = net.take_sent();
    assert!(matches!(sent[0], ClientMessage::Connect { .. }));
    assert_eq!(authenticate(&sent[1]), Some((0, Some(token))));
    assert!(
        matches!(&sent[2], ClientMessage::ModifyQuerySet { modifications, .. } if modifications.len() == 1)
    );
    let _ = q;
}

#[test]
fn authenticated_only_once_the_server_confirms() {
    let mut net = Net::connected();
    net.client.set_auth(net.now);
    net.pump();
    let (f, _) = net.take_fetches()[0];
    net.fetched(
        f,
        TokenFetch::Token(jwt(secs(&net), secs(&net) + 3600, "u")),
    );
    assert!(!net.client.is_authenticated());
    assert!(auth_changes(&net.take_events()).is_empty());
    // A Transition that does not move the identity does not confirm.
    let t = net.transition(1, 0, 1, vec![]);
    net.deliver(t);
    assert!(!net.client.is_authenticated());
    let t = net.transition(1, 1, 2, vec![]);
    net.deliver(t);
    assert!(net.client.is_authenticated());
}

#[test]
fn a_fresh_token_is_refreshed_leeway_seconds_before_its_lifetime_ends() {
    let (mut net, _fresh) = signed_in(300);
    net.advance(289_000);
    assert!(net.take_fetches().is_empty());
    net.advance(2_000);
    let fetches = net.take_fetches();
    assert_eq!(fetches.len(), 1);
    assert!(fetches[0].1, "scheduled refreshes force a new token");
    let newer = jwt(secs(&net), secs(&net) + 300, "newer");
    net.fetched(fetches[0].0, TokenFetch::Token(newer.clone()));
    assert_eq!(authenticate(&net.take_sent()[0]), Some((2, Some(newer))));
    let t = net.transition(1, 3, 3, vec![]);
    net.deliver(t);
    assert!(net.client.is_authenticated());
    assert!(
        net.client.poll_timeout().is_some(),
        "and the next refresh is scheduled"
    );
}

#[test]
fn signed_out_user_gets_two_fetches_then_anonymous() {
    let mut net = Net::connected();
    let q = net.client.subscribe("m:q", &args(json!({})));
    net.take_sent();
    net.client.set_auth(net.now);
    net.pump();
    let (f, force) = net.take_fetches()[0];
    assert!(!force);
    net.fetched(f, TokenFetch::SignedOut);
    let (f, force) = net.take_fetches()[0];
    assert!(force, "the second fetch forces a refresh");
    assert!(net.take_sent().is_empty(), "still paused");
    net.fetched(f, TokenFetch::SignedOut);
    assert_eq!(auth_changes(&net.take_events()), vec![false]);
    assert!(
        net.take_sent().iter().all(|m| authenticate(m).is_none()),
        "no Authenticate for an anonymous user"
    );
    let _ = q;
}

#[test]
fn a_transient_failure_never_downgrades_to_anonymous() {
    let mut net = Net::connected();
    let _q = net.client.subscribe("m:q", &args(json!({})));
    net.take_sent();
    net.set_auth_answered(TokenFetch::Transient);
    assert!(
        net.take_sent().is_empty(),
        "queries stay paused rather than run anonymously"
    );
    assert!(auth_changes(&net.take_events()).is_empty());
    net.advance(999);
    assert!(net.take_fetches().is_empty());
    net.advance(2);
    let (f, force) = net.take_fetches()[0];
    assert!(!force, "retry of the same fetch");
    net.fetched(f, TokenFetch::Transient);
    net.advance(1_999);
    assert!(net.take_fetches().is_empty(), "backoff doubles");
    net.advance(2);
    let (f, _) = net.take_fetches()[0];
    net.fetched(f, TokenFetch::Token(jwt(secs(&net), secs(&net) + 600, "u")));
    assert!(authenticate(&net.take_sent()[0]).is_some());
}

#[test]
fn a_transient_refresh_failure_keeps_the_session() {
    let (mut net, fresh) = signed_in(300);
    net.advance(291_000);
    let (f, _) = net.take_fetches()[0];
    net.fetched(f, TokenFetch::Transient);
    assert!(net.client.is_authenticated());
    assert!(auth_changes(&net.take_events()).is_empty());
    assert!(net.take_sent().is_empty(), "the current token stays");
    net.advance(1_001);
    let (f, _) = net.take_fetches()[0];
    let newer = jwt(secs(&net), secs(&net) + 300, "newer");
    net.fetched(f, TokenFetch::Token(newer.clone()));
    assert_eq!(authenticate(&net.take_sent()[0]), Some((2, Some(newer))));
    let _ = fresh;
}

#[test]
fn the_same_valid_token_on_refetch_rearms_the_refresh_from_its_expiry() {
    // get-convex/convex-js#184: the official client stops refreshing here.
    let (mut net, fresh) = signed_in(300);
    net.advance(291_000);
    let (f, _) = net.take_fetches()[0];
    // The provider hands back the same token, still valid for 9 s; leeway is 10 s, so the core
    // retries after a backoff instead of giving up.
    net.fetched(f, TokenFetch::Token(fresh.clone()));
    assert!(net.client.is_authenticated());
    assert!(
        net.client.poll_timeout().is_some(),
        "a refetch is still scheduled"
    );
    net.advance(1_001);
    assert_eq!(net.take_fetches().len(), 1);
}

#[test]
fn auth_error_forces_a_refresh_on_a_stopped_socket_and_recovers() {
    let (mut net, fresh) = signed_in(300);
    let connects = net.connects;
    net.auth_error("Convex token identity expired", Some(2), Some(false));
    let events = net.take_events();
    assert!(events.contains(&Event::AuthRefreshing(true)));
    assert!(events.iter().any(|e| matches!(e, Event::AuthRejected { token_claims: Some(c), .. } if c.iss.as_deref() == Some("https://issuer.test"))));
    assert!(
        net.socket.is_none(),
        "socket stopped while the new token is fetched"
    );
    let (f, force) = net.take_fetches()[0];
    assert!(force);
    net.advance(20_000); // within the 30 s fetch deadline
    assert_eq!(net.connects, connects, "no reconnect without a token");
    let newer = jwt(secs(&net), secs(&net) + 300, "newer");
    net.fetched(f, TokenFetch::Token(newer.clone()));
    assert_eq!(net.connects, connects + 1);
    net.open();
    let sent = net.take_sent();
    assert!(matches!(
        &sent[0],
        ClientMessage::Connect {
            last_close_reason: None,
            ..
        }
    ));
    assert_eq!(authenticate(&sent[1]), Some((0, Some(newer))));
    let t = net.transition(1, 1, 9, vec![]);
    net.deliver(t);
    let events = net.take_events();
    assert!(events.contains(&Event::AuthRefreshing(false)));
    assert!(net.client.is_authenticated());
    let _ = fresh;
}

#[test]
fn the_same_rejected_token_gives_up_and_reconnects_anonymous() {
    let (mut net, fresh) = signed_in(300);
    net.auth_error("bad", Some(2), Some(false));
    let (f, _) = net.take_fetches()[0];
    net.fetched(f, TokenFetch::Token(fresh));
    assert_eq!(auth_changes(&net.take_events()), vec![false]);
    net.open();
    let sent = net.take_sent();
    assert!(sent.iter().all(|m| authenticate(m).is_none()));
    assert!(!net.client.is_authenticated());
}

#[test]
fn repeated_rejections_of_fresh_tokens_give_up_after_two_attempts() {
    let mut net = Net::connected();
    net.set_auth_answered(TokenFetch::SignedOut);
    let (f, _) = net.take_fetches()[0];
    net.fetched(
        f,
        TokenFetch::Token(jwt(secs(&net), secs(&net) + 300, "t0")),
    );
    for i in 1..=3 {
        net.auth_error("No auth provider found", Some(0), Some(true));
        if i == 3 {
            break;
        }
        let (f, _) = net.take_fetches()[0];
        net.fetched(
            f,
            TokenFetch::Token(jwt(secs(&net), secs(&net) + 300, &format!("t{i}"))),
        );
        net.open();
        net.take_sent();
    }
    assert!(net.take_fetches().is_empty(), "gave up");
    assert_eq!(auth_changes(&net.take_events()), vec![false]);
}

#[test]
fn stale_auth_errors_are_ignored() {
    let (mut net, _) = signed_in(300);
    // About a token already being replaced: an expiry notice while a fresh token is in flight.
    net.advance(291_000);
    let (f, _) = net.take_fetches()[0];
    net.fetched(f, TokenFetch::Token(jwt(secs(&net), secs(&net) + 300, "n")));
    net.auth_error("Convex token identity expired", Some(2), Some(false));
    assert!(net.socket.is_some());
    assert!(net.take_fetches().is_empty());
    // About an old identity version.
    net.auth_error("old", Some(0), Some(true));
    assert!(net.socket.is_some());
}

#[test]
fn clear_auth_sends_anonymous_and_cancels_the_scheduled_refresh() {
    let (mut net, _) = signed_in(300);
    net.client.clear_auth(net.now);
    let sent = net.take_sent();
    assert!(matches!(
        sent[0],
        ClientMessage::Authenticate {
            base_version: 2,
            token_type: AuthTokenType::None,
            ..
        }
    ));
    assert_eq!(auth_changes(&net.take_events()), vec![false]);
    net.advance(3_600_000);
    assert!(net.take_fetches().is_empty(), "no refresh after clear_auth");
}

#[test]
fn a_fetch_that_lands_after_clear_auth_is_ignored() {
    let mut net = Net::connected();
    net.client.set_auth(net.now);
    net.pump();
    let (f, _) = net.take_fetches()[0];
    net.client.clear_auth(net.now);
    net.fetched(
        f,
        TokenFetch::Token(jwt(secs(&net), secs(&net) + 300, "late")),
    );
    assert!(net.take_sent().iter().all(|m| authenticate(m).is_none()
        || matches!(
            m,
            ClientMessage::Authenticate {
                token_type: AuthTokenType::None,
                ..
            }
        )));
    assert!(!net.client.is_authenticated());
}

#[test]
fn tokens_without_timing_claims_are_confirmed_but_not_scheduled() {
    let mut net = Net::connected();
    net.set_auth_answered(TokenFetch::SignedOut);
    let (f, _) = net.take_fetches()[0];
    net.fetched(f, TokenFetch::Token("opaque-token".into()));
    let t = net.transition(1, 1, 1, vec![]);
    net.deliver(t);
    assert!(net.client.is_authenticated());
    net.advance(86_400_000);
    assert!(net.take_fetches().is_empty());
}

#[test]
fn reconnect_re_authenticates_with_the_same_token_first() {
    let (mut net, fresh) = signed_in(3600);
    let q = net.client.subscribe("m:q", &args(json!({})));
    net.take_sent();
    net.server_close(1011, "InternalServerError");
    net.advance(2_000);
    net.open();
    let sent = net.take_sent();
    assert!(matches!(sent[0], ClientMessage::Connect { .. }));
    assert_eq!(authenticate(&sent[1]), Some((0, Some(fresh))));
    assert!(matches!(sent[2], ClientMessage::ModifyQuerySet { .. }));
    let _ = q;
}

// ----- regressions: defects found by reading (issue 11); each failed before its fix -----

#[test]
fn clear_auth_after_the_socket_opened_while_paused_sends_connect() {
    let mut net = Net::new();
    net.client.set_auth(net.now);
    let q = net.client.subscribe("m:q", &args(json!({})));
    net.open();
    assert!(net.take_sent().is_empty(), "paused for the token");
    net.client.clear_auth(net.now);
    net.advance(5_000);
    let sent = net.take_sent();
    assert!(
        matches!(sent.first(), Some(ClientMessage::Connect { .. })),
        "Connect must go out once auth is cleared: {sent:?}"
    );
    assert!(sent
        .iter()
        .any(|m| matches!(m, ClientMessage::ModifyQuerySet { .. })));
    let _ = q;
}

#[test]
fn set_auth_while_the_socket_is_stopped_for_reauth_reconnects_with_the_new_token() {
    let (mut net, _) = signed_in(300);
    net.auth_error("expired", Some(2), Some(false));
    assert!(net.socket.is_none(), "stopped for re-auth");
    net.take_fetches();
    let connects = net.connects;
    net.client.set_auth(net.now); // a new token source
    net.pump();
    let (f, _) = net.take_fetches()[0];
    let newer = jwt(secs(&net), secs(&net) + 300, "newer");
    net.fetched(f, TokenFetch::Token(newer.clone()));
    assert_eq!(net.connects, connects + 1, "the stopped socket restarts");
    net.open();
    let sent = net.take_sent();
    assert!(matches!(sent[0], ClientMessage::Connect { .. }));
    assert_eq!(authenticate(&sent[1]), Some((0, Some(newer))));
}

#[test]
fn an_auth_error_during_a_new_initial_fetch_never_resends_the_old_token() {
    let (mut net, old) = signed_in(300);
    net.client.set_auth(net.now);
    net.pump();
    let (f, _) = net.take_fetches()[0];
    net.auth_error("expired", Some(2), Some(false));
    net.pump();
    // Whatever the client fetched meanwhile, the answer to the new source's first fetch wins.
    let newer = jwt(secs(&net), secs(&net) + 300, "newer");
    net.fetched(f, TokenFetch::Token(newer.clone()));
    for (f, _) in net.take_fetches() {
        net.fetched(f, TokenFetch::Token(newer.clone()));
    }
    net.advance(2_000);
    if net.socket.is_some() && !net.opened {
        net.open();
    }
    let sent = net.take_sent();
    assert!(
        sent.iter()
            .all(|m| authenticate(m).is_none_or(|(_, t)| t.as_deref() != Some(old.as_str()))),
        "the old token was sent again: {sent:?}"
    );
    assert!(
        sent.iter()
            .any(|m| authenticate(m).is_some_and(|(_, t)| t.as_deref() == Some(newer.as_str()))),
        "the new token was never sent: {sent:?}"
    );
}

#[test]
fn set_auth_that_finds_the_user_signed_out_drops_the_old_identity() {
    let (mut net, _) = signed_in(300);
    net.set_auth_answered(TokenFetch::SignedOut);
    let (f, force) = net.take_fetches()[0];
    assert!(force);
    net.fetched(f, TokenFetch::SignedOut);
    let sent = net.take_sent();
    assert!(
        sent.iter().any(|m| matches!(
            m,
            ClientMessage::Authenticate {
                token_type: AuthTokenType::None,
                ..
            }
        )),
        "the server must be told the user is gone: {sent:?}"
    );
    assert!(!net.client.is_authenticated());
}

#[test]
fn a_token_fetch_that_never_answers_is_abandoned_and_retried() {
    let mut net = Net::connected();
    net.client.set_auth(net.now);
    net.pump();
    let (first, _) = net.take_fetches()[0];
    net.advance(120_000);
    let retries = net.take_fetches();
    assert!(!retries.is_empty(), "a hung fetch must not wait forever");
    // The hung fetch's late answer is ignored; the retry's is used.
    net.fetched(first, TokenFetch::Token("late.hung.token".into()));
    assert!(net.take_sent().is_empty());
    let (f, _) = *retries.last().unwrap();
    let t = jwt(secs(&net), secs(&net) + 300, "retry");
    net.fetched(f, TokenFetch::Token(t.clone()));
    let sent = net.take_sent();
    assert!(sent
        .iter()
        .any(|m| authenticate(m).is_some_and(|(_, v)| v.as_deref() == Some(t.as_str()))));
}

#[test]
fn tokens_with_absurd_timing_claims_do_not_panic() {
    for (iat, exp) in [(1.0, 1e300), (1.0, f64::MAX), (-1e300, 1e300), (1e18, 1e19)] {
        let mut net = Net::connected();
        net.client.set_auth(net.now);
        net.pump();
        let (f, _) = net.take_fetches()[0];
        let header = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"alg":"RS256"}"#,
        );
        let payload = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            format!(r#"{{"iat":{iat:e},"exp":{exp:e}}}"#),
        );
        let token = format!("{header}.{payload}.sig");
        net.fetched(f, TokenFetch::Token(token));
        let t = net.transition(1, 1, 1, vec![]);
        net.deliver(t);
        for (f, _) in net.take_fetches() {
            net.fetched(f, TokenFetch::Token(format!("{header}.{payload}.sig2")));
        }
        let t = net.transition(1, 2, 2, vec![]);
        net.deliver(t);
        net.advance(60_000);
    }
}

// ----- issue 20: auth as the world runs it -----

/// Defect 1, the sync side: a new identity behind the same fetcher is fetched and presented at
/// once, the old token staying in place meanwhile; `is_authenticated` never changes.
#[test]
fn a_new_identity_is_presented_at_once_without_a_flicker() {
    let (mut net, fresh) = signed_in(300);
    net.client.reauthenticate(net.now);
    net.pump();
    let fetches = net.take_fetches();
    assert_eq!(
        fetches.len(),
        1,
        "fetched at once, not after the scheduled ~290 s"
    );
    assert!(
        !fetches[0].1,
        "not forced: the provider already holds the new identity's token"
    );
    assert!(net.take_sent().is_empty(), "the old token stays presented");
    let switched = jwt(secs(&net), secs(&net) + 300, "switched");
    net.fetched(fetches[0].0, TokenFetch::Token(switched.clone()));
    assert_eq!(
        authenticate(&net.take_sent()[0]),
        Some((2, Some(switched))),
        "the new identity's token goes out at once"
    );
    let t = net.transition(1, 3, 3, vec![]);
    net.deliver(t);
    assert!(auth_changes(&net.take_events()).is_empty(), "no flicker");
    assert!(net.client.is_authenticated());
    let _ = fresh;
}

/// Defect 1: an identity change while the previous token still awaits its confirmation (the
/// model found this): the confirmation of the presented token still reports authenticated.
#[test]
fn a_new_identity_before_the_first_confirmation_still_reports_authenticated() {
    let mut net = Net::connected();
    net.client.set_auth(net.now);
    net.pump();
    let (f, _) = net.take_fetches()[0];
    let token = jwt(secs(&net), secs(&net) + 300, "first");
    net.fetched(f, TokenFetch::Token(token.clone()));
    net.take_sent();
    net.client.reauthenticate(net.now);
    net.pump();
    let (f, _) = net.take_fetches()[0];
    // The fetcher answers with the token already presented: wait for its confirmation.
    net.fetched(f, TokenFetch::Token(token));
    assert!(net.take_sent().is_empty());
    let t = net.transition(1, 1, 1, vec![]);
    net.deliver(t);
    assert_eq!(auth_changes(&net.take_events()), vec![true]);
}

/// Defect 2: a `now` that steps back (a caller passing a wall clock that stepped 120 s back)
/// never makes a healthy socket look silent: the activity time is the clamped one.
#[test]
fn a_clock_stepping_back_never_closes_a_healthy_socket() {
    let mut net = Net::connected();
    let back = Instant::from_millis(net.now.as_millis() - 120_000);
    net.client
        .handle_message(net.socket.unwrap(), &ServerMessage::Ping.to_text(), back);
    net.client.handle_wake(back);
    net.pump();
    assert!(net.closes.is_empty(), "closed: {:?}", net.closes);
    net.advance(20_000);
    assert!(net.closes.is_empty(), "closed: {:?}", net.closes);
}

/// Defect 4, the sync side: a token whose lifetime is at or under the leeway (5 s, leeway
/// 10 s) is refetched at most once a second, with one warning; the official client refetches
/// it at once, in a loop.
#[test]
fn a_lifetime_under_the_leeway_is_refetched_at_most_once_a_second() {
    let mut net = Net::connected();
    net.client.set_auth(net.now);
    net.pump();
    let (f, _) = net.take_fetches()[0];
    net.fetched(
        f,
        TokenFetch::Token(jwt(secs(&net), secs(&net) + 5, "short")),
    );
    let t = net.transition(1, 1, 1, vec![]);
    net.deliver(t);
    let (f, _) = net.take_fetches()[0];
    net.fetched(
        f,
        TokenFetch::Token(jwt(secs(&net), secs(&net) + 5, "fresh")),
    );
    let t = net.transition(1, 2, 2, vec![]);
    net.deliver(t);
    let warnings = net
        .take_events()
        .iter()
        .filter(|e| matches!(e, Event::Warning(w) if w.contains("leeway")))
        .count();
    assert_eq!(warnings, 1, "warned once");
    let mut fetches = 0;
    let mut identity = 2;
    for _ in 0..10_000 {
        if net.now.as_millis() >= T0 + 10_000 {
            break;
        }
        net.advance(100);
        for (f, _) in net.take_fetches() {
            fetches += 1;
            let t = jwt(secs(&net), secs(&net) + 5, "short");
            net.fetched(f, TokenFetch::Token(t));
            identity += 1;
            let tr = net.transition(1, identity, identity as u64, vec![]);
            net.deliver(tr);
        }
    }
    assert!(
        (5..=11).contains(&fetches),
        "{fetches} refetches in 10 s: at most one a second"
    );
    let more = net
        .take_events()
        .iter()
        .filter(|e| matches!(e, Event::Warning(_)))
        .count();
    assert_eq!(more, 0, "the warning is given once");
}

/// Defect 5, the sync side: a claim of an unexpected type does not hide `iat`/`exp` from the
/// refresh schedule.
#[test]
fn an_odd_claim_does_not_hide_the_tokens_lifetime() {
    let mut net = Net::connected();
    net.client.set_auth(net.now);
    net.pump();
    let (f, _) = net.take_fetches()[0];
    let odd = |iat: u64, exp: u64| {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let payload = json!({"iat": iat, "exp": exp, "iss": 5, "aud": null, "permissions": null});
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        )
    };
    net.fetched(f, TokenFetch::Token(odd(secs(&net), secs(&net) + 300)));
    let t = net.transition(1, 1, 1, vec![]);
    net.deliver(t);
    let (f, _) = net.take_fetches()[0]; // the fresh fetch after a cached confirm
    net.fetched(f, TokenFetch::Token(odd(secs(&net), secs(&net) + 300)));
    let t = net.transition(1, 2, 2, vec![]);
    net.deliver(t);
    net.advance(289_000);
    assert!(net.take_fetches().is_empty());
    net.advance(2_000);
    assert_eq!(net.take_fetches().len(), 1, "refetched 10 s before expiry");
}

/// Issue 22, `expect_auth`: nothing goes out (no `Connect`, so no query and no mutation) until
/// auth is decided; `clear_auth` starts the client anonymous, `set_auth` with its token.
#[test]
fn expect_auth_holds_everything_until_auth_is_decided() {
    for decide_signed_in in [false, true] {
        let mut config = convex_yew_core::sync::ClientConfig::new(SESSION, 1);
        config.expect_auth = true;
        let mut net = Net::with_config(config);
        let q = net.client.subscribe("m:q", &args(json!({})));
        net.client.mutation("m:m", &args(json!({})), net.now);
        net.open();
        net.advance(5_000);
        assert!(net.take_sent().is_empty(), "sent before auth was decided");
        if decide_signed_in {
            net.client.set_auth(net.now);
            net.pump();
            let (f, _) = net.take_fetches()[0];
            net.fetched(f, TokenFetch::Token(jwt(secs(&net), secs(&net) + 300, "u")));
        } else {
            net.client.clear_auth(net.now);
            net.pump();
        }
        let sent = net.take_sent();
        assert!(matches!(sent[0], ClientMessage::Connect { .. }), "{sent:?}");
        let authenticated = sent
            .iter()
            .any(|m| matches!(authenticate(m), Some((_, Some(_)))));
        assert_eq!(authenticated, decide_signed_in);
        assert!(sent
            .iter()
            .any(|m| matches!(m, ClientMessage::ModifyQuerySet { .. })));
        assert!(sent
            .iter()
            .any(|m| matches!(m, ClientMessage::Mutation { .. })));
        let _ = q;
    }
}
