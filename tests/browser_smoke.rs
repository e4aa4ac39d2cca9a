//! Browser smoke test: a Yew component mounts, and a real WebSocket reaches the dev backend
//! and gets a real Transition back.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use convex_yew::core::protocol::{ClientMessage, ServerMessage};
use convex_yew::internals::socket::{Socket, SocketEvent};
use convex_yew::internals::url::sync_url;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

mod common;

#[component]
fn Hello() -> Html {
    html! { <h2 id="hello">{ "Hello from Yew" }</h2> }
}

#[wasm_bindgen_test]
async fn yew_component_mounts() {
    let root = common::fresh_root();
    yew::Renderer::<Hello>::with_root(root.clone()).render();
    common::settle().await;
    assert_eq!(root.text_content().unwrap_or_default(), "Hello from Yew");
}

#[wasm_bindgen_test]
async fn websocket_reaches_dev_backend() {
    let url = sync_url(common::backend_url()).expect("valid deployment URL");
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    let socket = Socket::open(&url, move |e| sink.borrow_mut().push(e)).expect("socket opens");
    common::wait_until(|| events.borrow().contains(&SocketEvent::Open)).await;
    let connect = ClientMessage::Connect {
        session_id: "0f5e2c1a-7b44-4c1e-9a70-3d2b8e6f1c90".into(),
        connection_count: 0,
        last_close_reason: Some("InitialConnect".into()),
        max_observed_timestamp: None,
        client_ts: Some(0),
    };
    socket.send(&connect.to_text()).unwrap();
    let modify = ClientMessage::ModifyQuerySet {
        base_version: 0,
        new_version: 1,
        modifications: vec![],
    };
    socket.send(&modify.to_text()).unwrap();
    common::wait_until(|| {
        events
            .borrow()
            .iter()
            .any(|e| matches!(e, SocketEvent::Message(_)))
    })
    .await;
    let first = events
        .borrow()
        .iter()
        .find_map(|e| match e {
            SocketEvent::Message(m) => Some(m.clone()),
            _ => None,
        })
        .unwrap();
    match ServerMessage::parse(&first).expect("server frame parses") {
        ServerMessage::Transition { end_version, .. } => assert_eq!(end_version.query_set, 1),
        other => panic!("expected a Transition, got {other:?}"),
    }
}

/// Frame text leaves JS through `TextEncoder.encodeInto`: every kind of text arrives intact,
/// and anything that is not a string is refused.
#[wasm_bindgen_test]
fn js_strings_arrive_as_the_same_text() {
    use convex_yew::internals::js_text::js_string_text;
    use wasm_bindgen::JsValue;
    // Above 16 K units the text goes through `encodeInto`: ASCII in one pass, anything
    // else in a second, worst-case one.
    let big = format!("{}é{}", "a".repeat(100_000), "ü".repeat(50_000));
    let ascii = "x".repeat(20_000);
    let emoji_last = format!("{}\u{1f600}", "y".repeat(20_000));
    for text in [
        "",
        "plain ascii",
        "caf\u{e9} \u{65e5}\u{672c} \u{1f600} mixed",
        "\u{1f600}",
        big.as_str(),
        ascii.as_str(),
        emoji_last.as_str(),
    ] {
        assert_eq!(
            js_string_text(&JsValue::from_str(text)).as_deref(),
            Some(text)
        );
    }
    assert_eq!(js_string_text(&JsValue::from_f64(1.0)), None);
    assert_eq!(js_string_text(&JsValue::NULL), None);
    // A lone surrogate (not valid Unicode) becomes U+FFFD, as `TextEncoder` writes it.
    let lone = js_sys::JsString::from_char_code1(0xd800);
    assert_eq!(js_string_text(&lone.into()).as_deref(), Some("\u{fffd}"));
}
