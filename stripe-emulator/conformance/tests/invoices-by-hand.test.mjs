// Invoices made and moved by hand through the SDK: invoice items, drafts, finalize, pay (card,
// 3-D Secure card, out of band), void, mark uncollectible, send; legacy plans; portal
// configurations. Each with the webhooks Stripe sends and its errors for the wrong state.

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

/** A customer with a pending 20.00 USD invoice item and a draft invoice holding it. */
async function draftWithItem(customerParams = {}, invoiceParams = {}) {
  const customer = await stripe.customers.create({ email: 'invoiced@example.com', ...customerParams });
  const item = await stripe.invoiceItems.create({ customer: customer.id, amount: 2000, currency: 'usd', description: 'Consulting' });
  const invoice = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', ...invoiceParams });
  return { customer, item, invoice };
}

test('a draft invoice takes the pending invoice items only when asked to include them', async () => {
  const customer = await stripe.customers.create({ email: 'pending@example.com' });
  const item = await stripe.invoiceItems.create({ customer: customer.id, amount: 1500, currency: 'usd' });
  const empty = await stripe.invoices.create({ customer: customer.id });
  assert.equal(empty.status, 'draft');
  assert.equal(empty.amount_due, 0);
  assert.equal((await stripe.invoiceItems.retrieve(item.id)).invoice, null);
  const full = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
  assert.equal(full.amount_due, 1500);
  assert.equal(full.lines.data[0].parent.invoice_item_details.invoice_item, item.id);
  assert.equal((await stripe.invoiceItems.retrieve(item.id)).invoice, full.id);
  const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
  assert.deepEqual(pending.data, []);
  await h.waitForEvent('invoice.created', (event) => event.data.object.id === full.id);
});

test('a draft is finalized once, paid with the customer card, and then can be neither deleted nor voided', async () => {
  const { customer, invoice } = await draftWithItem();
  const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  const open = await stripe.invoices.finalizeInvoice(invoice.id);
  assert.equal(open.status, 'open');
  assert.equal(typeof open.number, 'string');
  await rejectsWith(stripe.invoices.finalizeInvoice(invoice.id), 'StripeInvalidRequestError', { statusCode: 400 });
  const paid = await stripe.invoices.pay(invoice.id, { payment_method: card.id });
  assert.equal(paid.status, 'paid');
  assert.equal(paid.amount_paid, 2000);
  await h.waitForEvent('invoice.paid', (event) => event.data.object.id === invoice.id);
  await rejectsWith(stripe.invoices.del(invoice.id), 'StripeInvalidRequestError', { statusCode: 400 });
  await rejectsWith(stripe.invoices.voidInvoice(invoice.id), 'StripeInvalidRequestError', { statusCode: 400 });
});

test('paying with a card that needs 3-D Secure answers a card error and asks for action', async () => {
  const { customer, invoice } = await draftWithItem();
  const card = await stripe.paymentMethods.attach('pm_card_threeDSecure2Required', { customer: customer.id });
  const error = await rejectsWith(stripe.invoices.pay(invoice.id, { payment_method: card.id }), 'StripeCardError', { statusCode: 402 });
  assert.equal(error.code, 'invoice_payment_intent_requires_action');
  const event = await h.waitForEvent('invoice.payment_action_required', (event) => event.data.object.id === invoice.id);
  assert.equal(event.data.object.status, 'open');
});

test('an invoice paid out of band is paid without a charge', async () => {
  const { invoice } = await draftWithItem();
  const paid = await stripe.invoices.pay(invoice.id, { paid_out_of_band: true });
  assert.equal(paid.status, 'paid');
  assert.equal(paid.attempt_count, 0);
});

test('an open invoice is voided or marked uncollectible, and a draft cannot be', async () => {
  const { invoice } = await draftWithItem();
  await rejectsWith(stripe.invoices.voidInvoice(invoice.id), 'StripeInvalidRequestError', { statusCode: 400 });
  await rejectsWith(stripe.invoices.markUncollectible(invoice.id), 'StripeInvalidRequestError', { statusCode: 400 });
  await stripe.invoices.finalizeInvoice(invoice.id);
  const uncollectible = await stripe.invoices.markUncollectible(invoice.id);
  assert.equal(uncollectible.status, 'uncollectible');
  const voided = await stripe.invoices.voidInvoice(invoice.id);
  assert.equal(voided.status, 'void');
  await h.waitForEvent('invoice.voided', (event) => event.data.object.id === invoice.id);
});

test('sending finalizes a send_invoice draft with its due date and emits invoice.sent', async () => {
  const { invoice } = await draftWithItem({}, { collection_method: 'send_invoice', days_until_due: 7 });
  assert.equal(invoice.due_date, invoice.created + 7 * 86_400);
  const sent = await stripe.invoices.sendInvoice(invoice.id);
  assert.equal(sent.status, 'open');
  await h.waitForEvent('invoice.sent', (event) => event.data.object.id === invoice.id);
  const automatic = await draftWithItem();
  await rejectsWith(stripe.invoices.sendInvoice(automatic.invoice.id), 'StripeInvalidRequestError', { statusCode: 400 });
});

test('a deleted draft gives its invoice items back, and items on finalized invoices stay', async () => {
  const { item, invoice } = await draftWithItem();
  const deleted = await stripe.invoices.del(invoice.id);
  assert.deepEqual(deleted, { id: invoice.id, object: 'invoice', deleted: true });
  assert.equal((await stripe.invoiceItems.retrieve(item.id)).invoice, null);
  const again = await stripe.invoices.create({ customer: item.customer, pending_invoice_items_behavior: 'include' });
  await stripe.invoices.finalizeInvoice(again.id);
  await rejectsWith(stripe.invoiceItems.del(item.id), 'StripeInvalidRequestError', { statusCode: 400 });
});

test('a finalized invoice only takes metadata', async () => {
  const { invoice } = await draftWithItem();
  await stripe.invoices.finalizeInvoice(invoice.id);
  await rejectsWith(stripe.invoices.update(invoice.id, { description: 'Too late' }), 'StripeInvalidRequestError', { statusCode: 400 });
  const updated = await stripe.invoices.update(invoice.id, { metadata: { order: '42' } });
  assert.equal(updated.metadata.order, '42');
});

test('a plan is a recurring price with the same id, and both emit their events', async () => {
  const plan = await stripe.plans.create({ id: 'gold-monthly', currency: 'usd', interval: 'month', amount: 2000, product: { name: 'Gold' } });
  assert.equal(plan.object, 'plan');
  const price = await stripe.prices.retrieve('gold-monthly');
  assert.equal(price.unit_amount, 2000);
  assert.equal(price.recurring.interval, 'month');
  await rejectsWith(
    stripe.plans.create({ id: 'gold-monthly', currency: 'usd', interval: 'month', amount: 1, product: price.product }),
    'StripeInvalidRequestError',
    { statusCode: 400 },
  );
  const updated = await stripe.plans.update(plan.id, { metadata: { tier: 'gold' } });
  assert.equal(updated.metadata.tier, 'gold');
  await h.waitForEvent('plan.updated', (event) => event.data.object.id === plan.id);
  await h.waitForEvent('price.updated', (event) => event.data.object.id === plan.id);
  assert.deepEqual(await stripe.plans.del(plan.id), { id: plan.id, object: 'plan', deleted: true });
  await rejectsWith(stripe.plans.retrieve(plan.id), 'StripeInvalidRequestError', { statusCode: 404 });
});

test('a portal configuration is created, updated and named by a portal session', async () => {
  const configuration = await stripe.billingPortal.configurations.create({
    business_profile: { headline: 'Manage your plan' },
    features: { subscription_cancel: { enabled: true, mode: 'immediately' } },
  });
  assert.equal(configuration.features.subscription_cancel.mode, 'immediately');
  const updated = await stripe.billingPortal.configurations.update(configuration.id, { active: false });
  assert.equal(updated.active, false);
  await h.waitForEvent('billing_portal.configuration.updated', (event) => event.data.object.id === configuration.id);
  const customer = await stripe.customers.create({ email: 'portal@example.com' });
  const session = await stripe.billingPortal.sessions.create({ customer: customer.id, configuration: configuration.id });
  assert.equal(session.configuration, configuration.id);
  await rejectsWith(stripe.billingPortal.sessions.create({ customer: customer.id, configuration: 'bpc_missing' }), 'StripeInvalidRequestError', { statusCode: 404 });
  await rejectsWith(stripe.billingPortal.configurations.create({}), 'StripeInvalidRequestError', { statusCode: 400 });
});
