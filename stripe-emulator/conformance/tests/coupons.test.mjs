// Coupons, promotion codes and the discounts they make: validation in Stripe's words, the
// promotion code rules, a code typed on the hosted Checkout page, invoice discount amounts for
// once / repeating / forever coupons across renewals, and redemption limits.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith } from './harness.mjs';

let h;
let stripe;
let price;
before(async () => {
  h = await startEmulator();
  stripe = h.stripe;
  price = await h.monthlyPrice({ name: 'Discounted', amount: 2000 });
});
after(async () => {
  await h?.stop();
});

test('a coupon is created, retrieved, renamed, listed and deleted with its events', async () => {
  const coupon = await stripe.coupons.create({ percent_off: 25.5, duration: 'repeating', duration_in_months: 3, name: 'Quarter', metadata: { a: '1' } });
  assert.match(coupon.id, /^[A-Z0-9]{8}$/);
  assert.equal(coupon.object, 'coupon');
  assert.equal(coupon.percent_off, 25.5);
  assert.equal(coupon.amount_off, null);
  assert.equal(coupon.duration_in_months, 3);
  assert.equal(coupon.valid, true);
  assert.equal(coupon.times_redeemed, 0);
  const renamed = await stripe.coupons.update(coupon.id, { name: 'Quarter off', metadata: { b: '2' } });
  assert.equal(renamed.name, 'Quarter off');
  assert.deepEqual(renamed.metadata, { a: '1', b: '2' });
  const own = await stripe.coupons.create({ id: 'TENOFF', amount_off: 1000, currency: 'USD', duration: 'once' });
  assert.equal(own.currency, 'usd');
  const listed = await stripe.coupons.list({ limit: 100 });
  assert.ok(listed.data.some((each) => each.id === 'TENOFF'));
  const deleted = await stripe.coupons.del('TENOFF');
  assert.deepEqual(deleted, { id: 'TENOFF', object: 'coupon', deleted: true });
  await rejectsWith(stripe.coupons.retrieve('TENOFF'), 'StripeInvalidRequestError', { statusCode: 404, code: 'resource_missing' });
  for (const type of ['coupon.created', 'coupon.updated', 'coupon.deleted']) {
    await h.waitForEvent(type);
  }
});

test('a coupon is refused as Stripe refuses it', async () => {
  await rejectsWith(stripe.coupons.create({ percent_off: 10, amount_off: 100, currency: 'usd' }), 'StripeInvalidRequestError', {
    message: 'You may only specify one of these parameters: amount_off, percent_off.',
  });
  await rejectsWith(stripe.coupons.create({ duration: 'once' }), 'StripeInvalidRequestError', {
    message: 'You must pass either `percent_off` or `amount_off`.',
  });
  await rejectsWith(stripe.coupons.create({ percent_off: 10, duration: 'repeating' }), 'StripeInvalidRequestError', {
    param: 'duration_in_months',
  });
  await rejectsWith(stripe.coupons.create({ percent_off: 10, duration: 'forever', duration_in_months: 2 }), 'StripeInvalidRequestError', {
    param: 'duration_in_months',
  });
  await rejectsWith(stripe.coupons.create({ amount_off: 500 }), 'StripeInvalidRequestError', { param: 'currency' });
  await rejectsWith(stripe.coupons.create({ percent_off: 120 }), 'StripeInvalidRequestError', { param: 'percent_off' });
  await rejectsWith(stripe.coupons.create({ percent_off: 10, duration: 'sometimes' }), 'StripeInvalidRequestError', { param: 'duration' });
  await stripe.coupons.create({ id: 'TWICE', percent_off: 5 });
  await rejectsWith(stripe.coupons.create({ id: 'TWICE', percent_off: 5 }), 'StripeInvalidRequestError', { code: 'resource_already_exists' });
});

test('promotion codes take their coupon under promotion, generate codes and stay unique while active', async () => {
  const coupon = await stripe.coupons.create({ percent_off: 20, duration: 'forever' });
  const generated = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
  assert.match(generated.id, /^promo_/);
  assert.match(generated.code, /^[A-Z0-9]+$/);
  assert.deepEqual(generated.promotion, { coupon: coupon.id, type: 'coupon' });
  assert.deepEqual(generated.restrictions, { first_time_transaction: false, minimum_amount: null, minimum_amount_currency: null });
  const fall = await stripe.promotionCodes.create({
    promotion: { type: 'coupon', coupon: coupon.id },
    code: 'FALL20',
    max_redemptions: 5,
    restrictions: { minimum_amount: 1000, minimum_amount_currency: 'usd' },
    metadata: { campaign: 'fall' },
  });
  await rejectsWith(stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'fall20' }), 'StripeInvalidRequestError', {
    message: 'An active promotion code with `code: fall20` already exists.',
  });
  await rejectsWith(stripe.promotionCodes.create({ coupon: coupon.id }), 'StripeInvalidRequestError', { code: 'parameter_unknown' });
  await rejectsWith(stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'NOPE' } }), 'StripeInvalidRequestError', { statusCode: 404 });
  const paused = await stripe.promotionCodes.update(fall.id, { active: false });
  assert.equal(paused.active, false);
  assert.deepEqual((await stripe.promotionCodes.list({ code: 'FALL20' })).data.map((code) => code.id), [fall.id]);
  assert.ok((await stripe.promotionCodes.list({ active: false })).data.every((code) => code.active === false));
  assert.equal((await stripe.promotionCodes.list({ coupon: coupon.id })).data.length, 2);
  await h.waitForEvent('promotion_code.created');
  await h.waitForEvent('promotion_code.updated', (event) => event.data.object.id === fall.id);
});

test('a promotion code typed on the hosted Checkout page discounts the subscription', async () => {
  const coupon = await stripe.coupons.create({ percent_off: 50, duration: 'once' });
  await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'HALFOFF' });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    allow_promotion_codes: true,
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: 'https://app.example.com/ok',
  });
  const page = await h.raw('GET', `/checkout/${session.id}`, { key: null });
  assert.match(page.text, /<label for="promotion_code">Promotion code<\/label><input id="promotion_code" name="promotion_code"/);
  const card = { email: 'promo@example.com', card_number: '4242424242424242', card_expiry: '12 / 34', card_cvc: '123' };
  const wrong = await h.raw('POST', `/checkout/${session.id}`, { form: { ...card, promotion_code: 'NOSUCHCODE' }, key: null, redirect: 'manual' });
  assert.match(wrong.text, /This code is invalid\./);
  const paid = await h.raw('POST', `/checkout/${session.id}`, { form: { ...card, promotion_code: 'halfoff' }, key: null, redirect: 'manual' });
  assert.equal(paid.status, 303, paid.text);
  const completed = await stripe.checkout.sessions.retrieve(session.id);
  assert.equal(completed.amount_subtotal, 2000);
  assert.equal(completed.amount_total, 1000);
  assert.equal(completed.total_details.amount_discount, 1000);
  const subscription = await stripe.subscriptions.retrieve(completed.subscription, { expand: ['latest_invoice'] });
  // A once coupon is spent on the first invoice: the subscription keeps no discount.
  assert.deepEqual(subscription.discounts, []);
  const invoice = subscription.latest_invoice;
  assert.equal(invoice.subtotal, 2000);
  assert.equal(invoice.amount_due, 1000);
  assert.equal(invoice.amount_paid, 1000);
  assert.equal(invoice.total_discount_amounts[0].amount, 1000);
  assert.match(invoice.discounts[0], /^di_/);
  const created = await h.waitForEvent('customer.discount.created', (event) => event.data.object.checkout_session === session.id);
  assert.equal(created.data.object.source.coupon, coupon.id);
  assert.equal((await stripe.coupons.retrieve(coupon.id)).times_redeemed, 1);
});

test('Checkout refuses discounts together with allow_promotion_codes, and applies discounts[0][coupon]', async () => {
  const coupon = await stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'forever' });
  await rejectsWith(
    stripe.checkout.sessions.create({
      mode: 'subscription',
      allow_promotion_codes: true,
      discounts: [{ coupon: coupon.id }],
      line_items: [{ price: price.id }],
      success_url: 'https://app.example.com/ok',
    }),
    'StripeInvalidRequestError',
    { message: 'You may only specify one of these parameters: allow_promotion_codes, discounts.' },
  );
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    discounts: [{ coupon: coupon.id }],
    line_items: [{ price: price.id }],
    success_url: 'https://app.example.com/ok',
  });
  assert.deepEqual(session.discounts, [{ coupon: coupon.id, promotion_code: null }]);
  assert.equal(session.amount_total, 1500);
});

/** A subscription to the 20.00 price with a coupon; the amounts due of its first `count` invoices. */
async function amountsDue(coupon, count) {
  const { customer } = await h.customerWithCard('pm_card_visa');
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon: coupon.id }] });
  assert.equal(subscription.discounts.length, coupon.duration === 'once' ? 0 : 1);
  for (let renewal = 1; renewal < count; renewal += 1) {
    await h.advance({ days: 31 });
  }
  const invoices = await stripe.invoices.list({ subscription: subscription.id, limit: 100 });
  return invoices.data.map((invoice) => invoice.amount_due).reverse();
}

test('invoice discounts follow the coupon duration across renewals', async () => {
  const once = await stripe.coupons.create({ percent_off: 50, duration: 'once' });
  const repeating = await stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'repeating', duration_in_months: 2 });
  const forever = await stripe.coupons.create({ percent_off: 10, duration: 'forever' });
  assert.deepEqual(await amountsDue(once, 3), [1000, 2000, 2000]);
  assert.deepEqual(await amountsDue(repeating, 4), [1500, 1500, 2000, 2000]);
  assert.deepEqual(await amountsDue(forever, 3), [1800, 1800, 1800]);
  await h.waitForEvent('customer.discount.deleted');
});

test('a subscription update replaces its discounts', async () => {
  const coupon = await stripe.coupons.create({ percent_off: 10, duration: 'forever' });
  const { customer } = await h.customerWithCard('pm_card_visa');
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const discounted = await stripe.subscriptions.update(subscription.id, { discounts: [{ coupon: coupon.id }] });
  assert.equal(discounted.discounts.length, 1);
  const expanded = await stripe.subscriptions.retrieve(subscription.id, { expand: ['discounts'] });
  assert.equal(expanded.discounts[0].object, 'discount');
  assert.equal(expanded.discounts[0].subscription, subscription.id);
  const cleared = await stripe.subscriptions.update(subscription.id, { discounts: '' });
  assert.deepEqual(cleared.discounts, []);
  await h.waitForEvent('customer.discount.deleted', (event) => event.data.object.id === discounted.discounts[0]);
});

test('redemption limits are enforced on coupons and promotion codes', async () => {
  const coupon = await stripe.coupons.create({ percent_off: 10, duration: 'forever', max_redemptions: 1 });
  const code = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: (await stripe.coupons.create({ percent_off: 5 })).id }, max_redemptions: 1 });
  const { customer } = await h.customerWithCard('pm_card_visa');
  await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon: coupon.id }] });
  const spent = await stripe.coupons.retrieve(coupon.id);
  assert.equal(spent.times_redeemed, 1);
  assert.equal(spent.valid, false);
  await rejectsWith(
    stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], discounts: [{ coupon: coupon.id }] }),
    'StripeInvalidRequestError',
    { code: 'coupon_expired', param: 'discounts[0][coupon]' },
  );
  await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], discounts: [{ promotion_code: code.id }] });
  assert.equal((await stripe.promotionCodes.retrieve(code.id)).times_redeemed, 1);
  await rejectsWith(
    stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], discounts: [{ promotion_code: code.id }] }),
    'StripeInvalidRequestError',
    { param: 'discounts[0][promotion_code]' },
  );
});
