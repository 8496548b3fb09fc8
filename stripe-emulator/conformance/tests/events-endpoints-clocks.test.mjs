import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith, Stripe, DAY } from './harness.mjs';

let h;
let stripe;
before(async () => {
  h = await startEmulator();
  stripe = h.stripe;
});
after(async () => {
  await h?.stop();
});

test('an event is retrieved by id and matches the delivered webhook', async () => {
  const product = await stripe.products.create({ name: 'Evented' }, { idempotencyKey: 'evented-product-1' });
  const delivered = await h.waitForEvent('product.created', (event) => event.data.object.id === product.id);
  const event = await stripe.events.retrieve(delivered.id);
  assert.match(event.id, /^evt_/);
  assert.equal(event.object, 'event');
  assert.equal(event.type, 'product.created');
  assert.equal(event.api_version, Stripe.API_VERSION);
  assert.equal(event.livemode, false);
  assert.equal(typeof event.created, 'number');
  assert.equal(typeof event.pending_webhooks, 'number');
  assert.deepEqual(event.data.object, product);
  assert.deepEqual(event.data, delivered.data);
  assert.match(event.request.id, /^req_/);
  assert.equal(event.request.idempotency_key, 'evented-product-1');
});

test('an update event carries previous_attributes', async () => {
  const product = await stripe.products.create({ name: 'Before' });
  await stripe.products.update(product.id, { name: 'After', metadata: { k: 'v' } });
  const event = await h.waitForEvent('product.updated', (candidate) => candidate.data.object.id === product.id);
  assert.equal(event.data.object.name, 'After');
  assert.equal(event.data.previous_attributes.name, 'Before');
  assert.deepEqual(event.data.previous_attributes.metadata, {});
});

test('events are listed by type, by type wildcard, by types and by created', async () => {
  await h.advance({ seconds: 10 });
  const start = await h.now();
  const customer = await stripe.customers.create({ email: 'events@example.com' });
  await stripe.customers.update(customer.id, { name: 'Listed' });

  const created = await stripe.events.list({ type: 'customer.created' });
  assert.equal(created.url, '/v1/events');
  assert.ok(created.data.length > 0);
  assert.ok(created.data.every((event) => event.type === 'customer.created'));
  assert.equal(created.data[0].data.object.id, customer.id, 'newest first');

  const wildcard = await stripe.events.list({ type: 'customer.*', created: { gte: start } });
  assert.deepEqual(wildcard.data.map((event) => event.type), ['customer.updated', 'customer.created']);

  const types = await stripe.events.list({ types: ['customer.updated', 'product.created'], created: { gte: start } });
  assert.deepEqual(types.data.map((event) => event.type), ['customer.updated']);

  const later = await stripe.events.list({ created: { gt: start + 3600 } });
  assert.deepEqual(later.data, []);
});

test('an unknown event is a missing resource', async () => {
  await rejectsWith(stripe.events.retrieve('evt_doesnotexist'), 'StripeInvalidRequestError', {
    statusCode: 404,
    code: 'resource_missing',
  });
});

test('a webhook endpoint returns its secret on create only, and is retrieved, updated and listed', async () => {
  const endpoint = await stripe.webhookEndpoints.create({
    url: 'https://app.example.com/stripe/webhook',
    enabled_events: ['checkout.session.completed', 'customer.subscription.updated'],
    description: 'App endpoint',
    metadata: { env: 'test' },
  });
  assert.match(endpoint.id, /^we_/);
  assert.equal(endpoint.object, 'webhook_endpoint');
  assert.match(endpoint.secret, /^whsec_/);
  assert.equal(endpoint.status, 'enabled');
  assert.equal(endpoint.url, 'https://app.example.com/stripe/webhook');
  assert.deepEqual(endpoint.enabled_events, ['checkout.session.completed', 'customer.subscription.updated']);
  assert.equal(endpoint.description, 'App endpoint');
  assert.deepEqual(endpoint.metadata, { env: 'test' });

  const fetched = await stripe.webhookEndpoints.retrieve(endpoint.id);
  assert.equal(fetched.secret, undefined, 'the secret is only shown once');
  const { secret, ...rest } = endpoint;
  assert.ok(secret);
  assert.deepEqual(fetched, rest);

  const updated = await stripe.webhookEndpoints.update(endpoint.id, {
    enabled_events: ['*'],
    disabled: true,
    description: 'Paused endpoint',
  });
  assert.deepEqual(updated.enabled_events, ['*']);
  assert.equal(updated.status, 'disabled');
  assert.equal(updated.description, 'Paused endpoint');
  assert.equal(updated.secret, undefined);

  const list = await stripe.webhookEndpoints.list();
  assert.equal(list.url, '/v1/webhook_endpoints');
  const urls = list.data.map((item) => item.url);
  assert.ok(urls.includes('https://app.example.com/stripe/webhook'));
  assert.ok(urls.includes(h.hookUrl), 'the --webhook-url endpoint is listed too');
  assert.ok(list.data.every((item) => item.secret === undefined));

  const deleted = await stripe.webhookEndpoints.del(endpoint.id);
  assert.deepEqual(deleted, { id: endpoint.id, object: 'webhook_endpoint', deleted: true });
  await rejectsWith(stripe.webhookEndpoints.retrieve(endpoint.id), 'StripeInvalidRequestError', { statusCode: 404 });
});

test('an endpoint created through the API receives only its enabled events, signed with its own secret', async () => {
  const endpoint = await stripe.webhookEndpoints.create({
    url: h.endpointUrl('/api-endpoint'),
    enabled_events: ['product.created'],
  });
  h.registerEndpoint('/api-endpoint', endpoint.secret);
  const product = await stripe.products.create({ name: 'For the API endpoint' });
  await stripe.customers.create({ email: 'not-for-the-api-endpoint@example.com' });
  await h.waitForEvent('customer.created', () => true);
  await h.settle();
  // `settle` waits for the main endpoint only; deliveries to each endpoint run independently.
  const deadline = Date.now() + 5000;
  while (h.deliveriesAt('/api-endpoint').length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const deliveries = h.deliveriesAt('/api-endpoint');
  assert.equal(deliveries.length, 1, deliveries.map((delivery) => delivery.error?.message ?? delivery.event.type).join());
  assert.equal(deliveries[0].error, null);
  assert.equal(deliveries[0].event.type, 'product.created');
  assert.equal(deliveries[0].event.data.object.id, product.id);
  assert.throws(
    () => stripe.webhooks.constructEvent(deliveries[0].rawBody, deliveries[0].header, h.secret),
    (error) => error.type === 'StripeSignatureVerificationError',
    'another endpoint secret does not verify it',
  );
  await stripe.webhookEndpoints.del(endpoint.id);
});

test('a webhook endpoint with an invalid url is refused', async () => {
  await rejectsWith(
    stripe.webhookEndpoints.create({ url: 'not a url', enabled_events: ['*'] }),
    'StripeInvalidRequestError',
    { statusCode: 400, param: 'url' },
  );
});

test('a test clock is created, retrieved and listed', async () => {
  const frozen = 1_800_000_000;
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozen, name: 'Month one' });
  assert.match(clock.id, /^clock_/);
  assert.equal(clock.object, 'test_helpers.test_clock');
  assert.equal(clock.frozen_time, frozen);
  assert.equal(clock.name, 'Month one');
  assert.equal(clock.status, 'ready');
  assert.equal(clock.livemode, false);
  assert.equal(typeof clock.deletes_after, 'number');
  assert.deepEqual(await stripe.testHelpers.testClocks.retrieve(clock.id), clock);
  const list = await stripe.testHelpers.testClocks.list();
  assert.equal(list.url, '/v1/test_helpers/test_clocks');
  assert.ok(list.data.some((item) => item.id === clock.id));
});

test('a customer on a test clock renews when the clock is advanced a month, and nobody else does', async () => {
  const frozen = 1_800_000_000;
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozen });
  const price = await h.monthlyPrice({ name: 'Clocked', amount: 1200 });
  const customer = await stripe.customers.create({ email: 'clocked@example.com', test_clock: clock.id });
  assert.equal(customer.test_clock, clock.id);
  assert.equal(customer.created, frozen);
  const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  assert.equal(subscription.start_date, frozen);
  assert.equal(subscription.test_clock, clock.id);
  assert.equal(subscription.items.data[0].current_period_start, frozen);

  const bystander = await h.customerWithCard();
  const other = await stripe.subscriptions.create({ customer: bystander.customer.id, items: [{ price: price.id }] });

  const target = frozen + 31 * DAY;
  const advancing = await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: target });
  assert.equal(advancing.id, clock.id);
  assert.equal(advancing.status, 'advancing');
  await h.waitForEvent('test_helpers.test_clock.ready', (event) => event.data.object.id === clock.id);
  const ready = await stripe.testHelpers.testClocks.retrieve(clock.id);
  assert.equal(ready.status, 'ready');
  assert.equal(ready.frozen_time, target);

  const renewed = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(renewed.status, 'active');
  assert.equal(renewed.items.data[0].current_period_start, subscription.items.data[0].current_period_end);
  const invoices = await stripe.invoices.list({ subscription: subscription.id });
  assert.deepEqual(invoices.data.map((invoice) => invoice.billing_reason), ['subscription_cycle', 'subscription_create']);
  assert.equal(invoices.data[0].status, 'paid');
  assert.equal(invoices.data[0].amount_paid, 1200);
  assert.equal(invoices.data[0].test_clock, clock.id);
  assert.equal(invoices.data[0].created, subscription.items.data[0].current_period_end, 'the renewal is dated at clock time');
  await h.waitForEvent('invoice.paid', (event) => event.data.object.id === invoices.data[0].id);

  const untouched = await stripe.invoices.list({ subscription: other.id });
  assert.equal(untouched.data.length, 1, 'subscriptions off the clock did not move');

  const byClock = await stripe.customers.list({ test_clock: clock.id });
  assert.deepEqual(byClock.data.map((item) => item.id), [customer.id]);
});

test('a test clock cannot move backwards', async () => {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_800_000_000 });
  await rejectsWith(
    stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1_700_000_000 }),
    'StripeInvalidRequestError',
    { statusCode: 400 },
  );
});

test('a test clock is deleted together with its customers', async () => {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_800_000_000 });
  const customer = await stripe.customers.create({ test_clock: clock.id });
  const deleted = await stripe.testHelpers.testClocks.del(clock.id);
  assert.deepEqual(deleted, { id: clock.id, object: 'test_helpers.test_clock', deleted: true });
  await rejectsWith(stripe.testHelpers.testClocks.retrieve(clock.id), 'StripeInvalidRequestError', {
    statusCode: 404,
    code: 'resource_missing',
  });
  const list = await stripe.customers.list({ test_clock: clock.id });
  assert.deepEqual(list.data, []);
  assert.ok(customer.id);
});

test('every webhook this file caused passed stripe.webhooks.constructEvent', async () => {
  await h.settle();
  h.assertWebhooksValid();
  const types = new Set(h.events.map((event) => event.type));
  for (const type of ['test_helpers.test_clock.advancing', 'test_helpers.test_clock.ready']) {
    assert.ok(types.has(type), `${type} was delivered`);
  }
});
