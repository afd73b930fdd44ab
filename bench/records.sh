#!/usr/bin/env bash
# The records benchmark (issue 9, item 6), one self-contained command, also run as a section of
# scripts/bench.sh: the crate's FHIR client (bench-records) next to @flexpa/node-sdk 1.0.0
# (bench/js/node-sdk-records.mjs), each as its own process, against one local stand-in
# (bench-standin) serving
#   everything: GET /fhir/Patient/$PATIENT_ID/$everything, one ~20 MB searchset Bundle;
#   search:     GET /fhir/ExplanationOfBenefit?patient=..., 10 pages x 100 resources by next links.
# Each (scenario, client) pair is its own process run, so that the peak RSS is that scenario's;
# each row is the median (by CPU seconds) of BENCH_REPS interleaved runs. Prints a markdown
# section and writes it to RESULTS/records.md, and into BENCH_OUT (BENCHMARKS.md) between the
# `records:begin`/`records:end` markers.
#
#   bench/records.sh                 # the full run (a few minutes on 2 cores once built)
#   BENCH_QUICK=1 bench/records.sh   # a smoke run with small counts (numbers not meaningful)
#
# Knobs: BENCH_RECORDS_EVERYTHING (20 iterations), BENCH_RECORDS_SEARCH (50 iterations, of 10
# pages each), BENCH_RECORDS_WARMUP (2), BENCH_RECORDS_BYTES (20000000), BENCH_REPS (3),
# BENCH_RESULTS (target/bench/results), BENCH_OUT (BENCHMARKS.md at the repo root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ "${BENCH_QUICK:-0}" == 1 ]]; then
  : "${BENCH_RECORDS_EVERYTHING:=2}" "${BENCH_RECORDS_SEARCH:=3}" "${BENCH_RECORDS_WARMUP:=1}" "${BENCH_REPS:=1}"
fi
EVERYTHING_ITER="${BENCH_RECORDS_EVERYTHING:-20}"
SEARCH_ITER="${BENCH_RECORDS_SEARCH:-50}"
WARMUP="${BENCH_RECORDS_WARMUP:-2}"
BYTES="${BENCH_RECORDS_BYTES:-20000000}"
REPS="${BENCH_REPS:-3}"
OUT="${BENCH_OUT:-$ROOT/BENCHMARKS.md}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
RESULTS="${BENCH_RESULTS:-$TARGET/bench/results}"
BIN="$TARGET/bench-native"
mkdir -p "$RESULTS"
COMMANDS="$RESULTS/records-commands.txt"
: >"$COMMANDS"
: >"$RESULTS/records.jsonl"

# Runs a command and records it (relative to the repo root) for the report.
run() {
  printf '%s\n' "$*" | sed "s|$ROOT/||g" >>"$COMMANDS"
  "$@"
}

run cargo build --profile bench-native -p flexpa-link-bench-loadgen
if [[ ! -d "$ROOT/bench/js/node_modules/@flexpa/node-sdk" ]]; then
  (cd "$ROOT/bench/js" && run env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
SDK_VERSION="$(node -p "require('$ROOT/bench/js/node_modules/@flexpa/node-sdk/package.json').version")"
if [[ "$SDK_VERSION" != 1.0.0 ]]; then
  echo "@flexpa/node-sdk is $SDK_VERSION, the benchmark compares with 1.0.0 (cd bench/js && npm ci)" >&2
  exit 1
fi

# The stand-in on the last core, the clients on the others (as the server section does).
CORES="$(nproc)"
if command -v taskset >/dev/null && [[ "$CORES" -ge 2 ]]; then
  SERVER_PIN=(taskset -c "$((CORES - 1))")
  CLIENT_PIN=(taskset -c "0-$((CORES - 2))")
  PINNING="stand-in pinned to CPU $((CORES - 1)), each client process to CPU 0-$((CORES - 2)) (taskset)"
else
  SERVER_PIN=()
  CLIENT_PIN=()
  PINNING="no pinning (taskset missing or 1 core)"
fi
STANDIN_LOG="$RESULTS/records-standin.log"
printf '%s\n' "${SERVER_PIN[*]} target/bench-native/bench-standin --addr 127.0.0.1:0 --everything-bytes $BYTES --pages 10 --page-size 100 &" >>"$COMMANDS"
"${SERVER_PIN[@]}" "$BIN/bench-standin" --addr 127.0.0.1:0 --exit-after 3600 \
  --everything-bytes "$BYTES" --pages 10 --page-size 100 >"$STANDIN_LOG" 2>&1 &
STANDIN_PID=$!
trap 'kill "$STANDIN_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q '^listening on ' "$STANDIN_LOG" && break
  sleep 0.1
done
BASE_URL="$(sed -n 's/^listening on //p' "$STANDIN_LOG" | head -1)"
[[ -n "$BASE_URL" ]] || { echo "the stand-in did not start:" >&2; cat "$STANDIN_LOG" >&2; exit 1; }
fetch_text() { node -e 'fetch(process.argv[1]).then(r => r.text()).then(t => console.log(t.trim()))' "$1"; }
fetch_text "$BASE_URL/__bench/records" >"$RESULTS/records-bodies.json"
echo "stand-in at $BASE_URL; $PINNING; bodies $(cat "$RESULTS/records-bodies.json")" >&2

expected=0
for rep in $(seq 1 "$REPS"); do
  for scenario in everything search; do
    if [[ "$scenario" == everything ]]; then iter="$EVERYTHING_ITER" per=1; else iter="$SEARCH_ITER" per=10; fi
    # Alternate which client goes first, so that neither always runs in the other's wake.
    clients=(crate node-sdk)
    (( rep % 2 == 0 )) && clients=(node-sdk crate)
    for client in "${clients[@]}"; do
      echo "run $rep/$REPS: $scenario, $client" >&2
      if [[ "$client" == crate ]]; then
        cmd=("$BIN/bench-records")
      else
        cmd=(node "$ROOT/bench/js/node-sdk-records.mjs")
      fi
      run "${CLIENT_PIN[@]}" "${cmd[@]}" --base-url "$BASE_URL" --scenario "$scenario" \
        --iterations "$iter" --warmup "$WARMUP" | sed "s/^{/{\"load\":\"$(cut -d' ' -f1 /proc/loadavg)\",/" \
        | tee -a "$RESULTS/records.jsonl" >&2
      expected=$((expected + (iter + WARMUP) * per))
    done
  done
done
# Where the crate's time and memory go (diagnostics, one run each): one more call per scenario
# with every allocation counted (--heap; the timed calls run before counting starts), with the
# resources as Value (no timed calls: the rows above time those), as their JSON text
# (--shape raw), and for the search one page at a time (--shape pages).
for diag in everything:value everything:raw search:value search:raw search:pages; do
  scenario="${diag%%:*}" shape="${diag##*:}"
  if [[ "$scenario" == everything ]]; then iter="$EVERYTHING_ITER" per=1; else iter="$SEARCH_ITER" per=10; fi
  [[ "$shape" == value ]] && iter=0
  run "${CLIENT_PIN[@]}" "$BIN/bench-records" --base-url "$BASE_URL" --scenario "$scenario" \
    --shape "$shape" --iterations "$iter" --warmup "$WARMUP" --heap | sed 's/^{/{"diagnostic":true,/' \
    | tee -a "$RESULTS/records.jsonl" >&2
  expected=$((expected + (iter + WARMUP + 1) * per))
done

served="$(fetch_text "$BASE_URL/__bench/fhir-count")"
kill "$STANDIN_PID" 2>/dev/null || true
trap - EXIT
if [[ "$served" != "$expected" ]]; then
  echo "the stand-in served $served FHIR requests, expected $expected: some client did not do its calls" >&2
  exit 1
fi

{
  echo "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
  echo "cores=$CORES"
  echo "mem=$(free -h 2>/dev/null | awk '/^Mem:/ { print $2 }')"
  echo "os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "rustc=$(rustc --version)"
  echo "node=$(node --version)"
  echo "node_sdk=$SDK_VERSION"
  for c in serde_json reqwest hyper tokio; do
    echo "crate_$c=$(awk -v n="$c" '$0 == "name = \"" n "\"" { getline; gsub(/"/, "", $3); v = v (v ? " + " : "") $3 } END { print v }' Cargo.lock)"
  done
  echo "commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml bench 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "pinning=$PINNING"
  echo "served=$served"
  echo "params=everything $EVERYTHING_ITER iterations, search $SEARCH_ITER iterations of 10 pages, $WARMUP warm-up each, median of $REPS runs"
} >"$RESULTS/records-meta.txt"

run node "$ROOT/bench/js/records-report.mjs" --results "$RESULTS" --out "$OUT"
