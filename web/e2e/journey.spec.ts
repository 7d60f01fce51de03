// Two people and an operator use the wallet through the UI against the local stack.
import { test, expect, type Page } from "@playwright/test";
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { ADMIN, apiToken, apiWallets, emailOf, ensureAdmin, faults, logIn, openWallet, reloadUntil, scan, shot, signUp } from "./helpers";
import { formatMoney } from "../src/money";

const usd = (minor: number) => formatMoney(minor, "USD", "en-US");

async function walletCard(page: Page) {
  await page.goto("/#/wallets");
  await page.reload(); // the same address again would not load the wallets anew
  return page.getByTestId("wallet-USD");
}

/** expectShownEqualsApi checks the wallet card shows what the API says. */
async function expectShownEqualsApi(page: Page, token: string, request: import("@playwright/test").APIRequestContext) {
  const [w] = (await apiWallets(request, token)).filter((x) => x.currency === "USD");
  const card = await walletCard(page);
  await expect(card.getByTestId("balance")).toHaveText(usd(w.balance));
  await expect(card.getByTestId("held")).toHaveText(usd(w.held));
  await expect(card.getByTestId("available")).toHaveText(usd(w.available));
  return w;
}

async function sendTo(page: Page, to: string, amount: string, hold: boolean, description: string) {
  await page.goto("/#/send");
  await scan(page, "send");
  await page.getByLabel("A wallet id").check();
  await page.getByLabel("To wallet id").fill(to);
  await page.getByLabel("Amount").fill(amount);
  await page.getByLabel("Description (optional)").fill(description);
  if (hold) await page.getByLabel("Hold, to capture or void later").check();
  await page.getByRole("button", { name: hold ? "Place hold" : "Send" }).click();
  await expect(page.getByRole("heading", { name: "Transfer" })).toBeVisible();
  return (await page.getByTestId("transfer-id").textContent())!;
}

test("two people and an operator: top up, hold, capture, void, notifications, points, freeze, review, refund", async ({ browser, request }) => {
  await ensureAdmin(request);
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  const admin = await (await browser.newContext()).newPage();

  // First screen: the sign-up page, and how soon it answers (reported, not asserted).
  await alice.goto("/");
  await expect(alice.getByRole("button", { name: "Sign up" })).toBeEnabled();
  const firstScreen = await alice.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    return { interactive_ms: Math.round(performance.now()), dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd), load_ms: Math.round(nav.loadEventEnd) };
  });
  mkdirSync("test-results", { recursive: true });
  writeFileSync(path.join("test-results", "first-screen.json"), JSON.stringify(firstScreen));
  await scan(alice, "signup");

  await signUp(alice, "Alice", emailOf("alice"));
  await openWallet(alice, "USD");
  await scan(alice, "wallets");
  const aliceToken = await apiToken(request, emailOf("alice"));

  // A top-up whose answer is lost: the app retries with the same key and is credited once.
  let lost = false;
  await alice.route("**/v1/wallets/*/credits", async (route) => {
    const resp = await route.fetch();
    if (!lost) {
      lost = true;
      expect(resp.status()).toBe(201);
      await route.abort("connectionreset");
      return;
    }
    await route.fulfill({ response: resp });
  });
  const card = alice.getByTestId("wallet-USD");
  await card.getByLabel("Top up amount (USD)").fill("100");
  await card.getByRole("button", { name: "Top up" }).dblclick();
  await expect(card.getByRole("status")).toHaveText("Added 100.00 USD.");
  await alice.unroute("**/v1/wallets/*/credits");
  expect(lost).toBe(true);
  let w = await expectShownEqualsApi(alice, aliceToken, request);
  expect(w.balance).toBe(10000);

  await signUp(bob, "Bob", emailOf("bob"));
  await openWallet(bob, "USD");
  const bobWallet = (await bob.getByTestId("wallet-USD").getByTestId("wallet-id").textContent())!;

  // A hold captured in part.
  const dinner = await sendTo(alice, bobWallet, "30", true, "dinner");
  await expect(alice.getByTestId("status")).toHaveText("HELD");
  await scan(alice, "transfer (held)");
  await alice.getByLabel(/Amount to capture/).fill("12.34");
  await alice.getByRole("button", { name: "Capture" }).click();
  await expect(alice.getByTestId("status")).toHaveText("COMPLETED");
  await expect(alice.getByTestId("captured")).toHaveText(usd(1234));

  // Another hold, voided.
  await sendTo(alice, bobWallet, "5", true, "tickets");
  await expect(alice.getByTestId("status")).toHaveText("HELD");
  await alice.getByRole("button", { name: "Void" }).click();
  await expect(alice.getByTestId("status")).toHaveText("RELEASED");

  w = await expectShownEqualsApi(alice, aliceToken, request);
  expect(w).toMatchObject({ balance: 10000 - 1234, held: 0, available: 10000 - 1234 });
  const bobToken = await apiToken(request, emailOf("bob"));
  const bobShown = await expectShownEqualsApi(bob, bobToken, request);
  expect(bobShown.balance).toBe(1234);

  await alice.goto("/#/transfers");
  await expect(alice.getByText("dinner")).toBeVisible();
  await scan(alice, "transfers");
  await alice.goto(`/#/wallets/${w.id}`);
  await expect(alice.getByRole("heading", { name: "USD statement" })).toBeVisible();
  await expect(alice.locator("tbody tr")).toHaveCount(2); // the top-up (once) and the capture
  await scan(alice, "statement");

  // Notifications arrive from the event stream: the badge, then mark all read.
  await alice.goto("/#/notifications");
  await reloadUntil(alice, async () => Number(await alice.getByTestId("unread-count").textContent()) >= 3, "Alice's notifications");
  await expect(alice.getByTestId("unread")).toBeVisible();
  await scan(alice, "notifications");
  await alice.getByRole("button", { name: "Mark all read" }).click();
  await expect(alice.getByTestId("unread-count")).toHaveText("0");
  await expect(alice.getByTestId("unread")).toHaveCount(0);

  // Points: 12 for the 12.34 captured; redeem 10 (10 cents).
  await alice.goto("/#/rewards");
  await reloadUntil(alice, async () => (await alice.getByTestId("points-USD").count()) > 0, "Alice's points");
  await expect(alice.getByTestId("points-USD").getByTestId("points")).toHaveText("12");
  await scan(alice, "rewards");
  await alice.getByLabel("Points", { exact: true }).fill("10");
  await alice.getByRole("button", { name: "Redeem" }).click();
  await expect(alice.getByText("Redeemed 10 points.")).toBeVisible();
  await expect(alice.getByTestId("points-USD").getByTestId("points")).toHaveText("2");
  w = await expectShownEqualsApi(alice, aliceToken, request);
  expect(w.balance).toBe(10000 - 1234 + 10);
  await shot(alice, "wallet.png");

  // The operator freezes and unfreezes Bob's wallet with a reason.
  await logIn(admin, ADMIN.email, ADMIN.password);
  await admin.goto("/#/admin/wallets");
  await admin.getByLabel("Wallet id").fill(bobWallet);
  await admin.getByLabel("Reason").fill("suspicious sign-in reported by the owner");
  await admin.getByRole("button", { name: "Freeze", exact: true }).click();
  await expect(admin.getByText("The wallet is now FROZEN.")).toBeVisible();
  await scan(admin, "freeze");
  await admin.getByLabel("Reason").fill("owner confirmed the sign-in");
  await admin.getByRole("button", { name: "Unfreeze", exact: true }).click();
  await expect(admin.getByText("The wallet is now ACTIVE.")).toBeVisible();
  await admin.goto(`/#/admin/audit?target=${bobWallet}`);
  await expect(admin.getByText("wallet.freeze")).toBeVisible();
  await expect(admin.getByText("“owner confirmed the sign-in”")).toBeVisible();
  await scan(admin, "audit");

  // A transfer left NEEDS_REVIEW by injected saga faults (the post and its compensation fail).
  faults("post=fail,release=fail");
  let stuck: string;
  try {
    stuck = await sendTo(alice, bobWallet, "1", false, "stuck");
    await expect(alice.getByTestId("status")).toHaveText("NEEDS_REVIEW", { timeout: 60_000 });
  } finally {
    faults();
  }
  await admin.goto("/#/admin/review");
  const row = admin.getByTestId(`desk-${stuck}`);
  await expect(row).toBeVisible();
  // Where the money is, as the API's desk says it.
  const adminToken = await apiToken(request, ADMIN.email, ADMIN.password);
  const desk = await (await request.get("/v1/admin/transfers?status=NEEDS_REVIEW&limit=100", { headers: { Authorization: `Bearer ${adminToken}` } })).json();
  const item = desk.items.find((x: { id: string }) => x.id === stuck);
  expect(item).toBeTruthy();
  const m = item.money;
  const where = m.posted ? "Paid to the payee" : m.hold_open_amount > 0 ? `Held on the payer: ${usd(m.hold_open_amount)}` : m.released || !m.reserved ? "Back with the payer" : "Reserved";
  await expect(row).toContainText(where);
  await scan(admin, "review desk");
  await shot(admin, "review-desk.png");
  await row.getByRole("button", { name: "Resolve…" }).click();
  const dialog = admin.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await scan(admin, "resolve dialog");
  await dialog.getByLabel(/Reverse/).check();
  await dialog.getByLabel("Reason").fill("post failed twice; returning the money to the payer");
  await dialog.getByRole("button", { name: "Resolve" }).click();
  await expect(row).toHaveCount(0);
  await alice.reload(); // the page stopped polling at NEEDS_REVIEW, a final status
  await expect(alice.getByTestId("status")).toHaveText("FAILED");
  await expect(alice.getByText("An operator reversed the transfer")).toBeVisible();
  w = await expectShownEqualsApi(alice, aliceToken, request);
  expect(w).toMatchObject({ balance: 10000 - 1234 + 10, held: 0 });

  // Bob, who was paid, refunds part of the dinner.
  await bob.goto(`/#/transfers/${dinner}`);
  await bob.getByLabel("Amount to refund (USD)").fill("2");
  await bob.getByRole("button", { name: "Refund" }).click();
  await expect(bob.getByTestId("status")).toHaveText("COMPLETED");
  await expect(bob.getByTestId("amount")).toHaveText(usd(200));
  await scan(bob, "refund");
  w = await expectShownEqualsApi(alice, aliceToken, request);
  expect(w.balance).toBe(10000 - 1234 + 10 + 200);
  expect((await expectShownEqualsApi(bob, bobToken, request)).balance).toBe(1234 - 200);

  await admin.goto("/#/admin/ledger");
  await expect(admin.getByTestId("ledger-ok")).toHaveText("The ledger balances.");
  await scan(admin, "ledger");

  // Log out: back to the log-in page, and the API no longer answers the page.
  await alice.getByRole("button", { name: "Log out" }).click();
  await expect(alice.getByRole("heading", { name: "Log in" })).toBeVisible();
  await scan(alice, "login");
  // Bob stays logged in across a reload (the refresh cookie); Alice, logged out, does not.
  await bob.reload();
  await expect(bob.getByRole("heading", { name: "Your wallets" })).toBeVisible();
  await alice.reload();
  await expect(alice.getByRole("heading", { name: "Log in" })).toBeVisible();
});
