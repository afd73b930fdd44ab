// The Yew, Leptos and Dioxus examples through the same demo: each links a sample plan and
// shows the patient and coverage, and shows the exit when Link is cancelled.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  APPS_DIR,
  LINK_IFRAME,
  assertBuilt,
  launchBrowser,
  linkFrame,
  newPage,
  linkThroughSandbox,
  recordExchanges,
  screenshots,
  startServer,
  waitForStatus,
} from "../lib/harness.js";

for (const app of ["yew", "leptos", "dioxus"]) {
  describe(`demo with examples/${app}`, () => {
    let server;
    let browser;

    before(async () => {
      const dir = join(APPS_DIR, app);
      assertBuilt(dir);
      server = await startServer({ staticDir: dir });
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    test(`${app}: link a plan, patient and coverage shown; cancel shows the exit`, async (t) => {
      const shot = screenshots(app, t.name);
      const page = await newPage(browser);
      const exchanges = recordExchanges(page);
      await page.goto(server.url + "/");
      await waitForStatus(page, "ready");
      assert.equal((await page.locator("#link-button").textContent()).trim(), "Link your health data");
      await shot(page, "ready");

      await page.locator("#link-button").click();
      await waitForStatus(page, "open");
      await linkFrame(page).locator("#cancel").click();
      await waitForStatus(page, "exited");
      assert.equal(await page.locator(LINK_IFRAME).count(), 0);
      await shot(page, "exited");

      await page.locator("#link-button").click();
      await waitForStatus(page, "open");
      await linkThroughSandbox(page, "Evergreen Health", shot);
      await waitForStatus(page, "success");
      await shot(page, "success");
      assert.equal(exchanges.length, 1);
      const patient = await page.locator("#patient").innerText();
      assert.match(patient, /Jane Q\. Doe/);
      assert.match(patient, /1980-01-01/);
      const coverage = await page.locator("#coverage").innerText();
      assert.match(coverage, /Evergreen PPO 1500/);
      assert.match(coverage, /EVG100234501/);
      assert.deepEqual(page.errors, []);
      await page.context().close();
    });
  });
}
