// Signs in against the dev backend's AuthKit side over plain HTTP (PKCE S256), for tests that
// need a real access token without a browser.
import { createHash, randomBytes } from "node:crypto";

export const CLIENT_ID = "client_local_dev";

export function backendUrl() {
  const url = process.env.CONVEX_DEV_URL;
  if (!url) throw new Error("CONVEX_DEV_URL is not set: run through scripts/test");
  return url;
}

export async function signIn(email, password = "password") {
  const base = backendUrl();
  const verifier = randomBytes(96).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const request = new URLSearchParams({
    client_id: CLIENT_ID,
    code_challenge: challenge,
    code_challenge_method: "S256",
    provider: "authkit",
    redirect_uri: "http://127.0.0.1:9/callback",
    response_type: "code",
  }).toString();
  const form = await fetch(`${base}/user_management/authorize`, {
    method: "POST",
    redirect: "manual",
    body: new URLSearchParams({ request, mode: "sign-in", email, password }),
  });
  if (form.status !== 302) throw new Error(`sign-in form answered ${form.status}`);
  const code = new URL(form.headers.get("location")).searchParams.get("code");
  const res = await fetch(`${base}/user_management/authenticate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: CLIENT_ID, grant_type: "authorization_code", code, code_verifier: verifier }),
  });
  if (res.status !== 200) throw new Error(`code exchange answered ${res.status}`);
  return res.json();
}
