// What the npm package's browser tests share: a local server with Flexpa Link's stand-in, and
// headless Chromium (the system /usr/bin/chromium through playwright-core).
//
// The Link script is the repository's protocol-faithful stand-in (sandbox/flexpa-link.js); the
// Link app is a small page on another origin (localhost vs 127.0.0.1) that posts the protocol's
// messages, so the script's origin check is real.

import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = join(ROOT, "sandbox", "flexpa-link.js");

/** A public token as the stand-in's Link app makes them. */
export const TOKEN = /^public_token_[0-9a-f-]{36}$/;

const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".json": "application/json" };

// The stand-in Link app: LOADED on load, SUCCESS or CLOSED on a click.
const LINK_APP = `<!doctype html>
<meta charset="utf-8"><title>Link</title>
<button id="success" onclick="send('SUCCESS', 'public_token_' + crypto.randomUUID())">Link</button>
<button id="cancel" onclick="send('CLOSED', 'user_cancelled')">Cancel</button>
<script>
  function send(type, payload) { parent.postMessage({ type, payload }, "*"); }
  send("LOADED");
</script>`;

/**
 * Starts the server and the browser. `page(linkUrl)` is the HTML served at "/"; `files` maps a
 * URL prefix to the directory it serves ({ "/pkg/": dir }). Besides those: the stand-in Link
 * script at /v1/, one that never answers in time at /slow/, one that defines nothing at
 * /no-global/, and the Link app at /link/. `served` lists every path asked for, in order.
 */
export async function start({ page, files }) {
  const served = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    served.push(url.pathname);
    try {
      if (url.pathname === "/") {
        res.writeHead(200, { "content-type": "text/html" }).end(page(linkUrl));
      } else if (url.pathname.startsWith("/link/")) {
        res.writeHead(200, { "content-type": "text/html" }).end(LINK_APP);
      } else if (url.pathname === "/v1/") {
        res.writeHead(200, { "content-type": "text/javascript" }).end(await readFile(SCRIPT));
      } else if (url.pathname === "/slow/") {
        setTimeout(() => res.writeHead(200, { "content-type": "text/javascript" }).end(""), 3000);
      } else if (url.pathname === "/no-global/") {
        res.writeHead(200, { "content-type": "text/javascript" }).end("/* defines nothing */");
      } else {
        const [prefix, dir] = Object.entries(files).find(([prefix]) => url.pathname.startsWith(prefix)) || [];
        const file = dir && join(dir, decodeURIComponent(url.pathname.slice(prefix.length)));
        if (!file || !file.startsWith(dir + sep)) throw new Error("not served");
        const body = await readFile(file);
        res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream" }).end(body);
      }
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address();
  const base = `http://127.0.0.1:${port}`;
  const linkUrl = `http://localhost:${port}/link/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
      "--js-flags=--expose-gc",
    ],
  });
  return {
    base,
    linkUrl,
    served,
    /** A fresh page at "/", once its module script set window.ready; page.errors collects uncaught errors. */
    async newPage() {
      const page = await (await browser.newContext()).newPage();
      page.errors = [];
      page.on("pageerror", (e) => page.errors.push(String(e)));
      await page.goto(base + "/");
      await page.waitForFunction(() => window.ready === true, null, { timeout: 10_000 }).catch((e) => {
        throw new Error(`the page never got ready (${e.message}); its errors: ${page.errors.join("; ") || "none"}`);
      });
      return page;
    },
    async stop() {
      await browser.close();
      await new Promise((done) => server.close(done));
    },
  };
}

/** The Link iframe's content. */
export const linkFrame = (page) => page.frameLocator('iframe[title="Flexpa Link"]');
