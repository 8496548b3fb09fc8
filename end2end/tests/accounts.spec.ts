// The account journey in a real browser: every form is a plain HTML form, and the pages run
// under the Content-Security-Policy with nothing in the console.
import { expect, test, type Page } from "@playwright/test";
import { eventually } from "./support";

/** Fails the test on any Content-Security-Policy violation or page error. */
function watchForViolations(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  return problems;
}

test("sign up, sign out, sign in, rename, reset the password by mail, delete the account", async ({ page }) => {
  const problems = watchForViolations(page);
  const email = `ada-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const nav = page.getByRole("navigation", { name: "Main" });

  // Sign up.
  await page.goto("/");
  await nav.getByRole("link", { name: "Sign up" }).click();
  await expect(page.getByRole("heading", { name: "Create an account" })).toBeVisible();
  await page.getByLabel("Display name (optional)").fill("Ada");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(nav.getByText("Ada", { exact: true })).toBeVisible();

  // Sign out.
  await nav.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(nav.getByRole("link", { name: "Sign in" })).toBeVisible();

  // Sign in; a wrong password first shows an inline error.
  await nav.getByRole("link", { name: "Sign in" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not my password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("That email and password do not match an account.");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);

  // Change the display name: the header shows it at once.
  const profile = page.getByRole("region", { name: "Profile" });
  await profile.getByLabel("Display name").fill("Countess Ada");
  await profile.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByRole("status")).toHaveText("Your display name is saved.");
  await expect(nav.getByText("Countess Ada", { exact: true })).toBeVisible();

  // Forgot the password: the link arrives in the dev outbox.
  await nav.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/signin");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account uses that email");
  // The mail is sent in the background (the answer must not tell whether the account exists):
  // reload the mailbox until it is there.
  const resetMail = page.getByRole("article", { name: `Reset your Tollgate password to ${email}` });
  await eventually(page, "/dev/mailbox", async () => {
    await expect(resetMail).toBeVisible({ timeout: 1000 });
  });
  await resetMail.getByRole("link").click();
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await page.getByLabel("New password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("status")).toHaveText("Your password is changed. Sign in with the new one.");

  // Sign in with the new password.
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);

  // Delete the account.
  const danger = page.getByRole("region", { name: "Delete account" });
  await danger.getByLabel("Password to confirm").fill("a brand new passphrase");
  await danger.getByRole("button", { name: "Delete my account" }).click();
  await expect(page).toHaveURL(/\/\?notice=account-deleted$/);
  await expect(nav.getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();

  expect(problems).toEqual([]);
});

test("signing in from a protected page returns to it", async ({ page }) => {
  const email = `grace-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: "Sign out" }).click();

  await page.goto("/account");
  await expect(page).toHaveURL(/\/signin\?next=\/account$/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page).toHaveURL(/\/account$/);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the sign-up form works and shows field errors inline", async ({ page }) => {
    await page.goto("/signup");
    await page.getByLabel("Email").fill("not-an-email@nowhere");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();

    const emailField = page.getByLabel("Email");
    await expect(emailField).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByText("Enter an email address like name@example.com.")).toBeVisible();
  });
});

test("the home page loads with no Content-Security-Policy violation", async ({ page }) => {
  const problems = watchForViolations(page);
  const response = await page.goto("/");
  expect(response?.headers()["content-security-policy"]).toContain("'nonce-");
  await page.waitForLoadState("load");
  expect(problems).toEqual([]);
});
