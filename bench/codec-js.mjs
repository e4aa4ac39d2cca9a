// The JS reference for the codec benchmark: the official convex values code (jsonToConvex /
// convexToJson) on the shared workload. Prints JSON: {decode_ms, encode_ms, iterations}.
import { jsonToConvex, convexToJson } from "convex/values";
import { transitionText } from "./workload.mjs";

const text = transitionText();
const iterations = Number(process.argv[2] ?? 50);
const run = (f) => {
  for (let i = 0; i < 5; i++) f(); // warm-up
  const t = performance.now();
  for (let i = 0; i < iterations; i++) f();
  return (performance.now() - t) / iterations;
};
let sink = 0;
const decode_ms = run(() => {
  const msg = JSON.parse(text);
  for (const m of msg.modifications) sink += jsonToConvex(m.value).length;
});
const decoded = JSON.parse(text).modifications.map((m) => jsonToConvex(m.value));
const encode_ms = run(() => {
  for (const v of decoded) sink += JSON.stringify(convexToJson({ docs: v })).length;
});
console.log(JSON.stringify({ decode_ms, encode_ms, iterations, sink: sink > 0 }));
