// The npm package's JavaScript API in headless Chromium, loaded as it is from the installed
// tarball (in the project $FLEXPA_LINK_NPM_PROJECT that cargo xtask npm test made; npm/pkg
// when run by hand after cargo xtask npm build). The stand-in and the browser: harness.mjs.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, TOKEN, linkFrame, start } from "./harness.mjs";

const PKG = process.env.FLEXPA_LINK_NPM_PROJECT
  ? join(process.env.FLEXPA_LINK_NPM_PROJECT, "node_modules", "flexpa-link")
  : join(ROOT, "npm", "pkg");

const PAGE = (linkUrl) => `<!doctype html>
<meta charset="utf-8"><title>flexpa-link npm</title>
<button id="link-button">Link your health data</button>
<script>window.FLEXPA_LINK_SANDBOX_URL = ${JSON.stringify(linkUrl)};</script>
<script type="module">
  import init, * as api from "/pkg/flexpa_link.js";
  await init();
  window.api = api;
  window.events = [];
  // What a test's callbacks report, in order.
  window.record = (kind) => (value) => window.events.push([kind, value === undefined ? null : value]);
  window.reported = [];
  window.addEventListener("error", (e) => { window.reported.push(String(e.error && e.error.message)); e.preventDefault(); });
  window.ready = true;
</script>`;

let stand;
let base;
let linkUrl;

before(async () => {
  stand = await start({ page: PAGE, files: { "/pkg/": PKG } });
  ({ base, linkUrl } = stand);
});

after(async () => {
  await stand?.stop();
});

const newPage = () => stand.newPage();

/** Runs `fn` in the page and returns what it threw, as plain data (or null). */
const thrown = (page, fn, arg) =>
  page.evaluate(
    async ([source, arg]) => {
      try {
        await (0, eval)(`(${source})`)(arg);
        return null;
      } catch (e) {
        return {
          isError: e instanceof Error,
          name: e.name,
          code: e.code,
          message: e.message,
          src: e.src,
          reason: e.reason,
          timeoutMs: e.timeoutMs,
          guard: window.api.isFlexpaLinkError(e),
        };
      }
    },
    [fn.toString(), arg],
  );

describe("flexpa-link npm package", () => {
  test("a script that fails to load rejects with SCRIPT_FAILED, and loading again retries", async () => {
    const page = await newPage();
    const error = await thrown(page, () => window.api.loadFlexpaLink({ src: "/broken/" }));
    assert.equal(error.isError, true);
    assert.equal(error.name, "FlexpaLinkError");
    assert.equal(error.code, "SCRIPT_FAILED");
    assert.equal(error.src, base + "/broken/");
    assert.match(error.message, /failed to load/);
    assert.equal(error.guard, true);
    assert.equal(await page.locator('script[src$="/broken/"]').count(), 0, "the broken tag is removed");

    const missing = await thrown(page, () => window.api.loadFlexpaLink({ src: "/no-global/" }));
    assert.equal(missing.code, "MISSING_GLOBAL");
    const slow = await thrown(page, () => window.api.loadFlexpaLink({ src: "/slow/", timeoutMs: 200 }));
    assert.equal(slow.code, "TIMEOUT");
    assert.equal(slow.timeoutMs, 200);

    // The same page, the right URL: loads. Two concurrent loads inject one tag.
    const loaded = await page.evaluate(async () => {
      const [a, b] = await Promise.all([
        window.api.loadFlexpaLink({ src: "/v1/" }),
        window.api.loadFlexpaLink({ src: "/v1/" }),
      ]);
      return a.constructor.name === "FlexpaLink" && b.constructor.name === "FlexpaLink";
    });
    assert.equal(loaded, true);
    assert.equal(await page.locator('script[src$="/v1/"]').count(), 1);
    assert.deepEqual(page.errors, []);
  });

  test("bad options and configs throw INVALID_CONFIG / INVALID_VALUE, never a raw value", async () => {
    const page = await newPage();
    const badLoad = await thrown(page, () => window.api.loadFlexpaLink({ crossOrigin: "yes" }));
    assert.equal(badLoad.code, "INVALID_CONFIG");
    assert.equal(badLoad.name, "FlexpaLinkError");
    await page.evaluate(async () => (window.link = await window.api.loadFlexpaLink({ src: "/v1/" })));
    const cases = [
      [{}, "INVALID_CONFIG", /publishableKey is required/],
      [{ publishableKey: 42 }, "INVALID_CONFIG", /publishableKey must be a string/],
      [{ publishableKey: "sk_test_secret" }, "INVALID_VALUE", /publishable key/],
      [{ publishableKey: "pk_test_1", usage: "SOMETIMES" }, "INVALID_CONFIG", /usage/],
      [{ publishableKey: "pk_test_1", user: "u1" }, "INVALID_CONFIG", /externalId/],
      [{ publishableKey: "pk_test_1", onSuccess: "not a function" }, "INVALID_CONFIG", /onSuccess must be a function/],
      [{ publishableKey: "pk_test_1", strict: "yes" }, "INVALID_CONFIG", /strict must be a boolean/],
    ];
    for (const [config, code, message] of cases) {
      const error = await thrown(page, (c) => window.link.create(c), config);
      assert.equal(error?.code, code, JSON.stringify(config));
      assert.match(error.message, message);
      assert.ok(!error.message.includes("sk_test_secret"), "a rejected key is never echoed");
    }
  });

  test("create, open, link: onLoad, onSuccess and publicToken() get the same token", async () => {
    const page = await newPage();
    await page.evaluate(async () => {
      const link = await window.api.loadFlexpaLink({ src: "/v1/" });
      window.session = link.create({
        publishableKey: "pk_test_npm",
        user: { externalId: "user-7" },
        usage: "MULTIPLE",
        brandColor: "#5a3cf0",
        onSuccess: window.record("success"),
        onExit: window.record("exit"),
        onLoad: window.record("load"),
      });
      window.token = window.session.publicToken();
      document.getElementById("link-button").onclick = () => window.session.open();
    });
    await page.locator("#link-button").click();
    const iframe = page.locator('iframe[title="Flexpa Link"]');
    await iframe.waitFor();
    const src = new URL(await iframe.getAttribute("src"));
    assert.equal(src.origin, new URL(linkUrl).origin);
    assert.equal(src.searchParams.get("publishableKey"), "pk_test_npm");
    assert.deepEqual(JSON.parse(src.searchParams.get("user")), { externalId: "user-7" });
    assert.equal(src.searchParams.get("usage"), "MULTIPLE");
    assert.equal(await page.evaluate(() => window.FlexpaLink.brandColor), "#5a3cf0", "unknown options pass through");
    assert.equal(await page.evaluate(() => window.session.isOpen), true);
    await page.waitForFunction(() => window.events.some(([kind]) => kind === "load"));

    await linkFrame(page).locator("#success").click();
    const token = await page.evaluate(() => window.token);
    assert.match(token, TOKEN);
    const events = await page.evaluate(() => window.events);
    assert.deepEqual(events, [["load", null], ["success", token]]);
    assert.equal(await iframe.count(), 0, "the iframe is gone after SUCCESS");
    assert.equal(await page.evaluate(() => window.session.isOpen), false);
    // A promise asked for after the fact gets the same token.
    assert.equal(await page.evaluate(() => window.session.publicToken()), token);
    assert.deepEqual(page.errors, []);
  });

  test("cancel: onExit gets the reason, publicToken() rejects with EXITED; Link opens again", async () => {
    const page = await newPage();
    await page.evaluate(async () => {
      const link = await window.api.loadFlexpaLink({ src: "/v1/" });
      window.session = link.create({ publishableKey: "pk_test_npm", onExit: window.record("exit") });
      window.session.open();
      window.outcome = window.session.publicToken().then(
        () => null,
        (e) => ({ name: e.name, code: e.code, reason: e.reason }),
      );
    });
    await linkFrame(page).locator("#cancel").click();
    assert.deepEqual(await page.evaluate(() => window.outcome), {
      name: "FlexpaLinkError",
      code: "EXITED",
      reason: "user_cancelled",
    });
    assert.deepEqual(await page.evaluate(() => window.events), [["exit", "user_cancelled"]]);

    // close() before a token: CLOSED, and no onExit.
    const closed = await page.evaluate(async () => {
      window.session.open();
      const pending = window.session.publicToken().catch((e) => e.code);
      window.session.close();
      return [await pending, window.events.length, document.querySelectorAll("iframe").length];
    });
    assert.deepEqual(closed, ["CLOSED", 1, 0]);

    // exit(): onExit without a reason.
    await page.evaluate(() => { window.session.open(); window.session.exit(); });
    assert.deepEqual(await page.evaluate(() => window.events.at(-1)), ["exit", null]);
  });

  test("one live session: a new one supersedes the old; destroy() closes Link and is final", async () => {
    const page = await newPage();
    const result = await page.evaluate(async () => {
      const link = await window.api.loadFlexpaLink({ src: "/v1/" });
      const first = link.create({ publishableKey: "pk_test_a" });
      first.open();
      const firstToken = first.publicToken().catch((e) => e.code);
      const second = link.create({ publishableKey: "pk_test_b" });
      const out = {
        firstToken: await firstToken,
        firstLive: first.isLive,
        iframesAfterSupersede: document.querySelectorAll("iframe").length,
        secondLive: second.isLive,
      };
      try { first.open(); } catch (e) { out.firstOpen = e.code; }
      second.open();
      const secondToken = second.publicToken().catch((e) => e.code);
      second.destroy();
      second.destroy(); // idempotent
      out.secondToken = await secondToken;
      out.iframesAfterDestroy = document.querySelectorAll("iframe").length;
      try { second.open(); } catch (e) { out.secondOpen = e.code; }
      out.secondLater = await second.publicToken().catch((e) => e.code);
      out.global = typeof window.FlexpaLink.onSuccess;
      return out;
    });
    assert.deepEqual(result, {
      firstToken: "SUPERSEDED",
      firstLive: false,
      iframesAfterSupersede: 0,
      secondLive: true,
      firstOpen: "SUPERSEDED",
      secondToken: "SESSION_DROPPED",
      iframesAfterDestroy: 0,
      secondOpen: "DESTROYED",
      secondLater: "DESTROYED",
      global: "function",
    });
  });

  test("the live session keeps working with no JavaScript reference, through garbage collection", async () => {
    const page = await newPage();
    await page.evaluate(async () => {
      const link = await window.api.loadFlexpaLink({ src: "/v1/" });
      // No reference kept: only the global (and the package) know the session.
      link.create({ publishableKey: "pk_test_gc", onSuccess: window.record("success") }).open();
      for (let i = 0; i < 5; i++) {
        window.gc();
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    assert.equal(await page.locator('iframe[title="Flexpa Link"]').count(), 1, "still open after GC");
    await linkFrame(page).locator("#success").click();
    await page.waitForFunction(() => window.events.length === 1);
    const [[kind, token]] = await page.evaluate(() => window.events);
    assert.equal(kind, "success");
    assert.match(token, TOKEN);
  });

  test("a callback that throws is reported as an uncaught error and breaks nothing", async () => {
    const page = await newPage();
    await page.evaluate(async () => {
      const link = await window.api.loadFlexpaLink({ src: "/v1/" });
      window.session = link.create({
        publishableKey: "pk_test_npm",
        onSuccess: () => { throw new Error("boom in onSuccess"); },
      });
      window.session.open();
      window.token = window.session.publicToken();
    });
    await linkFrame(page).locator("#success").click();
    assert.match(await page.evaluate(() => window.token), TOKEN);
    assert.deepEqual(await page.evaluate(() => window.reported), ["boom in onSuccess"]);
    // The session still works: open again.
    await page.evaluate(() => window.session.open());
    assert.equal(await page.locator('iframe[title="Flexpa Link"]').count(), 1);
  });
});
