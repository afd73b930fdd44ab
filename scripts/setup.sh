#!/usr/bin/env bash
# Install whatever this machine lacks to build, test and demo flexpa-link. Idempotent: takes a
# second or two when everything is there. Run from anywhere.
#
#   scripts/setup.sh              install what is missing
#   scripts/setup.sh --dry-run    only report the route and what would be installed
#
# wasm32 route (the same detection as scripts/env.sh):
#   1. the active rustup toolchain has the wasm32-unknown-unknown std    -> rustup route
#   2. Debian's rustc-web build-std route is already installed            -> debian route
#      (checked before 3 so that a ready machine never waits on the network)
#   3. `timeout 20 rustup target add wasm32-unknown-unknown` succeeds    -> rustup route
#   4. Debian/apt: apt-get install rustc-web rust-web-src lld-22 binaryen rust-web-clippy
#                                                                         -> debian route
# Always: chromium + chromium-driver (Debian) for the browser tests, wasm-bindgen-cli at
# exactly the wasm-bindgen version in Cargo.lock, wasm-pack, rustfmt + clippy.
# Set FLEXPA_WASM_ROUTE=rustup|debian to force a route. --dry-run / --simulate=... only report.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DRY_RUN=0
SIMULATE=","
for arg in "$@"; do
  case "$arg" in
    --dry-run|-n) DRY_RUN=1 ;;
    --simulate=*) DRY_RUN=1; SIMULATE=",${arg#--simulate=}," ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done
# --simulate=LIST (implies --dry-run) pretends, for checking the decisions of this script:
#   fresh     nothing installed: no rustup wasm32 std, no Debian packages, no wasm-bindgen/wasm-pack
#   rustup    the rustup toolchain has the wasm32 std
#   noroot    not root and no sudo
#   nodebian  not a Debian/apt machine
sim() { case "$SIMULATE" in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

START=$SECONDS
DONE=()     # what this run did
PLANNED=()  # what a dry run would do

say() { printf '[setup] %s\n' "$*"; }
did() { DONE+=("$*"); say "$*"; }
die() {
  printf '\n[setup] ERROR: %s\n' "$1" >&2
  shift
  local line
  for line in "$@"; do printf '[setup]   %s\n' "$line" >&2; done
  exit 1
}
# Run a command, or record it in a dry run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    PLANNED+=("$*")
    say "would run: $*"
  else
    say "running: $*"
    "$@"
  fi
}

FORCED_ROUTE=""
if [ "${FLEXPA_WASM_ROUTE_AUTO:-0}" != 1 ]; then FORCED_ROUTE="${FLEXPA_WASM_ROUTE:-}"; fi
case "$FORCED_ROUTE" in
  ""|rustup|debian) ;;
  *) echo "setup.sh: FLEXPA_WASM_ROUTE must be rustup or debian, not '$FORCED_ROUTE'" >&2; exit 2 ;;
esac
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
if sim fresh; then
  flexpa_rustup_has_wasm32() { return 1; }
  flexpa_debian_route_ready() { return 1; }
fi
if sim rustup; then flexpa_rustup_has_wasm32() { return 0; }; fi

# ---------------------------------------------------------------------------------------------
# How we can install system packages.
IS_DEBIAN=0
if [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1 \
  && ! sim nodebian; then
  IS_DEBIAN=1
fi
SUDO=()
CAN_ROOT=0
if sim noroot; then
  :
elif [ "$(id -u)" = 0 ]; then
  CAN_ROOT=1
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
  CAN_ROOT=1
  SUDO=(sudo -n)
fi

# Debian packages from the list that are not installed.
missing_debs() {
  local pkg status
  for pkg in "$@"; do
    if sim fresh; then printf '%s\n' "$pkg"; continue; fi
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || printf '%s\n' "$pkg"
  done
}

APT_UPDATED=0
apt_install() {
  [ $# -gt 0 ] || return 0
  if [ "$IS_DEBIAN" != 1 ]; then
    die "this is not a Debian/apt machine, so the following cannot be installed automatically." \
      "Install the equivalents of these Debian packages yourself: $*"
  fi
  if [ "$CAN_ROOT" != 1 ]; then
    die "missing Debian packages and no root (not root, no password-less sudo)." \
      "Ask an administrator to run:" \
      "  apt-get update && apt-get install -y $*"
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    run "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    APT_UPDATED=1
  fi
  run "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
  [ "$DRY_RUN" = 1 ] || did "apt-get installed: $*"
}

# ---------------------------------------------------------------------------------------------
# 0. Rust itself (rustup: native builds, cargo, rustfmt, clippy).
if ! command -v cargo >/dev/null 2>&1 || ! command -v rustc >/dev/null 2>&1; then
  die "cargo/rustc not found. Install Rust with rustup (https://rustup.rs):" \
    "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy" \
    "then open a new shell (or: source \"\$HOME/.cargo/env\") and re-run scripts/setup.sh"
fi
NEED_COMPONENTS=()
cargo fmt --version >/dev/null 2>&1 || NEED_COMPONENTS+=(rustfmt)
cargo clippy --version >/dev/null 2>&1 || NEED_COMPONENTS+=(clippy)
if [ ${#NEED_COMPONENTS[@]} -gt 0 ]; then
  if command -v rustup >/dev/null 2>&1; then
    if run timeout 120 rustup component add "${NEED_COMPONENTS[@]}"; then
      [ "$DRY_RUN" = 1 ] || did "rustup component add ${NEED_COMPONENTS[*]}"
    else
      die "could not add rustup components: ${NEED_COMPONENTS[*]}" \
        "Install them: rustup component add ${NEED_COMPONENTS[*]}"
    fi
  else
    die "cargo ${NEED_COMPONENTS[*]} missing and no rustup." "Install: rustup component add ${NEED_COMPONENTS[*]}"
  fi
fi

# ---------------------------------------------------------------------------------------------
# 1. The wasm32 route.
DEBIAN_ROUTE_PKGS=(rustc-web rust-web-src lld-22 binaryen rust-web-clippy)
ROUTE=""
ROUTE_WHY=""
# rustup target add, bounded: on machines without network access to static.rust-lang.org it hangs.
try_rustup_target() {
  command -v rustup >/dev/null 2>&1 || return 1
  if [ "$DRY_RUN" = 1 ]; then
    PLANNED+=("timeout 20 rustup target add wasm32-unknown-unknown")
    say "would try: timeout 20 rustup target add wasm32-unknown-unknown (assuming here that it fails)"
    return 1
  fi
  say "trying: timeout 20 rustup target add wasm32-unknown-unknown"
  if timeout 20 rustup target add wasm32-unknown-unknown && flexpa_rustup_has_wasm32; then
    did "rustup target add wasm32-unknown-unknown"
    return 0
  fi
  say "rustup could not add the wasm32 target (no network to the rustup dist server?)"
  return 1
}
if [ "$FORCED_ROUTE" = rustup ]; then
  ROUTE=rustup; ROUTE_WHY="forced by FLEXPA_WASM_ROUTE"
  flexpa_rustup_has_wasm32 || try_rustup_target || [ "$DRY_RUN" = 1 ] \
    || die "FLEXPA_WASM_ROUTE=rustup but the toolchain has no wasm32 std and rustup could not add it." \
      "Install it: rustup target add wasm32-unknown-unknown (or unset FLEXPA_WASM_ROUTE)"
elif [ "$FORCED_ROUTE" = debian ]; then
  ROUTE=debian; ROUTE_WHY="forced by FLEXPA_WASM_ROUTE"
elif flexpa_rustup_has_wasm32; then
  ROUTE=rustup; ROUTE_WHY="rustup toolchain has the wasm32-unknown-unknown std"
elif [ "$IS_DEBIAN" = 1 ] && flexpa_debian_route_ready && [ -z "$(missing_debs "${DEBIAN_ROUTE_PKGS[@]}")" ]; then
  ROUTE=debian; ROUTE_WHY="Debian rustc-web build-std route already installed"
elif try_rustup_target; then
  ROUTE=rustup; ROUTE_WHY="rustup target add wasm32-unknown-unknown succeeded"
elif [ "$IS_DEBIAN" = 1 ]; then
  ROUTE=debian; ROUTE_WHY="no rustup wasm32 std: Debian rustc-web build-std route"
else
  die "no wasm32 target: rustup could not add it and this is not a Debian/apt machine." \
    "Install it yourself: rustup target add wasm32-unknown-unknown" \
    "(or, on Debian 12: apt-get install ${DEBIAN_ROUTE_PKGS[*]})"
fi
say "wasm32 route: $ROUTE ($ROUTE_WHY)"

SYSTEM_PKGS=()
if [ "$ROUTE" = debian ]; then
  SYSTEM_PKGS+=("${DEBIAN_ROUTE_PKGS[@]}")
elif [ "$IS_DEBIAN" = 1 ]; then
  SYSTEM_PKGS+=(binaryen)  # wasm-opt for release builds (wasm-pack --mode no-install won't fetch it)
fi

# ---------------------------------------------------------------------------------------------
# 2. The browser for the wasm tests: Chromium + a matching chromedriver.
if [ "$IS_DEBIAN" = 1 ]; then
  SYSTEM_PKGS+=(chromium chromium-driver)
else
  # Not Debian: accept any Chrome/Chromium with a chromedriver on PATH (or $CHROMEDRIVER).
  if [ -z "${CHROMEDRIVER:-}" ] && ! command -v chromedriver >/dev/null 2>&1; then
    die "no chromedriver found and this is not a Debian/apt machine." \
      "Install Chrome or Chromium and the chromedriver of the same major version, put" \
      "chromedriver on PATH (or set CHROMEDRIVER=/path/to/chromedriver), then re-run."
  fi
fi

if [ "$IS_DEBIAN" = 1 ]; then
  mapfile -t MISSING < <(missing_debs "${SYSTEM_PKGS[@]}")
  if [ ${#MISSING[@]} -gt 0 ]; then
    say "missing Debian packages: ${MISSING[*]}"
    apt_install "${MISSING[@]}"
  fi
fi

# Re-read env.sh so that the route and tool paths reflect what was just installed.
if [ "$DRY_RUN" = 0 ]; then
  FLEXPA_WASM_ROUTE="$ROUTE"
  FLEXPA_WASM_ROUTE_AUTO=0
  # shellcheck source=scripts/env.sh
  source "$ROOT/scripts/env.sh"
  if [ "$ROUTE" = debian ] && ! flexpa_debian_route_ready; then
    die "the Debian route is still incomplete after installing ${DEBIAN_ROUTE_PKGS[*]}." \
      "Expected /usr/bin/rustc (>= 1.85), /usr/bin/rustdoc, /usr/lib/rustlib/src/rust/library, /usr/bin/rust-lld."
  fi
fi

# ---------------------------------------------------------------------------------------------
# 3. wasm-bindgen-cli at exactly the wasm-bindgen version of Cargo.lock, and wasm-pack.
[ -f "$ROOT/Cargo.lock" ] || die "Cargo.lock not found in $ROOT (it is committed; is this a full clone?)"
WB_VERSION="$(awk '
  /^\[\[package\]\]/ { name = "" }
  /^name = "wasm-bindgen"$/ { name = "wasm-bindgen"; next }
  name == "wasm-bindgen" && /^version = / { gsub(/"/, "", $3); print $3; exit }
' "$ROOT/Cargo.lock")"
[ -n "$WB_VERSION" ] || die "could not find the wasm-bindgen version in Cargo.lock"

have_version() {  # have_version BINARY VERSION: `BINARY --version` prints exactly that version
  sim fresh && return 1
  local out
  out="$("$1" --version 2>/dev/null)" || return 1
  [ "${out##* }" = "$2" ]
}
if have_version wasm-bindgen "$WB_VERSION" && have_version wasm-bindgen-test-runner "$WB_VERSION"; then
  say "wasm-bindgen-cli $WB_VERSION: present"
else
  say "wasm-bindgen-cli $WB_VERSION: missing or other version ($(wasm-bindgen --version 2>/dev/null || echo none)); installing (about 4 minutes)"
  # No --locked: one locked dependency version of wasm-bindgen-cli is missing from the registry mirror.
  run cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
  [ "$DRY_RUN" = 1 ] || did "cargo install wasm-bindgen-cli --version $WB_VERSION"
fi
if command -v wasm-pack >/dev/null 2>&1 && ! sim fresh; then
  say "wasm-pack: present ($(wasm-pack --version 2>/dev/null))"
else
  say "wasm-pack: missing; installing (about 2 minutes)"
  run cargo install wasm-pack
  [ "$DRY_RUN" = 1 ] || did "cargo install wasm-pack"
fi

# ---------------------------------------------------------------------------------------------
# 4. Node dependencies (e2e tests, npm package). Node 20 + npm come from the machine (CI has
# them). Helpers owning a Node project add its directory (relative to the repo root, with a
# package-lock.json) to NODE_PROJECTS; `npm ci` runs only when package-lock.json is newer than
# node_modules. Browsers are never downloaded (playwright-core uses /usr/bin/chromium).
NODE_PROJECTS=(
  e2e   # the demo's end-to-end tests (playwright-core)
  .     # the top-level package.json: builds and tests the npm package (binaryen, typescript, playwright-core)
)
for dir in "${NODE_PROJECTS[@]}"; do
  [ -f "$ROOT/$dir/package-lock.json" ] || die "$dir/package-lock.json not found (listed in NODE_PROJECTS)"
  command -v npm >/dev/null 2>&1 || die "npm not found, needed for $dir." \
    "Install Node.js 20 and npm (Debian: apt-get install nodejs npm, or NodeSource node_20.x)."
  marker="$ROOT/$dir/node_modules/.package-lock.json"
  if [ ! -f "$marker" ] || [ "$ROOT/$dir/package-lock.json" -nt "$marker" ]; then
    run env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$ROOT/$dir" --no-audit --no-fund
    [ "$DRY_RUN" = 1 ] || did "npm ci in $dir"
  else
    say "npm deps in $dir: present"
  fi
done

# ---------------------------------------------------------------------------------------------
ELAPSED=$((SECONDS - START))
if [ "$DRY_RUN" = 1 ]; then
  say "dry run: route $ROUTE; ${#PLANNED[@]} action(s) planned"
  for a in "${PLANNED[@]}"; do say "  - $a"; done
elif [ ${#DONE[@]} -eq 0 ]; then
  say "everything present (route: $ROUTE, wasm-bindgen $WB_VERSION); nothing to do (${ELAPSED}s)"
else
  say "done in ${ELAPSED}s (route: $ROUTE):"
  for a in "${DONE[@]}"; do say "  - $a"; done
fi
