// Prepares what `cargo xtask bench` loads, through the app and the emulator as a user would:
// - "reader": signs up and subscribes to Pro on the emulator's Checkout page (its session cookie
//   reaches /account and /dashboard);
// - "ingest": signs up and subscribes to Hobby, then gets SUBSCRIPTIONS more subscriptions in the
//   emulator (whose webhooks the app stores), and EVENTS signed `customer.subscription.updated`
//   events about them — DUPLICATES of them repeating an earlier event id — are written to
//   OUT_DIR/webhooks.tsv (`<Stripe-Signature>\t<body>` lines, for xtask/bench/webhooks.lua), and as
//   many of a type the app records but does not act on (no Stripe call) to OUT_DIR/recorded.tsv.
//   The signatures are good for five minutes: load them at once.
//
// Prints one JSON line: { cookie, ingest_customer }.
//
//   BASE_URL=… EMULATOR_URL=… WEBHOOK_SECRET=whsec_… OUT_DIR=… node end2end/measure/bench-setup.mjs
import { createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const base = process.env.BASE_URL;
const emulator = process.env.EMULATOR_URL;
const secret = process.env.WEBHOOK_SECRET;
const outDir = process.env.OUT_DIR;
const subscriptions = Number(process.env.SUBSCRIPTIONS ?? 500);
const events = Number(process.env.EVENTS ?? 100000);
const duplicates = Number(process.env.DUPLICATES ?? 0.2);
const stripeKey = "sk_test_bench";

function check(response, expected, what) {
  if (!expected.includes(response.status)) {
    throw new Error(`${what}: HTTP ${response.status}`);
  }
  return response;
}

/** A browser-like session: keeps cookies, sends our Origin on posts, never follows redirects. */
function session() {
  const cookies = new Map();
  const remember = (response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair.indexOf("=");
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  };
  const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  return {
    header,
    async get(url) {
      const response = await fetch(url, { redirect: "manual", headers: { cookie: header() } });
      remember(response);
      return response;
    },
    async post(url, form) {
      const response = await fetch(url, {
        method: "POST",
        redirect: "manual",
        // As a browser posts a form: it wants the next page (a redirect), not JSON.
        headers: {
          cookie: header(),
          origin: base,
          accept: "text/html,application/xhtml+xml",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams(form),
      });
      remember(response);
      return response;
    },
  };
}

async function stripe(method, path, form) {
  const response = await fetch(`${emulator}${path}`, {
    method,
    headers: { authorization: `Bearer ${stripeKey}`, "content-type": "application/x-www-form-urlencoded" },
    body: form ? new URLSearchParams(form) : undefined,
  });
  check(response, [200], `${method} ${path}`);
  return response.json();
}

async function priceId(lookupKey) {
  const prices = await stripe("GET", `/v1/prices?lookup_keys[]=${lookupKey}`);
  return prices.data[0].id;
}

/** Signs up `name` and pays `lookupKey` on the emulator's Checkout; the session and the Stripe customer. */
async function subscriber(name, lookupKey) {
  const browser = session();
  const email = `${name}-${Date.now()}@example.com`;
  check(await browser.post(`${base}/api/sign_up`, { email, password: "correct horse battery", display_name: "" }), [302, 303], "sign up");
  const started = check(await browser.post(`${base}/api/start_checkout`, { price: await priceId(lookupKey) }), [302, 303], "start checkout");
  const checkoutUrl = started.headers.get("location");
  const paid = await fetch(checkoutUrl, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    // Tollgate's Checkout Sessions collect the billing address.
    body: new URLSearchParams({
      email,
      name: "Bench",
      card_number: "4242424242424242",
      card_expiry: "12 / 34",
      card_cvc: "123",
      address_line1: "1 Main Street",
      address_city: "Springfield",
      address_postal_code: "12345",
      address_country: "US",
    }),
  });
  check(paid, [303], "pay on the Checkout page");
  check(await browser.get(paid.headers.get("location")), [200], "the success page");
  const sessionId = checkoutUrl.split("/").pop();
  const checkout = await stripe("GET", `/v1/checkout/sessions/${sessionId}`);
  const subscription = await stripe("GET", `/v1/subscriptions/${checkout.subscription}`);
  return { browser, customer: checkout.customer, email, card: subscription.default_payment_method };
}

async function settled() {
  for (let i = 0; i < 600; i++) {
    const clock = await (await fetch(`${emulator}/_emulator/clock`)).json();
    if (clock.pending_webhooks === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the emulator's webhooks did not settle within a minute");
}

const reader = await subscriber("reader", "tollgate_pro_monthly");
const ingest = await subscriber("ingest", "tollgate_hobby_monthly");
const hobby = await priceId("tollgate_hobby_monthly");
const ids = [];
for (let i = 0; i < subscriptions; i++) {
  // Charged to the card Checkout saved, as a subscription bought through Checkout is.
  const created = await stripe("POST", "/v1/subscriptions", {
    customer: ingest.customer,
    "items[0][price]": hobby,
    default_payment_method: ingest.card,
  });
  ids.push(created.id);
}
await settled();

const now = Math.floor(Date.now() / 1000);
const sign = (body) => `t=${now},v1=${createHmac("sha256", secret).update(`${now}.${body}`).digest("hex")}`;

/** EVENTS signed events of `type` (ids prefixed `prefix`), DUPLICATES of them repeating an earlier one. */
function eventFile(name, prefix, type) {
  const lines = [];
  const bodies = [];
  for (let i = 0; i < events; i++) {
    const repeat = i > 0 && Math.random() < duplicates;
    const body = repeat
      ? bodies[Math.floor(Math.random() * bodies.length)]
      : JSON.stringify({
          id: `${prefix}_${now}_${i}`,
          object: "event",
          api_version: "2026-10-28.endive",
          created: now,
          data: { object: { id: ids[i % ids.length], object: "subscription", customer: ingest.customer } },
          livemode: false,
          pending_webhooks: 1,
          request: { id: null, idempotency_key: null },
          type,
        });
    if (!repeat) bodies.push(body);
    lines.push(`${sign(body)}\t${body}`);
  }
  writeFileSync(join(outDir, name), lines.join("\n") + "\n");
}
// Applied: the subscription is re-fetched from the emulator and stored.
eventFile("webhooks.tsv", "evt_bench", "customer.subscription.updated");
// Recorded only (a type the app does not act on): the same pipeline without the Stripe call.
eventFile("recorded.tsv", "evt_rec", "charge.updated");

console.log(JSON.stringify({
  cookie: reader.browser.header(),
  ingest_customer: ingest.customer,
}));
