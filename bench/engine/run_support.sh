#!/usr/bin/env bash
# Runs bench_support (the support experiment's training steps through its own kernel) and its
# PyTorch peer torch_support.py (the same step batched over replicas, 1 thread) one after the
# other on one core, ROUNDS times interleaved (default 1), and prints per batch size and
# precision the replica-steps per CPU second of both (medians over rounds; PyTorch at its best
# replica count), the percentage of the FMA peak and the ratio nnsweep / PyTorch, with the load
# average before and after (the machine may be shared). Builds bench_support (Release, in
# build/bench unless NNSWEEP_BENCH_BUILD says otherwise) when needed.
#
#   bench/engine/run_support.sh [--quick] [ROUNDS]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${NNSWEEP_BENCH_BUILD:-$root/build/bench}
python=${PYTHON:-/usr/bin/python3}  # Debian's python, the one that has torch
quick=()
if [[ ${1:-} == --quick ]]; then
  quick=(--quick)
  shift
fi
rounds=${1:-1}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--quick] [ROUNDS]" >&2; exit 2; }

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNNSWEEP_BUILD_TESTS=OFF > /dev/null
fi
cmake --build "$build" --target bench_support -j2 > /dev/null

pin=()
if command -v taskset > /dev/null; then pin=(taskset -c 0); fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT

echo "# $(date -u +%FT%TZ) $(uname -n); load average $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before"
for ((i = 1; i <= rounds; ++i)); do
  "${pin[@]}" "$build/bench/engine/bench_support" "${quick[@]}" | tee -a "$results" | grep -v '^RESULT'
  "${pin[@]}" "$python" "$root/bench/engine/torch_support.py" "${quick[@]}" | sed 's/^RESULT /TORCH /' |
    tee -a "$results" | grep -v '^TORCH'
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
print(f"{'case':12} {'type':7} {'nnsweep rs/s':>13} {'% peak':>7} {'PyTorch rs/s':>13} {'% peak':>7} {'ratio':>7}")
for precision in ("double", "float"):
    for b in (1, 8, 64):
        case = f"support_b{b}"
        ours, torch = rows[("RESULT", case, precision)], rows[("TORCH", case, precision)]
        ratios = [a[0] / t[0] for a, t in zip(ours, torch)]
        print(f"{case:12} {precision:7} {statistics.median(r for r, _ in ours):13.4g} "
              f"{statistics.median(p for _, p in ours):6.1f}% {statistics.median(r for r, _ in torch):13.4g} "
              f"{statistics.median(p for _, p in torch):6.1f}% {statistics.median(ratios):6.1f}x   (aim >= 10x)")
for precision in ("double", "float"):
    tasks = rows[("RESULT", "support_task", precision)]
    print(f"support task, defaults, {precision}: {statistics.median(t for t, _ in tasks):.3g} tasks/s per core")
PY
