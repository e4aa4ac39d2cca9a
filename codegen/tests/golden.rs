//! The generator against a spec that uses every validator kind: the output matches the
//! committed golden file byte for byte, is rustfmt-clean, does not depend on the order of the
//! spec, compiles (it is a module of this test), and its types carry values the way Convex
//! encodes them. `UPDATE_GOLDEN=1 cargo test -p convex-yew-codegen` rewrites the golden file.

#[allow(dead_code)]
#[path = "golden/every_validator.rs"]
mod api;

use std::path::Path;

use convex_yew_codegen::{generate, CodegenError, Options};
use convex_yew_core::value::{from_value, to_value, Value};
use convex_yew_core::value::{Bytes, Id};
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
        r#"[{"identifier": "a:b", "functionType": "Query", "args": "{not json"}]"#,
        r#"[{"identifier": "a:b", "functionType": "Query", "args": {"type": "object", "value": {"x": {}}}}]"#,
        r#"[{"identifier": "a:b", "functionType": "Query"}, {"identifier": "a.js:b", "functionType": "Query"}]"#,
        r#"[{"identifier": ":b", "functionType": "Query"}]"#,
        r#"[{"identifier": "a:b", "functionType": "Query", "returns": {"type": "literal", "value": null}}]"#,
        r#"[{"identifier": "a:b", "functionType": "Query", "returns": {"type": "literal", "value": {"$integer": "AQ=="}}}]"#,
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

    // A nullable union: `Option` of the other members.
    type Area = Option<AreaReturns>;
    assert_eq!(
        from_value::<Area>(v(json!(3.5))).unwrap(),
        Some(AreaReturns::Number(3.5))
    );
    assert_eq!(from_value::<Area>(Value::Null).unwrap(), None);
    assert_eq!(to_value(&None::<AreaReturns>).unwrap(), Value::Null);
    assert_eq!(
        from_value::<Area>(v(json!("big"))).unwrap(),
        Some(AreaReturns::String("big".into()))
    );
    assert_eq!(
        from_value::<Area>(v(json!([1.0, 2.0]))).unwrap(),
        Some(AreaReturns::Array(vec![1.0, 2.0]))
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

/// Issue 21, defect 1: `{"type":"commitTs"}` (Convex 1.43+) failed the whole generation
/// with `unknown validator type`. Every kind of the newest Convex maps to a type, and a kind
/// newer than the generator is `Value` with a warning naming it, never a failed build.
#[test]
fn every_validator_kind_generates_and_a_new_one_is_a_warning_not_an_error() {
    let g = convex_yew_codegen::generate_with_warnings(&fixture(), &options()).unwrap();
    assert!(g.code.contains("pub at: __convex::CommitTs,"));
    assert!(g.code.contains("pub callback: __convex::FunctionHandle,"));
    assert!(g.code.contains("pub future: __convex::Value,"));
    assert!(
        g.warnings
            .iter()
            .any(|w| w.contains("kinds:newest") && w.contains("\"someNewKind\"")),
        "{:?}",
        g.warnings
    );
    let lone = r#"[{"identifier": "a:b", "functionType": "Query", "args": {"type": "tuple"}}]"#;
    let g = convex_yew_codegen::generate_with_warnings(lone, &options()).unwrap();
    assert!(g
        .code
        .contains("__convex::Query<__convex::Value, __convex::Value>"));
    assert_eq!(g.warnings.len(), 1, "{:?}", g.warnings);
}

/// Issue 21, defect 2: `v.literal(5n)` was generated as `()`: decoding `5n` failed and
/// arguments went out as `null`. Every literal is now its exact type, and only its value
/// decodes.
#[test]
fn literals_of_every_kind_carry_exactly_their_value() {
    use api::kinds::NewestArgs;
    use convex_yew_core::codegen_support::{
        CommitTs, FunctionHandle, LiteralBool, LiteralFloat64, LiteralInt64,
    };
    let args = NewestArgs {
        at: CommitTs(1_700_000_000_000_000_000),
        callback: FunctionHandle("function://abc".into()),
        five: LiteralInt64,
        future: Value::Array(vec![]),
        half: LiteralFloat64,
        maybe_note: None,
        minus_three: LiteralInt64,
        minus_zero: LiteralFloat64,
        not_a_number: LiteralFloat64,
        note: None,
        scores: Default::default(),
        yes: LiteralBool,
    };
    let wire = to_value(&args).unwrap();
    let o = wire.as_object().unwrap();
    assert_eq!(
        o["five"],
        Value::Int64(5),
        "an int64 literal goes out as $integer"
    );
    assert_eq!(o["minusThree"], Value::Int64(-3));
    assert_eq!(o["half"], Value::Float64(1.5));
    assert!(matches!(o["notANumber"], Value::Float64(f) if f.is_nan()));
    assert_eq!(o["minusZero"].to_json(), json!({"$float": "AAAAAAAAAIA="}));
    assert_eq!(o["yes"], Value::Boolean(true));
    assert_eq!(o["at"], Value::Int64(1_700_000_000_000_000_000));
    assert_eq!(o["callback"], Value::String("function://abc".into()));
    assert_eq!(
        o["note"],
        Value::Null,
        "a nullable field's None goes out as null"
    );
    assert!(
        !o.contains_key("maybeNote"),
        "an optional field's None is left out"
    );
    assert_eq!(from_value::<NewestArgs>(wire.clone()).unwrap(), args);
    // Only the literal's own value decodes.
    let mut wrong = o.clone();
    wrong.insert("five".into(), Value::Float64(5.0));
    assert!(from_value::<NewestArgs>(Value::Object(wrong)).is_err());
    let mut wrong = o.clone();
    wrong.insert("half".into(), Value::Float64(2.0));
    assert!(from_value::<NewestArgs>(Value::Object(wrong)).is_err());
}

/// Issue 21, defect 3: untagged unions lost data. `{"id":"x","name":"y"}` decoded as the
/// first member and re-encoded as `{"id":"x"}`; the int64 2^53+1 decoded as a float64. Every
/// member of every union now re-encodes to the same wire text it was decoded from.
#[test]
fn unions_decode_into_the_member_whose_wire_form_the_value_has() {
    use api::kinds::{NewestReturns, NewestReturnsCount, NewestReturnsLabel, NewestReturnsMember};
    let cases = [
        json!({"member": {"id": "x"}, "count": 1.5, "label": "auto", "owner": "u1"}),
        json!({"member": {"id": "x", "name": "y"}, "count": {"$integer": "AQAAAAAAIAA="}, "label": "other", "owner": "t1"}),
        json!({"member": {"id": "x"}, "count": 9007199254740992.0, "label": "", "owner": "u1"}),
    ];
    for case in cases {
        let wire = v(case.clone());
        let decoded: NewestReturns = from_value(wire.clone()).unwrap();
        assert_eq!(to_value(&decoded).unwrap(), wire, "{case}");
        // The same through the one-pass text decoder the client uses.
        let text = wire.to_json_text();
        let decoded: NewestReturns = convex_yew_core::value::from_encoded_json(&text).unwrap();
        assert_eq!(to_value(&decoded).unwrap().to_json_text(), text, "{case}");
    }
    let big: NewestReturns = from_value(v(json!(
        {"member": {"id": "x", "name": "y"}, "count": {"$integer": "AQAAAAAAIAA="}, "label": "auto", "owner": "u"}
    )))
    .unwrap();
    assert!(matches!(big.member, NewestReturnsMember::Object2(ref m) if m.name == "y"));
    assert_eq!(big.count, NewestReturnsCount::Int64(9_007_199_254_740_993));
    assert!(matches!(big.label, NewestReturnsLabel::Auto(_)));
    // A value no member accepts is an error, not a member that drops what it does not know.
    assert!(from_value::<NewestReturns>(v(json!(
        {"member": {"id": "x", "other": 1}, "count": 1, "label": "a", "owner": "u"}
    )))
    .is_err());
}

/// A nullable value keeps its `null` everywhere: a required field, an optional field (absent,
/// `null` and a value are three values), a record's values.
#[test]
fn nulls_survive_a_round_trip_in_every_position() {
    use api::kinds::{NewestArgs, NewestArgsScoresValue};
    let wire = v(json!({
        "at": {"$integer": "AQAAAAAAAAA="}, "callback": "f", "five": {"$integer": "BQAAAAAAAAA="},
        "future": {"any": ["thing"]}, "half": 1.5, "maybeNote": null, "minusThree": {"$integer": "/f////////8="},
        "minusZero": {"$float": "AAAAAAAAAIA="}, "notANumber": {"$float": "AAAAAAAA+H8="}, "note": null,
        "scores": {"a": 1.0, "b": null}, "yes": true
    }));
    let decoded: NewestArgs = from_value(wire.clone()).unwrap();
    assert_eq!(decoded.maybe_note, Some(None));
    assert_eq!(decoded.note, None);
    assert_eq!(decoded.scores["b"], NewestArgsScoresValue::Null);
    assert_eq!(to_value(&decoded).unwrap(), wire);
}

/// Members that cannot be told apart from the wire (ids of two tables are both strings) are
/// reported when generating, and the union is a `Value`.
#[test]
fn members_that_cannot_be_told_apart_are_a_warning_and_a_value() {
    let g = convex_yew_codegen::generate_with_warnings(&fixture(), &options()).unwrap();
    assert!(g.code.contains("pub owner: __convex::Value,"));
    assert!(
        g.warnings
            .iter()
            .any(|w| w.contains("NewestReturnsOwner") && w.contains("cannot be told apart")),
        "{:?}",
        g.warnings
    );
}
