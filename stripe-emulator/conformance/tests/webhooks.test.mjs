import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, Stripe } from './harness.mjs';

let h;
let stripe;
let flow;
before(async () => {
  h = await startEmulator();
  stripe = h.stripe;
  // One journey through the app's Stripe surface: catalog, checkout paid on the hosted page,
  // a plan change, a cancellation request, a renewal, and the cancellation itself.
  const hobby = await h.monthlyPrice({ name: 'Hobby', amount: 1000 });
  const pro = await h.monthlyPrice({ name: 'Pro', amount: 3000 });
  const customer = await stripe.customers.create({ email: 'journey@example.com', metadata: { user_id: 'u1' } });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    client_reference_id: 'u1',
    line_items: [{ price: hobby.id, quantity: 1 }],
    success_url: 'https://app.example.com/billing?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://app.example.com/billing',
  });
  const page = await h.payCheckout(session.id, { email: 'journey@example.com' });
  assert.equal(page.status, 303);
  const completed = await stripe.checkout.sessions.retrieve(session.id);
  const subscription = await stripe.subscriptions.retrieve(completed.subscription);
  await stripe.subscriptions.update(subscription.id, {
    items: [{ id: subscription.items.data[0].id, price: pro.id }],
    proration_behavior: 'create_prorations',
  });
  await h.advance({ days: 31 });
  await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
  await h.advance({ days: 31 });
  flow = { customer, session, subscription };
  await h.settle();
});
after(async () => {
  await h?.stop();
});

test('every delivered webhook passes stripe.webhooks.constructEvent with the endpoint secret', () => {
  assert.ok(h.deliveries.length >= 20, `${h.deliveries.length} deliveries`);
  h.assertWebhooksValid();
  for (const delivery of h.deliveries) {
    assert.match(delivery.header, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.match(delivery.headers['content-type'], /^application\/json/);
    const timestamp = Number(/t=(\d+)/.exec(delivery.header)[1]);
    assert.ok(Math.abs(Date.now() / 1000 - timestamp) < 300, 'signed with the wall clock, within the default tolerance');
  }
});

test('a tampered body or a wrong secret fails the same check', () => {
  const [delivery] = h.deliveries;
  const tampered = Buffer.from(delivery.rawBody.toString('utf8').replace('"livemode":false', '"livemode":true'));
  assert.notDeepEqual(tampered, delivery.rawBody);
  assert.throws(() => stripe.webhooks.constructEvent(tampered, delivery.header, h.secret), { type: 'StripeSignatureVerificationError' });
  assert.throws(() => stripe.webhooks.constructEvent(delivery.rawBody, delivery.header, 'whsec_wrong'), {
    type: 'StripeSignatureVerificationError',
  });
});

test('the emulator logged each delivery as answered 200, once per event', async () => {
  const events = await stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
  // The emulator logs an attempt once the answer is in, a moment after the receiver has seen it.
  const deadline = Date.now() + 5000;
  let toHook = [];
  while (Date.now() < deadline) {
    toHook = (await h.deliveryLog()).filter((attempt) => attempt.url === h.hookUrl);
    if (toHook.length >= events.length) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.deepEqual(toHook.map((attempt) => attempt.status).filter((status) => status !== 200), []);
  assert.deepEqual(
    toHook.map((attempt) => attempt.event).sort(),
    events.map((event) => event.id).sort(),
    'every event was delivered exactly once',
  );
  const delivered = await stripe.events.retrieve(events[0].id);
  assert.equal(delivered.pending_webhooks, 0, 'a delivered event has no pending webhooks');
});

test('every event has the pinned api_version, livemode false and a data.object', () => {
  for (const event of h.events) {
    assert.match(event.id, /^evt_/);
    assert.equal(event.object, 'event');
    assert.equal(event.api_version, Stripe.API_VERSION);
    assert.equal(event.livemode, false);
    assert.equal(typeof event.created, 'number');
    assert.equal(typeof event.data.object, 'object');
    assert.equal(typeof event.data.object.object, 'string');
    assert.ok('request' in event);
  }
});

test('the checkout journey delivered the events an integration listens for', () => {
  const types = new Set(h.events.map((event) => event.type));
  for (const type of [
    'customer.created',
    'product.created',
    'price.created',
    'checkout.session.completed',
    'payment_method.attached',
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'invoice.created',
    'invoice.finalized',
    'invoice.paid',
    'invoice.payment_succeeded',
  ]) {
    assert.ok(types.has(type), `${type} was delivered (got ${[...types].join(', ')})`);
  }
  const completed = h.events.find((event) => event.type === 'checkout.session.completed');
  assert.equal(completed.data.object.id, flow.session.id);
  assert.equal(completed.data.object.client_reference_id, 'u1');
  assert.equal(completed.data.object.subscription, flow.subscription.id);
  const deleted = h.events.find((event) => event.type === 'customer.subscription.deleted');
  assert.equal(deleted.data.object.id, flow.subscription.id);
  assert.equal(deleted.data.object.status, 'canceled');
});

test('subscription events carry the state after the change and previous_attributes before it', () => {
  const updates = h.events.filter(
    (event) => event.type === 'customer.subscription.updated' && event.data.object.id === flow.subscription.id,
  );
  assert.ok(updates.length >= 3);
  for (const event of updates) {
    assert.equal(typeof event.data.previous_attributes, 'object', event.id);
    for (const key of Object.keys(event.data.previous_attributes)) {
      assert.notDeepEqual(event.data.previous_attributes[key], event.data.object[key], `${event.id} ${key} changed`);
    }
  }
  const cancelRequest = updates.find((event) => event.data.object.cancel_at_period_end === true && event.data.previous_attributes.cancel_at_period_end === false);
  assert.ok(cancelRequest, 'the cancel_at_period_end change was announced');
});

test('a delivery answered with a 500 is retried and then succeeds', async () => {
  const endpoint = await stripe.webhookEndpoints.create({ url: h.endpointUrl('/flaky'), enabled_events: ['customer.created'] });
  h.registerEndpoint('/flaky', endpoint.secret);
  h.failures.set('/flaky', 1);
  const customer = await stripe.customers.create({ email: 'retry@example.com' });
  const deadline = Date.now() + 8000;
  while (!h.deliveriesAt('/flaky').some((delivery) => delivery.answered === 200) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const deliveries = h.deliveriesAt('/flaky');
  assert.deepEqual(deliveries.map((delivery) => delivery.answered), [500, 200]);
  assert.ok(deliveries.every((delivery) => delivery.event.data.object.id === customer.id));
  assert.equal(deliveries[0].event.id, deliveries[1].event.id, 'the retry is the same event');
  // The emulator logs an attempt once the answer is in, a moment after the receiver has seen it.
  let log = [];
  while (Date.now() < deadline) {
    log = (await h.deliveryLog()).filter((attempt) => attempt.endpoint === endpoint.id);
    if (log.length >= 2) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.deepEqual(log.map((attempt) => [attempt.attempt, attempt.status]), [[1, 500], [2, 200]]);
  await stripe.webhookEndpoints.del(endpoint.id);
  h.assertWebhooksValid();
});
