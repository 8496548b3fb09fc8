// Connect through the official SDK: connected accounts (legacy types and controller properties),
// their requirements, capabilities and events, the Stripe-Account header, bank tokens and
// external accounts, Account Links with the hosted onboarding form (posted over plain HTTP),
// login links, transfers and reversals, connected accounts' own balance and payouts (manual and
// automatic), and the Connect webhook endpoint that receives the accounts' events.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith, DAY } from './harness.mjs';

let h;
let stripe;
before(async () => {
  h = await startEmulator({ connect: true });
  stripe = h.stripe;
});
after(async () => {
  await h?.stop();
});

const bank = (account_number = '000123456789') => ({
  object: 'bank_account',
  country: 'US',
  currency: 'usd',
  routing_number: '110000000',
  account_number,
});

/** A Custom account with everything Stripe asks for: it can take payments and be paid out. */
async function readyAccount({ accountNumber = '000123456789', interval = 'manual' } = {}) {
  return await stripe.accounts.create({
    type: 'custom',
    business_type: 'individual',
    email: 'jenny@example.com',
    capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
    individual: { first_name: 'Jenny', last_name: 'Rosen', email: 'jenny@example.com', dob: { day: 1, month: 2, year: 1990 } },
    tos_acceptance: { date: 1_700_000_000, ip: '203.0.113.7' },
    external_account: bank(accountNumber),
    settings: { payouts: { schedule: { interval } } },
  });
}

/** Money the platform can transfer at once (the 0077 card skips the pending balance). */
async function fundPlatform(amount = 10_000) {
  await stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    allowed_payment_method_types: ['card'],
    payment_method: 'pm_card_bypassPending',
    confirm: true,
  });
}

const available = (balance) => balance.available.find((funds) => funds.currency === 'usd')?.amount ?? 0;

test('a Custom account owes its details until the platform gives them, then its capabilities turn active', async () => {
  const account = await stripe.accounts.create({
    type: 'custom',
    capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
  });
  assert.equal(account.type, 'custom');
  assert.deepEqual(account.controller, {
    fees: { payer: 'application_custom' },
    is_controller: true,
    losses: { payments: 'application' },
    requirement_collection: 'application',
    stripe_dashboard: { type: 'none' },
    type: 'application',
  });
  assert.deepEqual(account.requirements.currently_due, [
    'business_type', 'external_account', 'individual.dob.day', 'individual.dob.month', 'individual.dob.year',
    'individual.email', 'individual.first_name', 'individual.last_name', 'tos_acceptance.date', 'tos_acceptance.ip',
  ]);
  assert.deepEqual(account.capabilities, { card_payments: 'inactive', transfers: 'inactive' });
  assert.equal(account.charges_enabled, false);
  assert.equal(account.payouts_enabled, false);

  const token = await stripe.tokens.create({
    bank_account: { country: 'US', currency: 'usd', routing_number: '110000000', account_number: '000123456789', account_holder_name: 'Jenny Rosen', account_holder_type: 'individual' },
  });
  const updated = await stripe.accounts.update(account.id, {
    business_type: 'individual',
    individual: { first_name: 'Jenny', last_name: 'Rosen', email: 'jenny@example.com', dob: { day: 1, month: 2, year: 1990 } },
    tos_acceptance: { date: 1_700_000_000, ip: '203.0.113.7', user_agent: 'test' },
    external_account: token.id,
  });
  assert.deepEqual(updated.requirements.currently_due, []);
  assert.deepEqual(updated.capabilities, { card_payments: 'active', transfers: 'active' });
  assert.equal(updated.details_submitted, true);
  assert.equal(updated.charges_enabled, true);
  assert.equal(updated.payouts_enabled, true);
  assert.equal(updated.external_accounts.data[0].id, token.bank_account.id);
  assert.equal(updated.individual.first_name, 'Jenny');

  const event = await h.waitForEvent('account.updated', (e) => e.account === account.id && e.data.object.charges_enabled, { connect: true });
  assert.equal(event.data.previous_attributes.charges_enabled, false);
  assert.deepEqual(event.data.previous_attributes.capabilities, { card_payments: 'inactive', transfers: 'inactive' });
  const capability = await h.waitForEvent('capability.updated', (e) => e.account === account.id && e.data.object.id === 'transfers', { connect: true });
  assert.equal(capability.data.object.status, 'active');
  assert.equal(capability.data.previous_attributes.status, 'inactive');
  const caps = await stripe.accounts.listCapabilities(account.id);
  assert.deepEqual(caps.data.map((c) => c.id).sort(), ['card_payments', 'transfers']);
  const transfers = await stripe.accounts.retrieveCapability(account.id, 'transfers');
  assert.equal(transfers.status, 'active');
  assert.equal(transfers.requested, true);
  const dropped = await stripe.accounts.updateCapability(account.id, 'card_payments', { requested: false });
  assert.equal(dropped.status, 'unrequested');
  assert.equal((await stripe.accounts.retrieve(account.id)).charges_enabled, false);
});

test('legacy types and controller properties describe the same accounts', async () => {
  const standard = await stripe.accounts.create();
  assert.equal(standard.type, 'standard');
  assert.equal(standard.controller.stripe_dashboard.type, 'full');
  assert.deepEqual(standard.capabilities, { card_payments: 'inactive', transfers: 'inactive' });
  const express = await stripe.accounts.create({
    controller: { stripe_dashboard: { type: 'express' }, fees: { payer: 'application' }, losses: { payments: 'application' } },
  });
  assert.equal(express.type, 'express');
  assert.equal(express.controller.requirement_collection, 'stripe');
  const custom = await stripe.accounts.create({ controller: { requirement_collection: 'application' } });
  assert.equal(custom.type, 'custom');
  assert.equal(custom.controller.stripe_dashboard.type, 'none');
  await rejectsWith(stripe.accounts.create({ type: 'express', controller: { fees: { payer: 'application' } } }), 'StripeInvalidRequestError', { param: 'controller' });
  await rejectsWith(
    stripe.accounts.update(express.id, { tos_acceptance: { date: 1_700_000_000, ip: '1.2.3.4' } }),
    'StripeInvalidRequestError',
    { message: 'You cannot accept the Terms of Service on behalf of accounts where `controller[requirement_collection]=stripe`, which includes Standard and Express accounts.' },
  );
  await rejectsWith(
    stripe.accounts.update(custom.id, { settings: { payouts: { schedule: { interval: 'daily', weekly_anchor: 'monday' } } } }),
    'StripeInvalidRequestError',
    { param: 'settings[payouts][schedule][weekly_anchor]' },
  );
  const weekly = await stripe.accounts.update(custom.id, { settings: { payouts: { schedule: { interval: 'weekly', weekly_anchor: 'friday' } } } });
  assert.deepEqual(weekly.settings.payouts.schedule, { delay_days: 2, interval: 'weekly', weekly_anchor: 'friday' });
  const listed = await stripe.accounts.list({ limit: 100 });
  assert.ok(listed.data.some((account) => account.id === custom.id));
  const deleted = await stripe.accounts.del(standard.id);
  assert.deepEqual(deleted, { id: standard.id, object: 'account', deleted: true });
  const event = await h.waitForEvent('account.application.deauthorized', (e) => e.account === standard.id, { connect: true });
  assert.equal(event.data.object.object, 'application');
});

test('GET /v1/account answers the connected account with Stripe-Account and the platform without', async () => {
  const account = await readyAccount();
  const platform = await stripe.accounts.retrieveCurrent();
  assert.notEqual(platform.id, account.id);
  assert.equal(platform.controller.type, 'account');
  const connected = await stripe.accounts.retrieveCurrent({}, { stripeAccount: account.id });
  assert.equal(connected.id, account.id);
});

test('a Stripe-Account naming no connected account is refused with account_invalid', async () => {
  const error = await rejectsWith(stripe.balance.retrieve({}, { stripeAccount: 'acct_1Nowhere0000000' }), 'StripePermissionError', {
    code: 'account_invalid',
    statusCode: 403,
  });
  assert.equal(
    error.message,
    "The provided key 'sk_test_*******ance' does not have access to account 'acct_1Nowhere0000000' (or that account does not exist). Application access may have been revoked.",
  );
  await rejectsWith(stripe.accounts.retrieve('acct_1Nowhere0000000'), 'StripePermissionError', { code: 'account_invalid' });
});

test('bank tokens carry a test bank account, and bad routing numbers are refused', async () => {
  const token = await stripe.tokens.create({ bank_account: { country: 'US', currency: 'usd', routing_number: '110000000', account_number: '000123456789' } });
  assert.match(token.id, /^btok_/);
  assert.equal(token.type, 'bank_account');
  assert.match(token.bank_account.id, /^ba_/);
  assert.equal(token.bank_account.last4, '6789');
  assert.equal(token.bank_account.bank_name, 'STRIPE TEST BANK');
  assert.equal(token.bank_account.status, 'new');
  await rejectsWith(
    stripe.tokens.create({ bank_account: { country: 'US', currency: 'usd', routing_number: '11000000', account_number: '000123456789' } }),
    'StripeInvalidRequestError',
    { message: 'Routing number must have 9 digits', param: 'bank_account[routing_number]' },
  );
});

test('the first bank account in a currency is its default, and the default cannot be deleted', async () => {
  const account = await readyAccount();
  const [first] = (await stripe.accounts.listExternalAccounts(account.id)).data;
  assert.equal(first.default_for_currency, true);
  const second = await stripe.accounts.createExternalAccount(account.id, { external_account: bank(), metadata: { n: '2' } });
  assert.equal(second.default_for_currency, false);
  assert.equal(second.account, account.id);
  await rejectsWith(stripe.accounts.deleteExternalAccount(account.id, first.id), 'StripeInvalidRequestError', {
    message: 'You cannot delete the default external account for your default currency. Please make another external account the default using the `default_for_currency` param, and then delete this one.',
  });
  const promoted = await stripe.accounts.updateExternalAccount(account.id, second.id, { default_for_currency: true, account_holder_name: 'Jenny R' });
  assert.equal(promoted.default_for_currency, true);
  assert.equal(promoted.account_holder_name, 'Jenny R');
  assert.equal((await stripe.accounts.retrieveExternalAccount(account.id, first.id)).default_for_currency, false);
  const deleted = await stripe.accounts.deleteExternalAccount(account.id, first.id);
  assert.equal(deleted.deleted, true);
  assert.equal((await stripe.accounts.listExternalAccounts(account.id, { object: 'card' })).data.length, 0);
  assert.equal((await stripe.accounts.listExternalAccounts(account.id, { object: 'bank_account' })).data.length, 1);
  await h.waitForEvent('account.external_account.deleted', (e) => e.account === account.id && e.data.object.id === first.id, { connect: true });
  await h.waitForEvent('account.external_account.updated', (e) => e.account === account.id, { connect: true });
});

test('an Account Link opens the hosted onboarding form once, before it expires', async () => {
  const account = await stripe.accounts.create({ type: 'express', business_profile: { name: 'Rosen Bakery' }, capabilities: { transfers: { requested: true } } });
  await rejectsWith(stripe.accounts.createLoginLink(account.id), 'StripeInvalidRequestError', {
    message: 'Cannot create a login link for an account that has not completed onboarding.',
  });
  const link = await stripe.accountLinks.create({
    account: account.id,
    type: 'account_onboarding',
    refresh_url: 'https://platform.example/refresh',
    return_url: 'https://platform.example/return',
  });
  assert.equal(link.object, 'account_link');
  assert.equal(link.expires_at, link.created + 300);
  const path = new URL(link.url).pathname;
  const page = await h.raw('GET', path, { key: null });
  assert.equal(page.status, 200);
  assert.match(page.text, /<h1>Set up payouts for Rosen Bakery<\/h1>/);
  for (const label of ['First name', 'Last name', 'Email', 'Date of birth', 'Routing number', 'Account number', 'I agree to the Stripe Connected Account Agreement']) {
    assert.match(page.text, new RegExp(`<label for="[a-z_]+"[^>]*>${label}</label>`), label);
  }
  assert.match(page.text, /<button type="submit">Agree and submit<\/button>/);
  const form = { first_name: 'Jenny', last_name: 'Rosen', email: 'jenny@example.com', dob: '1990-02-01', routing_number: '110000000', account_number: '000123456789' };
  const unchecked = await h.raw('POST', path, { key: null, form, redirect: 'manual' });
  assert.equal(unchecked.status, 400);
  assert.match(unchecked.text, /Agree to the Stripe Connected Account Agreement/);
  const badRouting = await h.raw('POST', path, { key: null, form: { ...form, tos: 'accepted', routing_number: '12345' }, redirect: 'manual' });
  assert.equal(badRouting.status, 400);
  assert.match(badRouting.text, /Routing number must have 9 digits/);
  const done = await h.raw('POST', path, { key: null, form: { ...form, tos: 'accepted' }, redirect: 'manual' });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), 'https://platform.example/return');
  const again = await h.raw('GET', path, { key: null, redirect: 'manual' });
  assert.equal(again.status, 303);
  assert.equal(again.headers.get('location'), 'https://platform.example/refresh');

  const onboarded = await stripe.accounts.retrieve(account.id);
  assert.equal(onboarded.details_submitted, true);
  assert.equal(onboarded.payouts_enabled, true);
  assert.deepEqual(onboarded.capabilities, { transfers: 'active' });
  assert.equal(onboarded.tos_acceptance.ip, '127.0.0.1');
  assert.deepEqual(onboarded.individual.dob, { day: 1, month: 2, year: 1990 });
  await h.waitForEvent('capability.updated', (e) => e.account === account.id, { connect: true });

  const login = await stripe.accounts.createLoginLink(account.id);
  assert.equal(login.object, 'login_link');
  const dashboard = await h.raw('GET', new URL(login.url).pathname, { key: null });
  assert.equal(dashboard.status, 200);
  assert.match(dashboard.text, /Available: \$0\.00/);
  const standard = await stripe.accounts.create({ type: 'standard' });
  await rejectsWith(stripe.accounts.createLoginLink(standard.id), 'StripeInvalidRequestError', {
    message: 'You can only create login links for accounts that use the Express Dashboard and are connected to your platform.',
  });

  const late = await stripe.accountLinks.create({ account: account.id, type: 'account_update', refresh_url: 'https://platform.example/refresh', return_url: 'https://platform.example/return' });
  await h.advance({ seconds: 301 });
  const expired = await h.raw('GET', new URL(late.url).pathname, { key: null, redirect: 'manual' });
  assert.equal(expired.status, 303);
  assert.equal(expired.headers.get('location'), 'https://platform.example/refresh');
});

test('transfers move available money from the platform to the connected account, and reversals move it back', async () => {
  const account = await readyAccount();
  const platformBefore = available(await stripe.balance.retrieve());
  const insufficient = await rejectsWith(
    stripe.transfers.create({ amount: platformBefore + 1, currency: 'usd', destination: account.id }),
    'StripeInvalidRequestError',
    { code: 'balance_insufficient' },
  );
  assert.equal(
    insufficient.message,
    'You have insufficient funds in your Stripe account. One likely reason you have insufficient funds is that your funds are automatically being paid out; try enabling manual payouts by going to https://dashboard.stripe.com/account/payouts.',
  );
  await fundPlatform();
  const unready = await stripe.accounts.create({ type: 'custom', capabilities: { transfers: { requested: true } } });
  await rejectsWith(stripe.transfers.create({ amount: 100, currency: 'usd', destination: unready.id }), 'StripeInvalidRequestError', {
    code: 'insufficient_capabilities_for_transfer',
    message: 'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
  });
  await rejectsWith(stripe.transfers.create({ amount: 100, currency: 'usd', destination: 'acct_1Nowhere0000000' }), 'StripeInvalidRequestError', {
    message: "No such destination: 'acct_1Nowhere0000000'",
  });

  const platformFunded = available(await stripe.balance.retrieve());
  const transfer = await stripe.transfers.create({ amount: 2500, currency: 'usd', destination: account.id, transfer_group: 'ORDER_1', metadata: { order: '1' } });
  assert.equal(transfer.amount_reversed, 0);
  assert.equal(transfer.reversed, false);
  assert.equal(transfer.transfer_group, 'ORDER_1');
  assert.match(transfer.destination_payment, /^py_/);
  assert.equal(available(await stripe.balance.retrieve()), platformFunded - 2500);
  const txn = await stripe.balanceTransactions.retrieve(transfer.balance_transaction);
  assert.equal(txn.type, 'transfer');
  assert.equal(txn.amount, -2500);
  assert.equal(available(await stripe.balance.retrieve({}, { stripeAccount: account.id })), 2500);
  const payment = await stripe.charges.retrieve(transfer.destination_payment, {}, { stripeAccount: account.id });
  assert.equal(payment.source_transfer, transfer.id);
  const [received] = (await stripe.balanceTransactions.list({}, { stripeAccount: account.id })).data;
  assert.equal(received.type, 'payment');
  assert.equal(received.amount, 2500);
  await h.waitForEvent('transfer.created', (e) => e.data.object.id === transfer.id);
  assert.equal((await stripe.transfers.list({ destination: account.id })).data.length, 1);
  assert.equal((await stripe.transfers.list({ transfer_group: 'NOPE' })).data.length, 0);
  const updated = await stripe.transfers.update(transfer.id, { description: 'Order 1' });
  assert.equal(updated.description, 'Order 1');
  await h.waitForEvent('transfer.updated', (e) => e.data.object.id === transfer.id && e.data.previous_attributes?.description === null);

  const reversal = await stripe.transfers.createReversal(transfer.id, { amount: 1000 });
  assert.equal(reversal.transfer, transfer.id);
  assert.equal((await stripe.balanceTransactions.retrieve(reversal.balance_transaction)).type, 'transfer_refund');
  await rejectsWith(stripe.transfers.createReversal(transfer.id, { amount: 2000 }), 'StripeInvalidRequestError', {
    message: 'Transfer reversal amount ($20.00) is greater than unreversed amount on transfer ($15.00)',
  });
  const rest = await stripe.transfers.createReversal(transfer.id);
  assert.equal(rest.amount, 1500);
  const reversed = await stripe.transfers.retrieve(transfer.id);
  assert.equal(reversed.amount_reversed, 2500);
  assert.equal(reversed.reversed, true);
  assert.equal(reversed.reversals.data.length, 2);
  assert.equal(available(await stripe.balance.retrieve()), platformFunded);
  assert.equal(available(await stripe.balance.retrieve({}, { stripeAccount: account.id })), 0);
  const refunds = await stripe.balanceTransactions.list({ type: 'payment_refund' }, { stripeAccount: account.id });
  assert.deepEqual(refunds.data.map((t) => t.amount).sort((a, b) => a - b), [-1500, -1000]);
  await h.waitForEvent('transfer.reversed', (e) => e.data.object.id === transfer.id && e.data.object.reversed);
  const listed = await stripe.transfers.listReversals(transfer.id);
  assert.equal(listed.data.length, 2);
  const noted = await stripe.transfers.updateReversal(transfer.id, reversal.id, { metadata: { why: 'refund' } });
  assert.deepEqual((await stripe.transfers.retrieveReversal(transfer.id, noted.id)).metadata, { why: 'refund' });
});

test("a connected account's payout to the failing test bank account fails at arrival with no_account", async () => {
  const account = await readyAccount({ accountNumber: '000111111116' });
  await fundPlatform();
  await stripe.transfers.create({ amount: 1200, currency: 'usd', destination: account.id });
  await rejectsWith(stripe.payouts.create({ amount: 100, currency: 'eur' }, { stripeAccount: account.id }), 'StripeInvalidRequestError', {
    message: "Sorry, you don't have any external accounts in that currency (eur).",
  });
  const payout = await stripe.payouts.create({ amount: 1000, currency: 'usd' }, { stripeAccount: account.id });
  assert.equal(payout.status, 'pending');
  assert.equal(payout.destination, account.external_accounts.data[0].id);
  assert.equal(available(await stripe.balance.retrieve({}, { stripeAccount: account.id })), 200);
  assert.equal((await stripe.payouts.list({}, { stripeAccount: account.id })).data.length, 1);
  assert.ok(!(await stripe.payouts.list({ limit: 100 })).data.some((p) => p.id === payout.id), 'not among the platform payouts');
  await h.advance({ days: 3 });
  const failed = await stripe.payouts.retrieve(payout.id, {}, { stripeAccount: account.id });
  assert.equal(failed.status, 'failed');
  assert.equal(failed.failure_code, 'no_account');
  assert.equal(available(await stripe.balance.retrieve({}, { stripeAccount: account.id })), 1200);
  const event = await h.waitForEvent('payout.failed', (e) => e.data.object.id === payout.id, { connect: true });
  assert.equal(event.account, account.id);
  const events = await stripe.events.list({ type: 'payout.failed' }, { stripeAccount: account.id });
  assert.ok(events.data.some((e) => e.data.object.id === payout.id));
  assert.ok(!(await stripe.events.list({ type: 'payout.failed', limit: 100 })).data.some((e) => e.data.object.id === payout.id));
});

test('accounts on a daily schedule are paid out automatically; manual ones only when asked', async () => {
  const daily = await readyAccount({ interval: 'daily' });
  const manual = await readyAccount({ interval: 'manual' });
  await fundPlatform();
  await stripe.transfers.create({ amount: 700, currency: 'usd', destination: daily.id });
  await stripe.transfers.create({ amount: 800, currency: 'usd', destination: manual.id });
  await h.advance({ days: 1 });
  const [automatic] = (await stripe.payouts.list({}, { stripeAccount: daily.id })).data;
  assert.equal(automatic.automatic, true);
  assert.equal(automatic.amount, 700);
  assert.equal((await stripe.payouts.list({}, { stripeAccount: manual.id })).data.length, 0);
  assert.equal(available(await stripe.balance.retrieve({}, { stripeAccount: manual.id })), 800);
});

test("a Connect endpoint receives the accounts' events signed with its own secret, the platform endpoint none of them", async () => {
  const endpoint = await stripe.webhookEndpoints.create({ url: h.endpointUrl('/connect-made'), enabled_events: ['account.updated'], connect: true });
  assert.equal(endpoint.application, null);
  h.registerEndpoint('/connect-made', endpoint.secret);
  const account = await stripe.accounts.create({ type: 'standard' });
  await stripe.accounts.update(account.id, { metadata: { foo: 'bar' } });
  const deadline = Date.now() + 5000;
  while (!h.deliveriesAt('/connect-made').some((d) => d.event?.data.object.id === account.id) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const made = h.deliveriesAt('/connect-made').find((d) => d.event?.data.object.id === account.id);
  assert.ok(made, 'the endpoint created with connect=true got account.updated');
  assert.equal(made.event.account, account.id);
  await h.waitForEvent('account.updated', (e) => e.data.object.id === account.id, { connect: true });
  await h.settle();
  assert.ok(!h.events.some((event) => event.account), 'the platform endpoint received no connected account event');
  h.assertWebhooksValid();
});
