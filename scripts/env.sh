# shellcheck shell=bash
# Environment for building and testing flexpa-link. SOURCE it, do not run it:
#
#     source scripts/env.sh
#     wasm_cargo test --target wasm32-unknown-unknown     # wasm32 cargo, right env for the route
#     wasm_clippy -p flexpa-link -- -D warnings            # clippy for wasm32 (adds --target itself)
#     wasm_pack test --headless --chrome --mode no-install # wasm-pack with the right env
#
# It picks the wasm32 route (see scripts/setup.sh, which installs what the route needs):
#   rustup  - the active rustup toolchain has the wasm32-unknown-unknown std: plain cargo.
#   debian  - no wasm32 std in rustup, Debian's rustc-web is installed: cargo builds std from
#             source (build-std) with /usr/bin/rustc 1.96; clippy via Debian's cargo-clippy.
#   none    - neither; the wasm helpers fail with a message to run scripts/setup.sh.
# Override with FLEXPA_WASM_ROUTE=rustup|debian before sourcing.
#
# Exports: FLEXPA_ROOT, FLEXPA_WASM_ROUTE, WASM_ENV (space-separated VAR=value list for `env`,
# empty on the rustup route), CHROMEDRIVER, CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER,
# WASM_BINDGEN_TEST_WEBDRIVER_JSON (Chrome args: headless as root, no network), test timeouts.
# Functions (also exported to child bash scripts): wasm_cargo, wasm_clippy, wasm_pack.
# Never applies the wasm env to native builds: build-std needs an explicit --target.

FLEXPA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FLEXPA_ROOT

# cargo install puts wasm-bindgen, wasm-bindgen-test-runner and wasm-pack here.
_flexpa_cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in
  *":$_flexpa_cargo_bin:"*) ;;
  *) PATH="$_flexpa_cargo_bin:$PATH"; export PATH ;;
esac
unset _flexpa_cargo_bin

# Debian rustc-web route: the paths the packages rustc-web, rust-web-src, lld-22 and
# rust-web-clippy install.
FLEXPA_DEBIAN_RUSTC=/usr/bin/rustc
FLEXPA_DEBIAN_RUSTDOC=/usr/bin/rustdoc
FLEXPA_DEBIAN_RUST_SRC=/usr/lib/rustlib/src/rust/library
FLEXPA_DEBIAN_CARGO_CLIPPY=/usr/bin/cargo-clippy

# True when the active rustup/rustc toolchain ships the wasm32 standard library.
flexpa_rustup_has_wasm32() {
  local sysroot
  sysroot="$(rustc --print sysroot 2>/dev/null)" || return 1
  [ -n "$sysroot" ] && [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]
}

# True when the Debian build-std route is fully installed: rustc-web (a /usr/bin/rustc new
# enough for the crate; bookworm's plain `rustc` package is 1.63), rust-web-src, rust-lld.
flexpa_debian_route_ready() {
  [ -x "$FLEXPA_DEBIAN_RUSTC" ] && [ -x "$FLEXPA_DEBIAN_RUSTDOC" ] \
    && [ -d "$FLEXPA_DEBIAN_RUST_SRC" ] && [ -x /usr/bin/rust-lld ] || return 1
  local minor
  minor="$("$FLEXPA_DEBIAN_RUSTC" --version 2>/dev/null | sed -n 's/^rustc 1\.\([0-9][0-9]*\)\..*/\1/p')"
  [ -n "$minor" ] && [ "$minor" -ge 85 ]
}

flexpa_detect_route() {
  if flexpa_rustup_has_wasm32; then
    echo rustup
  elif flexpa_debian_route_ready; then
    echo debian
  else
    echo none
  fi
}

# A route set by the caller wins; one detected by an earlier `source` is detected again.
if [ -z "${FLEXPA_WASM_ROUTE:-}" ] || [ "${FLEXPA_WASM_ROUTE_AUTO:-0}" = 1 ]; then
  FLEXPA_WASM_ROUTE="$(flexpa_detect_route)"
  export FLEXPA_WASM_ROUTE_AUTO=1
fi
export FLEXPA_WASM_ROUTE

case "$FLEXPA_WASM_ROUTE" in
  debian)
    WASM_ENV="RUSTC=$FLEXPA_DEBIAN_RUSTC RUSTDOC=$FLEXPA_DEBIAN_RUSTDOC RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort"
    ;;
  *)
    WASM_ENV=""
    ;;
esac
export WASM_ENV

# Browser tests (cargo test --target wasm32-unknown-unknown and wasm-pack test).
if [ -z "${CHROMEDRIVER:-}" ]; then
  if [ -x /usr/bin/chromedriver ]; then
    CHROMEDRIVER=/usr/bin/chromedriver
  else
    CHROMEDRIVER="$(command -v chromedriver 2>/dev/null || true)"
  fi
fi
if [ -n "$CHROMEDRIVER" ]; then export CHROMEDRIVER; else unset CHROMEDRIVER; fi
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER:-wasm-bindgen-test-runner}"
# wasm-bindgen-test-runner (0.2.130) always adds headless, no-sandbox and disable-dev-shm-usage
# to goog:chromeOptions; it merges the capabilities in $WASM_BINDGEN_TEST_WEBDRIVER_JSON
# (default ./webdriver.json, relative to the crate being tested). Point it at the repo's file
# so every workspace member and wasm-pack get the same offline Chrome flags.
if [ -z "${WASM_BINDGEN_TEST_WEBDRIVER_JSON:-}" ] && [ -f "$FLEXPA_ROOT/webdriver.json" ]; then
  export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$FLEXPA_ROOT/webdriver.json"
fi
# Defaults are 20 s for a whole test binary and 5 s for chromedriver start-up: too tight on a
# busy 2-core machine. These are limits, not expectations.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
export WASM_BINDGEN_TEST_DRIVER_TIMEOUT="${WASM_BINDGEN_TEST_DRIVER_TIMEOUT:-60}"

_flexpa_need_route() {
  if [ "$FLEXPA_WASM_ROUTE" = none ]; then
    echo "error: no wasm32 toolchain (no rustup wasm32 target, no Debian rustc-web). Run scripts/setup.sh." >&2
    return 1
  fi
}

# cargo for wasm32 with the route's environment. Always pass --target wasm32-unknown-unknown.
wasm_cargo() {
  _flexpa_need_route || return 1
  # shellcheck disable=SC2086 # WASM_ENV is a deliberate VAR=value word list
  env $WASM_ENV cargo "$@"
}

# clippy for wasm32. Arguments are those of `cargo clippy` (e.g. -p x --all-targets -- -D warnings);
# --target wasm32-unknown-unknown is added. On the Debian route rustup's clippy (1.95) cannot read
# a std built by rustc 1.96, so Debian's cargo-clippy/clippy-driver 1.96 (rust-web-clippy) is used.
wasm_clippy() {
  _flexpa_need_route || return 1
  if [ "$FLEXPA_WASM_ROUTE" = debian ]; then
    if [ ! -x "$FLEXPA_DEBIAN_CARGO_CLIPPY" ]; then
      echo "error: $FLEXPA_DEBIAN_CARGO_CLIPPY missing: apt-get install rust-web-clippy (or run scripts/setup.sh)" >&2
      return 1
    fi
    # shellcheck disable=SC2086
    env $WASM_ENV "$FLEXPA_DEBIAN_CARGO_CLIPPY" clippy --target wasm32-unknown-unknown "$@"
  else
    cargo clippy --target wasm32-unknown-unknown "$@"
  fi
}

# wasm-pack with the route's environment (add --mode no-install yourself where wanted).
wasm_pack() {
  _flexpa_need_route || return 1
  # shellcheck disable=SC2086
  env $WASM_ENV wasm-pack "$@"
}

export FLEXPA_DEBIAN_RUSTC FLEXPA_DEBIAN_RUSTDOC FLEXPA_DEBIAN_RUST_SRC FLEXPA_DEBIAN_CARGO_CLIPPY
export -f wasm_cargo wasm_clippy wasm_pack _flexpa_need_route \
  flexpa_rustup_has_wasm32 flexpa_debian_route_ready flexpa_detect_route
