import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith, Stripe } from './harness.mjs';

let h;
let stripe;
before(async () => {
  h = await startEmulator();
  stripe = h.stripe;
});
after(async () => {
  await h?.stop();
});

function clientWithKey(key) {
  return new Stripe(key, { host: '127.0.0.1', port: h.port, protocol: 'http' });
}

test('a request without an API key is a 401', async () => {
  const response = await h.raw('GET', '/v1/customers', { key: null });
  assert.equal(response.status, 401);
  assert.equal(response.json.error.type, 'invalid_request_error');
  assert.match(response.json.error.message, /API key/);
});

test('a malformed API key is a StripeAuthenticationError', async () => {
  for (const key of ['not_a_key', 'pk_test_publishable', 'sk_test_bad key']) {
    const error = await rejectsWith(clientWithKey(key).customers.list(), 'StripeAuthenticationError', { statusCode: 401 });
    assert.equal(error.rawType, 'invalid_request_error', key);
  }
});

test('any sk_test_ key works, as Bearer or as HTTP basic auth', async () => {
  const list = await clientWithKey('sk_test_someoneElse123').customers.list({ limit: 1 });
  assert.equal(list.object, 'list');
  const basic = Buffer.from('sk_test_curlUser:').toString('base64');
  const response = await h.raw('GET', '/v1/products?limit=1', { key: null, headers: { authorization: `Basic ${basic}` } });
  assert.equal(response.status, 200);
});

test('responses carry a request id and the API version the SDK pins', async () => {
  const response = await h.raw('GET', '/v1/products?limit=1');
  assert.match(response.headers.get('request-id'), /^req_/);
  assert.equal(response.headers.get('stripe-version'), Stripe.API_VERSION);
  const error = await rejectsWith(stripe.customers.retrieve('cus_missing'), 'StripeInvalidRequestError');
  assert.match(error.requestId, /^req_/);
});

test('the same idempotency key and parameters replay the first response with Idempotent-Replayed', async () => {
  const form = { email: 'idem@example.com', 'metadata[try]': '1' };
  const headers = { 'idempotency-key': 'raw-replay-1' };
  const first = await h.raw('POST', '/v1/customers', { form, headers });
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const second = await h.raw('POST', '/v1/customers', { form, headers });
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(second.json, first.json);
  const list = await stripe.customers.list({ email: 'idem@example.com' });
  assert.equal(list.data.length, 1, 'only one customer was created');
});

test('the SDK gets the same object back when it repeats a create with its idempotency key', async () => {
  const first = await stripe.customers.create({ email: 'sdk-idem@example.com' }, { idempotencyKey: 'sdk-replay-1' });
  const second = await stripe.customers.create({ email: 'sdk-idem@example.com' }, { idempotencyKey: 'sdk-replay-1' });
  assert.equal(second.id, first.id);
  const list = await stripe.customers.list({ email: 'sdk-idem@example.com' });
  assert.equal(list.data.length, 1);
  await h.settle();
  const created = h.eventsOfType('customer.created').filter((event) => event.data.object.id === first.id);
  assert.equal(created.length, 1, 'one customer.created event');
});

test('concurrent creates with one idempotency key make one object', async () => {
  const results = await Promise.all(
    Array.from({ length: 6 }, () => stripe.customers.create({ email: 'race@example.com' }, { idempotencyKey: 'race-1' })),
  );
  assert.equal(new Set(results.map((customer) => customer.id)).size, 1);
  const list = await stripe.customers.list({ email: 'race@example.com' });
  assert.equal(list.data.length, 1);
});

test('reusing an idempotency key with other parameters is an idempotency_error', async () => {
  await stripe.customers.create({ email: 'first@example.com' }, { idempotencyKey: 'conflict-raw' });
  const response = await h.raw('POST', '/v1/customers', {
    form: { email: 'second@example.com' },
    headers: { 'idempotency-key': 'conflict-raw' },
  });
  assert.equal(response.status, 400);
  assert.equal(response.json.error.type, 'idempotency_error');
  assert.match(response.json.error.message, /conflict-raw/);
});

test('reusing an idempotency key with other parameters makes the SDK throw StripeIdempotencyError', async () => {
  await stripe.customers.create({ email: 'first@example.com' }, { idempotencyKey: 'conflict-sdk' });
  const error = await rejectsWith(
    stripe.customers.create({ email: 'second@example.com' }, { idempotencyKey: 'conflict-sdk', maxNetworkRetries: 0 }),
    'StripeIdempotencyError',
  );
  assert.equal(error.rawType, 'idempotency_error');
  assert.equal(error.statusCode, 400);
});

test('autoPagingToArray walks every page of a list longer than ten', async () => {
  const tag = 'paging';
  const made = [];
  for (let index = 0; index < 25; index += 1) {
    made.push(await stripe.products.create({ name: `Paged ${index}`, metadata: { tag } }));
  }
  const all = await stripe.products.list({ limit: 10 }).autoPagingToArray({ limit: 1000 });
  const paged = all.filter((product) => product.metadata.tag === tag);
  assert.deepEqual(paged.map((product) => product.id), made.map((product) => product.id).reverse(), 'newest first, no gaps or repeats');
  assert.equal(new Set(all.map((product) => product.id)).size, all.length);

  const seen = [];
  for await (const product of stripe.products.list({ limit: 7 })) {
    seen.push(product.id);
  }
  assert.deepEqual(seen, all.map((product) => product.id));
});

test('starting_after and ending_before page forwards and back', async () => {
  for (let index = 0; index < 12; index += 1) {
    await stripe.customers.create({ email: 'pages@example.com' });
  }
  const first = await stripe.customers.list({ email: 'pages@example.com', limit: 5 });
  assert.equal(first.data.length, 5);
  assert.equal(first.has_more, true);
  const second = await stripe.customers.list({ email: 'pages@example.com', limit: 5, starting_after: first.data.at(-1).id });
  assert.equal(second.data.length, 5);
  assert.equal(second.has_more, true);
  const third = await stripe.customers.list({ email: 'pages@example.com', limit: 5, starting_after: second.data.at(-1).id });
  assert.equal(third.data.length, 2);
  assert.equal(third.has_more, false);
  const ids = [...first.data, ...second.data, ...third.data].map((customer) => customer.id);
  assert.equal(new Set(ids).size, 12);

  const back = await stripe.customers.list({ email: 'pages@example.com', limit: 5, ending_before: second.data[0].id });
  assert.deepEqual(back.data.map((customer) => customer.id), first.data.map((customer) => customer.id));
  const backAll = await stripe.customers.list({ email: 'pages@example.com', limit: 5, ending_before: third.data[0].id });
  assert.deepEqual(backAll.data.map((customer) => customer.id), second.data.map((customer) => customer.id));
  assert.equal(backAll.has_more, true);
});

test('auto-pagination from ending_before walks towards newer objects', async () => {
  const made = [];
  for (let index = 0; index < 8; index += 1) {
    made.push(await stripe.customers.create({ email: 'backwards@example.com' }));
  }
  const newer = await stripe.customers
    .list({ email: 'backwards@example.com', limit: 3, ending_before: made[0].id })
    .autoPagingToArray({ limit: 100 });
  assert.deepEqual(
    newer.map((customer) => customer.id).sort(),
    made.slice(1).map((customer) => customer.id).sort(),
  );
});

test('bad paging parameters are invalid requests', async () => {
  await rejectsWith(stripe.customers.list({ limit: 0 }), 'StripeInvalidRequestError', { statusCode: 400 });
  await rejectsWith(stripe.customers.list({ limit: 101 }), 'StripeInvalidRequestError', { statusCode: 400 });
  const customer = await stripe.customers.create({});
  await rejectsWith(
    stripe.customers.list({ starting_after: customer.id, ending_before: customer.id }),
    'StripeInvalidRequestError',
    { statusCode: 400 },
  );
  await rejectsWith(stripe.customers.list({ starting_after: 'cus_unknown' }), 'StripeInvalidRequestError', {
    statusCode: 404,
    code: 'resource_missing',
  });
});

test('expand follows nested paths on retrieve and data. paths on lists', async () => {
  const { customer } = await h.customerWithCard();
  const price = await h.monthlyPrice({ name: 'Expandable', amount: 700 });
  const created = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const subscription = await stripe.subscriptions.retrieve(created.id, {
    expand: ['latest_invoice', 'customer', 'items.data.price.product'],
  });
  assert.equal(subscription.latest_invoice.id, created.latest_invoice);
  assert.equal(subscription.latest_invoice.object, 'invoice');
  assert.equal(subscription.customer.email, 'card@example.com');
  assert.equal(subscription.items.data[0].price.product.name, 'Expandable');

  const list = await stripe.subscriptions.list({ customer: customer.id, expand: ['data.customer', 'data.latest_invoice'] });
  assert.equal(list.data[0].customer.id, customer.id);
  assert.equal(list.data[0].latest_invoice.id, created.latest_invoice);

  const invoice = await stripe.invoices.retrieve(created.latest_invoice, { expand: ['customer', 'parent.subscription_details.subscription'] });
  assert.equal(invoice.customer.id, customer.id);
  assert.equal(invoice.parent.subscription_details.subscription.id, created.id);
});

test('expand refuses unexpandable fields and more than four levels', async () => {
  const customer = await stripe.customers.create({ email: 'expand@example.com' });
  await rejectsWith(stripe.customers.retrieve(customer.id, { expand: ['email'] }), 'StripeInvalidRequestError', { statusCode: 400 });
  const price = await h.monthlyPrice({ name: 'Deep' });
  const { customer: payer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: payer.id, items: [{ price: price.id }] });
  await rejectsWith(
    stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice.customer.invoice_settings.default_payment_method.customer'] }),
    'StripeInvalidRequestError',
    { statusCode: 400 },
  );
});

test('a missing required parameter is parameter_missing naming the parameter', async () => {
  const error = await rejectsWith(stripe.products.create({}), 'StripeInvalidRequestError', {
    statusCode: 400,
    code: 'parameter_missing',
    param: 'name',
  });
  assert.equal(error.rawType, 'invalid_request_error');
  await rejectsWith(stripe.prices.create({ currency: 'usd', unit_amount: 5 }), 'StripeInvalidRequestError', {
    statusCode: 400,
    code: 'parameter_missing',
  });
  await rejectsWith(
    stripe.subscriptions.create({ customer: (await stripe.customers.create({})).id, items: [{ quantity: 1 }] }),
    'StripeInvalidRequestError',
    { statusCode: 400, code: 'parameter_missing', param: 'items[0][price]' },
  );
});

test('an unknown parameter is parameter_unknown naming the parameter', async () => {
  await rejectsWith(stripe.products.create({ name: 'x', colour: 'blue' }), 'StripeInvalidRequestError', {
    statusCode: 400,
    code: 'parameter_unknown',
    param: 'colour',
  });
  await rejectsWith(
    stripe.checkout.sessions.create({
      mode: 'payment',
      success_url: 'https://example.com',
      line_items: [{ price: 'price_x', quantityy: 1 }],
    }),
    'StripeInvalidRequestError',
    { statusCode: 400, code: 'parameter_unknown', param: 'line_items[0][quantityy]' },
  );
});

test('an unknown id is a 404 resource_missing', async () => {
  const cases = [
    () => stripe.customers.retrieve('cus_missing'),
    () => stripe.products.retrieve('prod_missing'),
    () => stripe.prices.retrieve('price_missing'),
    () => stripe.subscriptions.retrieve('sub_missing'),
    () => stripe.checkout.sessions.retrieve('cs_missing'),
    () => stripe.paymentMethods.retrieve('pm_missing'),
    () => stripe.webhookEndpoints.retrieve('we_missing'),
    () => stripe.testHelpers.testClocks.retrieve('clock_missing'),
  ];
  for (const call of cases) {
    const error = await rejectsWith(call(), 'StripeInvalidRequestError', { statusCode: 404, code: 'resource_missing' });
    assert.match(error.message, /^No such /);
  }
  await rejectsWith(
    stripe.subscriptions.create({ customer: 'cus_missing', items: [{ price: 'price_missing' }] }),
    'StripeInvalidRequestError',
    { statusCode: 404, code: 'resource_missing', param: 'customer' },
  );
});

test('an unrecognized URL is a 404 invalid_request_error', async () => {
  const response = await h.raw('GET', '/v1/no_such_things');
  assert.equal(response.status, 404);
  assert.equal(response.json.error.type, 'invalid_request_error');
  assert.match(response.json.error.message, /Unrecognized request URL/);
});

test('attaching the declining card 4000000000000002 throws StripeCardError 402 with decline_code', async () => {
  const customer = await stripe.customers.create({});
  const paymentMethod = await stripe.paymentMethods.create({
    type: 'card',
    card: { number: '4000000000000002', exp_month: 1, exp_year: 2035 },
  });
  const error = await rejectsWith(stripe.paymentMethods.attach(paymentMethod.id, { customer: customer.id }), 'StripeCardError', {
    statusCode: 402,
    code: 'card_declined',
    decline_code: 'generic_decline',
  });
  assert.equal(error.rawType, 'card_error');
  assert.ok(error.message.length > 0);
});

test('every webhook this file caused passed stripe.webhooks.constructEvent', async () => {
  await h.settle();
  h.assertWebhooksValid();
});
