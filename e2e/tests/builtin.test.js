// The demo server without a frontend (`cargo run -p flexpa-link-demo-server`): its built-in
// plain-JavaScript page over the sandbox's Link script runs the same flow.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, linkThroughSandbox, newPage, screenshots, startServer, waitForStatus } from "../lib/harness.js";

describe("demo server's built-in page (no --static)", () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("built-in page: link a plan, patient and coverage shown", async (t) => {
    const shot = screenshots("builtin", t.name);
    const page = await newPage(browser);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    assert.ok(await page.locator("#sandbox-banner").isVisible());
    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    await linkThroughSandbox(page, "Evergreen Health");
    await waitForStatus(page, "success");
    await shot(page, "success");
    assert.match(await page.locator("#patient").innerText(), /Jane Q\. Doe/);
    assert.match(await page.locator("#coverage").innerText(), /Evergreen PPO 1500/);
    await page.context().close();
  });
});
