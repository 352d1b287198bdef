#!/usr/bin/env bash
# Runs bench_engine (nn::Pack, and linear_teacher end to end on the training driver) and its
# PyTorch peers (torch_engine.py: the training steps; torch_linear_teacher.py: the whole run,
# training and evaluation) one after the other on one core and prints, per case and precision,
# replica-steps (or tasks) per CPU second of both, the percentage of the FMA peak, and the ratio
# nnsweep / PyTorch (PyTorch: its best replica count and formulation), with the load average
# before and after (the machine may be shared). Builds bench_engine (Release, in build/bench unless NNSWEEP_BENCH_BUILD says
# otherwise) when needed.
#
#   bench/engine/run.sh [--quick]
#   bench/engine/run.sh --linear-teacher [ROUNDS]   linear_teacher end to end only: ROUNDS (3)
#       interleaved rounds of nnsweep and PyTorch (its best replica count, 64), medians and the
#       median of the per-round ratios (robust against other jobs on a shared machine)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${NNSWEEP_BENCH_BUILD:-$root/build/bench}
python=${PYTHON:-/usr/bin/python3}  # Debian's python, the one that has torch
quick=()
rounds=0
case ${1:-} in
  --quick) quick=(--quick) ;;
  --linear-teacher) rounds=${2:-3} ;;
  "") ;;
  *) echo "usage: $0 [--quick | --linear-teacher [ROUNDS]]" >&2; exit 2 ;;
esac

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNNSWEEP_BUILD_TESTS=OFF > /dev/null
fi
cmake --build "$build" --target bench_engine -j2 > /dev/null

pin=()
if command -v taskset > /dev/null; then pin=(taskset -c 0); fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT

if ((rounds > 0)); then
  for ((i = 1; i <= rounds; ++i)); do
    echo "# round $i, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    "${pin[@]}" "$build/bench/engine/bench_engine" --run-only | tee -a "$results" | grep -E '^linear_teacher|measured'
    "${pin[@]}" "$python" "$root/bench/engine/torch_linear_teacher.py" --replicas 64 --repeats 1 |
      sed 's/^RESULT /TORCH /' | tee -a "$results" | grep -v '^TORCH'
  done
  echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) after"
  "$python" - "$results" <<'PY'
import statistics
import sys

rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0] in ("RESULT", "TORCH") and f[1] in ("lt_run", "lt_eval", "lt_train"):
        rows.setdefault((f[0], f[1], f[2]), []).append(float(f[3]) if f[1] == "lt_run" else float(f[5]))
for precision in ("double", "float"):
    ours, torch = rows[("RESULT", "lt_run", precision)], rows[("TORCH", "lt_run", precision)]
    ratios = [a / b for a, b in zip(ours, torch)]
    print(f"linear_teacher run, defaults, {precision}: nnsweep {statistics.median(ours):.3g} tasks/s, "
          f"PyTorch {statistics.median(torch):.3g}; ratio per round {', '.join(f'{r:.1f}x' for r in ratios)}, "
          f"median {statistics.median(ratios):.1f}x (aim >= 10x); evaluation "
          f"{statistics.median(rows[('RESULT', 'lt_eval', precision)]):.0f}% of peak (aim >= 60%), training steps "
          f"{statistics.median(rows[('RESULT', 'lt_train', precision)]):.0f}%")
PY
  exit 0
fi

echo "# $(date -u +%FT%TZ) $(uname -n); load average $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before"
"${pin[@]}" "$build/bench/engine/bench_engine" "${quick[@]}" | tee "$results" | grep -v '^RESULT'
echo
"${pin[@]}" "$python" "$root/bench/engine/torch_engine.py" "${quick[@]}" | sed 's/^RESULT /TORCH /' | tee -a "$results" |
  grep -v '^TORCH'
echo
"${pin[@]}" "$python" "$root/bench/engine/torch_linear_teacher.py" "${quick[@]}" | sed 's/^RESULT /TORCH /' |
  tee -a "$results" | grep -v '^TORCH'
echo
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) after"

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
    if ("lt_run", precision) in ours:
        tasks, gflops, _ = ours[("lt_run", precision)]
        t_tasks, t_gflops, _ = torch.get(("lt_run", precision), (float("nan"),) * 3)
        _, _, eval_percent = ours.get(("lt_eval", precision), (0, 0, float("nan")))
        _, _, train_percent = ours.get(("lt_train", precision), (0, 0, float("nan")))
        print(f"linear_teacher run, defaults, {precision}: nnsweep {tasks:.3g} tasks/s, PyTorch {t_tasks:.3g}: "
              f"{tasks / t_tasks:.1f}x (aim >= 10x); evaluation at {eval_percent:.0f}% of peak (aim >= 60%), "
              f"training steps {train_percent:.0f}%")
for precision in ("double", "float"):
    if ("lt_task", precision) in ours:
        tasks, gflops, _ = ours[("lt_task", precision)]
        print(f"linear_teacher task, defaults, {precision}: {tasks:.3g} tasks/s per core, "
              f"cost model / time = {gflops:.3g} GFLOP/s (nominal_flops)")
PY
