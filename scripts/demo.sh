#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds a frontend (examples/vanilla, or
# --app yew|leptos|dioxus) and serves the whole Link flow offline; `--help` says more.
# The work is done by `cargo xtask demo` (xtask/src/demo.rs).
exec "$(dirname "${BASH_SOURCE[0]}")/xtask.sh" demo "$@"
