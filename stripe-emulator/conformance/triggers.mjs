// Runs the official Stripe CLI's `stripe trigger <event>` against the emulator for every event in
// triggers.json (grouped by family; add a line to add a trigger). A trigger passes when the CLI
// exits 0 and the emulator then holds an event of that type it did not hold before (waiting a few
// seconds for events that follow asynchronously, as a SEPA debit's outcome does). Prints one line
// per trigger and a closing `triggers: N passed, M failed`; exits 1 if any failed.
//
// Stripe's fixtures are run as written, with one adaptation to our pinned API version: where a
// fixture still sends `payment_method_types` to PaymentIntents, SetupIntents or Checkout Sessions,
// which 2026-10-28.endive no longer accepts there (it takes `allowed_payment_method_types`), an
// entry `{ "event", "allowed_payment_method_types": { step: [types] } }` moves the list to the new
// parameter with the CLI's own `--remove` and `--add` flags. Likewise, where a fixture still gives
// a promotion code its coupon as `coupon` (2026-10-28.endive takes `promotion[type]=coupon` and
// `promotion[coupon]`), an entry `{ "event", "promotion_coupon": [step] }` moves it there. Where a
// fixture still sizes a schedule's phases with `iterations` (gone at this version; a phase takes
// `duration[interval]` instead), an entry `{ "event", "schedule_phases": { step: [phase] } }`
// sends the step's phases again with each phase's bracketed keys (`[items][0][price]`,
// `[duration][interval]`): one iteration of a monthly price is one month. Nothing else of a
// fixture changes, with one exception named in the entry: `subscription_schedule.expiring`
// advances its test clock to 9 days before the schedule ends, and Stripe documents the event 7
// days before, so `{ "override": ["step:param=value"] }` advances it to 6 days before.
//
// Connect: an entry `{ "event", "stripe_account": true }` runs the fixture as a connected account
// (`--stripe-account acct_…`): a Custom account with its requirements met and a bank account is
// created through the SDK first, and the event is looked for among that account's events. Events
// about connected accounts (`account.updated`, …) carry `account` and are not the platform's, so
// every trigger looks among the platform's events, each connected account's, and those delivered
// to the Connect endpoint (an account deleted by the fixture has no events to list any more).
//
// Usage-based billing: the CLI's `v1.billing.meter.*` triggers send their meter events to
// `/v2/billing/meter_event_stream` on another host (`"api_base": "https://meter-events.stripe.com"`
// in the fixture), which `--api-base` does not change. An entry `{ "event", "local_api_base": true }`
// runs the trigger with the CLI's own `--edit` flag and `local-api-base.mjs` as the editor, which
// deletes that `api_base` and nothing else; the thin event is looked for in `GET /v2/core/events`.
//
//   STRIPE_EMULATOR_BIN=../../target/debug/stripe-emulator node triggers.mjs [event …]

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CONFORMANCE_DIR, startEmulator } from './tests/harness.mjs';

const run = promisify(execFile);
const CLI = path.join(CONFORMANCE_DIR, 'node_modules/.bin/stripe');
/** The CLI wants keys of 12 characters or more; the emulator takes any `sk_test_…`. */
const KEY = 'sk_test_cli_triggers';
const TIMEOUT_MS = 60_000;

const families = JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, 'triggers.json'), 'utf8'));
const wanted = process.argv.slice(2);
const triggers = Object.values(families)
  .flat()
  .map((entry) => (typeof entry === 'string' ? { event: entry } : entry))
  .filter(({ event }) => wanted.length === 0 || wanted.includes(event));
/** How long an event that follows asynchronously may take to appear. */
const SETTLE_MS = 5_000;

const emulator = await startEmulator({ connect: true });
// A config home of its own, so no profile or login of the machine's user is read or written.
const home = mkdtempSync(path.join(tmpdir(), 'stripe-cli-'));
const env = { ...process.env, XDG_CONFIG_HOME: home, STRIPE_CLI_TELEMETRY_OPTOUT: '1' };
let passed = 0;
let failed = 0;
try {
  for (const { event, allowed_payment_method_types: allowed, promotion_coupon: promotion, schedule_phases: phases, override = [], stripe_account: asAccount, local_api_base: local } of triggers) {
    const started = performance.now();
    const account = asAccount ? await connectedAccount() : null;
    const flags = [
      ...adaptation(allowed),
      ...promotionAdaptation(promotion),
      ...phasesAdaptation(phases),
      ...override.flatMap((param) => ['--override', param]),
      ...(account ? ['--stripe-account', account] : []),
    ];
    const error = await trigger(event, flags, account, local);
    const took = ((performance.now() - started) / 1000).toFixed(1);
    const name = account ? `${event} --stripe-account` : event;
    if (error) {
      failed += 1;
      console.log(`FAIL ${name}: ${error}`);
    } else {
      passed += 1;
      console.log(`ok   ${name} (${took} s)`);
    }
  }
} finally {
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
}
console.log(`triggers: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;

/** The CLI flags that move a fixture step's `payment_method_types` to `allowed_payment_method_types`. */
function adaptation(allowed = {}) {
  return Object.entries(allowed).flatMap(([step, types]) => [
    '--remove',
    `${step}:payment_method_types`,
    ...types.flatMap((type, index) => ['--add', `${step}:allowed_payment_method_types[${index}]=${type}`]),
  ]);
}

/** The CLI flags that move a fixture step's `coupon` to `promotion[coupon]` with `promotion[type]=coupon`. */
function promotionAdaptation(steps = []) {
  return steps.flatMap((step) => [
    '--remove',
    `${step}:coupon`,
    '--add',
    `${step}:promotion[type]=coupon`,
    '--add',
    `${step}:promotion[coupon]=\${coupon:id}`,
  ]);
}

/** The CLI flags that send a fixture step's schedule phases again, each with its bracketed keys. */
function phasesAdaptation(steps = {}) {
  return Object.entries(steps).flatMap(([step, phases]) => [
    '--remove',
    `${step}:phases`,
    ...phases.flatMap((phase, index) =>
      Object.entries(phase).flatMap(([key, value]) => ['--add', `${step}:phases[${index}]${key}=${value}`]),
    ),
  ]);
}

/** A Custom account that can take payments and be paid out: its requirements met, a bank account. */
async function connectedAccount() {
  const account = await emulator.stripe.accounts.create({
    type: 'custom',
    country: 'US',
    business_type: 'individual',
    capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
    individual: { first_name: 'Jenny', last_name: 'Rosen', email: 'jenny@example.com', dob: { day: 1, month: 1, year: 1990 } },
    tos_acceptance: { date: Math.floor(Date.now() / 1000), ip: '127.0.0.1' },
    external_account: {
      object: 'bank_account',
      country: 'US',
      currency: 'usd',
      routing_number: '110000000',
      account_number: '000123456789',
    },
  });
  return account.id;
}

/** Runs one trigger; resolves to null when it passed, else the first line saying why not. A
 * `local` trigger runs with `--edit`, its editor `local-api-base.mjs`, which only deletes the
 * `api_base` of steps sent to another Stripe host, so they reach the emulator too. */
async function trigger(event, flags, account, local) {
  const before = await eventIds(event, account);
  const editor = `node ${path.join(CONFORMANCE_DIR, 'local-api-base.mjs')}`;
  try {
    const edit = local ? ['--edit'] : [];
    await run(CLI, ['trigger', event, ...flags, ...edit, '--api-base', emulator.base, '--api-key', KEY], {
      env: local ? { ...env, EDITOR: editor, VISUAL: editor } : env,
      timeout: TIMEOUT_MS,
      maxBuffer: 10 * 1024 * 1024,
    });
  } catch (error) {
    const output = `${error.stdout ?? ''}\n${error.stderr ?? ''}`;
    const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
    return (
      lines.find((line) => line.startsWith('Trigger failed')) ??
      lines.at(-1) ??
      (error.killed ? `timed out after ${TIMEOUT_MS / 1000} s` : error.message)
    );
  }
  const deadline = performance.now() + SETTLE_MS;
  for (;;) {
    const after = await eventIds(event, account);
    if ([...after].some((id) => !before.has(id))) return null;
    if (performance.now() > deadline) {
      return `the CLI succeeded but the emulator emitted no ${event} event`;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The ids of the emulator's latest events of one type: one connected account's, or the platform's, every connected account's and those delivered to the Connect endpoint; thin events (`v1.…`) from `GET /v2/core/events`. */
async function eventIds(type, account) {
  const ids = new Set();
  const add = (list) => list.data.forEach((event) => ids.add(event.id));
  if (type.startsWith('v1.')) {
    add(await emulator.stripe.v2.core.events.list({ types: [type], limit: 100 }));
    return ids;
  }
  if (account) {
    add(await emulator.stripe.events.list({ type, limit: 100 }, { stripeAccount: account }));
    return ids;
  }
  add(await emulator.stripe.events.list({ type, limit: 100 }));
  for await (const connected of emulator.stripe.accounts.list({ limit: 100 })) {
    add(await emulator.stripe.events.list({ type, limit: 100 }, { stripeAccount: connected.id }));
  }
  emulator.connectEvents.filter((event) => event.type === type).forEach((event) => ids.add(event.id));
  return ids;
}
