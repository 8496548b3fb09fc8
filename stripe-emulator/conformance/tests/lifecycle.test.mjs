// Subscriptions over time, driven by POST /_emulator/clock/advance. Each test runs its own emulator
// so that moving the clock does not touch the others.

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, DAY } from './harness.mjs';

let running = [];
async function emulator() {
  const h = await startEmulator();
  running.push(h);
  return h;
}
afterEach(async () => {
  for (const h of running) {
    await h.stop();
  }
  running = [];
});

/** Checks signatures of everything delivered so far, after waiting for the rest to arrive. */
async function webhooksValid(h) {
  await h.settle();
  h.assertWebhooksValid();
}

test('a trial ends with a paid invoice and the subscription becomes active', async () => {
  const h = await emulator();
  const { stripe } = h;
  const price = await h.monthlyPrice({ amount: 2000 });
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 14 });
  assert.equal(subscription.status, 'trialing');

  await h.advance({ days: 12 });
  await h.waitForEvent('customer.subscription.trial_will_end', (event) => event.data.object.id === subscription.id);
  assert.equal((await stripe.subscriptions.retrieve(subscription.id)).status, 'trialing');

  await h.advance({ days: 3 });
  const active = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
  assert.equal(active.status, 'active');
  assert.equal(active.latest_invoice.status, 'paid');
  assert.equal(active.latest_invoice.amount_paid, 2000);
  assert.equal(active.latest_invoice.billing_reason, 'subscription_cycle');
  assert.equal(active.items.data[0].current_period_start, subscription.trial_end);
  assert.ok(active.items.data[0].current_period_end > active.items.data[0].current_period_start);

  const updated = await h.waitForEvent(
    'customer.subscription.updated',
    (event) => event.data.object.id === subscription.id && event.data.object.status === 'active',
  );
  assert.equal(updated.data.previous_attributes.status, 'trialing');
  await h.waitForEvent('invoice.paid', (event) => event.data.object.id === active.latest_invoice.id);
  await webhooksValid(h);
});

test('each period end renews with a new paid invoice', async () => {
  const h = await emulator();
  const { stripe } = h;
  const price = await h.monthlyPrice({ amount: 2000 });
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const firstEnd = subscription.items.data[0].current_period_end;

  await h.advance({ days: 25 });
  const upcoming = await h.waitForEvent(
    'invoice.upcoming',
    (event) => event.data.object.parent?.subscription_details?.subscription === subscription.id,
  );
  assert.equal(upcoming.data.object.object, 'invoice');
  assert.equal(upcoming.data.object.total, 2000);
  assert.equal((await stripe.invoices.list({ subscription: subscription.id })).data.length, 1, 'an upcoming invoice is not stored');

  await h.advance({ days: 7 });
  const renewed = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(renewed.status, 'active');
  assert.equal(renewed.items.data[0].current_period_start, firstEnd);
  assert.notEqual(renewed.latest_invoice, subscription.latest_invoice);
  const invoices = await stripe.invoices.list({ subscription: subscription.id });
  assert.deepEqual(invoices.data.map((invoice) => invoice.billing_reason), ['subscription_cycle', 'subscription_create']);
  assert.ok(invoices.data.every((invoice) => invoice.status === 'paid'));
  const renewal = invoices.data[0];
  assert.equal(renewal.period_end, firstEnd);
  assert.equal(renewal.lines.data[0].period.start, firstEnd);
  await h.waitForEvent('invoice.created', (event) => event.data.object.id === renewal.id);
  await h.waitForEvent('invoice.paid', (event) => event.data.object.id === renewal.id);
  await h.waitForEvent('invoice.payment_succeeded', (event) => event.data.object.id === renewal.id);
  await webhooksValid(h);
});

test('a renewal on card 4000000000000341 goes past_due, then canceled after the retries', async () => {
  const h = await emulator();
  const { stripe } = h;
  const price = await h.monthlyPrice({ amount: 2000 });
  const customer = await stripe.customers.create({ email: 'failing@example.com' });
  const card = await stripe.paymentMethods.create({
    type: 'card',
    card: { number: '4000000000000341', exp_month: 12, exp_year: 2034, cvc: '123' },
  });
  const attached = await stripe.paymentMethods.attach(card.id, { customer: customer.id });
  assert.equal(attached.customer, customer.id, '0341 attaches fine');
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 3 });

  await h.advance({ days: 4 });
  const pastDue = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
  assert.equal(pastDue.status, 'past_due');
  assert.equal(pastDue.latest_invoice.status, 'open');
  assert.equal(pastDue.latest_invoice.attempt_count, 1);
  assert.equal(typeof pastDue.latest_invoice.next_payment_attempt, 'number');
  await h.waitForEvent('invoice.payment_failed', (event) => event.data.object.id === pastDue.latest_invoice.id);
  await h.waitForEvent(
    'customer.subscription.updated',
    (event) => event.data.object.id === subscription.id && event.data.object.status === 'past_due',
  );

  await h.advance({ days: 20 });
  const canceled = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
  assert.equal(canceled.status, 'canceled');
  assert.equal(canceled.cancellation_details.reason, 'payment_failed');
  assert.equal(canceled.latest_invoice.attempt_count, 4, 'the first attempt and three retries');
  const deleted = await h.waitForEvent('customer.subscription.deleted', (event) => event.data.object.id === subscription.id);
  assert.equal(deleted.data.object.status, 'canceled');
  await h.settle();
  const failures = h.eventsOfType('invoice.payment_failed').filter((event) => event.data.object.id === pastDue.latest_invoice.id);
  assert.equal(failures.length, 4);
  await webhooksValid(h);
});

test('each invoice.payment_failed says when the next retry is, and null after the last one', async () => {
  const h = await emulator();
  const { stripe } = h;
  const price = await h.monthlyPrice({ amount: 2000 });
  const { customer } = await h.customerWithCard('pm_card_chargeCustomerFail');
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 3 });
  await h.advance({ days: 4 });
  await h.advance({ days: 20 });
  await h.settle();
  const failures = h
    .eventsOfType('invoice.payment_failed')
    .map((event) => event.data.object)
    .filter((invoice) => invoice.parent.subscription_details.subscription === subscription.id)
    .sort((a, b) => a.attempt_count - b.attempt_count);
  assert.deepEqual(failures.map((invoice) => invoice.attempt_count), [1, 2, 3, 4]);
  for (const invoice of failures.slice(0, 3)) {
    const failedAt = h.eventsOfType('invoice.payment_failed').find((event) => event.data.object === invoice)?.created;
    assert.equal(typeof invoice.next_payment_attempt, 'number', `attempt ${invoice.attempt_count} names the next one`);
    assert.ok(invoice.next_payment_attempt > failedAt, `attempt ${invoice.attempt_count}: the next attempt is in the future`);
  }
  assert.equal(failures[3].next_payment_attempt, null, 'no retry after the last attempt');
  const stored = await stripe.invoices.retrieve(failures[0].id);
  assert.equal(stored.next_payment_attempt, null);
  await webhooksValid(h);
});

test('a past_due subscription recovers when the customer gets a working card', async () => {
  const h = await emulator();
  const { stripe } = h;
  const price = await h.monthlyPrice({ amount: 2000 });
  const { customer } = await h.customerWithCard('pm_card_chargeCustomerFail');
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 1 });
  await h.advance({ days: 2 });
  assert.equal((await stripe.subscriptions.retrieve(subscription.id)).status, 'past_due');

  const card = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
  await stripe.paymentMethods.attach(card.id, { customer: customer.id });
  await stripe.subscriptions.update(subscription.id, { default_payment_method: card.id });
  const recovered = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
  assert.equal(recovered.status, 'active');
  assert.equal(recovered.latest_invoice.status, 'paid');
  await h.waitForEvent('invoice.paid', (event) => event.data.object.id === recovered.latest_invoice.id);
  await webhooksValid(h);
});

test('cancel_at_period_end cancels when the period ends and not before', async () => {
  const h = await emulator();
  const { stripe } = h;
  const price = await h.monthlyPrice({ amount: 2000 });
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const periodEnd = subscription.items.data[0].current_period_end;
  await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });

  await h.advance({ days: 20 });
  const stillActive = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(stillActive.status, 'active');
  assert.equal(stillActive.cancel_at_period_end, true);

  await h.advance({ days: 15 });
  const canceled = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(canceled.status, 'canceled');
  assert.equal(canceled.ended_at, periodEnd, 'ended exactly at the period end');
  assert.equal(canceled.cancellation_details.reason, 'cancellation_requested');
  const invoices = await stripe.invoices.list({ subscription: subscription.id });
  assert.equal(invoices.data.length, 1, 'no renewal invoice after the cancellation');
  const deleted = await h.waitForEvent('customer.subscription.deleted', (event) => event.data.object.id === subscription.id);
  assert.equal(deleted.data.object.status, 'canceled');
  await webhooksValid(h);
});

test('a cancellation that falls due inside a clock advance is dated when it fell due', async () => {
  const h = await emulator();
  const { stripe } = h;
  const price = await h.monthlyPrice({ amount: 2000 });
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const periodEnd = subscription.items.data[0].current_period_end;
  const canceling = await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
  assert.equal(canceling.cancel_at, periodEnd);
  // Half a day first, so that the advance's day-sized steps do not land on the period end.
  await h.advance({ seconds: 12 * 3600 });
  await h.advance({ days: 35 });
  const canceled = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(canceled.status, 'canceled');
  assert.equal(canceled.ended_at, periodEnd, 'ended_at is the period end (cancel_at), not the time the step ran');
  const deleted = await h.waitForEvent('customer.subscription.deleted', (event) => event.data.object.id === subscription.id);
  assert.equal(deleted.data.object.ended_at, periodEnd);
});

test('an incomplete subscription expires after 23 hours', async () => {
  const h = await emulator();
  const { stripe } = h;
  const price = await h.monthlyPrice({ amount: 2000 });
  const { customer } = await h.customerWithCard('pm_card_chargeCustomerFail');
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  assert.equal(subscription.status, 'incomplete');
  await h.advance({ seconds: 24 * 3600 });
  const expired = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(expired.status, 'incomplete_expired');
  await h.waitForEvent(
    'customer.subscription.updated',
    (event) => event.data.object.id === subscription.id && event.data.object.status === 'incomplete_expired',
  );
  await webhooksValid(h);
});

test('the emulator clock moves forward only', async () => {
  const h = await emulator();
  const before = await h.now();
  const after = await h.advance({ days: 1 });
  assert.ok(after - before >= DAY);
  const response = await h.raw('POST', '/_emulator/clock/advance', { form: { seconds: '-5' }, key: null });
  assert.equal(response.status, 400);
});
