//! Types of the same shape in one module are written once: two functions returning
//! `{at: {x, y}, color, label}` give one struct and an alias (`pub type SecondReturns =
//! FirstReturns;`), so an app's wasm holds one type's serde and trait code, not two. Each
//! function's signature keeps its own names; other modules keep their own types.
//! `UPDATE_GOLDEN=1 cargo test -p convex-yew-codegen` rewrites the golden file.

#[allow(dead_code)]
#[path = "golden/same_shapes.rs"]
mod api;

use convex_yew_codegen::{generate, Options};
use convex_yew_core::value::{from_value, to_value};

const FIXTURE: &str = "tests/fixtures/same_shapes.json";
const GOLDEN: &str = "tests/golden/same_shapes.rs";

fn generated() -> String {
    let options = Options {
        crate_path: "::convex_yew_core".into(),
    };
    generate(&std::fs::read_to_string(FIXTURE).unwrap(), &options).unwrap()
}

#[test]
fn the_output_matches_the_golden_file() {
    let code = generated();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &code).unwrap();
    }
    assert!(
        code == std::fs::read_to_string(GOLDEN).unwrap(),
        "the generator's output changed; review it and run with UPDATE_GOLDEN=1:\n{code}"
    );
}

#[test]
fn the_output_is_rustfmt_clean() {
    // An alias too long for one line is broken after `=`, as rustfmt writes it (a review found
    // `pub type LongNamedSecondReturns... = LongNamedFirstReturns...;` on one line).
    assert!(generated().contains("efghij =\n"));
    let status = std::process::Command::new("rustfmt")
        .args(["--edition", "2021", "--check", GOLDEN])
        .status()
        .expect("rustfmt runs (rustup component add rustfmt)");
    assert!(status.success(), "rustfmt would change {GOLDEN}");
}

#[test]
fn a_second_type_of_the_same_shape_is_an_alias() {
    let code = generated();
    for alias in [
        "pub type SecondReturns = FirstReturns;",
        "pub type SecondArgs = FirstArgs;",
        // Nested objects and string enums too, wherever they appear (an argument's field).
        "pub type MoveArgsTo = FirstReturnsAt;",
        "pub type MoveArgsColor = FirstReturnsColor;",
    ] {
        assert!(code.contains(alias), "{alias} missing:\n{code}");
    }
    // One struct per shape in `shapes`; `other` is another module with its own.
    assert_eq!(code.matches("pub struct FirstReturns {").count(), 2);
    assert_eq!(code.matches("pub struct FirstReturnsAt {").count(), 2);
    // Signatures name the function's own types.
    assert!(code.contains("Query<SecondArgs, SecondReturns>"), "{code}");
}

#[test]
fn the_aliases_are_the_same_types() {
    let value = api::shapes::SecondReturns {
        at: api::shapes::MoveArgsTo { x: 1.0, y: 2.0 },
        color: api::shapes::MoveArgsColor::Blue,
        label: "a".into(),
    };
    let first: api::shapes::FirstReturns = value.clone();
    let wire = to_value(&first).unwrap();
    assert_eq!(
        from_value::<api::shapes::SecondReturns>(wire).unwrap(),
        value
    );
    let _query: &convex_yew_core::codegen_support::Query<
        api::shapes::SecondArgs,
        api::shapes::FirstReturns,
    > = &api::shapes::SECOND;
}

#[test]
fn which_type_comes_first_does_not_depend_on_the_spec_order() {
    let mut spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    spec["functions"].as_array_mut().unwrap().reverse();
    let options = Options {
        crate_path: "::convex_yew_core".into(),
    };
    assert_eq!(generate(&spec.to_string(), &options).unwrap(), generated());
}
