//! `scripts/bench`: N live subscriptions in one page (`?n=500`), each `listNumbers` with its own
//! `count`, so one added number updates every one of them. `window.addValue(v)` runs the
//! mutation; `window.wasmMemoryBytes()` reports the wasm linear memory. The backend URL is
//! `?backend=http://127.0.0.1:PORT`.

use convex_yew::{use_query, ConvexProvider, QueryState};
use convex_yew::{ConvexClient, Mutation, Query};
use wasm_bindgen::prelude::*;
use yew::prelude::*;

#[derive(serde::Serialize, Clone, PartialEq)]
struct ListArgs {
    count: f64,
}
#[derive(serde::Deserialize, PartialEq)]
struct List {
    numbers: Vec<f64>,
}
#[derive(serde::Serialize)]
struct AddArgs {
    value: f64,
}

const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
const ADD: Mutation<AddArgs, ()> = Mutation::new("myFunctions:addNumber");

#[derive(Properties, PartialEq)]
struct RowProps {
    count: u32,
}

#[component]
fn Row(props: &RowProps) -> Html {
    let list = use_query(
        &LIST,
        Some(ListArgs {
            count: f64::from(props.count),
        }),
    );
    match list {
        QueryState::Ok(l) => {
            html! { <li class="ready">{ l.numbers.last().copied().unwrap_or_default() }</li> }
        }
        _ => html! { <li>{ "…" }</li> },
    }
}

#[derive(Properties, PartialEq)]
struct AppProps {
    client: ConvexClient,
    n: u32,
}

#[component]
fn App(props: &AppProps) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            <ol id="rows">{ for (1..=props.n).map(|count| html! { <Row {count} /> }) }</ol>
        </ConvexProvider>
    }
}

fn param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| {
            js_sys::decode_uri_component(v)
                .ok()
                .map(String::from)
                .unwrap_or_default()
        })
}

/// The wasm linear memory, in bytes.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            f64::from(
                m.buffer()
                    .unchecked_into::<js_sys::ArrayBuffer>()
                    .byte_length(),
            )
        })
        .unwrap_or(0.0)
}

fn main() {
    let backend = param("backend").unwrap_or_else(|| "http://127.0.0.1:3210".into());
    let n = param("n").and_then(|n| n.parse().ok()).unwrap_or(500);
    let Ok(client) = ConvexClient::new(&backend) else {
        return;
    };
    let adder = client.clone();
    let add = Closure::<dyn Fn(f64)>::new(move |value: f64| {
        let done = adder.mutation(&ADD, &AddArgs { value });
        wasm_bindgen_futures::spawn_local(async move {
            let _ = done.await;
        });
    });
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &"addValue".into(), add.as_ref());
    }
    add.forget();
    yew::Renderer::<App>::with_props(AppProps { client, n }).render();
}
