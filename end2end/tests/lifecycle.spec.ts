// A subscription's whole life in a real browser, against the demo catalog in the emulator:
// subscribe → the dashboard opens → the account page shows the plan, the card and the invoice →
// change plan after Stripe's preview → the card replaced in the portal → cancel at period end →
// still open until the period ends → the emulator's clock moves past it → locked again.
//
// It moves the emulator's clock for everyone, so it runs in its own Playwright project after
// every other journey (playwright.config.ts).
import { expect, test } from "@playwright/test";
import { eventually, fillCard, signUp } from "./support";

const emulator = process.env.STRIPE_EMULATOR_URL ?? "http://127.0.0.1:12111";

test("subscribe, use the dashboard, change plan, replace the card, cancel, and lose access when the period ends", async ({ page, request }) => {
  test.setTimeout(120_000);
  await signUp(page, "ada");

  // No plan: the dashboard says what it takes.
  await page.getByRole("link", { name: "Dashboard" }).click();
  await expect(page.getByRole("heading", { name: "The dashboard comes with a plan" })).toBeVisible();
  await page.getByRole("link", { name: "See the plans" }).click();

  // Hobby, monthly, paid at once.
  const hobby = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Hobby", exact: true }) });
  await expect(async () => {
    await page.goto("/pricing");
    await expect(hobby.getByRole("button", { name: "Subscribe to Hobby" }).first()).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await hobby.getByRole("button", { name: "Subscribe to Hobby" }).first().click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await expect(page.getByRole("heading", { name: "Welcome to Hobby" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText("Your subscription is active.");

  // The dashboard opens; the API is a Pro feature.
  await page.goto("/dashboard");
  await expect(page.getByRole("table", { name: "Usage by month" })).toBeVisible();
  await expect(page.getByText("The reports API comes with Pro.")).toBeVisible();

  // The account page: plan, price, card, and the first invoice once its webhook is applied.
  const billing = page.getByRole("region", { name: "Billing" });
  const plans = billing.getByRole("list", { name: "Your plans" });
  await eventually(page, "/account", async () => {
    await expect(billing.getByRole("table", { name: "Your invoices" })).toContainText("$9", { timeout: 1000 });
  });
  await expect(plans).toContainText("Hobby — Renews on");
  await expect(plans).toContainText("$9 per month");
  await expect(plans).toContainText("Charged to Visa ending in 4242, expires 12/2034");
  await expect(billing.getByRole("table", { name: "Your invoices" })).toContainText("Paid");
  await expect(billing.getByRole("link", { name: "View" }).first()).toHaveAttribute("href", /\/invoices\/in_/);

  // Change to Pro: Stripe's preview first, then the change.
  await billing.getByLabel("Change plan to").selectOption({ label: "Pro — $29 per month" });
  await billing.getByRole("button", { name: "Preview change" }).click();
  const change = page.getByRole("group", { name: "Plan change" });
  await expect(change.getByRole("heading", { name: "Change to Pro — $29 per month" })).toBeVisible();
  await expect(change).toContainText(/You pay \$[\d.]+ now, for the rest of this period\./);
  await change.getByRole("button", { name: "Confirm change" }).click();
  await expect(page.getByRole("status")).toHaveText(/Your plan is changed/);
  await expect(plans).toContainText("Pro — Renews on");
  // The upgrade was invoiced at once: a second paid invoice.
  await eventually(page, "/account", async () => {
    await expect(billing.getByRole("table", { name: "Your invoices" }).getByText("Paid")).toHaveCount(2, { timeout: 1000 });
  });
  await expect(plans).toContainText("$29 per month");
  await page.goto("/dashboard");
  await expect(page.getByText("Your plan includes the API.")).toBeVisible();
  const api = await page.request.get("/api/reports");
  expect(api.status()).toBe(200);
  expect((await api.json()).reports).toHaveLength(6);

  // The portal round trip: a new card there shows here.
  await page.goto("/account");
  await billing.getByRole("button", { name: "Manage billing" }).click();
  await expect(page.getByRole("heading", { name: "Billing" })).toBeVisible();
  await fillCard(page, "5555 5555 5555 4444", "11 / 33");
  await page.getByRole("button", { name: "Save card" }).click();
  await expect(page.getByText("Mastercard •••• 4444, expires 11/2033")).toBeVisible();
  await page.getByRole("link", { name: "← Return to the site" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await eventually(page, "/account", async () => {
    await expect(plans).toContainText("Mastercard ending in 4444, expires 11/2033", { timeout: 1000 });
  });

  // Cancel at period end, after a confirmation; the dashboard stays open.
  await billing.getByRole("link", { name: "Cancel plan" }).click();
  const confirm = page.getByRole("group", { name: "Confirm cancellation" });
  await expect(confirm).toContainText("stays yours until the end of the period");
  await confirm.getByRole("button", { name: "Yes, cancel at period end" }).click();
  await expect(page.getByRole("status")).toHaveText(/Your plan is canceled/);
  await expect(plans).toContainText("Pro — Cancels on");
  await expect(billing.getByRole("button", { name: "Resume plan" })).toBeVisible();
  await page.goto("/dashboard");
  await expect(page.getByRole("table", { name: "Usage by month" })).toBeVisible();

  // A month and a bit later (the emulator's clock), the subscription has ended: locked.
  const moved = await request.post(`${emulator}/_emulator/clock/advance`, { form: { days: "32" } });
  expect(moved.status(), await moved.text()).toBe(200);
  await eventually(page, "/dashboard", async () => {
    await expect(page.getByRole("heading", { name: "The dashboard comes with a plan" })).toBeVisible({ timeout: 1000 });
  });
  expect((await page.request.get("/api/reports")).status()).toBe(402);
  await page.goto("/account");
  await expect(billing).toContainText("You are on the free plan.");
});
