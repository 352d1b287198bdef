#!/usr/bin/env bash
# The main job, from nothing: install what is missing, build on first use, run an experiment's
# example sweep (jobs/examples/EXPERIMENT.ini) on RANKS MPI ranks, summarise it and draw the
# paper's picture when the Python package has one (python/nnsweep/EXPERIMENT.py).
#   scripts/example.sh [EXPERIMENT] [RANKS]
#     → EXPERIMENT.h5, EXPERIMENT.report.txt, EXPERIMENT.png, EXPERIMENT.html (one self-contained page)
#   (defaults: correlations, 2 ranks; `scripts/example.sh 4` is correlations on 4 ranks)
set -euo pipefail
cd "$(dirname "$0")/.."
experiment=correlations
if [[ $# -gt 0 && ! $1 =~ ^[0-9]+$ ]]; then
  experiment=$1
  shift
fi
ranks=${1:-2}
spec=jobs/examples/$experiment.ini
if [[ ! -f $spec ]]; then
  echo "example.sh: no example for '$experiment' ($spec) — examples: $(cd jobs/examples && ls *.ini | sed 's/\.ini$//' | tr '\n' ' ')" >&2
  exit 2
fi
scripts/build.sh release
source scripts/env.sh
bin=build/release/nnsweep
sed -n '/^[^#]/q;p' "$spec"   # the spec's header: what the example shows (sed: no SIGPIPE)
$bin plan "$spec"
mpirun -n "$ranks" $bin run "$spec" --out "$experiment.h5" --resume
$bin report "$experiment.h5" > "$experiment.report.txt"
sed -n '1,25p' "$experiment.report.txt"
echo "   ... (all cells: $experiment.report.txt)"
if PYTHONPATH=python /usr/bin/python3 -c \
    "import sys, nnsweep.plots as p; sys.exit(0 if p.figure_of(sys.argv[1]) else 1)" "$experiment"; then
  PYTHONPATH=python /usr/bin/python3 -m nnsweep plot "$experiment.h5" -o "$experiment.png"
  echo "results: $experiment.h5 (nnsweep status / report, python: nnsweep.load), picture: $experiment.png"
else
  echo "results: $experiment.h5 (nnsweep status / report, python: nnsweep.load); no figure for $experiment yet"
fi
$bin report "$experiment.h5" --html "$experiment.html"
echo "page: $experiment.html (provenance, status, figure, every cell with its trust flag; opens offline)"
