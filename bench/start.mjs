// Warm start and mutation -> render, side by side: the convex-yew demo (trunk release build) and
// the same app on the official React SDKs (bench/js-reference, esbuild production bundle), both
// on the dev backend, in the same headless Chromium, runs alternated. Prints JSON rows of ms:
//   warm: reload with a stored session -> "Welcome" and the numbers rendered (from navigation start)
//   mutation: click "Add" -> the numbers list re-rendered (both apps update optimistically)
//   node bench/start.mjs BACKEND_URL YEW_DIST REACT_DIST RUNS
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { serveDist, launchBrowser, signIn } from "../tests/e2e/harness.mjs";

const [backend, yewDist, reactDist, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);

// Records, in page time, when "Welcome" and the numbers are first both on screen, and when the
// numbers list changes after a click on #add.
const PROBE = () => {
  window.__marks = {};
  const check = () => {
    const welcome = document.getElementById("welcome");
    const numbers = document.getElementById("numbers");
    if (welcome && numbers && window.__marks.ready === undefined) window.__marks.ready = performance.now();
    if (window.__clickAt !== undefined && numbers && numbers.textContent !== window.__before && window.__marks.rendered === undefined) {
      window.__marks.rendered = performance.now() - window.__clickAt;
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
  document.addEventListener("click", (e) => {
    if (e.target?.id === "add") {
      window.__before = document.getElementById("numbers")?.textContent;
      window.__clickAt = performance.now();
    }
  }, true);
};

async function signedInPage(browser, url) {
  const context = await browser.newContext();
  await context.addInitScript(PROBE);
  const page = await context.newPage();
  await page.goto(url);
  await signIn(page);
  await page.locator("#welcome").waitFor({ timeout: 30000 });
  await page.locator("#numbers").waitFor({ state: "attached", timeout: 30000 });
  return page;
}

async function warm(page) {
  await page.reload();
  await page.waitForFunction(() => window.__marks?.ready !== undefined, null, { timeout: 30000 });
  return page.evaluate(() => window.__marks.ready);
}

async function mutation(page) {
  await page.evaluate(() => { window.__marks.rendered = undefined; window.__clickAt = undefined; });
  await page.click("#add");
  await page.waitForFunction(() => window.__marks.rendered !== undefined, null, { timeout: 30000 });
  return page.evaluate(() => window.__marks.rendered);
}

// Some numbers first, so both apps render a list.
const http = new ConvexHttpClient(backend, { skipConvexDeploymentUrlCheck: true });
for (let i = 0; i < 5; i++) await http.mutation(anyApi.myFunctions.addNumber, { value: i });

const yewServer = await serveDist(yewDist);
const reactServer = await serveDist(reactDist);
const browser = await launchBrowser();
const pages = { yew: await signedInPage(browser, yewServer.url), react: await signedInPage(browser, reactServer.url) };
const rows = [];
for (let i = 0; i < runs; i++) {
  // Alternate which app goes first.
  const order = i % 2 === 0 ? ["yew", "react"] : ["react", "yew"];
  const row = {};
  for (const app of order) row[`${app}_warm`] = await warm(pages[app]);
  for (const app of order) {
    await new Promise((r) => setTimeout(r, 300));
    row[`${app}_mutation`] = await mutation(pages[app]);
  }
  rows.push(row);
}
console.log(JSON.stringify(rows));
await browser.close();
await yewServer.close();
await reactServer.close();
process.exit(0);
