// The demo app written with the official React SDKs, bundled to measure its size and speed
// against the Yew demo (scripts/bench). Same features: AuthKit sign-in, live query, optimistic
// mutation, action, paginated list, auth gates; the same element ids where the bench looks.
import React, { useState } from "react";
import { createRoot } from "react-dom/client";
import { ConvexReactClient, Authenticated, Unauthenticated, AuthLoading, useQuery, useMutation, useAction, usePaginatedQuery, insertAtTop } from "convex/react";
import { ConvexProviderWithAuthKit } from "@convex-dev/workos";
import { AuthKitProvider, useAuth } from "@workos-inc/authkit-react";
import { anyApi as api } from "convex/server";

// esbuild replaces BACKEND_PORT (scripts/bench points both apps at its own dev backend).
const PORT = typeof BACKEND_PORT === "undefined" ? 3210 : BACKEND_PORT;
const convex = new ConvexReactClient(`http://127.0.0.1:${PORT}`, { skipConvexDeploymentUrlCheck: true });

function Header() {
  const { user, signIn, signUp, signOut } = useAuth();
  return (
    <header className="topbar">
      <h1>Convex + AuthKit + React</h1>
      {user ? <button onClick={() => signOut()}>Sign out</button> : <><button id="sign-in" onClick={() => signIn()}>Sign in</button><button onClick={() => signUp()}>Sign up</button></>}
    </header>
  );
}

function AllNumbers() {
  const { results, status, loadMore } = usePaginatedQuery(api.myFunctions.listNumbersPaginated, {}, { initialNumItems: 5 });
  return (
    <>
      <h3>All numbers, newest first</h3>
      <ol>{results.map((n, i) => <li key={i}>{n}</li>)}</ol>
      <button disabled={status !== "CanLoadMore"} onClick={() => loadMore(5)}>Load more</button>
      <span>{status}</span>
    </>
  );
}

function Content() {
  const list = useQuery(api.myFunctions.listNumbers, { count: 10 });
  const add = useMutation(api.myFunctions.addNumber).withOptimisticUpdate((store, { value }) => {
    const latest = store.getQuery(api.myFunctions.listNumbers, { count: 10 });
    if (latest !== undefined) {
      store.setQuery(api.myFunctions.listNumbers, { count: 10 }, { ...latest, numbers: [...latest.numbers, value].slice(-10) });
    }
    insertAtTop({ paginatedQuery: api.myFunctions.listNumbersPaginated, argsToMatch: {}, localQueryStore: store, item: value });
  });
  const [addError, setAddError] = useState(null);
  const run = useAction(api.myFunctions.myAction);
  const [result, setResult] = useState(null);
  if (list === undefined) return <p>Loading…</p>;
  return (
    <section className="card">
      <h2 id="welcome">Welcome {list.viewer ?? "Anonymous"}!</h2>
      <button id="add" onClick={() => { setAddError(null); add({ value: Math.floor(Math.random() * 10) }).catch((e) => setAddError(String(e))); }}>Add a random number</button>
      <button onClick={() => run({ first: 1, second: "hello" }).then((r) => setResult(r.numbers.length))}>Run an action</button>
      <ul id="numbers">{list.numbers.map((n, i) => <li key={i}>{n}</li>)}</ul>
      {result !== null && <p>The action read {result} numbers.</p>}
      {addError !== null && <p className="error">Could not add the number: {addError}</p>}
      <AllNumbers />
    </section>
  );
}

function App() {
  return (
    <AuthKitProvider clientId="client_local_dev" apiHostname="127.0.0.1" port={PORT} https={false}>
      <ConvexProviderWithAuthKit client={convex} useAuth={useAuth}>
        <Header />
        <main>
          <AuthLoading><p>Loading…</p></AuthLoading>
          <Unauthenticated><p>Sign in to see the numbers</p></Unauthenticated>
          <Authenticated><Content /></Authenticated>
        </main>
      </ConvexProviderWithAuthKit>
    </AuthKitProvider>
  );
}

createRoot(document.getElementById("root")).render(<App />);
