import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith } from './harness.mjs';

let h;
let stripe;
let monthly;
let oneTime;
before(async () => {
  h = await startEmulator();
  stripe = h.stripe;
  monthly = await h.monthlyPrice({ name: 'Checkout Pro', amount: 1500 });
  const product = await stripe.products.create({ name: 'Lifetime deal' });
  oneTime = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 9900 });
});
after(async () => {
  await h?.stop();
});

test('a subscription-mode session is created with every option the app uses', async () => {
  const customer = await stripe.customers.create({ email: 'buyer@example.com' });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    client_reference_id: 'user_123',
    line_items: [{ price: monthly.id, quantity: 1 }],
    success_url: 'https://app.example.com/billing/success?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://app.example.com/billing',
    subscription_data: { trial_period_days: 14 },
    allow_promotion_codes: true,
    metadata: { user_id: '123' },
  });
  assert.match(session.id, /^cs_/);
  assert.equal(session.object, 'checkout.session');
  assert.equal(session.mode, 'subscription');
  assert.equal(session.status, 'open');
  assert.equal(session.payment_status, 'unpaid');
  assert.equal(session.customer, customer.id);
  assert.equal(session.client_reference_id, 'user_123');
  assert.equal(session.success_url, 'https://app.example.com/billing/success?session_id={CHECKOUT_SESSION_ID}');
  assert.equal(session.cancel_url, 'https://app.example.com/billing');
  assert.equal(session.allow_promotion_codes, true);
  assert.deepEqual(session.metadata, { user_id: '123' });
  assert.equal(session.subscription, null);
  assert.equal(session.currency, 'usd');
  assert.equal(session.amount_subtotal, 1500);
  assert.equal(session.livemode, false);
  assert.ok(session.url.startsWith(`${h.base}/`), session.url);
  assert.ok(session.expires_at > session.created, 'expires_at is after created');
  assert.equal(session.line_items, undefined, 'line_items are only there when expanded');
});

test('paying on the hosted page completes the session, redirects to success_url and sends checkout.session.completed', async () => {
  const customer = await stripe.customers.create({ email: 'payer@example.com' });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    client_reference_id: 'user_pay',
    line_items: [{ price: monthly.id, quantity: 2 }],
    success_url: 'https://app.example.com/done?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://app.example.com/cancel',
    metadata: { user_id: 'pay' },
  });
  const page = await h.payCheckout(session.id, { email: 'payer@example.com' });
  assert.equal(page.status, 303);
  assert.equal(page.headers.get('location'), `https://app.example.com/done?session_id=${session.id}`);

  const completed = await h.waitForEvent('checkout.session.completed', (event) => event.data.object.id === session.id);
  const object = completed.data.object;
  assert.equal(object.status, 'complete');
  assert.equal(object.payment_status, 'paid');
  assert.equal(object.client_reference_id, 'user_pay');
  assert.equal(object.customer, customer.id);
  assert.match(object.subscription, /^sub_/);
  assert.deepEqual(object.metadata, { user_id: 'pay' });

  const fetched = await stripe.checkout.sessions.retrieve(session.id, { expand: ['line_items', 'subscription'] });
  assert.equal(fetched.status, 'complete');
  assert.equal(fetched.url, null);
  assert.equal(fetched.subscription.object, 'subscription');
  assert.equal(fetched.subscription.id, object.subscription);
  assert.equal(fetched.subscription.status, 'active');
  assert.equal(fetched.subscription.items.data[0].quantity, 2);
  assert.equal(fetched.line_items.object, 'list');
  assert.equal(fetched.line_items.data.length, 1);
  assert.equal(fetched.line_items.data[0].object, 'item');
  assert.equal(fetched.line_items.data[0].price.id, monthly.id);
  assert.equal(fetched.line_items.data[0].quantity, 2);
  assert.equal(fetched.line_items.data[0].amount_total, 3000);

  const bySubscription = await stripe.checkout.sessions.list({ subscription: object.subscription });
  assert.deepEqual(bySubscription.data.map((item) => item.id), [session.id]);

  const subscriptionCreated = await h.waitForEvent(
    'customer.subscription.created',
    (event) => event.data.object.id === object.subscription,
  );
  assert.equal(subscriptionCreated.data.object.customer, customer.id);
  await h.waitForEvent('invoice.paid', (event) => event.data.object.parent?.subscription_details?.subscription === object.subscription);
});

test('a trial checkout needs no payment and starts a trialing subscription', async () => {
  const customer = await stripe.customers.create({ email: 'trial@example.com' });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: monthly.id, quantity: 1 }],
    success_url: 'https://app.example.com/done',
    subscription_data: { trial_period_days: 7 },
  });
  assert.equal(session.amount_total, 0, 'nothing is due today');
  const page = await h.payCheckout(session.id);
  assert.equal(page.status, 303);
  const fetched = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
  assert.equal(fetched.payment_status, 'no_payment_required');
  assert.equal(fetched.subscription.status, 'trialing');
  const trialEnd = fetched.subscription.trial_end - fetched.subscription.trial_start;
  assert.equal(trialEnd, 7 * 86_400);
});

test('a card-less trial checkout (payment_method_collection if_required) cancels at trial end without a card', async () => {
  const customer = await stripe.customers.create({ email: 'cardless@example.com' });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: monthly.id }],
    success_url: 'https://app.example.com/done',
    payment_method_collection: 'if_required',
    subscription_data: { trial_period_days: 3, trial_settings: { end_behavior: { missing_payment_method: 'cancel' } } },
  });
  assert.equal(session.payment_method_collection, 'if_required');
  const page = await h.payCheckout(session.id, { card: null });
  assert.equal(page.status, 303);
  const fetched = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
  assert.equal(fetched.status, 'complete');
  assert.equal(fetched.subscription.status, 'trialing');
  assert.equal(fetched.subscription.default_payment_method, null);
  assert.equal(fetched.subscription.trial_settings.end_behavior.missing_payment_method, 'cancel');
  assert.deepEqual((await stripe.customers.listPaymentMethods(customer.id)).data, []);
  await h.advance({ days: 4 });
  const ended = await stripe.subscriptions.retrieve(fetched.subscription.id);
  assert.equal(ended.status, 'canceled');
  await h.waitForEvent('customer.subscription.deleted', (event) => event.data.object.id === ended.id);
});

test('a session with customer_email makes a customer with that email when paid', async () => {
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer_email: 'new-buyer@example.com',
    line_items: [{ price: monthly.id }],
    success_url: 'https://app.example.com/done',
  });
  assert.equal(session.customer, null);
  assert.equal(session.customer_email, 'new-buyer@example.com');
  await h.payCheckout(session.id, { email: 'new-buyer@example.com' });
  const fetched = await stripe.checkout.sessions.retrieve(session.id, { expand: ['customer'] });
  assert.equal(fetched.customer.email, 'new-buyer@example.com');
  assert.equal(fetched.customer_details.email, 'new-buyer@example.com');
  await h.waitForEvent('customer.created', (event) => event.data.object.id === fetched.customer.id);
});

test('a payment-mode session is paid once and records a payment intent', async () => {
  const customer = await stripe.customers.create({ email: 'once@example.com' });
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    customer: customer.id,
    line_items: [{ price: oneTime.id, quantity: 1 }],
    success_url: 'https://app.example.com/thanks?cs={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://app.example.com/cart',
    metadata: { order: 'A1' },
  });
  assert.equal(session.mode, 'payment');
  assert.equal(session.amount_total, 9900);
  assert.equal(session.payment_intent, null);
  const page = await h.payCheckout(session.id, { email: 'once@example.com' });
  assert.equal(page.status, 303);
  assert.equal(page.headers.get('location'), `https://app.example.com/thanks?cs=${session.id}`);
  const event = await h.waitForEvent('checkout.session.completed', (candidate) => candidate.data.object.id === session.id);
  assert.equal(event.data.object.payment_status, 'paid');
  assert.equal(event.data.object.subscription, null);
  assert.match(event.data.object.payment_intent, /^pi_/);
});

test('a payment-mode guest checkout creates no customer unless asked to (customer_creation if_required)', async () => {
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    customer_email: 'guest@example.com',
    line_items: [{ price: oneTime.id }],
    success_url: 'https://app.example.com/thanks',
  });
  assert.equal(session.customer_creation, 'if_required');
  await h.payCheckout(session.id, { email: 'guest@example.com' });
  const fetched = await stripe.checkout.sessions.retrieve(session.id);
  assert.equal(fetched.status, 'complete');
  assert.equal(fetched.customer, null, 'Stripe keeps a guest customer, not a Customer object');
  assert.equal(fetched.customer_details.email, 'guest@example.com');
});

test('a recurring price in payment mode is rejected', async () => {
  await rejectsWith(
    stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: monthly.id }],
      success_url: 'https://app.example.com/done',
    }),
    'StripeInvalidRequestError',
    { statusCode: 400 },
  );
});

test('sessions are listed, filtered by customer and status, and their line items listed', async () => {
  const customer = await stripe.customers.create({ email: 'lister@example.com' });
  const first = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: monthly.id }],
    success_url: 'https://app.example.com/done',
  });
  const second = await stripe.checkout.sessions.create({
    mode: 'payment',
    customer: customer.id,
    line_items: [{ price: oneTime.id, quantity: 3 }],
    success_url: 'https://app.example.com/done',
  });
  const list = await stripe.checkout.sessions.list({ customer: customer.id });
  assert.equal(list.url, '/v1/checkout/sessions');
  assert.deepEqual(list.data.map((session) => session.id), [second.id, first.id]);
  const open = await stripe.checkout.sessions.list({ customer: customer.id, status: 'open', limit: 1 });
  assert.deepEqual(open.data.map((session) => session.id), [second.id]);
  assert.equal(open.has_more, true);

  const items = await stripe.checkout.sessions.listLineItems(second.id);
  assert.equal(items.object, 'list');
  assert.equal(items.url, `/v1/checkout/sessions/${second.id}/line_items`);
  assert.equal(items.data.length, 1);
  const [item] = items.data;
  assert.match(item.id, /^li_/);
  assert.equal(item.object, 'item');
  assert.equal(item.quantity, 3);
  assert.equal(item.amount_subtotal, 29700);
  assert.equal(item.amount_total, 29700);
  assert.equal(item.currency, 'usd');
  assert.equal(item.description, 'Lifetime deal');
  assert.equal(item.price.id, oneTime.id);
  const expanded = await stripe.checkout.sessions.listLineItems(second.id, { expand: ['data.price.product'] });
  assert.equal(expanded.data[0].price.product.name, 'Lifetime deal');
});

test('a session is updated with metadata', async () => {
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: oneTime.id }],
    success_url: 'https://app.example.com/done',
    metadata: { a: '1' },
  });
  const updated = await stripe.checkout.sessions.update(session.id, { metadata: { b: '2' } });
  assert.deepEqual(updated.metadata, { a: '1', b: '2' });
});

test('an open session is expired, sends checkout.session.expired, and can no longer be expired or paid', async () => {
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    line_items: [{ price: monthly.id }],
    success_url: 'https://app.example.com/done',
    customer_email: 'leaver@example.com',
  });
  const expired = await stripe.checkout.sessions.expire(session.id);
  assert.equal(expired.status, 'expired');
  assert.equal(expired.url, null);
  const event = await h.waitForEvent('checkout.session.expired', (candidate) => candidate.data.object.id === session.id);
  assert.equal(event.data.object.status, 'expired');
  await rejectsWith(stripe.checkout.sessions.expire(session.id), 'StripeInvalidRequestError', { statusCode: 400 });
  const page = await h.payCheckout(session.id);
  assert.notEqual(page.status, 303, 'an expired session cannot be paid');
});

test('a session past its expires_at reads as expired', async () => {
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: oneTime.id }],
    success_url: 'https://app.example.com/done',
  });
  await h.advance({ seconds: 24 * 3600 + 60 });
  const fetched = await stripe.checkout.sessions.retrieve(session.id);
  assert.equal(fetched.status, 'expired');
});

test('the checkout.session.expired of a session found expired on read is delivered without a later write', async () => {
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: oneTime.id }],
    success_url: 'https://app.example.com/done',
  });
  await h.advance({ seconds: 24 * 3600 + 60 });
  const fetched = await stripe.checkout.sessions.retrieve(session.id);
  assert.equal(fetched.status, 'expired');
  await h.waitForEvent('checkout.session.expired', (candidate) => candidate.data.object.id === session.id, { timeout: 3000 });
});

test('a session left open past expires_at expires by itself and sends checkout.session.expired', async () => {
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: oneTime.id }],
    success_url: 'https://app.example.com/done',
  });
  await h.advance({ seconds: 24 * 3600 + 60 });
  // No request touches the session: Stripe expires it on its own schedule.
  const event = await h.waitForEvent('checkout.session.expired', (candidate) => candidate.data.object.id === session.id, {
    timeout: 2000,
  });
  assert.equal(event.data.object.status, 'expired');
});

test('a billing portal session is created for a customer with a return_url', async () => {
  const customer = await stripe.customers.create({ email: 'portal@example.com' });
  const session = await stripe.billingPortal.sessions.create({
    customer: customer.id,
    return_url: 'https://app.example.com/account',
  });
  assert.match(session.id, /^bps_/);
  assert.equal(session.object, 'billing_portal.session');
  assert.equal(session.customer, customer.id);
  assert.equal(session.return_url, 'https://app.example.com/account');
  assert.equal(session.livemode, false);
  assert.equal(typeof session.configuration, 'string');
  assert.equal(session.flow, null);
  assert.ok(session.url.startsWith(`${h.base}/`), session.url);
  const page = await fetch(session.url);
  assert.equal(page.status, 200);
  await page.text();
});

test('a billing portal session created with flow_data describes its flow', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
  const session = await stripe.billingPortal.sessions.create({
    customer: customer.id,
    return_url: 'https://app.example.com/account',
    flow_data: { type: 'subscription_cancel', subscription_cancel: { subscription: subscription.id } },
  });
  assert.equal(session.flow?.type, 'subscription_cancel');
  assert.equal(session.flow.subscription_cancel.subscription, subscription.id);
  assert.equal(typeof session.flow.after_completion, 'object');
});

test('a billing portal session for an unknown customer is a missing resource', async () => {
  await rejectsWith(
    stripe.billingPortal.sessions.create({ customer: 'cus_doesnotexist', return_url: 'https://app.example.com' }),
    'StripeInvalidRequestError',
    { statusCode: 404, code: 'resource_missing' },
  );
});

test('every webhook this file caused passed stripe.webhooks.constructEvent', async () => {
  await h.settle();
  h.assertWebhooksValid();
  const types = new Set(h.events.map((event) => event.type));
  for (const type of ['checkout.session.completed', 'checkout.session.expired', 'customer.subscription.created', 'invoice.paid']) {
    assert.ok(types.has(type), `${type} was delivered`);
  }
});
