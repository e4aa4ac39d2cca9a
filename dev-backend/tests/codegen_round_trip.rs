//! The typed API generated from this backend's own function spec, used against it: the spec
//! the backend serves generates exactly the committed `tests/generated/api.rs` (so it is up to
//! date), and values go out through the generated argument types and come back through the
//! generated result types over the HTTP API. `UPDATE_GOLDEN=1` rewrites the committed file.

#[allow(dead_code)]
#[path = "generated/api.rs"]
mod api;

mod support;

use convex_yew_codegen::{generate, Options};
use convex_yew_core::value::{from_value, to_value, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use support::*;

const ADMIN_KEY: &str = "convex-dev-backend|local-admin-key";
const GENERATED: &str = "tests/generated/api.rs";

fn spec(b: &Backend) -> serde_json::Value {
    let (_, body, _) = call(
        http()
            .post(&format!("{}/api/query", b.url))
            .set("Authorization", &format!("Convex {ADMIN_KEY}"))
            .send_json(json!({"path": "_system/cli/modules:apiSpec", "args": {}, "format": "convex_encoded_json"})),
    );
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["status"], "success", "{body}");
    json!({ "functions": body["value"] })
}

fn call_fn<A: Serialize, R: DeserializeOwned>(b: &Backend, kind: &str, path: &str, args: &A) -> R {
    let args = to_value(args).unwrap().to_json();
    let (status, body) = post_json(
        b,
        &format!("/api/{kind}"),
        json!({"path": path, "args": args, "format": "convex_encoded_json"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    from_value(Value::from_json(&body["value"]).unwrap()).unwrap()
}

#[test]
fn the_served_spec_generates_the_committed_api() {
    let b = start();
    let code = generate(
        &spec(&b).to_string(),
        &Options {
            crate_path: "::convex_yew_core".into(),
        },
    )
    .unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GENERATED, &code).unwrap();
    }
    assert!(
        code == std::fs::read_to_string(GENERATED).unwrap(),
        "{GENERATED} is stale: the backend's functions changed; rerun with UPDATE_GOLDEN=1"
    );
}

#[test]
fn every_registered_function_is_in_the_spec() {
    let listed = convex_dev_backend::convex::api_spec::listed_paths();
    let registered = convex_dev_backend::convex::functions::Registry::builtin().paths();
    assert_eq!(
        listed.len(),
        registered.len(),
        "{listed:?} vs {registered:?}"
    );
    for path in registered {
        assert!(
            listed.contains(&path),
            "{path} is served but not in the spec"
        );
    }
}

#[test]
fn values_round_trip_through_the_generated_types() {
    use api::my_functions::*;
    use api::testing::*;
    let b = start();
    let () = call_fn(
        &b,
        "mutation",
        ADD_NUMBER.path(),
        &AddNumberArgs { value: 7.5 },
    );
    let list: ListNumbersReturns = call_fn(
        &b,
        "query",
        LIST_NUMBERS.path(),
        &ListNumbersArgs { count: 10.0 },
    );
    assert_eq!(list.numbers.last(), Some(&7.5));
    assert_eq!(list.viewer, None);
    let acted: MyActionReturns = call_fn(
        &b,
        "action",
        MY_ACTION.path(),
        &MyActionArgs {
            first: 2.0,
            second: "hi".into(),
        },
    );
    assert!(acted.numbers.contains(&7.5));
    let logged: f64 = call_fn(&b, "query", LOG_LINES.path(), &LogLinesArgs { name: None });
    assert!(logged >= 1.0);
    let big: String = call_fn(&b, "query", BIG_RESULT.path(), &BigResultArgs { size: 5.0 });
    assert_eq!(big, "xxxxx");
    // The paginated query: the generated argument type plus paginationOpts.
    let mut args = match to_value(&ListNumbersPaginatedArgs {}).unwrap() {
        Value::Object(o) => o,
        _ => unreachable!(),
    };
    args.insert(
        "paginationOpts".into(),
        Value::from_json(&json!({"numItems": 5, "cursor": null})).unwrap(),
    );
    let page: serde_json::Value = call_fn(&b, "query", LIST_NUMBERS_PAGINATED.path(), &args);
    let items: Vec<f64> = serde_json::from_value(page["page"].clone()).unwrap();
    assert_eq!(
        items.first(),
        Some(&2.0),
        "newest first: the action added 2"
    );
}

#[test]
fn system_queries_need_the_admin_key() {
    let b = start();
    let (status, body) = post_json(
        &b,
        "/api/query",
        json!({"path": "_system/cli/modules:apiSpec", "args": {}}),
    );
    assert_eq!(status, 401, "{body}");
    let (status, _, _) = call(
        http()
            .post(&format!("{}/api/query", b.url))
            .set("Authorization", "Convex wrong")
            .send_json(json!({"path": "_system/cli/modules:apiSpec", "args": {}})),
    );
    assert_eq!(status, 401);
}
