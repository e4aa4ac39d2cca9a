// 500 live subscriptions, side by side: bench/many-yew (trunk release) and bench/many-react.jsx
// (official SDK, esbuild production), same Chromium, same dev backend, alternated runs.
//   first: navigation start -> all N rows rendered with a result
//   update: one mutation whose Transition updates all N queries -> all N rows re-rendered
//   *_client: the part after the Transition carrying the N results arrived (decode + render)
//   memory after the run: JS heap (+ wasm linear memory for convex-yew), after a GC
// Prints JSON rows.   node bench/many.mjs BACKEND_URL YEW_DIST REACT_DIST RUNS [N]
import { serveDist, launchBrowser } from "../tests/e2e/harness.mjs";

const [backend, yewDist, reactDist, runsArg, nArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const n = Number(nArg ?? 500);

const PROBE = (n) => {
  window.__marks = {};
  // Frame arrival times, to split each row into the time until the results arrived (socket,
  // server) and the client's own time after that (decode, render).
  window.__frames = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        if (typeof e.data === "string") window.__frames.push([performance.now(), e.data.length]);
      });
    }
  };
  const rows = () => document.querySelectorAll("#rows li.ready");
  new MutationObserver(() => {
    if (window.__marks.first === undefined && rows().length === n) window.__marks.first = performance.now();
    if (window.__target !== undefined && window.__marks.update === undefined) {
      const all = rows();
      if (all.length === n && [...all].every((li) => li.textContent === window.__target)) {
        window.__marks.update = performance.now() - window.__startedAt;
      }
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
};

const servers = { yew: await serveDist(yewDist), react: await serveDist(reactDist) };
const browser = await launchBrowser(["--enable-precise-memory-info", "--js-flags=--expose-gc"]);

async function once(app) {
  const context = await browser.newContext();
  await context.addInitScript(PROBE, n);
  const page = await context.newPage();
  await page.goto(`${servers[app].url}/?n=${n}&backend=${encodeURIComponent(backend)}`);
  await page.waitForFunction(() => window.__marks.first !== undefined, null, { timeout: 120000, polling: 50 });
  await page.waitForTimeout(300);
  const marker = 500000 + Math.floor(Math.random() * 400000);
  await page.evaluate((m) => {
    window.__target = String(m);
    window.__startedAt = performance.now();
    window.addValue(m);
  }, marker);
  await page.waitForFunction(() => window.__marks.update !== undefined, null, { timeout: 120000, polling: 50 });
  const memory = await page.evaluate(async () => {
    if (window.gc) window.gc();
    await new Promise((r) => setTimeout(r, 100));
    const heap = performance.memory?.usedJSHeapSize ?? 0;
    const wasm = typeof window.wasmBindings?.wasmMemoryBytes === "function" ? window.wasmBindings.wasmMemoryBytes() : 0;
    return { heap, wasm };
  });
  const marks = await page.evaluate(() => window.__marks);
  // The Transition carrying the N results is the largest frame before the first render, and
  // again the largest after the click.
  const { frames, startedAt } = await page.evaluate(() => ({ frames: window.__frames, startedAt: window.__startedAt }));
  const largest = (fs) => fs.reduce((best, f) => (f[1] > best[1] ? f : best), [NaN, 0])[0];
  const firstArrived = largest(frames.filter(([t]) => t <= marks.first));
  const updateArrived = largest(frames.filter(([t]) => t > startedAt)) - startedAt;
  await context.close();
  return {
    first: marks.first,
    first_client: marks.first - firstArrived,
    update: marks.update,
    update_client: marks.update - updateArrived,
    heap: memory.heap,
    wasm: memory.wasm,
  };
}

const rows = [];
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? ["yew", "react"] : ["react", "yew"];
  const row = {};
  for (const app of order) {
    const r = await once(app);
    for (const [k, v] of Object.entries(r)) row[`${app}_${k}`] = v;
  }
  rows.push(row);
}
console.log(JSON.stringify(rows));
await browser.close();
await servers.yew.close();
await servers.react.close();
process.exit(0);
