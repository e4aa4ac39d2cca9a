// Load and faults against the dev backend (a benchmark that prints numbers, never a test):
// N official npm `convex` clients, each subscribed and mutating, while sockets are dropped at
// random and the backend is killed (SIGKILL) and restarted once on the same data. Reports
// mutations per second, p50/p99 mutation -> visible latency, and the counts that must be zero:
// lost mutations, duplicated mutations, stuck clients.
//
// Env: BACKEND (path of convex-dev-backend), CLIENTS (200), MUTATIONS (per client, 20),
// DROP_EVERY_MS (1500), PORT (3287).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi as api } from "convex/server";

const BACKEND = process.env.BACKEND ?? "target/release/convex-dev-backend";
const CLIENTS = Number(process.env.CLIENTS ?? 200);
const MUTATIONS = Number(process.env.MUTATIONS ?? 20);
const DROP_EVERY_MS = Number(process.env.DROP_EVERY_MS ?? 1500);
const PORT = Number(process.env.PORT ?? 3287);
const URL_ = `http://127.0.0.1:${PORT}`;
const dataDir = mkdtempSync(join(tmpdir(), "convex-yew-load-"));

let backend;
async function startBackend() {
  backend = spawn(BACKEND, ["--port", String(PORT), "--data-dir", dataDir, "--test-controls"], { stdio: ["ignore", "ignore", "pipe"] });
  backend.stderr.on("data", () => {});
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${URL_}/version`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the backend did not start");
}
async function killBackend() {
  const done = new Promise((r) => backend.once("exit", r));
  backend.kill("SIGKILL");
  await done;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

await startBackend();
const clients = Array.from({ length: CLIENTS }, () =>
  new ConvexClient(URL_, { webSocketConstructor: WebSocket, skipConvexDeploymentUrlCheck: true, unsavedChangesWarning: false, logger: false }));
const latest = clients.map(() => null);
clients.forEach((c, i) => c.onUpdate(api.myFunctions.listNumbers, { count: 5 }, (v) => (latest[i] = v)));

let running = true;
let drops = 0;
const chaos = (async () => {
  while (running) {
    await new Promise((r) => setTimeout(r, DROP_EVERY_MS * (0.5 + Math.random())));
    if (!running) break;
    try {
      await fetch(`${URL_}/_test/drop_sockets`, { method: "POST" });
      drops++;
    } catch {}
  }
})();

const latencies = [];
const failures = [];
const started = performance.now();
let restarted = false;
const work = clients.map(async (c, i) => {
  for (let k = 0; k < MUTATIONS; k++) {
    const value = i * 1_000_000 + k + 0.25;
    const t0 = performance.now();
    try {
      await c.mutation(api.myFunctions.addNumber, { value });
      latencies.push(performance.now() - t0);
    } catch (e) {
      failures.push(String(e));
    }
    if (i === 0 && k === Math.floor(MUTATIONS / 2) && !restarted) {
      restarted = true;
      await killBackend();
      await startBackend();
    }
  }
});
const deadline = (ms) => new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms));
let stuck = 0;
const settled = await Promise.allSettled(work.map((w) => Promise.race([w, deadline(180_000)])));
stuck += settled.filter((s) => s.status === "rejected").length;
const elapsed = (performance.now() - started) / 1000;
running = false;
await chaos;

// Every value exactly once.
const http = new ConvexHttpClient(URL_, { skipConvexDeploymentUrlCheck: true });
const all = (await http.query(api.myFunctions.listNumbers, { count: 10_000_000 })).numbers;
const counts = new Map();
for (const n of all) counts.set(n, (counts.get(n) ?? 0) + 1);
let lost = 0, duplicated = 0;
for (let i = 0; i < CLIENTS; i++) {
  for (let k = 0; k < MUTATIONS; k++) {
    const n = counts.get(i * 1_000_000 + k + 0.25) ?? 0;
    if (n === 0) lost++;
    if (n > 1) duplicated += n - 1;
  }
}
// Every client's subscription catches up with the final state.
const last = all.slice(-5);
const caughtUp = async (i) => {
  for (let t = 0; t < 300; t++) {
    if (JSON.stringify(latest[i]?.numbers) === JSON.stringify(last)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
};
const behind = (await Promise.all(clients.map((_, i) => caughtUp(i)))).filter((ok) => !ok).length;
stuck += behind;
await Promise.all(clients.map((c) => c.close()));
await killBackend();
rmSync(dataDir, { recursive: true, force: true });

const total = CLIENTS * MUTATIONS;
console.log(`clients ${CLIENTS}, mutations ${total} (${MUTATIONS} each), socket drops ${drops}, backend restarts 1`);
console.log(`mutations/s        ${(latencies.length / elapsed).toFixed(0)}`);
console.log(`p50 mutation->visible ${pct(latencies, 50).toFixed(1)} ms`);
console.log(`p99 mutation->visible ${pct(latencies, 99).toFixed(1)} ms`);
console.log(`failed mutations   ${failures.length}${failures.length ? ` (${failures[0]})` : ""}`);
console.log(`lost               ${lost}`);
console.log(`duplicated         ${duplicated}`);
console.log(`stuck clients      ${stuck}`);
process.exit(lost || duplicated || stuck || failures.length ? 1 : 0);
