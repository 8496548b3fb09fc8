import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith } from './harness.mjs';

let h;
let stripe;
let hobby;
let pro;
before(async () => {
  h = await startEmulator();
  stripe = h.stripe;
  hobby = await h.monthlyPrice({ name: 'Hobby', amount: 1000 });
  pro = await h.monthlyPrice({ name: 'Pro', amount: 3000 });
});
after(async () => {
  await h?.stop();
});

test('a subscription invoice is retrieved with the basil-era shape', async () => {
  const { customer } = await h.customerWithCard('pm_card_visa', { name: 'Invoice Person' });
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id, quantity: 2 }] });
  const invoice = await stripe.invoices.retrieve(subscription.latest_invoice);
  assert.match(invoice.id, /^in_/);
  assert.equal(invoice.object, 'invoice');
  assert.equal(invoice.customer, customer.id);
  assert.equal(invoice.customer_email, 'card@example.com');
  assert.equal(invoice.customer_name, 'Invoice Person');
  assert.equal(invoice.status, 'paid');
  assert.equal(invoice.currency, 'usd');
  assert.equal(invoice.amount_due, 2000);
  assert.equal(invoice.amount_paid, 2000);
  assert.equal(invoice.amount_remaining, 0);
  assert.equal(invoice.total, 2000);
  assert.equal(invoice.subtotal, 2000);
  assert.equal(invoice.billing_reason, 'subscription_create');
  assert.equal(invoice.collection_method, 'charge_automatically');
  assert.equal(typeof invoice.number, 'string');
  assert.ok(invoice.hosted_invoice_url.startsWith(h.base), invoice.hosted_invoice_url);
  assert.ok(invoice.invoice_pdf.startsWith(h.base), invoice.invoice_pdf);
  assert.equal(invoice.parent.type, 'subscription_details');
  assert.equal(invoice.parent.subscription_details.subscription, subscription.id);
  assert.equal(typeof invoice.status_transitions.paid_at, 'number');
  assert.equal(invoice.lines.object, 'list');
  assert.equal(invoice.lines.data.length, 1);
  const [line] = invoice.lines.data;
  assert.match(line.id, /^il_/);
  assert.equal(line.object, 'line_item');
  assert.equal(line.amount, 2000);
  assert.equal(line.quantity, 2);
  assert.equal(line.invoice, invoice.id);
  assert.equal(line.parent.type, 'subscription_item_details');
  assert.equal(line.parent.subscription_item_details.subscription, subscription.id);
  assert.equal(line.parent.subscription_item_details.subscription_item, subscription.items.data[0].id);
  assert.equal(line.parent.subscription_item_details.proration, false);
  assert.equal(line.pricing.price_details.price, hobby.id);
  assert.equal(line.period.start, subscription.items.data[0].current_period_start);
  assert.equal(line.period.end, subscription.items.data[0].current_period_end);
  const page = await fetch(invoice.hosted_invoice_url);
  assert.equal(page.status, 200);
  await page.text();
});

test('invoice lines are listed through listLineItems', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: hobby.id }, { price: pro.id }],
  });
  const lines = await stripe.invoices.listLineItems(subscription.latest_invoice);
  assert.equal(lines.object, 'list');
  assert.equal(lines.url, `/v1/invoices/${subscription.latest_invoice}/lines`);
  assert.deepEqual(lines.data.map((line) => line.amount).sort(), [1000, 3000]);
  const one = await stripe.invoices.listLineItems(subscription.latest_invoice, { limit: 1 });
  assert.equal(one.data.length, 1);
  assert.equal(one.has_more, true);
});

test('invoices are listed by customer and by subscription', async () => {
  const { customer } = await h.customerWithCard();
  const a = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] });
  const b = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
  const byCustomer = await stripe.invoices.list({ customer: customer.id });
  assert.equal(byCustomer.url, '/v1/invoices');
  assert.deepEqual(byCustomer.data.map((invoice) => invoice.id), [b.latest_invoice, a.latest_invoice]);
  const bySubscription = await stripe.invoices.list({ subscription: a.id });
  assert.deepEqual(bySubscription.data.map((invoice) => invoice.id), [a.latest_invoice]);
  const paid = await stripe.invoices.list({ customer: customer.id, status: 'paid' });
  assert.equal(paid.data.length, 2);
});

test('createPreview shows the prorations a price swap would create, without storing anything', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: hobby.id }] });
  const [item] = subscription.items.data;
  await h.advance({ days: 10 });
  const preview = await stripe.invoices.createPreview({
    customer: customer.id,
    subscription: subscription.id,
    subscription_details: {
      items: [{ id: item.id, price: pro.id }],
      proration_behavior: 'create_prorations',
    },
  });
  assert.equal(preview.object, 'invoice');
  assert.equal(preview.customer, customer.id);
  assert.equal(preview.parent.subscription_details.subscription, subscription.id);
  const prorations = preview.lines.data.filter((line) => line.parent.subscription_item_details.proration);
  assert.equal(prorations.length, 2);
  const [credit, charge] = prorations.map((line) => line.amount);
  assert.ok(credit < 0, `credit for unused Hobby time: ${credit}`);
  assert.ok(charge > 0, `charge for remaining Pro time: ${charge}`);
  assert.ok(Math.abs(charge + 3 * credit) <= 2, 'credit and charge cover the same time');
  const next = preview.lines.data.filter((line) => !line.parent.subscription_item_details.proration);
  assert.deepEqual(next.map((line) => line.amount), [3000], 'the next period at the new price');
  assert.equal(preview.total, 3000 + credit + charge);

  const unchanged = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(unchanged.items.data[0].price.id, hobby.id, 'a preview changes nothing');
  const invoices = await stripe.invoices.list({ subscription: subscription.id });
  assert.equal(invoices.data.length, 1, 'a preview is not stored');
});

test('createPreview with no changes shows the next renewal', async () => {
  const { customer } = await h.customerWithCard();
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
  const preview = await stripe.invoices.createPreview({ subscription: subscription.id });
  assert.equal(preview.total, 3000);
  assert.equal(preview.lines.data[0].period.start, subscription.items.data[0].current_period_end);
});

async function incompleteSubscription() {
  const { customer } = await h.customerWithCard('pm_card_chargeCustomerFail');
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: hobby.id }],
    payment_behavior: 'allow_incomplete',
  });
  assert.equal(subscription.status, 'incomplete');
  const open = await stripe.invoices.retrieve(subscription.latest_invoice);
  assert.equal(open.status, 'open');
  assert.equal(open.attempt_count, 1);
  return { customer, subscription, open };
}

test('an open invoice is paid with invoices.pay once the customer has a working default card', async () => {
  const { customer, subscription, open } = await incompleteSubscription();
  await rejectsWith(stripe.invoices.pay(open.id), 'StripeCardError', { statusCode: 402 });
  const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
  const paid = await stripe.invoices.pay(open.id);
  assert.equal(paid.status, 'paid');
  assert.equal(paid.amount_paid, 1000);
  assert.equal(paid.amount_remaining, 0);
  await rejectsWith(stripe.invoices.pay(open.id), 'StripeInvalidRequestError', { statusCode: 400 });
  await h.waitForEvent('invoice.paid', (event) => event.data.object.id === open.id);
  assert.ok(subscription.id);
});

test('paying the first invoice of an incomplete subscription makes it active', async () => {
  const { customer, subscription, open } = await incompleteSubscription();
  const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
  await stripe.invoices.pay(open.id);
  const active = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(active.status, 'active');
  await h.waitForEvent(
    'customer.subscription.updated',
    (event) => event.data.object.id === subscription.id && event.data.object.status === 'active',
    { timeout: 2000 },
  );
});

test('invoices.pay charges the payment_method it is given', async () => {
  const { customer, open } = await incompleteSubscription();
  const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  const paid = await stripe.invoices.pay(open.id, { payment_method: card.id });
  assert.equal(paid.status, 'paid');
  assert.equal(paid.amount_paid, 1000);
});

test('an unknown invoice is a missing resource', async () => {
  await rejectsWith(stripe.invoices.retrieve('in_doesnotexist'), 'StripeInvalidRequestError', {
    statusCode: 404,
    code: 'resource_missing',
    param: 'invoice',
  });
});

test('every webhook this file caused passed stripe.webhooks.constructEvent', async () => {
  await h.settle();
  h.assertWebhooksValid();
});
