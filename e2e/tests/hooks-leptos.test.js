// examples/leptos on flexpa-link-leptos (use_flexpa_link + FlexpaLinkButton), through the demo
// in sandbox mode: what the hook promises, as a user of the page sees it.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  APPS_DIR,
  LINK_IFRAME,
  assertBuilt,
  fetchConfig,
  holdLinkScript,
  isLinkScript,
  launchBrowser,
  linkFrame,
  linkScriptTags,
  newPage,
  openLink,
  screenshots,
  startServer,
  waitForStatus,
} from "../lib/harness.js";

describe("examples/leptos on the Leptos hook", () => {
  let server;
  let browser;
  let scriptUrl;

  before(async () => {
    const dir = join(APPS_DIR, "leptos");
    assertBuilt(dir);
    server = await startServer({ staticDir: dir });
    browser = await launchBrowser();
    scriptUrl = (await fetchConfig(server)).scriptUrl;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("the button is disabled and busy until Link is ready", async (t) => {
    const shot = screenshots("hooks-leptos", t.name);
    const page = await newPage(browser);
    // The script request is held until the test lets it through.
    const script = await holdLinkScript(page, scriptUrl);
    await page.goto(server.url + "/");
    const button = page.locator("#link-button");
    await button.waitFor();
    await waitForStatus(page, "loading");
    assert.ok(await button.isDisabled(), "disabled while the script loads");
    assert.equal(await button.getAttribute("aria-busy"), "true");
    await shot(page, "loading");

    script.release();
    await waitForStatus(page, "ready");
    assert.ok(await button.isEnabled());
    assert.equal(await button.getAttribute("aria-busy"), "false");
    assert.equal((await button.textContent()).trim(), "Link your health data");
    assert.equal(await linkScriptTags(page, scriptUrl), 1);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("leaving the Link view while Link is open leaves no iframe; coming back works", async (t) => {
    const shot = screenshots("hooks-leptos", t.name);
    const page = await newPage(browser);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    await openLink(page);
    await linkFrame(page).locator("button.plan").first().waitFor();
    await shot(page, "open");

    // Link's iframe covers the page, so the app navigates (as a router push would).
    await page.evaluate(() => (location.hash = "#/about"));
    await page.locator("#about").waitFor();
    assert.equal(await page.locator("#link-button").count(), 0, "the Link view is unmounted");
    assert.equal(await page.locator(LINK_IFRAME).count(), 0, "no iframe left");
    await shot(page, "left");

    // Back to the Link view: a new component, the same script, a working Link.
    await page.goBack();
    await waitForStatus(page, "ready");
    assert.equal(await linkScriptTags(page, scriptUrl), 1, "the script was not loaded again");
    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    await linkFrame(page).locator("#cancel").click();
    await waitForStatus(page, "exited");
    assert.equal(await page.locator(LINK_IFRAME).count(), 0);

    // The nav link, this time while Link is closed; and back again.
    await page.locator("#nav-about").click();
    await page.locator("#about").waitFor();
    await page.locator("#nav-link").click();
    await waitForStatus(page, "ready");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("a script that fails to load shows the error, and Try again loads it", async (t) => {
    const shot = screenshots("hooks-leptos", t.name);
    const page = await newPage(browser);
    let fail = true;
    await page.route(isLinkScript(scriptUrl), (route) => (fail ? route.abort() : route.continue()));
    await page.goto(server.url + "/");
    await waitForStatus(page, "error");
    assert.match(await page.locator("#error").innerText(), /failed to load/);
    assert.ok(await page.locator("#link-button").isDisabled());
    assert.equal(await linkScriptTags(page, scriptUrl), 0, "the failed tag was removed");
    await shot(page, "failed");

    fail = false;
    await page.locator("#error button", { hasText: "Try again" }).click();
    await waitForStatus(page, "ready");
    assert.ok(await page.locator("#error").isHidden());
    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    assert.equal(await page.locator(LINK_IFRAME).count(), 1);
    await shot(page, "open-after-retry");
    await page.context().close();
  });
});
