// The home page: server-rendered before any script runs, interactive once hydrated, and its
// compiled assets served precompressed with long cache lifetimes.
import { expect, test } from "@playwright/test";

/** A phone-sized viewport, where the navigation folds behind the menu button. */
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false, ...phone });

  test("the home page is complete server-rendered HTML", async ({ page }) => {
    const response = await page.goto("/");
    expect(response?.status()).toBe(200);
    await expect(page).toHaveTitle("Tollgate");
    await expect(
      page.getByRole("heading", { level: 1, name: "Subscriptions for your Rust product" }),
    ).toBeVisible();
    await expect(page.getByRole("heading", { name: "What you get" })).toBeVisible();
    // Nothing can respond before the WASM arrives: the button says so and the links stay shown.
    await expect(page.getByRole("button", { name: "Menu" })).toBeDisabled();
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link", { name: "Features" })).toBeVisible();
  });

  test("an unknown path answers 404 with a way home", async ({ page }) => {
    const response = await page.goto("/no-such-page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Back to the home page" })).toHaveAttribute("href", "/");
  });
});

test.describe("on a phone", () => {
  test.use(phone);

  test("the menu button opens and closes the navigation after hydration", async ({ page }) => {
    await page.goto("/");
    const menu = page.getByRole("button", { name: "Menu" });
    const features = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Features" });

    // Hydration enables the button and folds the links away.
    await expect(menu).toBeEnabled();
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(features).toBeHidden();

    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    await expect(features).toBeVisible();

    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(features).toBeHidden();
  });

  test("the WASM, JS and CSS are hashed, precompressed and cached for a year", async ({ page, request }) => {
    const assets: string[] = [];
    page.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith("/pkg/")) assets.push(path);
    });
    await page.goto("/");
    // Enabled means the JS and WASM were fetched and ran.
    await expect(page.getByRole("button", { name: "Menu" })).toBeEnabled();

    for (const ext of [".wasm", ".js", ".css"]) {
      const path = assets.find((p) => p.endsWith(ext));
      expect(path, `a ${ext} file was loaded`).toBeTruthy();
      // A content hash in the name: tollgate.<hash>.<ext>
      expect(path).toMatch(/^\/pkg\/tollgate\.[\w-]{8,}\.\w+$/);

      for (const encoding of ["br", "gzip"]) {
        const response = await request.get(path!, { headers: { "Accept-Encoding": encoding } });
        expect(response.status()).toBe(200);
        expect(response.headers()["content-encoding"]).toBe(encoding);
        expect(response.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
      }
    }
  });
});

test("on a wide screen the links are shown and the menu button is not", async ({ page }) => {
  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "How it works" })).toBeVisible();
  await expect(nav.getByRole("button", { name: "Menu" })).toBeHidden();
});
