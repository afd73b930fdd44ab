// Turns the results of `cargo xtask bench records` (xtask/src/bench/records.rs) into a markdown
// section: prints it, writes RESULTS/records.md (which report.mjs includes in a full
// `cargo xtask bench` run) and, given --out, puts it into OUT between the records markers
// (appended when OUT has none yet).
//
//   node bench/js/records-report.mjs --results target/bench/results --out BENCHMARKS.md
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].slice(2)] = process.argv[i + 1];
const read = (f) => readFileSync(join(args.results, f), "utf8");

const lines = read("records.jsonl").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const runs = lines.filter((r) => !r.diagnostic);
const diagnostics = lines.filter((r) => r.diagnostic);
const bodies = JSON.parse(read("records-bodies.json"));
const meta = Object.fromEntries(
  read("records-meta.txt").trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);
// The stand-in's port changes from run to run: show it as $BASE_URL.
const commands = read("records-commands.txt").trim().replace(/http:\/\/127\.0\.0\.1:\d+/g, "$BASE_URL");

const MB = 1e6;
const n0 = (x) => Math.round(x).toLocaleString("en-US");
const n1 = (x) => x.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const n2 = (x) => x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const n3 = (x) => x.toLocaleString("en-US", { minimumFractionDigits: 3, maximumFractionDigits: 3 });

// The run with the median CPU seconds (CPU, not wall: the machine may be shared), with the
// spread of CPU seconds across the runs.
function pick(client, scenario) {
  const all = runs.filter((r) => r.client === client && r.scenario === scenario).sort((a, b) => a.cpu_s - b.cpu_s);
  if (!all.length) return undefined;
  const mid = all[(all.length - 1) >> 1];
  const rss = all.map((r) => (r.peak_rss_kib - r.baseline_rss_kib) * 1024).sort((a, b) => a - b);
  return { ...mid, n: all.length, cpu_min: all[0].cpu_s, cpu_max: all[all.length - 1].cpu_s, rss_med: rss[(rss.length - 1) >> 1] };
}

const scenarios = [
  { key: "everything", name: "`$everything` (one Bundle)", body: bodies.everything_bytes, calls: "call" },
  { key: "search", name: `search, ${bodies.pages} pages by next links`, body: bodies.search_bytes, calls: "search" },
];

const rows = [];
const goals = [];
for (const s of scenarios) {
  const cr = pick("crate", s.key);
  const nd = pick("node-sdk", s.key);
  if (!cr || !nd) continue;
  const cpuRatio = cr.cpu_s / nd.cpu_s;
  const memRatio = cr.rss_med / s.body;
  goals.push({ s, cpuRatio, memRatio });
  for (const [label, r] of [["flexpa-link (`serde_json::Value`)", cr], ["@flexpa/node-sdk 1.0.0 (JS objects)", nd]]) {
    const perCall = r.cpu_s / r.iterations;
    rows.push(
      `| ${s.name} | ${label} | ${n2(r.cpu_s)} (${n3(perCall)} per ${s.calls}; runs ${n2(r.cpu_min)}–${n2(r.cpu_max)}) | ${n2(r.wall_s)} | ` +
        `${n1(r.rss_med / MB)} (${n1(r.baseline_rss_kib * 1024 / MB)} → ${n1(r.peak_rss_kib * 1024 / MB)}) | ${n1(s.body / MB)} | ` +
        `${n1(r.rss_med / s.body)}x | ${r === cr ? `**${n2(cpuRatio)}x**` : "1"} |`,
    );
  }
}

const table = [
  "| Scenario | Client | CPU s (user + sys, timed calls) | wall s | peak RSS − baseline, MB (baseline → peak) | body MB | peak / body | CPU vs node-sdk |",
  "|---|---|---:|---:|---:|---:|---:|---:|",
  ...rows,
].join("\n");

const goalLines = goals
  .map(
    (g) =>
      `- ${g.s.name}: CPU ${n2(g.cpuRatio)}x node-sdk's (goal ≤ 0.20x: ${g.cpuRatio <= 0.2 ? "**met**" : "**not met**"}); ` +
      `peak memory ${n1(g.memRatio)}x the body (goal ≤ 3x: ${g.memRatio <= 3 ? "**met**" : "**not met**"}).`,
  )
  .join("\n");

// Diagnostics (single runs of bench-records --heap): heap bytes of one call, and for the other
// shapes the CPU of their timed calls next to node-sdk's median.
const shapeName = {
  value: "`Value` (as reported above)",
  raw: "`Box<RawValue>` (each resource kept as its JSON text)",
  pages: "`search_pages::<Value>`, one page alive at a time",
};
const diagRows = diagnostics.map((d) => {
  const body = d.scenario === "everything" ? bodies.everything_bytes : bodies.search_bytes;
  const nd = pick("node-sdk", d.scenario);
  const cpu = d.iterations > 0 && nd
    ? `${n3(d.cpu_s / d.iterations)} s per call, ${n2((d.cpu_s / d.iterations) / (nd.cpu_s / nd.iterations))}x node-sdk's`
    : "—";
  return (
    `| ${d.scenario} | ${shapeName[d.shape ?? "value"]} | ${n1(d.heap_peak_bytes / MB)} MB (${n1(d.heap_peak_bytes / body)}x) | ` +
    `${n1(d.heap_kept_bytes / MB)} MB (${n1(d.heap_kept_bytes / body)}x) | ${d.heap_allocations == null ? "—" : n0(d.heap_allocations)} | ${n1((d.peak_rss_kib - d.baseline_rss_kib) * 1024 / MB)} MB (${n1(((d.peak_rss_kib - d.baseline_rss_kib) * 1024) / body)}x) | ${cpu} |`
  );
});
const diagTable = [
  "| Scenario | Resources read as | heap peak in one call (x body) | heap the result holds (x body) | allocations in one call | peak RSS − baseline (x body) | CPU (timed calls) |",
  "|---|---|---:|---:|---:|---:|---:|",
  ...diagRows,
].join("\n");

const section = `<!-- records:begin (written by cargo xtask bench records; do not edit by hand) -->
## 4. Server: FHIR records

Measured by \`cargo xtask bench records\` (also section 4 of \`cargo xtask bench\`) on ${meta.date}, commit ${meta.commit}.
One local stand-in (\`bench-standin\`, hyper, HTTP/1.1) serves one patient's synthetic records, made once at
start-up and the same on every run: \`GET /fhir/Patient/$PATIENT_ID/$everything\` is a searchset Bundle of
${n0(bodies.everything_entries)} resources (ExplanationOfBenefits with line items and adjudications, and the Patient, Coverage,
Practitioners, Organizations, Conditions and Observations), ${n0(bodies.everything_bytes)} bytes; the search is
\`GET /fhir/ExplanationOfBenefit?patient=$PATIENT_ID&_count=100\`, ${bodies.pages} pages of 100 linked by absolute
\`next\` URLs, ${n0(bodies.search_bytes)} bytes in all. Each client process does ${meta.params}; calls are sequential
and each result is dropped before the next.

- flexpa-link: \`bench-records\` (bench-native profile), \`fhir.everything::<Value>()\` and
  \`fhir.search_all::<Value>("ExplanationOfBenefit", ...)\` (follows the next links itself), multi-threaded tokio runtime.
- @flexpa/node-sdk ${meta.node_sdk}: \`bench/js/node-sdk-records.mjs\`, \`client.$everything()\`; node-sdk has no paging and
  its \`search(type, params)\` takes no URL, so the next links are followed by calling \`client.search\` again with
  each next URL's query (possible because the stand-in's next links keep the search path; each goes to node-sdk's own base URL, the link's origin ignored).
- CPU = user + system time of the client process over the timed calls (\`getrusage\` in Rust,
  \`process.cpuUsage()\` in Node; the primary figure: the machine is shared). Peak RSS = \`VmHWM\` (Rust) or
  \`process.resourceUsage().maxRSS\` (Node) at the end, including the warm-up, minus the RSS before the first request.
  Body = the bytes of the \`$everything\` Bundle, or of all ${bodies.pages} search pages (the search result holds all of them).
  MB = 10^6 bytes. Each row is the median (by CPU) of ${runs.filter((r) => r.client === "crate" && r.scenario === "everything").length} interleaved runs; the memory column is the median of those runs' peaks.
- Machine: ${meta.cpu}, ${meta.cores} cores (shared with other work: load average ${[...new Set(runs.map((r) => r.load))].join(", ")} at the runs' starts), ${meta.mem} RAM; ${meta.os}.
  ${meta.pinning}. ${meta.rustc}; Node ${meta.node}; serde_json ${meta.crate_serde_json}, reqwest ${meta.crate_reqwest},
  hyper ${meta.crate_hyper}, tokio ${meta.crate_tokio}. The stand-in served ${meta.served} FHIR requests, as expected.

${table}

Goals (crate at most 1/5 of node-sdk's CPU; crate peak memory at most 3x the body):
${goalLines}

Where flexpa-link's time and memory go (diagnostics, one run each: \`bench-records --heap\` counts every
allocation of one more call after the timed ones; \`--shape\` changes what the resources are read into):

${diagTable}

Why, and what would fix it: [bench/ANALYSIS.md](bench/ANALYSIS.md#records).

\`\`\`sh
${commands}
\`\`\`
<!-- records:end -->
`;

writeFileSync(join(args.results, "records.md"), section);
if (args.out) {
  const old = existsSync(args.out) ? readFileSync(args.out, "utf8") : "";
  const re = /<!-- records:begin[\s\S]*?<!-- records:end -->\n?/;
  // The first time, before the Commands section, where report.mjs puts it in a full run.
  const updated = re.test(old)
    ? old.replace(re, section)
    : old.includes("\n## Commands\n")
      ? old.replace("\n## Commands\n", `\n${section}\n## Commands\n`)
      : `${old.trimEnd()}\n\n${section}`;
  writeFileSync(args.out, updated);
}
console.log(section);
