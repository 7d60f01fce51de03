import { test } from "node:test";
import assert from "node:assert/strict";
import { parseHours } from "./hours.ts";
import { MESSAGES } from "./api/errors.ts";

test("parseHours takes whole hours from 1 to 720 and refuses the rest with the API's message", () => {
  const ok: [string, number][] = [
    ["1", 1],
    [" 72 ", 72],
    ["0168", 168],
    ["720", 720],
  ];
  for (const [text, want] of ok) assert.deepEqual(parseHours(text), { ok: true, hours: want }, text);
  for (const text of ["", "0", "721", "1.5", "-3", "1e2", "abc", "99999", " "]) {
    assert.deepEqual(parseHours(text), { ok: false, error: MESSAGES.invalid_expiry }, JSON.stringify(text));
  }
});
