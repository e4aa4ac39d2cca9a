// Builds bench/many-react.jsx into a servable folder:  node bench/build-many-react.mjs OUT_DIR
import { build } from "esbuild";
import { mkdir, writeFile } from "node:fs/promises";

const [out] = process.argv.slice(2);
await mkdir(out, { recursive: true });
await build({
  entryPoints: ["bench/many-react.jsx"],
  bundle: true,
  minify: true,
  format: "esm",
  jsx: "automatic",
  outfile: `${out}/app.js`,
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "error",
});
await writeFile(`${out}/index.html`, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>React: 500 subscriptions</title><link rel="icon" href="data:,"></head><body><script type="module" src="/app.js"></script></body></html>`);
