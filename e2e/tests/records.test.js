// The demo server's built-in page, end to end in headless Chromium: after linking a sample
// plan, the patient, their coverage and their claims (read page by page by the backend with the
// crate's FHIR client), with "syncing" shown first while the sandbox still answers 429
// `transient`. Both ways in: "Connect with Flexpa" (the consent flow, the main button) and the
// legacy Link widget. The sandbox's syncing window is 2 s here (--sandbox-sync-seconds).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoToken,
  claimRows,
  launchBrowser,
  linkThroughSandbox,
  newPage,
  screenshots,
  signInWithSample,
  startServer,
  waitForStatus,
} from "../lib/harness.js";

describe("records on the built-in page (sandbox, 2 s syncing window)", () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ args: ["--sandbox-sync-seconds", "2"] });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("Connect with Flexpa: consent page, back, syncing, then patient, coverage and claims", async (t) => {
    const shot = screenshots("records", t.name);
    const page = await newPage(browser);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    // Consent is the main button, first on the page; Link is the legacy one.
    const buttons = await page.locator("#consent-button, #link-button").allTextContents();
    assert.deepEqual(buttons.map((s) => s.trim()), ["Connect with Flexpa", "Use the Link widget (legacy)"]);
    await shot(page, "ready");

    await page.locator("#consent-button").click();
    await page.waitForURL((u) => u.href.startsWith(server.sandboxUrl + "/link/auth?"));
    await page.locator("#screen-plans").waitFor();
    await shot(page, "consent-plans");
    await page.locator("button.plan", { hasText: "Summit Medicare Advantage" }).click();
    await page.locator("#sample-username").waitFor();
    await shot(page, "consent-sign-in");
    await signInWithSample(page);

    // Back on the demo: syncing first, then the records.
    await page.waitForURL((u) => u.href.startsWith(server.url + "/"));
    await waitForStatus(page, "syncing");
    assert.ok(await page.locator("#syncing").isVisible());
    assert.match(await page.locator("#syncing").textContent(), /Syncing…/);
    await shot(page, "syncing");
    await waitForStatus(page, "success", 20000);
    assert.ok(await page.locator("#syncing").isHidden());
    assert.equal(new URL(page.url()).search, "", "the callback's query is gone from the address bar");
    await shot(page, "records");

    assert.match(await page.locator("#patient").innerText(), /Robert James Miller/);
    assert.match(await page.locator("#patient").innerText(), /Linked through Summit Medicare Advantage/);
    assert.match(await page.locator("#coverage").innerText(), /Summit Advantage Plus \(HMO\)/);
    assert.equal(await page.locator(".claims-summary").textContent(), "27 claims, read in 2 pages through Flexpa's FHIR API");
    const rows = await claimRows(page);
    assert.equal(rows.length, 27);
    assert.deepEqual(rows[0], ["2025-03-06", "Pearl Street Pharmacy", "Pharmacy", "$18.40", "$6.20"]);
    assert.deepEqual(rows[1], ["2025-03-04", "Flatirons Cardiology Associates", "Professional", "$95.00", "$17.86"]);
    for (const row of rows) {
      assert.match(row[0], /^\d{4}-\d{2}-\d{2}$/);
      assert.match(row[3], /^\$\d[\d,]*\.\d\d$/);
      assert.match(row[4], /^\$\d[\d,]*\.\d\d$/);
    }
    await assertNoToken(page);

    // A reload shows the same records (kept server side for this browser's session).
    await page.reload();
    await waitForStatus(page, "success");
    assert.equal((await claimRows(page)).length, 27);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("Connect with Flexpa, cancelled: the page says so", async () => {
    const page = await newPage(browser);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    await page.locator("#consent-button").click();
    await page.locator("#screen-plans").waitFor();
    await page.locator("#cancel").click();
    await page.waitForURL((u) => u.href.startsWith(server.url + "/"));
    await waitForStatus(page, "error");
    assert.match(await page.locator("#error").textContent(), /access_denied/);
    assert.ok(await page.locator("#claims").isHidden());
    await page.context().close();
  });

  test("legacy Link widget: syncing, then the claims page", async (t) => {
    const shot = screenshots("records", t.name);
    const page = await newPage(browser);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    await linkThroughSandbox(page, "Evergreen Health", shot);
    await waitForStatus(page, "syncing");
    await shot(page, "syncing");
    await waitForStatus(page, "success", 20000);
    await shot(page, "records");
    assert.match(await page.locator("#patient").innerText(), /Jane Q\. Doe/);
    assert.match(await page.locator("#coverage").innerText(), /Evergreen PPO 1500/);
    assert.equal(await page.locator(".claims-summary").textContent(), "46 claims, read in 3 pages through Flexpa's FHIR API");
    const rows = await claimRows(page);
    assert.equal(rows.length, 46);
    assert.deepEqual(rows[0], ["2025-02-12", "Pearl Street Pharmacy", "Pharmacy", "$24.99", "$2.10"]);
    await assertNoToken(page);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("the plan whose sync fails: syncing, then the failure is said", async () => {
    const page = await newPage(browser);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    await linkThroughSandbox(page, "Lakeshore Health");
    await waitForStatus(page, "syncing");
    await waitForStatus(page, "error", 20000);
    assert.match(await page.locator("#error").textContent(), /could not sync/);
    assert.ok(await page.locator("#claims").isHidden());
    await page.context().close();
  });
});
