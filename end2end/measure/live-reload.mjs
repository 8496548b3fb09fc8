// Checks `cargo xtask dev`'s live reload in Debian's Chromium, against a running `cargo xtask dev`:
//
//   1. an edited stylesheet is swapped into the open page, without reloading it;
//   2. an edited page (its Rust source in app/) is rebuilt, and the open page reloads itself and
//      shows the edit.
//
// The files it edits are restored (also when a step fails), and the restore's rebuild is waited
// for, so the dev server ends as it began. Prints each step with its time; exits 1 on failure.
//
//   node end2end/measure/live-reload.mjs          (BASE_URL defaults to http://127.0.0.1:3000)
import { readFileSync, writeFileSync } from "node:fs";
import { chromium } from "@playwright/test";

const baseURL = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const root = new URL("../../", import.meta.url).pathname;
const stylesheet = `${root}style/main.scss`;
const pageSource = `${root}app/src/pages/pricing.rs`;
const heading = '<h1>"Pricing"</h1>';
const edited = '<h1>"Pricing (edited live)"</h1>';
// A Rust edit rebuilds the server and the WASM bundle: give it minutes on 2 cores.
const rebuildTimeout = 10 * 60 * 1000;

const originals = new Map();
function edit(path, change) {
  const text = readFileSync(path, "utf8");
  if (!originals.has(path)) originals.set(path, text);
  const next = change(text);
  if (next === text) throw new Error(`editing ${path} changed nothing`);
  writeFileSync(path, next);
}
function restore() {
  for (const [path, text] of originals) writeFileSync(path, text);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Opens /pricing and waits until its live-reload socket is open. */
async function openPricing() {
  const connected = page.waitForEvent("websocket", {
    predicate: (ws) => ws.url().endsWith("/live_reload"),
  });
  await page.goto(`${baseURL}/pricing`);
  await connected;
  await page.evaluate(() => { window.liveReloadMarker = true; });
}

let failed = false;
try {
  await openPricing();
  console.log("ok   /pricing is open with its live-reload socket");

  let started = Date.now();
  edit(stylesheet, (css) => `${css}\n.live-reload-probe { color: red; }\n`);
  await page.waitForFunction(
    () => document.querySelector("link#leptos")?.getAttribute("href")?.includes("?version="),
    null,
    { timeout: 60_000 },
  );
  if (!(await page.evaluate(() => window.liveReloadMarker))) {
    throw new Error("the page reloaded for a stylesheet edit instead of swapping the stylesheet");
  }
  console.log(`ok   an edited stylesheet was swapped in without a reload (${seconds(started)})`);

  started = Date.now();
  edit(pageSource, (source) => source.replace(heading, edited));
  await page.waitForFunction(
    () => !window.liveReloadMarker && document.querySelector("h1")?.textContent === "Pricing (edited live)",
    null,
    { timeout: rebuildTimeout, polling: 500 },
  );
  console.log(`ok   an edited page was rebuilt and the open page reloaded to show it (${seconds(started)})`);
} catch (error) {
  failed = true;
  console.log(`FAIL ${error.message}`);
} finally {
  const started = Date.now();
  restore();
  try {
    await page.waitForFunction(
      () => document.querySelector("h1")?.textContent === "Pricing",
      null,
      { timeout: rebuildTimeout, polling: 500 },
    );
    console.log(`ok   restored; the page reloaded to the original (${seconds(started)})`);
  } catch (error) {
    failed = true;
    console.log(`FAIL after restoring: ${error.message}`);
  }
  await browser.close();
}
process.exit(failed ? 1 : 0);
