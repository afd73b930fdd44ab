// The sandbox beyond the default Link flow, in Chromium:
//   - the Link app's `strict` and `autoExit` options (sent by the v1 script in the iframe URL);
//   - Flexpa's OAuth 2.0 PKCE flow: the consent page at the sandbox API's /link/auth, the
//     redirect back with a code, and the code exchange at /link/token.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  LINK_IFRAME,
  fetchConfig,
  launchBrowser,
  linkFrame,
  newPage,
  screenshots,
  signInWithSample,
  startServer,
  waitForStatus,
} from "../lib/harness.js";

describe("sandbox options and the PKCE consent flow", () => {
  let server;
  let browser;
  let publishableKey;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    publishableKey = (await fetchConfig(server)).publishableKey;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** The built-in page (which loaded the sandbox's Link script), Link re-created with `options`. */
  async function openLink(options) {
    const page = await newPage(browser);
    const context = page.context();
    await page.goto(server.url + "/");
    await waitForStatus(page, "ready");
    await page.evaluate(
      ({ key, options }) => {
        window.__events = [];
        window.FlexpaLink.create({
          publishableKey: key,
          ...options,
          onSuccess: (token) => window.__events.push(["success", token]),
          onExit: (payload) => window.__events.push(["exit", payload === undefined ? null : payload]),
        });
        window.FlexpaLink.open();
      },
      { key: publishableKey, options },
    );
    return { context, page, link: linkFrame(page), events: () => page.evaluate(() => window.__events) };
  }

  test("strict + autoExit=false: only the preselected plan; Link waits for Done", async (t) => {
    const shot = screenshots("sandbox-options", t.name);
    const { context, page, link, events } = await openLink({
      endpoint: "evergreen-health-sandbox",
      strict: true,
      autoExit: false,
    });
    await link.locator("#screen-sign-in").waitFor();
    assert.equal(await link.locator("#plan-name").textContent(), "Evergreen Health");
    assert.ok(await link.locator("#back").isHidden(), "strict: no other plan can be chosen");
    await shot(page, "strict-sign-in");
    await signInWithSample(link);
    await link.locator("#done").waitFor({ state: "visible" });
    await shot(page, "connected-waits-for-done");
    // Still open, nothing delivered yet.
    assert.equal(await page.locator(LINK_IFRAME).count(), 1);
    assert.deepEqual(await events(), []);
    await link.locator("#done").click();
    await page.locator(LINK_IFRAME).waitFor({ state: "detached" });
    const got = await events();
    assert.equal(got.length, 1);
    assert.equal(got[0][0], "success");
    assert.match(got[0][1], /^public_token_[0-9a-f-]{36}$/);
    await context.close();
  });

  test("strict=false: the preselected plan's sign-in, and other plans can be chosen", async () => {
    const { context, page, link, events } = await openLink({ endpoint: "summit-medicare-sandbox", strict: false });
    await link.locator("#screen-sign-in").waitFor();
    assert.equal(await link.locator("#plan-name").textContent(), "Summit Medicare Advantage");
    await link.locator("#back").click();
    await link.locator("button.plan").first().waitFor();
    assert.equal(await link.locator("button.plan").count(), 4);
    // autoExit defaults to true: SUCCESS right after the sign-in.
    await link.locator("button.plan", { hasText: "Bayside" }).click();
    await signInWithSample(link);
    await page.waitForFunction(() => window.__events.length === 1);
    assert.equal((await events())[0][0], "success");
    await context.close();
  });

  test("strict with an unknown plan: an error screen, Close exits", async () => {
    const { context, page, link, events } = await openLink({ endpoint: "no-such-plan", strict: true });
    await link.locator("#screen-error").waitFor();
    assert.match(await link.locator("#fatal-error").textContent(), /no-such-plan.*not available/);
    await link.locator("#error-close").click();
    await page.locator(LINK_IFRAME).waitFor({ state: "detached" });
    assert.deepEqual(await events(), [["exit", null]]);
    await context.close();
  });

  /** An authorization URL of the PKCE flow, and its verifier and state. */
  function authorization(extra = {}) {
    const verifier = randomBytes(32).toString("base64url");
    const state = randomBytes(16).toString("base64url");
    // The demo's own page: any page that answers 200 (Chromium shows an error page for a 404).
    const redirectUri = server.url + "/";
    const params = new URLSearchParams({
      response_type: "code",
      client_id: publishableKey,
      redirect_uri: redirectUri,
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
      scope: "launch/patient",
      flexpa_external_id: "e2e-user",
      state,
      ...extra,
    });
    return { url: `${server.sandboxUrl}/link/auth?${params}`, verifier, state, redirectUri };
  }

  test("PKCE consent page: pick a plan, sign in, code back, exchanged for FHIR data", async (t) => {
    const shot = screenshots("sandbox-options", t.name);
    const page = await newPage(browser);
    const context = page.context();
    const auth = authorization();
    await page.goto(auth.url);
    await page.locator("#screen-plans").waitFor();
    assert.match(await page.locator("#sandbox-notice").textContent(), /sample data/i);
    await shot(page, "consent-plans");
    await page.locator("button.plan", { hasText: "Evergreen Health" }).click();
    await page.locator("#sample-username").waitFor();
    await page.locator("#username").fill("jane.doe");
    await page.locator("#password").fill("wrong");
    await page.locator("#sign-in").click();
    await page.locator("#sign-in-error").waitFor();
    await page.locator("#password").fill(await page.locator("#sample-password").textContent());
    await shot(page, "consent-sign-in");
    await page.locator("#sign-in").click();
    await page.waitForURL((u) => u.href.startsWith(auth.redirectUri + "?"));
    const back = new URL(page.url()).searchParams;
    assert.equal(back.get("state"), auth.state);
    const code = back.get("code");
    assert.ok(code);

    const form = (verifier) =>
      new URLSearchParams({
        grant_type: "authorization_code",
        code,
        code_verifier: verifier,
        redirect_uri: auth.redirectUri,
        client_id: publishableKey,
      });
    const token = await fetch(server.sandboxUrl + "/link/token", { method: "POST", body: form(auth.verifier) });
    assert.equal(token.status, 200);
    const tokens = await token.json();
    assert.equal(tokens.token_type, "Bearer");
    const patient = await fetch(server.sandboxUrl + "/fhir/Patient/$PATIENT_ID", {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(patient.status, 200);
    assert.equal((await patient.json()).name[0].family, "Doe");
    // Single-use.
    const again = await fetch(server.sandboxUrl + "/link/token", { method: "POST", body: form(auth.verifier) });
    assert.equal(again.status, 400);
    assert.equal((await again.json()).error, "invalid_grant");
    await context.close();
  });

  test("PKCE consent page: cancel goes back with access_denied", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const auth = authorization({ flexpa_endpoint_id: "bayside-medicaid-sandbox" });
    await page.goto(auth.url);
    assert.equal(await page.locator("#plan-name").textContent(), "Bayside Community Health");
    await page.locator("#cancel").click();
    await page.waitForURL((u) => u.href.startsWith(auth.redirectUri + "?"));
    const back = new URL(page.url()).searchParams;
    assert.equal(back.get("error"), "access_denied");
    assert.equal(back.get("state"), auth.state);
    assert.equal(back.get("code"), null);
    await context.close();
  });
});
