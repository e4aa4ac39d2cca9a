//! Model-based interleaving tests of both auth machines together: random sequences of
//! sign-in, restore, sign-out, token requests, org switches, socket drops, expiry, transient
//! AuthKit failures, slow and late answers, lock contention between two tabs, clock jumps,
//! fetcher/client/AuthKit swaps (see `model/mod.rs`), with the invariants checked after every
//! step and once everything has settled.
//!
//! `MODEL_CASES` sets the number of cases (default 256) and `MODEL_SEED` the seed (default
//! fixed; `random` for a new one); the README documents the long run.
#![cfg(not(target_arch = "wasm32"))]

mod model;

use model::{Fate, Step, World};
use proptest::prelude::*;

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        6 => Just(Fate::Answer),
        2 => Just(Fate::Unavailable),
        1 => Just(Fate::NetworkError),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let tab = 0usize..2;
    prop_oneof![
        3 => tab.clone().prop_map(Step::SignIn),
        2 => tab.clone().prop_map(Step::Reload),
        2 => (tab.clone(), any::<bool>()).prop_map(|(tab, navigate)| Step::SignOut { tab, navigate }),
        3 => (tab.clone(), any::<bool>()).prop_map(|(tab, force)| Step::GetToken { tab, force }),
        2 => (tab.clone(), 0u8..3).prop_map(|(tab, org)| Step::Switch { tab, org }),
        2 => tab.clone().prop_map(Step::DropSocket),
        5 => prop_oneof![0u32..2_000, 2_000u32..20_000, 20_000u32..400_000].prop_map(Step::Advance),
        1 => (prop_oneof![60u32..600, 600u32..7_200], any::<bool>())
            .prop_map(|(secs, mono_sees)| Step::Sleep { secs, mono_sees }),
        1 => prop_oneof![-7_200_000i64..-1_000, 1_000i64..7_200_000].prop_map(Step::WallClockJump),
        1 => Just(Step::BreakNextToken),
        1 => (tab.clone(), 0usize..2).prop_map(|(tab, user)| Step::SignInAs { tab, user }),
        8 => (any::<usize>(), fate()).prop_map(|(pick, fate)| Step::DeliverAuthKit { pick, fate }),
        5 => Just(Step::GrantLocks),
        6 => tab.clone().prop_map(Step::DeliverConvex),
        1 => Just(Step::DeliverBeacons),
        1 => tab.clone().prop_map(Step::FetcherSwap),
        1 => tab.clone().prop_map(Step::ClientSwap),
        1 => tab.clone().prop_map(Step::AuthKitSwap),
        2 => (tab, any::<bool>()).prop_map(|(tab, visible)| Step::Visibility { tab, visible }),
    ]
}

/// The access tokens' lifetime: WorkOS's 300 s mostly; now and then one at or under the
/// 10 s refresh buffer (both machines must refresh at most once a second then).
fn lifetime() -> impl Strategy<Value = u64> {
    prop_oneof![
        17 => Just(300u64),
        1 => Just(10u64),
        1 => Just(5u64),
        1 => Just(2u64),
    ]
}

fn run(lifetime: u64, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut world = World::with_lifetime(2, lifetime);
    for (i, s) in steps.iter().enumerate() {
        world.step(s);
        prop_assert!(
            world.violations.is_empty(),
            "after step {i} ({s:?}): {:?}",
            world.violations
        );
    }
    world.settle();
    world.check_settled();
    prop_assert!(
        world.violations.is_empty(),
        "after settling: {:?}",
        world.violations
    );
    world.check_signed_out_everywhere();
    prop_assert!(
        world.violations.is_empty(),
        "after expiry: {:?}",
        world.violations
    );
    Ok(())
}

/// The test command runs a fixed seed, so CI is repeatable; `MODEL_SEED=random` (or a number)
/// explores elsewhere, as the long run does.
fn seed() -> proptest::test_runner::RngSeed {
    use proptest::test_runner::RngSeed;
    match std::env::var("MODEL_SEED").as_deref() {
        Ok("random") => RngSeed::Random,
        Ok(n) => n.parse().map_or(RngSeed::Random, RngSeed::Fixed),
        Err(_) => RngSeed::Fixed(0x0c0f_fee5),
    }
}

fn cases() -> u32 {
    std::env::var("MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), rng_seed: seed(), max_shrink_iters: std::env::var("MODEL_SHRINK").ok().and_then(|v| v.parse().ok()).unwrap_or(4_000), ..ProptestConfig::default() })]

    #[test]
    fn both_auth_machines_hold_their_invariants_under_any_interleaving(lifetime in lifetime(), steps in prop::collection::vec(step(), 1..40)) {
        run(lifetime, &steps)?;
    }
}

#[test]
fn a_plain_sign_in_settles_signed_in_on_both_sides() {
    let mut world = World::new(2);
    world.step(&Step::SignIn(0));
    world.settle();
    world.check_settled();
    assert!(world.violations.is_empty(), "{:?}", world.violations);
    assert!(world.tabs[0].sync.is_authenticated());
    assert!(!world.tabs[1].sync.is_authenticated());
    world.step(&Step::Reload(1));
    world.settle();
    world.check_settled();
    assert!(world.violations.is_empty(), "{:?}", world.violations);
    assert!(
        world.tabs[1].sync.is_authenticated(),
        "the second tab restored the session"
    );
}
