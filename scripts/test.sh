#!/usr/bin/env bash
# Everything the tests need, from nothing: install what is missing, build (warnings are errors),
# run every test — unit, MPI at 1–4 ranks (oversubscribed), end-to-end, Slurm, Python.
#   scripts/test.sh [ctest args...]      e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
preset=dev
[[ "${CI:-}" == "true" ]] && preset=ci
scripts/build.sh "$preset"
source scripts/env.sh
cd "build/$preset"
ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@"
