// The money after the sale through the official SDK: balance transactions and the balance,
// refunds, disputes decided by Stripe's test evidence, evidence files uploaded through
// `stripe.files.create` (which the SDK sends to its files host, here the emulator), and payouts.
// Each test runs its own emulator, because balances add up and some move the clock.

import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, rejectsWith } from './harness.mjs';

let h;
let stripe;
beforeEach(async () => {
  h = await startEmulator();
  stripe = h.stripe;
});
afterEach(async () => {
  await h?.stop();
});

/** A 20.00 USD card payment confirmed at once; its Charge with the balance transaction expanded. */
async function pay(paymentMethod = 'pm_card_visa', amount = 2000) {
  const intent = await stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    allowed_payment_method_types: ['card'],
    payment_method: paymentMethod,
    confirm: true,
  });
  assert.equal(intent.status, 'succeeded');
  return await stripe.charges.retrieve(intent.latest_charge, { expand: ['balance_transaction'] });
}

/** The USD amounts of the balance: `{ available, pending }`. */
async function usd() {
  const balance = await stripe.balance.retrieve();
  const of = (side) => balance[side].find((funds) => funds.currency === 'usd')?.amount ?? 0;
  return { available: of('available'), pending: of('pending') };
}

test('a 20.00 charge nets 19.12 and becomes available two days later with balance.available', async () => {
  const charge = await pay();
  const transaction = charge.balance_transaction;
  assert.equal(transaction.object, 'balance_transaction');
  assert.deepEqual([transaction.amount, transaction.fee, transaction.net], [2000, 88, 1912]);
  assert.equal(transaction.fee_details[0].description, 'Stripe processing fees');
  assert.equal(transaction.status, 'pending');
  assert.deepEqual(await usd(), { available: 0, pending: 1912 });
  await h.advance({ days: 2 });
  assert.deepEqual(await usd(), { available: 1912, pending: 0 });
  const event = await h.waitForEvent('balance.available');
  assert.equal(event.data.object.object, 'balance');
  const listed = await stripe.balanceTransactions.list({ type: 'charge', expand: ['data.source'] });
  assert.equal(listed.data[0].source.id, charge.id);
  assert.equal((await stripe.balanceTransactions.retrieve(transaction.id)).status, 'available');
});

test('refunds: half, then the rest, then StripeInvalidRequestError charge_already_refunded', async () => {
  const charge = await pay();
  const half = await stripe.refunds.create({ charge: charge.id, amount: 1000 });
  assert.equal(half.status, 'succeeded');
  await rejectsWith(stripe.refunds.create({ charge: charge.id, amount: 1001 }), 'StripeInvalidRequestError', {
    code: 'amount_too_large',
    param: 'amount',
    message: 'Refund amount ($10.01) is greater than unrefunded amount on charge ($10.00)',
  });
  const rest = await stripe.refunds.create({ payment_intent: charge.payment_intent, reason: 'requested_by_customer' });
  assert.equal(rest.amount, 1000);
  assert.equal((await stripe.charges.retrieve(charge.id)).refunded, true);
  await rejectsWith(stripe.refunds.create({ charge: charge.id }), 'StripeInvalidRequestError', {
    code: 'charge_already_refunded',
  });
  const event = await h.waitForEvent('charge.refunded', (candidate) => candidate.data.object.amount_refunded === 2000);
  assert.equal(event.data.previous_attributes.amount_refunded, 1000);
  const updated = await stripe.refunds.update(half.id, { metadata: { ticket: '7' } });
  assert.equal(updated.metadata.ticket, '7');
  await h.waitForEvent('charge.refund.updated');
  assert.equal((await stripe.refunds.list({ charge: charge.id })).data.length, 2);
  await rejectsWith(stripe.refunds.cancel(half.id), 'StripeInvalidRequestError');
});

test('a dispute answered with winning evidence (a file uploaded through the SDK) is won', async () => {
  const charge = await pay('pm_card_createDispute');
  const created = await h.waitForEvent('charge.dispute.created');
  const dispute = created.data.object;
  assert.equal(dispute.charge, charge.id);
  assert.equal(dispute.status, 'needs_response');
  await h.waitForEvent('charge.dispute.funds_withdrawn');
  await rejectsWith(stripe.refunds.create({ charge: charge.id }), 'StripeInvalidRequestError', { code: 'charge_disputed' });

  const file = await stripe.files.create({
    purpose: 'dispute_evidence',
    file: { data: Buffer.from('%PDF-1.4 the receipt'), name: 'receipt.pdf', type: 'application/pdf' },
  });
  assert.equal(file.object, 'file');
  assert.equal(file.type, 'pdf');
  const contents = await h.raw('GET', new URL(file.url).pathname);
  assert.equal(contents.text, '%PDF-1.4 the receipt');
  assert.equal((await stripe.files.list({ purpose: 'dispute_evidence' })).data[0].id, file.id);

  const won = await stripe.disputes.update(dispute.id, {
    evidence: { uncategorized_text: 'winning_evidence', receipt: file.id },
  });
  assert.equal(won.status, 'won');
  assert.equal(won.balance_transactions.length, 2);
  await h.waitForEvent('charge.dispute.funds_reinstated');
  await h.waitForEvent('charge.dispute.closed');
  // 1912 pending; 3500 withdrawn and 2000 given back: the 15.00 fee is kept.
  assert.deepEqual(await usd(), { available: -1500, pending: 1912 });
});

test('a dispute closed or answered with losing evidence is lost; evidence must be a dispute_evidence file', async () => {
  await pay('pm_card_createDispute');
  await pay('pm_card_createDispute');
  const [second, first] = (await stripe.disputes.list()).data;
  await rejectsWith(stripe.disputes.update(first.id, { evidence: { receipt: 'file_nope' } }), 'StripeInvalidRequestError', {
    code: 'resource_missing',
    param: 'evidence[receipt]',
  });
  const lost = await stripe.disputes.update(first.id, { evidence: { uncategorized_text: 'losing_evidence' } });
  assert.equal(lost.status, 'lost');
  const closed = await stripe.disputes.close(second.id);
  assert.equal(closed.status, 'lost');
  await rejectsWith(stripe.disputes.close(second.id), 'StripeInvalidRequestError');
});

test('payouts: refused above the available balance, then paid two days later', async () => {
  await pay();
  await rejectsWith(stripe.payouts.create({ amount: 1000, currency: 'usd' }), 'StripeInvalidRequestError', {
    code: 'balance_insufficient',
  });
  await h.advance({ days: 2 });
  const payout = await stripe.payouts.create({ amount: 1912, currency: 'usd', metadata: { batch: '1' } });
  assert.equal(payout.status, 'pending');
  await h.waitForEvent('payout.created');
  assert.deepEqual(await usd(), { available: 0, pending: 0 });
  await h.advance({ days: 2 });
  assert.equal((await stripe.payouts.retrieve(payout.id)).status, 'paid');
  await h.waitForEvent('payout.paid');
  const [transaction] = (await stripe.balanceTransactions.list({ payout: payout.id })).data;
  assert.equal(transaction.type, 'payout');
  assert.equal(transaction.amount, -1912);
});

test('a payout to the failing test account fails with no_account and the money comes back', async () => {
  await pay('pm_card_bypassPending');
  const switched = await h.raw('POST', '/_emulator/bank_account', { form: { account_number: '000111111116' }, key: null });
  assert.equal(switched.status, 200, switched.text);
  const payout = await stripe.payouts.create({ amount: 1000, currency: 'usd' });
  assert.equal(payout.destination, switched.json.id);
  await h.advance({ days: 2 });
  const failed = await stripe.payouts.retrieve(payout.id);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.failure_code, 'no_account');
  await h.waitForEvent('payout.failed');
  assert.deepEqual(await usd(), { available: 1912, pending: 0 });
  const canceled = await stripe.payouts.cancel((await stripe.payouts.create({ amount: 100, currency: 'usd' })).id);
  assert.equal(canceled.status, 'canceled');
});
