// Measures a page's first load in Debian's Chromium, at a phone's width: bytes on the wire (HTML,
// CSS, JS, WASM), time to interactive — from navigation start until the load event has finished,
// every file in and nothing left to run (a page with an island would add its hydration) — and the
// cumulative layout shift (a PerformanceObserver for `layout-shift`, registered before the page's
// first byte, read a second after load), over cold loads (fresh browser context, empty cache),
// unthrottled and on a simulated slow phone (4x CPU slowdown, 1.6 Mbit/s down, 150 ms round trip).
//
//   BASE_URL=http://127.0.0.1:3000 [PAGE_PATH=/pricing] node end2end/measure/first-load.mjs [runs]
//
// Last it prints one `json: {…}` line (for `cargo xtask bench`): per profile the median time to
// interactive, the largest layout shift and the WASM requests seen, and the page's files fetched
// once each as identity, gzip and brotli.
//
// Serve a release build (`cargo xtask release`, assets precompressed) when measuring.
import { request as httpRequest } from "node:http";
import { chromium } from "@playwright/test";

const baseURL = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const pagePath = process.env.PAGE_PATH ?? "/";
const runs = Number(process.argv[2] ?? 10);
const profiles = {
  unthrottled: null,
  "slow phone": { cpu: 4, latency: 150, down: (1.6 * 1024 * 1024) / 8, up: (750 * 1024) / 8 },
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = { page: pagePath, runs, profiles: {}, files: {} };
const urls = new Set();

/** The bytes of `url` on the wire when the client accepts `encoding` (no decompression). */
function wireSize(url, encoding) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { "accept-encoding": encoding } }, (res) => {
      let size = 0;
      res.on("data", (chunk) => { size += chunk.length; });
      res.on("end", () => resolve(size));
    });
    req.on("error", reject);
    req.end();
  });
}

for (const [name, profile] of Object.entries(profiles)) {
  const times = [];
  const shifts = [];
  let wasmRequests = 0;
  let bytes = {};
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.__layoutShift = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (!entry.hadRecentInput) window.__layoutShift += entry.value;
        }
      }).observe({ type: "layout-shift", buffered: true });
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    if (profile) {
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: profile.cpu });
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false, latency: profile.latency,
        downloadThroughput: profile.down, uploadThroughput: profile.up,
      });
    }
    const types = new Map();
    const sizes = {};
    cdp.on("Network.responseReceived", (e) => {
      types.set(e.requestId, e.response.url);
      urls.add(e.response.url);
    });
    cdp.on("Network.loadingFinished", (e) => {
      const url = types.get(e.requestId) ?? "";
      const kind = url.endsWith(".wasm") ? "wasm" : url.endsWith(".js") ? "js"
        : url.endsWith(".css") ? "css" : url.endsWith(".svg") ? "icon" : "html";
      sizes[kind] = (sizes[kind] ?? 0) + e.encodedDataLength;
    });
    await page.goto(baseURL + pagePath, { waitUntil: "load" });
    times.push(await page.evaluate(() => performance.getEntriesByType("navigation")[0].loadEventEnd));
    await page.waitForTimeout(1000);
    shifts.push(await page.evaluate(() => window.__layoutShift));
    if (sizes.wasm !== undefined) wasmRequests += 1;
    bytes = sizes;
    await context.close();
  }
  const total = Object.values(bytes).reduce((a, b) => a + b, 0);
  const shift = Math.max(...shifts);
  summary.profiles[name] = { interactive_ms: median(times), wire_bytes: total, layout_shift: shift, wasm_requests: wasmRequests };
  console.log(`${name}: time to interactive median ${median(times).toFixed(0)} ms, ` +
    `layout shift at most ${shift}, WASM fetched in ${wasmRequests} of ${runs} loads; ` +
    `(min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}, ${runs} cold loads); ` +
    `bytes on the wire ${total} (${Object.entries(bytes).map(([k, v]) => `${k} ${v}`).join(", ")})`);
}
await browser.close();

for (const url of [...urls].filter((u) => u.startsWith(baseURL))) {
  const path = url.slice(baseURL.length);
  summary.files[path] = {
    raw: await wireSize(url, "identity"),
    gzip: await wireSize(url, "gzip"),
    br: await wireSize(url, "br"),
  };
}
console.log(`json: ${JSON.stringify(summary)}`);
