#!/usr/bin/env bash
# Every check of flexpa-link: the README's test command, and what CI runs (.ci/run).
# Installs what is missing first (scripts/setup.sh). Run from anywhere.
#
#   scripts/test.sh                      all steps
#   scripts/test.sh fmt clippy-wasm      only these steps (same as ONLY=fmt,clippy-wasm)
#   SKIP=wasm-pack-test scripts/test.sh  all steps but these (comma- or space-separated)
#   KEEP_GOING=1 scripts/test.sh         run every step even after a failure (still exits 1)
#   scripts/test.sh --list               list the step names
#
# Each step prints a timed header; the first failing step stops the run with its name, exit
# code and how to re-run it alone; a timing table ends every run.
#
# Adding a step: write a function that runs the commands (use `x cmd ...` to echo each one;
# it runs under `set -e`, so the first failing command fails the step), then register it with
# `step NAME function` in the list at the bottom, in the place marked for it.
set -euo pipefail
# The rest of the file is one { } block, parsed whole before it runs: editing this file while a
# run is under way cannot break that run (bash otherwise reads a script as it goes).
# shellcheck disable=SC2317 # step functions are called indirectly, through `step`
{

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LIST=0
ARGS_ONLY=()
for arg in "$@"; do
  case "$arg" in
    --list|-l) LIST=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "test.sh: unknown option: $arg (try --help)" >&2; exit 2 ;;
    *) ARGS_ONLY+=("$arg") ;;
  esac
done
ONLY="${ONLY:-} ${ARGS_ONLY[*]:-}"
ONLY="$(printf '%s' "$ONLY" | tr ',' ' ' | xargs)"
SKIP="$(printf '%s' "${SKIP:-}" | tr ',' ' ' | xargs)"

RUN_START=$SECONDS
STEP_NAMES=()
STEP_TIMES=()
STEP_RESULTS=()
KNOWN_STEPS=" "
FAILED_STEPS=""

in_list() {  # in_list NAME "space separated list"
  case " $2 " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}
if [ -t 1 ]; then BOLD=$'\033[1m' RED=$'\033[1;31m' GREEN=$'\033[1;32m' OFF=$'\033[0m'; else BOLD="" RED="" GREEN="" OFF=""; fi
fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
# Echo a command, then run it.
x() {
  printf '+ %s\n' "$*"
  "$@"
}

table() {
  local i
  printf '\n%-22s %-9s %s\n' "step" "result" "time"
  printf '%-22s %-9s %s\n' "----" "------" "----"
  for i in "${!STEP_NAMES[@]}"; do
    printf '%-22s %-9s %s\n' "${STEP_NAMES[$i]}" "${STEP_RESULTS[$i]}" "${STEP_TIMES[$i]}"
  done
  printf '%-22s %-9s %s\n' "total" "" "$(fmt_secs $((SECONDS - RUN_START)))"
}

# step NAME COMMAND [ARGS...]: run one named, timed step (a function or a plain command).
step() {
  local name=$1 t0 rc
  shift
  KNOWN_STEPS+="$name "
  if [ "$LIST" = 1 ]; then printf '%s\n' "$name"; return 0; fi
  if { [ -n "$ONLY" ] && ! in_list "$name" "$ONLY"; } || in_list "$name" "$SKIP"; then
    return 0
  fi
  printf '\n%s==> [%s] %s%s  (%s since start)\n' "$BOLD" "$name" "$*" "$OFF" "$(fmt_secs $((SECONDS - RUN_START)))"
  t0=$SECONDS
  # A subshell with its own `set -e`: outside any `if`, so errexit stays active inside it.
  set +e
  (
    set -euo pipefail
    "$@"
  )
  rc=$?
  set -e
  STEP_NAMES+=("$name")
  STEP_TIMES+=("$(fmt_secs $((SECONDS - t0)))")
  if [ "$rc" -eq 0 ]; then
    STEP_RESULTS+=("ok")
    printf '%s<== [%s] ok in %s%s\n' "$BOLD" "$name" "$(fmt_secs $((SECONDS - t0)))" "$OFF"
  else
    STEP_RESULTS+=("FAILED")
    if [ "${KEEP_GOING:-0}" = 1 ]; then
      printf '%s<== [%s] FAILED (exit %s) in %s; KEEP_GOING=1, continuing%s\n' "$RED" "$name" "$rc" "$(fmt_secs $((SECONDS - t0)))" "$OFF"
      FAILED_STEPS+="$name "
      return 0
    fi
    table
    printf '\n%sFAILED: step "%s" (exit %s) after %s.%s\n' "$RED" "$name" "$rc" "$(fmt_secs $((SECONDS - t0)))" "$OFF" >&2
    printf 'Re-run only this step: ONLY=%s scripts/test.sh\n' "$name" >&2
    exit "$rc"
  fi
}

# ---------------------------------------------------------------------------------------------
# Step bodies.

do_setup() {
  x "$ROOT/scripts/setup.sh"
}

do_fmt() {
  x cargo fmt --all --check
}

do_clippy_native() {
  x cargo clippy -p flexpa-link --all-targets -- -D warnings
  x cargo clippy -p flexpa-link --all-targets --features server -- -D warnings
}

do_clippy_wasm() {
  # Debian route: Debian's cargo-clippy 1.96 (see wasm_clippy in scripts/env.sh).
  x wasm_clippy -p flexpa-link --all-targets -- -D warnings
}

do_docs() {
  export RUSTDOCFLAGS="-D warnings"
  x cargo doc --no-deps -p flexpa-link --all-features
  x wasm_cargo doc --no-deps -p flexpa-link --target wasm32-unknown-unknown
}

do_test_native() {
  x cargo test -p flexpa-link
  x cargo test -p flexpa-link --features server
}

do_test_wasm() {
  # Runs tests/web_*.rs in headless Chromium through wasm-bindgen-test-runner. No `-q`: cargo
  # would pass --quiet on to the runner, which rejects it.
  x wasm_cargo test -p flexpa-link --target wasm32-unknown-unknown
}

do_wasm_pack_test() {
  # How users of wasm crates run browser tests; --mode no-install uses the installed
  # wasm-bindgen(-test-runner) instead of downloading one.
  x wasm_pack test --headless --chrome --mode no-install "$ROOT"
}

do_examples_wasm() {
  # The five browser examples (vanilla, minimal, yew, leptos, dioxus) in one cargo invocation
  # (one shared target dir), each then through wasm-bindgen --target web into a servable dir.
  x "$ROOT/scripts/build-example.sh" all "$ROOT/test-output/examples"
  # examples/minimal is the size benchmark's subject: check in Chromium, offline, that it still
  # loads, creates and opens Link and logs the token (playwright-core from e2e/node_modules).
  x node "$ROOT/bench/minimal-check.mjs" "$ROOT/test-output/examples/minimal"
}

do_npm_pack() {
  # The npm package: wasm-pack --target web (feature js) into npm/pkg, checks of the .d.ts,
  # npm pack, the tarball installed into a scratch project, tsc against it, and the JS API in
  # headless Chromium (npm/test/api.test.mjs).
  x wasm_clippy -p flexpa-link --lib --features js -- -D warnings
  x "$ROOT/scripts/npm-package.sh" test
}

do_publish_dry_run() {
  # crates.io packaging: metadata, readme, the include list, and a build of the packaged crate
  # alone. --allow-dirty: a working tree with local edits can still run the check.
  x cargo publish --dry-run -p flexpa-link --allow-dirty
}

# ---------------------------------------------------------------------------------------------
# The steps, in order. Keep cheap checks first so that failures come early.

step setup do_setup
if [ "$LIST" = 0 ]; then
  # After setup: the route depends on what setup installed.
  # shellcheck source=scripts/env.sh
  source "$ROOT/scripts/env.sh"
  printf 'wasm32 route: %s\n' "$FLEXPA_WASM_ROUTE"
fi

step fmt do_fmt
step clippy-native do_clippy_native
step clippy-wasm do_clippy_wasm
step docs do_docs
step test-native do_test_native
step test-wasm do_test_wasm
step wasm-pack-test do_wasm_pack_test

# --- examples: build/check steps for examples/{vanilla,yew,leptos,dioxus,minimal} go here
#     (examples helper), e.g. `step examples do_examples`.
step examples-wasm do_examples_wasm
# --- e2e: Playwright tests of the demo (examples/server + frontends) go here (demo helper).
do_demo_server() {
  # The demo backend and its offline Flexpa sandbox (examples/server): tests over real HTTP.
  x cargo clippy -p flexpa-link-demo-server --all-targets -- -D warnings
  x cargo test -p flexpa-link-demo-server
}
do_e2e() {
  # The demo in headless Chromium (playwright-core on /usr/bin/chromium). scripts/e2e.sh builds
  # the server, the vanilla frontend and the npm tarball; screenshots go to test-output/e2e/.
  x "$ROOT/scripts/e2e.sh"
}
step demo-server do_demo_server
step e2e do_e2e
# --- npm-pack: building and checking the npm package (npm pack) goes here (examples helper).
step npm-pack do_npm_pack
step publish-dry-run do_publish_dry_run
# --- fault suite: the fault-injection suite goes here (bench helper). Benchmarks are not run here.
do_server_build() {
  # The server client's build promises (tests/server/ runs in test-native):
  # no OpenSSL, native-tls or aws-lc in the `server` tree (rustls + ring only) ...
  local tree bad
  tree="$(cargo tree -p flexpa-link --features server -e normal --prefix none)"
  bad="$(grep -E '^(openssl-sys|openssl|native-tls|aws-lc-sys|aws-lc-rs) ' <<<"$tree" || true)"
  if [ -n "$bad" ]; then
    printf 'error: unwanted TLS crates in the server tree:\n%s\n' "$bad" >&2
    return 1
  fi
  echo "server tree: $(wc -l <<<"$tree") crates, no openssl/native-tls/aws-lc"
  # ... a server-only build (no default features) compiles no browser binding ...
  local server_only
  server_only="$(cargo tree -p flexpa-link --no-default-features --features server -e normal --prefix none)"
  if grep -qE '^(web-sys|js-sys|wasm-bindgen) ' <<<"$server_only"; then
    echo "error: web-sys/js-sys/wasm-bindgen in the server-only tree (default-features = false)" >&2
    return 1
  fi
  x cargo clippy -p flexpa-link --no-default-features --features server --all-targets -- -D warnings
  # ... `server` refused on wasm32 with the secret-key message ...
  local out
  if out="$(wasm_cargo check -p flexpa-link --target wasm32-unknown-unknown --features server 2>&1)"; then
    echo "error: --features server built for wasm32; it must be refused" >&2
    return 1
  fi
  grep -q 'a secret key must stay on the server' <<<"$out" || {
    printf 'error: wasm32 + server failed without the secret-key message:\n%s\n' "$out" >&2
    return 1
  }
  echo "wasm32 + server: refused with the secret-key message"
  # ... and `pkce` lints and runs in headless Chromium on wasm32 (crypto.getRandomValues).
  x wasm_clippy -p flexpa-link --all-targets --features pkce -- -D warnings
  x wasm_cargo test -p flexpa-link --target wasm32-unknown-unknown --features pkce --test pkce_web
}
do_fault_suite() {
  # 64 concurrent clients against the chaos mode of the stand-in API (tests/support/standin.rs)
  # for FLEXPA_CHAOS_SECS (default 3) seconds, fixed seed (FLEXPA_CHAOS_SEED): every call ends
  # Ok or with a typed error within its timeout, no panic, no secret in any error.
  x cargo test -p flexpa-link --features server --test server -- --ignored chaos --nocapture
}
do_fuzz() {
  # cargo-fuzz on the response parser (fuzz/), briefly. It needs a nightly toolchain: without
  # one the step is skipped, loudly.
  if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "SKIPPED fuzz: no nightly toolchain here (rustup toolchain install nightly enables it)"
    return 0
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    x cargo install cargo-fuzz
  fi
  mkdir -p fuzz/corpus/parse_response
  # Native nightly build: drop the wasm32 build-std environment if it is set.
  x env -u RUSTC -u RUSTDOC -u RUSTC_BOOTSTRAP -u CARGO_UNSTABLE_BUILD_STD \
    cargo +nightly fuzz run --dev -s none parse_response \
    fuzz/corpus/parse_response fuzz/seeds/parse_response -- -max_total_time="${FUZZ_SECS:-20}"
}
step server-build do_server_build
step fault-suite do_fault_suite
step fuzz do_fuzz

# ---------------------------------------------------------------------------------------------
[ "$LIST" = 1 ] && exit 0
for name in $ONLY $SKIP; do
  in_list "$name" "$KNOWN_STEPS" || printf 'warning: no step named "%s" (see scripts/test.sh --list)\n' "$name" >&2
done
table
if [ ${#STEP_NAMES[@]} -eq 0 ]; then
  echo "no step ran (ONLY='$ONLY' SKIP='$SKIP')" >&2
  exit 1
fi
if [ -n "$FAILED_STEPS" ]; then
  printf '\n%sFAILED steps: %s%s\n' "$RED" "$FAILED_STEPS" "$OFF" >&2
  exit 1
fi
printf '\n%sAll %d step(s) passed.%s\n' "$GREEN" "${#STEP_NAMES[@]}" "$OFF"
exit 0
}
