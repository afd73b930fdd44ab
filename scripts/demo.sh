#!/usr/bin/env bash
# The README's demo command: installs what is missing (scripts/setup.sh), then builds and runs
# the demo server (examples/server) against the offline Flexpa sandbox. Run from anywhere;
# arguments go to the server (try: scripts/demo.sh --help, scripts/demo.sh --port 3000).
#
# Frontend build steps (examples built with wasm-pack and passed as --static DIR) are added
# here by the examples/demo helpers.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

if ! cargo metadata --no-deps --format-version 1 2>/dev/null | grep -q '"name":"flexpa-link-demo-server"'; then
  echo "demo.sh: the package flexpa-link-demo-server (examples/server) is not in the Cargo workspace yet." >&2
  exit 1
fi

exec cargo run -p flexpa-link-demo-server -- "$@"
