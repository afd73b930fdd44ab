#!/usr/bin/env bash
# The benchmark command (not part of the test command): measures, in one run,
#   1. wasm size: examples/minimal (the crate) against bench/handwritten-minimal (the same app
#      with only wasm-bindgen/js-sys/web-sys), release profile (opt-level z, LTO, one codegen
#      unit, panic=abort), wasm-bindgen --target web, wasm-opt -Oz; raw and gzip -9;
#   2. server: the crate's Client::exchange, a bare reqwest POST and @flexpa/node-sdk (Node),
#      each as its own process, 20,000 exchanges at concurrency 1 and 64 against one local
#      stand-in of POST /link/exchange (bench-standin);
#   3. browser: load() to ready against a plain <script> tag (median of 50 page loads in
#      headless /usr/bin/chromium), and 10,000 create/open/close cycles counting iframes,
#      window message listeners, wasm memory pages and the JS heap;
#   4. records: the crate's FHIR client and @flexpa/node-sdk, $everything of a ~20 MB Bundle and
#      a 10-page search (bench/records.sh, which also runs alone);
# prints one table and writes BENCHMARKS.md (machine, versions, commands, table, goals).
#
#   scripts/bench.sh                 # the full run (about 5 minutes on 2 cores once built)
#   BENCH_QUICK=1 scripts/bench.sh   # a smoke run with small counts (numbers not meaningful)
#
# Knobs: BENCH_REQUESTS (20000), BENCH_WARMUP (500), BENCH_REPS (3: each server row is the
# median of this many interleaved runs), BENCH_LOADS (50), BENCH_CYCLES (10000),
# BENCH_CYCLE_WARMUP (100), BENCH_OUT (BENCHMARKS.md at the repo root).
# Needs: cargo, the wasm32 toolchain (scripts/setup.sh), wasm-bindgen (= Cargo.lock), Node 20 +
# npm, /usr/bin/chromium, gzip. wasm-opt comes from npm (binaryen, bench/js/package.json):
# Debian's binaryen 108 cannot parse the table.fill that wasm-bindgen 0.2.130 emits.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ "${BENCH_QUICK:-0}" == 1 ]]; then
  : "${BENCH_REQUESTS:=2000}" "${BENCH_WARMUP:=100}" "${BENCH_LOADS:=5}" "${BENCH_CYCLES:=500}" "${BENCH_REPS:=1}"
fi
REQUESTS="${BENCH_REQUESTS:-20000}"
WARMUP="${BENCH_WARMUP:-500}"
LOADS="${BENCH_LOADS:-50}"
CYCLES="${BENCH_CYCLES:-10000}"
CYCLE_WARMUP="${BENCH_CYCLE_WARMUP:-100}"
REPS="${BENCH_REPS:-3}"
OUT="${BENCH_OUT:-$ROOT/BENCHMARKS.md}"

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$TARGET/bench"
rm -rf "$WORK/results"
mkdir -p "$WORK/results"
RESULTS="$WORK/results"
COMMANDS="$RESULTS/commands.txt"
: >"$COMMANDS"

log() { printf '\n== %s\n' "$*" >&2; }
# Runs a command and records it (relative to the repo root) for BENCHMARKS.md.
run() {
  printf '%s\n' "$*" | sed "s|$ROOT/||g" >>"$COMMANDS"
  "$@"
}

# Whether anything else is compiling right now (the machine may be shared).
others_busy() {
  local n
  n="$(ps -eo comm= | grep -cE '^(rustc|cc1|cc1plus|ld|rust-lld|wasm-opt)$' || true)"
  echo "$n"
}
BUSY_SAMPLES=()
sample_busy() { BUSY_SAMPLES+=("$1:$(others_busy):$(cut -d' ' -f1 /proc/loadavg)"); }

# ---------------------------------------------------------------------------------------------
log "toolchain"
if [[ -f "$ROOT/scripts/env.sh" ]]; then
  # shellcheck source=/dev/null
  source "$ROOT/scripts/env.sh"
fi
if [[ -z "${WASM_ENV:-}" && ! -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]]; then
  WASM_ENV="RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort"
fi
wasm_env() {
  # shellcheck disable=SC2086 # WASM_ENV is a VAR=value word list
  env ${WASM_ENV:-} "$@"
}

# The version of a crate in Cargo.lock (every version, joined by " + ", when there are several).
locked_version() {
  awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/"/, "", $3); v = v (v ? " + " : "") $3 } END { print v }' "$ROOT/Cargo.lock"
}
WB_LOCKED="$(locked_version wasm-bindgen | awk '{ print $1 }')"
WB_CLI="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }')" || true
if [[ "$WB_CLI" != "$WB_LOCKED" ]]; then
  echo "wasm-bindgen CLI '${WB_CLI:-none}' != wasm-bindgen $WB_LOCKED in Cargo.lock:" >&2
  echo "  cargo install wasm-bindgen-cli --version $WB_LOCKED" >&2
  exit 1
fi
for tool in node npm gzip /usr/bin/chromium; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

if [[ ! -d "$ROOT/bench/js/node_modules/@flexpa/node-sdk" || ! -d "$ROOT/bench/js/node_modules/binaryen" \
      || ! -d "$ROOT/bench/js/node_modules/playwright-core" ]]; then
  # playwright-core only drives /usr/bin/chromium: no browser is downloaded.
  (cd "$ROOT/bench/js" && run env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
WASM_OPT="$ROOT/bench/js/node_modules/.bin/wasm-opt"

# ---------------------------------------------------------------------------------------------
log "build: wasm32 release (examples/minimal, bench/handwritten-minimal, bench/browser-harness)"
sample_busy build-wasm
# One cargo invocation per app, so that each is built with exactly its own dependency features
# (one invocation would unify the features of wasm-bindgen/js-sys/web-sys across the three).
for pkg in example-minimal handwritten-minimal flexpa-link-bench-browser; do
  run wasm_env cargo build --release --target wasm32-unknown-unknown -p "$pkg"
done

log "build: native server benchmark (profile bench-native)"
sample_busy build-native
run cargo build --profile bench-native -p flexpa-link-bench-loadgen
BIN="$TARGET/bench-native"

# wasm-bindgen --target web, then wasm-opt -Oz: DIR/NAME.js and DIR/NAME_bg.wasm.
bindgen_opt() {
  local wasm="$1" dir="$2" name="$3"
  rm -rf "$dir"
  run wasm-bindgen --target web --no-typescript --out-dir "$dir" --out-name "$name" "$wasm"
  run "$WASM_OPT" -Oz "$dir/${name}_bg.wasm" -o "$dir/${name}_bg.wasm"
}

# ---------------------------------------------------------------------------------------------
log "1. wasm size"
REL="$TARGET/wasm32-unknown-unknown/release"
bindgen_opt "$REL/example_minimal.wasm" "$WORK/size/crate" app
bindgen_opt "$REL/handwritten_minimal.wasm" "$WORK/size/handwritten" app
cp "$REL/handwritten_minimal.wasm" "$WORK/size/handwritten-plain.wasm"
# The informational second baseline: the hand-written app in async style (same output file).
run wasm_env cargo build --release --target wasm32-unknown-unknown -p handwritten-minimal --features async
bindgen_opt "$REL/handwritten_minimal.wasm" "$WORK/size/handwritten-async" app
bindgen_opt "$REL/flexpa_link_bench_browser.wasm" "$WORK/harness" flexpa_link_bench_browser
# "js" is all the JavaScript the page loads: the glue app.js plus the crate's JS modules that
# wasm-bindgen copies to snippets/ (src/browser/core.js), each gzipped on its own as served.
size_json() {
  local dir="$1" raw=0 zipped=0 f
  while IFS= read -r f; do
    raw=$((raw + $(wc -c <"$f")))
    zipped=$((zipped + $(gzip -9 -c "$f" | wc -c)))
  done < <(find "$dir" -name '*.js' | sort)
  printf '{"wasm":%d,"wasm_gz":%d,"js":%d,"js_gz":%d}' \
    "$(wc -c <"$dir/app_bg.wasm")" "$(gzip -9 -c "$dir/app_bg.wasm" | wc -c)" "$raw" "$zipped"
}
printf '{"crate":%s,"handwritten":%s,"handwritten_async":%s}\n' "$(size_json "$WORK/size/crate")" \
  "$(size_json "$WORK/size/handwritten")" "$(size_json "$WORK/size/handwritten-async")" >"$RESULTS/size.json"
echo "gzip -9 -c FILE | wc -c   # for each .wasm and .js above" >>"$COMMANDS"
if command -v twiggy >/dev/null; then
  # Where the crate's bytes go (names kept with -g; same code as the measured file).
  wasm-bindgen --target web --no-typescript --out-dir "$WORK/size/names" --out-name app "$REL/example_minimal.wasm"
  "$WASM_OPT" -Oz -g "$WORK/size/names/app_bg.wasm" -o "$WORK/size/names/app_bg.wasm"
  twiggy top -f csv "$WORK/size/names/app_bg.wasm" >"$RESULTS/twiggy-crate.csv" || true
  wasm-bindgen --target web --no-typescript --out-dir "$WORK/size/names-hw" --out-name app "$WORK/size/handwritten-plain.wasm"
  "$WASM_OPT" -Oz -g "$WORK/size/names-hw/app_bg.wasm" -o "$WORK/size/names-hw/app_bg.wasm"
  twiggy top -f csv "$WORK/size/names-hw/app_bg.wasm" >"$RESULTS/twiggy-handwritten.csv" || true
fi
cat "$RESULTS/size.json"

# ---------------------------------------------------------------------------------------------
log "2. server: $REQUESTS exchanges at concurrency 1 and 64, $REPS interleaved runs each"
# Pin the stand-in to the last core and every client to the others, when there are two or more.
CORES="$(nproc)"
if command -v taskset >/dev/null && [[ "$CORES" -ge 2 ]]; then
  SERVER_PIN=(taskset -c "$((CORES - 1))")
  CLIENT_PIN=(taskset -c "0-$((CORES - 2))")
  PINNING="stand-in pinned to CPU $((CORES - 1)), each client process to CPU 0-$((CORES - 2)) (taskset)"
else
  SERVER_PIN=()
  CLIENT_PIN=()
  PINNING="no pinning (taskset missing or 1 core): stand-in and clients share the cores"
fi
STANDIN_LOG="$RESULTS/standin.log"
printf '%s\n' "${SERVER_PIN[*]} target/bench-native/bench-standin --addr 127.0.0.1:0 --threads 1 --exit-after 1800 &" >>"$COMMANDS"
"${SERVER_PIN[@]}" "$BIN/bench-standin" --addr 127.0.0.1:0 --threads 1 --exit-after 1800 >"$STANDIN_LOG" 2>&1 &
STANDIN_PID=$!
trap 'kill "$STANDIN_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$STANDIN_LOG" && break
  sleep 0.1
done
BASE_URL="$(sed -n 's/^listening on //p' "$STANDIN_LOG" | head -1)"
[[ -n "$BASE_URL" ]] || { echo "the stand-in did not start:" >&2; cat "$STANDIN_LOG" >&2; exit 1; }
echo "stand-in at $BASE_URL; $PINNING"

: >"$RESULTS/server.jsonl"
expected=0
for rep in $(seq 1 "$REPS"); do
for concurrency in 1 64; do
  # reqwest-typed (bare reqwest + serde into the crate's ExchangeResponse) is a diagnostic: it
  # splits the crate's overhead into parsing and everything else.
  for client in crate reqwest reqwest-typed node-sdk; do
    sample_busy "server-$client-$concurrency"
    if [[ "$client" == node-sdk ]]; then
      run "${CLIENT_PIN[@]}" node "$ROOT/bench/js/node-sdk.mjs" --base-url "$BASE_URL" \
        --requests "$REQUESTS" --concurrency "$concurrency" --warmup "$WARMUP" | tee -a "$RESULTS/server.jsonl"
    else
      run "${CLIENT_PIN[@]}" "$BIN/bench-loadgen" --client "$client" --base-url "$BASE_URL" \
        --requests "$REQUESTS" --concurrency "$concurrency" --warmup "$WARMUP" | tee -a "$RESULTS/server.jsonl"
    fi
    expected=$((expected + REQUESTS + WARMUP))
  done
done
done
# Instructions per exchange, counted by callgrind (deterministic, unlike req/s on a shared
# machine): the marginal cost between a run of 1,000 and one of 3,000 exchanges, so that
# start-up (building the client, loading root certificates) cancels out.
: >"$RESULTS/instructions.jsonl"
if command -v valgrind >/dev/null; then
  for client in crate reqwest reqwest-typed; do
    irs=()
    for n in 1000 3000; do
      run valgrind --tool=callgrind --callgrind-out-file="$RESULTS/callgrind.$client.$n.out" \
        "$BIN/bench-loadgen" --client "$client" --base-url "$BASE_URL" --requests "$n" \
        --concurrency 64 --warmup 100 >/dev/null 2>"$RESULTS/callgrind.$client.$n.log"
      irs+=("$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$RESULTS/callgrind.$client.$n.log")")
      expected=$((expected + n + 100))
    done
    printf '{"client":"%s","ir_1000":%s,"ir_3000":%s,"ir_per_request":%s}\n' "$client" "${irs[0]}" "${irs[1]}" \
      "$(((irs[1] - irs[0]) / 2000))" | tee -a "$RESULTS/instructions.jsonl"
  done
else
  echo "valgrind not installed: no instruction counts (apt-get install valgrind)"
fi

served="$(node -e 'fetch(process.argv[1] + "/__bench/count").then(r => r.text()).then(t => console.log(t.trim()))' "$BASE_URL")"
kill "$STANDIN_PID" 2>/dev/null || true
trap - EXIT
echo "stand-in served $served successful exchanges (expected $expected)"
if [[ "$served" != "$expected" ]]; then
  echo "the stand-in's count does not match: some client did not do its exchanges" >&2
  exit 1
fi
printf '{"pinning":"%s","served":%s,"expected":%s,"base_url":"%s"}\n' \
  "$PINNING" "$served" "$expected" "$BASE_URL" >"$RESULTS/server-meta.json"

# ---------------------------------------------------------------------------------------------
log "3. browser: $LOADS page loads, $CYCLES create/open/close cycles (headless /usr/bin/chromium)"
sample_busy browser
run node "$ROOT/bench/js/browser.mjs" --harness "$WORK/harness" --script "$ROOT/sandbox/flexpa-link.js" \
  --loads "$LOADS" --cycles "$CYCLES" --warmup "$CYCLE_WARMUP" | tee "$RESULTS/browser.json"
sample_busy done

# ---------------------------------------------------------------------------------------------
# 4. records (issue 9, item 6): one self-contained command; see bench/records.sh. It writes
# records.md into the results, which report.mjs puts into BENCHMARKS.md.
log "4. records: \$everything of ~20 MB and a 10-page search, crate vs @flexpa/node-sdk"
sample_busy records
BENCH_RESULTS="$RESULTS" BENCH_OUT=/dev/null "$ROOT/bench/records.sh" >/dev/null
echo "bench/records.sh   # section 4 (its own commands are listed in its section)" >>"$COMMANDS"
# ---------------------------------------------------------------------------------------------
log "machine and versions"
{
  echo "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
  echo "cores=$CORES"
  echo "mem=$(free -h 2>/dev/null | awk '/^Mem:/ { print $2 }')"
  echo "os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "rustc_native=$(rustc --version)"
  echo "rustc_wasm=$(wasm_env rustc --version) (route: ${FLEXPA_WASM_ROUTE:-unknown})"
  echo "cargo=$(cargo --version)"
  echo "node=$(node --version)"
  echo "npm=$(npm --version 2>/dev/null)"
  echo "chromium=$(/usr/bin/chromium --version 2>/dev/null)"
  echo "wasm_bindgen_cli=$WB_CLI"
  echo "wasm_opt=$("$WASM_OPT" --version)"
  echo "twiggy=$(twiggy --version 2>/dev/null || echo 'not installed (cargo install twiggy)')"
  for c in flexpa-link wasm-bindgen js-sys web-sys wasm-bindgen-futures gloo-events reqwest hyper tokio rustls serde_json; do
    echo "crate_$c=$(locked_version "$c")"
  done
  for p in @flexpa/node-sdk playwright-core binaryen; do
    echo "npm_$p=$(node -p "require('$ROOT/bench/js/node_modules/$p/package.json').version")"
  done
  echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- src Cargo.toml 2>/dev/null || echo ' (with uncommitted changes to src/ or Cargo.toml)')"
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "busy=${BUSY_SAMPLES[*]}"
  echo "params=requests $REQUESTS (+$WARMUP warm-up) x $REPS runs per server row, loads $LOADS, cycles $CYCLES (+$CYCLE_WARMUP warm-up)"
} >"$RESULTS/meta.txt"

run node "$ROOT/bench/js/report.mjs" --results "$RESULTS" --out "$OUT"
