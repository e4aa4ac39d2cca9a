// Trunk post_build hook (Trunk.toml): in release builds, minifies the wasm-bindgen JS glue with
// esbuild, as the React reference is minified, and rewrites its integrity hash in index.html.
// The glue is 48 KB as wasm-bindgen writes it (comments, indentation, long names) and 21 KB
// minified: 8.3 KB -> 6.3 KB gzip. Debug builds (`trunk serve`) are left alone, and so is a
// machine without esbuild (the build still works, unminified).
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

const staging = process.env.TRUNK_STAGING_DIR;
if (process.env.TRUNK_PROFILE !== "release" || !staging) process.exit(0);
let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  console.warn("minify-glue: esbuild is not installed (npm ci); the JS glue stays unminified");
  process.exit(0);
}
const sri = (bytes) => "sha384-" + createHash("sha384").update(bytes).digest("base64");
const htmlPath = join(staging, "index.html");
let html = await readFile(htmlPath, "utf8");
for (const name of await readdir(staging)) {
  if (!name.endsWith(".js")) continue;
  const path = join(staging, name);
  const source = await readFile(path);
  const { code } = await esbuild.transform(source.toString("utf8"), { minify: true, format: "esm", target: "es2020" });
  await writeFile(path, code);
  html = html.split(sri(source)).join(sri(Buffer.from(code)));
}
await writeFile(htmlPath, html);
