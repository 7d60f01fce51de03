import { test } from "node:test";
import assert from "node:assert/strict";
import { isRetryable, retryAfterSeconds, DEFAULT_RETRY_SECONDS } from "./retry.ts";

test("isRetryable retries only what the API says can be retried with the same key", () => {
  const cases: [number, string | undefined, boolean][] = [
    [409, "request_in_progress", true], [409, "contention", true], [409, "wallet_exists", false],
    [429, "rate_limited", true], [429, undefined, true], [503, "service_unavailable", true], [504, "timeout", true],
    [422, "insufficient_funds", false], [400, "invalid_amount", false], [500, "internal_error", false], [201, undefined, false],
  ];
  for (const [status, code, want] of cases) assert.equal(isRetryable(status, code), want, `${status} ${code}`);
});

test("retryAfterSeconds reads seconds and dates", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(retryAfterSeconds("3", now), 3);
  assert.equal(retryAfterSeconds(" 0 ", now), 0);
  assert.equal(retryAfterSeconds(null, now), DEFAULT_RETRY_SECONDS);
  assert.equal(retryAfterSeconds("soon", now), DEFAULT_RETRY_SECONDS);
  assert.equal(retryAfterSeconds("Thu, 01 Jan 2026 00:00:05 GMT", now), 5);
  assert.equal(retryAfterSeconds("Wed, 31 Dec 2025 23:59:00 GMT", now), 0);
});
