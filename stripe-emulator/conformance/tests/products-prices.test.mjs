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

test('a product is created, retrieved and updated through the SDK', async () => {
  const product = await stripe.products.create({
    name: 'Starter',
    description: 'The smallest plan',
    images: ['https://example.com/starter.png'],
    marketing_features: [{ name: 'One seat' }],
    metadata: { tier: 'starter' },
  });
  assert.match(product.id, /^prod_/);
  assert.equal(product.object, 'product');
  assert.equal(product.active, true);
  assert.equal(product.name, 'Starter');
  assert.equal(product.description, 'The smallest plan');
  assert.deepEqual(product.images, ['https://example.com/starter.png']);
  assert.deepEqual(product.marketing_features, [{ name: 'One seat' }]);
  assert.deepEqual(product.metadata, { tier: 'starter' });
  assert.equal(product.default_price, null);
  assert.equal(product.livemode, false);
  assert.equal(typeof product.created, 'number');
  assert.equal(typeof product.updated, 'number');

  const fetched = await stripe.products.retrieve(product.id);
  assert.deepEqual(fetched, product);

  const updated = await stripe.products.update(product.id, {
    name: 'Starter plan',
    description: '',
    metadata: { tier: '', color: 'green' },
  });
  assert.equal(updated.name, 'Starter plan');
  assert.equal(updated.description, null, 'an empty string unsets a field');
  assert.deepEqual(updated.metadata, { color: 'green' }, 'an empty metadata value removes the key');
  assert.ok(updated.updated >= product.updated);
});

test('a product created with default_price_data points at its new price', async () => {
  const product = await stripe.products.create({
    name: 'Bundle',
    default_price_data: { currency: 'usd', unit_amount: 4900, recurring: { interval: 'year' } },
  });
  assert.match(product.default_price, /^price_/);
  const price = await stripe.prices.retrieve(product.default_price);
  assert.equal(price.product, product.id);
  assert.equal(price.unit_amount, 4900);
  assert.equal(price.recurring.interval, 'year');
  const expanded = await stripe.products.retrieve(product.id, { expand: ['default_price'] });
  assert.equal(expanded.default_price.id, price.id);
});

test("a product's default_price is set to one of its own prices only", async () => {
  const product = await stripe.products.create({ name: 'Defaulted' });
  const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 300 });
  const updated = await stripe.products.update(product.id, { default_price: price.id });
  assert.equal(updated.default_price, price.id);
  const other = await stripe.products.create({ name: 'Someone else' });
  const foreign = await stripe.prices.create({ product: other.id, currency: 'usd', unit_amount: 300 });
  await rejectsWith(stripe.products.update(product.id, { default_price: foreign.id }), 'StripeInvalidRequestError', {
    statusCode: 400,
  });
});

test('products are listed newest first and filtered by active and ids', async () => {
  const a = await stripe.products.create({ name: 'List A' });
  const b = await stripe.products.create({ name: 'List B', active: false });
  const c = await stripe.products.create({ name: 'List C' });

  // Without `active`, Stripe lists only active products.
  const page = await stripe.products.list({ limit: 2 });
  assert.equal(page.object, 'list');
  assert.equal(page.url, '/v1/products');
  assert.deepEqual(page.data.map((product) => product.id), [c.id, a.id]);

  const inactive = await stripe.products.list({ active: false });
  assert.deepEqual(inactive.data.map((product) => product.id), [b.id]);
  const active = await stripe.products.list({ active: true, limit: 100 });
  assert.ok(active.data.every((product) => product.active));
  assert.ok(!active.data.some((product) => product.id === b.id));

  const byIds = await stripe.products.list({ ids: [a.id, c.id] });
  assert.deepEqual(byIds.data.map((product) => product.id).sort(), [a.id, c.id].sort());
  assert.equal(byIds.has_more, false);
});

test('a product without prices is deleted and then missing', async () => {
  const product = await stripe.products.create({ name: 'Doomed' });
  const deleted = await stripe.products.del(product.id);
  assert.deepEqual(deleted, { id: product.id, object: 'product', deleted: true });
  await rejectsWith(stripe.products.retrieve(product.id), 'StripeInvalidRequestError', {
    statusCode: 404,
    code: 'resource_missing',
  });
});

test('a product with a price cannot be deleted', async () => {
  const product = await stripe.products.create({ name: 'Has a price' });
  await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100 });
  await rejectsWith(stripe.products.del(product.id), 'StripeInvalidRequestError', { statusCode: 400 });
});

test('a one-time price has no recurring part', async () => {
  const product = await stripe.products.create({ name: 'Sticker pack' });
  const price = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 500,
    nickname: 'Stickers',
    lookup_key: 'stickers_once',
    metadata: { kind: 'merch' },
  });
  assert.match(price.id, /^price_/);
  assert.equal(price.object, 'price');
  assert.equal(price.type, 'one_time');
  assert.equal(price.recurring, null);
  assert.equal(price.unit_amount, 500);
  assert.equal(String(price.unit_amount_decimal), '500', 'the SDK turns unit_amount_decimal into a Decimal');
  assert.equal(price.currency, 'usd');
  assert.equal(price.billing_scheme, 'per_unit');
  assert.equal(price.tax_behavior, 'unspecified');
  assert.equal(price.lookup_key, 'stickers_once');
  assert.equal(price.nickname, 'Stickers');
  assert.equal(price.product, product.id);
  assert.equal(price.active, true);
  assert.deepEqual(price.metadata, { kind: 'merch' });
  assert.deepEqual(await stripe.prices.retrieve(price.id), price);
});

test('a recurring price carries interval, interval_count and trial_period_days', async () => {
  const product = await stripe.products.create({ name: 'Pro' });
  const price = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 2000,
    recurring: { interval: 'month', interval_count: 3, trial_period_days: 14 },
  });
  assert.equal(price.type, 'recurring');
  assert.equal(price.recurring.interval, 'month');
  assert.equal(price.recurring.interval_count, 3);
  assert.equal(price.recurring.trial_period_days, 14);
  assert.equal(price.recurring.usage_type, 'licensed');
  assert.equal(price.recurring.meter, null);
});

test('a zero-decimal JPY price keeps its amount in yen', async () => {
  const product = await stripe.products.create({ name: 'Tokyo plan' });
  const price = await stripe.prices.create({
    product: product.id,
    currency: 'JPY',
    unit_amount: 1500,
    recurring: { interval: 'month' },
  });
  assert.equal(price.currency, 'jpy', 'currencies are lower-cased');
  assert.equal(price.unit_amount, 1500);
  assert.equal(String(price.unit_amount_decimal), '1500');
});

test('a price created with product_data makes its product', async () => {
  const price = await stripe.prices.create({
    currency: 'eur',
    unit_amount: 999,
    product_data: { name: 'Inline product' },
  });
  const product = await stripe.products.retrieve(price.product);
  assert.equal(product.name, 'Inline product');
});

test('a price is updated: nickname, metadata, lookup_key and active', async () => {
  const product = await stripe.products.create({ name: 'Updatable' });
  const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100 });
  const updated = await stripe.prices.update(price.id, {
    nickname: 'Renamed',
    metadata: { a: '1' },
    lookup_key: 'updatable_monthly',
    active: false,
  });
  assert.equal(updated.nickname, 'Renamed');
  assert.deepEqual(updated.metadata, { a: '1' });
  assert.equal(updated.lookup_key, 'updatable_monthly');
  assert.equal(updated.active, false);
  assert.equal(updated.unit_amount, 100, 'amounts are immutable');
});

test('a lookup key moves to a new price only with transfer_lookup_key', async () => {
  const product = await stripe.products.create({ name: 'Lookup' });
  const first = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100, lookup_key: 'moving_key' });
  await rejectsWith(
    stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 200, lookup_key: 'moving_key' }),
    'StripeInvalidRequestError',
    { statusCode: 400 },
  );
  const second = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 200,
    lookup_key: 'moving_key',
    transfer_lookup_key: true,
  });
  assert.equal(second.lookup_key, 'moving_key');
  assert.equal((await stripe.prices.retrieve(first.id)).lookup_key, null);
});

test('prices are listed by active, product, type and lookup_keys', async () => {
  const product = await stripe.products.create({ name: 'Filters' });
  const other = await stripe.products.create({ name: 'Other filters' });
  const once = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100, lookup_key: 'f_once' });
  const monthly = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 1000,
    recurring: { interval: 'month' },
    lookup_key: 'f_monthly',
  });
  const retired = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 900,
    recurring: { interval: 'month' },
  });
  await stripe.prices.update(retired.id, { active: false });
  const elsewhere = await stripe.prices.create({ product: other.id, currency: 'usd', unit_amount: 5 });

  const ids = (list) => list.data.map((price) => price.id);
  // Without `active`, Stripe lists only active prices.
  assert.deepEqual(ids(await stripe.prices.list({ product: product.id })), [monthly.id, once.id]);
  assert.deepEqual(ids(await stripe.prices.list({ product: product.id, active: true })), [monthly.id, once.id]);
  assert.deepEqual(ids(await stripe.prices.list({ product: product.id, active: false })), [retired.id]);
  assert.deepEqual(ids(await stripe.prices.list({ product: product.id, type: 'one_time' })), [once.id]);
  assert.deepEqual(ids(await stripe.prices.list({ product: product.id, type: 'recurring' })), [monthly.id]);
  assert.deepEqual(ids(await stripe.prices.list({ lookup_keys: ['f_once', 'f_monthly'] })).sort(), [once.id, monthly.id].sort());
  assert.deepEqual(ids(await stripe.prices.list({ product: other.id })), [elsewhere.id]);
  const expanded = await stripe.prices.list({ lookup_keys: ['f_monthly'], expand: ['data.product'] });
  assert.equal(expanded.data[0].product.id, product.id);
  assert.equal(expanded.data[0].product.name, 'Filters');
});

test('every webhook this file caused passed stripe.webhooks.constructEvent', async () => {
  const events = await h.settle();
  assert.ok(events.length > 0);
  h.assertWebhooksValid();
  const types = new Set(h.events.map((event) => event.type));
  for (const type of ['product.created', 'product.updated', 'product.deleted', 'price.created', 'price.updated']) {
    assert.ok(types.has(type), `${type} was delivered`);
  }
});
