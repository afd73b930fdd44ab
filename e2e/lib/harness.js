// Shared set-up of the end-to-end tests: the demo server (a real process, sandbox mode),
// headless Chromium through playwright-core (the system /usr/bin/chromium, never a downloaded
// browser), and screenshots of each step under test-output/e2e/.

import { spawn } from "node:child_process";
import { mkdirSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const OUTPUT = process.env.E2E_OUTPUT || join(ROOT, "test-output", "e2e");

/** The demo server binary (cargo xtask e2e builds it). */
export const SERVER_BIN =
  process.env.DEMO_SERVER_BIN ||
  join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "debug", "flexpa-link-demo-server");

/** The built frontends, one directory per example (cargo xtask e2e builds them). */
export const APPS_DIR = process.env.E2E_APPS_DIR || join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "demo");

/** The vanilla frontend's static files. */
export const VANILLA_DIR = join(APPS_DIR, "vanilla");

/** Asserts that `dir` holds a frontend built by cargo xtask examples. */
export function assertBuilt(dir) {
  if (!existsSync(join(dir, "index.html")) || !existsSync(join(dir, "app_bg.wasm"))) {
    throw new Error(`${dir} has no built frontend: cargo xtask e2e builds it (cargo xtask examples all ${APPS_DIR})`);
  }
}

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--disable-dev-shm-usage",
];

/** Headless Chromium. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (cargo xtask setup does)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A fresh page in its own context (no state shared between tests), 1000x760, with the page's
 * uncaught errors kept in `page.errors`.
 */
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  return page;
}

/**
 * Starts the demo server in sandbox mode on free ports and waits for its "Open <url>" line.
 * Resolves to { url, sandboxUrl, output(), stop() }.
 */
export async function startServer({ staticDir, env = {}, args = [] } = {}) {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`${SERVER_BIN} not found: cargo build -p flexpa-link-demo-server (cargo xtask e2e does)`);
  }
  const childEnv = { ...process.env, ...env };
  // Sandbox mode: no real keys, whatever the caller's shell has.
  for (const name of ["FLEXPA_PUBLISHABLE_KEY", "FLEXPA_SECRET_KEY", "FLEXPA_LINK_SCRIPT_URL", "FLEXPA_API_URL", "FLEXPA_WEBHOOK_SECRET", "FLEXPA_REDIRECT_URI", "PORT"]) {
    if (!(name in env)) delete childEnv[name];
  }
  // No "still syncing" window unless a test asks for one (records.test.js does).
  const sync = args.includes("--sandbox-sync-seconds") ? [] : ["--sandbox-sync-seconds", "0"];
  const argv = ["--port", "0", ...(staticDir ? ["--static", staticDir] : []), ...sync, ...args];
  const child = spawn(SERVER_BIN, argv, { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => (output += d));
  const ready = new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo server did not start:\n${output}`)), 30000);
    child.stdout.on("data", (d) => {
      output += d;
      const open = output.match(/^Open (http:\/\/\S+?)\/? in your browser/m);
      if (open) {
        clearTimeout(timer);
        const sandbox = output.match(/^Sandbox Flexpa \(Link script, Link app, API\): (http:\/\/\S+?)\/?$/m);
        resolvePromise({ url: open[1], sandboxUrl: sandbox ? sandbox[1] : null });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo server exited (${code}):\n${output}`));
    });
  });
  const { url, sandboxUrl } = await ready;
  return {
    url,
    sandboxUrl,
    output: () => output,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}

/**
 * Screenshots for one test: test-output/e2e/<suite>/<test>/NN-<step>.png, numbered in order.
 */
export function screenshots(suite, test) {
  const dir = join(OUTPUT, suite, test.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase());
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (page, step) => {
    n += 1;
    const path = join(dir, `${String(n).padStart(2, "0")}-${step}.png`);
    await page.screenshot({ path });
    return path;
  };
}

/** Records the page's POST /api/exchange requests and their answers. */
export function recordExchanges(page) {
  const exchanges = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/exchange") {
      const entry = { body: request.postDataJSON() };
      // Resolves to { status, text } of the answer.
      entry.answer = request.response().then(async (response) => ({
        status: response ? response.status() : 0,
        text: response ? await response.text().catch(() => "") : "",
      }));
      exchanges.push(entry);
    }
  });
  return exchanges;
}

/** The Link iframe the script appends (title "Flexpa Link"). */
export function linkFrame(page) {
  return page.frameLocator('iframe[title="Flexpa Link"]');
}

/** Waits until #status reads `status`. */
export async function waitForStatus(page, status, timeout = 30000) {
  await page.locator("#status").filter({ hasText: new RegExp(`^${status}$`) }).waitFor({ timeout });
}

/**
 * In the open Link iframe: pick `planLabel`, sign in with the sample credentials the Link app
 * shows on screen. `shot` (optional) takes screenshots on the way.
 */
export async function linkThroughSandbox(page, planLabel, shot) {
  const link = linkFrame(page);
  await link.locator("button.plan", { hasText: planLabel }).click();
  await link.locator("#sample-username").waitFor();
  if (shot) await shot(page, "link-sign-in");
  const username = await link.locator("#sample-username").textContent();
  const password = await link.locator("#sample-password").textContent();
  await link.locator("#username").fill(username);
  await link.locator("#password").fill(password);
  await link.locator("#sign-in").click();
}
