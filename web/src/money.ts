// Money in the browser: amounts are integers of minor units (the API's AmountMinor).
// Text typed by a person is parsed digit by digit into minor units, and minor units are
// formatted from their digits: no value ever passes through a floating-point number.

/** Minor-unit exponents, as the API's currency allow-list (internal/money) defines them. */
export const EXPONENTS: Record<string, number> = {
  USD: 2, EUR: 2, GBP: 2, CHF: 2, CAD: 2, AUD: 2, NZD: 2, SEK: 2, NOK: 2, DKK: 2,
  PLN: 2, CZK: 2, SGD: 2, HKD: 2, MXN: 2, BRL: 2, INR: 2, ZAR: 2, CNY: 2,
  JPY: 0, KRW: 0, ISK: 0, CLP: 0, VND: 0,
  BHD: 3, KWD: 3, OMR: 3, JOD: 3, TND: 3,
};

export const CURRENCIES = Object.keys(EXPONENTS);

export function exponentOf(currency: string): number {
  const e = EXPONENTS[currency];
  if (e === undefined) throw new Error(`unknown currency ${currency}`);
  return e;
}

export type Parsed = { ok: true; minor: number } | { ok: false; error: string };

/** The largest amount the client sends: JSON integers stay exact up to 2^53 − 1. */
const MAX_MINOR = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * parseAmount reads a positive amount typed as text ("12.5", "1,234.56", "1 000") into
 * minor units of the currency. A comma or space groups thousands; the one decimal point
 * may be followed by at most the currency's exponent of digits.
 */
export function parseAmount(text: string, currency: string): Parsed {
  const exp = exponentOf(currency);
  const s = text.trim().replace(/[,\s\u00a0\u202f]/g, "");
  if (s === "") return { ok: false, error: "Enter an amount." };
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[1] === "" && (m[2] ?? "") === "")) return { ok: false, error: "Enter the amount as a number, like 12.50." };
  const whole = m[1] || "0";
  const frac = m[2] ?? "";
  if (frac.length > exp) {
    return { ok: false, error: exp === 0 ? `${currency} has no minor units: enter a whole number.` : `${currency} has at most ${exp} decimal places.` };
  }
  const minor = BigInt(whole) * 10n ** BigInt(exp) + BigInt((frac + "0".repeat(exp)).slice(0, exp) || "0");
  if (minor <= 0n) return { ok: false, error: "The amount must be more than zero." };
  if (minor > MAX_MINOR) return { ok: false, error: "That amount is too large." };
  return { ok: true, minor: Number(minor) };
}

/** toDecimalString writes minor units as an exact decimal string: 1234, USD → "12.34". */
export function toDecimalString(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new Error(`not an integer amount: ${minor}`);
  const exp = exponentOf(currency);
  const neg = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exp + 1, "0");
  const whole = digits.slice(0, digits.length - exp);
  const frac = digits.slice(digits.length - exp);
  return (neg ? "-" : "") + whole + (exp > 0 ? "." + frac : "");
}

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * formatMoney shows minor units with the currency's symbol and exponent, in the
 * browser's locale. Intl.NumberFormat is given the exact decimal string (it formats
 * strings without converting them to a float).
 */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const exp = exponentOf(currency);
  const key = `${locale ?? ""}|${currency}`;
  let nf = formatters.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat(locale, { style: "currency", currency, minimumFractionDigits: exp, maximumFractionDigits: exp });
    formatters.set(key, nf);
  }
  // The string overload of format is exact (Intl.NumberFormat v3); TypeScript's lib
  // types it as number | bigint only.
  return nf.format(toDecimalString(minor, currency) as unknown as number);
}

/** Points are whole numbers; 100 redeem as one major unit of their currency. */
export function pointsValue(points: number, currency: string): number {
  const exp = exponentOf(currency);
  return exp >= 2 ? points * 10 ** (exp - 2) : Math.floor(points / 10 ** (2 - exp));
}
