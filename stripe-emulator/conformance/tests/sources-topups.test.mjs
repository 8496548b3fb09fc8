// The older card sources and top-ups through the official SDK: cards added to a customer from
// Stripe's test tokens and from stripe.tokens.create (used once), the customer's default_source,
// updates and deletes with their customer.source.* events, a card paying a PaymentIntent as a
// PaymentMethod of the same id; a top-up pending with a `topup` balance transaction, then
// succeeded and available two days later. Each test runs its own emulator.

import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith } from './harness.mjs';

let h;
let stripe;
beforeEach(async () => {
  h = await startEmulator();
  stripe = h.stripe;
});
afterEach(async () => {
  h?.assertWebhooksValid();
  await h?.stop();
});

test('a card source from tok_visa is the default, updated, listed and deleted with its events', async () => {
  const customer = await stripe.customers.create({ email: 'legacy@example.com' });
  const card = await stripe.customers.createSource(customer.id, { source: 'tok_visa' });
  assert.equal(card.object, 'card');
  assert.match(card.id, /^card_/);
  assert.deepEqual([card.brand, card.last4, card.customer], ['Visa', '4242', customer.id]);
  assert.equal((await stripe.customers.retrieve(customer.id)).default_source, card.id);
  await h.waitForEvent('customer.source.created', (event) => event.data.object.id === card.id);

  const updated = await stripe.customers.updateSource(customer.id, card.id, { metadata: { foo: 'bar' }, exp_month: '3' });
  assert.deepEqual([updated.metadata.foo, updated.exp_month], ['bar', 3]);
  const event = await h.waitForEvent('customer.source.updated');
  assert.deepEqual(event.data.previous_attributes.metadata, {});

  const listed = await stripe.customers.listSources(customer.id, { object: 'card' });
  assert.deepEqual(listed.data.map((source) => source.id), [card.id]);
  const deleted = await stripe.customers.deleteSource(customer.id, card.id);
  assert.deepEqual([deleted.id, deleted.object, deleted.deleted], [card.id, 'card', true]);
  await h.waitForEvent('customer.source.deleted');
  assert.equal((await stripe.customers.retrieve(customer.id)).default_source, null);
  await rejectsWith(stripe.customers.retrieveSource(customer.id, card.id), 'StripeInvalidRequestError', {
    code: 'resource_missing',
  });
});

test('a created token is used once, and its card pays a PaymentIntent as a PaymentMethod', async () => {
  const customer = await stripe.customers.create({ email: 'token@example.com' });
  const token = await stripe.tokens.create({ card: { number: '4000000000000077', exp_month: '8', exp_year: '2031' } });
  assert.deepEqual([token.type, token.used, token.card.last4], ['card', false, '0077']);
  const card = await stripe.customers.createSource(customer.id, { source: token.id });
  assert.equal(card.id, token.card.id);
  await rejectsWith(stripe.customers.createSource(customer.id, { source: token.id }), 'StripeInvalidRequestError', {
    code: 'token_already_used',
    message: `You cannot use a Stripe token more than once: ${token.id}.`,
  });
  await rejectsWith(stripe.customers.createSource(customer.id, { source: 'tok_chargeDeclined' }), 'StripeCardError', {
    decline_code: 'generic_decline',
  });

  const methods = await stripe.customers.listPaymentMethods(customer.id, { type: 'card' });
  assert.deepEqual(methods.data.map((method) => method.id), [card.id]);
  const intent = await stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    allowed_payment_method_types: ['card'],
    customer: customer.id,
    payment_method: card.id,
    confirm: true,
  });
  assert.equal(intent.status, 'succeeded');
  const charge = await stripe.charges.retrieve(intent.latest_charge, { expand: ['balance_transaction'] });
  assert.equal(charge.payment_method, card.id);
  // The 0077 card's money is available at once.
  assert.equal(charge.balance_transaction.status, 'available');
});

test('a top-up is pending with a topup balance transaction, then succeeded and available', async () => {
  const topup = await stripe.topups.create({ amount: 2000, currency: 'usd', description: 'Fund payouts' });
  assert.deepEqual([topup.object, topup.status], ['topup', 'pending']);
  await h.waitForEvent('topup.created', (event) => event.data.object.id === topup.id);
  const transaction = await stripe.balanceTransactions.retrieve(topup.balance_transaction, { expand: ['source'] });
  assert.deepEqual([transaction.type, transaction.amount, transaction.status], ['topup', 2000, 'pending']);
  assert.equal(transaction.source.id, topup.id);
  await h.advance({ days: 2 });
  assert.equal((await stripe.topups.retrieve(topup.id)).status, 'succeeded');
  await h.waitForEvent('topup.succeeded');
  const balance = await stripe.balance.retrieve();
  assert.equal(balance.available.find((funds) => funds.currency === 'usd').amount, 2000);
  const listed = await stripe.topups.list({ status: 'succeeded' });
  assert.deepEqual(listed.data.map((each) => each.id), [topup.id]);
  await rejectsWith(stripe.topups.cancel(topup.id), 'StripeInvalidRequestError');
});
