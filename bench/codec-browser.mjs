// The codec benchmark in headless Chromium, both sides in the same page: convex-yew-core as wasm
// (wasm-bindgen --target web) and the official `convex/values` (bundled by esbuild), on the
// shared 1.2 MB Transition, alternated, medians. Both sides are timed from JS, end to end:
// the frame text crosses into wasm and the app's structs come out (decode); the app's structs
// go in and the argument texts come back to JS (encode); `inside_*` time the same work inside
// wasm, without the boundary. Prints JSON {yew: {decode_ms, encode_ms, inside_*},
// js: {...}}.   node bench/codec-browser.mjs WASM_BINDGEN_WEB_DIR RUNS ITERATIONS
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { launchBrowser } from "../tests/e2e/harness.mjs";
import { transitionText } from "./workload.mjs";

const [wasmDir, runsArg, itersArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const iterations = Number(itersArg ?? 20);

const jsCodec = (
  await build({
    stdin: {
      contents: `
import { jsonToConvex, convexToJson } from "convex/values";
export function runJs(text, iterations) {
  const time = (f) => { for (let i = 0; i < 3; i++) f(); const t = performance.now(); for (let i = 0; i < iterations; i++) f(); return (performance.now() - t) / iterations; };
  let sink = 0;
  const decode_ms = time(() => { const msg = JSON.parse(text); for (const m of msg.modifications) sink += jsonToConvex(m.value).length; });
  const decoded = JSON.parse(text).modifications.map((m) => jsonToConvex(m.value));
  const encode_ms = time(() => { for (const v of decoded) sink += JSON.stringify(convexToJson({ docs: v })).length; });
  return { decode_ms, encode_ms, sink };
}`,
      resolveDir: process.cwd(),
      loader: "js",
    },
    bundle: true,
    minify: true,
    format: "esm",
    write: false,
    logLevel: "error",
  })
).outputFiles[0].contents;

const files = {
  "/": ["text/html", `<!doctype html><meta charset="utf-8"><script type="module">
import init, { decode_frame_js, encode_all, run } from "/codec.js";
import { runJs } from "/js-codec.js";
await init("/codec.wasm");
const text = await (await fetch("/workload.json")).text();
const time = (f, n) => { for (let i = 0; i < 3; i++) f(); const t = performance.now(); for (let i = 0; i < n; i++) f(); return (performance.now() - t) / n; };
let sink = 0;
window.runYew = (n) => {
  const decode_ms = time(() => (sink += decode_frame_js(text)), n);
  const encode_ms = time(() => { for (const s of encode_all()) sink += s.length; }, n);
  const [inside_decode_ms, inside_encode_ms] = run(text, n);
  return { decode_ms, encode_ms, inside_decode_ms, inside_encode_ms };
};
window.runJs = (n) => { const { decode_ms, encode_ms } = runJs(text, n); return { decode_ms, encode_ms }; };
window.ready = true;
</script>`],
  "/codec.js": ["text/javascript", await readFile(join(wasmDir, "convex_yew_codec_bench.js"))],
  "/codec.wasm": ["application/wasm", await readFile(join(wasmDir, "convex_yew_codec_bench_bg.wasm"))],
  "/js-codec.js": ["text/javascript", jsCodec],
  "/workload.json": ["application/json", transitionText()],
};
const server = createServer((req, res) => {
  const f = files[new URL(req.url, "http://x").pathname];
  if (!f) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": f[0] }).end(f[1]);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const browser = await launchBrowser();
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);
await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
const rows = { yew: [], js: [] };
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? ["yew", "js"] : ["js", "yew"];
  for (const side of order) {
    rows[side].push(await page.evaluate(([s, n]) => (s === "yew" ? window.runYew(n) : window.runJs(n)), [side, iterations]));
  }
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = (r) => ({ inside_decode_ms: median(r.map((x) => x.inside_decode_ms ?? 0)), inside_encode_ms: median(r.map((x) => x.inside_encode_ms ?? 0)), decode_ms: median(r.map((x) => x.decode_ms)), encode_ms: median(r.map((x) => x.encode_ms)) });
console.log(JSON.stringify({ yew: summary(rows.yew), js: summary(rows.js) }));
await browser.close();
server.close();
process.exit(0);
