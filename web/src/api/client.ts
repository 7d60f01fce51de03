// The typed API client (openapi-fetch over the types generated from api/openapi.yaml)
// with the access token attached, and the money-action runner: one Idempotency-Key per
// intent, reused on every retry, retries after Retry-After for the answers that allow it.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths, components } from "./schema";
import { messageFor } from "./errors";
import { isRetryable, retryAfterSeconds, MAX_ATTEMPTS, MAX_RETRY_WAIT_SECONDS, newIdempotencyKey } from "./retry";

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

export class ApiError extends Error {
  constructor(public status: number, public code: string | undefined, message: string) {
    super(message);
  }
}

type ErrBody = { error?: { code?: string; message?: string } } | undefined;

/** errorOf turns an error answer into an ApiError with the human message for its code. */
export function errorOf(status: number, body: unknown): ApiError {
  const e = (body as ErrBody)?.error;
  return new ApiError(status, e?.code, messageFor(e?.code, e?.message));
}

/** unwrap returns the data of an answer or throws its ApiError. */
export async function unwrap<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await p;
  if (error !== undefined || !response.ok) throw errorOf(response.status, error);
  return data as T;
}

export type Progress = (note: string) => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An intent is one money action a person asked for. Its key is made once; run() may be
 * called again (a second click, a retry after an error) and always sends the same key.
 */
export class Intent {
  readonly key = newIdempotencyKey();
  private running: Promise<unknown> | null = null;

  /** run sends the request (again with the same key while retryable) and returns the final answer. */
  run<T>(send: (key: string) => Promise<{ data?: T; error?: unknown; response: Response }>, progress: Progress = () => {}): Promise<{ data: T; status: number }> {
    if (this.running) return this.running as Promise<{ data: T; status: number }>;
    const p = this.attempt(send, progress).finally(() => {
      this.running = null;
    });
    this.running = p;
    return p;
  }

  private async attempt<T>(send: (key: string) => Promise<{ data?: T; error?: unknown; response: Response }>, progress: Progress) {
    for (let attempt = 1; ; attempt++) {
      let res: { data?: T; error?: unknown; response: Response };
      try {
        res = await send(this.key);
      } catch {
        // The answer was lost (network): the same key makes the retry safe.
        if (attempt >= MAX_ATTEMPTS) throw new ApiError(0, "network", "The connection failed. Check your network; retrying is safe.");
        progress("The connection dropped. Retrying the same request…");
        await sleep(1000);
        continue;
      }
      const { data, error, response } = res;
      if (response.ok) return { data: data as T, status: response.status };
      const err = errorOf(response.status, error);
      const wait = retryAfterSeconds(response.headers.get("Retry-After"));
      if (!isRetryable(response.status, err.code) || attempt >= MAX_ATTEMPTS || wait > MAX_RETRY_WAIT_SECONDS) throw err;
      progress(`${err.message} (again in ${wait} s)`);
      await sleep(wait * 1000);
    }
  }
}

export const FINAL_STATUSES = ["COMPLETED", "FAILED", "RELEASED", "NEEDS_REVIEW", "HELD"] as const;
/** isSettled: the transfer's saga is not running (HELD waits for a person, not for polling). */
export function isSettled(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** POLL_MS is how often a transfer that is still running is read again. */
export const POLL_MS = 1000;
