// The buying journey in a real browser, against the demo catalog the server seeded into the
// emulator at start-up: pricing page → interval toggle → sign up → the emulator's hosted Checkout
// (a declined card first, then 4242) → the success page → the account page.
import { expect, test, type Page } from "@playwright/test";
import { fillCard, openPricing, uniqueEmail } from "./support";

/** Collects Content-Security-Policy violations and page errors on our pages (the emulator's
 * hosted pages answer a declined card with a 402, which the console reports). */
function watchForViolations(page: Page, baseURL: string): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && page.url().startsWith(baseURL)) {
      problems.push(`${page.url()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(error.message));
  return problems;
}

/** Opens /pricing, waiting for the start-up seeding to have filled the catalog. */
test("pick Pro on the pricing page, sign up, survive a declined card, pay and see the plan", async ({ page, baseURL }) => {
  const problems = watchForViolations(page, baseURL!);
  await page.goto("/");
  await page.getByRole("link", { name: "See the plans" }).click();
  await expect(page).toHaveURL(/\/pricing$/);
  await openPricing(page);

  const pro = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Pro", exact: true }) });
  // Monthly first: the monthly price and its trial are shown, the yearly one is not.
  await expect(pro.getByText("$29", { exact: true })).toBeVisible();
  await expect(pro.getByText("$290", { exact: true })).toBeHidden();
  await expect(pro.getByText("14-day free trial").first()).toBeVisible();
  // The toggle: yearly prices with their saving; one-time shows only Lifetime.
  await page.getByText("Yearly", { exact: true }).click();
  await expect(pro.getByText("$290", { exact: true })).toBeVisible();
  await expect(pro.getByText("Save 17%")).toBeVisible();
  await expect(pro.getByText("$29", { exact: true })).toBeHidden();
  await page.getByText("One-time", { exact: true }).click();
  await expect(page.getByRole("heading", { name: "Lifetime", exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Pro", exact: true })).toBeHidden();
  await page.getByText("Monthly", { exact: true }).click();

  // Signed out: the button leads to sign-up, and from there straight to Checkout.
  await pro.getByRole("link", { name: "Start free trial of Pro" }).first().click();
  await expect(page.getByRole("heading", { name: "Create an account" })).toBeVisible();
  const email = uniqueEmail("grace");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();

  // The emulator's hosted Checkout page.
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Order summary" })).toContainText("Pro");
  await fillCard(page, "4000 0000 0000 0002");
  await page.getByRole("button", { name: "Start trial" }).click();
  await expect(page.getByRole("alert")).toHaveText("Your card was declined.");
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Start trial" }).click();

  // Back on our success page, which applied the session itself.
  await expect(page).toHaveURL(/\/checkout\/success\?session_id=cs_/);
  await expect(page.getByRole("heading", { name: "Welcome to Pro" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText("Your free trial has started.");

  // The account page shows the plan; the pricing page marks it and offers Manage, not Checkout.
  await page.getByRole("link", { name: "Go to your account" }).click();
  const billing = page.getByRole("region", { name: "Billing" });
  await expect(billing.getByRole("list", { name: "Your plans" })).toContainText("Pro — Free trial until");
  await expect(billing.getByRole("button", { name: "Manage billing" })).toBeVisible();
  await openPricing(page);
  await expect(pro.getByText("Your plan · trial")).toBeVisible();
  await expect(pro.getByRole("button", { name: "Manage Pro" }).first()).toBeVisible();
  expect(problems).toEqual([]);
});

test("a signed-in customer buys Lifetime once and finds it on the account page", async ({ page, baseURL }) => {
  const problems = watchForViolations(page, baseURL!);
  await page.goto("/signup");
  await page.getByLabel("Email").fill(uniqueEmail("alan"));
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("region", { name: "Billing" })).toContainText("You are on the free plan.");

  await openPricing(page);
  await page.getByText("One-time", { exact: true }).click();
  await page.getByRole("button", { name: "Buy Lifetime" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay" }).click();
  await expect(page.getByRole("heading", { name: "Thank you for your purchase" })).toBeVisible();

  await page.goto("/account");
  await expect(page.getByRole("list", { name: "Your purchases" })).toContainText("$199");
  await openPricing(page);
  await page.getByText("One-time", { exact: true }).click();
  await expect(page.getByText("Purchased — it is yours.")).toBeVisible();
  expect(problems).toEqual([]);
});
