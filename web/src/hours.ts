// A payment request's expiry, typed as text: a whole number of hours in the API's range.
import { messageFor } from "./api/errors.ts";

/** The expiry the form offers first, and the range the API accepts, in hours. */
export const DEFAULT_EXPIRY_HOURS = 168;
export const MIN_EXPIRY_HOURS = 1;
export const MAX_EXPIRY_HOURS = 720;

/** parseHours reads the expiry typed as text; anything but a whole number in range is refused. */
export function parseHours(text: string): { ok: true; hours: number } | { ok: false; error: string } {
  const s = text.trim();
  if (!/^\d{1,4}$/.test(s)) return { ok: false, error: messageFor("invalid_expiry") };
  const hours = parseInt(s, 10);
  if (hours < MIN_EXPIRY_HOURS || hours > MAX_EXPIRY_HOURS) return { ok: false, error: messageFor("invalid_expiry") };
  return { ok: true, hours };
}
