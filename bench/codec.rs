// Shared by the native and the wasm codec benchmarks (included with `include!`).

/// Parses the Transition and decodes every query result, as the client does; returns a checksum.
fn decode(text: &str) -> usize {
    convex_yew_core::bench_decode_transition(text)
}

#[allow(dead_code)]
fn decode_via_public_types(text: &str) -> usize {
    let mut sink = 0;
    if let Ok(convex_yew_core::protocol::ServerMessage::Transition { modifications, .. }) = convex_yew_core::protocol::ServerMessage::parse(text) {
        for m in modifications {
            if let convex_yew_core::protocol::StateModification::QueryUpdated { value, .. } = m {
                if let Ok(convex_yew_core::Value::Array(items)) = convex_yew_core::Value::from_json_owned(value) {
                    sink += items.len();
                }
            }
        }
    }
    sink
}

/// Encodes each result as an argument object `{docs}` to text; returns a checksum.
fn encode(values: &[convex_yew_core::Value]) -> usize {
    let mut sink = 0;
    for v in values {
        let mut o = convex_yew_core::value::Object::new();
        o.insert("docs".into(), v.clone());
        sink += convex_yew_core::Value::Object(o).to_json().to_string().len();
    }
    sink
}

fn decoded_values(text: &str) -> Vec<convex_yew_core::Value> {
    match convex_yew_core::protocol::ServerMessage::parse(text) {
        Ok(convex_yew_core::protocol::ServerMessage::Transition { modifications, .. }) => modifications
            .into_iter()
            .filter_map(|m| match m {
                convex_yew_core::protocol::StateModification::QueryUpdated { value, .. } => convex_yew_core::Value::from_json_owned(value).ok(),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}
