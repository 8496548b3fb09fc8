// Compares the top-level keys of real emulator objects, as the API returns them and as webhooks
// carry them, with Stripe's own example objects (stripe-fixtures.json, a subset of stripe/openapi's
// fixtures3.json). Every fixture key must be present, or listed in not-emulated.json with a reason.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startEmulator, collectObjects, CONFORMANCE_DIR, DAY } from './harness.mjs';

const fixtures = JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, 'stripe-fixtures.json'), 'utf8'));
const notEmulated = JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, 'not-emulated.json'), 'utf8'));
const types = Object.keys(fixtures).filter((key) => !key.startsWith('_'));

/** Object types whose missing fixture keys are open findings (see FINDINGS.md). */
const openFindings = {};

/** Object types whose missing always-present SDK fields are open findings (see FINDINGS.md). */
const openTypeFindings = {};

/** Where stripe@23.1.0 declares each object's interface (its types are generated from Stripe's OpenAPI spec). */
const sdkInterfaces = {
  product: ['Products.d.ts', 'Product'],
  price: ['Prices.d.ts', 'Price'],
  customer: ['Customers.d.ts', 'Customer'],
  payment_method: ['PaymentMethods.d.ts', 'PaymentMethod'],
  'checkout.session': ['Checkout/Sessions.d.ts', 'Session'],
  'billing_portal.session': ['BillingPortal/Sessions.d.ts', 'Session'],
  subscription: ['Subscriptions.d.ts', 'Subscription'],
  subscription_item: ['SubscriptionItems.d.ts', 'SubscriptionItem'],
  plan: ['Plans.d.ts', 'Plan'],
  invoice: ['Invoices.d.ts', 'Invoice'],
  line_item: ['InvoiceLineItems.d.ts', 'InvoiceLineItem'],
  item: ['LineItems.d.ts', 'LineItem'],
  webhook_endpoint: ['WebhookEndpoints.d.ts', 'WebhookEndpoint'],
  'test_helpers.test_clock': ['TestHelpers/TestClocks.d.ts', 'TestClock'],
  invoiceitem: ['InvoiceItems.d.ts', 'InvoiceItem'],
  'billing_portal.configuration': ['BillingPortal/Configurations.d.ts', 'Configuration'],
  payment_intent: ['PaymentIntents.d.ts', 'PaymentIntent'],
  setup_intent: ['SetupIntents.d.ts', 'SetupIntent'],
  charge: ['Charges.d.ts', 'Charge'],
  balance_transaction: ['BalanceTransactions.d.ts', 'BalanceTransaction'],
  refund: ['Refunds.d.ts', 'Refund'],
  dispute: ['Disputes.d.ts', 'Dispute'],
  file: ['Files.d.ts', 'File'],
  file_link: ['FileLinks.d.ts', 'FileLink'],
  payout: ['Payouts.d.ts', 'Payout'],
  card: ['Cards.d.ts', 'Card'],
  token: ['Tokens.d.ts', 'Token'],
  topup: ['Topups.d.ts', 'Topup'],
  account: ['Accounts.d.ts', 'Account'],
  bank_account: ['BankAccounts.d.ts', 'BankAccount'],
  capability: ['Capabilities.d.ts', 'Capability'],
  transfer: ['Transfers.d.ts', 'Transfer'],
  transfer_reversal: ['TransferReversals.d.ts', 'TransferReversal'],
  coupon: ['Coupons.d.ts', 'Coupon'],
  promotion_code: ['PromotionCodes.d.ts', 'PromotionCode'],
  discount: ['Discounts.d.ts', 'Discount'],
  subscription_schedule: ['SubscriptionSchedules.d.ts', 'SubscriptionSchedule'],
  tax_rate: ['TaxRates.d.ts', 'TaxRate'],
  tax_id: ['TaxIds.d.ts', 'TaxId'],
  'billing.meter': ['Billing/Meters.d.ts', 'Meter'],
  'billing.meter_event': ['Billing/MeterEvents.d.ts', 'MeterEvent'],
  'billing.meter_event_adjustment': ['Billing/MeterEventAdjustments.d.ts', 'MeterEventAdjustment'],
  'billing.meter_event_summary': ['Billing/MeterEventSummaries.d.ts', 'MeterEventSummary'],
  'billing.credit_grant': ['Billing/CreditGrants.d.ts', 'CreditGrant'],
  'billing.credit_balance_summary': ['Billing/CreditBalanceSummary.d.ts', 'CreditBalanceSummary'],
  'billing.credit_balance_transaction': ['Billing/CreditBalanceTransactions.d.ts', 'CreditBalanceTransaction'],
};

/** The fields an SDK interface declares without `?` (always present in API responses). */
function sdkRequiredFields([file, name]) {
  const source = readFileSync(path.join(CONFORMANCE_DIR, 'node_modules/stripe/esm/resources', file), 'utf8');
  const body = new RegExp(`^export interface ${name} \\{\\n([\\s\\S]*?)^\\}`, 'm').exec(source);
  assert.ok(body, `interface ${name} in ${file}`);
  return [...body[1].matchAll(/^ {4}([a-z_0-9]+): /gm)].map((match) => match[1]);
}

/** Types that no webhook carries (no event type exists for them, or none the emulator sends). */
const apiOnly = new Set([
  'billing_portal.session',
  'webhook_endpoint',
  'item',
  'deleted_product',
  'deleted_customer',
  'deleted_webhook_endpoint',
  'deleted_test_helpers.test_clock',
  'deleted_invoiceitem',
  'deleted_plan',
  'deleted_invoice',
  'file',
  'file_link',
  'token',
  'deleted_card',
  'account_link',
  'login_link',
  'billing.meter_event',
  'billing.meter_event_adjustment',
  'billing.meter_event_summary',
  'billing.credit_balance_summary',
]);

/** Types that only webhooks carry (no API route answers them). */
const webhookOnly = new Set(['application']);

let h;
const seen = new Map();
function record(value, source = 'api') {
  collectObjects(value, seen, source);
  return value;
}

before(async () => {
  h = await startEmulator({ connect: true });
  const { stripe } = h;
  // Catalog.
  const product = record(await stripe.products.create({ name: 'Fixture product', metadata: { a: '1' } }));
  record(await stripe.products.update(product.id, { description: 'Described' }));
  record(await stripe.products.list({ limit: 3 }));
  const price = record(await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' } }));
  const other = record(await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 4500, recurring: { interval: 'month' } }));
  record(await stripe.prices.update(price.id, { nickname: 'Monthly' }));
  record(await stripe.prices.list({ product: product.id }));
  const doomed = await stripe.products.create({ name: 'Deleted product' });
  record(await stripe.products.del(doomed.id));

  // Customers and payment methods.
  const customer = record(await stripe.customers.create({ email: 'fixture@example.com', name: 'Fixture' }));
  const paymentMethod = record(await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id }));
  record(await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: paymentMethod.id } }));
  record(await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_mastercard' } }));
  record(await stripe.customers.listPaymentMethods(customer.id));
  const gone = await stripe.customers.create({ email: 'gone@example.com' });
  record(await stripe.customers.del(gone.id));

  // Payments.
  const intent = record(
    await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      allowed_payment_method_types: ['card'],
      payment_method: 'pm_card_visa',
      confirm: true,
    }),
  );
  record(await stripe.charges.retrieve(intent.latest_charge));
  record(await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_visa', confirm: true }));

  // The money after the sale.
  const refunded = await stripe.paymentIntents.create({
    amount: 3000,
    currency: 'usd',
    allowed_payment_method_types: ['card'],
    payment_method: 'pm_card_bypassPending',
    confirm: true,
  });
  const refund = record(await stripe.refunds.create({ payment_intent: refunded.id, amount: 500 }));
  record(await stripe.refunds.update(refund.id, { metadata: { a: '1' } }));
  record(await stripe.balance.retrieve());
  record(await stripe.balanceTransactions.list({ limit: 5 }));
  const disputed = await stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    allowed_payment_method_types: ['card'],
    payment_method: 'pm_card_createDispute',
    confirm: true,
  });
  const [dispute] = record(await stripe.disputes.list({ payment_intent: disputed.id })).data;
  const evidence = record(
    await stripe.files.create({
      purpose: 'dispute_evidence',
      file: { data: Buffer.from('%PDF-1.4 evidence'), name: 'evidence.pdf', type: 'application/pdf' },
      file_link_data: { create: true },
    }),
  );
  record(await stripe.disputes.update(dispute.id, { evidence: { receipt: evidence.id, uncategorized_text: 'winning_evidence' } }));
  const payout = record(await stripe.payouts.create({ amount: 500, currency: 'usd' }));
  record(await stripe.payouts.update(payout.id, { metadata: { a: '1' } }));
  const topup = record(await stripe.topups.create({ amount: 700, currency: 'usd', description: 'Fixture top-up' }));
  record(await stripe.topups.update(topup.id, { metadata: { a: '1' } }));
  record(await stripe.topups.cancel(topup.id));

  // The older card sources.
  const token = record(await stripe.tokens.create({ card: { number: '4242424242424242', exp_month: '8', exp_year: '2031' } }));
  const card = record(await stripe.customers.createSource(customer.id, { source: token.id }));
  record(await stripe.customers.updateSource(customer.id, card.id, { name: 'Jenny Rosen' }));
  record(await stripe.customers.listSources(customer.id, { object: 'card' }));
  const spare = await stripe.customers.createSource(customer.id, { source: 'tok_visa' });
  record(await stripe.customers.deleteSource(customer.id, spare.id));

  // Checkout and the portal.
  const session = record(
    await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://app.example.com/ok?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example.com/cancel',
    }),
  );
  record(await stripe.checkout.sessions.listLineItems(session.id));
  await h.payCheckout(session.id, { email: 'fixture@example.com' });
  const completed = record(await stripe.checkout.sessions.retrieve(session.id, { expand: ['line_items'] }));
  const expiring = await stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: (await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100 })).id }],
    success_url: 'https://app.example.com/ok',
  });
  record(await stripe.checkout.sessions.expire(expiring.id));
  record(await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://app.example.com' }));

  // Subscriptions and invoices.
  const subscription = record(await stripe.subscriptions.retrieve(completed.subscription, { expand: ['latest_invoice'] }));
  record(await stripe.subscriptionItems.list({ subscription: subscription.id }));
  record(
    await stripe.subscriptions.update(subscription.id, {
      items: [{ id: subscription.items.data[0].id, price: other.id }],
      proration_behavior: 'create_prorations',
    }),
  );
  record(
    await stripe.invoices.createPreview({
      subscription: subscription.id,
      subscription_details: { items: [{ id: subscription.items.data[0].id, price: price.id }] },
    }),
  );
  await h.advance({ days: 32 });
  record(await stripe.invoices.list({ subscription: subscription.id }));
  record(await stripe.invoices.listLineItems(subscription.latest_invoice.id));
  record(await stripe.subscriptions.cancel(subscription.id));

  // Coupons, promotion codes and the discounts they make.
  const coupon = record(await stripe.coupons.create({ percent_off: 25.5, duration: 'repeating', duration_in_months: 3 }));
  record(await stripe.coupons.update(coupon.id, { metadata: { a: '1' } }));
  record(await stripe.coupons.list({ limit: 3 }));
  const promotionCode = record(await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'FIXTURE25' }));
  record(await stripe.promotionCodes.update(promotionCode.id, { metadata: { a: '1' } }));
  record(await stripe.promotionCodes.list({ limit: 3 }));
  const discounted = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], discounts: [{ promotion_code: promotionCode.id }] });
  record(await stripe.subscriptions.retrieve(discounted.id, { expand: ['discounts', 'latest_invoice'] }));

  // Subscription schedules, tax rates and customer tax IDs.
  const scheduled = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 2 }] });
  const schedule = record(await stripe.subscriptionSchedules.create({ from_subscription: scheduled.id }));
  record(await stripe.subscriptionSchedules.update(schedule.id, { metadata: { a: '1' } }));
  record(await stripe.subscriptionSchedules.list({ customer: customer.id }));
  record(await stripe.subscriptionSchedules.release(schedule.id));
  const rate = record(await stripe.taxRates.create({ display_name: 'VAT', percentage: 19, inclusive: false, country: 'DE' }));
  record(await stripe.taxRates.update(rate.id, { metadata: { a: '1' } }));
  record(await stripe.taxRates.list({ limit: 3 }));
  const taxId = record(await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'DE123456789' }));
  record(await stripe.customers.listTaxIds(customer.id));
  record(await stripe.customers.deleteTaxId(customer.id, taxId.id));

  // Plans, invoice items, invoices made by hand, portal configurations.
  const plan = record(await stripe.plans.create({ currency: 'usd', interval: 'month', amount: 900, product: { name: 'Plan product' } }));
  record(await stripe.plans.update(plan.id, { nickname: 'Legacy' }));
  record(await stripe.plans.list({ limit: 3 }));
  record(await stripe.plans.del(plan.id));
  const item = record(await stripe.invoiceItems.create({ customer: customer.id, amount: 700, currency: 'usd', description: 'Setup' }));
  record(await stripe.invoiceItems.update(item.id, { metadata: { a: '1' } }));
  const draft = record(await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' }));
  record(await stripe.invoices.update(draft.id, { metadata: { a: '1' } }));
  record(await stripe.invoices.finalizeInvoice(draft.id));
  record(await stripe.invoices.pay(draft.id, { payment_method: paymentMethod.id }));
  const extra = await stripe.invoiceItems.create({ customer: customer.id, amount: 100, currency: 'usd' });
  record(await stripe.invoiceItems.del(extra.id));
  const unwanted = await stripe.invoices.create({ customer: customer.id });
  record(await stripe.invoices.del(unwanted.id));
  const portal = record(await stripe.billingPortal.configurations.create({ features: { invoice_history: { enabled: true } } }));
  record(await stripe.billingPortal.configurations.update(portal.id, { metadata: { a: '1' } }));
  record(await stripe.billingPortal.configurations.list({ limit: 3 }));

  // Usage-based billing: a meter, its events and summaries, a metered price, credits.
  const meter = record(await stripe.billing.meters.create({ display_name: 'Calls', event_name: 'fixture_calls', default_aggregation: { formula: 'sum' } }));
  record(await stripe.billing.meters.update(meter.id, { display_name: 'API calls' }));
  record(await stripe.billing.meters.list({ limit: 3 }));
  const metered = record(
    await stripe.prices.create({ product: price.product, currency: 'usd', unit_amount: 1, recurring: { interval: 'month', usage_type: 'metered', meter: meter.id } }),
  );
  record(await stripe.subscriptions.create({ customer: customer.id, items: [{ price: metered.id }] }));
  const at = await h.now();
  record(await stripe.billing.meterEvents.create({ event_name: 'fixture_calls', payload: { stripe_customer_id: customer.id, value: '3' }, identifier: 'fixture-1', timestamp: at }));
  record(await stripe.billing.meterEventAdjustments.create({ event_name: 'fixture_calls', type: 'cancel', cancel: { identifier: 'fixture-1' } }));
  record(await stripe.billing.meters.listEventSummaries(meter.id, { customer: customer.id, start_time: at - (at % 60), end_time: at - (at % 60) + 60 }));
  record(await stripe.billing.meters.deactivate(meter.id));
  record(await stripe.billing.meters.reactivate(meter.id));
  const grant = record(
    await stripe.billing.creditGrants.create({
      customer: customer.id,
      amount: { type: 'monetary', monetary: { value: 500, currency: 'usd' } },
      applicability_config: { scope: { price_type: 'metered' } },
    }),
  );
  record(await stripe.billing.creditGrants.update(grant.id, { metadata: { a: '1' } }));
  record(await stripe.billing.creditGrants.list({ customer: customer.id }));
  record(await stripe.billing.creditBalanceSummaries.retrieve({ customer: customer.id, filter: { type: 'credit_grant', credit_grant: grant.id } }));
  record(await stripe.billing.creditBalanceTransactions.list({ customer: customer.id }));
  record(await stripe.billing.creditGrants.voidGrant(grant.id));

  // Webhook endpoints and test clocks.
  const endpoint = record(await stripe.webhookEndpoints.create({ url: 'https://app.example.com/hook', enabled_events: ['*'] }));
  record(await stripe.webhookEndpoints.retrieve(endpoint.id));
  record(await stripe.webhookEndpoints.del(endpoint.id));
  const clock = record(await stripe.testHelpers.testClocks.create({ frozen_time: 1_800_000_000 }));
  record(await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1_800_000_000 + DAY }));
  record(await stripe.testHelpers.testClocks.retrieve(clock.id));
  record(await stripe.testHelpers.testClocks.del(clock.id));

  // Connect: accounts, bank accounts, capabilities, links, transfers and reversals.
  const bankToken = record(await stripe.tokens.create({ bank_account: { country: 'US', currency: 'usd', routing_number: '110000000', account_number: '000123456789' } }));
  const account = record(
    await stripe.accounts.create({
      type: 'custom',
      business_type: 'individual',
      capabilities: { transfers: { requested: true } },
      individual: { first_name: 'Jenny', last_name: 'Rosen', email: 'jenny@example.com', dob: { day: 1, month: 1, year: 1990 } },
      tos_acceptance: { date: 1_700_000_000, ip: '127.0.0.1' },
    }),
  );
  record(await stripe.accounts.createExternalAccount(account.id, { external_account: bankToken.id }));
  record(await stripe.accounts.update(account.id, { metadata: { a: '1' } }));
  record(await stripe.accounts.listCapabilities(account.id));
  record(await stripe.accounts.listExternalAccounts(account.id));
  record(await stripe.accounts.retrieveCurrent({}, { stripeAccount: account.id }));
  record(await stripe.accountLinks.create({ account: account.id, type: 'account_update', refresh_url: 'https://app.example.com/r', return_url: 'https://app.example.com/ok' }));
  const express = await stripe.accounts.create({ type: 'express' });
  const link = await stripe.accountLinks.create({ account: express.id, type: 'account_onboarding', refresh_url: 'https://app.example.com/r', return_url: 'https://app.example.com/ok' });
  await h.raw('POST', new URL(link.url).pathname, {
    key: null,
    redirect: 'manual',
    form: { first_name: 'Jo', last_name: 'Doe', email: 'jo@example.com', dob: '1990-01-01', routing_number: '110000000', account_number: '000123456789', tos: 'accepted' },
  });
  record(await stripe.accounts.createLoginLink(express.id));
  const transfer = record(await stripe.transfers.create({ amount: 300, currency: 'usd', destination: account.id }));
  record(await stripe.transfers.update(transfer.id, { metadata: { a: '1' } }));
  record(await stripe.transfers.createReversal(transfer.id, { amount: 100 }));
  record(await stripe.transfers.retrieve(transfer.id));
  const doomedAccount = await stripe.accounts.create({ type: 'standard' });
  record(await stripe.accounts.del(doomedAccount.id));

  // Events, from the API and from the webhooks that carried them (the Connect endpoint's too).
  const events = await h.settle();
  record(events);
  await h.waitForEvent('account.application.deauthorized', (event) => event.account === doomedAccount.id, { connect: true });
  for (const event of [...h.events, ...h.connectEvents]) {
    record(event, 'webhook');
  }
});
after(async () => {
  await h?.stop();
});

/** Fixture keys that belong to another variant of the type (Stripe's example token is a card
 * token; a metered price's subscription item has no quantity, which the SDK types as optional). */
const otherVariant = {
  token: (object) => (object.type === 'bank_account' ? ['card'] : []),
  subscription_item: (object) => (object.price?.recurring?.usage_type === 'metered' ? ['quantity'] : []),
};

function missingKeys(type, object) {
  const excused = new Set([...Object.keys(notEmulated[type] ?? {}), ...(otherVariant[type]?.(object) ?? [])]);
  return Object.keys(fixtures[type]).filter((key) => !(key in object) && !excused.has(key));
}

for (const type of types) {
  const options = openFindings[type] ? { todo: openFindings[type] } : {};
  test(`emulator ${type} objects carry every key of Stripe's example ${type}`, options, () => {
    const objects = seen.get(type) ?? [];
    const sources = new Set(objects.map((entry) => entry.source));
    if (!webhookOnly.has(type)) assert.ok(sources.has('api'), `the API returned a ${type}`);
    if (!apiOnly.has(type)) assert.ok(sources.has('webhook'), `a webhook carried a ${type}`);
    const problems = new Map();
    for (const { source, value } of objects) {
      for (const key of missingKeys(type, value)) {
        problems.set(`${source}: ${key}`, value.id ?? '(no id)');
      }
    }
    assert.deepEqual([...problems.keys()].sort(), [], `keys of Stripe's ${type} missing from emulator objects`);
  });
}

for (const [type, where] of Object.entries(sdkInterfaces)) {
  const options = openTypeFindings[type] ? { todo: openTypeFindings[type] } : {};
  test(`emulator ${type} objects carry every field stripe@23.1.0 types as always present`, options, () => {
    const required = sdkRequiredFields(where);
    assert.ok(required.length >= 5, `${required.length} fields parsed`);
    const objects = seen.get(type) ?? [];
    assert.ok(objects.length > 0, `saw a ${type}`);
    const problems = new Set();
    for (const { source, value } of objects) {
      for (const key of required) {
        if (!(key in value)) problems.add(`${source}: ${key}`);
      }
    }
    assert.deepEqual([...problems].sort(), [], `fields of the SDK's ${where[1]} missing from emulator objects`);
  });
}

test('every event type the emulator emitted is one stripe@23.1.0 knows', () => {
  const source = readFileSync(path.join(CONFORMANCE_DIR, 'node_modules/stripe/esm/resources/WebhookEndpoints.d.ts'), 'utf8');
  const declared = /type EnabledEvent = ([^;]*);/.exec(source);
  assert.ok(declared, 'WebhookEndpoint EnabledEvent type');
  const known = new Set([...declared[1].matchAll(/'([a-z_.]+)'/g)].map((match) => match[1]));
  assert.ok(known.size > 100, `${known.size} event types parsed`);
  const emitted = new Set((seen.get('event') ?? []).map(({ value }) => value.type));
  assert.ok(emitted.size > 10, `${emitted.size} event types emitted`);
  assert.deepEqual([...emitted].filter((type) => !known.has(type)).sort(), [], 'event types Stripe does not have');
});

test('not-emulated.json only excuses fixture keys that the emulator really leaves out', () => {
  const stale = [];
  for (const [type, keys] of Object.entries(notEmulated)) {
    if (type.startsWith('_')) continue;
    assert.ok(fixtures[type], `${type} is a fixture type`);
    for (const [key, reason] of Object.entries(keys)) {
      assert.ok(key in fixtures[type], `${type}.${key} is a key of Stripe's example`);
      assert.equal(typeof reason, 'string');
      assert.ok(reason.length > 10, `${type}.${key} has a reason`);
      if ((seen.get(type) ?? []).some(({ value }) => key in value)) stale.push(`${type}.${key}`);
    }
  }
  assert.deepEqual(stale, [], 'keys the emulator now emits can leave not-emulated.json');
});

test('every webhook this file caused passed stripe.webhooks.constructEvent', () => {
  h.assertWebhooksValid();
});
