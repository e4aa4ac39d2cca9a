// Shared by the native and the wasm codec benchmarks (included with `include!`).
// End to end, as an app sees it: Transition text in, the app's own structs out; the app's
// structs in, argument text out.

/// One document of the workload, as an app declares it.
#[derive(serde::Deserialize, serde::Serialize)]
#[allow(dead_code)]
struct Doc {
    _id: String,
    #[serde(rename = "_creationTime")]
    creation_time: f64,
    text: String,
    count: i64,
    score: f64,
    tags: Vec<String>,
    done: bool,
}

#[derive(serde::Serialize)]
struct Args<'a> {
    docs: &'a [Doc],
}

/// Reads the Transition as the client does and decodes every query result into `Vec<Doc>`,
/// as each `use_query` does; returns a checksum.
fn decode(text: &str) -> usize {
    convex_yew_core::bench_transition_results(text)
        .iter()
        .map(|r| r.decode::<Vec<Doc>>().map_or(0, |d| d.len()))
        .sum()
}

/// Every result, decoded.
fn decoded_docs(text: &str) -> Vec<Vec<Doc>> {
    convex_yew_core::bench_transition_results(text)
        .iter()
        .filter_map(|r| r.decode::<Vec<Doc>>().ok())
        .collect()
}

/// Encodes each result as the argument object `{docs}` of a mutation frame, as the client
/// does for `mutation(&M, &args)`; returns the texts.
fn encode(docs: &[Vec<Doc>]) -> Vec<String> {
    docs.iter()
        .filter_map(|d| convex_yew_core::value::to_args(&Args { docs: d }).ok())
        .map(|args| convex_yew_core::value::args_to_text(&args))
        .collect()
}
