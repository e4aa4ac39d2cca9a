// CPU profile of the 500-row update in the Yew page: self time per function, averaged over 5
// updates. Function names need a build that keeps them (no wasm-opt):
//   sed 's/data-wasm-opt="z"/data-wasm-opt="0"/' bench/many-yew/index.html > bench/many-yew/prof.html
//   trunk build bench/many-yew/prof.html --release --dist target/bench/many-yew-prof
//   target/release/convex-dev-backend --port 3297 --in-memory --test-controls &
//   node bench/profile-many.mjs http://127.0.0.1:3297 target/bench/many-yew-prof [TOP]
import { serveDist, launchBrowser } from "../tests/e2e/harness.mjs";
const [backend, dist, top] = process.argv.slice(2);
const server = await serveDist(dist);
const browser = await launchBrowser();
const context = await browser.newContext();
const page = await context.newPage();
await page.goto(`${server.url}/?n=500&backend=${encodeURIComponent(backend)}`);
await page.waitForFunction(() => document.querySelectorAll("#rows li.ready").length === 500, null, { timeout: 60000 });
await page.waitForTimeout(500);
const cdp = await context.newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
const totals = new Map();
for (let i = 0; i < 5; i++) {
  await cdp.send("Profiler.start");
  const target = String(700000 + i);
  await page.evaluate((t) => { window.addValue(Number(t)); }, target);
  await page.waitForFunction((t) => [...document.querySelectorAll("#rows li.ready")].every((li) => li.textContent === t), target, { polling: 5, timeout: 30000 });
  const { profile } = await cdp.send("Profiler.stop");
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = profile.timeDeltas;
  for (let k = 0; k < profile.samples.length; k++) {
    const n = byId.get(profile.samples[k]);
    const name = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}`;
    totals.set(name, (totals.get(name) ?? 0) + (dt[k] ?? 0) / 1000);
  }
}
const sorted = [...totals.entries()].sort((a, b) => b[1] - a[1]);
const total = sorted.filter(([k]) => !k.startsWith("(idle)") && !k.startsWith("(program)")).reduce((s, [, v]) => s + v, 0);
console.log("busy ms per update", (total / 5).toFixed(1));
for (const [k, v] of sorted.slice(0, Number(top ?? 40))) console.log((v / 5).toFixed(2).padStart(8), k.slice(0, 150));
await browser.close();
server.close?.();
process.exit(0);
