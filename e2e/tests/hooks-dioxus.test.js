// examples/dioxus on flexpa-link-dioxus, against the demo and its sandbox: what the hook
// promises a user of the app (the shared DOM contract is in frameworks.test.js).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  APPS_DIR,
  LINK_IFRAME,
  assertBuilt,
  fetchConfig,
  holdConfig,
  isLinkScript,
  launchBrowser,
  linkScriptTags,
  linkThroughSandbox,
  newPage,
  openLink,
  recordExchanges,
  screenshots,
  startServer,
  waitForStatus,
} from "../lib/harness.js";

describe("examples/dioxus on the hook", () => {
  let server;
  let browser;
  let scriptUrl;

  before(async () => {
    const dir = join(APPS_DIR, "dioxus");
    assertBuilt(dir);
    server = await startServer({ staticDir: dir });
    browser = await launchBrowser();
    scriptUrl = (await fetchConfig(server)).scriptUrl;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("the button is disabled and loading until Link is ready", async (t) => {
    const shot = screenshots("hooks-dioxus", t.name);
    const page = await newPage(browser);
    // Hold the config until the test has looked at the page.
    const config = await holdConfig(page);
    await page.goto(server.url + "/");
    const button = page.locator("#link-button");
    await button.waitFor();
    assert.equal(await page.locator("#status").textContent(), "loading");
    assert.ok(await button.isDisabled(), "disabled while loading");
    assert.equal(await button.getAttribute("aria-busy"), "true");
    await shot(page, "loading");
    config.release();
    await waitForStatus(page, "ready");
    assert.ok(await button.isEnabled());
    assert.equal(await button.getAttribute("data-state"), "ready");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("leaving the view while Link is open leaves no iframe; coming back links", async (t) => {
    const shot = screenshots("hooks-dioxus", t.name);
    const page = await newPage(browser);
    const exchanges = recordExchanges(page);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    await openLink(page);
    await shot(page, "open");

    // The iframe covers the page, as Flexpa's does: leave the way an app's own code would
    // (a keyboard shortcut, a route change), by clicking the nav button from script.
    await page.evaluate(() => document.getElementById("nav-about").click());
    await page.locator("#about").waitFor();
    assert.equal(await page.locator(LINK_IFRAME).count(), 0, "no Link iframe left after leaving");
    assert.equal(await page.locator("#link-button").count(), 0);
    await shot(page, "left");

    await page.locator("#nav-link").click();
    await waitForStatus(page, "ready");
    assert.equal(await linkScriptTags(page, scriptUrl), 1, "one script tag after remounting");
    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    assert.equal(await page.locator(LINK_IFRAME).count(), 1);
    await linkThroughSandbox(page, "Evergreen Health", shot);
    await waitForStatus(page, "success");
    assert.equal(exchanges.length, 1, "the token was exchanged once");
    assert.match(await page.locator("#patient").innerText(), /Jane Q\. Doe/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a script that fails to load shows the error, and a click retries", async (t) => {
    const shot = screenshots("hooks-dioxus", t.name);
    const page = await newPage(browser);
    let attempts = 0;
    await page.route(isLinkScript(scriptUrl), (route) => {
      attempts += 1;
      return attempts === 1 ? route.abort("failed") : route.continue();
    });
    await page.goto(server.url + "/");
    await waitForStatus(page, "error");
    assert.match(await page.locator("#error").textContent(), /failed to load/);
    assert.ok(await page.locator("#link-button").isEnabled(), "a click can retry");
    await shot(page, "failed");

    await page.locator("#link-button").click();
    await waitForStatus(page, "ready");
    assert.equal(attempts, 2);
    assert.equal(await page.locator("#error").isHidden(), true);
    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    await page.context().close();
  });
});
