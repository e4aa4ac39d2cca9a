//! The dev backend's own function spec: what `_system/cli/modules:apiSpec` answers (and so
//! what `npx convex function-spec` prints), with the argument and return validators of every
//! function the registry serves, in the JSON of `convex/values` validators.

use serde_json::{json, Value as Json};

fn field(ty: Json) -> Json {
    json!({ "fieldType": ty, "optional": false })
}

fn optional(ty: Json) -> Json {
    json!({ "fieldType": ty, "optional": true })
}

fn object(fields: Json) -> Json {
    json!({ "type": "object", "value": fields })
}

fn t(name: &str) -> Json {
    json!({ "type": name })
}

fn union(members: Vec<Json>) -> Json {
    json!({ "type": "union", "value": members })
}

fn array(of: Json) -> Json {
    json!({ "type": "array", "value": of })
}

fn literal(v: &str) -> Json {
    json!({ "type": "literal", "value": v })
}

fn number_list() -> Json {
    object(json!({
        "viewer": field(union(vec![t("string"), t("null")])),
        "numbers": field(array(t("number"))),
    }))
}

/// `(identifier, functionType, args, returns)` of every public function.
fn table() -> Vec<(&'static str, &'static str, Json, Json)> {
    let pagination_opts = object(json!({
        "numItems": field(t("number")),
        "cursor": field(union(vec![t("string"), t("null")])),
        "endCursor": optional(union(vec![t("string"), t("null")])),
        "id": optional(t("number")),
        "maximumRowsRead": optional(t("number")),
        "maximumBytesRead": optional(t("number")),
    }));
    vec![
        (
            "myFunctions.js:listNumbers",
            "Query",
            object(json!({ "count": field(t("number")) })),
            number_list(),
        ),
        (
            "myFunctions.js:listNumbersPaginated",
            "Query",
            object(json!({ "paginationOpts": field(pagination_opts.clone()) })),
            object(json!({
                "page": field(array(t("number"))),
                "isDone": field(t("boolean")),
                "continueCursor": field(t("string")),
                "splitCursor": optional(union(vec![t("string"), t("null")])),
                "pageStatus": optional(union(vec![
                    literal("SplitRecommended"),
                    literal("SplitRequired"),
                    t("null"),
                ])),
            })),
        ),
        (
            "myFunctions.js:addNumber",
            "Mutation",
            object(json!({ "value": field(t("number")) })),
            t("null"),
        ),
        (
            "myFunctions.js:myAction",
            "Action",
            object(json!({ "first": field(t("number")), "second": field(t("string")) })),
            number_list(),
        ),
        ("testing.js:whoami", "Query", object(json!({})), t("any")),
        (
            "testing.js:throwConvexError",
            "Query",
            object(json!({ "code": optional(t("string")) })),
            t("null"),
        ),
        (
            "testing.js:bigResult",
            "Query",
            object(json!({ "size": field(t("number")) })),
            t("string"),
        ),
        (
            "testing.js:sortedNumbers",
            "Query",
            object(json!({ "paginationOpts": field(pagination_opts.clone()) })),
            object(json!({
                "page": field(array(t("number"))),
                "isDone": field(t("boolean")),
                "continueCursor": field(t("string")),
            })),
        ),
        (
            "testing.js:logLines",
            "Query",
            object(json!({ "name": optional(t("string")) })),
            t("number"),
        ),
        (
            "testing.js:failingMutation",
            "Mutation",
            object(json!({ "value": optional(t("number")) })),
            t("null"),
        ),
        ("testing.js:echoAction", "Action", t("any"), t("any")),
    ]
}

/// The spec as the system query returns it: validators as JSON strings, as Convex stores
/// analysed functions.
pub fn api_spec() -> Json {
    Json::Array(
        table()
            .into_iter()
            .map(|(identifier, kind, args, returns)| {
                json!({
                    "identifier": identifier,
                    "functionType": kind,
                    "visibility": { "kind": "public" },
                    "args": args.to_string(),
                    "returns": returns.to_string(),
                })
            })
            .collect(),
    )
}

/// The canonical paths the spec lists (to check it against the registry).
pub fn listed_paths() -> Vec<String> {
    table()
        .into_iter()
        .map(|(identifier, ..)| identifier.replacen(".js:", ":", 1))
        .collect()
}
