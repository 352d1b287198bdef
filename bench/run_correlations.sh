#!/usr/bin/env bash
# Runs bench_correlations and its PyTorch peer (bench/torch_correlations.py) side by side on one
# core — size by size, alternating, so that both see the same background load — and prints
# networks/s of both and their ratios against the targets. Builds the benchmark (Release, in
# build/bench unless NNSWEEP_BENCH_BUILD says otherwise) when needed.
#
#   bench/run_correlations.sh [--repeats R] [--min-seconds S] [--sizes 32x4,256x16,1024x8]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NNSWEEP_BENCH_BUILD:-$root/build/bench}
python=${PYTHON:-/usr/bin/python3}  # Debian's python, the one that has torch
repeats=5 min_seconds=0.3 sizes=32x4,256x16,1024x8
while [[ $# -gt 0 ]]; do
  case $1 in
    --repeats) repeats=$2; shift 2 ;;
    --min-seconds) min_seconds=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    *) echo "usage: $0 [--repeats R] [--min-seconds S] [--sizes 32x4,256x16,...]" >&2; exit 2 ;;
  esac
done

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNNSWEEP_BUILD_TESTS=OFF > /dev/null
fi
cmake --build "$build" --target bench_correlations -j2 > /dev/null
bench=$build/bench/bench_correlations

pin=()
if command -v taskset > /dev/null; then pin=(taskset -c 0); fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT

echo "# $(date -u +%FT%TZ) $(uname -n); repeats $repeats, min CPU seconds per repeat $min_seconds"
for size in ${sizes//,/ }; do
  "${pin[@]}" "$bench" --repeats "$repeats" --min-seconds "$min_seconds" --sizes "$size" |
    tee -a "$results" | grep -v '^RESULT'
  "${pin[@]}" "$python" "$root/bench/torch_correlations.py" --repeats "$repeats" --min-seconds "$min_seconds" \
    --sizes "$size" >> "$results"
done

"$python" - "$results" <<'EOF'
import sys

rates = {}  # (who, sampler, act, precision, n, L) -> (cpu, wall)
for line in open(sys.argv[1]):
    if line.startswith("RESULT"):
        _, who, sampler, act, prec, n, depth, cpu, wall = line.rstrip("\n").split("\t")
        rates[(who, sampler, act, prec, n, depth)] = (float(cpu), float(wall) if wall else float("nan"))

print("\n== nnsweep vs PyTorch full network (same precision, one core): networks per CPU second ==")
print(f"{'act':5} {'prec':6} {'n':>5} {'L':>3} {'torch':>10} {'full_net':>10} {'ratio':>7} {'chain':>10} {'ratio':>8}"
      f"  targets: full >= 3x everywhere, chain >= 300x at 256x16   [wall-clock ratios]")
for key in sorted((k for k in rates if k[0] == "torch"), key=lambda k: (k[2], k[3], int(k[4]))):
    _, _, act, prec, n, depth = key
    torch_cpu, torch_wall = rates[key]
    full_cpu, full_wall = rates[("nnsweep", "full_network", act, prec, n, depth)]
    chain_cpu, chain_wall = rates[("nnsweep", "exact_chain", act, prec, n, depth)]
    full_ratio, chain_ratio = full_cpu / torch_cpu, chain_cpu / torch_cpu
    marks = "full " + ("ok" if full_ratio >= 3 else "MISSED")
    if (n, depth) == ("256", "16"):
        marks += ", chain " + ("ok" if chain_ratio >= 300 else "MISSED")
    print(f"{act:5} {prec:6} {n:>5} {depth:>3} {torch_cpu:10.4g} {full_cpu:10.4g} {full_ratio:6.1f}x {chain_cpu:10.4g}"
          f" {chain_ratio:7.0f}x  {marks:28} [{full_wall / torch_wall:.1f}x, {chain_wall / torch_wall:.0f}x]")
EOF
