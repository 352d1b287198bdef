#!/usr/bin/env bash
# Regenerates the experiments' tables in docs/results-file.md from the registry (`nnsweep list
# --all --format markdown`): run it after adding or changing an experiment's parameters or
# columns; tests/e2e/test_docs.py fails while the doc is stale.
#   scripts/update-docs.sh [NNSWEEP_BIN]        (default: build the release preset and use it)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [[ -z $bin ]]; then
  scripts/build.sh release
  bin=build/release/nnsweep
fi
/usr/bin/python3 scripts/docs.py "$bin"
