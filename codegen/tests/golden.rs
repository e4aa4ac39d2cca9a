//! The generator against a spec that uses every validator kind: the output matches the
//! committed golden file byte for byte, is rustfmt-clean, does not depend on the order of the
//! spec, compiles (it is a module of this test), and its types carry values the way Convex
//! encodes them. `UPDATE_GOLDEN=1 cargo test -p convex-yew-codegen` rewrites the golden file.

#[allow(dead_code)]
#[path = "golden/every_validator.rs"]
mod api;

use std::path::Path;

use convex_yew_codegen::{generate, CodegenError, Options};
use convex_yew_core::value::{Bytes, Id};
use convex_yew_core::{from_value, to_value, Value};
use serde_json::json;

const FIXTURE: &str = "tests/fixtures/every_validator.json";
const GOLDEN: &str = "tests/golden/every_validator.rs";

fn options() -> Options {
    Options {
        crate_path: "::convex_yew_core".into(),
    }
}

fn fixture() -> String {
    std::fs::read_to_string(FIXTURE).unwrap()
}

#[test]
fn the_output_matches_the_golden_file() {
    let code = generate(&fixture(), &options()).unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &code).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN).unwrap();
    assert!(
        code == golden,
        "the generator's output changed; review it and run with UPDATE_GOLDEN=1:\n{code}"
    );
}

#[test]
fn the_output_is_rustfmt_clean() {
    let status = std::process::Command::new("rustfmt")
        .args(["--edition", "2021", "--check", GOLDEN])
        .status()
        .expect("rustfmt runs (rustup component add rustfmt)");
    assert!(status.success(), "rustfmt would change {GOLDEN}");
}

#[test]
fn the_same_spec_in_any_order_gives_the_same_bytes() {
    let mut spec: serde_json::Value = serde_json::from_str(&fixture()).unwrap();
    let first = generate(&spec.to_string(), &options()).unwrap();
    spec["functions"].as_array_mut().unwrap().reverse();
    let reversed = generate(&spec.to_string(), &options()).unwrap();
    assert_eq!(first, reversed);
    // A bare array (the system query's own answer) gives the same module, minus the URL.
    let bare = generate(&spec["functions"].to_string(), &options()).unwrap();
    assert_eq!(
        first.lines().skip(1).collect::<Vec<_>>(),
        bare.lines().skip(1).collect::<Vec<_>>()
    );
}

#[test]
fn internal_functions_and_http_actions_are_left_out() {
    let code = generate(&fixture(), &options()).unwrap();
    assert!(!code.contains("PURGE") && !code.contains("purge"));
    assert!(!code.contains("hook"));
}

#[test]
fn bad_specs_are_typed_errors() {
    let cases = [
        "not json",
        "42",
        r#"{"functions": 3}"#,
        r#"[{"functionType": "Query"}]"#,
        r#"[{"identifier": "a:b", "functionType": "Cron"}]"#,
        r#"[{"identifier": "a:b", "functionType": "Query", "args": {"type": "tuple"}}]"#,
        r#"[{"identifier": "a:b", "functionType": "Query", "args": "{not json"}]"#,
        r#"[{"identifier": "a:b", "functionType": "Query", "args": {"type": "object", "value": {"x": {}}}}]"#,
        r#"[{"identifier": "a:b", "functionType": "Query"}, {"identifier": "a.js:b", "functionType": "Query"}]"#,
        r#"[{"identifier": ":b", "functionType": "Query"}]"#,
    ];
    for case in cases {
        match generate(case, &options()) {
            Err(CodegenError::Spec { .. }) => {}
            other => panic!("{case}: {other:?}"),
        }
    }
    assert!(matches!(
        convex_yew_codegen::generate_file("no/such/spec.json", "/tmp/x.rs", &options()),
        Err(CodegenError::Io { .. })
    ));
}

#[test]
fn check_file_says_when_the_output_is_stale() {
    let dir = std::env::temp_dir().join(format!("convex-yew-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("api.rs");
    convex_yew_codegen::generate_file(FIXTURE, &out, &options()).unwrap();
    convex_yew_codegen::check_file(FIXTURE, &out, &options()).unwrap();
    std::fs::write(&out, "// edited by hand\n").unwrap();
    assert!(matches!(
        convex_yew_codegen::check_file(FIXTURE, &out, &options()),
        Err(CodegenError::OutOfDate(p)) if p == out
    ));
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}

fn v(j: serde_json::Value) -> Value {
    Value::from_json(&j).unwrap()
}

#[test]
fn generated_types_carry_values_as_convex_encodes_them() {
    use api::messages::{SendArgs, SendArgsFormat, StatsReturns, StatsReturnsType};
    use api::shapes::{AreaArgs, AreaArgsShape, AreaArgsShapeCircle, AreaReturns};

    let send = SendArgs {
        attachment: Some(Bytes(vec![1, 2, 3])),
        body: "hi".into(),
        channel: Id::new("ch1"),
        format: None,
        priority: 5,
    };
    let value = to_value(&send).unwrap();
    assert_eq!(
        value,
        v(
            json!({"attachment": {"$bytes": "AQID"}, "body": "hi", "channel": "ch1", "priority": {"$integer": "BQAAAAAAAAA="}})
        ),
        "optional None left out, bytes as $bytes, int64 as $integer"
    );
    assert_eq!(from_value::<SendArgs>(value).unwrap(), send);
    let with_format = SendArgs {
        format: Some(SendArgsFormat::InProgress),
        ..send
    };
    assert_eq!(
        to_value(&with_format).unwrap().as_object().unwrap()["format"],
        Value::String("in progress".into())
    );

    let circle = AreaArgs {
        shape: AreaArgsShape::Circle(AreaArgsShapeCircle { radius: 2.0 }),
    };
    assert_eq!(
        to_value(&circle).unwrap(),
        v(json!({"shape": {"kind": "circle", "radius": 2.0}}))
    );
    assert_eq!(
        from_value::<AreaArgs>(v(json!({"shape": {"kind": "circle", "radius": 2.0}}))).unwrap(),
        circle
    );
    assert!(from_value::<AreaArgs>(v(json!({"shape": {"kind": "hexagon"}}))).is_err());

    assert_eq!(
        from_value::<AreaReturns>(v(json!(3.5))).unwrap(),
        AreaReturns::Number(3.5)
    );
    assert_eq!(
        from_value::<AreaReturns>(Value::Null).unwrap(),
        AreaReturns::Null
    );
    assert_eq!(
        from_value::<AreaReturns>(v(json!("big"))).unwrap(),
        AreaReturns::String("big".into())
    );
    assert_eq!(
        from_value::<AreaReturns>(v(json!([1.0, 2.0]))).unwrap(),
        AreaReturns::Array(vec![1.0, 2.0])
    );

    let stats = v(json!({
        "perChannel": {"ch1": {"$integer": "AgAAAAAAAAA="}},
        "tags": {"a": ["x"]},
        "flag": true,
        "version": 2,
        "nothing": null,
        "type": "stats"
    }));
    let decoded: StatsReturns = from_value(stats.clone()).unwrap();
    assert_eq!(decoded.per_channel[&Id::new("ch1")], 2);
    assert_eq!(decoded.type_, StatsReturnsType::Stats);
    assert_eq!(decoded.extra, None);
    assert_eq!(to_value(&decoded).unwrap(), stats);
}
