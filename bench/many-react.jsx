// scripts/bench: N live subscriptions in one React page (?n=500), each `listNumbers` with its
// own count, on the official SDK; the same page as bench/many-yew. window.addValue(v) mutates.
import React from "react";
import { createRoot } from "react-dom/client";
import { ConvexReactClient, ConvexProvider, useQuery } from "convex/react";
import { anyApi as api } from "convex/server";

const params = new URLSearchParams(location.search);
const convex = new ConvexReactClient(params.get("backend") ?? "http://127.0.0.1:3210", { skipConvexDeploymentUrlCheck: true, unsavedChangesWarning: false });
const n = Number(params.get("n") ?? 500);
window.addValue = (value) => convex.mutation(api.myFunctions.addNumber, { value });

function Row({ count }) {
  const list = useQuery(api.myFunctions.listNumbers, { count });
  return list === undefined ? <li>…</li> : <li className="ready">{list.numbers.at(-1) ?? 0}</li>;
}

function App() {
  return <ol id="rows">{Array.from({ length: n }, (_, i) => <Row key={i} count={i + 1} />)}</ol>;
}

createRoot(document.body.appendChild(document.createElement("div"))).render(<ConvexProvider client={convex}><App /></ConvexProvider>);
