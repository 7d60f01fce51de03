import { messageFor } from "./errors.ts";

// The rules for retrying a request that moves money. Each intent (one press of "Send",
// "Top up", "Capture", …) gets one Idempotency-Key, and every retry of that intent sends
// the same key, so a double click or a lost answer never pays twice.

/** Statuses after which the same request, with the same key, is retried. */
const RETRYABLE: Record<number, readonly string[] | "any"> = {
  409: ["request_in_progress", "contention"],
  429: "any",
  503: "any",
  504: "any",
};

/** How long the client waits for a retryable answer without Retry-After, in seconds. */
export const DEFAULT_RETRY_SECONDS = 1;
/** A Retry-After longer than this is not waited for: the person is told to try later. */
export const MAX_RETRY_WAIT_SECONDS = 30;
/** Attempts per intent before giving up (the key stays the same across them). */
export const MAX_ATTEMPTS = 5;

export function isRetryable(status: number, code: string | undefined): boolean {
  const rule = RETRYABLE[status];
  if (!rule) return false;
  return rule === "any" || (code !== undefined && rule.includes(code));
}

/**
 * retryAfterSeconds reads a Retry-After header (seconds, or an HTTP date) into a wait in
 * whole seconds; absent or unreadable gives the default.
 */
export function retryAfterSeconds(header: string | null, now: number = Date.now()): number {
  if (!header) return DEFAULT_RETRY_SECONDS;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Math.max(0, parseInt(trimmed, 10));
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return DEFAULT_RETRY_SECONDS;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** newIdempotencyKey makes the key of one intent. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

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
/** NETWORK_RETRY_MS is the wait before resending a request whose answer was lost. */
export const NETWORK_RETRY_MS = 1000;

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
        await sleep(NETWORK_RETRY_MS);
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

