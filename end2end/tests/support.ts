// What several journeys do the same way: fill the emulator's card fields, make a unique user,
// open the pricing page once the catalog is there, wait for webhooks to show on a page, look at a
// page at each width and colour scheme (screenshots and the accessibility scan).
import AxeBuilder from "@axe-core/playwright";
import { expect, type Locator, type Page } from "@playwright/test";

/** Fills the billing address on the emulator's Checkout page when it asks for one (Tollgate's
 * Checkout Sessions collect it). */
export async function fillAddress(page: Page) {
  const address = page.getByLabel("Address", { exact: true });
  if (await address.count()) {
    await address.fill("1 Main Street");
    await page.getByLabel("City").fill("Springfield");
    await page.getByLabel("Postal code").fill("12345");
    await page.getByLabel("Country (two letters, e.g. US, DE)").fill("US");
  }
}

/** Fills the card fields of the emulator's Checkout or portal page (and the billing address
 * Checkout asks for). */
export async function fillCard(page: Page, number: string, expiry = "12 / 34") {
  await fillAddress(page);
  await page.getByLabel("Card number").fill(number);
  await page.getByLabel("Expiry (MM / YY)").fill(expiry);
  await page.getByLabel("CVC").fill("123");
}

/** An address no other run has used. */
export function uniqueEmail(name: string) {
  return `${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Signs up a new user (signed in afterwards, on /account); their address. `email` fixed
 * instead of unique, and a `displayName`, make pages that show them look the same each run. */
export async function signUp(
  page: Page,
  name: string,
  { email = uniqueEmail(name), displayName }: { email?: string; displayName?: string } = {},
) {
  await page.goto("/signup");
  if (displayName) await page.getByLabel("Display name (optional)").fill(displayName);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  return email;
}

/** Follows the link mailed at sign-up that confirms `email`, from the dev mailbox (a free trial
 * without a card needs a confirmed address); lands on /account. */
export async function confirmAddress(page: Page, email: string) {
  const mail = page.getByRole("article", { name: `Confirm your Tollgate email address to ${email}` });
  await eventually(page, "/dev/mailbox", async () => {
    await expect(mail).toHaveCount(1, { timeout: 1000 });
  });
  await mail.getByRole("link").first().click();
  await expect(page.getByRole("status")).toHaveText(/Your email address is confirmed/);
}

/** Opens /pricing, reloading until the catalog (synced at start-up) shows. */
export async function openPricing(page: Page) {
  await expect(async () => {
    await page.goto("/pricing");
    await expect(page.getByRole("heading", { name: "Hobby", exact: true })).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 30_000 });
}

/** Reloads `path` until `check` passes: webhooks arrive a moment after the browser. */
export async function eventually(page: Page, path: string, check: () => Promise<void>) {
  await expect(async () => {
    await page.goto(path);
    await check();
  }).toPass({ timeout: 20_000 });
}

/** The widths every page is looked at: a phone's and a laptop's. */
const SCREENS = [
  { name: "phone", width: 390, height: 844 },
  { name: "laptop", width: 1280, height: 800 },
] as const;

/** What a finger presses on our pages: buttons, fields, the menu and its links, the toggle. Links
 * inside sentences are exempt, as WCAG's target-size rule exempts them. */
const TARGETS = [
  "a.button", "button", "select", "summary", ".site-nav__links a", ".segmented label",
  "input:not([type=hidden], [type=radio], [type=checkbox])",
].join(", ");

/** The targets on the page (shown, not in a closed menu) less than 44 px tall, by their text. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.locator(TARGETS).evaluateAll((elements) =>
    elements
      .map((element) => ({ element, box: element.getBoundingClientRect() }))
      .filter(({ element, box }) => box.height > 0 && (element as HTMLElement).checkVisibility())
      .filter(({ box }) => box.height < 44)
      .map(({ element, box }) => `${element.tagName.toLowerCase()} "${element.textContent?.trim()}" ${box.height}px`),
  );
}

/** axe-core rules that fail the scan whatever impact axe gives them: labelled controls, landmarks
 * around all content, one main and one h1, headings in order. */
const ALWAYS_CHECKED = ["label", "region", "landmark-one-main", "page-has-heading-one", "heading-order"];

/**
 * Runs axe-core on the page as it is now, failing (softly) on any serious or critical violation
 * of WCAG 2.x A and AA and on any of ALWAYS_CHECKED.
 */
export async function scanAccessibility(page: Page, name: string) {
  const scan = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"])
    .analyze();
  const failing = scan.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical" || ALWAYS_CHECKED.includes(v.id))
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect.soft(failing, `accessibility of ${name}`).toEqual([]);
}

/** What changes from run to run on a page (dates, figures from today), masked in screenshots. */
export type Moving = Locator[];

/**
 * Looks at the page as it is now, at each width in light and dark: compares a full-page
 * screenshot with the committed baseline (`screenshots/NAME-WIDTH-SCHEME.png`; a difference fails
 * and leaves the diff image under test-results/) and runs axe-core, failing on any serious or
 * critical violation of WCAG 2.x A and AA and on any of ALWAYS_CHECKED.
 */
export async function lookAt(page: Page, name: string, moving: Moving = []) {
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const screen of SCREENS) {
      await page.setViewportSize({ width: screen.width, height: screen.height });
      const shot = `${name}-${screen.name}-${scheme}`;
      await expect.soft(page, shot).toHaveScreenshot(`${shot}.png`, { fullPage: true, mask: moving });
      await scanAccessibility(page, shot);
      if (screen.name === "phone" && page.url().startsWith(process.env.BASE_URL ?? "")) {
        expect.soft(await smallTargets(page), `touch targets under 44 px on ${shot}`).toEqual([]);
      }
    }
  }
  await page.emulateMedia({ colorScheme: null });
}
