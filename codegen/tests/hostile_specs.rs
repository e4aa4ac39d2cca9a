//! The generator against hostile specs: random JSON built from the spec's own vocabulary (so it
//! reaches deep into validators), as objects and as validator strings. It never panics: it
//! answers with code or a typed error.

use convex_yew_codegen::{generate, CodegenError, Options};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

const KEYS: &[&str] = &[
    "type",
    "value",
    "fieldType",
    "optional",
    "tableName",
    "keys",
    "values",
    "identifier",
    "functionType",
    "visibility",
    "kind",
    "args",
    "returns",
    "functions",
    "url",
];
const WORDS: &[&str] = &[
    "object",
    "union",
    "literal",
    "id",
    "array",
    "record",
    "string",
    "number",
    "bigint",
    "boolean",
    "bytes",
    "null",
    "any",
    "Query",
    "Mutation",
    "Action",
    "HttpAction",
    "public",
    "internal",
    "m.js:f",
    "a/b.js:g",
    ":x",
    "type",
    "self",
    "9",
    "",
    "Self",
];

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        (-3i64..100).prop_map(|n| json!(n)),
        prop::sample::select(WORDS).prop_map(|w| json!(w)),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
            prop::collection::btree_map(prop::sample::select(KEYS), inner.clone(), 0..6).prop_map(
                |m| Json::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            ),
            // A validator hidden in a string, as the deployment stores them.
            inner.prop_map(|v| Json::String(v.to_string())),
        ]
    })
}

proptest! {
    #[test]
    fn hostile_specs_give_code_or_a_typed_error(functions in prop::collection::vec(json_value(), 0..6)) {
        let spec = json!({ "functions": functions });
        match generate(&spec.to_string(), &Options::default()) {
            Ok(code) => prop_assert!(code.starts_with("// @generated")),
            Err(CodegenError::Spec { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error kind: {other}"),
        }
    }
}
