// Usage-based billing through the official SDK: meters (the duplicate event name refused), meter
// events (a repeated identifier refused) and their summaries, a metered price on a subscription
// invoiced at period end for the usage reported, billing credits taken off it first, and the thin
// event for a meter event no meter can use.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith, DAY } from './harness.mjs';

let h;
let stripe;
before(async () => {
  h = await startEmulator();
  stripe = h.stripe;
});
after(async () => {
  await h?.stop();
});

test('meters are created, renamed, deactivated and reactivated with their events', async () => {
  const meter = await stripe.billing.meters.create({
    display_name: 'Searches',
    event_name: 'search',
    default_aggregation: { formula: 'count' },
    customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
  });
  assert.equal(meter.object, 'billing.meter');
  assert.equal(meter.status, 'active');
  await rejectsWith(
    stripe.billing.meters.create({ display_name: 'Again', event_name: 'search', default_aggregation: { formula: 'sum' } }),
    'StripeInvalidRequestError',
    { param: 'event_name' },
  );
  assert.equal((await stripe.billing.meters.update(meter.id, { display_name: 'Site searches' })).display_name, 'Site searches');
  assert.equal((await stripe.billing.meters.deactivate(meter.id)).status, 'inactive');
  assert.equal((await stripe.billing.meters.list({ status: 'inactive' })).data[0].id, meter.id);
  assert.equal((await stripe.billing.meters.reactivate(meter.id)).status, 'active');
  for (const type of ['billing.meter.created', 'billing.meter.updated', 'billing.meter.deactivated', 'billing.meter.reactivated']) {
    await h.waitForEvent(type);
  }
});

test('a metered subscription is invoiced for its usage less its credits at period end', async () => {
  const meter = await stripe.billing.meters.create({ display_name: 'Tokens', event_name: 'tokens', default_aggregation: { formula: 'sum' } });
  const product = await stripe.products.create({ name: 'Tokens' });
  const price = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 2,
    recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
  });
  assert.equal(price.recurring.meter, meter.id);
  const { customer } = await h.customerWithCard();
  await rejectsWith(stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 3 }] }), 'StripeInvalidRequestError', {
    message: 'You cannot set the quantity for metered plans.',
  });
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const credit = await stripe.billing.creditGrants.create({
    customer: customer.id,
    amount: { type: 'monetary', monetary: { value: 100, currency: 'usd' } },
    applicability_config: { scope: { price_type: 'metered' } },
    category: 'promotional',
    name: 'Welcome credit',
  });
  await h.waitForEvent('billing.credit_grant.created');
  const now = await h.now();
  await stripe.billing.meterEvents.create({ event_name: 'tokens', payload: { stripe_customer_id: customer.id, value: '400' }, identifier: 'tok-1', timestamp: now });
  await rejectsWith(
    stripe.billing.meterEvents.create({ event_name: 'tokens', payload: { stripe_customer_id: customer.id, value: '400' }, identifier: 'tok-1' }),
    'StripeInvalidRequestError',
    { param: 'identifier' },
  );
  await rejectsWith(
    stripe.billing.meterEvents.create({ event_name: 'tokens', payload: { stripe_customer_id: customer.id, value: '1' }, timestamp: now - 40 * DAY }),
    'StripeInvalidRequestError',
    { param: 'timestamp' },
  );
  const start = now - (now % 60);
  const summaries = await stripe.billing.meters.listEventSummaries(meter.id, { customer: customer.id, start_time: start, end_time: start + 60 });
  assert.equal(summaries.data[0].aggregated_value, 400);
  const summary = await stripe.billing.creditBalanceSummaries.retrieve({
    customer: customer.id,
    filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } },
  });
  assert.equal(summary.balances[0].available_balance.monetary.value, 100);
  await h.advance({ days: 32 });
  const invoices = await stripe.invoices.list({ subscription: subscription.id });
  const renewal = invoices.data.find((invoice) => invoice.billing_reason === 'subscription_cycle');
  assert.equal(renewal.lines.data[0].quantity, 400);
  assert.equal(renewal.subtotal, 800);
  assert.equal(renewal.total_pretax_credit_amounts[0].amount, 100);
  assert.equal(renewal.amount_paid, 700);
  const transactions = await stripe.billing.creditBalanceTransactions.list({ customer: customer.id, credit_grant: credit.id });
  assert.equal(transactions.data[0].debit.type, 'credits_applied');
  await h.waitForEvent('billing.credit_balance_transaction.created');
});

test('a meter event no meter counts becomes a thin event', async () => {
  await stripe.billing.meterEvents.create({ event_name: 'nobody_meters_this', payload: { value: '1' } });
  const events = await stripe.v2.core.events.list({ types: ['v1.billing.meter.no_meter_found'] });
  assert.equal(events.data[0].type, 'v1.billing.meter.no_meter_found');
  assert.equal(events.data[0].data.reason.error_types[0].code, 'no_meter');
  const event = await stripe.v2.core.events.retrieve(events.data[0].id);
  assert.equal(event.id, events.data[0].id);
});
