// The partner program in a real browser, against the emulator: a user becomes a partner and
// onboards on Stripe's hosted page → a friend opens their referral link, signs up and subscribes
// to Hobby → the emulator's clock moves past the 30-day hold → the pay run (`server partners
// pay`, as an operator or the daily run would) transfers the commission → the partner sees the
// transfer, switches to a manual payout schedule and pays their balance out to their bank.
//
// It moves the emulator's clock and needs money in the platform's balance, so it runs in its own
// Playwright project after the console's (playwright.config.ts). `cargo xtask e2e partners` runs
// it alone; TOLLGATE_SERVER_BIN and the server's environment come from xtask (e2e.rs).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { eventually, fillCard, openPricing, scanAccessibility, signUp } from "./support";

const run = promisify(execFile);

/** `server partners pay`, as an operator would run it; what it printed. */
async function payRun() {
  const server = process.env.TOLLGATE_SERVER_BIN;
  if (!server) throw new Error("TOLLGATE_SERVER_BIN is not set: run the journeys with cargo xtask");
  const { stdout } = await run(server, ["partners", "pay"]);
  return stdout;
}

test("a partner onboards with Stripe, refers a friend, is paid by the pay run and pays it out", async ({ page, browser }) => {
  test.setTimeout(180_000);

  // Becoming a partner, then onboarding on Stripe's hosted page.
  const partner = await signUp(page, "pia");
  await page.goto("/partners");
  await page.getByRole("button", { name: "Become a partner" }).click();
  const link = await page.getByRole("region", { name: "Your referral link" }).locator("code").textContent();
  expect(link).toMatch(/\?ref=[a-z0-9]{8}$/);
  await page.getByRole("button", { name: "Connect with Stripe" }).click();
  await expect(page.getByRole("heading", { name: /^Set up payouts for/ })).toBeVisible();
  await page.getByLabel("First name").fill("Pia");
  await page.getByLabel("Last name").fill("Partner");
  await page.getByLabel("Email").fill(partner);
  await page.getByLabel("Date of birth").fill("1990-12-10");
  await page.getByLabel("Routing number").fill("110000000");
  await page.getByLabel("Account number").fill("000123456789");
  await page.getByLabel("I agree to the Stripe Connected Account Agreement").check();
  await page.getByRole("button", { name: "Agree and submit" }).click();
  await expect(page).toHaveURL(/\/partners\?notice=stripe-account-checked$/);
  const account = page.getByRole("region", { name: "Your Stripe account" });
  await expect(account).toContainText("Ready: commissions are transferred to it.");
  await expect(account).toContainText("STRIPE TEST BANK ••••6789");
  await scanAccessibility(page, "partners");

  // A friend follows the link, signs up and subscribes.
  const friendContext = await browser.newContext();
  const friend = await friendContext.newPage();
  await friend.goto(link!);
  await signUp(friend, "fred");
  await openPricing(friend);
  await friend.getByText("Monthly", { exact: true }).click();
  await friend.getByRole("button", { name: "Subscribe to Hobby" }).first().click();
  await expect(friend.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillCard(friend, "4242 4242 4242 4242");
  await friend.getByRole("button", { name: "Subscribe" }).click();
  await expect(friend.getByRole("heading", { name: "Welcome to Hobby" })).toBeVisible();
  await friendContext.close();

  // The commission is held for the refund window.
  const commissions = page.getByRole("region", { name: "Commissions" });
  await eventually(page, "/partners", async () => {
    await expect(commissions.getByRole("table")).toContainText("pending", { timeout: 1000 });
  });
  await expect(commissions).toContainText("$1.80");

  // A month on the emulator's clock: past the hold, and the friend's payment is available.
  await page.goto("/account");
  await page.getByRole("region", { name: "Time travel" }).getByRole("button", { name: "+1 month" }).click();
  await expect(page.getByRole("status")).toHaveText(/The emulator's clock moved forward/);
  await eventually(page, "/partners", async () => {
    await expect(commissions.getByRole("table")).toContainText("payable", { timeout: 1000 });
  });

  // The pay run transfers it.
  expect(await payRun()).toContain(`paid ${partner}: $1.80`);
  await page.goto("/partners");
  await expect(page.getByRole("region", { name: "Transfers to you" })).toContainText("$1.80");
  await expect(commissions.getByRole("table")).toContainText("paid");

  // A manual schedule, then the balance paid out to the bank.
  await account.getByLabel("Payout schedule").selectOption("manual");
  await account.getByRole("button", { name: "Save schedule" }).click();
  await expect(page.getByRole("status")).toHaveText("Your payout schedule is saved.");
  await account.getByRole("button", { name: "Pay out $1.80" }).click();
  await expect(page.getByRole("status")).toHaveText("Your balance is on its way to your bank account.");
  await expect(account.getByRole("table")).toContainText("$1.80");
  await expect(account.getByRole("table")).toContainText("by you");
});
