// Seats, schedules and tax through the official SDK: a quantity change through
// `subscriptionItems.update`, a downgrade scheduled from an existing subscription and billed by the
// renewal, a released schedule, tax rates, customer tax IDs, automatic tax on a subscription and a
// Checkout Session, and the refusals in Stripe's words.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith } from './harness.mjs';

let h;
let stripe;
before(async () => {
  h = await startEmulator();
  stripe = h.stripe;
});
after(async () => {
  await h?.stop();
});

test('a seat count changes through subscriptionItems.update and the old quantity is in previous_attributes', async () => {
  const price = await h.monthlyPrice({ name: 'Seats', amount: 1000 });
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 2 }] });
  const item = await stripe.subscriptionItems.update(subscription.items.data[0].id, { quantity: 4 });
  assert.equal(item.quantity, 4);
  const event = await h.waitForEvent('customer.subscription.updated', (e) => e.data.object.items.data[0].quantity === 4);
  assert.equal(event.data.previous_attributes.items.data[0].quantity, 2);
  const invoices = await stripe.invoices.list({ subscription: subscription.id });
  assert.equal(invoices.data.length, 1, 'create_prorations waits for the next invoice');
});

test('a downgrade scheduled at the period end is billed by the renewal, and a released schedule changes nothing', async () => {
  const pro = await h.monthlyPrice({ name: 'Pro', amount: 3000 });
  const basic = await h.monthlyPrice({ name: 'Basic', amount: 1000 });
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id, quantity: 2 }] });
  const schedule = await stripe.subscriptionSchedules.create({ from_subscription: subscription.id });
  assert.equal(schedule.status, 'active');
  const [phase] = schedule.phases;
  const updated = await stripe.subscriptionSchedules.update(schedule.id, {
    end_behavior: 'release',
    phases: [
      { items: [{ price: pro.id, quantity: 2 }], start_date: phase.start_date, end_date: phase.end_date },
      { items: [{ price: basic.id, quantity: 2 }], duration: { interval: 'month' } },
    ],
  });
  assert.equal(updated.phases[1].items[0].price, basic.id);
  await rejectsWith(stripe.subscriptionSchedules.create({ from_subscription: subscription.id }), 'StripeInvalidRequestError', {
    message: `You cannot migrate a subscription that is already attached to a schedule: \`${schedule.id}\`.`,
  });
  await h.advance({ days: 31 });
  const renewed = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
  assert.equal(renewed.items.data[0].price.id, basic.id);
  assert.equal(renewed.latest_invoice.amount_due, 2000);

  const other = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
  const undone = await stripe.subscriptionSchedules.create({ from_subscription: other.id });
  const released = await stripe.subscriptionSchedules.release(undone.id);
  assert.equal(released.status, 'released');
  assert.equal(released.released_subscription, other.id);
  await rejectsWith(stripe.subscriptionSchedules.cancel(undone.id), 'StripeInvalidRequestError', {
    message: 'You cannot cancel a subscription schedule that is currently in the `released` status. It must be in either the `not_started` or `active` status to be canceled.',
  });
  assert.equal((await stripe.subscriptions.retrieve(other.id)).schedule, null);
  await h.waitForEvent('subscription_schedule.released');
});

test('tax rates, tax IDs and automatic tax on a subscription and a Checkout Session', async () => {
  const rate = await stripe.taxRates.create({ display_name: 'Sales tax', percentage: 10, inclusive: false });
  await h.waitForEvent('tax_rate.created');
  const price = await h.monthlyPrice({ name: 'Taxed', amount: 1000, tax_behavior: 'exclusive' });
  const { customer } = await h.customerWithCard('pm_card_visa', { address: { country: 'GB', postal_code: 'SW1A 1AA' } });
  const withRate = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], default_tax_rates: [rate.id], expand: ['latest_invoice'] });
  assert.equal(withRate.latest_invoice.total, 1100);
  const automatic = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], automatic_tax: { enabled: true }, expand: ['latest_invoice'] });
  assert.equal(automatic.latest_invoice.total, 1200, '20 % in the United Kingdom');
  assert.equal(automatic.latest_invoice.total_taxes[0].amount, 200);

  const taxId = await stripe.customers.createTaxId(customer.id, { type: 'gb_vat', value: 'GB123456789' });
  assert.equal(taxId.country, 'GB');
  await rejectsWith(stripe.customers.createTaxId(customer.id, { type: 'us_ein', value: '12' }), 'StripeInvalidRequestError', { code: 'tax_id_invalid' });
  const expanded = await stripe.customers.retrieve(customer.id, { expand: ['tax_ids'] });
  assert.equal(expanded.tax_ids.data[0].id, taxId.id);

  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    customer_update: { address: 'auto', name: 'auto' },
    line_items: [{ price: price.id, quantity: 2 }],
    automatic_tax: { enabled: true },
    tax_id_collection: { enabled: true },
    success_url: 'http://app.test/done',
  });
  assert.equal(session.automatic_tax.status, 'complete');
  assert.equal(session.total_details.amount_tax, 400);
  assert.equal(session.amount_total, 2400);
  const unspecified = await h.monthlyPrice({ name: 'Untaxed', amount: 1000 });
  await rejectsWith(
    stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: unspecified.id }], automatic_tax: { enabled: true }, success_url: 'http://app.test/done' }),
    'StripeInvalidRequestError',
    { param: 'line_items[0][price]' },
  );
});
