//! The codec benchmark as wasm: `run(text, iterations)` returns `[decode_ms, encode_ms]`.

use wasm_bindgen::prelude::*;

include!("../../codec.rs");

fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| {
            js_sys::Reflect::get(&p, &"now".into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                .and_then(|f| f.call0(&p).ok())
        })
        .and_then(|v| v.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}

fn time(iterations: u32, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut sink = 0;
    for _ in 0..3 {
        sink += f();
    }
    let t = now_ms();
    for _ in 0..iterations {
        sink += f();
    }
    ((now_ms() - t) / iterations.max(1) as f64, sink)
}

/// Runs the workload inside wasm; returns `[decode_ms, encode_ms, checksum]`.
#[wasm_bindgen]
pub fn run(text: &str, iterations: u32) -> Vec<f64> {
    let (d, s1) = time(iterations, || decode(text));
    let docs = decoded_docs(text);
    let (e, s2) = time(iterations, || encode(&docs).iter().map(String::len).sum());
    vec![d, e, (s1 + s2) as f64]
}

thread_local! {
    static DOCS: std::cell::RefCell<Vec<Vec<Doc>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// One decode called from JS, the frame text crossing into wasm as the WebSocket's does;
/// returns how many documents were decoded. Keeps them for [`encode_all`].
#[wasm_bindgen]
pub fn decode_frame(text: &str) -> usize {
    let docs = decoded_docs(text);
    let n = docs.iter().map(Vec::len).sum();
    DOCS.with(|d| *d.borrow_mut() = docs);
    n
}

/// Encodes every kept result as argument text and hands the texts to JS, as a socket send does.
#[wasm_bindgen]
pub fn encode_all() -> Vec<String> {
    DOCS.with(|d| encode(&d.borrow()))
}

#[path = "../../../src/runtime/js_text.rs"]
mod js_text;

/// [`decode_frame`] with the text taken from JS as the client's socket takes it.
#[wasm_bindgen]
pub fn decode_frame_js(text: JsValue) -> usize {
    decode_frame(&js_text::js_string_text(&text).unwrap_or_default())
}
