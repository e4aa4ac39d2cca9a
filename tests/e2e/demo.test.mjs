// End-to-end: the trunk-built release demo in headless Chromium against the dev backend.
// Sign in through the hosted page, see Welcome and the numbers, add a number, a second
// browser context sees it live, run the action, reload keeps the session (with no flash of
// the signed-out prompt), sign out returns to the prompt.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
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
