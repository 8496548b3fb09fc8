#!/usr/bin/env node
// The editor `triggers.mjs` gives `stripe trigger --edit` for fixtures that send a step to another
// Stripe host (`api_base`, such as the v2 meter event stream's https://meter-events.stripe.com):
// it deletes that `api_base`, so the step goes to `--api-base` (the emulator) like every other step
// and nothing else of Stripe's fixture changes.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
const fixture = JSON.parse(readFileSync(file, 'utf8'));
for (const step of fixture.fixtures) delete step.api_base;
writeFileSync(file, JSON.stringify(fixture, null, 2));
