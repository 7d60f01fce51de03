// The typed API client (openapi-fetch over the types generated from api/openapi.yaml)
// with the access token attached, and the money-action runner: one Idempotency-Key per
// intent, reused on every retry, retries after Retry-After for the answers that allow it.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths, components } from "./schema";


export { ApiError, errorOf, Intent, unwrap, type Progress } from "./retry";

export type Schemas = components["schemas"];
export type Wallet = Schemas["Wallet"];
export type Transfer = Schemas["Transfer"];
export type User = Schemas["User"];

/** The app and the API share one origin: /v1/* is routed to the API. */
export const api = createClient<paths>({ baseUrl: location.origin });

let accessToken: string | null = null;
let onUnauthenticated: () => void = () => {};

export function setAccessToken(t: string | null) {
  accessToken = t;
}
export function getAccessToken() {
  return accessToken;
}
export function whenUnauthenticated(f: () => void) {
  onUnauthenticated = f;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (accessToken) request.headers.set("Authorization", `Bearer ${accessToken}`);
    request.headers.set("X-Wallet-Client", "browser");
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && request.headers.has("Authorization")) onUnauthenticated();
    return response;
  },
};
api.use(auth);

export const FINAL_STATUSES = ["COMPLETED", "FAILED", "RELEASED", "NEEDS_REVIEW", "HELD"] as const;
/** isSettled: the transfer's saga is not running (HELD waits for a person, not for polling). */
export function isSettled(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** POLL_MS is how often a transfer that is still running is read again. */
export const POLL_MS = 1000;
