// The demo against the Link script Flexpa published on npm (`@flexpa/link` 0.0.8, its
// dist/flexpa-link.iife.js, installed by e2e/package.json), served at the real default URL
// https://js.flexpa.com/v1/, with the Link app at its real origin https://link.flexpa.com.
// Neither host is reachable from the test machines, so Chromium's requests to them are answered
// here: the script from the npm package, the Link app and its calls from the demo's sandbox.
// Nothing else changes: the page is the vanilla example (then each framework example on its
// hook: examples/yew, leptos and dioxus), the exchange goes to the sandbox API.
//
// 0.0.8 differs from v1: no onExit/onLoad/exit (a cancel only removes the iframe), one leaked
// message listener per opening, an iframe without a title, `openerOrigin` in the Link URL, and
// a hard-coded origin check against https://link.flexpa.com.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  APPS_DIR,
  ROOT,
  VANILLA_DIR,
  assertBuilt,
  launchBrowser,
  linkScriptTags,
  linkThroughSandbox,
  newPage,
  recordExchanges,
  screenshots,
  startServer,
  waitForStatus,
} from "../lib/harness.js";

// The package's "exports" hide dist/*.iife.js, so read it from the installed directory.
const PACKAGE_DIR = join(ROOT, "e2e", "node_modules", "@flexpa", "link");
const PUBLISHED_SCRIPT = readFileSync(join(PACKAGE_DIR, "dist", "flexpa-link.iife.js"), "utf8");
const PUBLISHED_VERSION = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")).version;
const SCRIPT_URL = "https://js.flexpa.com/v1/";
const LINK_ORIGIN = "https://link.flexpa.com";
/** The Link iframe: 0.0.8 gives it no title. */
const IFRAME = `iframe[src^="${LINK_ORIGIN}/"]`;
const PUBLIC_TOKEN = /^public_token_[0-9a-f-]{36}$/;

/** A page of `server` that loads the published script from its real URL, with Link at its real origin. */
async function newRoutedPage(browser, server) {
const page = await newPage(browser);
  const context = page.context();
  page.served = { script: 0, link: 0 };
  // The demo's config names the sandbox's script; point the page at the real default URL.
  await context.route(server.url + "/api/config", async (route) => {
    const response = await route.fetch();
    const config = await response.json();
    assert.equal(config.sandbox, true);
    await route.fulfill({ response, json: { ...config, scriptUrl: SCRIPT_URL } });
  });
  await context.route(SCRIPT_URL, async (route) => {
    page.served.script += 1;
    await route.fulfill({ contentType: "text/javascript; charset=utf-8", body: PUBLISHED_SCRIPT });
  });
  // https://link.flexpa.com/<path> is the sandbox's Link app (same paths).
  await context.route(`${LINK_ORIGIN}/**`, async (route) => {
    page.served.link += 1;
    const url = new URL(route.request().url());
    const response = await route.fetch({ url: server.sandboxUrl + url.pathname + url.search });
    await route.fulfill({ response });
  });
  return page;
}

describe(`demo with the published Link script (@flexpa/link ${PUBLISHED_VERSION})`, () => {
  let server;
  let browser;

  before(async () => {
    assertBuilt(VANILLA_DIR);
    // The file really is the published one, with its hard-coded Link origin.
    assert.match(PUBLISHED_SCRIPT, /window\.FlexpaLink=/);
    assert.ok(PUBLISHED_SCRIPT.includes(`"${LINK_ORIGIN}"`));
    server = await startServer({ staticDir: VANILLA_DIR });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  function linkIframe(page) {
    return page.locator(IFRAME);
  }

  /** linkThroughSandbox, in 0.0.8's Link iframe. */
  async function signIn(page, planLabel, shot) {
    await linkThroughSandbox(page, planLabel, shot, page.frameLocator(IFRAME));
  }

  test("link a plan: the token reaches the page once and the patient is shown", async (t) => {
    const shot = screenshots("published-script", t.name);
    const page = await newRoutedPage(browser, server);
    const exchanges = recordExchanges(page);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    assert.equal(page.served.script, 1);
    assert.equal(await linkScriptTags(page, SCRIPT_URL), 1);

    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    const iframe = linkIframe(page);
    await iframe.waitFor();
    const src = new URL(await iframe.getAttribute("src"));
    assert.equal(src.origin, LINK_ORIGIN);
    assert.equal(src.searchParams.get("openerOrigin"), new URL(server.url).origin);
    await page.frameLocator(IFRAME).locator("button.plan").first().waitFor();
    await shot(page, "link-open");

    await signIn(page, "Evergreen Health", shot);
    await waitForStatus(page, "success");
    assert.equal(await iframe.count(), 0, "the script removed the iframe");
    assert.match(await page.locator("#patient").innerText(), /Jane Q\. Doe/);
    assert.match(await page.locator("#coverage").innerText(), /Evergreen PPO 1500/);
    await shot(page, "success");
    assert.equal(exchanges.length, 1);
    assert.match(exchanges[0].body.public_token, PUBLIC_TOKEN);
    assert.equal((await exchanges[0].answer).status, 200);
    assert.ok(page.served.link > 0, "the Link app was served at https://link.flexpa.com");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("cancel shows the exit although 0.0.8 never calls onExit; leaked listeners give one token", async (t) => {
    const shot = screenshots("published-script", t.name);
    const page = await newRoutedPage(browser, server);
    const exchanges = recordExchanges(page);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    const link = page.frameLocator(IFRAME);

    // Two cancels: each leaves one of the script's message listeners behind.
    for (let i = 0; i < 2; i++) {
      await page.locator("#link-button").click();
      await link.locator("button.plan").first().waitFor();
      await link.locator("#cancel").click();
      await waitForStatus(page, "exited");
      assert.equal(await linkIframe(page).count(), 0);
      assert.ok(await page.locator("#link-button").isEnabled());
    }
    await shot(page, "exited");

    // The third opening: three listeners see SUCCESS, the page exchanges one token once.
    await page.locator("#link-button").click();
    await signIn(page, "Summit Medicare Advantage");
    await waitForStatus(page, "success");
    assert.match(await page.locator("#patient").innerText(), /Robert James Miller/);
    await page.waitForTimeout(300); // a second exchange would have started by now
    assert.equal(exchanges.length, 1, "one exchange for one token");
    assert.equal(await page.locator("#status").textContent(), "success");
    await shot(page, "linked-after-cancels");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

// The framework hooks sit on the crate's LinkController: with 0.0.8, a cancel (which the script
// never reports) must bring each app's button back, and the token must reach the app once.
for (const app of ["yew", "leptos", "dioxus"]) {
  describe(`examples/${app} on its hook with the published Link script`, () => {
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

    test("a cancel brings the button back; then a plan links once", async (t) => {
      const shot = screenshots(`published-script-${app}`, t.name);
      const page = await newRoutedPage(browser, server);
      const exchanges = recordExchanges(page);
      await page.goto(server.url + "/");
      await waitForStatus(page, "ready");
      assert.equal(page.served.script, 1);
      assert.equal(await linkScriptTags(page, SCRIPT_URL), 1);
      const button = page.locator("#link-button");
      const link = page.frameLocator(IFRAME);

      await button.click();
      await waitForStatus(page, "open");
      assert.ok(await button.isDisabled(), "disabled while Link is open");
      await link.locator("button.plan").first().waitFor();
      await link.locator("#cancel").click();
      await waitForStatus(page, "exited");
      assert.equal(await page.locator(IFRAME).count(), 0);
      assert.ok(await button.isEnabled(), "the button is back after a cancel 0.0.8 never reported");
      await shot(page, "exited");

      await button.click();
      await waitForStatus(page, "open");
      await linkThroughSandbox(page, "Evergreen Health", shot, link);
      await waitForStatus(page, "success");
      assert.match(await page.locator("#patient").innerText(), /Jane Q\. Doe/);
      await page.waitForTimeout(300); // a second exchange would have started by now
      assert.equal(exchanges.length, 1, "one exchange for one token");
      assert.match(exchanges[0].body.public_token, PUBLIC_TOKEN);
      assert.equal(await page.locator(IFRAME).count(), 0);
      assert.deepEqual(page.errors, []);
      await page.context().close();
    });
  });
}
