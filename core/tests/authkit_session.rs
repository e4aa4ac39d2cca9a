//! The AuthKit session machine's answers to issue 11's races, step by step, in the model
//! world (two tabs, simulated AuthKit and Convex). The browser halves are in
//! `tests/auth_races.rs` and `tests/provider_races.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod model;

use model::{Fate, Step, World};

fn signed_in(tabs: usize) -> World {
    let mut w = World::new(tabs);
    w.step(&Step::SignIn(0));
    w.settle();
    w.check_settled();
    assert!(w.violations.is_empty(), "{:?}", w.violations);
    assert!(w.tabs[0].sync.is_authenticated());
    w
}

fn user(w: &World, t: usize) -> bool {
    w.tabs[t].authkit.snapshot().user.is_some()
}

#[test]
fn a_restore_that_meets_a_503_keeps_loading_and_ends_signed_in() {
    let mut w = signed_in(1);
    w.step(&Step::Reload(0));
    w.step(&Step::GrantLocks);
    w.step(&Step::DeliverAuthKit {
        pick: 0,
        fate: Fate::Unavailable,
    });
    assert!(
        w.tabs[0].authkit.is_loading(),
        "a 503 is not a sign-out: still loading"
    );
    assert!(w.stored_refresh_token().is_some());
    w.settle();
    w.check_settled();
    assert!(w.violations.is_empty(), "{:?}", w.violations);
    assert!(user(&w, 0) && w.tabs[0].sync.is_authenticated());
}

#[test]
fn a_refresh_answered_after_sign_out_changes_nothing() {
    let mut w = signed_in(1);
    w.step(&Step::GetToken {
        tab: 0,
        force: true,
    });
    w.step(&Step::GrantLocks);
    assert_eq!(w.requests_out(), 1, "the refresh is out");
    w.step(&Step::SignOut {
        tab: 0,
        navigate: false,
    });
    // AuthKit had already processed it: the rotated token comes back, late.
    w.step(&Step::DeliverAuthKit {
        pick: 0,
        fate: Fate::Answer,
    });
    assert!(w.late_answers == 1);
    assert!(!user(&w, 0), "the late refresh revived the session");
    assert_eq!(
        w.stored_refresh_token(),
        None,
        "the late refresh wrote a token back"
    );
    w.settle();
    w.check_signed_out_everywhere();
    assert!(w.violations.is_empty(), "{:?}", w.violations);
}

#[test]
fn a_caller_that_goes_away_leaves_no_stale_result_and_no_held_lock() {
    let mut w = signed_in(2);
    w.step(&Step::Reload(1));
    w.settle();
    w.step(&Step::GetToken {
        tab: 0,
        force: true,
    }); // its answer is dropped
    w.settle();
    assert_eq!(w.lock_holder(), None, "the lock was released");
    let issued = w.api.issued.len();
    w.step(&Step::GetToken {
        tab: 1,
        force: true,
    });
    w.settle();
    assert!(
        w.api.issued.len() > issued,
        "a forced refresh after a dropped one really refreshed"
    );
    w.check_settled();
    assert!(w.violations.is_empty(), "{:?}", w.violations);
}

#[test]
fn an_organization_switch_during_a_refresh_runs_after_it_and_switches() {
    let mut w = signed_in(1);
    w.step(&Step::GetToken {
        tab: 0,
        force: true,
    });
    w.step(&Step::GrantLocks);
    w.step(&Step::Switch { tab: 0, org: 1 });
    w.step(&Step::DeliverAuthKit {
        pick: 0,
        fate: Fate::Answer,
    });
    w.step(&Step::GrantLocks);
    assert_eq!(w.requests_out(), 1, "the switch is its own request");
    w.step(&Step::DeliverAuthKit {
        pick: 0,
        fate: Fate::Answer,
    });
    assert_eq!(
        w.tabs[0].authkit.snapshot().organization_id.as_deref(),
        Some("org_b")
    );
    assert!(w.violations.is_empty(), "{:?}", w.violations);
}

#[test]
fn a_refused_organization_switch_keeps_the_session() {
    let mut w = signed_in(1);
    w.step(&Step::Switch { tab: 0, org: 2 });
    w.settle();
    assert!(user(&w, 0));
    assert_eq!(w.tabs[0].authkit.snapshot().organization_id, None);
    w.step(&Step::GetToken {
        tab: 0,
        force: true,
    });
    w.settle();
    w.check_settled();
    assert!(w.violations.is_empty(), "{:?}", w.violations);
    assert!(user(&w, 0), "the session still refreshes after the refusal");
}

#[test]
fn a_hung_request_is_given_up_and_the_other_tab_gets_the_lock() {
    let mut w = signed_in(2);
    w.step(&Step::Reload(1));
    w.settle();
    w.step(&Step::GetToken {
        tab: 0,
        force: true,
    });
    w.step(&Step::GrantLocks);
    let holder = w.lock_holder();
    assert_eq!(holder, Some(w.tabs[0].instance));
    w.step(&Step::GetToken {
        tab: 1,
        force: true,
    });
    w.step(&Step::Advance(16_000)); // past the 15 s request deadline; tab 0's request hangs
    assert_eq!(w.requests_out(), 0, "tab 0 gave up its request");
    w.step(&Step::GrantLocks);
    assert_eq!(
        w.lock_holder(),
        Some(w.tabs[1].instance),
        "the lock moved on"
    );
    w.settle();
    w.check_settled();
    assert!(w.violations.is_empty(), "{:?}", w.violations);
}

/// Found by the long model run: a refresh in one tab that lands after another tab signed
/// out wrote the rotated refresh token back into the shared storage.
#[test]
fn a_refresh_landing_after_another_tab_signed_out_writes_nothing_back() {
    let mut w = signed_in(2);
    w.step(&Step::Reload(1));
    w.settle();
    w.step(&Step::GetToken {
        tab: 0,
        force: true,
    });
    w.step(&Step::GrantLocks);
    assert_eq!(w.requests_out(), 1);
    w.step(&Step::SignOut {
        tab: 1,
        navigate: false,
    });
    assert_eq!(w.stored_refresh_token(), None);
    // AuthKit processes tab 0's refresh before the background logout reaches it.
    w.step(&Step::DeliverAuthKit {
        pick: 0,
        fate: Fate::Answer,
    });
    assert_eq!(
        w.stored_refresh_token(),
        None,
        "the session was written back after a sign-out"
    );
    w.step(&Step::DeliverBeacons);
    w.settle();
    w.check_signed_out_everywhere();
    assert!(w.violations.is_empty(), "{:?}", w.violations);
}

/// Found by the long model run: a refresh refused for an old session cleared the refresh
/// token of the new session another tab had just signed into.
#[test]
fn a_refused_refresh_clears_only_its_own_refresh_token() {
    let mut w = signed_in(2);
    w.step(&Step::Reload(1));
    w.step(&Step::GrantLocks); // tab 1's restore presents the old session's token
    assert_eq!(w.requests_out(), 1);
    w.step(&Step::SignOut {
        tab: 0,
        navigate: true,
    });
    w.step(&Step::SignIn(0));
    let new_sign_in = w.requests_out() - 1;
    w.step(&Step::DeliverAuthKit {
        pick: new_sign_in,
        fate: Fate::Answer,
    });
    assert!(user(&w, 0), "tab 0 signed in anew");
    let fresh = w.stored_refresh_token().cloned();
    assert!(fresh.is_some());
    // Tab 1's restore is refused (its session was signed out).
    w.step(&Step::DeliverAuthKit {
        pick: 0,
        fate: Fate::Answer,
    });
    assert!(!user(&w, 1));
    assert_eq!(
        w.stored_refresh_token().cloned(),
        fresh,
        "the new session's refresh token was cleared"
    );
    w.settle();
    w.check_settled();
    assert!(w.violations.is_empty(), "{:?}", w.violations);
    assert!(user(&w, 0));
}
