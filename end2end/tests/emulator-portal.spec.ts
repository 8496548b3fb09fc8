// The Stripe emulator's hosted customer portal, as a subscriber uses it: switch plan, cancel at
// period end and renew, replace the card, see invoices, and go back to the site.
import { expect, test } from "@playwright/test";

const emulator = process.env.STRIPE_EMULATOR_URL ?? "http://127.0.0.1:12111";
const auth = { Authorization: "Bearer sk_test_playwright" };

test("a subscriber switches plan, cancels, renews and replaces the card in the portal", async ({ page, request, baseURL }) => {
  const post = async (path: string, form: Record<string, string>) => {
    const response = await request.post(`${emulator}${path}`, { headers: auth, form });
    expect(response.status(), `${path}: ${await response.text()}`).toBe(200);
    return response.json();
  };
  const monthly = async (name: string, amount: string) => {
    const product = await post("/v1/products", { name });
    return post("/v1/prices", { product: product.id, currency: "usd", unit_amount: amount, "recurring[interval]": "month" });
  };
  const hobby = await monthly("Portal Hobby", "1000");
  await monthly("Portal Pro", "3000");
  const customer = await post("/v1/customers", { email: "portal@example.com", payment_method: "pm_card_visa" });
  const methods = await (await request.get(`${emulator}/v1/customers/${customer.id}/payment_methods`, { headers: auth })).json();
  await post(`/v1/customers/${customer.id}`, { "invoice_settings[default_payment_method]": methods.data[0].id });
  await post("/v1/subscriptions", { customer: customer.id, "items[0][price]": hobby.id });
  const portal = await post("/v1/billing_portal/sessions", { customer: customer.id, return_url: `${baseURL}/` });

  await page.goto(portal.url);
  await expect(page.getByRole("heading", { name: "Portal Hobby" })).toBeVisible();
  await expect(page.getByText(/Renews \d{4}-\d{2}-\d{2}/)).toBeVisible();

  await page.getByLabel("New plan").selectOption({ label: "Portal Pro — $30.00 / month" });
  await page.getByRole("button", { name: "Update plan" }).click();
  await expect(page.getByRole("status")).toHaveText("Your plan was updated.");
  await expect(page.getByRole("heading", { name: "Portal Pro" })).toBeVisible();

  await page.getByRole("button", { name: "Cancel plan" }).click();
  await expect(page.getByText(/Cancels \d{4}-\d{2}-\d{2}/)).toBeVisible();
  await page.getByRole("button", { name: "Renew plan" }).click();
  await expect(page.getByRole("status")).toHaveText("Your plan will renew.");

  await page.getByLabel("Card number").fill("5555 5555 5555 4444");
  await page.getByLabel("Expiry (MM / YY)").fill("11 / 33");
  await page.getByLabel("CVC").fill("321");
  await page.getByRole("button", { name: "Save card" }).click();
  await expect(page.getByText("Mastercard •••• 4444, expires 11/2033")).toBeVisible();

  await expect(page.getByRole("table", { name: "Invoices" })).toContainText("paid");
  await page.getByRole("link", { name: "← Return to the site" }).click();
  await expect(page).toHaveURL(`${baseURL}/`);
});
