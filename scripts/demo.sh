#!/usr/bin/env bash
# The README's demo command: installs what is missing (scripts/setup.sh), builds a frontend
# for wasm32 (examples/vanilla unless --app says otherwise) and runs the demo server
# (examples/server) serving it. Run from anywhere.
#
#   scripts/demo.sh                     offline: the sandbox Flexpa (sample plans and data)
#   scripts/demo.sh --app yew           another frontend: vanilla (default), yew, leptos, dioxus
#   scripts/demo.sh --port 3000         other arguments go to the server (see --help)
#   FLEXPA_PUBLISHABLE_KEY=pk_test_... FLEXPA_SECRET_KEY=sk_test_... scripts/demo.sh
#                                       the real Flexpa (js.flexpa.com, api.flexpa.com;
#                                       FLEXPA_LINK_SCRIPT_URL / FLEXPA_API_URL override them)
#
# It prints the URL to open and serves until stopped (Ctrl-C).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

app=vanilla
server_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --app) [ $# -ge 2 ] || { echo "demo.sh: --app needs a name" >&2; exit 2; }; app=$2; shift 2 ;;
    --app=*) app=${1#--app=}; shift ;;
    -h|--help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      echo
      cargo run -q -p flexpa-link-demo-server -- --help
      exit 0
      ;;
    *) server_args+=("$1"); shift ;;
  esac
done
case "$app" in
  vanilla|yew|leptos|dioxus) ;;
  *) echo "demo.sh: unknown --app '$app' (vanilla, yew, leptos or dioxus)" >&2; exit 2 ;;
esac

"$ROOT/scripts/setup.sh"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

"$ROOT/scripts/build-example.sh" "$app" "$TARGET/demo/$app"
cargo build -p flexpa-link-demo-server
exec "$TARGET/debug/flexpa-link-demo-server" --static "$TARGET/demo/$app" ${server_args[@]+"${server_args[@]}"}
