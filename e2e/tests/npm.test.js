// The same flow from plain JavaScript, through the packed npm package: the tarball of
// `npm pack` (cargo xtask npm pack) installed into a scratch project, imported by a
// plain HTML page (e2e/npm-page/) served by the demo server in sandbox mode.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  LINK_IFRAME,
  ROOT,
  fetchConfig,
  launchBrowser,
  linkFrame,
  linkScriptTags,
  newPage,
  linkThroughSandbox,
  recordExchanges,
  screenshots,
  startServer,
  waitForStatus,
} from "../lib/harness.js";

/** The tarball: $E2E_NPM_TARBALL, else the newest npm/flexpa-link-*.tgz. */
function tarball() {
  if (process.env.E2E_NPM_TARBALL) return process.env.E2E_NPM_TARBALL;
  const dir = join(ROOT, "npm");
  const found = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^flexpa-link-.*\.tgz$/.test(f))
        .map((f) => join(dir, f))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  assert.ok(found.length > 0, "no npm/flexpa-link-*.tgz: cargo xtask e2e packs it (cargo xtask npm pack)");
  return found[0];
}

describe("npm package from plain JavaScript (packed tarball + sandbox)", () => {
  let project;
  let server;
  let browser;

  before(async () => {
    project = mkdtempSync(join(tmpdir(), "flexpa-link-npm-e2e-"));
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "npm-e2e-page", private: true, type: "module" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", "--silent", tarball()], {
      cwd: project,
      stdio: ["ignore", "ignore", "inherit"],
    });
    assert.ok(existsSync(join(project, "node_modules", "flexpa-link", "flexpa_link_bg.wasm")));
    copyFileSync(join(ROOT, "e2e", "npm-page", "index.html"), join(project, "index.html"));
    server = await startServer({ staticDir: project });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  test("npm package: link a plan, exchange, patient and coverage shown", async (t) => {
    const shot = screenshots("npm", t.name);
    const page = await newPage(browser);
    const exchanges = recordExchanges(page);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    assert.ok(await page.locator("#sandbox-banner").isVisible());
    // The script was injected by the package, once.
    assert.equal(await linkScriptTags(page, (await fetchConfig(server)).scriptUrl), 1);
    await shot(page, "ready");

    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    await linkFrame(page).locator("button.plan").first().waitFor();
    await shot(page, "link-open");
    await linkThroughSandbox(page, "Summit Medicare Advantage", shot);
    await waitForStatus(page, "success");
    await shot(page, "success");
    assert.equal(exchanges.length, 1);
    assert.match(exchanges[0].body.public_token, /^public_token_[0-9a-f-]{36}$/);
    assert.match(await page.locator("#patient").innerText(), /Robert James Miller/);
    assert.match(await page.locator("#patient").innerText(), /1951-07-14/);
    assert.match(await page.locator("#coverage").innerText(), /Summit Advantage Plus \(HMO\) · Summit Medicare Advantage · active · member SMA7730021/);
    assert.equal(await page.locator(LINK_IFRAME).count(), 0);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("npm package: cancel rejects publicToken() with EXITED", async (t) => {
    const shot = screenshots("npm", t.name);
    const page = await newPage(browser);
    const exchanges = recordExchanges(page);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    await page.locator("#link-button").click();
    await linkFrame(page).locator("#cancel").click();
    await waitForStatus(page, "exited");
    assert.equal(await page.locator("#exit-code").textContent(), "EXITED");
    assert.equal(await page.locator(LINK_IFRAME).count(), 0);
    assert.equal(exchanges.length, 0);
    await shot(page, "exited");

    // Opening again works, and the new opening's promise gets the token.
    await page.locator("#link-button").click();
    await linkThroughSandbox(page, "Bayside Community Health");
    await waitForStatus(page, "success");
    assert.match(await page.locator("#patient").innerText(), /María Elena García/);
    await shot(page, "success-after-cancel");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("npm package: openWithEndpoint opens Link on that plan's sign-in", async (t) => {
    const shot = screenshots("npm", t.name);
    const page = await newPage(browser);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    await page.locator("#link-summit").click();
    await waitForStatus(page, "open");
    const link = linkFrame(page);
    await link.locator("#plan-name").filter({ hasText: "Summit Medicare Advantage" }).waitFor();
    assert.ok(await link.locator("#screen-plans").isHidden(), "the plan list is skipped");
    await shot(page, "preselected-sign-in");
    await link.locator("#fill-sample").click();
    await link.locator("#sign-in").click();
    await waitForStatus(page, "success");
    assert.match(await page.locator("#patient").innerText(), /Robert James Miller/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
