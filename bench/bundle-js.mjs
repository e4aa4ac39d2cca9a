// Bundles the React reference app (production, minified) and prints its size.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";

const out = await build({
  entryPoints: ["bench/js-reference/app.jsx"],
  bundle: true,
  minify: true,
  write: false,
  format: "esm",
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "error",
});
const code = out.outputFiles[0].contents;
console.log(JSON.stringify({ raw: code.length, gzip: gzipSync(code, { level: 9 }).length }));
