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
