//! The logger option, `local_query_logs`, handles that unsubscribe on drop, and the error
//! type's `source()` chain, in headless Chromium against the dev backend.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::{Cell, RefCell};
use std::error::Error as _;
use std::rc::Rc;

use convex_yew::Query;
use convex_yew::{ClientOptions, ConvexClient, LogLevel, Logger};
use serde::{Deserialize, Serialize};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Serialize)]
struct Name {
    name: String,
}
#[derive(Serialize)]
struct ListArgs {
    count: u32,
}
#[derive(Deserialize, Debug)]
struct List {
    #[allow(dead_code)]
    numbers: Vec<f64>,
}

const LOGS: Query<Name, f64> = Query::new("testing:logLines");
const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
/// The right function with the wrong result type: every result fails to decode.
const LIST_AS_STRING: Query<ListArgs, String> = Query::new("myFunctions:listNumbers");

type Lines = Rc<RefCell<Vec<(LogLevel, String)>>>;

fn recording_client() -> (ConvexClient, Lines) {
    let lines: Lines = Rc::default();
    let sink = lines.clone();
    let options = ClientOptions {
        logger: Logger::custom(move |level, message| {
            sink.borrow_mut().push((level, message.to_owned()))
        }),
        ..ClientOptions::default()
    };
    let client = ConvexClient::with_options(common::backend_url(), options).unwrap();
    (client, lines)
}

#[wasm_bindgen_test]
async fn function_log_lines_go_to_the_custom_logger_named_by_their_query() {
    let (client, lines) = recording_client();
    let name = Name {
        name: format!("logger-{}", common::marker()),
    };
    let sub = client.subscribe(&LOGS, &name).unwrap();
    common::wait_until(|| sub.latest().is_some()).await;
    let expected = format!("[CONVEX Q(testing:logLines)] [LOG] 'hello {}'", name.name);
    common::wait_until(|| lines.borrow().iter().any(|(_, l)| *l == expected)).await;
    assert!(lines
        .borrow()
        .iter()
        .any(|(level, l)| *l == expected && *level == LogLevel::Info));
    assert_eq!(
        client.local_query_logs(&LOGS, &name),
        Some(vec![format!("[LOG] 'hello {}'", name.name)])
    );
    assert_eq!(
        client.local_query_logs(
            &LOGS,
            &Name {
                name: "nobody".into()
            }
        ),
        None,
        "not subscribed"
    );
    client.close();
}

#[wasm_bindgen_test]
async fn a_silent_logger_takes_nothing_and_verbose_frames_are_debug_level() {
    let (verbose, lines) = {
        let lines: Lines = Rc::default();
        let sink = lines.clone();
        let options = ClientOptions {
            verbose: true,
            logger: Logger::custom(move |level, m| sink.borrow_mut().push((level, m.to_owned()))),
            ..ClientOptions::default()
        };
        (
            ConvexClient::with_options(common::backend_url(), options).unwrap(),
            lines,
        )
    };
    let sub = verbose.subscribe(&LIST, &ListArgs { count: 1 }).unwrap();
    common::wait_until(|| sub.latest().is_some()).await;
    assert!(lines
        .borrow()
        .iter()
        .any(|(level, l)| *level == LogLevel::Debug && l.contains("socket")));
    verbose.close();

    // Record what reaches the console from here on.
    js_sys::Function::new_no_args(
        "window.__logged = []; for (const k of ['log', 'warn', 'error']) { const o = console[k]; \
         console[k] = (...a) => { window.__logged.push(a.join(' ')); o.apply(console, a); }; }",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap();
    let silent = ConvexClient::with_options(
        common::backend_url(),
        ClientOptions {
            verbose: true,
            logger: Logger::silent(),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let sub = silent.subscribe(&LIST, &ListArgs { count: 1 }).unwrap();
    common::wait_until(|| sub.latest().is_some()).await;
    let _ = silent
        .query(
            &LOGS,
            &Name {
                name: "silent".into(),
            },
        )
        .await;
    silent.close();
    let logged = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__logged".into()).unwrap();
    let logged: Vec<String> = js_sys::Array::from(&logged)
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    assert!(
        !logged
            .iter()
            .any(|l| l.contains("[convex-yew]") || l.contains("[CONVEX")),
        "the silent client logged: {logged:?}"
    );
    assert_eq!(format!("{:?}", Logger::silent()), "Logger(silent)");
}

#[wasm_bindgen_test]
async fn dropping_a_watch_or_a_connection_listener_unsubscribes_it() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let args = match convex_yew::to_value(&ListArgs { count: 2 }).unwrap() {
        convex_yew::Value::Object(o) => o,
        _ => unreachable!(),
    };
    let notified = Rc::new(Cell::new(0u32));
    let n = notified.clone();
    let watch = client.watch(
        "myFunctions:listNumbers",
        &args,
        Rc::new(move |_| n.set(n.get() + 1)),
    );
    common::wait_until(|| watch.result().is_some()).await;
    assert_eq!(client.connection_state().subscribed_queries, 1);

    let changes = Rc::new(Cell::new(0u32));
    let c = changes.clone();
    let listener = client.on_connection_change(move |_| c.set(c.get() + 1));
    common::add_numbers(&client, 1).await;
    assert!(changes.get() > 0, "the in-flight count changed");
    drop(listener);
    let seen = changes.get();
    common::add_numbers(&client, 1).await;
    assert_eq!(changes.get(), seen, "a dropped listener is not called");

    drop(watch);
    common::settle().await;
    assert_eq!(client.connection_state().subscribed_queries, 0);
    let before = notified.get();
    common::add_numbers(&client, 1).await;
    assert_eq!(notified.get(), before, "a dropped watch is not notified");
    client.close();
}

#[wasm_bindgen_test]
async fn errors_chain_to_their_cause() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let err = client
        .query(&LIST_AS_STRING, &ListArgs { count: 1 })
        .await
        .unwrap_err();
    assert!(err.is_decode(), "{err}");
    let cause = err.source().expect("a decode error has a cause");
    assert!(
        cause
            .downcast_ref::<convex_yew::core::value::ValueError>()
            .is_some(),
        "{cause:?}"
    );
    let err = ConvexClient::new("ftp://nope").unwrap_err();
    assert!(err.is_url());
    assert!(err.to_string().contains("ftp") || !err.to_string().is_empty());
    client.close();
}

/// The ids the client and the AuthKit lock stamp use are RFC 4122 version 4 UUIDs, in the
/// lowercase form `crypto.randomUUID()` gives.
#[wasm_bindgen_test]
fn uuids_are_version_4_in_lowercase() {
    let a = convex_yew::internals::browser::uuid_v4();
    assert_eq!(a.len(), 36, "{a}");
    for (i, c) in a.char_indices() {
        match i {
            8 | 13 | 18 | 23 => assert_eq!(c, '-', "{a}"),
            14 => assert_eq!(c, '4', "{a}"),
            19 => assert!("89ab".contains(c), "{a}"),
            _ => assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{a}"),
        }
    }
    assert_ne!(a, convex_yew::internals::browser::uuid_v4());
}
