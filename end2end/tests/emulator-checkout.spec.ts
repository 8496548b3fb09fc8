// The Stripe emulator's hosted Checkout page, as a customer uses it: pay with the 4242 test card
// and land on the success URL; be declined with 0002 and stay on the page with Stripe's message.
import { expect, test, type APIRequestContext } from "@playwright/test";
import { fillCard } from "./support";

const emulator = process.env.STRIPE_EMULATOR_URL ?? "http://127.0.0.1:12111";
const auth = { Authorization: "Bearer sk_test_playwright" };

/** Creates a product with a monthly price and an open subscription Checkout Session. */
async function openSession(request: APIRequestContext, successUrl: string) {
  const post = async (path: string, form: Record<string, string>) => {
    const response = await request.post(`${emulator}${path}`, { headers: auth, form });
    expect(response.status(), `${path}: ${await response.text()}`).toBe(200);
    return response.json();
  };
  const product = await post("/v1/products", { name: "Emulator Pro" });
  const price = await post("/v1/prices", {
    product: product.id,
    currency: "usd",
    unit_amount: "2000",
    "recurring[interval]": "month",
  });
  return post("/v1/checkout/sessions", {
    mode: "subscription",
    "line_items[0][price]": price.id,
    "line_items[0][quantity]": "1",
    customer_email: "jenny@example.com",
    success_url: successUrl,
    cancel_url: `${successUrl}?canceled=1`,
  });
}

test("paying with 4242 completes the session and redirects to the success URL", async ({ page, request, baseURL }) => {
  const session = await openSession(request, `${baseURL}/?checkout={CHECKOUT_SESSION_ID}`);
  await page.goto(session.url);
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Order summary" })).toContainText("$20.00");
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Subscribe" }).click();

  await expect(page).toHaveURL(`${baseURL}/?checkout=${session.id}`);
  const completed = await (
    await request.get(`${emulator}/v1/checkout/sessions/${session.id}?expand[]=subscription`, { headers: auth })
  ).json();
  expect(completed.status).toBe("complete");
  expect(completed.payment_status).toBe("paid");
  expect(completed.subscription.status).toBe("active");
});

test("a declined card 0002 shows Stripe's message and keeps the session open", async ({ page, request, baseURL }) => {
  const session = await openSession(request, `${baseURL}/?checkout={CHECKOUT_SESSION_ID}`);
  await page.goto(session.url);
  await fillCard(page, "4000 0000 0000 0002");
  await page.getByRole("button", { name: "Subscribe" }).click();

  await expect(page.getByRole("alert")).toHaveText("Your card was declined.");
  await expect(page.getByLabel("Card number")).toBeVisible();
  const open = await (await request.get(`${emulator}/v1/checkout/sessions/${session.id}`, { headers: auth })).json();
  expect(open.status).toBe("open");
  expect(open.subscription).toBeNull();
});

test("a 3-D Secure card asks for authentication and fails when it is refused", async ({ page, request, baseURL }) => {
  const session = await openSession(request, `${baseURL}/?checkout={CHECKOUT_SESSION_ID}`);
  await page.goto(session.url);
  await fillCard(page, "4000 0025 0000 3155");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.getByRole("button", { name: "Fail authentication" }).click();
  await expect(page.getByRole("alert")).toContainText("unable to authenticate");

  await fillCard(page, "4000 0025 0000 3155");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.getByRole("button", { name: "Complete authentication" }).click();
  await expect(page).toHaveURL(`${baseURL}/?checkout=${session.id}`);
});
