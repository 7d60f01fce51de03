import { expect, type Page, type APIRequestContext } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const PASSWORD = "correct horse battery";
export const ADMIN = { email: "admin@wallet.local", password: "local admin password" };

export const run = Math.random().toString(36).slice(2, 8);
export const emailOf = (who: string) => `${who}-${run}@example.com`;

/** scan runs axe on the page as it is and fails on any serious or critical violation. */
export async function scan(page: Page, name: string) {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/**
 * The admin account of the local deployment: scripts/deploy-local.sh made it (signed up,
 * verified and granted the role with cmd/admin, in scripts/admin-local.py); the tests only
 * check that it logs in as an admin.
 */
export async function ensureAdmin(request: APIRequestContext) {
  const r = await request.post("/v1/auth/login", { data: ADMIN });
  expect(r.status(), "the local admin logs in (scripts/deploy-local.sh makes it)").toBe(200);
  const me = await request.get("/v1/me", { headers: { Authorization: `Bearer ${(await r.json()).access_token}` } });
  expect((await me.json()).role).toBe("admin");
}

/** apiToken logs in through the API, for reading what the API says next to what the page shows. */
export async function apiToken(request: APIRequestContext, email: string, password = PASSWORD): Promise<string> {
  const r = await request.post("/v1/auth/login", { data: { email, password } });
  expect(r.status()).toBe(200);
  return (await r.json()).access_token;
}

export async function apiWallets(request: APIRequestContext, token: string) {
  const r = await request.get("/v1/wallets", { headers: { Authorization: `Bearer ${token}` } });
  expect(r.status()).toBe(200);
  return (await r.json()).items as { id: string; currency: string; balance: number; held: number; available: number }[];
}

/** faults sets (or, with no argument, clears) the saga fault injection of the local deployment. */
export function faults(set?: string) {
  const args = ["run", "./cmd/faults", ...(set ? ["-set", set] : ["-clear"]), "-outputs", path.join(ROOT, ".local/outputs.json")];
  execFileSync("go", args, { cwd: ROOT, stdio: "inherit", env: process.env });
}

/**
 * codeFor reads the newest verification code mailed to the address from the local mail
 * catcher the engine relays SES mail to (WALLET_MAIL_URL, set by scripts/lib.sh).
 */
export async function codeFor(email: string): Promise<string> {
  const base = process.env.WALLET_MAIL_URL;
  if (!base) throw new Error("WALLET_MAIL_URL is not set: the API asks for email verification but no mail catcher is known");
  for (let i = 0; i < 60; i++) {
    const r = await fetch(`${base}/messages?to=${encodeURIComponent(email)}`);
    const msgs = (await r.json()) as { text: string }[];
    // The newest message that carries a code (a notice to a taken address has none).
    const code = msgs.map((m) => /\b(\d{6})\b/.exec(m.text)?.[1]).filter(Boolean).pop();
    if (code) return code;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`no verification code was mailed to ${email}`);
}

/** signUp signs up through the UI, verifying the address when the API asks for it, and ends logged in. */
export async function signUp(page: Page, name: string, email: string) {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Create your wallet" })).toBeVisible();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  const next = page.getByRole("heading", { name: /Your wallets|Verify your email/ });
  await expect(next).toBeVisible();
  if ((await next.textContent()) === "Verify your email") {
    await scan(page, "verify");
    await page.getByLabel("Code").fill(await codeFor(email));
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("heading", { name: "Your wallets" })).toBeVisible();
  }
}

export async function logIn(page: Page, email: string, password = PASSWORD) {
  await page.goto("/#/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Your wallets" })).toBeVisible();
}

export async function openWallet(page: Page, currency: string) {
  await page.getByLabel("Currency").selectOption(currency);
  await page.getByRole("button", { name: "Open wallet" }).click();
  await expect(page.getByTestId(`wallet-${currency}`)).toBeVisible();
}

export async function shot(page: Page, file: string) {
  const dir = process.env.SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, file), fullPage: false });
}

/** reloadUntil reloads the page until check passes (for effects that arrive asynchronously). */
export async function reloadUntil(page: Page, check: () => Promise<boolean>, what: string, seconds = 60) {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    await expect(page.locator("#page-title")).toBeVisible();
    await page.waitForLoadState("networkidle");
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(1000);
    await page.reload();
  }
}
