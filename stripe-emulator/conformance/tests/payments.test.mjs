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

test('a PaymentIntent confirmed with a test card succeeds and its charge is retrievable', async () => {
  const intent = await stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    allowed_payment_method_types: ['card'],
    payment_method: 'pm_card_visa',
    confirm: true,
  });
  assert.equal(intent.status, 'succeeded');
  assert.equal(intent.amount_received, 2000);
  const charge = await stripe.charges.retrieve(intent.latest_charge);
  assert.equal(charge.payment_intent, intent.id);
  assert.equal(charge.payment_method_details.card.last4, '4242');
  const event = await h.waitForEvent('payment_intent.succeeded', (candidate) => candidate.data.object.id === intent.id);
  assert.equal(event.data.object.latest_charge, charge.id);
  const expanded = await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge'] });
  assert.equal(expanded.latest_charge.id, charge.id);
});

test('a decline raises StripeCardError carrying the PaymentIntent left in requires_payment_method', async () => {
  const error = await rejectsWith(
    stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      allowed_payment_method_types: ['card'],
      payment_method: 'pm_card_chargeDeclined',
      confirm: true,
    }),
    'StripeCardError',
    { statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' },
  );
  assert.equal(error.raw.payment_intent.status, 'requires_payment_method');
  assert.equal(error.raw.payment_intent.last_payment_error.decline_code, 'generic_decline');
  await h.waitForEvent('charge.failed', (candidate) => candidate.data.object.payment_intent === error.raw.payment_intent.id);
});

test('a manually captured PaymentIntent is captured, and a captured one cannot be canceled', async () => {
  const authorized = await stripe.paymentIntents.create({
    amount: 5000,
    currency: 'eur',
    allowed_payment_method_types: ['card'],
    capture_method: 'manual',
    payment_method: 'pm_card_visa',
    confirm: true,
  });
  assert.equal(authorized.status, 'requires_capture');
  const captured = await stripe.paymentIntents.capture(authorized.id, { amount_to_capture: 4000 });
  assert.equal(captured.status, 'succeeded');
  assert.equal(captured.amount_received, 4000);
  await rejectsWith(stripe.paymentIntents.cancel(captured.id), 'StripeInvalidRequestError', {
    statusCode: 400,
    code: 'payment_intent_unexpected_state',
  });
});

test('a SetupIntent saves a card to the customer', async () => {
  const customer = await stripe.customers.create({ email: 'setup@example.com' });
  const intent = await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_visa', confirm: true });
  assert.equal(intent.status, 'succeeded');
  const methods = await stripe.customers.listPaymentMethods(customer.id);
  assert.deepEqual(
    methods.data.map((method) => method.id),
    [intent.payment_method],
  );
  await h.waitForEvent('setup_intent.succeeded', (candidate) => candidate.data.object.id === intent.id);
});
