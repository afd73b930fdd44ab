// The server benchmark's Node client: N token exchanges at concurrency C with Flexpa's own
// `@flexpa/node-sdk` (`FlexpaClient.fromExchange`, which POSTs /link/exchange with the global
// fetch), against the same local stand-in as bench-loadgen.
//
//   node bench/js/node-sdk.mjs --base-url http://127.0.0.1:PORT [--requests 20000]
//        [--concurrency 64] [--warmup 500]
//
// Prints one JSON line in bench-loadgen's format. CPU seconds are process.cpuUsage() (user +
// system of this process) over the timed run. Exits non-zero if any exchange failed.
import { createRequire } from "node:module";

// The package's ESM build imports extensionless paths, which Node's ESM loader rejects
// (ERR_MODULE_NOT_FOUND for dist/esm/FlexpaClient); its CommonJS build works, so load that,
// as a CommonJS app (require) does.
const { default: FlexpaClient } = createRequire(import.meta.url)("@flexpa/node-sdk");

const SECRET_KEY = "sk_test_bench_0123456789abcdef";

function parseArgs(argv) {
  const out = { requests: 20000, concurrency: 64, warmup: 500, baseUrl: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--base-url") out.baseUrl = value.replace(/\/+$/, "");
    else if (flag === "--requests") out.requests = Number(value);
    else if (flag === "--concurrency") out.concurrency = Math.max(1, Number(value));
    else if (flag === "--warmup") out.warmup = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!out.baseUrl) throw new Error("--base-url is required");
  return out;
}

// The same token shape as bench-loadgen: public_token_<uuid>, distinct per call.
function publicToken(i) {
  const hex = (n, w) => (n >>> 0).toString(16).padStart(w, "0").slice(-w);
  const big = BigInt(i);
  const a = Number((big * 2654435761n) & 0xffffffffn);
  const e = (big * 0x9e3779b97f4a7c15n) & 0xffffffffffffn;
  return (
    `public_token_${hex(a, 8)}-${hex((i >>> 3) & 0xffff, 4)}-4${hex(i & 0xfff, 3)}` +
    `-a${hex((i >>> 12) & 0xfff, 3)}-${e.toString(16).padStart(12, "0")}`
  );
}

async function run(baseUrl, offset, requests, concurrency) {
  let next = 0;
  let errors = 0;
  let firstError = null;
  const latencies = new Float64Array(requests);
  const started = process.hrtime.bigint();
  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= requests) return;
      const t = process.hrtime.bigint();
      try {
        const client = await FlexpaClient.fromExchange(publicToken(offset + i), SECRET_KEY, baseUrl);
        if (!client) throw new Error("no client");
      } catch (e) {
        errors++;
        firstError ??= String(e);
      }
      latencies[i] = Number(process.hrtime.bigint() - t) / 1e3; // microseconds
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { latencies, errors, firstError, seconds };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

const args = parseArgs(process.argv.slice(2));
if (args.warmup > 0) {
  const warm = await run(args.baseUrl, 0, args.warmup, args.concurrency);
  if (warm.errors > 0) {
    console.error(`warm-up failed: ${warm.firstError}`);
    process.exit(1);
  }
}
const cpuBefore = process.cpuUsage();
const outcome = await run(args.baseUrl, args.warmup, args.requests, args.concurrency);
const cpu = process.cpuUsage(cpuBefore);
const cpuS = (cpu.user + cpu.system) / 1e6;
const sorted = outcome.latencies.slice().sort();
console.log(
  JSON.stringify({
    client: "node-sdk",
    concurrency: args.concurrency,
    requests: args.requests,
    warmup: args.warmup,
    errors: outcome.errors,
    first_error: outcome.firstError,
    seconds: outcome.seconds,
    rps: args.requests / outcome.seconds,
    p50_us: percentile(sorted, 50),
    p99_us: percentile(sorted, 99),
    cpu_s: cpuS,
    cpu_us_per_req: (cpuS * 1e6) / args.requests,
    node: process.version,
  }),
);
process.exit(outcome.errors > 0 ? 1 : 0);
