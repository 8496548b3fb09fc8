// What happens weeks after Checkout, watched through the account page's "Time travel" control
// (DEV_MODE), which moves the emulator's clock and waits for its webhooks:
// - a trial started without a card pauses at its end → the dashboard and the account page say
//   to add a card → a card added in the portal resumes the plan → open again;
// - a trial whose card fails at renewal → past due, still open (grace period), mailed → a new
//   card in the portal pays the invoice → active again.
//
// Moving the clock moves it for everyone: this runs serially, after every other journey
// (playwright.config.ts).
import { expect, test, type Page } from "@playwright/test";
import { confirmAddress, eventually, fillAddress, fillCard, openPricing, signUp } from "./support";

/** Presses a "Time travel" button on /account and waits for the page to come back. */
async function travel(page: Page, button: "+1 day" | "+1 week" | "+1 month") {
  await page.goto("/account");
  const control = page.getByRole("region", { name: "Time travel" });
  await control.getByRole("button", { name: button }).click();
  await expect(page.getByRole("status")).toHaveText(/The emulator's clock moved forward/);
}

/** Starts a free trial of Pro on the emulator's Checkout page, with `card` or without one. */
async function startProTrial(page: Page, card?: string) {
  await openPricing(page);
  const pro = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Pro", exact: true }) });
  await pro.getByRole("button", { name: "Start free trial of Pro" }).first().click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  if (card) {
    await fillCard(page, card);
  } else {
    await expect(page.getByText("No card needed to start your trial.")).toBeVisible();
    await fillAddress(page);
  }
  await page.getByRole("button", { name: "Start trial" }).click();
  await expect(page.getByRole("heading", { name: "Welcome to Pro" })).toBeVisible();
}

/** Waits until the dev mailbox holds one mail to `email` whose subject has `subject` (mail is
 * sent just after the webhook that caused it). */
async function expectMail(page: Page, email: string, subject: string) {
  const to = page.getByRole("article", { name: `${subject}`, exact: false }).filter({ hasText: `To: ${email}` });
  await eventually(page, "/dev/mailbox", async () => {
    await expect(to).toHaveCount(1, { timeout: 1000 });
  });
}

/** On /account, presses the plan's `button`, saves the 4242 card on the portal's card form (which
 * returns by itself), and waits for the plan to renew on that card. */
async function saveCardInPortal(page: Page, button: "Add a card" | "Update card") {
  const plans = page.getByRole("region", { name: "Billing" }).getByRole("list", { name: "Your plans" });
  await page.getByRole("region", { name: "Billing" }).getByRole("button", { name: button }).click();
  await expect(page.getByRole("heading", { name: "Billing" })).toBeVisible();
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Save card" }).click();
  await expect(page).toHaveURL(/\/account#billing$/);
  await eventually(page, "/account", async () => {
    await expect(plans).toContainText("Pro — Renews on", { timeout: 1000 });
  });
  await expect(plans).toContainText("Charged to Visa ending in 4242");
}

test.describe.configure({ mode: "serial" });

test("a trial without a card pauses at its end, and adding a card in the portal continues it", async ({ page }) => {
  test.setTimeout(120_000);
  const email = await signUp(page, "tess");
  await confirmAddress(page, email);
  await startProTrial(page);

  const billing = page.getByRole("region", { name: "Billing" });
  const plans = billing.getByRole("list", { name: "Your plans" });
  await eventually(page, "/account", async () => {
    await expect(plans).toContainText("Pro — Free trial until", { timeout: 1000 });
  });
  await expect(plans).toContainText("add a card to continue after it");
  await expect(plans).toContainText("No card on file");
  await expect(billing.getByRole("button", { name: "Add a card" })).toBeVisible();

  // A month later the trial (14 days) is over, without a card: paused, locked, mailed.
  await travel(page, "+1 month");
  await expect(plans).toContainText("Pro — Paused — add a card to continue");
  await page.goto("/dashboard");
  await expect(page.getByRole("heading", { name: "Your trial has ended" })).toBeVisible();
  expect((await page.request.get("/api/reports")).status()).toBe(402);
  await expectMail(page, email, "plan is paused: add a card to continue");

  // The dashboard's button leads to the account page, whose button opens the portal's card form.
  await page.goto("/dashboard");
  await page.getByRole("link", { name: "Add a card" }).click();
  await expect(page).toHaveURL(/\/account#billing$/);
  await saveCardInPortal(page, "Add a card");

  // The app resumed the plan: a new period, charged at once.
  await expect(billing.getByRole("table", { name: "Your invoices" })).toContainText("$29");
  await page.goto("/dashboard");
  await expect(page.getByRole("table", { name: "Usage by month" })).toBeVisible();
  expect((await page.request.get("/api/reports")).status()).toBe(200);
});

test("a failed renewal keeps the plan open for the grace period, and a new card pays it", async ({ page }) => {
  test.setTimeout(120_000);
  const email = await signUp(page, "finn");
  // 0341 attaches fine; every charge to it fails.
  await startProTrial(page, "4000 0000 0000 0341");

  const billing = page.getByRole("region", { name: "Billing" });
  const plans = billing.getByRole("list", { name: "Your plans" });
  await eventually(page, "/account", async () => {
    await expect(plans).toContainText("Charged to Visa ending in 0341", { timeout: 1000 });
  });

  // Two weeks on the trial ends and its first charge fails (the retry is three days later).
  await travel(page, "+1 week");
  await travel(page, "+1 week");
  await expect(plans).toContainText("Pro — Payment failed — update your card");
  await expect(billing.getByRole("table", { name: "Your invoices" })).toContainText("Due");
  await page.goto("/dashboard");
  await expect(page.getByRole("table", { name: "Usage by month" })).toBeVisible();
  await expectMail(page, email, "Payment failed for your Tollgate Pro plan");

  // The account page's button opens the portal's card form; the new card pays the invoice.
  await page.goto("/account");
  await saveCardInPortal(page, "Update card");

  await expect(billing.getByRole("table", { name: "Your invoices" })).not.toContainText("Due");
  await page.goto("/dashboard");
  await expect(page.getByRole("table", { name: "Usage by month" })).toBeVisible();
});
