// Recovery from a silent socket, side by side: the official `convex` client (Node) and the
// convex-yew demo (release build, headless Chromium), both subscribed to the same query on the
// dev backend. The backend silences every open socket (kept open, nothing sent, no Ping), a
// number is added over HTTP, and each client is timed until it shows that number: the time to
// notice the silence, reconnect and catch up. Prints `RESULT [{ yew_ms, js_ms }, …]`.
//   node bench/silent.mjs BACKEND_URL DIST_DIR RUNS
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi as api } from "convex/server";
import WebSocket from "ws";
import { serveDist, launchBrowser, signIn } from "../tests/e2e/harness.mjs";

const [backend, dist, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 1);
const http = new ConvexHttpClient(backend, { skipConvexDeploymentUrlCheck: true });
const post = (path) => fetch(`${backend}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });

const server = await serveDist(dist);
const browser = await launchBrowser();
const page = await browser.newPage();
await page.goto(server.url);
await signIn(page, "#prompt-sign-in");
await page.locator("#numbers").waitFor({ timeout: 30000 });

const results = [];
for (let run = 0; run < runs; run++) {
  const js = new ConvexClient(backend, { webSocketConstructor: WebSocket, skipConvexDeploymentUrlCheck: true, unsavedChangesWarning: false });
  let latest = null;
  js.onUpdate(api.myFunctions.listNumbers, { count: 10 }, (v) => { latest = v; });
  while (latest === null) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 500)); // both sockets idle and current
  const marker = 900000 + Math.floor(Math.random() * 99999);
  await post("/_test/silence_sockets");
  const t0 = Date.now();
  await http.mutation(api.myFunctions.addNumber, { value: marker });
  const jsDone = (async () => {
    while (!latest.numbers.includes(marker)) await new Promise((r) => setTimeout(r, 20));
    return Date.now() - t0;
  })();
  const yewDone = page
    .waitForFunction((m) => document.getElementById("numbers")?.textContent.includes(String(m)), marker, { timeout: 180000, polling: 20 })
    .then(() => Date.now() - t0);
  const [yew_ms, js_ms] = await Promise.all([yewDone, jsDone]);
  results.push({ yew_ms, js_ms });
  await js.close();
}
// The official client logs its reconnects to stdout: the result line is tagged.
console.log(`RESULT ${JSON.stringify(results)}`);
await browser.close();
await server.close();
process.exit(0);
