// End-to-end: the trunk-built release demo in headless Chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { serveDist, launchBrowser, DIST, ARTIFACTS } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await serveDist(DIST);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test("the demo page loads and shows its heading", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(server.url);
  const heading = page.locator("h1");
  await heading.waitFor({ timeout: 15000 });
  assert.equal(await heading.textContent(), "Convex + AuthKit + Yew");
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}/demo-home.png` });
  assert.deepEqual(errors, []);
});
