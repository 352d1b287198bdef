#!/usr/bin/env bash
# Runs bench_symmetry (full-batch GD steps of the symmetry experiment on the training driver,
# N = 10^4, m = 20, d = 10, activation g) and its PyTorch peer torch_symmetry.py (the same step
# batched over replicas, one thread) in ROUNDS interleaved rounds on one core, and prints per
# precision the medians of replica-steps per CPU second and the median of the per-round ratios
# nnsweep / PyTorch, with the load average (the machine may be shared). Builds bench_symmetry
# (Release, in build/bench unless NNSWEEP_BENCH_BUILD says otherwise) when needed.
#
#   bench/symmetry/run.sh [ROUNDS]     (default 3)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${NNSWEEP_BENCH_BUILD:-$root/build/bench}
python=${PYTHON:-/usr/bin/python3}  # Debian's python, the one that has torch
rounds=${1:-3}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ROUNDS]" >&2; exit 2; }

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNNSWEEP_BUILD_TESTS=OFF > /dev/null
fi
cmake --build "$build" --target bench_symmetry -j2 > /dev/null

pin=()
if command -v taskset > /dev/null; then pin=(taskset -c 0); fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((i = 1; i <= rounds; ++i)); do
  echo "# round $i, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  "${pin[@]}" "$build/bench/symmetry/bench_symmetry" | tee >(grep RESULT | sed "s/^RESULT/OURS $i/" >> "$results") | grep -v RESULT
  "${pin[@]}" "$python" "$root/bench/symmetry/torch_symmetry.py" | tee >(grep RESULT | sed "s/^RESULT/TORCH $i/" >> "$results") | grep -v RESULT
done
sleep 0.2  # the tee subshells
"$python" - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for precision in ("double", "float"):
    ours = {r[1]: float(r[4]) for r in rows if r[0] == "OURS" and r[3] == precision}
    torch = {r[1]: float(r[4]) for r in rows if r[0] == "TORCH" and r[3] == precision}
    pct = [float(r[6]) for r in rows if r[0] == "OURS" and r[3] == precision]
    ratios = [ours[k] / torch[k] for k in ours if k in torch]
    print(f"symmetry GD step, {precision}: nnsweep {statistics.median(ours.values()):.4g} "
          f"replica-steps/s ({statistics.median(pct):.1f}% of FMA peak, dense FLOPs), PyTorch "
          f"{statistics.median(torch.values()):.4g}; ratio {statistics.median(ratios):.2f}x "
          f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
PY
