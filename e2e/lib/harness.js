// Shared set-up of the end-to-end tests: the demo server (a real process, sandbox mode),
// headless Chromium through playwright-core (the system /usr/bin/chromium, never a downloaded
// browser), and screenshots of each step under test-output/e2e/.

import assert from "node:assert/strict";
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

/** What Flexpa settings a child process could take from the caller's shell. */
const FLEXPA_ENV = [
  "FLEXPA_PUBLISHABLE_KEY",
  "FLEXPA_SECRET_KEY",
  "FLEXPA_LINK_SCRIPT_URL",
  "FLEXPA_API_URL",
  "FLEXPA_WEBHOOK_SECRET",
  "FLEXPA_REDIRECT_URI",
  "PORT",
];

/**
 * The environment for a server started in sandbox mode: the caller's, without Flexpa's keys,
 * URLs and PORT (no real keys, whatever the caller's shell has), then `env` on top.
 */
export function sandboxEnv(env = {}) {
  const childEnv = { ...process.env, ...env };
  for (const name of FLEXPA_ENV) {
    if (!(name in env)) delete childEnv[name];
  }
  return childEnv;
}

/**
 * The URLs a server of this repository prints when it listens ("Open <url> in your browser", and
 * in sandbox mode "Sandbox Flexpa (Link script, Link app, API): <url>"): { url, sandboxUrl }
 * (sandboxUrl null without that line), or null while there is no "Open" line in `output`.
 */
export function listeningUrls(output) {
  const open = output.match(/^Open (http:\/\/\S+?)\/? in your browser/m);
  if (!open) return null;
  const sandbox = output.match(/^Sandbox Flexpa \(Link script, Link app, API\): (http:\/\/\S+?)\/?$/m);
  return { url: open[1], sandboxUrl: sandbox ? sandbox[1] : null };
}

/**
 * Starts `bin` with `args` (`env`: its whole environment) and collects what it prints on stdout
 * and stderr. Waits until `ready(output so far)` returns a value (not null or undefined), at most
 * 30 s; rejects with the output if the process exits first or takes longer (`name` says which
 * process in the error). Resolves to { ready: that value, output(), stop() }: output() is all the
 * process printed so far, stop() ends it (SIGTERM) and resolves once it has exited.
 */
export async function startProcess(bin, args, { env = process.env, name = bin, ready }) {
  const child = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  const value = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 30000);
    const onData = (d) => {
      output += d;
      const found = ready(output);
      if (found !== null && found !== undefined) {
        clearTimeout(timer);
        resolvePromise(found);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}):\n${output}`));
    });
  });
  return {
    ready: value,
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
 * Starts the demo server in sandbox mode on free ports and waits for its "Open <url>" line.
 * Resolves to { url, sandboxUrl, output(), stop() }.
 */
export async function startServer({ staticDir, env = {}, args = [] } = {}) {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`${SERVER_BIN} not found: cargo build -p flexpa-link-demo-server (cargo xtask e2e does)`);
  }
  // No "still syncing" window unless a test asks for one (records.test.js does).
  const sync = args.includes("--sandbox-sync-seconds") ? [] : ["--sandbox-sync-seconds", "0"];
  const argv = ["--port", "0", ...(staticDir ? ["--static", staticDir] : []), ...sync, ...args];
  const { ready, output, stop } = await startProcess(SERVER_BIN, argv, {
    env: sandboxEnv(env),
    name: "the demo server",
    ready: listeningUrls,
  });
  return { url: ready.url, sandboxUrl: ready.sandboxUrl, output, stop };
}

/** The demo's /api/config: { publishableKey, scriptUrl, sandbox }. */
export async function fetchConfig(server) {
  return (await fetch(server.url + "/api/config")).json();
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

/** The Link iframe the script appends (title "Flexpa Link"), as a selector. */
export const LINK_IFRAME = 'iframe[title="Flexpa Link"]';

/** The Link iframe's content. */
export function linkFrame(page) {
  return page.frameLocator(LINK_IFRAME);
}

/** Waits until #status reads `status`. */
export async function waitForStatus(page, status, timeout = 30000) {
  await page.locator("#status").filter({ hasText: new RegExp(`^${status}$`) }).waitFor({ timeout });
}

/** Clicks #link-button and waits until the status is "open" and the Link iframe is there. */
export async function openLink(page) {
  await page.locator("#link-button").click();
  await waitForStatus(page, "open");
  await page.locator(LINK_IFRAME).waitFor();
}

/**
 * On the sandbox Link app's sign-in screen (`link`: the Link iframe's frame locator, or a page
 * showing the consent flow): fills in the sample credentials the screen shows and signs in.
 */
export async function signInWithSample(link) {
  await link.locator("#sample-username").waitFor();
  await link.locator("#username").fill(await link.locator("#sample-username").textContent());
  await link.locator("#password").fill(await link.locator("#sample-password").textContent());
  await link.locator("#sign-in").click();
}

/**
 * In the open Link iframe (`link`, by default the one titled "Flexpa Link"): pick `planLabel`,
 * sign in with the sample credentials the Link app shows on screen. `shot` (optional) takes
 * screenshots on the way.
 */
export async function linkThroughSandbox(page, planLabel, shot, link = linkFrame(page)) {
  await link.locator("button.plan", { hasText: planLabel }).click();
  await link.locator("#sample-username").waitFor();
  if (shot) await shot(page, "link-sign-in");
  await signInWithSample(link);
}

/**
 * Matches the requests for the Link script at `scriptUrl` (a string or URL; its query is not
 * compared), for page.route.
 */
export function isLinkScript(scriptUrl) {
  const script = new URL(scriptUrl);
  return (url) => url.origin === script.origin && url.pathname === script.pathname;
}

/** How many <script> tags of the page load the Link script at `scriptUrl` (a string or URL). */
export function linkScriptTags(page, scriptUrl) {
  return page.evaluate(
    (href) => Array.from(document.scripts).filter((s) => s.src === href).length,
    new URL(scriptUrl).href,
  );
}

/**
 * Holds the page's requests that `url` matches (as page.route takes it: a glob, RegExp or
 * predicate): each waits until the test lets it through. Resolves to { requested, release() }:
 * `requested` resolves when the first such request arrives, release() lets them all go on to
 * the network.
 */
export async function holdRequests(page, url) {
  let release;
  let seen;
  const released = new Promise((resolve) => (release = resolve));
  const requested = new Promise((resolve) => (seen = resolve));
  await page.route(url, async (route) => {
    seen();
    await released;
    await route.continue();
  });
  return { requested, release };
}

/** Holds the requests for the Link script at `scriptUrl` (see holdRequests). */
export function holdLinkScript(page, scriptUrl) {
  return holdRequests(page, isLinkScript(scriptUrl));
}

/** Holds the requests for the demo's /api/config (see holdRequests). */
export function holdConfig(page) {
  return holdRequests(page, "**/api/config");
}

/**
 * Counts the page's live `message` listeners on window (Link's, and the crate's for each
 * session), from before the page's own scripts run. Resolves to a function that resolves to the
 * count at the time.
 */
export async function countMessageListeners(page) {
  await page.addInitScript(() => {
    const live = new Set();
    const add = EventTarget.prototype.addEventListener;
    const remove = EventTarget.prototype.removeEventListener;
    window.addEventListener = function (type, listener, options) {
      if (type === "message") live.add(listener);
      return add.call(this, type, listener, options);
    };
    window.removeEventListener = function (type, listener, options) {
      if (type === "message") live.delete(listener);
      return remove.call(this, type, listener, options);
    };
    window.__messageListeners = () => live.size;
  });
  return () => page.evaluate(() => window.__messageListeners());
}

/** No access token (a JWT, "eyJ...") in the page's HTML or the value of one of its cookies. */
export async function assertNoToken(page) {
  assert.doesNotMatch(await page.content(), /eyJ[A-Za-z0-9_-]{10,}/);
  for (const cookie of await page.context().cookies()) assert.doesNotMatch(cookie.value, /^eyJ/);
}

/** The claims table's rows (#claims-table) as text cells. */
export async function claimRows(page) {
  return page.locator("#claims-table tbody tr").evaluateAll((rows) =>
    rows.map((row) => Array.from(row.cells, (cell) => cell.textContent.trim())),
  );
}
