// Paying people by email: a payment request asked, paid from the Requests page and seen
// PAID by both, a send to an email, and a withdrawal, against the local stack.
import { test, expect, type APIRequestContext, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { apiToken, apiWallets, emailOf, openWallet, ROOT, scan, signUp } from "./helpers";
import { formatMoney, toDecimalString } from "../src/money";

const usd = (minor: number) => formatMoney(minor, "USD", "en-US");

/** balancesShown checks the USD card shows what the API says and returns the balance. */
async function balanceShown(page: Page, request: APIRequestContext, token: string) {
  const [w] = (await apiWallets(request, token)).filter((x) => x.currency === "USD");
  await page.goto("/#/wallets");
  await page.reload();
  await expect(page.getByTestId("wallet-USD").getByTestId("balance")).toHaveText(usd(w.balance));
  return w.balance;
}

/** askByApi asks for money through the API, waiting out the per-caller write limit as its Retry-After says. */
async function askByApi(request: APIRequestContext, token: string, email: string, amount: number, note: string) {
  const key = `ask-${note.replace(/\W/g, "-")}-${Math.random().toString(36).slice(2)}`;
  for (;;) {
    const r = await request.post("/v1/payment-requests", {
      headers: { Authorization: `Bearer ${token}`, "Idempotency-Key": key },
      data: { to: { email }, amount, currency: "USD", note },
    });
    if (r.status() !== 429) {
      expect(r.status(), await r.text()).toBe(201);
      return;
    }
    await new Promise((done) => setTimeout(done, 1000 * Number(r.headers()["retry-after"] ?? "1")));
  }
}

test("ask a person by email, they pay it once from Requests; send to an email; withdraw", async ({ browser, request }) => {
  const ann = await (await browser.newContext()).newPage();
  const ben = await (await browser.newContext()).newPage();
  await signUp(ann, "Ann", emailOf("ann"));
  await openWallet(ann, "USD");
  await signUp(ben, "Ben", emailOf("ben"));
  await openWallet(ben, "USD");
  const benCard = ben.getByTestId("wallet-USD");
  await benCard.getByLabel("Top up amount (USD)").fill("50");
  await benCard.getByRole("button", { name: "Top up" }).click();
  await expect(benCard.getByRole("status")).toHaveText("Added 50.00 USD.");
  const benWallet = await benCard.getAttribute("data-wallet-id");
  const annToken = await apiToken(request, emailOf("ann"));
  const benToken = await apiToken(request, emailOf("ben"));

  // Ann asks Ben for 12.50.
  await ann.goto("/#/requests");
  await expect(ann.getByRole("heading", { name: "Payment requests" })).toBeVisible();
  await expect(ann.getByText("You have not asked anyone for money.")).toBeVisible();
  await scan(ann, "requests (empty)");
  await ann.getByLabel("Their email").fill(emailOf("ben"));
  await ann.getByLabel("Amount").fill("12.50");
  await ann.getByLabel("Currency").selectOption("USD");
  await ann.getByLabel("Note (optional)").fill("concert tickets");
  await ann.getByLabel(/Expires after/).fill("24");
  await ann.getByRole("button", { name: "Ask for money" }).click();
  await expect(ann.getByRole("status")).toHaveText(`Asked ${emailOf("ben")} for 12.50 USD.`);
  const asked = ann.getByTestId("sent").getByRole("listitem").filter({ hasText: "concert tickets" });
  await expect(asked.getByTestId("request-status")).toHaveText("PENDING");
  await expect(asked).toContainText(usd(1250));

  // Ben pays it from his Requests page. The first answer is lost after the payment ran and
  // the button is double-clicked: the app resends under the same key, and Ben pays once.
  let lost = false;
  await ben.route("**/v1/payment-requests/*/pay", async (route) => {
    const resp = await route.fetch();
    if (!lost) {
      lost = true;
      expect(resp.status()).toBeLessThan(300);
      await route.abort("connectionreset");
      return;
    }
    await route.fulfill({ response: resp });
  });
  await ben.goto("/#/requests");
  const owed = ben.getByTestId("received").getByRole("listitem").filter({ hasText: "concert tickets" });
  await expect(owed.getByTestId("request-status")).toHaveText("PENDING");
  await expect(owed.getByTestId("request-from"), "Ben is told who asked him").toHaveText(`From ${emailOf("ann")}`);
  await expect(owed).toContainText(usd(1250));
  await scan(ben, "requests (received, pending)");
  // At 375 px wide the list with its actions fits without sideways scrolling.
  await ben.setViewportSize({ width: 375, height: 740 });
  const { scroll, client } = await ben.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll, "the Requests page with a request to pay is wider than a 375 px screen").toBeLessThanOrEqual(client);
  await ben.setViewportSize({ width: 1100, height: 800 });
  await expect(owed.getByLabel("Pay from")).toHaveValue(benWallet!);
  await owed.getByRole("button", { name: "Pay" }).dblclick();
  await expect(owed.getByTestId("request-status")).toHaveText("PAID");
  await ben.unroute("**/v1/payment-requests/*/pay");
  expect(lost).toBe(true);
  // The resent request was the same intent (a new key would have been refused as already paid).
  await expect(owed.getByRole("status")).toHaveText(/^(Paid\.|Paying: this list updates by itself\.)$/);
  await expect(owed.getByRole("alert")).toHaveCount(0);
  await expect(owed.getByRole("button", { name: "Pay" })).toHaveCount(0);
  await expect(owed.getByRole("link", { name: "The payment" })).toBeVisible();
  await scan(ben, "requests (received, paid)");

  await ann.reload();
  await expect(asked.getByTestId("request-status")).toHaveText("PAID");
  await expect(asked.getByRole("button", { name: "Cancel request" })).toHaveCount(0);
  await scan(ann, "requests (sent, paid)");
  // The money moved exactly once, on the page as in the API.
  expect(await balanceShown(ann, request, annToken)).toBe(1250);
  expect(await balanceShown(ben, request, benToken)).toBe(5000 - 1250);
  const benTransfers = await (await request.get("/v1/transfers?limit=100", { headers: { Authorization: `Bearer ${benToken}` } })).json();
  expect(benTransfers.items.filter((t: { amount: number }) => t.amount === 1250)).toHaveLength(1);

  // A second request, which Ann cancels: the status is shown and the actions go.
  await ann.goto("/#/requests");
  await ann.getByLabel("Their email").fill(emailOf("ben"));
  await ann.getByLabel("Amount").fill("1");
  await ann.getByLabel("Note (optional)").fill("parking");
  await ann.getByRole("button", { name: "Ask for money" }).click();
  const parking = ann.getByTestId("sent").getByRole("listitem").filter({ hasText: "parking" });
  await parking.getByRole("button", { name: "Cancel request" }).click();
  await expect(parking.getByTestId("request-status")).toHaveText("CANCELLED");
  await ben.goto("/#/requests");
  await expect(ben.getByTestId("received").getByRole("listitem").filter({ hasText: "parking" }).getByTestId("request-status")).toHaveText("CANCELLED");

  // Ten more requests (through the API): Ben's list pages, ten to a page, newest first.
  for (let i = 1; i <= 10; i++) await askByApi(request, annToken, emailOf("ben"), 100 + i, `page ${i}`);
  await ben.reload(); // Ben is on the page already: read the lists again
  const received = ben.getByTestId("received").getByRole("listitem");
  const pager = ben.getByRole("group", { name: "Pages of requests asked of you" });
  await expect(received).toHaveCount(10);
  await expect(received.first()).toContainText("page 10");
  await expect(pager.getByRole("button", { name: "Newer" })).toBeDisabled();
  await pager.getByRole("button", { name: "Older" }).click();
  await expect(received).toHaveCount(2);
  await expect(received.filter({ hasText: "concert tickets" }).getByTestId("request-status")).toHaveText("PAID");
  await expect(pager.getByRole("button", { name: "Older" })).toBeDisabled();
  await scan(ben, "requests (received, an older page)");
  await pager.getByRole("button", { name: "Newer" }).click();
  await expect(received.first()).toContainText("page 10");

  // Ann sends Ben 3.00 by email; an address that cannot receive gets the one answer.
  await ann.goto("/#/send");
  await expect(ann.getByLabel("A person (email)")).toBeChecked();
  await ann.getByLabel("Their email").fill(emailOf("nobody"));
  await ann.getByLabel("Amount").fill("3");
  await ann.getByRole("button", { name: "Send" }).click();
  await expect(ann.getByRole("alert")).toContainText("This person cannot receive USD here");
  await scan(ann, "send to a person (refused)");
  await ann.getByLabel("Their email").fill(emailOf("ben"));
  await ann.getByRole("button", { name: "Send" }).click();
  await expect(ann.getByRole("heading", { name: "Transfer" })).toBeVisible();
  await expect(ann.getByTestId("status")).toHaveText("COMPLETED");
  await expect(ann.getByTestId("amount")).toHaveText(usd(300));
  expect(await balanceShown(ann, request, annToken)).toBe(1250 - 300);

  // Ben withdraws 5.00; more than a single withdrawal may be is refused in words.
  const outputs = JSON.parse(readFileSync(path.join(ROOT, ".local/outputs.json"), "utf8"));
  const overLimit = toDecimalString(Number(outputs.WithdrawalMaxMinor) + 1, "USD");
  await ben.goto("/#/wallets");
  await benCard.getByLabel("Withdraw amount (USD)").fill(overLimit);
  await benCard.getByRole("button", { name: "Withdraw" }).click();
  await expect(benCard.getByRole("alert")).toContainText("more than you can withdraw");
  await benCard.getByLabel("Withdraw amount (USD)").fill("5");
  await benCard.getByRole("button", { name: "Withdraw" }).click();
  await expect(benCard.getByRole("status")).toHaveText("Withdrew 5.00 USD.");
  await scan(ben, "wallets (withdrawn)");
  expect(await balanceShown(ben, request, benToken)).toBe(5000 - 1250 + 300 - 500);
});
