// Conformance: the official `usePaginatedQuery` (convex 1.49, React 19) in headless Chromium
// against the dev backend's `myFunctions:listNumbersPaginated`: first page, load more, a page
// that grows in place when a number is added, an optimistic `insertAtTop`, and exhaustion.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { build } from "esbuild";
import { ConvexHttpClient } from "convex/browser";
import { anyApi as api } from "convex/server";
import { launchBrowser } from "../e2e/harness.mjs";
import { backendUrl } from "./authkit-http.mjs";

const APP = `
import React from "react";
import { createRoot } from "react-dom/client";
import { ConvexReactClient, ConvexProvider, usePaginatedQuery, useMutation, insertAtTop } from "convex/react";
import { anyApi as api } from "convex/server";
const convex = new ConvexReactClient(window.BACKEND, { skipConvexDeploymentUrlCheck: true });
function List() {
  const { results, status, loadMore } = usePaginatedQuery(api.myFunctions.listNumbersPaginated, {}, { initialNumItems: 3 });
  const add = useMutation(api.myFunctions.addNumber).withOptimisticUpdate((store, args) =>
    insertAtTop({ paginatedQuery: api.myFunctions.listNumbersPaginated, argsToMatch: {}, localQueryStore: store, item: args.value }));
  window.loadMore = loadMore;
  window.add = (value) => add({ value });
  return <div><p id="status">{status}</p><ul id="items">{results.map((n, i) => <li key={i}>{n}</li>)}</ul></div>;
}
createRoot(document.getElementById("root")).render(<ConvexProvider client={convex}><List /></ConvexProvider>);
`;

let server, origin, browser;

before(async () => {
  const out = await build({
    stdin: { contents: APP, loader: "jsx", resolveDir: process.cwd() },
    bundle: true,
    write: false,
    format: "esm",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
  });
  const bundle = out.outputFiles[0].contents;
  const page = `<!doctype html><meta charset="utf-8"><title>usePaginatedQuery conformance</title>
<div id="root"></div><script>window.BACKEND = ${JSON.stringify(backendUrl())};</script>
<script type="module" src="/app.js"></script>`;
  server = createServer((req, res) => {
    if (req.url === "/app.js") res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    else res.writeHead(200, { "content-type": "text/html" }).end(page);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

const http = () => new ConvexHttpClient(backendUrl(), { skipConvexDeploymentUrlCheck: true });

/** Newest first, as the paginated query lists them. */
async function newest(n) {
  const all = (await http().query(api.myFunctions.listNumbers, { count: 1e9 })).numbers;
  return all.slice(-n).reverse();
}

async function shown(page) {
  return page.evaluate(() => ({
    status: document.getElementById("status")?.textContent,
    items: [...document.querySelectorAll("#items li")].map((li) => Number(li.textContent)),
  }));
}

async function until(page, pred, what, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await shown(page);
    if (await pred(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: last seen ${JSON.stringify(last)}`);
}

test("usePaginatedQuery loads, loads more, grows in place and exhausts against the dev backend", async () => {
  for (let i = 0; i < 7; i++) await http().mutation(api.myFunctions.addNumber, { value: 500 + i });
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(origin);

  const first = await until(page, (s) => s.status === "CanLoadMore", "first page");
  assert.deepEqual(first.items, await newest(3));

  await page.evaluate(() => window.loadMore(3));
  const more = await until(page, (s) => s.status === "CanLoadMore" && s.items.length === 6, "second page");
  assert.deepEqual(more.items, await newest(6));

  // Optimistic insert at the top, then the server's own result: the first page grows in place
  // (its end is pinned by the journal), the second page keeps its items.
  const marker = 7000 + Math.floor(Math.random() * 1000);
  await page.evaluate((v) => window.add(v), marker);
  const grown = await until(page, (s) => s.items[0] === marker && s.items.length === 7, "insert at top");
  assert.deepEqual(grown.items.slice(1), more.items);
  await until(page, async (s) => JSON.stringify(s.items) === JSON.stringify(await newest(7)), "server result");

  await page.evaluate(() => window.loadMore(1e6));
  const all = await until(page, (s) => s.status === "Exhausted", "exhausted");
  const total = (await http().query(api.myFunctions.listNumbers, { count: 1e9 })).numbers.length;
  assert.equal(all.items.length, total);
  assert.deepEqual(errors, []);
  await page.close();
});
