import { test } from "node:test";
import assert from "node:assert/strict";
import { formatMoney, parseAmount, pointsValue, toDecimalString } from "./money.ts";

test("parseAmount reads typed text into minor units", () => {
  const cases: [string, string, number][] = [
    ["12.34", "USD", 1234],
    ["12.3", "USD", 1230],
    ["12", "USD", 1200],
    [".5", "USD", 50],
    ["0.01", "USD", 1],
    ["1,234.56", "EUR", 123456],
    [" 1 000 ", "JPY", 1000],
    ["1.234", "KWD", 1234],
    ["0.29", "USD", 29], // 0.29 * 100 is 28.999999999999996 as a float
    ["1.15", "EUR", 115], // 1.15 * 100 is 114.99999999999999 as a float
    ["90071992547409.91", "USD", 9007199254740991],
  ];
  for (const [text, cur, want] of cases) {
    assert.deepEqual(parseAmount(text, cur), { ok: true, minor: want }, `${text} ${cur}`);
  }
});

test("parseAmount refuses what is not a positive amount of the currency", () => {
  const cases: [string, string][] = [
    ["", "USD"], ["abc", "USD"], ["-5", "USD"], ["0", "USD"], ["0.00", "USD"], ["1.234", "USD"],
    ["1.5", "JPY"], ["1e3", "USD"], ["1.2.3", "USD"], [".", "USD"], ["90071992547409.92", "USD"], ["Infinity", "USD"],
  ];
  for (const [text, cur] of cases) {
    const r = parseAmount(text, cur);
    assert.equal(r.ok, false, `${text} ${cur} should be refused`);
  }
});

test("toDecimalString writes minor units exactly", () => {
  const cases: [number, string, string][] = [
    [1234, "USD", "12.34"], [5, "USD", "0.05"], [-5, "USD", "-0.05"], [0, "EUR", "0.00"],
    [1500, "JPY", "1500"], [1, "KWD", "0.001"], [9007199254740991, "USD", "90071992547409.91"],
  ];
  for (const [minor, cur, want] of cases) assert.equal(toDecimalString(minor, cur), want);
  assert.throws(() => toDecimalString(1.5, "USD"));
  assert.throws(() => toDecimalString(1, "XXX"));
});

test("formatMoney uses the currency's exponent and symbol", () => {
  assert.equal(formatMoney(123456, "USD", "en-US"), "$1,234.56");
  assert.equal(formatMoney(1500, "JPY", "en-US"), "¥1,500");
  assert.equal(formatMoney(1234, "KWD", "en-US"), "KWD\u00a01.234");
  assert.equal(formatMoney(-5, "EUR", "en-US"), "-€0.05");
  assert.equal(formatMoney(9007199254740991, "USD", "en-US"), "$90,071,992,547,409.91");
});

test("pointsValue: 100 points are one major unit", () => {
  assert.equal(pointsValue(250, "USD"), 250);
  assert.equal(pointsValue(250, "KWD"), 2500);
  assert.equal(pointsValue(300, "JPY"), 3);
});
