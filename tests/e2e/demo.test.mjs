// End-to-end: the trunk-built release demo in headless Chromium against the dev backend.
// Sign in through the hosted page, see Welcome and the numbers, add a number, a second
// browser context sees it live, run the action, reload keeps the session (with no flash of
// the signed-out prompt), sign out returns to the prompt.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { serveDist, launchBrowser, DIST, ARTIFACTS } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await serveDist(DIST);
  browser = await launchBrowser();
  await mkdir(ARTIFACTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** A browser context whose pages record whether the signed-out prompt was ever shown. */
async function newContext() {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  await context.addInitScript(() => {
    window.__sawPrompt = false;
    new MutationObserver(() => {
      if (document.getElementById("prompt-sign-in")) window.__sawPrompt = true;
    }).observe(document, { childList: true, subtree: true });
  });
  return context;
}

async function signIn(page, email) {
  await page.goto(server.url);
  await page.locator("#prompt-sign-in").waitFor({ timeout: 20000 });
  await page.click("#sign-in");
  await page.waitForSelector("#email", { timeout: 15000 });
  await page.fill("#email", email);
  await page.fill("#password", "password");
  await page.click("#submit");
  await page.locator("#welcome").waitFor({ timeout: 20000 });
}

const numbersOf = (page) => page.locator("#numbers").textContent();

test("the demo page loads with its heading and the sign-in prompt", async () => {
  const context = await newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(server.url);
  assert.equal(await page.locator("h1").textContent(), "Convex + AuthKit + Yew");
  await page.locator("#prompt-sign-in").waitFor({ timeout: 20000 });
  await page.screenshot({ path: `${ARTIFACTS}/demo-signed-out.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test("sign in, live numbers across contexts, action, reload, sign out", async () => {
  const a = await newContext();
  const page = await a.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await signIn(page, "ada@example.com");
  assert.equal(await page.locator("#welcome").textContent(), "Welcome Ada Lovelace!");
  assert.ok(!page.url().includes("code="), "the one-time code left the URL");

  const b = await newContext();
  const other = await b.newPage();
  await signIn(other, "grace@example.com");
  assert.equal(await other.locator("#welcome").textContent(), "Welcome Grace Hopper!");

  const before = await numbersOf(page);
  const otherBefore = await numbersOf(other);
  await page.click("#add");
  await page.waitForFunction((b) => document.getElementById("numbers")?.textContent !== b, before, { timeout: 15000 });
  await other.waitForFunction((b) => document.getElementById("numbers")?.textContent !== b, otherBefore, { timeout: 15000 });
  assert.equal(await numbersOf(other), await numbersOf(page), "the second context sees the same numbers, live");

  await page.click("#run-action");
  await page.locator("#action-result").waitFor({ timeout: 15000 });
  assert.match(await page.locator("#action-result").textContent(), /The action read \d+ numbers/);
  await page.screenshot({ path: `${ARTIFACTS}/demo-signed-in.png` });

  await page.reload();
  await page.locator("#welcome").waitFor({ timeout: 20000 });
  assert.equal(await page.evaluate(() => window.__sawPrompt), false, "no flash of the signed-out prompt on reload");

  await page.click("#sign-out");
  await page.locator("#prompt-sign-in").waitFor({ timeout: 20000 });
  assert.equal(await page.locator("#sign-in").isVisible(), true);
  assert.deepEqual(errors, []);
  await a.close();
  await b.close();
});

/** POSTs a test control to the dev backend (it runs with --test-controls under scripts/test). */
async function control(path, body) {
  const base = process.env.CONVEX_DEV_URL;
  assert.ok(base, "CONVEX_DEV_URL is set by scripts/test");
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, `${path} answered ${res.status}`);
}

const allNumbers = (page) => page.locator("#all-numbers li").allTextContents();

test("optimistic add shows at once, a failed add rolls back, and the full list loads more", async () => {
  const context = await newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Enough numbers for two pages of five, before the first page pins its end.
  const http = new ConvexHttpClient(process.env.CONVEX_DEV_URL, { skipConvexDeploymentUrlCheck: true });
  for (let i = 0; i < 11; i++) await http.mutation(anyApi.myFunctions.addNumber, { value: 100 + i });
  await signIn(page, "ada@example.com");
  await page.waitForFunction(() => document.querySelectorAll("#all-numbers li").length === 5, null, { timeout: 15000 });
  assert.equal(await page.locator("#page-status").textContent(), "More to load");

  // The server holds the mutation for 1.5 s: the number must show before that.
  await control("/_test/mutation_delay", { ms: 1500 });
  const first = await allNumbers(page);
  const clicked = Date.now();
  await page.click("#add");
  await page.waitForFunction((n) => document.querySelectorAll("#all-numbers li").length === n + 1, first.length, { timeout: 1000 });
  const shownAfter = Date.now() - clicked;
  assert.ok(shownAfter < 1000, `shown after ${shownAfter} ms`);
  const optimistic = await allNumbers(page);
  assert.deepEqual(optimistic.slice(1), first, "inserted at the top, the rest unchanged");
  // The server's answer keeps it (the first page grows in place: its end is pinned).
  await page.waitForTimeout(2000);
  assert.deepEqual(await allNumbers(page), optimistic);

  // The next mutation fails: the optimistic number shows, then goes, and the error says so.
  await control("/_test/mutation_failures", { count: 1 });
  await control("/_test/mutation_delay", { ms: 800 });
  const settled = await allNumbers(page);
  await page.click("#add");
  await page.waitForFunction((n) => document.querySelectorAll("#all-numbers li").length === n + 1, settled.length, { timeout: 1000 });
  await page.locator("#add-error").waitFor({ timeout: 10000 });
  assert.match(await page.locator("#add-error").textContent(), /made to fail/);
  assert.deepEqual(await allNumbers(page), settled, "rolled back");
  await control("/_test/mutation_delay", { ms: 0 });
  // The error comes from the mutation's state: the button stays clickable, and the next
  // call's success clears it.
  assert.equal(await page.locator("#add").isEnabled(), true);
  await page.click("#add");
  await page.locator("#add-error").waitFor({ state: "detached", timeout: 10000 });
  await page.waitForFunction((n) => document.querySelectorAll("#all-numbers li").length === n + 1, settled.length, { timeout: 10000 });
  const afterRetry = await allNumbers(page);

  await page.click("#load-more");
  await page.waitForFunction((n) => document.querySelectorAll("#all-numbers li").length === n + 5, afterRetry.length, { timeout: 15000 });
  await page.screenshot({ path: `${ARTIFACTS}/demo-pages.png` });
  assert.deepEqual(errors, []);
  await context.close();
});
