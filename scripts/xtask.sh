#!/usr/bin/env bash
# Runs `cargo xtask "$@"` from the repository root (the tooling lives in xtask/, in Rust). The
# one thing it cannot do in Rust is find cargo itself: on a machine without it, this says how to
# install Rust. scripts/test.sh and scripts/demo.sh, the README's two commands, call this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# rustup installs cargo here; a shell opened before the install does not have it on PATH yet.
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in *":$cargo_bin:"*) ;; *) export PATH="$cargo_bin:$PATH" ;; esac
if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo not found. Install Rust with rustup (https://rustup.rs):" >&2
  echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy" >&2
  echo "then open a new shell (or: source \"\$HOME/.cargo/env\") and re-run $0" >&2
  exit 1
fi
exec cargo xtask "$@"
