// Conformance: the official @workos-inc/authkit-js (0.20.3) in headless Chromium against the
// dev backend's AuthKit side: hosted sign-in, callback, refresh, restore on reload, sign-out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { launchBrowser } from "../e2e/harness.mjs";
import { backendUrl, CLIENT_ID } from "./authkit-http.mjs";

let server, origin, browser;

before(async () => {
  const bundle = await readFile("node_modules/@workos-inc/authkit-js/dist/index.mjs");
  const backend = new URL(backendUrl());
  const page = `<!doctype html><meta charset="utf-8"><title>authkit-js conformance</title><body>
<script type="module">
import { createClient } from "/authkit.mjs";
window.authkit = await createClient(${JSON.stringify(CLIENT_ID)}, {
  apiHostname: ${JSON.stringify(backend.hostname)}, port: ${backend.port}, https: false, devMode: true,
  redirectUri: location.origin + "/callback",
  onRedirectCallback: (params) => { window.redirectState = params.state; },
});
window.ready = true;
</script></body>`;
  server = createServer((req, res) => {
    if (req.url === "/authkit.mjs") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    } else {
      res.writeHead(200, { "content-type": "text/html" }).end(page);
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

const ready = (page) => page.waitForFunction(() => window.ready === true, null, { timeout: 15000 });
const refreshTokenOf = (page) => page.evaluate((id) => localStorage.getItem(`workos:refresh-token:${id}`), CLIENT_ID);

test("sign-in, refresh, restore on reload and sign-out with the official authkit-js", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(origin);
  await ready(page);
  assert.equal(await page.evaluate(() => window.authkit.getUser()), null);

  await page.evaluate(() => window.authkit.signIn({ state: { returnTo: "/numbers" } }));
  await page.waitForSelector("#email", { timeout: 15000 });
  assert.ok(page.url().startsWith(`${backendUrl()}/user_management/authorize?`));
  const authorize = new URL(page.url()).searchParams;
  assert.equal(authorize.get("code_challenge_method"), "S256");
  assert.equal(authorize.get("code_challenge").length, 43);
  await page.fill("#email", "ada@example.com");
  await page.fill("#password", "password");
  await page.click("#submit");
  await page.waitForURL(`${origin}/callback**`);
  await ready(page);
  const user = await page.evaluate(() => window.authkit.getUser());
  assert.equal(user.email, "ada@example.com");
  assert.equal(user.firstName, "Ada");
  assert.deepEqual(await page.evaluate(() => window.redirectState), { returnTo: "/numbers" });
  assert.equal(new URL(page.url()).searchParams.get("code"), null, "code removed from the URL");

  const first = await page.evaluate(() => window.authkit.getAccessToken());
  const rt1 = await refreshTokenOf(page);
  const second = await page.evaluate(() => window.authkit.getAccessToken({ forceRefresh: true }));
  assert.notEqual(second, first, "a forced refresh mints a new token");
  const rt2 = await refreshTokenOf(page);
  assert.ok(rt1 && rt2 && rt1 !== rt2, "the refresh token rotated");

  await page.reload();
  await ready(page);
  assert.equal((await page.evaluate(() => window.authkit.getUser()))?.email, "ada@example.com", "session restored on reload");

  const rt3 = await refreshTokenOf(page);
  await page.evaluate((o) => window.authkit.signOut({ returnTo: o + "/" }), origin);
  await page.waitForURL(`${origin}/`);
  await ready(page);
  assert.equal(await page.evaluate(() => window.authkit.getUser()), null);
  const res = await fetch(`${backendUrl()}/user_management/authenticate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: CLIENT_ID, grant_type: "refresh_token", refresh_token: rt3 }),
  });
  assert.equal(res.status, 400, "the session was revoked at the backend");
  await context.close();
});
