// Sessions in the browser. The access token lives in memory only. Staying logged in uses
// the refresh token the API sets as an HttpOnly, SameSite=Strict cookie on /v1/auth for a
// request marked X-Wallet-Client: browser (the app never sees it); on load the app asks
// /v1/auth/refresh for a new access token. Where the API has no refresh route (404), the
// access token is kept in sessionStorage instead, for this tab only, until it expires.
import { api, errorOf, setAccessToken, unwrap, type User } from "./api/client";

const STORE = "wallet.access";
/** Refresh this long before the access token expires, in seconds. */
const REFRESH_EARLY_SECONDS = 60;

type Session = { access_token: string; expires_in: number };
let timer: ReturnType<typeof setTimeout> | undefined;

function adopt(s: Session, keep: boolean) {
  setAccessToken(s.access_token);
  if (keep) sessionStorage.setItem(STORE, JSON.stringify({ t: s.access_token, until: Date.now() + s.expires_in * 1000 }));
  clearTimeout(timer);
  const inMs = Math.max(5, s.expires_in - REFRESH_EARLY_SECONDS) * 1000;
  timer = setTimeout(() => void refresh(), inMs);
}

let refreshRoute = true;

/** refresh asks for a new access token with the refresh cookie; false when there is no session. */
export async function refresh(): Promise<boolean> {
  if (refreshRoute) {
    const r = await fetch("/v1/auth/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Wallet-Client": "browser" },
      body: "{}",
    }).catch(() => null);
    if (r && r.ok) {
      adopt((await r.json()) as Session, false);
      return true;
    }
    if (r && r.status !== 404) return false;
    refreshRoute = false;
  }
  const saved = sessionStorage.getItem(STORE);
  if (!saved) return false;
  const { t, until } = JSON.parse(saved) as { t: string; until: number };
  if (until <= Date.now()) {
    sessionStorage.removeItem(STORE);
    return false;
  }
  setAccessToken(t);
  return true;
}

export async function login(email: string, password: string): Promise<void> {
  const s = await unwrap(api.POST("/v1/auth/login", { body: { email, password }, credentials: "same-origin" }));
  adopt(s, !refreshRoute);
}

/** signup answers "verify" when the API sends a code by email, "ready" when it does not. */
export async function signup(email: string, password: string, name: string): Promise<"verify" | "ready"> {
  const { error, response } = await api.POST("/v1/auth/signup", { body: { email, password, name } });
  if (!response.ok) throw errorOf(response.status, error);
  return response.status === 202 ? "verify" : "ready";
}

/** post sends a JSON request to an auth route the typed client has no types for yet. */
async function post(path: string, body: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/json", "X-Wallet-Client": "browser" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(path, { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(body) });
  if (!r.ok) throw errorOf(r.status, await r.json().catch(() => undefined));
  return r;
}

export async function verify(email: string, code: string): Promise<void> {
  await post("/v1/auth/verify", { email, code });
}

export async function resendCode(email: string): Promise<void> {
  await post("/v1/auth/verify/resend", { email });
}

export async function logout(token: string | null): Promise<void> {
  clearTimeout(timer);
  sessionStorage.removeItem(STORE);
  setAccessToken(null);
  if (token) await post("/v1/auth/logout", {}, token).catch(() => undefined);
}

export async function me(): Promise<User & { email_verified?: boolean }> {
  return unwrap(api.GET("/v1/me"));
}
