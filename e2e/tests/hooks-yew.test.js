// examples/yew on flexpa-link-yew's hook, against the demo's sandbox: what the hook promises,
// seen from the page. Leaving the Link view inside the app while Link is open leaves no
// iframe and no listener; the button waits for the script; a failed load shows the error and
// a click retries; coming back to the view gives one working session on one script tag.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  APPS_DIR,
  LINK_IFRAME,
  assertBuilt,
  countMessageListeners,
  fetchConfig,
  holdLinkScript,
  isLinkScript,
  launchBrowser,
  linkFrame,
  linkScriptTags,
  linkThroughSandbox,
  newPage,
  openLink,
  recordExchanges,
  screenshots,
  startServer,
  waitForStatus,
} from "../lib/harness.js";

describe("examples/yew on the hook", () => {
  let server;
  let browser;
  let scriptUrl;

  before(async () => {
    const dir = join(APPS_DIR, "yew");
    assertBuilt(dir);
    server = await startServer({ staticDir: dir });
    browser = await launchBrowser();
    scriptUrl = new URL((await fetchConfig(server)).scriptUrl);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("yew: leaving the Link view while Link is open leaves no iframe; coming back works", async (t) => {
    const shot = screenshots("hooks-yew", t.name);
    const page = await newPage(browser);
    // The page's live `message` listeners (Link's, and the crate's for each session).
    const messageListeners = await countMessageListeners(page);
    const exchanges = recordExchanges(page);
    await page.goto(server.url + "/#about");
    await page.locator("#about").waitFor();
    await page.locator("#nav-link").click();
    await waitForStatus(page, "ready");
    const atReady = await messageListeners();

    await openLink(page);
    await linkFrame(page).locator("button.plan").first().waitFor();
    await shot(page, "open");

    // Link covers the page: the user leaves with the browser's back button (back to #about).
    await page.goBack();
    await page.locator("#about").waitFor();
    assert.equal(await page.locator(LINK_IFRAME).count(), 0, "no Link iframe left after leaving the view");
    assert.equal(await page.locator("#link-button").count(), 0, "the Link view is unmounted");
    assert.ok(
      (await messageListeners()) <= atReady,
      "the opening's message listener is gone",
    );
    await shot(page, "left");

    // Back to the view: a new component, the same script, one working session.
    await page.locator("#nav-link").click();
    await waitForStatus(page, "ready");
    assert.equal(await linkScriptTags(page, scriptUrl), 1, "one script tag after mounting the view twice");
    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    assert.equal(await page.locator(LINK_IFRAME).count(), 1);
    await linkThroughSandbox(page, "Evergreen Health");
    await waitForStatus(page, "success");
    assert.equal(exchanges.length, 1, "one token, one exchange");
    assert.match(await page.locator("#patient").innerText(), /Jane Q\. Doe/);
    await shot(page, "success");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("yew: the button is disabled and the status loading until the script is ready", async (t) => {
    const shot = screenshots("hooks-yew", t.name);
    const page = await newPage(browser);
    // The script request is held until the test lets it through.
    const script = await holdLinkScript(page, scriptUrl);
    await page.goto(server.url + "/");
    await script.requested;
    await waitForStatus(page, "loading");
    assert.ok(await page.locator("#link-button").isDisabled(), "disabled while the script loads");
    await shot(page, "loading");
    script.release();
    await waitForStatus(page, "ready");
    assert.ok(await page.locator("#link-button").isEnabled());
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("yew: a failed script load shows the error, and a click retries", async (t) => {
    const shot = screenshots("hooks-yew", t.name);
    const page = await newPage(browser);
    let attempts = 0;
    await page.route(isLinkScript(scriptUrl), async (route) => {
      attempts += 1;
      if (attempts === 1) return route.abort("connectionrefused");
      return route.continue();
    });
    await page.goto(server.url + "/");
    await waitForStatus(page, "error");
    assert.ok(await page.locator("#error").isVisible());
    assert.ok((await page.locator("#error").textContent()).includes(scriptUrl.href), "the error names the script");
    assert.ok(await page.locator("#link-button").isEnabled(), "the button stays usable to retry");
    await shot(page, "error");

    await page.locator("#link-button").click();
    await waitForStatus(page, "ready");
    assert.equal(attempts, 2);
    assert.ok(await page.locator("#error").isHidden());
    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    await linkFrame(page).locator("#cancel").click();
    await waitForStatus(page, "exited");
    assert.equal(await page.locator(LINK_IFRAME).count(), 0);
    await shot(page, "retried");
    await page.context().close();
  });
});
