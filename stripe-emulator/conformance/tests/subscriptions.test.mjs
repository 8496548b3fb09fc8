import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith, DAY } from './harness.mjs';

let h;
let stripe;
let hobby;
let pro;
before(async () => {
  h = await startEmulator();
  stripe = h.stripe;
  hobby = await h.monthlyPrice({ name: 'Hobby', amount: 1000 });
  pro = await h.monthlyPrice({ name: 'Pro', amount: 3000 });
});
after(async () => {
  await h?.stop();
});

test('a subscription is created for a customer with a card and is active with a paid first invoice', async () => {
  const { customer, paymentMethod } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: hobby.id, quantity: 1 }],
    default_payment_method: paymentMethod.id,
    metadata: { user_id: '7' },
  });
  assert.match(subscription.id, /^sub_/);
  assert.equal(subscription.object, 'subscription');
  assert.equal(subscription.status, 'active');
  assert.equal(subscription.customer, customer.id);
  assert.equal(subscription.default_payment_method, paymentMethod.id);
  assert.deepEqual(subscription.metadata, { user_id: '7' });
  assert.equal(subscription.cancel_at_period_end, false);
  assert.equal(subscription.currency, 'usd');
  assert.equal(subscription.items.object, 'list');
  assert.equal(subscription.items.data.length, 1);
  const [item] = subscription.items.data;
  assert.match(item.id, /^si_/);
  assert.equal(item.object, 'subscription_item');
  assert.equal(item.subscription, subscription.id);
  assert.equal(item.price.id, hobby.id);
  assert.equal(item.quantity, 1);
  assert.equal(item.current_period_start, subscription.start_date);
  assert.ok(item.current_period_end - item.current_period_start >= 28 * DAY, 'a monthly period');
  assert.ok(!('current_period_end' in subscription), 'since basil the period lives on items only');
  assert.match(subscription.latest_invoice, /^in_/);
  const invoice = await stripe.invoices.retrieve(subscription.latest_invoice);
  assert.equal(invoice.status, 'paid');
  assert.equal(invoice.amount_paid, 1000);
  assert.equal(invoice.billing_reason, 'subscription_create');
  assert.equal(invoice.parent.subscription_details.subscription, subscription.id);
  assert.deepEqual(await stripe.subscriptions.retrieve(subscription.id), subscription);
});

test('a subscription with trial_period_days is trialing and its first invoice is zero', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: pro.id }],
    trial_period_days: 14,
    expand: ['latest_invoice'],
  });
  assert.equal(subscription.status, 'trialing');
  assert.equal(subscription.trial_end - subscription.trial_start, 14 * DAY);
  assert.equal(subscription.items.data[0].current_period_end, subscription.trial_end);
  assert.equal(subscription.latest_invoice.amount_due, 0);
  assert.equal(subscription.latest_invoice.status, 'paid');
});

test('a subscription for a customer without a card is refused unless payment is deferred', async () => {
  const customer = await stripe.customers.create({ email: 'nocard@example.com' });
  await rejectsWith(
    stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] }),
    'StripeInvalidRequestError',
    { statusCode: 400 },
  );
});

test('payment_behavior default_incomplete leaves the subscription incomplete with an open first invoice', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: hobby.id }],
    payment_behavior: 'default_incomplete',
    expand: ['latest_invoice'],
  });
  assert.equal(subscription.status, 'incomplete');
  assert.equal(subscription.latest_invoice.status, 'open');
  assert.equal(subscription.latest_invoice.attempt_count, 0, 'payment is left for the client to confirm');
});

test('payment_behavior error_if_incomplete with a failing card is a 402 and creates nothing', async () => {
  const { customer } = await h.customerWithCard('pm_card_chargeCustomerFail');
  await rejectsWith(
    stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: hobby.id }],
      payment_behavior: 'error_if_incomplete',
    }),
    'StripeCardError',
    { statusCode: 402 },
  );
  const list = await stripe.subscriptions.list({ customer: customer.id, status: 'all' });
  assert.deepEqual(list.data, []);
});

test('payment_behavior allow_incomplete with a failing card leaves the subscription incomplete', async () => {
  const { customer } = await h.customerWithCard('pm_card_chargeCustomerFail');
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: hobby.id }],
    payment_behavior: 'allow_incomplete',
    expand: ['latest_invoice'],
  });
  assert.equal(subscription.status, 'incomplete');
  assert.equal(subscription.latest_invoice.status, 'open');
  await h.waitForEvent('invoice.payment_failed', (event) => event.data.object.id === subscription.latest_invoice.id);
});

test('subscriptions are listed by customer, status and price', async () => {
  const { customer } = await h.customerWithCard();
  const first = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] });
  const second = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }], trial_period_days: 3 });
  const third = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
  await stripe.subscriptions.cancel(third.id);
  const ids = (list) => list.data.map((subscription) => subscription.id);

  const list = await stripe.subscriptions.list({ customer: customer.id });
  assert.equal(list.url, '/v1/subscriptions');
  assert.deepEqual(ids(list), [second.id, first.id], 'canceled subscriptions are left out by default');
  assert.deepEqual(ids(await stripe.subscriptions.list({ customer: customer.id, status: 'all' })), [third.id, second.id, first.id]);
  assert.deepEqual(ids(await stripe.subscriptions.list({ customer: customer.id, status: 'trialing' })), [second.id]);
  assert.deepEqual(ids(await stripe.subscriptions.list({ customer: customer.id, status: 'active' })), [first.id]);
  assert.deepEqual(ids(await stripe.subscriptions.list({ customer: customer.id, status: 'canceled' })), [third.id]);
  assert.deepEqual(ids(await stripe.subscriptions.list({ customer: customer.id, price: pro.id })), [second.id]);
});

test('a subscription is retrieved with nested expansions', async () => {
  const { customer } = await h.customerWithCard();
  const created = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
  const subscription = await stripe.subscriptions.retrieve(created.id, {
    expand: ['latest_invoice', 'customer', 'items.data.price.product', 'default_payment_method'],
  });
  assert.equal(subscription.latest_invoice.object, 'invoice');
  assert.equal(subscription.latest_invoice.id, created.latest_invoice);
  assert.equal(subscription.customer.object, 'customer');
  assert.equal(subscription.customer.id, customer.id);
  assert.equal(subscription.items.data[0].price.product.object, 'product');
  assert.equal(subscription.items.data[0].price.product.name, 'Pro');
  assert.equal(subscription.default_payment_method, null);
});

test('subscription items are listed for a subscription', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: hobby.id }, { price: pro.id, quantity: 2 }],
  });
  const items = await stripe.subscriptionItems.list({ subscription: subscription.id });
  assert.equal(items.object, 'list');
  assert.deepEqual(
    items.data.map((item) => [item.price.id, item.quantity]).sort(),
    [[hobby.id, 1], [pro.id, 2]].sort(),
  );
});

test('swapping the price keeps the item, creates prorations and sends customer.subscription.updated', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] });
  const [item] = subscription.items.data;
  const updated = await stripe.subscriptions.update(subscription.id, {
    items: [{ id: item.id, price: pro.id }],
    proration_behavior: 'create_prorations',
  });
  assert.equal(updated.items.data.length, 1);
  assert.equal(updated.items.data[0].id, item.id);
  assert.equal(updated.items.data[0].price.id, pro.id);
  assert.equal(updated.status, 'active');
  const event = await h.waitForEvent(
    'customer.subscription.updated',
    (candidate) => candidate.data.object.id === subscription.id && candidate.data.object.items.data[0].price.id === pro.id,
  );
  assert.ok(event.data.previous_attributes.items, 'previous_attributes names the items');
  const preview = await stripe.invoices.createPreview({ subscription: subscription.id });
  const prorations = preview.lines.data.filter((line) => line.parent.subscription_item_details.proration);
  assert.equal(prorations.length, 2, 'a credit and a charge wait for the next invoice');
});

test('proration_behavior always_invoice bills the swap at once', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] });
  const [item] = subscription.items.data;
  await h.advance({ days: 10 });
  const updated = await stripe.subscriptions.update(subscription.id, {
    items: [{ id: item.id, price: pro.id }],
    proration_behavior: 'always_invoice',
    expand: ['latest_invoice'],
  });
  assert.notEqual(updated.latest_invoice.id, subscription.latest_invoice);
  assert.equal(updated.latest_invoice.billing_reason, 'subscription_update');
  assert.equal(updated.latest_invoice.status, 'paid');
  assert.ok(updated.latest_invoice.amount_paid > 0, 'upgrading charges the difference');
  assert.ok(updated.latest_invoice.lines.data.every((line) => line.parent.subscription_item_details.proration));
});

test('proration_behavior none changes the price without prorations', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] });
  const [item] = subscription.items.data;
  await stripe.subscriptions.update(subscription.id, { items: [{ id: item.id, price: pro.id }], proration_behavior: 'none' });
  const preview = await stripe.invoices.createPreview({ subscription: subscription.id });
  assert.ok(preview.lines.data.every((line) => !line.parent.subscription_item_details.proration));
  assert.equal(preview.total, 3000);
});

test('an item is removed with deleted: true, also when swapping by delete-and-add', async () => {
  const { customer } = await h.customerWithCard();
  const two = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }, { price: pro.id }] });
  const removed = await stripe.subscriptions.update(two.id, {
    items: [{ id: two.items.data.find((item) => item.price.id === pro.id).id, deleted: true }],
    proration_behavior: 'none',
  });
  assert.deepEqual(removed.items.data.map((item) => item.price.id), [hobby.id]);

  const one = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] });
  const swapped = await stripe.subscriptions.update(one.id, {
    items: [{ id: one.items.data[0].id, deleted: true }, { price: pro.id }],
    proration_behavior: 'none',
  });
  assert.deepEqual(swapped.items.data.map((item) => item.price.id), [pro.id]);
  const preview = await stripe.invoices.createPreview({ subscription: one.id });
  assert.equal(preview.total, 3000);
});

test('the quantity of an item is updated', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id, quantity: 1 }] });
  const updated = await stripe.subscriptions.update(subscription.id, {
    items: [{ id: subscription.items.data[0].id, quantity: 5 }],
    proration_behavior: 'none',
  });
  assert.equal(updated.items.data[0].quantity, 5);
  assert.equal(updated.items.data[0].price.id, hobby.id);
});

test('cancel_at_period_end is set and unset, and metadata is merged', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }], metadata: { a: '1' } });
  const periodEnd = subscription.items.data[0].current_period_end;
  const canceling = await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true, metadata: { b: '2' } });
  assert.equal(canceling.cancel_at_period_end, true);
  assert.equal(canceling.cancel_at, periodEnd);
  assert.equal(canceling.status, 'active');
  assert.deepEqual(canceling.metadata, { a: '1', b: '2' });
  const event = await h.waitForEvent(
    'customer.subscription.updated',
    (candidate) => candidate.data.object.id === subscription.id && candidate.data.object.cancel_at_period_end === true,
  );
  assert.equal(event.data.previous_attributes.cancel_at_period_end, false);
  const kept = await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: false });
  assert.equal(kept.cancel_at_period_end, false);
  assert.equal(kept.cancel_at, null);
});

test('a subscription is canceled at once and sends customer.subscription.deleted', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] });
  const canceled = await stripe.subscriptions.cancel(subscription.id, { cancellation_details: { comment: 'too pricey' } });
  assert.equal(canceled.status, 'canceled');
  assert.equal(typeof canceled.canceled_at, 'number');
  assert.equal(typeof canceled.ended_at, 'number');
  assert.equal(canceled.cancellation_details.reason, 'cancellation_requested');
  const event = await h.waitForEvent('customer.subscription.deleted', (candidate) => candidate.data.object.id === subscription.id);
  assert.equal(event.data.object.status, 'canceled');
  await rejectsWith(stripe.subscriptions.cancel(subscription.id), 'StripeInvalidRequestError', { statusCode: 400 });
  await rejectsWith(stripe.subscriptions.update(subscription.id, { items: [{ id: subscription.items.data[0].id, price: pro.id }] }), 'StripeInvalidRequestError', {
    statusCode: 400,
  });
});

test('a trial without a card pauses at trial end and resumes with a paid invoice', async () => {
  const customer = await stripe.customers.create({ email: 'pause@example.com' });
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: hobby.id }],
    trial_period_days: 5,
    trial_settings: { end_behavior: { missing_payment_method: 'pause' } },
  });
  assert.equal(subscription.status, 'trialing');
  assert.equal(subscription.trial_settings.end_behavior.missing_payment_method, 'pause');
  await h.advance({ days: 6 });
  const paused = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(paused.status, 'paused');
  await h.waitForEvent('customer.subscription.paused', (event) => event.data.object.id === subscription.id);

  const paymentMethod = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: paymentMethod.id } });
  const resumed = await stripe.subscriptions.resume(subscription.id, { expand: ['latest_invoice'] });
  assert.equal(resumed.status, 'active');
  assert.equal(resumed.latest_invoice.status, 'paid');
  assert.equal(resumed.latest_invoice.amount_paid, 1000);
  await h.waitForEvent('customer.subscription.resumed', (event) => event.data.object.id === subscription.id);
  const now = await h.now();
  const active = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(active.status, 'active');
  assert.ok(Math.abs(active.items.data[0].current_period_start - now) < 120, 'the resumed period starts now');
});

test('trial_end now ends the trial at once and answers with the active subscription', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }], trial_period_days: 7 });
  const updated = await stripe.subscriptions.update(subscription.id, { trial_end: 'now', expand: ['latest_invoice'] });
  assert.equal(updated.status, 'active');
  assert.equal(updated.latest_invoice.billing_reason, 'subscription_cycle');
  assert.equal(updated.latest_invoice.amount_paid, 1000);
});

test('deleting a customer cancels their subscriptions', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] });
  await stripe.customers.del(customer.id);
  const canceled = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(canceled.status, 'canceled');
  await h.waitForEvent('customer.subscription.deleted', (event) => event.data.object.id === subscription.id);
});

test('resuming a subscription that is not paused is refused', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] });
  await rejectsWith(stripe.subscriptions.resume(subscription.id), 'StripeInvalidRequestError', { statusCode: 400 });
});

test('every webhook this file caused passed stripe.webhooks.constructEvent', async () => {
  await h.settle();
  h.assertWebhooksValid();
  const types = new Set(h.events.map((event) => event.type));
  for (const type of [
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'customer.subscription.paused',
    'customer.subscription.resumed',
    'invoice.created',
    'invoice.finalized',
    'invoice.paid',
    'invoice.payment_succeeded',
    'invoice.payment_failed',
  ]) {
    assert.ok(types.has(type), `${type} was delivered`);
  }
});
