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

/// Runs the workload; returns `[decode_ms, encode_ms, checksum]`.
#[wasm_bindgen]
pub fn run(text: &str, iterations: u32) -> Vec<f64> {
    let (d, s1) = time(iterations, || decode(text));
    let values = decoded_values(text);
    let (e, s2) = time(iterations, || encode(&values));
    vec![d, e, (s1 + s2) as f64]
}
