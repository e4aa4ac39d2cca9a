// The React floor: what bench/js-reference/app.jsx imports from the Convex and AuthKit SDKs,
// replaced by static stand-ins that keep every branch of the app live (which screen shows is
// read from the URL at run time). bench/bundle-js.mjs bundles the app against these to get the
// bytes of React plus the app alone; the real bundle minus this one is what the JS SDKs cost.
import React from "react";

const screen = () => new URLSearchParams(globalThis.location?.search ?? "").get("screen") ?? "list";
const numbers = [3, 1, 4, 1, 5];

export class ConvexReactClient {
  constructor(url, options) {
    this.url = url;
    this.options = options;
  }
}
export const Authenticated = ({ children }) => (screen() === "list" ? children : null);
export const Unauthenticated = ({ children }) => (screen() === "signed-out" ? children : null);
export const AuthLoading = ({ children }) => (screen() === "loading" ? children : null);
export const useQuery = () => (screen() === "empty" ? undefined : { viewer: "Ada", numbers });
const call = async (args) => ({ numbers, args });
export const useMutation = () => Object.assign(call, { withOptimisticUpdate: () => call });
export const useAction = () => call;
export const usePaginatedQuery = () => ({ results: numbers, status: screen() === "list" ? "CanLoadMore" : "Exhausted", loadMore: () => {} });
export const insertAtTop = () => {};
export const ConvexProviderWithAuthKit = ({ children }) => <>{children}</>;
export const AuthKitProvider = ({ children }) => <>{children}</>;
export const useAuth = () => ({
  user: screen() === "signed-out" ? null : { email: "ada@example.com" },
  signIn: () => {},
  signUp: () => {},
  signOut: () => {},
});
export const anyApi = new Proxy({}, { get: (_, module) => new Proxy({}, { get: (_, fn) => `${String(module)}:${String(fn)}` }) });
