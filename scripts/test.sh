#!/usr/bin/env bash
# Everything the tests need, from nothing: install what is missing, build (warnings are errors),
# run every test — unit, MPI at 1–4 ranks (oversubscribed), end-to-end, Slurm, Python — with the
# ctest preset of the same name (CMakePresets.json: output on failure, 900 s per test).
#   scripts/test.sh [ctest args...]      e.g. scripts/test.sh -L unit
# The Slurm test starts slurmctld and slurmd as root: as another user it is left out (-LE slurm).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=dev
[[ "${CI:-}" == "true" ]] && preset=ci
scripts/build.sh "$preset"
source scripts/env.sh
skip=()
if [[ $(id -u) -ne 0 ]]; then
  echo "test.sh: not root: skipping the Slurm test (label slurm; it runs slurmctld/slurmd as root)" >&2
  skip=(-LE slurm)
fi
ctest --preset "$preset" -j "$(nproc)" "${skip[@]}" "$@"
