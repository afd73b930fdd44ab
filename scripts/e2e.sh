#!/usr/bin/env bash
# End-to-end tests of the demo in headless Chromium (e2e/, playwright-core driving the
# system's /usr/bin/chromium; no browser is ever downloaded). Builds what they drive:
#   - the demo server (examples/server), run in sandbox mode on free ports;
#   - the frontends (examples/vanilla, yew, leptos, dioxus) into target/demo/<name>;
#   - the npm tarball (scripts/npm-package.sh pack), unless E2E_NPM_TARBALL names one;
# then runs e2e/tests/*.test.js with node:test. Screenshots of each step land in
# test-output/e2e/<suite>/<test>/.
#
#   scripts/e2e.sh                       every e2e test
#   scripts/e2e.sh tests/npm.test.js     only these files (relative to e2e/)
#
# Environment: E2E_NPM_TARBALL=path (use this tarball), CHROMIUM=path (default /usr/bin/chromium).
# Expects scripts/setup.sh to have run (scripts/test.sh and scripts/demo.sh run it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

echo "+ cargo build -p flexpa-link-demo-server"
cargo build -p flexpa-link-demo-server

# Every frontend in one cargo invocation, as the examples-wasm step of scripts/test.sh builds
# them (so that, there, this is a no-op build plus wasm-bindgen).
echo "+ scripts/build-example.sh all $TARGET/demo"
"$ROOT/scripts/build-example.sh" all "$TARGET/demo"

if [ -z "${E2E_NPM_TARBALL:-}" ]; then
  echo "+ scripts/npm-package.sh pack"
  bash "$ROOT/scripts/npm-package.sh" pack
fi

# playwright-core, pinned by e2e/package-lock.json (scripts/setup.sh normally did this).
marker="$ROOT/e2e/node_modules/.package-lock.json"
if [ ! -f "$marker" ] || [ "$ROOT/e2e/package-lock.json" -nt "$marker" ]; then
  echo "+ npm ci --prefix e2e"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$ROOT/e2e" --no-audit --no-fund
fi

rm -rf "$ROOT/test-output/e2e"
cd "$ROOT/e2e"
if [ $# -eq 0 ]; then
  set -- tests/*.test.js
fi
export DEMO_SERVER_BIN="$TARGET/debug/flexpa-link-demo-server"
export E2E_APPS_DIR="$TARGET/demo"
echo "+ node --test $*"
node --test --test-concurrency=1 --test-reporter=spec "$@"
echo "screenshots: $ROOT/test-output/e2e/"
