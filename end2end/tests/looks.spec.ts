// Every page as visitors see it, at a phone's and a laptop's width, light and dark: compared with
// the committed screenshots and scanned with axe-core. This project runs on its own before the
// others, so the catalog is the demo catalog and no journey has moved the emulator's clock.
//
// Update the baselines after a deliberate change: `cargo xtask screenshots` (README).
import { expect, test } from "@playwright/test";
import { fillCard, lookAt, openPricing, signUp } from "./support";

test("the home page", async ({ page }) => {
  await page.goto("/");
  await lookAt(page, "home");
});

test("the phone menu, open", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByText("Menu").click();
  await expect(nav.getByRole("link", { name: "Pricing" })).toBeVisible();
  await expect(page).toHaveScreenshot("menu-open-phone-light.png");
});

test("the pricing page in each interval", async ({ page }) => {
  await openPricing(page);
  for (const interval of ["Monthly", "Yearly", "One-time"]) {
    await page.getByText(interval, { exact: true }).click();
    await lookAt(page, `pricing-${interval.toLowerCase()}`);
  }
});

test("the sign-in and sign-up pages", async ({ page }) => {
  await page.goto("/signin");
  await lookAt(page, "signin");
  await page.goto("/signup");
  await lookAt(page, "signup");
});

test("a customer's pages before and after subscribing, with Checkout and the portal", async ({ page }) => {
  test.setTimeout(180_000);
  await signUp(page, "looks", { email: "looks@example.com", displayName: "Ada Lovelace" });
  // The development-only time travel card reads the emulator's clock: a date.
  const clock = page.getByRole("region", { name: "Time travel" }).getByText("Development only.");

  // No plan yet.
  await expect(page.getByRole("region", { name: "Billing" })).toContainText("You are on the free plan.");
  await lookAt(page, "account-free", [clock]);
  await page.goto("/dashboard");
  await expect(page.getByRole("heading", { name: "The dashboard comes with a plan" })).toBeVisible();
  await lookAt(page, "dashboard-locked");

  // The emulator's hosted Checkout page.
  await openPricing(page);
  await page.getByRole("button", { name: "Subscribe to Hobby" }).first().click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await lookAt(page, "emulator-checkout");
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await expect(page.getByRole("heading", { name: "Welcome to Hobby" })).toBeVisible();

  // Subscribed: the plan with its renewal date, the invoice, the open dashboard.
  await page.goto("/account");
  const plans = page.getByRole("list", { name: "Your plans" });
  await expect(plans).toContainText("Hobby");
  const invoices = page.getByRole("table", { name: "Your invoices" });
  await expect(invoices).toContainText("$9");
  await lookAt(page, "account-subscribed", [clock, plans.getByText(/renews|until/i), invoices]);
  await page.goto("/dashboard");
  const report = page.getByRole("table", { name: "Usage by month" });
  await expect(report).toBeVisible();
  await lookAt(page, "dashboard-unlocked", [report]);

  // The emulator's hosted portal.
  await page.goto("/account");
  await page.getByRole("button", { name: "Manage billing" }).click();
  await expect(page.getByRole("heading", { name: "Hobby" })).toBeVisible();
  await lookAt(page, "emulator-portal", [page.getByText(/Renews \d{4}-\d{2}-\d{2}/), page.getByRole("table", { name: "Invoices" })]);
});
