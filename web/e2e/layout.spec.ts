// Every page at 375 px wide without sideways scrolling, and the main path by keyboard alone.
import { test, expect } from "@playwright/test";
import { ADMIN, codeFor, emailOf, ensureAdmin, logIn, PASSWORD, scan } from "./helpers";

const USER_PAGES = ["#/", "#/send", "#/requests", "#/transfers", "#/notifications", "#/rewards"];
const ADMIN_PAGES = ["#/admin/review", "#/admin/audit", "#/admin/ledger", "#/admin/wallets"];

async function fits(page: import("@playwright/test").Page, where: string) {
  await expect(page.locator("#page-title")).toBeVisible();
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll, `${where} is wider than the screen`).toBeLessThanOrEqual(client);
}

test("every page works at 375 px", async ({ browser, request }) => {
  await ensureAdmin(request);
  const ctx = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await ctx.newPage();
  await page.goto("/");
  await fits(page, "sign-up");
  await page.goto("/#/login");
  await fits(page, "log-in");
  await logIn(page, ADMIN.email, ADMIN.password);
  for (const p of [...USER_PAGES, ...ADMIN_PAGES]) {
    await page.goto("/" + p);
    await fits(page, p);
    await scan(page, `${p} at 375 px`);
  }
});

test("sign up, open a wallet and top up by keyboard alone", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Create your wallet" })).toBeFocused();
  // Before the heading: the brand link, and first of all the skip link.
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.locator("#main")).toBeFocused();
  // Then the form's fields in order.
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Name")).toBeFocused();
  await page.keyboard.type("Kim");
  await page.keyboard.press("Tab");
  await page.keyboard.type(emailOf("kim"));
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  const next = page.getByRole("heading", { name: /Your wallets|Verify your email/ });
  await expect(next).toBeFocused();
  if ((await next.textContent()) === "Verify your email") {
    // The email is filled in; Tab past it to the code, then log in.
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await expect(page.getByLabel("Code")).toBeFocused();
    await page.keyboard.type(await codeFor(emailOf("kim")));
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { name: "Log in" })).toBeFocused();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await expect(page.getByLabel("Password")).toBeFocused();
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
  }
  await expect(page.getByRole("heading", { name: "Your wallets" })).toBeFocused();
  await page.getByLabel("Currency").focus();
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Open wallet" })).toBeFocused();
  await page.keyboard.press("Enter");
  const input = page.getByLabel("Top up amount (USD)");
  await expect(input).toBeVisible();
  // From the wallet card's statement link, Tab reaches the top-up field and its button.
  await page.getByRole("link", { name: "Send from this wallet" }).focus();
  await page.keyboard.press("Tab");
  await expect(input).toBeFocused();
  await page.keyboard.type("7.50");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("wallet-USD").getByTestId("balance")).toHaveText("$7.50");
  // The navigation is reachable and shows where the focus is.
  await page.getByRole("link", { name: "Transfers" }).focus();
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).not.toBe("none");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Transfers" })).toBeFocused();
});
