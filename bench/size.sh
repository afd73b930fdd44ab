#!/usr/bin/env bash
# Only the wasm size part of scripts/bench.sh (same builds, same flags), for iterating on size:
# builds examples/minimal and bench/handwritten-minimal (release profile, one cargo invocation
# each), runs wasm-bindgen --target web and wasm-opt -Oz, and prints gzip -9 sizes and the ratio.
# "js" is all the JavaScript the page loads: the glue app.js plus the crate's JS modules that
# wasm-bindgen copies to snippets/ (src/browser/core.js), each gzipped on its own as served.
# Does not write BENCHMARKS.md (scripts/bench.sh does).
#
#   bench/size.sh              # crate vs hand-written (callback style)
#   SIZE_NAMES=1 bench/size.sh # also a names-kept (-g) copy of the crate app for twiggy:
#                              #   target/bench/size-only/names/app_bg.wasm
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=/dev/null
source "$ROOT/scripts/env.sh"
wasm_env() {
  # shellcheck disable=SC2086 # WASM_ENV is a VAR=value word list
  env ${WASM_ENV:-} "$@"
}
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$TARGET/bench/size-only"
REL="$TARGET/wasm32-unknown-unknown/release"
WASM_OPT="$ROOT/bench/js/node_modules/.bin/wasm-opt"
[[ -x "$WASM_OPT" ]] || { echo "missing $WASM_OPT: (cd bench/js && npm ci)" >&2; exit 1; }

for pkg in example-minimal handwritten-minimal; do
  wasm_env cargo build --release --target wasm32-unknown-unknown -p "$pkg"
done
bindgen_opt() {
  local wasm="$1" dir="$2"; shift 2
  rm -rf "$dir"
  wasm-bindgen --target web --no-typescript --out-dir "$dir" --out-name app "$wasm"
  "$WASM_OPT" -Oz "$@" "$dir/app_bg.wasm" -o "$dir/app_bg.wasm"
}
bindgen_opt "$REL/example_minimal.wasm" "$WORK/crate"
bindgen_opt "$REL/handwritten_minimal.wasm" "$WORK/handwritten"
if [[ "${SIZE_NAMES:-0}" == 1 ]]; then
  bindgen_opt "$REL/example_minimal.wasm" "$WORK/names" -g
fi
gz() { gzip -9 -c "$1" | wc -c; }
# app.js and every snippet module: raw bytes and the sum of their gzip -9 sizes.
js_sizes() {
  local dir="$1" raw=0 zipped=0 f
  while IFS= read -r f; do
    raw=$((raw + $(wc -c <"$f")))
    zipped=$((zipped + $(gz "$f")))
  done < <(find "$dir" -name '*.js' | sort)
  echo "$raw $zipped"
}
row() {
  local dir="$1"
  echo "$(wc -c <"$dir/app_bg.wasm") $(gz "$dir/app_bg.wasm") $(js_sizes "$dir")"
}
read -r cw cwg cj cjg <<<"$(row "$WORK/crate")"
read -r hw hwg hj hjg <<<"$(row "$WORK/handwritten")"
printf '%-22s %8s %10s %8s %8s %11s\n' build wasm wasm_gz js js_gz total_gz
printf '%-22s %8d %10d %8d %8d %11d\n' examples/minimal "$cw" "$cwg" "$cj" "$cjg" $((cwg + cjg))
printf '%-22s %8d %10d %8d %8d %11d\n' handwritten-minimal "$hw" "$hwg" "$hj" "$hjg" $((hwg + hjg))
awk -v c=$((cwg + cjg)) -v h=$((hwg + hjg)) 'BEGIN { printf "ratio %.2fx (goal <= 1.25x, budget %d B)\n", c / h, h * 1.25 }'
if [[ -d "$WORK/crate/snippets" ]]; then
  echo "of which the crate's JS modules (snippets/, gzip -9 each):"
  find "$WORK/crate/snippets" -name '*.js' | sort | while IFS= read -r f; do
    printf '  %-60s %6d raw %6d gz\n' "${f#"$WORK/crate/"}" "$(wc -c <"$f")" "$(gz "$f")"
  done
fi
