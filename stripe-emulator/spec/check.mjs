// Checks endive.json against facts read by hand from stripe-node 23.1.0's type declarations, and
// prints its counts. Run after generate.mjs: `node check.mjs` (exits non-zero on the first wrong fact).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const spec = JSON.parse(fs.readFileSync(path.join(HERE, 'endive.json'), 'utf8'));

const KINDS = ['string', 'integer', 'number', 'boolean', 'empty', 'object', 'array', 'any_of', 'any'];

function operation(method, pathTemplate) {
  const found = spec.operations.find((op) => op.method === method && op.path === pathTemplate);
  assert.ok(found, `${method} ${pathTemplate} is described`);
  return found.params;
}

function prop(schema, name) {
  assert.equal(schema.t, 'object');
  assert.ok(name in schema.props, `has param ${name}`);
  return schema.props[name];
}

/** Every schema node, with its path, for the structural checks and the counts. */
function* nodes(schema, where) {
  yield [schema, where];
  if (schema.t === 'object') {
    for (const [name, child] of Object.entries(schema.props)) yield* nodes(child, `${where}.${name}`);
    if (schema.extra) yield* nodes(schema.extra, `${where}[key]`);
  }
  if (schema.t === 'array') yield* nodes(schema.items, `${where}[]`);
  if (schema.t === 'any_of') for (const child of schema.of) yield* nodes(child, where);
}

const facts = [];
function fact(description, check) {
  check();
  facts.push(description);
}

// --- the file's own shape -------------------------------------------------------------------------

fact('api_version is the pinned version', () => assert.equal(spec.api_version, '2026-10-28.endive'));
fact('source names the SDK release', () => assert.equal(spec.source, 'stripe@23.1.0 (npm) type declarations'));
fact('operations are /v1 only, sorted by path then method, one per method and path', () => {
  const keys = spec.operations.map((op) => [op.path, op.method]);
  const sorted = [...keys].sort(([p1, m1], [p2, m2]) => (p1 === p2 ? (m1 < m2 ? -1 : 1) : p1 < p2 ? -1 : 1));
  assert.deepEqual(keys, sorted);
  assert.equal(new Set(keys.map((k) => k.join(' '))).size, keys.length);
  for (const op of spec.operations) {
    assert.match(op.path, /^\/v1\//);
    assert.ok(['GET', 'POST', 'DELETE'].includes(op.method), op.method);
    assert.ok(!op.path.includes('$'), op.path);
  }
});
fact('every schema node has a known kind, and objects list only their own props as required', () => {
  for (const op of spec.operations) {
    assert.equal(op.params.t, 'object');
    for (const [node, where] of nodes(op.params, `${op.method} ${op.path}`)) {
      assert.ok(KINDS.includes(node.t), `${where}: kind ${node.t}`);
      if (node.t === 'object') for (const name of node.req) assert.ok(name in node.props, `${where}: required ${name}`);
      if (node.t === 'any_of') assert.ok(node.of.every((child) => child.t !== 'any_of'), `${where}: flat any_of`);
      if (node.enum) assert.ok(node.enum.length > 0 && !node.enum.includes(''), `${where}: enum`);
    }
  }
});

// --- spot facts from the declarations -------------------------------------------------------------

fact('POST /v1/subscriptions/{}/resume: billing_cycle_anchor is an object whose required type is now|unchanged', () => {
  const anchor = prop(operation('POST', '/v1/subscriptions/{}/resume'), 'billing_cycle_anchor');
  assert.equal(anchor.t, 'object');
  assert.deepEqual(anchor.props.type, { t: 'string', enum: ['now', 'unchanged'] });
  assert.deepEqual(anchor.req, ['type']);
});
fact('POST /v1/subscriptions: billing_cycle_anchor is a timestamp; items[].price_data.recurring.interval is an enum', () => {
  const create = operation('POST', '/v1/subscriptions');
  assert.deepEqual(prop(create, 'billing_cycle_anchor'), { t: 'integer' });
  const items = prop(create, 'items');
  assert.equal(items.t, 'array');
  const interval = prop(prop(prop(items.items, 'price_data'), 'recurring'), 'interval');
  assert.deepEqual(interval, { t: 'string', enum: ['day', 'month', 'week', 'year'] });
});
fact('POST /v1/subscriptions/{}: cancel_at is a timestamp, min_period_end, or empty; trial_end is a timestamp or now', () => {
  const update = operation('POST', '/v1/subscriptions/{}');
  const cancelAt = prop(update, 'cancel_at');
  assert.equal(cancelAt.t, 'any_of');
  assert.ok(cancelAt.of.some((s) => s.t === 'integer'));
  assert.ok(cancelAt.of.some((s) => s.t === 'empty'));
  assert.deepEqual(prop(update, 'trial_end'), { t: 'any_of', of: [{ t: 'string', enum: ['now'] }, { t: 'integer' }] });
});
fact('POST /v1/checkout/sessions has no payment_method_types param (the d.ts has allowed_ and excluded_payment_method_types)', () => {
  const create = operation('POST', '/v1/checkout/sessions');
  assert.ok(!('payment_method_types' in create.props));
  assert.equal(prop(create, 'allowed_payment_method_types').t, 'array');
  assert.equal(prop(create, 'excluded_payment_method_types').t, 'array');
  assert.ok(spec.objects['checkout.session'].always.includes('payment_method_types'));
});
fact('POST /v1/checkout/sessions: ui_mode is elements|embedded_page|form|hosted_page', () => {
  const uiMode = prop(operation('POST', '/v1/checkout/sessions'), 'ui_mode');
  assert.deepEqual(uiMode, { t: 'string', enum: ['elements', 'embedded_page', 'form', 'hosted_page'] });
});
fact('POST /v1/checkout/sessions: payment_method_collection is always|if_required; mode is an enum; line_items[] has price and quantity', () => {
  const create = operation('POST', '/v1/checkout/sessions');
  assert.deepEqual(prop(create, 'payment_method_collection'), { t: 'string', enum: ['always', 'if_required'] });
  assert.deepEqual(prop(create, 'mode'), { t: 'string', enum: ['payment', 'setup', 'subscription'] });
  const item = prop(create, 'line_items').items;
  assert.deepEqual(prop(item, 'price'), { t: 'string' });
  assert.deepEqual(prop(item, 'quantity'), { t: 'integer' });
});
fact('GET /v1/prices: active is a boolean, lookup_keys an array of strings, limit an integer from PaginationParams', () => {
  const list = operation('GET', '/v1/prices');
  assert.deepEqual(prop(list, 'active'), { t: 'boolean' });
  assert.deepEqual(prop(list, 'lookup_keys'), { t: 'array', items: { t: 'string' } });
  assert.deepEqual(prop(list, 'limit'), { t: 'integer' });
  assert.deepEqual(prop(list, 'starting_after'), { t: 'string' });
  assert.deepEqual(prop(list, 'ending_before'), { t: 'string' });
});
fact('GET /v1/customers: created is an integer or a gt/gte/lt/lte range', () => {
  const created = prop(operation('GET', '/v1/customers'), 'created');
  assert.equal(created.t, 'any_of');
  assert.deepEqual(created.of[0], { t: 'integer' });
  assert.deepEqual(Object.keys(created.of[1].props), ['gt', 'gte', 'lt', 'lte']);
});
fact('POST /v1/customers: metadata is any_of(object of strings, empty)', () => {
  assert.deepEqual(prop(operation('POST', '/v1/customers'), 'metadata'), {
    t: 'any_of',
    of: [{ t: 'object', props: {}, req: [], extra: { t: 'string' } }, { t: 'empty' }],
  });
});
fact('POST /v1/prices: currency is required; unit_amount_decimal is a decimal string', () => {
  const create = operation('POST', '/v1/prices');
  assert.ok(create.req.includes('currency'));
  assert.deepEqual(prop(create, 'unit_amount_decimal'), { t: 'string' });
});
fact('POST /v1/coupons: percent_off is a decimal number, amount_off an integer', () => {
  const create = operation('POST', '/v1/coupons');
  assert.deepEqual(prop(create, 'percent_off'), { t: 'number' });
  assert.deepEqual(prop(create, 'amount_off'), { t: 'integer' });
});
fact('DELETE /v1/customers/{} takes no params; POST /v1/files takes the file as a string part', () => {
  assert.deepEqual(operation('DELETE', '/v1/customers/{}'), { t: 'object', props: {}, req: [] });
  assert.deepEqual(prop(operation('POST', '/v1/files'), 'file'), { t: 'string' });
});
fact('POST /v1/customers/{}/sources/{}/verify exists with two path segments', () => {
  operation('POST', '/v1/customers/{}/sources/{}/verify');
});
fact('POST /v1/test_helpers/test_clocks/{}/advance requires frozen_time', () => {
  assert.deepEqual(operation('POST', '/v1/test_helpers/test_clocks/{}/advance').req, ['frozen_time']);
});
fact('objects: invoice always has customer; subscription always has items; checkout.session is keyed by its literal', () => {
  assert.ok(spec.objects.invoice.always.includes('customer'));
  assert.ok(spec.objects.subscription.always.includes('items'));
  assert.ok(spec.objects['checkout.session'].always.includes('url'));
  assert.ok(spec.objects['billing_portal.session'].always.includes('url'));
  assert.ok(spec.objects['test_helpers.test_clock'].always.includes('frozen_time'));
});
fact('objects: deleted twins are keyed "deleted <object>" and carry deleted, id, object', () => {
  assert.deepEqual(spec.objects['deleted customer'], { always: ['deleted', 'id', 'object'], optional: [] });
  assert.ok(!spec.objects.customer.always.includes('deleted'));
  assert.ok(!spec.objects.customer.optional.includes('deleted'));
});
fact('objects: event has the EventBase fields; every field list is sorted and disjoint', () => {
  assert.deepEqual(spec.objects.event.always, [
    'api_version', 'created', 'data', 'id', 'livemode', 'object', 'pending_webhooks', 'request', 'type',
  ]);
  for (const [key, { always, optional }] of Object.entries(spec.objects)) {
    assert.deepEqual(always, [...always].sort(), key);
    assert.deepEqual(optional, [...optional].sort(), key);
    assert.ok(always.every((field) => !optional.includes(field)), key);
    assert.ok(always.includes('object'), key);
  }
});

// --- counts -----------------------------------------------------------------------------------------

const kindCounts = Object.fromEntries(KINDS.map((kind) => [kind, 0]));
let anyPlaces = [];
for (const op of spec.operations) {
  for (const [node, where] of nodes(op.params, `${op.method} ${op.path}`)) {
    kindCounts[node.t] += 1;
    if (node.t === 'any') anyPlaces.push(where);
  }
}
const byMethod = {};
for (const op of spec.operations) byMethod[op.method] = (byMethod[op.method] ?? 0) + 1;

for (const description of facts) console.log(`ok - ${description}`);
console.log(`${facts.length} facts hold`);
console.log(`operations: ${spec.operations.length} (${Object.entries(byMethod).map(([m, n]) => `${m} ${n}`).join(', ')})`);
console.log(`objects: ${Object.keys(spec.objects).length} (${Object.keys(spec.objects).filter((k) => k.startsWith('deleted ')).length} of them deleted twins)`);
console.log(`schema nodes by kind: ${Object.entries(kindCounts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`any: ${anyPlaces.length}${anyPlaces.length ? ` (${anyPlaces.slice(0, 5).join('; ')})` : ''}`);
console.log(`size: ${fs.statSync(path.join(HERE, 'endive.json')).size} bytes`);
