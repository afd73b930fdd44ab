#!/usr/bin/env bash
# The npm package: the crate's JavaScript API (src/js.rs, feature `js`) built by wasm-pack.
# Called by the scripts of the top-level package.json (npm run build / pack / test:npm).
#
#   scripts/npm-package.sh build   wasm-pack build --target web into npm/pkg, wasm-opt -Oz,
#                                  the npm README, and checks of the generated .d.ts
#   scripts/npm-package.sh pack    build, then `npm pack` -> npm/flexpa-link-<version>.tgz
#   scripts/npm-package.sh test    pack, install the tarball into a scratch project, type-check
#                                  a TypeScript program against it (tsc) and run the JS API
#                                  in headless Chromium (npm/test/api.test.mjs)
#
# Needs the top-level devDependencies (`npm ci` at the top; `test` runs it when missing):
# binaryen (a wasm-opt that reads what rustc 1.96 emits), typescript, playwright-core.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="$ROOT/npm/pkg"
cd "$ROOT"

need_node_modules() {
  if [[ ! -x "$ROOT/node_modules/.bin/tsc" || ! -x "$ROOT/node_modules/.bin/wasm-opt" || ! -d "$ROOT/node_modules/playwright-core" ]]; then
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

build() {
  # shellcheck source=scripts/env.sh
  source "$ROOT/scripts/env.sh"
  rm -rf "$PKG"
  # --target web: plain ES modules that work in a browser without a bundler (<script
  # type="module">) and in bundlers that understand `new URL(..., import.meta.url)` (Vite,
  # webpack 5, Parcel, Rollup with its URL plugin). `bundler` would need a bundler with wasm
  # ESM integration and cannot run in a page as is. --mode no-install uses the installed
  # wasm-bindgen (the exact version in Cargo.lock). --no-opt: Debian's wasm-opt 108 cannot read
  # rustc 1.96's output (reference types' table.fill), so binaryen from npm runs below.
  wasm_pack build "$ROOT" --target web --mode no-install --release --no-opt \
    --out-dir "$PKG" --out-name flexpa_link --features js
  local wasm_opt="$ROOT/node_modules/.bin/wasm-opt"
  if [[ -x "$wasm_opt" ]]; then
    "$wasm_opt" -Oz "$PKG/flexpa_link_bg.wasm" -o "$PKG/flexpa_link_bg.wasm"
  else
    echo "npm-package.sh: $wasm_opt missing (npm ci at the top): the wasm is not optimized" >&2
  fi
  cp "$ROOT/npm/README.md" "$PKG/README.md"
  rm -f "$PKG/.gitignore"
  check_dts "$PKG/flexpa_link.d.ts"
  echo "npm/pkg: $(du -b "$PKG/flexpa_link_bg.wasm" | cut -f1) bytes wasm ($(gzip -9c "$PKG/flexpa_link_bg.wasm" | wc -c) gzipped), $(du -b "$PKG/flexpa_link.js" | cut -f1) bytes JS"
}

# The declarations a TypeScript user relies on, exactly as they must read.
check_dts() {
  local dts=$1 missing=0 line
  while IFS= read -r line; do
    [[ -z "$line" ]] && continue
    if ! grep -qF -- "$line" "$dts"; then
      echo "npm-package.sh: $dts lacks: $line" >&2
      missing=1
    fi
  done <<'EOF'
export function loadFlexpaLink(options?: LoadOptions | null): Promise<FlexpaLink>;
export function isFlexpaLinkError(value: any): value is FlexpaLinkError;
export interface LoadOptions {
export interface LinkConfig {
  publishableKey: string;
  onSuccess?: (publicToken: string) => void;
  onExit?: (reason: string | undefined) => void;
export type Usage = "ONE_TIME" | "MULTIPLE";
export type FlexpaLinkErrorCode =
export interface FlexpaLinkError extends Error {
  name: "FlexpaLinkError";
  code: FlexpaLinkErrorCode;
    create(config: LinkConfig): LinkSession;
    publicToken(): Promise<string>;
    openWithEndpoint(endpoint_id: string): void;
    destroy(): void;
    readonly isOpen: boolean;
export default function __wbg_init
EOF
  # No `any` in the API (the part before wasm-bindgen's InitInput/InitOutput declarations of
  # the raw wasm exports), except the type guard's parameter.
  local api
  api="$(sed '/^export type InitInput/,$d' "$dts" | grep -vE '^ *(/?\*)' | grep -v 'isFlexpaLinkError(value: any)' || true)"
  if grep -qE '\bany\b' <<<"$api"; then
    echo "npm-package.sh: $dts has an untyped (any) declaration:" >&2
    grep -nE '\bany\b' <<<"$api" >&2
    missing=1
  fi
  [[ $missing -eq 0 ]] || exit 1
}

pack() {
  build
  rm -f "$ROOT"/npm/flexpa-link-*.tgz
  (cd "$ROOT/npm" && npm pack "$PKG" --pack-destination "$ROOT/npm")
  ls "$ROOT"/npm/flexpa-link-*.tgz
}

test_package() {
  need_node_modules
  pack
  local tarball scratch
  tarball="$(ls "$ROOT"/npm/flexpa-link-*.tgz)"
  scratch="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: $scratch is local
  trap "rm -rf '$scratch'" EXIT
  # A fresh project installs the tarball as a user would.
  (cd "$scratch" && npm init -y >/dev/null && npm install --no-audit --no-fund "$tarball")
  test -f "$scratch/node_modules/flexpa-link/flexpa_link_bg.wasm"
  # The .d.ts works for a TypeScript program that uses the API (and rejects misuse).
  cp "$ROOT/npm/test/usage.ts" "$scratch/usage.ts"
  cat >"$scratch/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "es2022", "module": "es2022", "moduleResolution": "bundler",
    "lib": ["es2022", "dom", "esnext.disposable"], "strict": true, "noEmit": true,
    "skipLibCheck": false
  },
  "files": ["usage.ts"]
}
EOF
  (cd "$scratch" && "$ROOT/node_modules/.bin/tsc" -p tsconfig.json)
  # The JavaScript API in headless Chromium, from the installed package.
  FLEXPA_LINK_NPM_DIR="$scratch/node_modules/flexpa-link" \
    node --test --test-concurrency=1 "$ROOT/npm/test/api.test.mjs"
}

case "${1:-}" in
  build) build ;;
  pack) pack ;;
  test) test_package ;;
  *)
    echo "usage: $0 build|pack|test" >&2
    exit 2
    ;;
esac
