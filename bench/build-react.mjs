// Builds the React reference app (bench/js-reference) into a servable folder, pointed at the
// dev backend on BACKEND_PORT:  node bench/build-react.mjs OUT_DIR BACKEND_PORT
import { build } from "esbuild";
import { mkdir, writeFile } from "node:fs/promises";

const [out, port] = process.argv.slice(2);
await mkdir(out, { recursive: true });
await build({
  entryPoints: ["bench/js-reference/app.jsx"],
  bundle: true,
  minify: true,
  format: "esm",
  jsx: "automatic",
  outfile: `${out}/app.js`,
  define: { "process.env.NODE_ENV": '"production"', BACKEND_PORT: String(Number(port)) },
  logLevel: "error",
});
await writeFile(`${out}/index.html`, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Convex + AuthKit + React</title><link rel="icon" href="data:,"></head><body><div id="root"></div><script type="module" src="/app.js"></script></body></html>`);
