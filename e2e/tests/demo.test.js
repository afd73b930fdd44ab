// The demo, end to end, in headless Chromium: the vanilla wasm-bindgen frontend
// (examples/vanilla) served by the demo server (examples/server) in sandbox mode, with the
// sandbox's Link script, Link app (on another origin) and Flexpa API.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  LINK_IFRAME,
  VANILLA_DIR,
  assertBuilt,
  fetchConfig,
  isLinkScript,
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

const PUBLIC_TOKEN = /^public_token_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("demo (examples/vanilla + sandbox)", () => {
  let server;
  let browser;

  before(async () => {
    assertBuilt(VANILLA_DIR);
    server = await startServer({ staticDir: VANILLA_DIR });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("full flow: pick a plan, sign in, exchange, patient and coverage shown", async (t) => {
    const shot = screenshots("demo", t.name);
    const page = await newPage(browser);
    const exchanges = recordExchanges(page);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    assert.equal(await page.locator("#link-button").textContent(), "Link your health data");
    assert.ok(await page.locator("#link-button").isEnabled());
    await shot(page, "ready");

    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    const iframe = page.locator(LINK_IFRAME);
    await iframe.waitFor();
    // The Link app runs on another origin than the page: the script's origin check is real.
    const linkOrigin = new URL(await iframe.getAttribute("src")).origin;
    assert.notEqual(linkOrigin, new URL(page.url()).origin);
    const link = linkFrame(page);
    await link.locator("button.plan").first().waitFor();
    assert.match(await link.locator("#sandbox-notice").textContent(), /sample data/i);
    assert.deepEqual(
      (await link.locator("button.plan").allTextContents()).map((s) => s.trim()),
      [
        "Evergreen HealthCommercial PPO",
        "Summit Medicare AdvantageMedicare Advantage HMO",
        "Bayside Community HealthMedicaid managed care",
        "Lakeshore Health (sync fails)Commercial HMO: its data sync always fails",
      ],
    );
    await shot(page, "link-plans");

    // Wrong credentials: the Link app says so and stays open; nothing reaches the page.
    await link.locator("button.plan", { hasText: "Evergreen Health" }).click();
    await link.locator("#username").fill("jane.doe");
    await link.locator("#password").fill("not-the-password");
    await link.locator("#sign-in").click();
    await link.locator("#sign-in-error").waitFor({ state: "visible" });
    assert.match(await link.locator("#sign-in-error").textContent(), /Incorrect username or password/);
    await shot(page, "link-wrong-password");
    assert.equal(await page.locator("#status").textContent(), "open");
    assert.equal(exchanges.length, 0);

    // The sample credentials shown on screen work.
    await link.locator("#back").click();
    await linkThroughSandbox(page, "Evergreen Health", shot);
    await waitForStatus(page, "success");
    assert.equal(await iframe.count(), 0, "the Link iframe is removed after SUCCESS");
    await shot(page, "success");

    assert.equal(exchanges.length, 1);
    assert.match(exchanges[0].body.public_token, PUBLIC_TOKEN);
    const patient = await page.locator("#patient").innerText();
    assert.match(patient, /Jane Q\. Doe/);
    assert.match(patient, /1980-01-01/);
    assert.match(patient, /female/);
    assert.match(patient, /Evergreen Health/);
    assert.match(patient, /Access expires in 30 minutes/);
    const coverage = await page.locator("#coverage").innerText();
    assert.match(coverage, /Evergreen PPO 1500/);
    assert.match(coverage, /active/);
    assert.match(coverage, /EVG100234501/);
    assert.match(coverage, /2024-01-01/);
    assert.match(coverage, /Evergreen HMO Basic/);
    assert.ok(await page.locator("#error").isHidden());

    // The access token never reaches the browser.
    const answer = await exchanges[0].answer;
    assert.equal(answer.status, 200);
    assert.doesNotMatch(answer.text, /access_token|refresh_token|secret|eyJ/);
    assert.doesNotMatch(await page.content(), /access_token|eyJ/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("cancel: closing Link shows the exit, and Link opens again", async (t) => {
    const shot = screenshots("demo", t.name);
    const page = await newPage(browser);
    const exchanges = recordExchanges(page);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");

    await page.locator("#link-button").click();
    const link = linkFrame(page);
    await link.locator("button.plan").first().waitFor();
    await shot(page, "link-open");
    await link.locator("#cancel").click();
    await waitForStatus(page, "exited");
    assert.equal(await page.locator(LINK_IFRAME).count(), 0);
    assert.ok(await page.locator("#link-button").isEnabled());
    await shot(page, "exited");

    // The close button (x) of the Link app exits the same way, after choosing a plan.
    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    await link.locator("button.plan", { hasText: "Summit Medicare Advantage" }).click();
    await link.locator("#close").click();
    await waitForStatus(page, "exited");
    assert.equal(await page.locator(LINK_IFRAME).count(), 0);
    assert.equal(exchanges.length, 0, "no exchange after a cancel");
    assert.ok(await page.locator("#patient").isHidden());

    // And a third opening links fine.
    await page.locator("#link-button").click();
    await linkThroughSandbox(page, "Summit Medicare Advantage");
    await waitForStatus(page, "success");
    assert.match(await page.locator("#patient").innerText(), /Robert James Miller/);
    assert.match(await page.locator("#coverage").innerText(), /Summit Advantage Plus \(HMO\)/);
    await shot(page, "linked-after-cancel");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test("broken script URL: a clear error on the page, then retry works", async (t) => {
    const shot = screenshots("demo", t.name);
    const page = await newPage(browser);
    const scriptUrl = new URL((await fetchConfig(server)).scriptUrl);
    let attempts = 0;
    // The first load of the Link script fails at the network level, the second with HTTP 404;
    // the third goes through to the sandbox.
    await page.route(isLinkScript(scriptUrl), async (route) => {
      attempts += 1;
      if (attempts === 1) return route.abort("connectionrefused");
      if (attempts === 2) return route.fulfill({ status: 404, contentType: "text/plain", body: "Not Found" });
      return route.continue();
    });
    await page.goto(server.url + "/");
    await waitForStatus(page, "error");
    const error = await page.locator("#error").textContent();
    assert.ok(await page.locator("#error").isVisible());
    assert.match(error, /script/i);
    assert.ok(error.includes(scriptUrl.href), `the error names the script URL: ${error}`);
    assert.ok(await page.locator("#link-button").isEnabled(), "the button stays usable to retry");
    await shot(page, "network-error");

    await page.locator("#link-button").click();
    await waitForStatus(page, "error");
    assert.ok((await page.locator("#error").textContent()).includes(scriptUrl.href));
    await shot(page, "http-404");

    await page.locator("#link-button").click();
    await waitForStatus(page, "open");
    assert.equal(attempts, 3);
    assert.ok(await page.locator("#error").isHidden());
    await linkThroughSandbox(page, "Bayside Community Health");
    await waitForStatus(page, "success");
    assert.match(await page.locator("#patient").innerText(), /María Elena García/);
    assert.match(await page.locator("#coverage").innerText(), /Bayside Medicaid Standard/);
    await shot(page, "linked-after-retry");
    // One script tag in the end: failed loads do not leave tags behind.
    assert.equal(await linkScriptTags(page, scriptUrl), 1);
    await page.context().close();
  });

  test("single-use public token: a second exchange fails with Flexpa's error", async (t) => {
    const shot = screenshots("demo", t.name);
    const page = await newPage(browser);
    const exchanges = recordExchanges(page);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    await page.locator("#link-button").click();
    await linkThroughSandbox(page, "Evergreen Health");
    await waitForStatus(page, "success");
    await shot(page, "first-exchange");
    const token = exchanges[0].body.public_token;
    assert.match(token, PUBLIC_TOKEN);

    // The same token again, as the page would post it: refused with the sandbox API's message.
    const again = await page.evaluate(async (publicToken) => {
      const response = await fetch("/api/exchange", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ public_token: publicToken }),
      });
      return { status: response.status, body: await response.json() };
    }, token);
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, {
      error: "Bad Request",
      message: "Invalid public token. Public token has already been used.",
    });

    // A made-up token of the right shape is refused too.
    const madeUp = await fetch(server.url + "/api/exchange", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ public_token: "public_token_00000000-0000-4000-8000-000000000000" }),
    });
    assert.equal(madeUp.status, 400);
    assert.equal((await madeUp.json()).message, "Invalid public token.");
    await page.context().close();
  });

  test("messages from another origin are ignored", async (t) => {
    const shot = screenshots("demo", t.name);
    const page = await newPage(browser);
    const exchanges = recordExchanges(page);
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    await page.locator("#link-button").click();
    const link = linkFrame(page);
    await link.locator("button.plan").first().waitFor();
    const linkSrc = new URL(await page.locator(LINK_IFRAME).getAttribute("src"));

    // 1. The page itself posts Link messages (same shape, wrong origin).
    await page.evaluate(() => {
      window.postMessage({ type: "SUCCESS", payload: "public_token_11111111-1111-4111-8111-111111111111" }, "*");
      window.postMessage({ type: "CLOSED" }, "*");
    });

    // 2. The real sandbox Link app, reached through another host name (localhost instead of
    //    127.0.0.1: another origin), signs in and posts a genuine SUCCESS with a valid public
    //    token to this page. The script must not accept it.
    const impostorOrigin = `http://localhost:${linkSrc.port}`;
    assert.notEqual(impostorOrigin, linkSrc.origin);
    const impostorSrc = impostorOrigin + "/" + linkSrc.search;
    await page.evaluate((src) => {
      window.impostorMessages = [];
      window.addEventListener("message", (event) => {
        if (event.origin !== location.origin) window.impostorMessages.push({ origin: event.origin, type: event.data && event.data.type });
      });
      const frame = document.createElement("iframe");
      frame.id = "impostor";
      frame.src = src;
      frame.setAttribute("style", "position:fixed;bottom:0;left:0;width:420px;height:300px;z-index:9999999;border:2px solid red;");
      document.body.appendChild(frame);
    }, impostorSrc);
    const impostor = page.frameLocator("#impostor");
    await impostor.locator("button.plan", { hasText: "Bayside Community Health" }).click();
    await impostor.locator("#username").fill("maria.garcia");
    await impostor.locator("#password").fill(await impostor.locator("#sample-password").textContent());
    await impostor.locator("#sign-in").click();
    await page.waitForFunction(
      (origin) => window.impostorMessages.some((m) => m.origin === origin && m.type === "SUCCESS"),
      impostorOrigin,
    );
    await shot(page, "impostor-success-ignored");

    // Nothing happened: Link is still open, no exchange, no exit.
    await page.waitForTimeout(300);
    assert.equal(await page.locator("#status").textContent(), "open");
    assert.equal(await page.locator(LINK_IFRAME).count(), 1);
    assert.equal(exchanges.length, 0);

    // The genuine Link app (right origin) still completes the flow.
    await page.evaluate(() => document.getElementById("impostor").remove());
    await linkThroughSandbox(page, "Evergreen Health");
    await waitForStatus(page, "success");
    assert.equal(exchanges.length, 1);
    assert.match(await page.locator("#patient").innerText(), /Jane Q\. Doe/);
    await shot(page, "genuine-success");
    await page.context().close();
  });
});
