// The operator console in a real browser, against the emulator: two customers buy Lifetime (one
// with Stripe's dispute test card) → an operator signs up and is made an admin with
// `server admin grant` → finds the first customer, refunds half of the payment → answers the
// dispute with a written note and an uploaded receipt, submits it and wins it → the emulator's
// clock makes the balance available → pays it all out → the audit log lists each action.
//
// It moves the emulator's clock and pays out the whole balance, so it runs in its own Playwright
// project after every other journey (playwright.config.ts). `cargo xtask e2e console` runs it
// alone; TOLLGATE_SERVER_BIN and the server's environment come from xtask (e2e.rs).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test, type Page } from "@playwright/test";
import { eventually, fillCard, openPricing, scanAccessibility, signUp } from "./support";

const run = promisify(execFile);

/** Buys Lifetime on the emulator's hosted Checkout with `card`, signed in. */
async function buyLifetime(page: Page, card: string) {
  await openPricing(page);
  await page.getByText("One-time", { exact: true }).click();
  await page.getByRole("button", { name: "Buy Lifetime" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillCard(page, card);
  await page.getByRole("button", { name: "Pay" }).click();
  await expect(page.getByRole("heading", { name: "Thank you for your purchase" })).toBeVisible();
}

/** `server admin grant EMAIL`, as an operator would run it, against the server's database. */
async function grantAdmin(email: string) {
  const server = process.env.TOLLGATE_SERVER_BIN;
  if (!server) throw new Error("TOLLGATE_SERVER_BIN is not set: run the journeys with cargo xtask");
  const { stdout } = await run(server, ["admin", "grant", email]);
  expect(stdout).toContain(`${email} is an admin`);
}

/** The console's own navigation. */
function consoleNav(page: Page) {
  return page.getByRole("navigation", { name: "Console" });
}

test("an admin finds a customer, refunds half a payment, wins a dispute with a receipt and pays out the balance", async ({ page }) => {
  test.setTimeout(180_000);

  // Two purchases: one with a card that just pays, one that the bank disputes right after.
  const customer = await signUp(page, "lin");
  await buyLifetime(page, "4242 4242 4242 4242");
  await page.context().clearCookies();
  const disputer = await signUp(page, "mallory");
  await buyLifetime(page, "4000 0000 0000 0259");
  await page.context().clearCookies();

  // The operator: the console is not there for a member, then is once granted.
  const operator = await signUp(page, "olga");
  expect((await page.goto("/admin"))?.status()).toBe(404);
  await grantAdmin(operator);
  await page.goto("/admin");
  await expect(page.getByRole("heading", { name: "Console", level: 1 })).toBeVisible();
  await scanAccessibility(page, "console overview");
  await eventually(page, "/admin", async () => {
    await expect(page.getByRole("region", { name: "Open disputes" })).toContainText("$199, needs response", { timeout: 1000 });
  });

  // Customers: searched by email, opened, their payment followed.
  await consoleNav(page).getByRole("link", { name: "Customers" }).click();
  await page.getByLabel("Search by email, name or Stripe id").fill(customer);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("table", { name: "Customers" }).getByRole("link", { name: customer }).click();
  await expect(page.getByRole("heading", { name: customer })).toBeVisible();
  await scanAccessibility(page, "console customer");
  const payments = page.getByRole("table", { name: "Payments" });
  await eventually(page, page.url(), async () => {
    await expect(payments).toContainText("$199", { timeout: 1000 });
  });
  await payments.getByRole("link").click();
  await expect(page).toHaveURL(/\/admin\/payments\/ch_\w+$/);
  const charge = page.url().split("/").pop()!;
  await expect(page.getByRole("heading", { name: `$199 from ${customer}` })).toBeVisible();
  await expect(page.getByText("$199 is left to refund.")).toBeVisible();
  await scanAccessibility(page, "console payment");

  // Half of it refunded, with a reason.
  await page.getByLabel("Amount (USD)").fill("99.50");
  await page.getByLabel("Reason").selectOption({ label: "Requested by the customer" });
  await page.getByRole("button", { name: "Refund" }).click();
  await expect(page.getByRole("status")).toHaveText(/The refund is made\./);
  await expect(page.getByText("$99.50 is left to refund.")).toBeVisible();
  await expect(page.getByRole("table", { name: "Refunds" })).toContainText("$99.50");

  // Disputes: the open one, answered with a receipt and a note, submitted, won.
  await consoleNav(page).getByRole("link", { name: "Disputes" }).click();
  // Newest first: the one just opened, which is the second customer's payment.
  const open = page.getByRole("table", { name: "Disputes" }).getByRole("row").filter({ hasText: "needs response" });
  await open.first().getByRole("link").filter({ hasNotText: "Payment" }).click();
  await expect(page).toHaveURL(/\/admin\/disputes\/du_\w+$/);
  const dispute = page.url().split("/").pop()!;
  await expect(page.getByRole("heading", { name: "$199, needs response" })).toBeVisible();
  await scanAccessibility(page, "console dispute");
  await page.getByRole("link", { name: "The disputed payment" }).click();
  await expect(page.getByRole("heading", { name: `$199 from ${disputer}` })).toBeVisible();
  await expect(page.getByText("It is disputed: it cannot be refunded while the dispute is open.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Refund" })).toHaveCount(0);
  await page.goBack();

  await page.getByLabel("Which evidence").selectOption({ label: "Receipt or invoice" });
  await page.getByLabel("Document (PDF, JPEG or PNG, at most 5 MB)").setInputFiles({
    name: "receipt.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.from("%PDF-1.4\n% Tollgate receipt for Lifetime, $199\n%%EOF\n"),
  });
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByRole("status")).toHaveText(/The file is attached/);
  await expect(page.getByRole("region", { name: "Documents" })).toContainText(/Receipt or invoice: file_\w+/);

  await page.getByLabel("Anything else the bank should know").fill("winning_evidence");
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByRole("status")).toHaveText(/The evidence is saved as a draft\./);
  await expect(page.getByLabel("Anything else the bank should know")).toHaveValue("winning_evidence");
  await page.getByRole("link", { name: "Submit the evidence…" }).click();
  await page.getByRole("group", { name: "Confirm submission" }).getByRole("button", { name: "Yes, submit the evidence" }).click();
  await expect(page.getByRole("status")).toHaveText(/The evidence is submitted\./);
  await eventually(page, `/admin/disputes/${dispute}`, async () => {
    await expect(page.getByRole("heading", { name: "$199, won" })).toBeVisible({ timeout: 1000 });
  });
  const evidence = page.getByRole("region", { name: "Evidence" });
  await expect(evidence).toContainText("This dispute no longer takes evidence.");
  await expect(evidence).toContainText("winning_evidence");
  await expect(evidence).toContainText(/Receipt or invoice\s*file_\w+/);

  // A week on the emulator's clock (payments become available after two days); all of it is paid out.
  await page.goto("/account");
  await page.getByRole("region", { name: "Time travel" }).getByRole("button", { name: "+1 week" }).click();
  await expect(page.getByRole("status")).toHaveText(/The emulator's clock moved forward/);
  await page.goto("/admin");
  await consoleNav(page).getByRole("link", { name: "Payouts" }).click();
  const balance = page.getByRole("region", { name: "Balance" });
  await eventually(page, "/admin/payouts", async () => {
    await expect(balance.getByRole("button", { name: "Pay out" })).toBeVisible({ timeout: 1000 });
  });
  const hint = await balance.getByText(/is available\. Leave the amount empty to pay out all of it\./).textContent();
  const available = hint!.split(" is available")[0];
  await expect(balance).toContainText(`${available} available`);
  await balance.getByRole("button", { name: "Pay out" }).click();
  await expect(page.getByRole("status")).toHaveText(/The payout is on its way/);
  await scanAccessibility(page, "console payouts");
  await expect(page.getByRole("table", { name: "Payouts" }).getByRole("row").filter({ hasText: available }).first()).toContainText("Manual");

  // The audit log: each action, by whom, on what (a payout is of a currency's balance).
  await consoleNav(page).getByRole("link", { name: "Audit log" }).click();
  await scanAccessibility(page, "console audit log");
  const audit = page.getByRole("table", { name: "Audit log" }).getByRole("row").filter({ hasText: operator });
  await expect(audit.filter({ hasText: "Refund" }).filter({ hasText: charge })).toContainText("$99.50");
  for (const [action, object] of [
    ["Refund", charge],
    ["Dispute evidence saved", dispute],
    ["Dispute evidence submitted", dispute],
    ["Payout", available],
  ]) {
    await expect(audit.filter({ hasText: action }).filter({ hasText: object }).first()).toContainText("succeeded");
  }
});
