// Drives examples/minimal (the size benchmark's subject) in headless Chromium, offline, and
// checks that it still does what it is for: load the script, create Link with an on_success
// that logs the token, open Link on a click of #link-button.
//
//   node bench/minimal-check.mjs [DIR]
//
// DIR holds index.html, app.js and app_bg.wasm of examples/minimal (default
// test-output/examples/minimal, as `cargo xtask examples minimal DIR` or the examples-wasm
// step of scripts/test.sh write it; target/bench/size-only/crate from `cargo xtask bench size` works with
// examples/minimal/index.html copied in). Nothing leaves the machine: every request is answered
// by a route (https://js.flexpa.com/v1/ with sandbox/flexpa-link.js, https://link.flexpa.com/
// with a stand-in Link app page that posts SUCCESS to the opener as the protocol says), and any
// other request fails the check. Uses playwright-core (bench/js or e2e node_modules) on
// /usr/bin/chromium. Exits non-zero with a message on the first failed check.
import { createRequire } from "node:module";
import { readdir, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIR = resolve(process.argv[2] || join(ROOT, "test-output/examples/minimal"));
const APP = "http://minimal.test/";
const TOKEN = "public_token_950fae5f-7903-4ce1-9414-9b44c4e55263";

function playwright() {
  for (const base of ["bench/js", "e2e"]) {
    const pkg = join(ROOT, base, "node_modules/playwright-core/package.json");
    if (existsSync(pkg)) return createRequire(pkg)("playwright-core");
  }
  throw new Error("playwright-core not installed: (cd bench/js && npm ci)");
}

// Every .js file under DIR/snippets (none when the directory is missing).
async function snippets(dir) {
  const root = join(dir, "snippets");
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".js")).map((e) => join(e.parentPath ?? e.path, e.name));
}

function check(ok, what) {
  if (!ok) {
    console.error(`minimal-check FAILED: ${what}`);
    process.exit(1);
  }
  console.log(`ok - ${what}`);
}

// The stand-in Link app: tells the opener it loaded, then delivers a public token.
const LINK_PAGE = `<!doctype html><title>Link stand-in</title><script>
  parent.postMessage({ type: "LOADED" }, "*");
  setTimeout(() => parent.postMessage({ type: "SUCCESS", payload: ${JSON.stringify(TOKEN)} }, "*"), 50);
</script>`;

async function run(browser, { scriptStatus }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const logs = [];
  const errors = [];
  const requests = [];
  page.on("console", (m) => (m.type() === "error" ? errors : logs).push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  const indexHtml = await readFile(
    existsSync(join(DIR, "index.html")) ? join(DIR, "index.html") : join(ROOT, "examples/minimal/index.html"),
  );
  const files = {
    [APP]: ["text/html", indexHtml],
    [APP + "app.js"]: ["text/javascript", await readFile(join(DIR, "app.js"))],
    [APP + "app_bg.wasm"]: ["application/wasm", await readFile(join(DIR, "app_bg.wasm"))],
  };
  // The crate's JS modules, which wasm-bindgen copies to DIR/snippets/ (src/browser/core.js).
  for (const file of await snippets(DIR)) {
    files[APP + relative(DIR, file).split(sep).join("/")] = ["text/javascript", await readFile(file)];
  }
  const script = await readFile(join(ROOT, "sandbox/flexpa-link.js"));
  await context.route("**/*", (route) => {
    const url = route.request().url();
    requests.push(url);
    if (files[url]) return route.fulfill({ contentType: files[url][0], body: files[url][1] });
    if (url === "https://js.flexpa.com/v1/") {
      return scriptStatus === 200
        ? route.fulfill({ contentType: "text/javascript", body: script })
        : route.fulfill({ status: scriptStatus, body: "not found" });
    }
    if (url.startsWith("https://link.flexpa.com/")) {
      return route.fulfill({ contentType: "text/html", body: LINK_PAGE });
    }
    errors.push(`unexpected request ${url}`);
    return route.abort();
  });
  await page.goto(APP);
  return { context, page, logs, errors, requests };
}

const { chromium } = playwright();
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
  ],
});
try {
  // 1. The happy path.
  const { context, page, logs, errors, requests } = await run(browser, { scriptStatus: 200 });
  await page.waitForFunction(() => window.FlexpaLink && window.FlexpaLink.publishableKey, null, {
    timeout: 10000,
  });
  const scriptTags = await page.evaluate(
    () => [...document.scripts].filter((s) => s.src === "https://js.flexpa.com/v1/").length,
  );
  check(scriptTags === 1, "one <script src=https://js.flexpa.com/v1/> injected");
  check(
    (await page.evaluate(() => window.FlexpaLink.publishableKey)) === "pk_test_minimal_example",
    "Link created with the app's publishable key",
  );
  check((await page.locator("iframe").count()) === 0, "no iframe before the click");
  // Counted as they are added: the stand-in Link page delivers its token 50 ms after loading,
  // so on a busy machine the iframe can be gone again before a count of the page would run.
  await page.evaluate(() => {
    window.__linkIframes = 0;
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) if (n.tagName === "IFRAME" && n.title === "Flexpa Link") window.__linkIframes++;
      }
    }).observe(document.body, { childList: true });
  });
  await page.click("#link-button");
  await page.waitForFunction(() => window.__linkIframes > 0, null, { timeout: 10000 }).catch(() => {});
  check((await page.evaluate(() => window.__linkIframes)) === 1, "the click opens Link");
  await page.waitForFunction(() => document.querySelectorAll("iframe").length === 0, null, {
    timeout: 10000,
  });
  await page.waitForTimeout(100);
  check(logs.filter((l) => l === TOKEN).length === 1, "on_success logged the public token once");
  check((await page.locator("iframe").count()) === 0, "the iframe is gone after success");
  check(
    requests.filter((u) => u === "https://js.flexpa.com/v1/").length === 1,
    "the script was fetched once",
  );
  check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
  await context.close();

  // 2. The script fails to load: the app reports the typed error on the console, as its stable
  // code (the app logs `Error::code()`, not the formatted message: see examples/minimal).
  const failing = await run(browser, { scriptStatus: 404 });
  for (let i = 0; i < 100 && !failing.errors.some((e) => e.includes("SCRIPT_FAILED")); i++) {
    await failing.page.waitForTimeout(50);
  }
  const reported = failing.errors.find((e) => e.includes("SCRIPT_FAILED"));
  check(
    Boolean(reported) && reported.includes("Flexpa Link"),
    `a failed script load is logged as an error (${failing.errors.join(" | ")})`,
  );
  check(
    (await failing.page.evaluate(
      () => [...document.scripts].filter((s) => s.src === "https://js.flexpa.com/v1/").length,
    )) === 0,
    "the broken tag is removed",
  );
  await failing.context.close();
} finally {
  await browser.close();
}
