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

test('a customer is created, retrieved and updated through the SDK', async () => {
  const customer = await stripe.customers.create({
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    phone: '+15555550100',
    description: 'First customer',
    address: { line1: '1 Analytical Way', city: 'London', country: 'GB', postal_code: 'N1' },
    preferred_locales: ['en'],
    metadata: { user_id: '42' },
  });
  assert.match(customer.id, /^cus_/);
  assert.equal(customer.object, 'customer');
  assert.equal(customer.email, 'ada@example.com');
  assert.equal(customer.name, 'Ada Lovelace');
  assert.equal(customer.phone, '+15555550100');
  assert.equal(customer.address.city, 'London');
  assert.equal(customer.address.country, 'GB');
  assert.deepEqual(customer.preferred_locales, ['en']);
  assert.deepEqual(customer.metadata, { user_id: '42' });
  assert.equal(customer.invoice_settings.default_payment_method, null);
  assert.equal(customer.test_clock, null);
  assert.equal(customer.balance, 0);
  assert.equal(customer.delinquent, false);

  assert.deepEqual(await stripe.customers.retrieve(customer.id), customer);

  const updated = await stripe.customers.update(customer.id, { name: 'Countess of Lovelace', metadata: { plan: 'pro' } });
  assert.equal(updated.name, 'Countess of Lovelace');
  assert.deepEqual(updated.metadata, { user_id: '42', plan: 'pro' }, 'metadata is merged');
  const event = await h.waitForEvent('customer.updated', (candidate) => candidate.data.object.id === customer.id);
  assert.equal(event.data.previous_attributes.name, 'Ada Lovelace');
});

test('an invalid email is rejected with a parameter error', async () => {
  const error = await rejectsWith(stripe.customers.create({ email: 'not-an-email' }), 'StripeInvalidRequestError', {
    statusCode: 400,
    param: 'email',
  });
  assert.ok(error.message.length > 0);
});

test('customers are listed by email, newest first', async () => {
  const first = await stripe.customers.create({ email: 'twin@example.com' });
  const second = await stripe.customers.create({ email: 'twin@example.com' });
  await stripe.customers.create({ email: 'other@example.com' });
  const list = await stripe.customers.list({ email: 'twin@example.com' });
  assert.equal(list.object, 'list');
  assert.equal(list.url, '/v1/customers');
  assert.deepEqual(list.data.map((customer) => customer.id), [second.id, first.id]);
  assert.equal(list.has_more, false);
  const none = await stripe.customers.list({ email: 'nobody@example.com' });
  assert.deepEqual(none.data, []);
});

test('a customer is deleted and retrieving it answers deleted: true', async () => {
  const customer = await stripe.customers.create({ email: 'gone@example.com' });
  const deleted = await stripe.customers.del(customer.id);
  assert.deepEqual(deleted, { id: customer.id, object: 'customer', deleted: true });
  const again = await stripe.customers.retrieve(customer.id);
  assert.equal(again.deleted, true);
  assert.equal(again.id, customer.id);
});

test('a deleted customer disappears from lists and emits customer.deleted', async () => {
  const customer = await stripe.customers.create({ email: 'deleted-list@example.com' });
  const deleted = await stripe.customers.del(customer.id);
  assert.deepEqual(deleted, { id: customer.id, object: 'customer', deleted: true });
  const list = await stripe.customers.list({ email: 'deleted-list@example.com' });
  assert.deepEqual(list.data, []);
  const event = await h.waitForEvent('customer.deleted', (candidate) => candidate.data.object.id === customer.id);
  assert.equal(event.data.object.email, 'deleted-list@example.com');
});

test("a customer is retrieved with expand ['subscriptions'] listing their current subscriptions", async () => {
  const product = await stripe.products.create({ name: 'Includable' });
  const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } });
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const expanded = await stripe.customers.retrieve(customer.id, { expand: ['subscriptions'] });
  assert.equal(expanded.subscriptions.object, 'list');
  assert.deepEqual(expanded.subscriptions.data.map((item) => item.id), [subscription.id]);
});

test('a card PaymentMethod is created from a test card number', async () => {
  const paymentMethod = await stripe.paymentMethods.create({
    type: 'card',
    card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' },
    billing_details: { name: 'Ada', email: 'ada@example.com' },
    metadata: { source: 'test' },
  });
  assert.match(paymentMethod.id, /^pm_/);
  assert.equal(paymentMethod.object, 'payment_method');
  assert.equal(paymentMethod.type, 'card');
  assert.equal(paymentMethod.customer, null);
  assert.equal(paymentMethod.card.brand, 'visa');
  assert.equal(paymentMethod.card.last4, '4242');
  assert.equal(paymentMethod.card.exp_month, 12);
  assert.equal(paymentMethod.card.exp_year, 2034);
  assert.equal(typeof paymentMethod.card.fingerprint, 'string');
  assert.equal(paymentMethod.billing_details.name, 'Ada');
  assert.equal(paymentMethod.billing_details.email, 'ada@example.com');
  assert.deepEqual(paymentMethod.metadata, { source: 'test' });
  assert.deepEqual(await stripe.paymentMethods.retrieve(paymentMethod.id), paymentMethod);
});

test('card PaymentMethods are created from test tokens with their brands', async () => {
  const cases = [
    ['tok_visa', 'visa', '4242'],
    ['tok_mastercard', 'mastercard', '4444'],
    ['tok_amex', 'amex', '0005'],
  ];
  for (const [token, brand, last4] of cases) {
    const paymentMethod = await stripe.paymentMethods.create({ type: 'card', card: { token } });
    assert.equal(paymentMethod.card.brand, brand, token);
    assert.equal(paymentMethod.card.last4, last4, token);
  }
});

test('an unknown token is a missing resource', async () => {
  await rejectsWith(
    stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_doesNotExist' } }),
    'StripeInvalidRequestError',
    { statusCode: 404, code: 'resource_missing' },
  );
});

test('a card number failing the Luhn check is a card error', async () => {
  await rejectsWith(
    stripe.paymentMethods.create({ type: 'card', card: { number: '4242424242424241', exp_month: 1, exp_year: 2035 } }),
    'StripeCardError',
    { statusCode: 402, code: 'incorrect_number' },
  );
});

test('pm_card_visa attaches to a customer, lists, and detaches', async () => {
  const customer = await stripe.customers.create({ email: 'wallet@example.com' });
  const attached = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  assert.match(attached.id, /^pm_/);
  assert.notEqual(attached.id, 'pm_card_visa', 'a test PaymentMethod becomes a real one on attach');
  assert.equal(attached.customer, customer.id);
  assert.equal(attached.card.brand, 'visa');
  const event = await h.waitForEvent('payment_method.attached', (candidate) => candidate.data.object.id === attached.id);
  assert.equal(event.data.object.customer, customer.id);

  const second = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_mastercard' } });
  await stripe.paymentMethods.attach(second.id, { customer: customer.id });

  const viaList = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
  assert.deepEqual(viaList.data.map((paymentMethod) => paymentMethod.id), [second.id, attached.id]);
  const viaCustomer = await stripe.customers.listPaymentMethods(customer.id, { type: 'card' });
  assert.deepEqual(viaCustomer.data.map((paymentMethod) => paymentMethod.id), [second.id, attached.id]);
  assert.equal(viaCustomer.url, `/v1/customers/${customer.id}/payment_methods`);

  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: attached.id } });
  const detached = await stripe.paymentMethods.detach(attached.id);
  assert.equal(detached.customer, null);
  const detachEvent = await h.waitForEvent('payment_method.detached', (candidate) => candidate.data.object.id === attached.id);
  assert.equal(detachEvent.data.previous_attributes.customer, customer.id);
  const after = await stripe.customers.listPaymentMethods(customer.id);
  assert.deepEqual(after.data.map((paymentMethod) => paymentMethod.id), [second.id]);
  const owner = await stripe.customers.retrieve(customer.id);
  assert.equal(owner.invoice_settings.default_payment_method, null, 'detaching the default clears it');
});

test('a PaymentMethod is updated: billing details, expiry and metadata', async () => {
  const paymentMethod = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
  const customer = await stripe.customers.create({});
  await stripe.paymentMethods.attach(paymentMethod.id, { customer: customer.id });
  const updated = await stripe.paymentMethods.update(paymentMethod.id, {
    billing_details: { name: 'New Name' },
    card: { exp_month: 6, exp_year: 2036 },
    metadata: { nick: 'work' },
  });
  assert.equal(updated.billing_details.name, 'New Name');
  assert.equal(updated.card.exp_month, 6);
  assert.equal(updated.card.exp_year, 2036);
  assert.deepEqual(updated.metadata, { nick: 'work' });
});

test('a customer is created with a payment method and a default for invoices', async () => {
  const customer = await stripe.customers.create({
    email: 'ready@example.com',
    payment_method: 'pm_card_mastercard',
  });
  const methods = await stripe.customers.listPaymentMethods(customer.id);
  assert.equal(methods.data.length, 1);
  const updated = await stripe.customers.update(customer.id, {
    invoice_settings: { default_payment_method: methods.data[0].id },
  });
  assert.equal(updated.invoice_settings.default_payment_method, methods.data[0].id);
  const expanded = await stripe.customers.retrieve(customer.id, { expand: ['invoice_settings.default_payment_method'] });
  assert.equal(expanded.invoice_settings.default_payment_method.card.brand, 'mastercard');
});

test('attaching the declining card 4000000000000002 is a 402 card error with a decline code', async () => {
  const customer = await stripe.customers.create({ email: 'declined@example.com' });
  const paymentMethod = await stripe.paymentMethods.create({
    type: 'card',
    card: { number: '4000000000000002', exp_month: 12, exp_year: 2034, cvc: '123' },
  });
  const error = await rejectsWith(stripe.paymentMethods.attach(paymentMethod.id, { customer: customer.id }), 'StripeCardError', {
    statusCode: 402,
    code: 'card_declined',
    decline_code: 'generic_decline',
  });
  assert.equal(error.rawType, 'card_error');
  const insufficient = await stripe.paymentMethods.create({
    type: 'card',
    card: { number: '4000000000009995', exp_month: 12, exp_year: 2034 },
  });
  await rejectsWith(stripe.paymentMethods.attach(insufficient.id, { customer: customer.id }), 'StripeCardError', {
    statusCode: 402,
    decline_code: 'insufficient_funds',
  });
  const list = await stripe.customers.listPaymentMethods(customer.id);
  assert.deepEqual(list.data, [], 'nothing was attached');
});

test('a PaymentMethod attached to one customer cannot be attached to another', async () => {
  const one = await stripe.customers.create({});
  const two = await stripe.customers.create({});
  const paymentMethod = await stripe.paymentMethods.attach('pm_card_visa', { customer: one.id });
  await rejectsWith(stripe.paymentMethods.attach(paymentMethod.id, { customer: two.id }), 'StripeInvalidRequestError', {
    statusCode: 400,
  });
});

test('every webhook this file caused passed stripe.webhooks.constructEvent', async () => {
  await h.settle();
  h.assertWebhooksValid();
  const types = new Set(h.events.map((event) => event.type));
  for (const type of ['customer.created', 'customer.updated', 'customer.deleted', 'payment_method.attached', 'payment_method.detached', 'payment_method.updated']) {
    assert.ok(types.has(type), `${type} was delivered`);
  }
});
