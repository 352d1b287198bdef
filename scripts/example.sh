#!/usr/bin/env bash
# The main job, from nothing: install what is missing, build on first use, run the example sweep
# (random ReLU and tanh nets, widths 16…512, depths 1…64) on 2 MPI ranks, then summarise it and
# draw the paper's picture.
#   scripts/example.sh [RANKS]       → correlations.h5, correlations.png
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=${1:-2}
scripts/build.sh release
source scripts/env.sh
bin=build/release/nnsweep
$bin plan jobs/examples/correlations.ini
mpirun -n "$ranks" $bin run jobs/examples/correlations.ini --out correlations.h5 --resume
$bin report correlations.h5 --metrics kappa4,g4_ratio --by activation,width,depth | head -40
PYTHONPATH=python /usr/bin/python3 -m nnsweep plot correlations.h5 -o correlations.png
echo "results: correlations.h5 (nnsweep report / status, or python: nnsweep.load), picture: correlations.png"
