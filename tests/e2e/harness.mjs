// Shared pieces of the end-to-end tests: a static server for the trunk-built demo and a
// Playwright browser on Debian's Chromium (never a downloaded browser).
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".json": "application/json",
};

/** Serves `dir` on 127.0.0.1 (any path without a file falls back to index.html, as an SPA). */
export async function serveDist(dir, port = 0) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(dir, path);
    try {
      if (!(await stat(file)).isFile()) file = join(dir, "index.html");
    } catch {
      file = join(dir, "index.html");
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address();
  return { url: `http://127.0.0.1:${bound}`, close: () => new Promise((r) => server.close(r)) };
}

/** Launches headless Debian Chromium with the flags this closed network needs (plus `extra`). */
export async function launchBrowser(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      ...extra,
    ],
  });
}

/** Where the trunk-built release demo is. */
export const DIST = process.env.DEMO_DIST ?? "dist";
/** Where screenshots and other artifacts go. */
export const ARTIFACTS = process.env.TEST_ARTIFACTS ?? "test-artifacts";

/** Signs in through the dev backend's hosted AuthKit page as Ada, starting from `button`. */
export async function signIn(page, button = "#sign-in") {
  await page.locator(button).waitFor({ timeout: 30000 });
  await page.click(button);
  await page.waitForSelector("#email", { timeout: 15000 });
  await page.fill("#email", "ada@example.com");
  await page.fill("#password", "password");
  await page.click("#submit");
}
