// End-to-end: the README's own demo command, `scripts/demo` (the dev backend + `trunk serve`),
// driven as a user would: sign in, add numbers, run the action. The page must never reload
// (trunk's live reload fires on any change in the files it watches) and the console must stay
// free of errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdir, rm } from "node:fs/promises";
import { launchBrowser, ARTIFACTS } from "./harness.mjs";

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

let demo, browser, url, log = "";
const dataDir = `.data/e2e-dev-loop-${process.pid}`;

before(async () => {
  const [demoPort, backendPort] = [await freePort(), await freePort()];
  url = `http://127.0.0.1:${demoPort}`;
  demo = spawn("bash", ["scripts/demo"], {
    env: { ...process.env, DEMO_PORT: String(demoPort), CONVEX_DEV_PORT: String(backendPort), CONVEX_DEV_DATA: dataDir },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  demo.stdout.on("data", (d) => (log += d));
  demo.stderr.on("data", (d) => (log += d));
  // The first `trunk serve` build compiles the demo in the dev profile.
  const deadline = Date.now() + 15 * 60 * 1000;
  for (;;) {
    if (demo.exitCode !== null) throw new Error(`scripts/demo exited ${demo.exitCode}:\n${log.slice(-3000)}`);
    try {
      const r = await fetch(url);
      if (r.ok && (await r.text()).includes(".wasm")) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`scripts/demo never served the page:\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  browser = await launchBrowser();
  await mkdir(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    try { process.kill(-demo.pid, "SIGTERM"); } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  await rm(dataDir, { recursive: true, force: true });
});

test("scripts/demo: sign in, add numbers, run the action; the page never reloads and logs no error", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  await context.addInitScript(() => {
    const n = Number(sessionStorage.getItem("__loads") ?? 0) + 1;
    sessionStorage.setItem("__loads", String(n));
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()} @ ${m.location()?.url ?? ""}`); });
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });

  await page.goto(url);
  await page.locator("#prompt-sign-in").waitFor({ timeout: 60000 });
  await page.click("#sign-in");
  await page.waitForSelector("#email", { timeout: 15000 });
  await page.fill("#email", "ada@example.com");
  await page.fill("#password", "password");
  await page.click("#submit");
  await page.locator("#welcome").waitFor({ timeout: 30000 });
  const loads = async () => Number(await page.evaluate(() => sessionStorage.getItem("__loads")));
  const afterSignIn = await loads();
  await page.evaluate(() => { window.__sameDocument = true; });

  for (let i = 0; i < 3; i++) {
    const before = await page.locator("#numbers").textContent();
    await page.click("#add");
    await page.waitForFunction((b) => document.getElementById("numbers")?.textContent !== b, before, { timeout: 15000 });
  }
  await page.click("#run-action");
  await page.locator("#action-result").waitFor({ timeout: 15000 });
  // A rebuild triggered by the backend's writes would reload within a few seconds.
  await page.waitForTimeout(6000);
  await page.screenshot({ path: `${ARTIFACTS}/dev-loop.png` });
  assert.equal(await page.evaluate(() => window.__sameDocument === true), true, "the page reloaded");
  assert.equal(await loads(), afterSignIn, "the page was loaded again");
  assert.equal(await page.locator("#welcome").isVisible(), true);
  assert.deepEqual(errors, []);
  await context.close();
});
