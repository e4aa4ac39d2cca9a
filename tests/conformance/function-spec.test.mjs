// Conformance: the official Convex CLI's `function-spec` against the dev backend, and the
// check that the demo's committed spec (from which build.rs generates its typed API) is what
// the backend serves today.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { backendUrl } from "./authkit-http.mjs";

const run = promisify(execFile);
const ADMIN_KEY = "convex-dev-backend|local-admin-key";
const CLI = resolve("node_modules/convex/bin/main.js");

async function functionSpec(adminKey) {
  // Run outside the repository: the CLI must not need a Convex project.
  const cwd = await mkdtemp(join(tmpdir(), "function-spec-"));
  const { stdout } = await run(process.execPath, [CLI, "function-spec", "--url", backendUrl(), "--admin-key", adminKey], { cwd, timeout: 60000 });
  return JSON.parse(stdout);
}

test("npx convex function-spec lists the dev backend's functions with their validators", async () => {
  const spec = await functionSpec(ADMIN_KEY);
  assert.equal(spec.url, backendUrl());
  const ids = spec.functions.map((f) => f.identifier);
  assert.ok(ids.includes("myFunctions.js:listNumbers"));
  assert.ok(ids.includes("myFunctions.js:listNumbersPaginated"));
  const list = spec.functions.find((f) => f.identifier === "myFunctions.js:listNumbers");
  assert.equal(list.functionType, "Query");
  assert.deepEqual(list.visibility, { kind: "public" });
  assert.deepEqual(JSON.parse(list.args), { type: "object", value: { count: { fieldType: { type: "number" }, optional: false } } });
});

test("the demo's committed function spec is up to date with the dev backend", async () => {
  const served = await functionSpec(ADMIN_KEY);
  const committed = JSON.parse(await readFile("example/convex/function_spec.json", "utf8"));
  assert.deepEqual(
    committed.functions,
    served.functions,
    "example/convex/function_spec.json is stale: run scripts/function-spec with the dev backend running",
  );
});

test("a wrong admin key gets no spec", async () => {
  await assert.rejects(() => functionSpec("not-the-key"));
});
