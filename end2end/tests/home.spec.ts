// The home page: complete server-rendered HTML with no script, a header menu that works without
// one and never shifts the page, and the stylesheet served precompressed with a long lifetime.
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
  });

  test("the menu opens and closes with no script at all", async ({ page }) => {
    await page.goto("/");
    const nav = page.getByRole("navigation", { name: "Main" });
    const features = nav.getByRole("link", { name: "Features" });
    // Folded from the first paint: the header is one row.
    await expect(features).toBeHidden();
    await nav.getByText("Menu").click();
    await expect(nav.getByRole("group")).toHaveAttribute("open", "");
    await expect(features).toBeVisible();
    await nav.getByText("Menu").click();
    await expect(features).toBeHidden();
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

  test("the header keeps its height while the page loads: no layout shift", async ({ page }) => {
    await page.goto("/");
    const header = page.getByRole("banner");
    expect((await header.boundingBox())?.height).toBeLessThan(70);
    const shift = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          let total = 0;
          new PerformanceObserver((list) => {
            for (const entry of list.getEntries() as (PerformanceEntry & { value: number })[]) total += entry.value;
          }).observe({ type: "layout-shift", buffered: true });
          setTimeout(() => resolve(total), 500);
        }),
    );
    expect(shift).toBe(0);
  });

  test("no page loads WASM or JavaScript, and the CSS is hashed, precompressed and cached for a year", async ({ page, request }) => {
    const assets: string[] = [];
    page.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith("/pkg/")) assets.push(path);
    });
    for (const path of ["/", "/pricing", "/signin"]) {
      await page.goto(path);
      await page.waitForLoadState("load");
    }
    expect(assets.filter((p) => p.endsWith(".wasm") || p.endsWith(".js"))).toEqual([]);

    const css = assets.find((p) => p.endsWith(".css"));
    expect(css, "the stylesheet was loaded").toBeTruthy();
    // A content hash in the name: tollgate.<hash>.css
    expect(css).toMatch(/^\/pkg\/tollgate\.[\w-]{8,}\.css$/);
    for (const encoding of ["br", "gzip"]) {
      const response = await request.get(css!, { headers: { "Accept-Encoding": encoding } });
      expect(response.status()).toBe(200);
      expect(response.headers()["content-encoding"]).toBe(encoding);
      expect(response.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
    }
  });
});

test("on a wide screen the links are shown and the menu button is not", async ({ page }) => {
  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "How it works" })).toBeVisible();
  await expect(nav.getByText("Menu")).toBeHidden();
});
