// Paying per report: Una subscribes to the Usage plan, calls the reports API and watches the
// account page's bar move, uses up the month's 1,000 reports (the API refuses the next call with
// 402 and where to buy credits), buys a pack of 500 reports, and goes on calling.
import { expect, test, type Page } from "@playwright/test";
import { eventually, fillCard, openPricing, signUp } from "./support";

/** Calls `GET /api/reports` `count` times (50 at a time) as the signed-in user; the statuses. */
async function callReports(page: Page, count: number) {
  const statuses: number[] = [];
  for (let done = 0; done < count; done += 50) {
    const batch = Math.min(50, count - done);
    const answers = await Promise.all(
      Array.from({ length: batch }, () => page.request.get("/api/reports")),
    );
    statuses.push(...answers.map((answer) => answer.status()));
  }
  return statuses;
}

/** The usage section of /account. */
function usage(page: Page) {
  return page.getByRole("region", { name: "Usage: Reports" });
}

test("a usage plan counts each call, stops at its limit, and a credit pack carries on", async ({ page }) => {
  test.setTimeout(120_000);
  await signUp(page, "una");

  await openPricing(page);
  const plan = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Usage", exact: true }) });
  await expect(plan.getByText("per report, billed every month").first()).toBeVisible();
  await expect(page.getByText("Buy 500 reports")).toHaveCount(0);
  await plan.getByRole("button", { name: "Subscribe to Usage" }).first().click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await expect(page.getByRole("heading", { name: "Welcome to Usage" })).toBeVisible();
  await eventually(page, "/account", async () => {
    await expect(usage(page)).toContainText("0 of 1,000 reports used this period.", { timeout: 1000 });
  });
  const bar = usage(page).getByRole("meter", { name: "Reports used this period" });
  await expect(bar).toHaveAttribute("value", "0");

  // Ten calls: the bar moves, and the projected charge with it.
  expect(await callReports(page, 10)).toEqual(Array(10).fill(200));
  await page.reload();
  await expect(usage(page)).toContainText("10 of 1,000 reports used this period.");
  await expect(bar).toHaveAttribute("value", "10");
  await expect(usage(page)).toContainText("Projected for this period: $0.50 (10 reports at $0.05).");

  // The rest of the month's 1,000, then the limit: refused with where credits are sold.
  expect(await callReports(page, 990)).toEqual(Array(990).fill(200));
  const refused = await page.request.get("/api/reports");
  expect(refused.status()).toBe(402);
  const body = await refused.json();
  expect(body.usage.remaining).toBe(0);
  expect(body.error).toContain("You have used all 1000 reports of this period");
  expect(body.credits_url).toMatch(/\/account#billing$/);
  await page.reload();
  await expect(bar).toHaveAttribute("value", "1000");
  await expect(usage(page).getByRole("status")).toContainText("calls are refused until");

  // A pack of 500 reports, bought from the usage section.
  await usage(page).getByRole("button", { name: "Buy 500 reports for $20" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay" }).click();
  await expect(page.getByRole("heading", { name: "Thank you for your purchase" })).toBeVisible();
  await page.goto("/account");
  await expect(usage(page)).toContainText("500 report credits left, used before overage.");
  await expect(usage(page).getByRole("status")).toHaveCount(0);

  // Calls go on, drawn from the credits; the plan's overage does not grow.
  const next = await page.request.get("/api/reports");
  expect(next.status()).toBe(200);
  expect((await next.json()).usage.credits).toBe(499);
  expect(await callReports(page, 4)).toEqual(Array(4).fill(200));
  await page.reload();
  await expect(usage(page)).toContainText("1,000 of 1,000 reports used this period; 5 more paid by credits.");
  await expect(usage(page)).toContainText("495 report credits left, used before overage.");
  await expect(usage(page)).toContainText("Projected for this period: $50 (1,000 reports at $0.05).");
});
