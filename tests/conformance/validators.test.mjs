// Conformance: every validator builder the official `convex/values` exports, enumerated from
// the installed package at run time (not from a hand-written list), goes through the typed-API
// generator. Each kind must map to a type, with no warning; a kind the generator does not know
// would still generate (as `Value`, with a warning naming it) but fails this test, so a new
// Convex release cannot surprise the generator's users. The golden fixture must hold every
// kind too, so the Rust golden test compiles and round-trips a value of each.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { v } from "convex/values";

const require = createRequire(import.meta.url);
const CONVEX_VERSION = require("convex/package.json").version;

/// Arguments to build a validator with, tried in order until one builds: the builders take
/// none, a table name, a literal, validators, or a field map.
const ARGUMENT_PATTERNS = [
  [],
  ["users"],
  [v.string()],
  [v.string(), v.number()],
  [{ a: v.string() }],
  [{ fnType: "query", args: { a: v.string() }, returns: v.number() }],
];

/// Whether a built validator's JSON is whole (a builder called with too few arguments
/// leaves `undefined` inside).
function whole(x) {
  if (x === undefined) return false;
  if (Array.isArray(x)) return x.every(whole);
  if (x && typeof x === "object") return Object.values(x).every(whole);
  return true;
}

/// Every builder on `v`, built, with its function-spec JSON.
function everyBuilder() {
  const out = [];
  for (const name of Object.keys(v)) {
    let built = null;
    for (const args of ARGUMENT_PATTERNS) {
      try {
        const validator = v[name](...args);
        const json = validator.json;
        // An empty union (`v.union()`) builds, but accepts nothing: try more arguments.
        const degenerate = Array.isArray(json?.value) && json.value.length === 0;
        if (json && typeof json.type === "string" && whole(json) && !degenerate) {
          built = { name, args, validator, json };
          break;
        }
      } catch {
        // the next pattern
      }
    }
    assert.ok(built, `v.${name} builds with none of the argument patterns: extend ARGUMENT_PATTERNS`);
    out.push(built);
  }
  return out;
}

/// A literal of every kind a literal can have.
const LITERALS = {
  string: v.literal("a"),
  boolean: v.literal(true),
  float: v.literal(1.5),
  bigint: v.literal(5n),
  negativeBigint: v.literal(-3n),
  nan: v.literal(NaN),
  minusZero: v.literal(-0),
  infinity: v.literal(Infinity),
};

function generate(spec) {
  const r = spawnSync("cargo", ["run", "-q", "--locked", "-p", "convex-yew-codegen", "--", "-", "--crate", "::convex_yew_core"], {
    input: JSON.stringify(spec),
    encoding: "utf8",
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, code: r.stdout, stderr: r.stderr };
}

function specOf(entries) {
  return {
    functions: entries.map(([name, validator]) => ({
      identifier: `conformance.js:${name}`,
      functionType: "Query",
      visibility: { kind: "public" },
      args: JSON.stringify(v.object({ value: validator, maybe: v.optional(validator) }).json),
      returns: JSON.stringify(validator.json),
    })),
  };
}

test(`every validator builder of convex ${CONVEX_VERSION} generates a typed API, with no warning`, () => {
  const builders = everyBuilder();
  assert.ok(builders.length >= 19, `only ${builders.length} builders on v`);
  const entries = [
    ...builders.map((b) => [`builder_${b.name}`, b.validator]),
    ...Object.entries(LITERALS).map(([name, l]) => [`literal_${name}`, l]),
  ];
  const { status, code, stderr } = generate(specOf(entries));
  assert.equal(status, 0, `the generator failed:\n${stderr}`);
  assert.equal(stderr.trim(), "", `the generator does not know every kind of convex ${CONVEX_VERSION}:\n${stderr}`);
  const constant = (name) => name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  for (const [name] of entries) {
    assert.match(code, new RegExp(`pub const ${constant(name)}: `), `no reference for ${name}`);
  }
  // Each kind maps to its own type: only `v.any()` is a Value.
  for (const b of builders) {
    const returns = new RegExp(`pub const ${constant(`builder_${b.name}`)}: __convex::Query<\\s*\\w+,\\s*([^>]+?)>`, "s");
    const m = code.match(returns);
    assert.ok(m, `no Query reference for v.${b.name}`);
    if (b.json.type !== "any") {
      assert.notEqual(m[1].trim(), "__convex::Value", `v.${b.name} (${b.json.type}) is typed as Value`);
    }
  }
  // A literal is its exact type, never `()`.
  assert.match(code, /LiteralInt64<5>/);
  assert.match(code, /LiteralInt64<-3>/);
  assert.match(code, /LiteralFloat64<\{ 1\.5f64\.to_bits\(\) \}>/);
  assert.match(code, /LiteralFloat64<\{ f64::NAN\.to_bits\(\) \}>/);
  assert.match(code, /LiteralFloat64<\{ \(-0\.0f64\)\.to_bits\(\) \}>/);
  assert.match(code, /LiteralBool<true>/);
});

test("a validator kind newer than the generator is a Value with a warning, never a failed build", () => {
  const future = { json: { type: "fromTheFuture", detail: [1] } };
  const spec = {
    functions: [
      {
        identifier: "conformance.js:future",
        functionType: "Query",
        visibility: { kind: "public" },
        args: JSON.stringify({ type: "object", value: { x: { fieldType: future.json, optional: false } } }),
        returns: JSON.stringify(future.json),
      },
    ],
  };
  const { status, code, stderr } = generate(spec);
  assert.equal(status, 0, stderr);
  assert.match(stderr, /"fromTheFuture"/);
  assert.match(code, /pub x: __convex::Value,/);
});

/// Every validator in a function spec (its `args` and `returns`, JSON or JSON text).
function validatorsOf(spec) {
  const out = [];
  const walk = (x) => {
    if (typeof x === "string") {
      try {
        return walk(JSON.parse(x));
      } catch {
        return;
      }
    }
    if (Array.isArray(x)) return x.forEach(walk);
    if (!x || typeof x !== "object") return;
    if (typeof x.type === "string") out.push(x);
    Object.values(x).forEach(walk);
  };
  for (const f of spec.functions) {
    walk(f.args);
    walk(f.returns);
  }
  return out;
}

test("the golden fixture holds every validator kind of the installed convex, and every kind of literal", () => {
  const fixture = validatorsOf(JSON.parse(readFileSync("codegen/tests/fixtures/every_validator.json", "utf8")));
  const kinds = new Set(fixture.map((x) => x.type));
  for (const b of everyBuilder()) {
    assert.ok(kinds.has(b.json.type),
      `codegen/tests/fixtures/every_validator.json has no ${b.json.type} validator (v.${b.name}): add one, with its round trip in codegen/tests/golden.rs`);
  }
  const literals = new Set(fixture.filter((x) => x.type === "literal").map((x) => JSON.stringify(x.value)));
  const kindOf = (value) => (typeof value === "object" ? Object.keys(value)[0] : typeof value);
  const literalKinds = new Set([...literals].map((l) => kindOf(JSON.parse(l))));
  for (const [name, l] of Object.entries(LITERALS)) {
    assert.ok(literalKinds.has(kindOf(l.json.value)), `the fixture has no literal like v.literal(${name}): ${JSON.stringify(l.json.value)}`);
  }
  for (const special of [LITERALS.nan, LITERALS.minusZero]) {
    assert.ok(literals.has(JSON.stringify(special.json.value)), `the fixture has no ${JSON.stringify(special.json.value)} literal`);
  }
});
