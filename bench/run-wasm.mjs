// Runs the wasm codec benchmark (built by scripts/bench with wasm-bindgen --target nodejs).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { run } = require(process.argv[2]);
const text = readFileSync(process.argv[3], "utf8");
const [decode_ms, encode_ms] = run(text, Number(process.argv[4] ?? 30));
console.log(JSON.stringify({ decode_ms, encode_ms }));
