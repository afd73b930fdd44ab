// The packed tarball through a bundler: esbuild (the top-level devDependency) bundles
// bundle/app.js, an app importing "flexpa-link", its .wasm file and its package.json, in the
// scratch project where cargo xtask npm test installed the tarball ($FLEXPA_LINK_NPM_PROJECT);
// the bundled app then links in headless Chromium against the stand-in (harness.mjs). Also:
// what the `exports` map refuses, to Node's resolver and to the bundler.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { ROOT, TOKEN, linkFrame, start } from "./harness.mjs";

const PROJECT = process.env.FLEXPA_LINK_NPM_PROJECT;
if (!PROJECT) throw new Error("FLEXPA_LINK_NPM_PROJECT is not set: cargo xtask npm test runs this");
const INSTALLED = join(PROJECT, "node_modules", "flexpa-link");
const DIST = join(PROJECT, "dist");
const manifest = JSON.parse(readFileSync(join(INSTALLED, "package.json"), "utf8"));
// The module's own import of its Link state machines, a file outside the map.
const [snippetDir] = readdirSync(join(INSTALLED, "snippets"));
const SNIPPET = `flexpa-link/snippets/${snippetDir}/src/browser/core.js`;

const PAGE = (linkUrl) => `<!doctype html>
<meta charset="utf-8"><title>flexpa-link bundled</title>
<p id="version"></p>
<button id="link-button" disabled>Link your health data</button>
<p>Status: <span id="status">loading</span></p>
<p>Exit: <span id="exit"></span></p>
<script>window.FLEXPA_LINK_SANDBOX_URL = ${JSON.stringify(linkUrl)};</script>
<script type="module" src="/app/app.js"></script>`;

/** esbuild as an app's build would run it, from the scratch project; `entry` is a file there. */
const bundle = (entry, options = {}) =>
  build({
    absWorkingDir: PROJECT,
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    target: "es2022",
    outdir: DIST,
    loader: { ".wasm": "file" },
    assetNames: "assets/[name]-[hash]",
    publicPath: "/app", // where the page serves the bundle (the .wasm's URL starts with it)
    metafile: true,
    logLevel: "silent",
    ...options,
  });

let result;
let stand;

before(async () => {
  copyFileSync(join(ROOT, "npm", "test", "bundle", "app.js"), join(PROJECT, "app.js"));
  const started = performance.now();
  result = await bundle("app.js", { minify: true });
  const ms = Math.round(performance.now() - started);
  const sizes = Object.entries(result.metafile.outputs).map(([file, { bytes }]) => `${file} ${bytes} B`);
  console.log(`esbuild bundled app.js in ${ms} ms: ${sizes.join(", ")}`);
  stand = await start({ page: PAGE, files: { "/app/": DIST } });
});

after(async () => {
  await stand?.stop();
});

/** The files under `dir`, relative to it, sorted. */
const filesUnder = (dir) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).replaceAll("\\", "/"))
    .sort();

describe("flexpa-link through a bundler (esbuild, from the packed tarball)", () => {
  test("the tarball holds the module, its types, the .wasm, the snippet, the licenses and the README", () => {
    assert.deepEqual(filesUnder(INSTALLED), [
      "LICENSE-APACHE",
      "LICENSE-MIT",
      "README.md",
      "flexpa_link.d.ts",
      "flexpa_link.js",
      "flexpa_link_bg.wasm",
      "package.json",
      `snippets/${snippetDir}/src/browser/core.js`,
    ]);
  });

  test("the bundle is the app, the package's modules and its .wasm as a hashed asset", () => {
    const inputs = Object.keys(result.metafile.inputs).map((p) => p.replaceAll("\\", "/"));
    const fromPackage = inputs.filter((p) => p.startsWith("node_modules/flexpa-link/")).sort();
    assert.deepEqual(fromPackage, [
      "node_modules/flexpa-link/flexpa_link.js",
      "node_modules/flexpa-link/flexpa_link_bg.wasm",
      "node_modules/flexpa-link/package.json",
      `node_modules/flexpa-link/snippets/${snippetDir}/src/browser/core.js`,
    ]);
    const outputs = Object.keys(result.metafile.outputs).map((p) => relative(DIST, join(PROJECT, p)));
    assert.equal(outputs.length, 2, outputs.join(", "));
    assert.ok(outputs.includes("app.js"));
    assert.match(outputs.find((p) => p !== "app.js"), /^assets\/flexpa_link_bg-[A-Z0-9]+\.wasm$/);
  });

  test("the bundled app links: init with the bundled .wasm URL, create, open, the token shown", async () => {
    const first = stand.served.length;
    const page = await stand.newPage();
    assert.equal(await page.locator("#version").textContent(), `flexpa-link ${manifest.version}`);
    await page.locator("#link-button").click();
    const iframe = page.locator('iframe[title="Flexpa Link"]');
    await iframe.waitFor();
    const src = new URL(await iframe.getAttribute("src"));
    assert.equal(src.origin, new URL(stand.linkUrl).origin);
    assert.equal(src.searchParams.get("publishableKey"), "pk_test_bundle");
    await linkFrame(page).locator("#success").click();
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("linked: "));
    const status = await page.locator("#status").textContent();
    assert.match(status.slice("linked: ".length), TOKEN);
    assert.equal(await iframe.count(), 0, "Link is closed after SUCCESS");
    assert.deepEqual(page.errors, []);
    // Everything came from the bundle: its one script and the hashed .wasm, nothing from the
    // package's own layout (no snippets/, no unhashed flexpa_link_bg.wasm).
    const served = stand.served.slice(first);
    const app = served.filter((p) => p.startsWith("/app/"));
    assert.equal(app[0], "/app/app.js");
    assert.match(app[1], /^\/app\/assets\/flexpa_link_bg-[A-Z0-9]+\.wasm$/);
    assert.equal(new Set(app).size, 2, app.join(", "));
    assert.ok(served.every((p) => !p.includes("snippets") && basename(p) !== "flexpa_link_bg.wasm"), served.join(", "));
  });

  test("the bundled app: cancelling Link shows EXITED and the reason", async () => {
    const page = await stand.newPage();
    await page.locator("#link-button").click();
    await linkFrame(page).locator("#cancel").click();
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("not linked"));
    assert.equal(await page.locator("#status").textContent(), "not linked: EXITED");
    assert.equal(await page.locator("#exit").textContent(), "user_cancelled");
    assert.deepEqual(page.errors, []);
  });

  test("Node's resolver: the three exported paths resolve, deep imports are refused", async () => {
    // import.meta.resolve from a module inside the scratch project, as the app's own code.
    writeFileSync(join(PROJECT, "resolve.mjs"), "export default (specifier) => import.meta.resolve(specifier);\n");
    const { default: resolve } = await import(pathToFileURL(join(PROJECT, "resolve.mjs")));
    const at = (file) => pathToFileURL(join(INSTALLED, file)).href;
    assert.equal(resolve("flexpa-link"), at("flexpa_link.js"));
    assert.equal(resolve("flexpa-link/flexpa_link_bg.wasm"), at("flexpa_link_bg.wasm"));
    assert.equal(resolve("flexpa-link/package.json"), at("package.json"));
    for (const deep of [SNIPPET, "flexpa-link/flexpa_link.js", "flexpa-link/flexpa_link.d.ts"]) {
      assert.throws(
        () => resolve(deep),
        (e) => {
          assert.equal(e.code, "ERR_PACKAGE_PATH_NOT_EXPORTED", deep);
          assert.match(e.message, /is not defined by "exports"/);
          assert.ok(e.message.includes(`'./${deep.slice("flexpa-link/".length)}'`), e.message);
          return true;
        },
      );
    }
  });

  test("the bundler refuses a deep import with a clear error", async () => {
    writeFileSync(join(PROJECT, "deep.js"), `import { create } from "${SNIPPET}";\nconsole.log(create);\n`);
    await assert.rejects(bundle("deep.js", { write: false }), (e) => {
      const [error] = e.errors;
      assert.equal(error.text, `Could not resolve "${SNIPPET}"`);
      assert.match(error.notes[0].text, /is not exported by package "flexpa-link"/);
      return true;
    });
  });
});
