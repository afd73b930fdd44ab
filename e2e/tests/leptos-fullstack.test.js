// examples/leptos-fullstack end to end in headless Chromium: its own server (axum, server-side
// rendering, the server function) with the offline sandbox in the same process
// (--sandbox, 2 s syncing window). The HTML as the server sends it has the Link button disabled;
// hydration makes it work; linking a sample plan shows the patient, coverage and claims (the
// sandbox's data, read by the server function); no access token reaches the page; leaving the
// Link view while Link is open leaves no iframe.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  APPS_DIR,
  LINK_IFRAME,
  ROOT,
  assertNoToken,
  claimRows,
  launchBrowser,
  linkFrame,
  linkThroughSandbox,
  listeningUrls,
  newPage,
  openLink,
  sandboxEnv,
  screenshots,
  startProcess,
  waitForStatus,
} from "../lib/harness.js";

/** The server binary and the browser half (cargo xtask e2e builds both). */
const BIN =
  process.env.LEPTOS_FULLSTACK_BIN ||
  join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "debug", "example-leptos-fullstack");
const SITE = process.env.LEPTOS_FULLSTACK_SITE || join(APPS_DIR, "leptos-fullstack");

/** Starts the app with its sandbox on free ports; resolves to { url, sandboxUrl, output(), stop() }. */
async function startApp() {
  for (const path of [BIN, join(SITE, "pkg", "app_bg.wasm")]) {
    if (!existsSync(path)) throw new Error(`${path} not found: cargo xtask e2e builds it`);
  }
  const args = ["--sandbox", "--sandbox-sync-seconds", "2", "--port", "0", "--site-root", SITE];
  const { ready, output, stop } = await startProcess(BIN, args, {
    env: sandboxEnv(),
    name: "the app",
    // Started once both URLs are printed.
    ready: (printed) => {
      const urls = listeningUrls(printed);
      return urls && urls.sandboxUrl ? urls : null;
    },
  });
  return { url: ready.url, sandboxUrl: ready.sandboxUrl, output, stop };
}

/** The answers of the page's server-function calls (POST /api/link_records...), as text. */
function recordServerFnAnswers(page) {
  const answers = [];
  page.on("response", (response) => {
    const { pathname } = new URL(response.url());
    if (response.request().method() === "POST" && pathname.startsWith("/api/link_records")) {
      answers.push(response.text());
    }
  });
  return answers;
}

/** No access token (a JWT, "eyJ...") in the page, its cookies (it sets none), or what the server function sent. */
async function assertNoTokenAnywhere(page, answers) {
  await assertNoToken(page);
  assert.deepEqual(await page.context().cookies(), [], "the app sets no cookie");
  assert.ok(answers.length > 0, "the server function was called");
  for (const answer of await Promise.all(answers)) {
    assert.doesNotMatch(answer, /eyJ[A-Za-z0-9_-]{10,}|access_?token/i);
  }
}

describe("examples/leptos-fullstack (its server with the sandbox, 2 s syncing window)", () => {
  let app;
  let browser;

  before(async () => {
    app = await startApp();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  test("the server's HTML has the button disabled and not ready; hydration enables it", async (t) => {
    const html = await (await fetch(app.url + "/")).text();
    const button = html.match(/<button[^>]*id="link-button"[^>]*>/);
    assert.ok(button, "the server rendered the Link button");
    assert.match(button[0], /\sdisabled(\s|=|>)/);
    assert.match(html, /<span id="status">not ready<\/span>/);
    assert.match(html, /\/pkg\/app\.js/, "the hydration script loads the browser half");
    assert.match(html, /Sandbox: every health plan/);

    const shot = screenshots("leptos-fullstack", t.name);
    const page = await newPage(browser);
    await page.goto(app.url + "/");
    await waitForStatus(page, "ready");
    assert.ok(await page.locator("#link-button").isEnabled());
    assert.equal((await page.locator("#link-button").textContent()).trim(), "Link your health data");
    await shot(page, "hydrated");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("link a plan: syncing, then patient, coverage and claims; link another; no token in the page", async (t) => {
    const shot = screenshots("leptos-fullstack", t.name);
    const page = await newPage(browser);
    const answers = recordServerFnAnswers(page);
    await page.goto(app.url + "/");
    await waitForStatus(page, "ready");

    await openLink(page);
    await linkThroughSandbox(page, "Evergreen Health", shot);
    await waitForStatus(page, "syncing");
    assert.match(await page.locator("#syncing").textContent(), /Syncing…/);
    await shot(page, "syncing");
    await waitForStatus(page, "success", 30000);
    assert.ok(await page.locator("#syncing").isHidden());
    assert.equal(await page.locator(LINK_IFRAME).count(), 0);
    await shot(page, "records");
    const patient = await page.locator("#patient").innerText();
    assert.match(patient, /Jane Q\. Doe/);
    assert.match(patient, /Born 1980-01-01/);
    assert.match(patient, /Linked through Evergreen Health/);
    const coverage = await page.locator("#coverage").innerText();
    assert.match(coverage, /Evergreen PPO 1500/);
    assert.match(coverage, /EVG100234501/);
    assert.equal(await page.locator(".claims-summary").textContent(), "46 claims, read in 3 pages through Flexpa's FHIR API");
    let rows = await claimRows(page);
    assert.equal(rows.length, 46);
    assert.deepEqual(rows[0], ["2025-02-12", "Pearl Street Pharmacy", "Pharmacy", "$24.99", "$2.10"]);
    for (const row of rows) {
      assert.match(row[0], /^\d{4}-\d{2}-\d{2}$/);
      assert.match(row[3], /^\$\d[\d,]*\.\d\d$/);
      assert.match(row[4], /^\$\d[\d,]*\.\d\d$/);
    }

    // Again with another plan: the new records replace the old.
    await openLink(page);
    assert.ok(await page.locator("#patient").isHidden(), "the old records are gone while Link is open");
    await linkThroughSandbox(page, "Summit Medicare Advantage");
    await waitForStatus(page, "success", 30000);
    assert.match(await page.locator("#patient").innerText(), /Robert James Miller/);
    assert.match(await page.locator("#patient").innerText(), /Linked through Summit Medicare Advantage/);
    assert.match(await page.locator("#coverage").innerText(), /Summit Advantage Plus \(HMO\)/);
    assert.equal(await page.locator(".claims-summary").textContent(), "27 claims, read in 2 pages through Flexpa's FHIR API");
    rows = await claimRows(page);
    assert.equal(rows.length, 27);
    assert.deepEqual(rows[0], ["2025-03-06", "Pearl Street Pharmacy", "Pharmacy", "$18.40", "$6.20"]);
    assert.deepEqual(rows[1], ["2025-03-04", "Flatirons Cardiology Associates", "Professional", "$95.00", "$17.86"]);

    assert.equal(answers.length, 2, "one server-function call per linking");
    await assertNoTokenAnywhere(page, answers);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("cancel shows the exit; a plan whose sync fails shows the failure", async () => {
    const page = await newPage(browser);
    await page.goto(app.url + "/");
    await waitForStatus(page, "ready");
    await openLink(page);
    await linkFrame(page).locator("#cancel").click();
    await waitForStatus(page, "exited");
    assert.equal(await page.locator(LINK_IFRAME).count(), 0);
    assert.ok(await page.locator("#link-button").isEnabled());

    await openLink(page);
    await linkThroughSandbox(page, "Lakeshore Health");
    await waitForStatus(page, "error", 30000);
    assert.match(await page.locator("#error").textContent(), /could not sync/);
    assert.equal(await page.locator("#claims").count(), 0);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("leaving the Link view while Link is open (Back, or a link in the app) leaves no iframe", async (t) => {
    const shot = screenshots("leptos-fullstack", t.name);
    const page = await newPage(browser);
    await page.goto(app.url + "/about");
    await page.locator("#about").waitFor();
    // Into the Link view by the app's own navigation (no page load), then Link.
    await page.locator("nav a", { hasText: "Link" }).click();
    await waitForStatus(page, "ready");
    await openLink(page);
    await shot(page, "link-open");

    // Back: the router shows /about again, in the same page.
    await page.goBack();
    await page.locator("#about").waitFor();
    assert.equal(new URL(page.url()).pathname, "/about");
    await page.locator(LINK_IFRAME).waitFor({ state: "detached" });
    await shot(page, "after-back");

    // And again through the app's About link, clicked while Link covers the page.
    await page.locator("nav a", { hasText: "Link" }).click();
    await waitForStatus(page, "ready");
    await openLink(page);
    await page.evaluate(() => document.querySelector('nav a[href="/about"]').click());
    await page.locator("#about").waitFor();
    await page.locator(LINK_IFRAME).waitFor({ state: "detached" });

    // The view still works when it comes back.
    await page.locator("nav a", { hasText: "Link" }).click();
    await waitForStatus(page, "ready");
    await openLink(page);
    await linkFrame(page).locator("#cancel").click();
    await waitForStatus(page, "exited");
    assert.equal(await page.locator(LINK_IFRAME).count(), 0);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
