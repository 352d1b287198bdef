#!/usr/bin/env bash
# Runs bench_engine (nn::Pack) and its PyTorch peer (torch_engine.py) one after the other on one
# core and prints, per case and precision, replica-steps per CPU second of both, the percentage
# of the FMA peak, and the ratio nnsweep / PyTorch (PyTorch: its best replica count and
# formulation). Builds bench_engine (Release, in build/bench unless NNSWEEP_BENCH_BUILD says
# otherwise) when needed.
#
#   bench/engine/run.sh [--quick]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${NNSWEEP_BENCH_BUILD:-$root/build/bench}
python=${PYTHON:-/usr/bin/python3}  # Debian's python, the one that has torch
quick=()
case ${1:-} in
  --quick) quick=(--quick) ;;
  "") ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNNSWEEP_BUILD_TESTS=OFF > /dev/null
fi
cmake --build "$build" --target bench_engine -j2 > /dev/null

pin=()
if command -v taskset > /dev/null; then pin=(taskset -c 0); fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT

echo "# $(date -u +%FT%TZ) $(uname -n)"
"${pin[@]}" "$build/bench/engine/bench_engine" "${quick[@]}" | tee "$results" | grep -v '^RESULT'
echo
"${pin[@]}" "$python" "$root/bench/engine/torch_engine.py" "${quick[@]}" | sed 's/^RESULT /TORCH /' | tee -a "$results" |
  grep -v '^TORCH'
echo

"$python" - "$results" <<'PY'
import sys

ours, torch = {}, {}
for line in open(sys.argv[1]):
    fields = line.split()
    if fields and fields[0] in ("RESULT", "TORCH"):
        case, precision, steps, gflops, percent = fields[1], fields[2], *map(float, fields[3:6])
        (ours if fields[0] == "RESULT" else torch)[(case, precision)] = (steps, gflops, percent)

aims = {"lt": "aim: >= 10x PyTorch, >= 40% of peak", "mlp256": "aim: >= 50% of peak"}
print(f"{'case':8} {'type':7} {'nnsweep rs/s':>13} {'% peak':>7} {'PyTorch rs/s':>13} {'% peak':>7} {'ratio':>7}")
for (case, precision), (steps, _, percent) in ours.items():
    if case not in ("lt", "mlp64", "mlp256"):
        continue
    t_steps, _, t_percent = torch.get((case, precision), (float("nan"),) * 3)
    print(f"{case:8} {precision:7} {steps:13.4g} {percent:6.0f}% {t_steps:13.4g} {t_percent:6.1f}% {steps / t_steps:6.1f}x"
          f"   {aims.get(case, '')}")
for precision in ("double", "float"):
    if ("lt_task", precision) in ours:
        tasks, gflops, _ = ours[("lt_task", precision)]
        print(f"linear_teacher task, defaults, {precision}: {tasks:.3g} tasks/s per core, "
              f"cost model / time = {gflops:.3g} GFLOP/s (nominal_flops)")
PY
