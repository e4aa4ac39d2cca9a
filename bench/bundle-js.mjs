// Bundles the React reference app (production, minified) and prints its size, and the size of
// the same app against static stand-ins for the SDKs (bench/js-reference/sdk-stubs.jsx): the
// difference is what `convex` + `@convex-dev/workos` + `@workos-inc/authkit-react` cost.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const stubs = fileURLToPath(new URL("./js-reference/sdk-stubs.jsx", import.meta.url));
const SDKS = ["convex/react", "convex/server", "@convex-dev/workos", "@workos-inc/authkit-react"];

async function bundle(withSdks) {
  const plugins = withSdks
    ? []
    : [{
        name: "sdk-stubs",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => (SDKS.includes(args.path) ? { path: stubs } : undefined));
        },
      }];
  const out = await build({
    entryPoints: ["bench/js-reference/app.jsx"],
    bundle: true,
    minify: true,
    write: false,
    format: "esm",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
    plugins,
  });
  const code = out.outputFiles[0].contents;
  return { raw: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

const app = await bundle(true);
const floor = await bundle(false);
console.log(JSON.stringify({ raw: app.raw, gzip: app.gzip, floor_raw: floor.raw, floor_gzip: floor.gzip }));
