// Conformance: the official npm `convex` client (1.49.0) against the dev backend. Nobody here
// wrote that client, so this is how we know the backend speaks the real protocol.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { backendUrl, signIn } from "./authkit-http.mjs";

const api = anyApi;
const clients = [];
after(() => Promise.all(clients.map((c) => c.close())));

function client() {
  const c = new ConvexClient(backendUrl(), { webSocketConstructor: WebSocket, skipConvexDeploymentUrlCheck: true });
  clients.push(c);
  return c;
}

/** Resolves with the first subscription value that satisfies `pred`. */
function waitFor(c, fn, args, pred, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching update within ${ms} ms`)), ms);
    const unsubscribe = c.onUpdate(fn, args, (value) => {
      if (pred(value)) {
        clearTimeout(timer);
        unsubscribe();
        resolve(value);
      }
    }, (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

test("subscribe, mutate, and see the update live on another client", async () => {
  const a = client();
  const b = client();
  const marker = 1000 + Math.random();
  const seenByB = waitFor(b, api.myFunctions.listNumbers, { count: 10 }, (v) => v.numbers.includes(marker));
  await waitFor(a, api.myFunctions.listNumbers, { count: 10 }, () => true);
  await a.mutation(api.myFunctions.addNumber, { value: marker });
  // The official client resolves a mutation only once its writes are visible: check right away.
  const now = await waitFor(a, api.myFunctions.listNumbers, { count: 10 }, () => true);
  assert.ok(now.numbers.includes(marker), "the mutation's write is visible when it resolves");
  assert.equal(now.viewer, null);
  const b2 = await seenByB;
  assert.ok(b2.numbers.includes(marker));
});

test("a throwing query surfaces ConvexError data", async () => {
  const c = client();
  const err = await new Promise((resolve) => c.onUpdate(api.testing.throwConvexError, { code: "E42" }, () => {}, resolve));
  assert.equal(err.data.code, "E42");
});

test("actions run and return values", async () => {
  const c = client();
  const res = await c.action(api.testing.echoAction, { n: 5n, s: "x" });
  assert.deepEqual(res, { n: 5n, s: "x" });
});

test("authenticates with an AuthKit token and sees the viewer's name", async () => {
  const session = await signIn("ada@example.com");
  const c = client();
  const changes = [];
  c.setAuth(async () => session.access_token, (isAuthenticated) => changes.push(isAuthenticated));
  const result = await waitFor(c, api.myFunctions.listNumbers, { count: 1 }, (v) => v.viewer !== null);
  assert.equal(result.viewer, "Ada Lovelace");
  const who = await waitFor(c, api.testing.whoami, {}, (v) => v !== null);
  assert.match(who.tokenIdentifier, /\/user_management\/client_local_dev\|user_/);
  assert.ok(changes.includes(true), "onChange(true) fired");
});

test("a bad token is reported through onChange(false)", async () => {
  const c = client();
  const state = await new Promise((resolve) => c.setAuth(async () => "not.a.jwt", resolve));
  assert.equal(state, false);
});

test("the HTTP client runs queries and mutations", async () => {
  const http = new ConvexHttpClient(backendUrl(), { skipConvexDeploymentUrlCheck: true });
  // A float a JSON reader without exact rounding reads one ulp off, and a random one.
  for (const marker of [1000.9886287503407, 2000 + Math.random()]) {
    await http.mutation(api.myFunctions.addNumber, { value: marker });
    const res = await http.query(api.myFunctions.listNumbers, { count: 10 });
    assert.ok(res.numbers.includes(marker), `${marker} in ${res.numbers}`);
  }
  const session = await signIn("grace@example.com");
  http.setAuth(session.access_token);
  const who = await http.query(api.testing.whoami, {});
  assert.equal(who.name, "Grace Hopper");
});
