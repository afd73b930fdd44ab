// The records benchmark's Node client: Flexpa's own @flexpa/node-sdk against the same local
// stand-in as bench-records, one scenario per process (so that the peak memory is that
// scenario's alone).
//
//   node bench/js/node-sdk-records.mjs --base-url http://127.0.0.1:PORT --scenario everything|search
//        [--iterations 20] [--warmup 2]
//
// everything: `client.$everything()` (node-sdk's own call; the body becomes JS objects through
// fetch's res.json()). search: node-sdk has no paging, and `search()` takes a resource type and
// parameters rather than a URL, so the 10 pages are read the way a node-sdk user would: the
// first with `client.search(...)`, then `client.search(...)` again with the query of each
// absolute `link[relation=next]` URL. That works here because the stand-in's next links keep the
// search's path (`/fhir/ExplanationOfBenefit?...&page=N`); a next link to any other path could
// only be read with plain fetch. The request goes to node-sdk's own base URL with the next link's
// query: the link's origin is ignored, not checked.
//
// Prints one JSON line in bench-records' format: CPU seconds are process.cpuUsage() (user +
// system) and wall seconds over the timed iterations; the RSS before the first request
// (process.memoryUsage().rss) and the peak RSS of the whole process
// (process.resourceUsage().maxRSS). Exits non-zero if a call failed.
import { createRequire } from "node:module";

// The package's ESM build imports extensionless paths that Node's ESM loader rejects; load its
// CommonJS build, as a CommonJS app (require) does (same as node-sdk.mjs).
const { default: FlexpaClient } = createRequire(import.meta.url)("@flexpa/node-sdk");

// Any token will do: the stand-in checks only that one is sent.
const ACCESS_TOKEN = "bench_access_token_0123456789abcdef";

function parseArgs(argv) {
  const out = { baseUrl: null, scenario: null, iterations: 20, warmup: 2 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--base-url") out.baseUrl = value.replace(/\/+$/, "");
    else if (flag === "--scenario") out.scenario = value;
    else if (flag === "--iterations") out.iterations = Number(value);
    else if (flag === "--warmup") out.warmup = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!out.baseUrl) throw new Error("--base-url is required");
  if (!["everything", "search"].includes(out.scenario)) throw new Error("--scenario everything|search");
  return out;
}

const resources = (bundle) => (bundle.entry ?? []).map((e) => e.resource).filter(Boolean);

async function everything(client) {
  return resources(await client.$everything()).length;
}

async function searchAll(client) {
  const type = "ExplanationOfBenefit";
  let bundle = await client.search(type, { patient: "$PATIENT_ID", _count: "100" });
  const all = resources(bundle);
  for (;;) {
    const next = bundle.link?.find((l) => l.relation === "next")?.url;
    if (!next) break;
    const url = new URL(next);
    if (url.pathname !== `/fhir/${type}`) throw new Error("a next link node-sdk's search() cannot follow");
    bundle = await client.search(type, Object.fromEntries(url.searchParams));
    all.push(...resources(bundle));
  }
  return all.length;
}

const args = parseArgs(process.argv.slice(2));
const client = FlexpaClient.fromBearerToken(ACCESS_TOKEN, args.baseUrl);
const call = args.scenario === "everything" ? everything : searchAll;
const baselineKib = Math.round(process.memoryUsage().rss / 1024);
let count = 0;
try {
  for (let i = 0; i < args.warmup; i++) count = await call(client);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < args.iterations; i++) {
    const n = await call(client);
    if (count !== 0 && n !== count) throw new Error(`${n} resources, then ${count}: the answers differ`);
    count = n;
  }
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  console.log(
    JSON.stringify({
      client: "node-sdk",
      scenario: args.scenario,
      iterations: args.iterations,
      warmup: args.warmup,
      resources: count,
      cpu_s: (cpu.user + cpu.system) / 1e6,
      wall_s: wall,
      baseline_rss_kib: baselineKib,
      peak_rss_kib: process.resourceUsage().maxRSS,
      node: process.version,
    }),
  );
} catch (e) {
  // HttpError's message is the status line only: no token in it.
  console.error(`node-sdk-records: ${e?.message ?? e}`);
  process.exit(1);
}
