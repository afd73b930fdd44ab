#!/usr/bin/env bash
# Builds a browser example into a directory of static files that any web server (and
# `examples/server --static DIR`) can serve:
#
#   scripts/build-example.sh [--release] NAME OUTDIR
#
# NAME is vanilla, yew, leptos, dioxus or minimal, or `all` (then each goes to OUTDIR/NAME,
# built by one cargo invocation). OUTDIR gets index.html, style.css, app.js and app_bg.wasm.
# Without --release it is a debug build (fast to compile, bigger); --release uses the
# workspace's release profile (opt-level z, LTO) and runs `wasm-opt -Oz` when one is installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALL=(vanilla minimal yew leptos dioxus)

profile=debug
cargo_profile=()
if [[ "${1:-}" == "--release" ]]; then
  profile=release
  cargo_profile=(--release)
  shift
fi
if [[ $# -ne 2 ]]; then
  echo "usage: $0 [--release] NAME|all OUTDIR   (NAME: ${ALL[*]})" >&2
  exit 2
fi
name="$1"
outdir="$2"
if [[ "$name" == all ]]; then
  names=("${ALL[@]}")
else
  [[ -f "$ROOT/examples/$name/Cargo.toml" && -f "$ROOT/examples/$name/index.html" ]] || {
    echo "unknown example '$name' (expected one of: ${ALL[*]} or all)" >&2
    exit 2
  }
  names=("$name")
fi

# The wasm32 toolchain: scripts/env.sh picks the route (a rustup toolchain with the wasm32
# standard library, or Debian's rustc-web building std from source) and defines wasm_cargo.
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

# wasm-bindgen's CLI must be the exact version of the wasm-bindgen crate in Cargo.lock.
locked="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock")"
cli="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }')" || true
if [[ -z "$cli" ]]; then
  echo "wasm-bindgen is not installed: cargo install wasm-bindgen-cli --version $locked" >&2
  exit 1
fi
if [[ "$cli" != "$locked" ]]; then
  echo "wasm-bindgen CLI $cli does not match the wasm-bindgen crate $locked in Cargo.lock:" >&2
  echo "  cargo install wasm-bindgen-cli --version $locked" >&2
  exit 1
fi

# wasm-opt -Oz in place. binaryen from the top-level package.json (npm ci) first: Debian's
# wasm-opt 108 cannot read what rustc 1.96 emits (reference types' table.fill). Optional: a
# release build without it is only bigger.
optimize() {
  local wasm=$1 opt
  for opt in "$ROOT/node_modules/.bin/wasm-opt" "$(command -v wasm-opt || true)"; do
    [[ -n "$opt" && -x "$opt" ]] || continue
    if "$opt" -Oz "$wasm" -o "$wasm.opt" 2>/dev/null; then
      mv "$wasm.opt" "$wasm"
      return 0
    fi
    rm -f "$wasm.opt"
  done
  echo "build-example.sh: no wasm-opt could read $wasm (npm ci at the top installs binaryen): left unoptimized" >&2
}

packages=()
for n in "${names[@]}"; do packages+=(-p "example-$n"); done
(cd "$ROOT" && wasm_cargo build --target wasm32-unknown-unknown "${cargo_profile[@]}" "${packages[@]}")

target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
for n in "${names[@]}"; do
  dest="$outdir"
  [[ "$name" == all ]] && dest="$outdir/$n"
  mkdir -p "$dest"
  # A bin is example-NAME.wasm; a cdylib (examples/minimal) is example_NAME.wasm.
  wasm="$target_dir/wasm32-unknown-unknown/$profile/example-$n.wasm"
  [[ -f "$ROOT/examples/$n/src/lib.rs" ]] && wasm="$target_dir/wasm32-unknown-unknown/$profile/example_$n.wasm"
  rm -rf "$dest/snippets"
  wasm-bindgen --target web --no-typescript --out-dir "$dest" --out-name app "$wasm"
  if [[ "$profile" == release ]]; then
    optimize "$dest/app_bg.wasm"
  fi
  cp "$ROOT/examples/$n/index.html" "$dest/index.html"
  cp "$ROOT/examples/style.css" "$dest/style.css"
  echo "examples/$n -> $dest ($profile: $(wc -c <"$dest/app_bg.wasm") bytes wasm, $(gzip -9c "$dest/app_bg.wasm" | wc -c) gzipped)"
done
