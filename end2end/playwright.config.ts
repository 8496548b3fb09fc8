// Playwright runs the journeys in tests/ against a server that `cargo xtask test` has started
// (BASE_URL), in Debian's Chromium (CHROMIUM_PATH) — never a browser Playwright downloads.
import { defineConfig, devices } from "@playwright/test";

const baseURL = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Debian's Chromium, quiet on the closed network. */
const browser = {
  ...devices["Desktop Chrome"],
  launchOptions: {
    executablePath,
    // Without the networking flags Chromium floods the closed network with requests.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  },
};

export default defineConfig({
  testDir: "./tests",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
  },
  // Committed baselines, one folder; a difference writes NAME-actual.png and NAME-diff.png under
  // test-results/.
  snapshotPathTemplate: "{testDir}/../screenshots/{arg}{ext}",
  expect: {
    // Fonts are pinned (FONTCONFIG_FILE=fonts.conf: Debian's DejaVu only), so renders repeat
    // exactly (two runs compared pixel for pixel); the tolerance allows a few anti-aliased
    // pixels, never a changed colour or glyph.
    toHaveScreenshot: { maxDiffPixels: 20, threshold: 0.01 },
  },
  projects: [
    {
      // Screenshots and the accessibility scan. Run it on its own before the others (`npm test`
      // and `cargo xtask test` do): the journeys add products to the catalog and move the
      // emulator's clock.
      name: "looks",
      testMatch: /looks\.spec\.ts/,
      use: { ...browser },
    },
    {
      name: "chromium",
      testIgnore: /(lifecycle|over-time|console|partners|teams|looks)\.spec\.ts/,
      use: { ...browser },
    },
    {
      // These move the emulator's clock for everyone: they run once every other journey is
      // done, one project (and one journey) at a time.
      name: "lifecycle",
      testMatch: /lifecycle\.spec\.ts/,
      dependencies: ["chromium"],
      use: { ...browser },
    },
    {
      name: "over-time",
      testMatch: /over-time\.spec\.ts/,
      dependencies: ["lifecycle"],
      use: { ...browser },
    },
    {
      // The operator console pays out the whole balance once the clock has made it available.
      name: "console",
      testMatch: /console\.spec\.ts/,
      dependencies: ["over-time"],
      use: { ...browser },
    },
    {
      // The partner program moves the clock past the commission hold and transfers from the
      // platform's balance: after the console.
      name: "partners",
      testMatch: /partners\.spec\.ts/,
      dependencies: ["console"],
      use: { ...browser },
    },
    {
      // A team's plan downgrades at renewal: it moves the clock, after the partners.
      name: "teams",
      testMatch: /teams\.spec\.ts/,
      dependencies: ["partners"],
      use: { ...browser },
    },
  ],
});
