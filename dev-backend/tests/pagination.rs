//! `myFunctions:listNumbersPaginated` over real WebSockets: cursors, pages pinned by the
//! journal (grow in place, survive a reconnect), split hints, invalid cursors.

mod support;

use convex_yew_core::protocol::{
    ClientMessage, QuerySetModification, ServerMessage, StateModification,
};
use serde_json::{json, Value as Json};
use support::*;

const PAGED: &str = "myFunctions:listNumbersPaginated";

fn add_page(ws: &mut Ws, base: u32, id: u32, opts: Json, journal: Option<String>) {
    ws.send(&ClientMessage::ModifyQuerySet {
        base_version: base,
        new_version: base + 1,
        modifications: vec![QuerySetModification::Add {
            query_id: id,
            udf_path: PAGED.into(),
            args: json!([{ "paginationOpts": opts }]),
            journal,
            component_path: None,
        }],
    });
}

/// The (value, journal) of query `id` in the next Transition that updates it.
fn next_page(ws: &mut Ws, id: u32) -> (Json, Option<String>) {
    loop {
        let m = ws.recv().expect("a frame");
        if let ServerMessage::Transition { modifications, .. } = m {
            for m in modifications {
                match m {
                    StateModification::QueryUpdated {
                        query_id,
                        value,
                        journal,
                        ..
                    } if query_id == id => return (value, journal),
                    StateModification::QueryFailed {
                        query_id,
                        error_message,
                        error_data,
                        ..
                    } if query_id == id => {
                        return (json!({"error": error_message, "data": error_data}), None)
                    }
                    _ => {}
                }
            }
        }
    }
}

fn add_numbers(ws: &mut Ws, first_request: u32, values: &[f64]) {
    for (i, v) in values.iter().enumerate() {
        ws.send(&ClientMessage::Mutation {
            request_id: first_request + i as u32,
            udf_path: "myFunctions:addNumber".into(),
            args: json!([{ "value": v }]),
            component_path: None,
        });
        ws.until(|m| matches!(m, ServerMessage::MutationResponse { success: true, .. }));
    }
}

#[test]
fn pages_follow_cursors_and_grow_in_place_under_their_journal() {
    let b = start();
    let mut ws = Ws::connect(&b, SESSION);
    add_numbers(&mut ws, 0, &[1.0, 2.0, 3.0, 4.0, 5.0]);
    add_page(
        &mut ws,
        0,
        0,
        json!({"numItems": 2, "cursor": null, "id": 1}),
        None,
    );
    let (first, journal) = next_page(&mut ws, 0);
    assert_eq!(first["page"], json!([5, 4]));
    assert_eq!(first["isDone"], json!(false));
    let cont = first["continueCursor"].as_str().unwrap().to_owned();
    assert_eq!(
        journal.as_deref(),
        Some(format!("{{\"endCursor\":\"{cont}\"}}").as_str())
    );

    add_page(
        &mut ws,
        1,
        1,
        json!({"numItems": 10, "cursor": cont, "id": 1}),
        None,
    );
    let (second, _) = next_page(&mut ws, 1);
    assert_eq!(second["page"], json!([3, 2, 1]));
    assert_eq!(second["isDone"], json!(true));

    // A new number lands at the top: the first page grows (its end is pinned), the second
    // does not change.
    add_numbers(&mut ws, 10, &[6.0]);
    let (grown, _) = next_page(&mut ws, 0);
    assert_eq!(grown["page"], json!([6, 5, 4]));
    assert_eq!(grown["continueCursor"].as_str(), Some(cont.as_str()));
    assert!(
        grown["splitCursor"].is_string(),
        "a grown page gets a split hint: {grown}"
    );

    // Two more: 5 items on a page of 2 is past twice its size.
    add_numbers(&mut ws, 20, &[7.0, 8.0]);
    let (big, _) = loop {
        let p = next_page(&mut ws, 0);
        if p.0["page"].as_array().unwrap().len() == 5 {
            break p;
        }
    };
    assert_eq!(big["pageStatus"], json!("SplitRecommended"));

    // A reconnect that sends the journal back gets the same pinned page.
    let mut again = Ws::connect(&b, "1f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c91");
    add_page(
        &mut again,
        0,
        0,
        json!({"numItems": 2, "cursor": null, "id": 1}),
        journal,
    );
    let (same, _) = next_page(&mut again, 0);
    assert_eq!(same["page"], json!([8, 7, 6, 5, 4]));
    // Without the journal the page is re-pinned at two items.
    add_page(
        &mut again,
        1,
        1,
        json!({"numItems": 2, "cursor": null, "id": 2}),
        None,
    );
    let (fresh, _) = next_page(&mut again, 1);
    assert_eq!(fresh["page"], json!([8, 7]));

    // The halves of a split: explicit end cursors.
    let split = big["splitCursor"].as_str().unwrap().to_owned();
    add_page(
        &mut again,
        2,
        2,
        json!({"numItems": 2, "cursor": null, "endCursor": split, "id": 1}),
        None,
    );
    let (top, _) = next_page(&mut again, 2);
    add_page(
        &mut again,
        3,
        3,
        json!({"numItems": 2, "cursor": split, "endCursor": cont, "id": 1}),
        None,
    );
    let (bottom, _) = next_page(&mut again, 3);
    let mut stitched = top["page"].as_array().unwrap().clone();
    stitched.extend(bottom["page"].as_array().unwrap().iter().cloned());
    assert_eq!(Json::Array(stitched), json!([8, 7, 6, 5, 4]));
}

#[test]
fn bad_cursors_and_options_are_typed_errors() {
    let b = start();
    let mut ws = Ws::connect(&b, SESSION);
    add_page(
        &mut ws,
        0,
        0,
        json!({"numItems": 2, "cursor": "n999", "id": 1}),
        None,
    );
    let (e, _) = next_page(&mut ws, 0);
    assert!(
        e["error"].as_str().unwrap().contains("InvalidCursor"),
        "{e}"
    );
    assert_eq!(e["data"]["paginationError"], json!("InvalidCursor"));
    add_page(&mut ws, 1, 1, json!({"numItems": -1, "cursor": null}), None);
    let (e, _) = next_page(&mut ws, 1);
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("ArgumentValidationError"),
        "{e}"
    );
    // A garbage journal is ignored: the page re-pins.
    add_page(
        &mut ws,
        2,
        2,
        json!({"numItems": 2, "cursor": null, "id": 1}),
        Some("{not json".into()),
    );
    let (p, j) = next_page(&mut ws, 2);
    assert_eq!(p["page"], json!([]));
    assert!(j.is_some());
}
