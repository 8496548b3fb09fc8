// A team subscribes together: Ada creates Acme, subscribes to Pro per seat with a promotion
// code, invites Bob, who signs up from the mailed link, joins and gets Pro's features; Ada
// removes him (the seats follow), schedules a downgrade to Hobby for the renewal, and sees it
// happen once the clock passes the period's end.
//
// It moves the emulator's clock: it runs last, on its own (playwright.config.ts).
import { expect, test, type Page } from "@playwright/test";
import { eventually, fillCard, openPricing, signUp, uniqueEmail } from "./support";

/** The plans list on /account. */
function plans(page: Page) {
  return page.getByRole("region", { name: "Billing" }).getByRole("list", { name: "Your plans" });
}

test("a team subscribes per seat, shares the plan, and downgrades at renewal", async ({ browser }) => {
  test.setTimeout(180_000);
  const ada = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  const team = `Acme ${Date.now()}`;

  // Ada creates the organization; she acts for it from then on.
  await signUp(ada, "ada");
  await ada.goto("/organization");
  await ada.getByLabel("Organization name").fill(team);
  await ada.getByRole("button", { name: "Create organization" }).click();
  await expect(ada.getByRole("heading", { name: team, level: 1 })).toBeVisible();
  await expect(ada.getByLabel("Acting for")).toHaveValue(/.+/);

  // Pro is per seat; the seat count recalculates the total without JavaScript.
  await openPricing(ada);
  const pro = ada.getByRole("listitem").filter({ has: ada.getByRole("heading", { name: "Pro", exact: true }) });
  await expect(pro.getByText("per seat").first()).toBeVisible();
  await pro.getByLabel("Seats").fill("3");
  await pro.getByRole("button", { name: "Update total" }).click();
  await expect(ada.getByText("$87 per month for 3 seats").first()).toBeVisible();

  // Checkout for one seat (the members), with the launch code and the billing address.
  await pro.getByRole("button", { name: "Start free trial of Pro" }).first().click();
  await expect(ada.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await ada.getByLabel("Promotion code").fill("LAUNCH20");
  await fillCard(ada, "4242 4242 4242 4242");
  await ada.getByRole("button", { name: "Start trial" }).click();
  await expect(ada.getByRole("heading", { name: "Welcome to Pro" })).toBeVisible();
  await eventually(ada, "/account", async () => {
    await expect(plans(ada)).toContainText("per seat, 1 seat", { timeout: 1000 });
  });
  await expect(plans(ada)).toContainText("Launch offer: 20% off");

  // Ada invites Bob; the mail's link lets him sign up and join.
  const bobEmail = uniqueEmail("bob");
  await ada.goto("/organization");
  await ada.getByLabel("Email").fill(bobEmail);
  await ada.getByRole("button", { name: "Send invitation" }).click();
  await expect(ada.getByRole("status")).toHaveText(/The invitation is on its way/);
  const mail = bob.getByRole("article", { name: `Join ${team} on Tollgate to ${bobEmail}` });
  await eventually(bob, "/dev/mailbox", async () => {
    await expect(mail).toHaveCount(1, { timeout: 1000 });
  });
  await mail.getByRole("link").first().click();
  await expect(bob.getByRole("heading", { name: `Join ${team}` })).toBeVisible();
  await bob.getByRole("link", { name: "Create an account" }).click();
  await bob.getByLabel("Email").fill(bobEmail);
  await bob.getByLabel("Password").fill("correct horse battery");
  await bob.getByRole("button", { name: "Create account" }).click();
  await bob.getByRole("button", { name: `Join ${team}` }).click();
  await expect(bob.getByRole("status")).toHaveText(/Welcome aboard/);

  // Bob has Pro's features while he acts for the team.
  await bob.goto("/dashboard");
  await expect(bob.getByRole("heading", { name: "Usage report" })).toBeVisible();

  // The seats follow: two members, two seats; Ada removes Bob, and it is one again.
  await eventually(ada, "/account", async () => {
    await expect(plans(ada)).toContainText("per seat, 2 seats", { timeout: 1000 });
  });
  await ada.goto("/organization");
  await ada.getByRole("button", { name: `Remove ${bobEmail}` }).click();
  await expect(ada.getByRole("status")).toHaveText(/The member is removed/);
  await eventually(ada, "/account", async () => {
    await expect(plans(ada)).toContainText("per seat, 1 seat", { timeout: 1000 });
  });
  await bob.goto("/dashboard");
  await expect(bob.getByRole("heading", { name: "Usage report" })).toBeHidden();

  // A downgrade waits for the renewal, and happens there.
  await ada.goto("/account");
  await ada.getByLabel("Change plan to").selectOption({ label: "Hobby — $9 per month" });
  await ada.getByRole("button", { name: "Preview change" }).click();
  await expect(ada.getByRole("heading", { name: "Change to Hobby — $9 per month at renewal" })).toBeVisible();
  await ada.getByRole("button", { name: "Schedule change" }).click();
  await expect(ada.getByRole("status").first()).toHaveText(/Your plan changes at the end of the current period/);
  await expect(plans(ada)).toContainText("Changes to Hobby on");

  // Time travel a month at a time until the clock has passed the date shown (the trial's end,
  // or the renewal after it); a month of every journey's subscriptions may take a while.
  for (let month = 0; month < 3; month++) {
    await ada.goto("/account");
    if (await plans(ada).getByText(/^Hobby$/).count()) break;
    await ada.getByRole("region", { name: "Time travel" }).getByRole("button", { name: "+1 month" }).click();
    await expect(ada).toHaveURL(/notice=clock-moved/, { timeout: 90_000 });
  }
  await eventually(ada, "/account", async () => {
    await expect(plans(ada).getByRole("listitem", { name: "Hobby" })).toBeVisible({ timeout: 1000 });
  });
  await expect(plans(ada)).not.toContainText("Changes to Hobby");
});
