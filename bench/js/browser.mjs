// The browser benchmarks, in headless Chromium (/usr/bin/chromium, never a downloaded one):
//
//  1. Time to ready: the crate's `load()` against a plain <script> tag, the script
//     (sandbox/flexpa-link.js) served from a local HTTP server with `Cache-Control: no-store`,
//     each page load in a fresh browser context; medians of N loads.
//  2. Leaks: create/open/close cycles through the crate (then, as a control, the same cycles
//     from JavaScript straight on window.FlexpaLink), counting iframes, window `message`
//     listeners (window.addEventListener/removeEventListener wrapped before any script runs),
//     wasm memory pages, wasm-bindgen's externref table and the JS heap after a forced GC,
//     before, after warm-up and after all cycles.
//
//   node bench/js/browser.mjs --harness DIR --script sandbox/flexpa-link.js
//        [--loads 50] [--cycles 10000] [--warmup 100]
//
// DIR holds the wasm-bindgen (--target web) output of bench/browser-harness. Prints one JSON
// object on stdout.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join, extname } from "node:path";
import { chromium } from "playwright-core";

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];

function parseArgs(argv) {
  const out = { loads: 50, cycles: 10000, warmup: 100, harness: null, script: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--harness") out.harness = value;
    else if (flag === "--script") out.script = value;
    else if (flag === "--loads") out.loads = Number(value);
    else if (flag === "--cycles") out.cycles = Number(value);
    else if (flag === "--warmup") out.warmup = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!out.harness || !out.script) throw new Error("--harness and --script are required");
  return out;
}

const HARNESS = "flexpa_link_bench_browser";

// Runs first on every page: the Link iframe goes to a local blank page (no network), and
// window listeners are counted by type.
const PRELUDE = `<script>
window.FLEXPA_LINK_SANDBOX_URL = "/link-blank.html";
(() => {
  const live = new Map();
  const key = (o) => (typeof o === "boolean" ? o : !!(o && o.capture));
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  EventTarget.prototype.addEventListener = function (type, fn, opts) {
    if (this === window && fn) {
      if (!live.has(type)) live.set(type, [new Set(), new Set()]);
      live.get(type)[key(opts) ? 1 : 0].add(fn);
    }
    return add.call(this, type, fn, opts);
  };
  EventTarget.prototype.removeEventListener = function (type, fn, opts) {
    if (this === window && live.has(type)) live.get(type)[key(opts) ? 1 : 0].delete(fn);
    return remove.call(this, type, fn, opts);
  };
  window.__counts = () => {
    let all = 0;
    for (const [a, b] of live.values()) all += a.size + b.size;
    const m = live.get("message");
    return {
      iframes: document.querySelectorAll("iframe").length,
      message_listeners: m ? m[0].size + m[1].size : 0,
      window_listeners: all,
    };
  };
})();
</script>`;

const PAGES = {
  "/plain.html": `<!doctype html><html><head><meta charset="utf-8">${PRELUDE}
<script src="/flexpa-link.js" onload="
  const entry = performance.getEntriesByName(new window.URL('/flexpa-link.js', location.href).href)[0];
  window.__bench = { done: true, ok: typeof FlexpaLink === 'object', ready: performance.now(),
                     script_start: entry ? entry.startTime : null };"></script>
</head><body></body></html>`,
  "/crate.html": `<!doctype html><html><head><meta charset="utf-8">${PRELUDE}
<script type="module">
try {
  const init_start = performance.now();
  const { default: init, load } = await import("/harness/${HARNESS}.js");
  await init();
  const load_start = performance.now();
  await load("/flexpa-link.js");
  const ready = performance.now();
  window.__bench = { done: true, ok: typeof FlexpaLink === "object", init_start, load_start, ready };
} catch (e) {
  window.__bench = { done: true, ok: false, error: String(e) };
}
</script></head><body></body></html>`,
  "/cycles.html": `<!doctype html><html><head><meta charset="utf-8">${PRELUDE}
<script type="module">
try {
  const mod = await import("/harness/${HARNESS}.js");
  const wasm = await mod.default();
  await mod.load("/flexpa-link.js");
  window.__harness = {
    cycles: mod.cycles,
    // The control: the same cycles straight on the global from JavaScript, no crate involved.
    jsCycles: (n) => {
      for (let i = 0; i < n; i++) {
        FlexpaLink.create({ publishableKey: "pk_test_bench", onSuccess() {}, onExit() {}, onLoad() {} });
        FlexpaLink.open();
        FlexpaLink.close();
      }
      return 0;
    },
    openProbe: mod.open_probe,
    closeProbe: mod.close_probe,
    pages: () => wasm.memory.buffer.byteLength / 65536,
    externrefs: () => (wasm.__wbindgen_externrefs ? wasm.__wbindgen_externrefs.length : null),
  };
  window.__bench = { done: true, ok: true };
} catch (e) {
  window.__bench = { done: true, ok: false, error: String(e) };
}
</script></head><body></body></html>`,
  "/link-blank.html": `<!doctype html><html><head><meta charset="utf-8"><title>Link</title></head><body></body></html>`,
};

const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

function serve(args) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    try {
      let body;
      if (PAGES[path]) body = PAGES[path];
      else if (path === "/flexpa-link.js") body = await readFile(args.script);
      else if (path.startsWith("/harness/") && !path.includes("..")) {
        body = await readFile(join(args.harness, path.slice("/harness/".length)));
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, {
        "content-type": TYPES[extname(path)] || "application/octet-stream",
        "cache-control": "no-store",
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function loadOnce(browser, url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    await page.goto(url);
    try {
      await page.waitForFunction(() => window.__bench && window.__bench.done, null, { timeout: 30000 });
    } catch (e) {
      throw new Error(`${url}: not ready in 30 s (${problems.join("; ") || e.message})`);
    }
    const bench = await page.evaluate(() => window.__bench);
    if (!bench.ok) throw new Error(`${url}: ${bench.error || "FlexpaLink missing"}`);
    return bench;
  } finally {
    await context.close();
  }
}

async function timeToReady(browser, base, loads) {
  // One unmeasured load of each warms the browser process itself (not the HTTP cache:
  // every load gets a fresh context, and every response is no-store).
  await loadOnce(browser, `${base}/plain.html`);
  await loadOnce(browser, `${base}/crate.html`);
  const plain = { ready: [], script: [] };
  const crate = { ready: [], load: [], init: [] };
  for (let i = 0; i < loads; i++) {
    // Alternate, so that drift on a shared machine hits both alike.
    const p = await loadOnce(browser, `${base}/plain.html`);
    plain.ready.push(p.ready);
    if (p.script_start !== null) plain.script.push(p.ready - p.script_start);
    const c = await loadOnce(browser, `${base}/crate.html`);
    crate.ready.push(c.ready);
    crate.load.push(c.ready - c.load_start);
    crate.init.push(c.load_start - c.init_start);
  }
  return {
    loads,
    plain_nav_to_ready_ms: median(plain.ready),
    plain_script_to_ready_ms: median(plain.script),
    crate_nav_to_ready_ms: median(crate.ready),
    crate_wasm_init_ms: median(crate.init),
    crate_load_to_ready_ms: median(crate.load),
  };
}

async function leaks(browser, base, cycles, warmup, via = "crate") {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${base}/cycles.html`);
  await page.waitForFunction(() => window.__bench && window.__bench.done, null, { timeout: 30000 });
  const ready = await page.evaluate(() => window.__bench);
  if (!ready.ok) throw new Error(`cycles.html: ${ready.error}`);
  const cdp = await context.newCDPSession(page);
  const snapshot = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    const { usedSize } = await cdp.send("Runtime.getHeapUsage");
    const page_counts = await page.evaluate(() => ({
      ...window.__counts(),
      wasm_pages: window.__harness.pages(),
      externref_slots: window.__harness.externrefs(),
    }));
    return { ...page_counts, js_heap_kb: Math.round(usedSize / 1024) };
  };
  const run = (n) =>
    page.evaluate(async ([n, via]) => {
      const t = performance.now();
      let left = n;
      const cycle = via === "crate" ? window.__harness.cycles : window.__harness.jsCycles;
      while (left > 0) {
        const batch = Math.min(left, 500);
        cycle(batch);
        left -= batch;
        await new Promise((r) => setTimeout(r, 0)); // let the page breathe between batches
      }
      return performance.now() - t;
    }, [n, via]);

  const before = await snapshot();
  // The instruments must see what they count: one open session = 1 iframe, 1 listener.
  if (via === "crate") await page.evaluate(() => window.__harness.openProbe());
  else {
    await page.evaluate(() => {
      FlexpaLink.create({ publishableKey: "pk_test_bench", onSuccess() {} });
      FlexpaLink.open();
    });
  }
  const probe_open = await page.evaluate(() => window.__counts());
  if (via === "crate") await page.evaluate(() => window.__harness.closeProbe());
  else await page.evaluate(() => FlexpaLink.close());
  await run(warmup);
  const after_warmup = await snapshot();
  const ms = await run(cycles);
  const after = await snapshot();
  await context.close();
  const flat = ["iframes", "message_listeners", "window_listeners", "wasm_pages", "externref_slots"]
    .every((k) => after[k] === after_warmup[k]);
  return {
    via,
    cycles,
    warmup,
    us_per_cycle: (ms * 1000) / cycles,
    probe_open,
    before,
    after_warmup,
    after,
    flat,
    page_errors: errors,
  };
}

const args = parseArgs(process.argv.slice(2));
const server = await serve(args);
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: FLAGS });
try {
  const version = browser.version();
  const timing = await timeToReady(browser, base, args.loads);
  const leak = await leaks(browser, base, args.cycles, args.warmup, "crate");
  // The control tells what Chromium itself keeps per iframe, and what a cycle costs without
  // the crate.
  const control = await leaks(browser, base, args.cycles, args.warmup, "js");
  console.log(JSON.stringify({ chromium: version, timing, leaks: leak, control }));
} finally {
  await browser.close();
  server.close();
}
