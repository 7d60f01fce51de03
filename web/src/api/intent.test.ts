import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError, Intent, MAX_ATTEMPTS } from "./retry.ts";

type Answer = { data?: unknown; error?: unknown; response: Response };
const answer = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => {
  const response = new Response(JSON.stringify(body), { status, headers });
  return status < 400 ? { data: body, response } : { error: body, response };
};
const err = (code: string) => ({ error: { code, message: code } });

test("an intent retries 409 request_in_progress, 429 and 503 after Retry-After with the same key", async () => {
  const keys: string[] = [];
  const script = [answer(409, err("request_in_progress"), { "Retry-After": "0" }), answer(429, err("rate_limited"), { "Retry-After": "0" }), answer(503, err("service_unavailable"), { "Retry-After": "0" }), answer(201, { id: "t1" })];
  const notes: string[] = [];
  const it = new Intent();
  const got = await it.run(async (key) => (keys.push(key), script.shift()!), (n) => notes.push(n));
  assert.equal(got.status, 201);
  assert.deepEqual(got.data, { id: "t1" });
  assert.equal(keys.length, 4);
  assert.ok(keys.every((k) => k === it.key), "every attempt sends the intent's key");
  assert.equal(notes.length, 3, "each wait is said to the person");
});

test("an intent does not retry a refusal, and says it in words", async () => {
  let calls = 0;
  const it = new Intent();
  await assert.rejects(
    it.run(async () => (calls++, answer(422, err("insufficient_funds")))),
    (e: unknown) => e instanceof ApiError && e.code === "insufficient_funds" && e.message === "There is not enough available money in the wallet.",
  );
  assert.equal(calls, 1);
});

test("an intent resends a request whose answer was lost, with the same key", async () => {
  const keys: string[] = [];
  const it = new Intent();
  const got = await it.run(async (key) => {
    keys.push(key);
    if (keys.length === 1) throw new TypeError("Failed to fetch");
    return answer(201, { id: "c1" });
  });
  assert.equal(got.status, 201);
  assert.deepEqual(keys, [it.key, it.key]);
});

test("a second run while the first is in flight joins it (a double click sends once)", async () => {
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const it = new Intent();
  const send = async () => {
    calls++;
    await gate;
    return answer(201, { id: "x" });
  };
  const a = it.run(send);
  const b = it.run(send);
  release();
  assert.deepEqual(await a, await b);
  assert.equal(calls, 1);
});

test("an intent gives up after MAX_ATTEMPTS, and on a Retry-After too long to wait", async () => {
  let calls = 0;
  await assert.rejects(new Intent().run(async () => (calls++, answer(503, err("service_unavailable"), { "Retry-After": "0" }))), ApiError);
  assert.equal(calls, MAX_ATTEMPTS);
  calls = 0;
  await assert.rejects(new Intent().run(async () => (calls++, answer(429, err("rate_limited"), { "Retry-After": "3600" }))), ApiError);
  assert.equal(calls, 1);
});
