// Shared harness: starts the emulator binary on a random port with a webhook endpoint pointing at a
// local Node http server, verifies every webhook delivery with the SDK's own signature check, and
// hands out an official `stripe` client aimed at the emulator.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import Stripe from 'stripe';

export { Stripe };

/** The conformance directory (the parent of tests/). */
export const CONFORMANCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The emulator binary: $STRIPE_EMULATOR_BIN, else ../../target/debug/stripe-emulator. */
export const EMULATOR_BIN = path.resolve(
  CONFORMANCE_DIR,
  process.env.STRIPE_EMULATOR_BIN || '../../target/debug/stripe-emulator',
);

export const DAY = 86_400;

let nextSeed = 1000 + (process.pid % 1000);

// Never leave an emulator behind, even if a test process dies without running its `after` hooks.
const children = new Set();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Starts the webhook receiver, then the emulator; resolves to a running {@link Harness}. With
 * `connect: true` the emulator also gets a Connect endpoint (`/connect`, its own secret) that
 * receives the connected accounts' events.
 */
export async function startEmulator({ seed = nextSeed++, extraArgs = [], connect = false } = {}) {
  const harness = new Harness();
  await harness.start(seed, extraArgs, connect);
  return harness;
}

export class Harness {
  constructor() {
    /** `whsec_…` the emulator signs with. */
    this.secret = `whsec_${randomBytes(24).toString('hex')}`;
    /** Every delivery received: {rawBody, header, event, error}. */
    this.deliveries = [];
    /** Events from deliveries that passed constructEvent, in arrival order. */
    this.events = [];
    this.waiters = new Set();
    /** `whsec_…` the Connect endpoint (`/connect`) is signed with, when started with `connect`. */
    this.connectSecret = `whsec_${randomBytes(24).toString('hex')}`;
    /** Verified events delivered to the Connect endpoint, in arrival order. */
    this.connectEvents = [];
    /** Signing secret per request path: /hook is the start-up endpoint; tests add endpoints they create. */
    this.secrets = new Map([['/hook', this.secret]]);
    /** Paths that answer 500 to their next N deliveries (to watch the emulator retry). */
    this.failures = new Map();
    this.child = null;
    this.server = null;
    this.stderr = '';
  }

  async start(seed, extraArgs, connect = false) {
    if (!existsSync(EMULATOR_BIN)) {
      throw new Error(
        `no emulator binary at ${EMULATOR_BIN}: run \`cargo build -p stripe-emulator\` or set STRIPE_EMULATOR_BIN`,
      );
    }
    this.server = http.createServer((request, response) => this.#receive(request, response));
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.hookPort = this.server.address().port;
    this.hookUrl = `http://127.0.0.1:${this.hookPort}/hook`;
    const args = [
      '--addr', '127.0.0.1:0',
      '--seed', String(seed),
      '--webhook-url', this.hookUrl,
      '--webhook-secret', this.secret,
      ...(connect ? ['--connect-webhook-url', this.endpointUrl('/connect'), '--connect-webhook-secret', this.connectSecret] : []),
      ...extraArgs,
    ];
    if (connect) this.registerEndpoint('/connect', this.connectSecret);
    this.child = spawn(EMULATOR_BIN, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
    });
    children.add(this.child);
    this.child.once('exit', () => children.delete(this.child));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-20_000);
    });
    this.base = await new Promise((resolve, reject) => {
      let buffered = '';
      const onData = (chunk) => {
        buffered += chunk;
        const newline = buffered.indexOf('\n');
        if (newline === -1) return;
        const first = buffered.slice(0, newline).trim();
        const match = /^Stripe emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
        this.child.stdout.off('data', onData);
        this.child.stdout.resume();
        if (match) resolve(match[1]);
        else reject(new Error(`unexpected first stdout line from the emulator: ${JSON.stringify(first)}`));
      };
      this.child.stdout.setEncoding('utf8');
      this.child.stdout.on('data', onData);
      this.child.once('error', reject);
      this.child.once('exit', (code) =>
        reject(new Error(`the emulator exited with ${code} before listening: ${this.stderr}`)),
      );
    });
    this.port = Number(new URL(this.base).port);
    this.stripe = new Stripe('sk_test_conformance', { host: '127.0.0.1', port: this.port, protocol: 'http' });
  }

  #receive(request, response) {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const header = request.headers['stripe-signature'];
      const delivery = { path: request.url, rawBody, header, headers: request.headers, event: null, error: null };
      try {
        const secret = this.secrets.get(request.url);
        if (!secret) throw new Error(`no endpoint registered for ${request.url}`);
        delivery.event = this.stripe.webhooks.constructEvent(rawBody, header, secret);
      } catch (error) {
        delivery.error = error;
      }
      this.deliveries.push(delivery);
      const failing = this.failures.get(request.url) ?? 0;
      if (delivery.event && failing > 0) {
        this.failures.set(request.url, failing - 1);
        delivery.answered = 500;
        response.writeHead(500, { 'content-type': 'text/plain' }).end('try again');
        return;
      }
      if (delivery.event) {
        delivery.answered = 200;
        if (request.url === '/hook') this.events.push(delivery.event);
        if (request.url === '/connect') this.connectEvents.push(delivery.event);
        for (const waiter of this.waiters) waiter();
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      } else {
        delivery.answered = 400;
        response.writeHead(400, { 'content-type': 'text/plain' }).end(String(delivery.error));
      }
    });
  }

  /** Deliveries whose signature the SDK rejected. */
  badDeliveries() {
    return this.deliveries.filter((delivery) => delivery.error);
  }

  /** Fails if any delivery so far did not pass `stripe.webhooks.constructEvent`. */
  assertWebhooksValid() {
    const bad = this.badDeliveries().map((delivery) => `${delivery.header}: ${delivery.error.message}`);
    assert.deepEqual(bad, [], 'every webhook passes stripe.webhooks.constructEvent');
  }

  /** Verified events of one type (or all) received at the start-up endpoint, in arrival order. */
  eventsOfType(type) {
    return this.events.filter((event) => !type || event.type === type);
  }

  /** A URL on the webhook server for an endpoint a test creates, and where its secret goes once known. */
  endpointUrl(pathname) {
    return `http://127.0.0.1:${this.hookPort}${pathname}`;
  }

  registerEndpoint(pathname, secret) {
    this.secrets.set(pathname, secret);
  }

  /** Verified deliveries that arrived at one path. */
  deliveriesAt(pathname) {
    return this.deliveries.filter((delivery) => delivery.path === pathname);
  }

  /** Waits for a verified event matching `type` and `predicate` (at the Connect endpoint with `connect: true`). */
  async waitForEvent(type, predicate = () => true, { timeout = 5000, connect = false } = {}) {
    const find = () => (connect ? this.connectEvents : this.events).find((event) => event.type === type && predicate(event));
    const found = find();
    if (found) return found;
    return await new Promise((resolve, reject) => {
      const waiter = () => {
        const event = find();
        if (event) {
          this.waiters.delete(waiter);
          clearTimeout(timer);
          resolve(event);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const seen = [...new Set(this.events.map((event) => event.type))].join(', ');
        reject(new Error(`no ${type} webhook within ${timeout} ms (received: ${seen || 'none'})`));
      }, timeout);
      this.waiters.add(waiter);
    });
  }

  /** Waits until every event the emulator has recorded so far has reached the start-up endpoint (which wants `*`). */
  async settle({ timeout = 5000 } = {}) {
    const all = await this.stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    const deadline = Date.now() + timeout;
    for (;;) {
      const received = new Set(this.deliveriesAt('/hook').map((delivery) => delivery.event?.id ?? safeId(delivery.rawBody)));
      const missing = all.filter((event) => !received.has(event.id));
      if (missing.length === 0) return all;
      if (Date.now() > deadline) {
        throw new Error(`webhooks not delivered within ${timeout} ms: ${missing.map((event) => event.type).join(', ')}`);
      }
      await sleep(50);
    }
  }

  /** A raw HTTP call (for headers the SDK does not expose, or a missing key). */
  async raw(method, pathname, { form, headers = {}, key = 'sk_test_conformance', redirect = 'follow' } = {}) {
    const allHeaders = { ...headers };
    if (key !== null) allHeaders.authorization = `Bearer ${key}`;
    let body;
    if (form !== undefined) {
      body = new URLSearchParams(form).toString();
      allHeaders['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(this.base + pathname, { method, headers: allHeaders, body, redirect });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Hosted pages answer HTML.
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /** Moves the emulator-wide clock forward (`{days}` or `{seconds}`) and runs what fell due. */
  async advance({ days, seconds } = {}) {
    const form = days !== undefined ? { days: String(days) } : { seconds: String(seconds) };
    const response = await this.raw('POST', '/_emulator/clock/advance', { form, key: null });
    assert.equal(response.status, 200, response.text);
    return response.json.now;
  }

  /** The emulator-wide time. */
  async now() {
    const response = await this.raw('GET', '/_emulator/clock', { key: null });
    return response.json.now;
  }

  /** Every delivery attempt the emulator logged. */
  async deliveryLog() {
    const response = await this.raw('GET', '/_emulator/deliveries', { key: null });
    assert.equal(response.status, 200, response.text);
    return response.json.data;
  }

  /** Pays a Checkout Session on its hosted page (the only way to complete one), without following the redirect; `card: null` submits no card. */
  async payCheckout(sessionId, { email = 'buyer@example.com', card = '4242424242424242' } = {}) {
    const form = card === null ? { email } : { email, card_number: card, card_expiry: '12 / 34', card_cvc: '123' };
    return await this.raw('POST', `/checkout/${sessionId}`, { form, key: null, redirect: 'manual' });
  }

  /** A product with a monthly price. */
  async monthlyPrice({ name = 'Pro', amount = 2000, currency = 'usd', ...rest } = {}) {
    const product = await this.stripe.products.create({ name });
    return await this.stripe.prices.create({
      product: product.id,
      currency,
      unit_amount: amount,
      recurring: { interval: 'month' },
      ...rest,
    });
  }

  /** A customer with a card attached and set as the invoice default. */
  async customerWithCard(testPaymentMethod = 'pm_card_visa', params = {}) {
    const customer = await this.stripe.customers.create({ email: 'card@example.com', ...params });
    const paymentMethod = await this.stripe.paymentMethods.attach(testPaymentMethod, { customer: customer.id });
    await this.stripe.customers.update(customer.id, {
      invoice_settings: { default_payment_method: paymentMethod.id },
    });
    return { customer, paymentMethod };
  }

  async stop() {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await Promise.race([exited, sleep(2000)]);
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
    }
    if (this.server) {
      this.server.closeAllConnections?.();
      await new Promise((resolve) => this.server.close(resolve));
    }
  }
}

function safeId(rawBody) {
  try {
    return JSON.parse(rawBody.toString('utf8')).id;
  } catch {
    return undefined;
  }
}

/** Asserts that `promise` rejects with an SDK error of `type` (e.g. 'StripeInvalidRequestError') and returns it. */
export async function rejectsWith(promise, type, expected = {}) {
  let error;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  assert.ok(error, `expected ${type} but the call succeeded`);
  assert.equal(error.type, type, `${error.type}: ${error.message}`);
  for (const [key, value] of Object.entries(expected)) {
    assert.deepEqual(error[key], value, `error.${key} (message: ${error.message})`);
  }
  return error;
}

/** Every object (anything with an `object` field other than a list) in a JSON value, recursively, by type; deletions as `deleted_<type>`. */
export function collectObjects(value, into = new Map(), source = 'api') {
  if (Array.isArray(value)) {
    for (const item of value) collectObjects(item, into, source);
    return into;
  }
  if (value === null || typeof value !== 'object') return into;
  if (typeof value.object === 'string' && value.object !== 'list' && value.object !== 'search_result') {
    const type = value.deleted === true ? `deleted_${value.object}` : value.object;
    if (!into.has(type)) into.set(type, []);
    into.get(type).push({ source, value });
  }
  for (const child of Object.values(value)) collectObjects(child, into, source);
  return into;
}
