import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MESSAGES } from "./errors.ts";

// Every code the API document names (`code` in backticks, `code: x` in examples, and
// the gateway responses' "code":"x") has a message; field names in backticks are not codes.
test("every documented error code has a human message", () => {
  const doc = readFileSync(new URL("../../../api/openapi.yaml", import.meta.url), "utf8");
  const fields = new Set([...doc.matchAll(/^[\s-]+(?:name: )?([a-z][a-z0-9_]*):?$|^\s+([a-z][a-z0-9_]*):/gm)].map((m) => m[1] ?? m[2]));
  const candidates = new Set<string>();
  for (const m of doc.matchAll(/`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`/g)) candidates.add(m[1]);
  for (const m of doc.matchAll(/\bcode: ([a-z][a-z0-9_]*)/g)) candidates.add(m[1]);
  for (const m of doc.matchAll(/\\?"code\\?":\\?"([a-z][a-z0-9_]*)/g)) candidates.add(m[1]);
  // Names in backticks that are not error codes and not fields either.
  const notCodes = new Set(["wallet_refresh"]); // the refresh cookie's name
  const codes = [...candidates].filter((c) => !notCodes.has(c) && (!fields.has(c) || MESSAGES[c] !== undefined));
  const missing = codes.filter((c) => MESSAGES[c] === undefined).sort();
  assert.deepEqual(missing, [], `codes without a message: ${missing.join(", ")}`);
  assert.ok(codes.length > 40, `found only ${codes.length} codes: the scan is broken`);
});
