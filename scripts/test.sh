#!/usr/bin/env bash
# The README's test command and what CI runs (.ci/run): every check of flexpa-link, after
# installing what is missing. `scripts/test.sh --list` names the steps, `scripts/test.sh
# test-wasm` runs one, `--help` says more. The steps are in xtask/src/steps.rs.
exec "$(dirname "${BASH_SOURCE[0]}")/xtask.sh" test "$@"
