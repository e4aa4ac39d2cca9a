//! The codec benchmark, natively: `cargo run --release -p convex-yew-core --example codec_bench -- bench/workload.json 30`.
//! Prints JSON: {decode_ms, encode_ms, iterations}. Run through `scripts/bench`.

use std::time::Instant;

include!("../../bench/codec.rs");

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "bench/workload.json".into());
    let iterations: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(30);
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("cannot read {path}: run scripts/bench");
        std::process::exit(2);
    };
    let time = |f: &mut dyn FnMut() -> usize| {
        let mut sink = 0;
        for _ in 0..3 {
            sink += f();
        }
        let t = Instant::now();
        for _ in 0..iterations {
            sink += f();
        }
        (t.elapsed().as_secs_f64() * 1000.0 / iterations as f64, sink)
    };
    let (decode_ms, s1) = time(&mut || decode(&text));
    let docs = decoded_docs(&text);
    let (encode_ms, s2) = time(&mut || encode(&docs).iter().map(String::len).sum());
    println!("{{\"decode_ms\":{decode_ms},\"encode_ms\":{encode_ms},\"iterations\":{iterations},\"sink\":{}}}", s1 + s2 > 0);
}
