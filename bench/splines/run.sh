#!/usr/bin/env bash
# Runs bench_splines (splines::train: full-batch GD with weight decay at K = 256, N = 16, and the
# default Adam run) and its PyTorch peer (torch_splines.py: the same steps batched over replicas,
# one thread) in ROUNDS (3) interleaved rounds on core 0, and prints per case and precision the
# replica-steps per CPU second of both (medians), the % of the FMA peak and the median of the
# per-round ratios nnsweep / PyTorch, with the load average (the machine may be shared). Builds
# bench_splines (Release, in build/bench unless NNSWEEP_BENCH_BUILD says otherwise) when needed.
#
#   bench/splines/run.sh [ROUNDS] [--quick]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${NNSWEEP_BENCH_BUILD:-$root/build/bench}
python=${PYTHON:-/usr/bin/python3}  # Debian's python, the one that has torch
rounds=3
quick=()
for arg in "$@"; do
  case $arg in
    --quick) quick=(--quick) ;;
    [0-9]*) rounds=$arg ;;
    *) echo "usage: $0 [ROUNDS] [--quick]" >&2; exit 2 ;;
  esac
done

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNNSWEEP_BUILD_TESTS=OFF > /dev/null
fi
cmake --build "$build" --target bench_splines -j2 > /dev/null

pin=()
if command -v taskset > /dev/null; then pin=(taskset -c 0); fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((i = 1; i <= rounds; ++i)); do
  echo "# round $i, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  "${pin[@]}" "$build/bench/splines/bench_splines" "${quick[@]}" | tee -a "$results" | grep -v '^RESULT'
  "${pin[@]}" "$python" "$root/bench/splines/torch_splines.py" "${quick[@]}" | sed 's/^RESULT /TORCH /' |
    tee -a "$results" | grep 'best'
done
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) after"
"$python" - "$results" <<'PY'
import statistics
import sys

rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0] in ("RESULT", "TORCH"):
        rows.setdefault((f[0], f[1], f[2]), []).append((float(f[3]), float(f[5])))
print(f"{'case':5} {'type':7} {'nnsweep rs/s':>13} {'% peak':>7} {'PyTorch rs/s':>13} {'% peak':>7}  ratio per round -> median")
for case in ("gd", "adam"):
    for precision in ("double", "float"):
        ours, torch = rows[("RESULT", case, precision)], rows[("TORCH", case, precision)]
        ratios = [a[0] / b[0] for a, b in zip(ours, torch)]
        med = lambda v, i: statistics.median(x[i] for x in v)
        print(f"{case:5} {precision:7} {med(ours, 0):13.4g} {med(ours, 1):6.1f}% {med(torch, 0):13.4g} "
              f"{med(torch, 1):6.2f}%  {', '.join(f'{r:.1f}x' for r in ratios)} -> {statistics.median(ratios):.1f}x")
for precision in ("double", "float"):
    tasks = statistics.median(x[0] for x in rows[("RESULT", "adam_run", precision)])
    print(f"splines defaults end to end ({precision}): {tasks:.3g} tasks per CPU second")
PY
