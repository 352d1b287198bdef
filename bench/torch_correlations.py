#!/usr/bin/python3
"""PyTorch peer of nnsweep's full_network sampler (bench/bench_correlations.cpp).

The same workload, written as a competent PyTorch user would on one CPU core: networks batched
in one tensor program, one torch.randn (batch, n, n_in) weight tensor per layer, torch.bmm for the
layer, forward-mode derivatives along the n0 input directions pushed through the same bmm as
extra columns, T = C_W/n_L XᵀX from the last hidden layer, and the outputs from real weights.
Prints one `RESULT` line per configuration: networks per CPU second and per wall second (medians
of repeats), the format bench/run_correlations.sh joins with bench_correlations.

Run with Debian's python (numpy + torch 1.13): /usr/bin/python3 bench/torch_correlations.py
"""
import argparse
import math
import statistics
import time

import torch


def activation(name, z):
    """sigma(z) and sigma'(z)."""
    if name == "relu":
        return torch.relu(z), (z > 0).to(z.dtype)
    if name == "tanh":
        a = torch.tanh(z)
        return a, 1 - a * a
    raise ValueError(name)


def sample(batch, widths, act, dtype, n0=4, x_norm2=4.0, cw=None, cb=0.0, n_out=1):
    """One batch of random networks; returns T (batch, k, k) and the outputs (batch, n_out)."""
    cw = cw if cw is not None else (2.0 if act == "relu" else 1.0)
    k = 1 + n0
    # The input as a layer of n0 units with rows (x_p, dx_p/dx_1, ..., dx_p/dx_n0).
    x = torch.full((batch, n0, 1), math.sqrt(x_norm2 / n0), dtype=dtype)
    rows = torch.cat([x, torch.eye(n0, dtype=dtype).expand(batch, n0, n0)], dim=2)
    n_in = n0
    for n in widths:
        w = torch.randn(batch, n, n_in, dtype=dtype)
        y = torch.bmm(w, rows).mul_(math.sqrt(cw / n_in))  # (batch, n, k): values and derivatives
        if cb > 0:
            y[:, :, 0] += math.sqrt(cb) * torch.randn(batch, n, dtype=dtype)
        a, d = activation(act, y[:, :, 0])
        rows = torch.cat([a.unsqueeze(2), d.unsqueeze(2) * y[:, :, 1:]], dim=2)
        n_in = n
    t = torch.bmm(rows.transpose(1, 2), rows).mul_(cw / n_in)
    t[:, 0, 0] += cb
    w = torch.randn(batch, n_out, n_in, dtype=dtype)
    z = torch.bmm(w, rows[:, :, :1]).squeeze(2).mul_(math.sqrt(cw / n_in))
    return t, z


def rates(work, repeats, min_seconds):
    """Medians over repeats of units per CPU second and per wall second; each repeat calls
    work() (which returns the units it did) until min_seconds of CPU time have passed. The
    machine may be shared: CPU time (time actually running) is the primary clock, as in
    bench_correlations."""
    work()  # warm-up
    cpu, wall = [], []
    for _ in range(repeats):
        units, cpu0, wall0 = 0, time.thread_time(), time.perf_counter()
        while True:
            units += work()
            if time.thread_time() - cpu0 >= min_seconds:
                break
        cpu.append(units / (time.thread_time() - cpu0))
        wall.append(units / (time.perf_counter() - wall0))
    return statistics.median(cpu), statistics.median(wall)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.3)
    parser.add_argument("--sizes", default="32x4,256x16,1024x8", help="n x L list")
    parser.add_argument("--normals", action="store_true", help="also time torch's normal generator alone")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for size in args.sizes.split(","):
        n, depth = (int(v) for v in size.split("x"))
        for act in ("relu", "tanh"):
            for dtype, name in ((torch.float32, "float"), (torch.float64, "double")):
                # ~32 MiB of weights per layer call: amortises dispatch, bounded memory.
                batch = max(1, min(4096, (32 << 20) // (n * n * torch.finfo(dtype).bits // 8)))
                cpu, wall = rates(lambda: sample(batch, [n] * depth, act, dtype) and batch, args.repeats,
                                  args.min_seconds)
                print(f"RESULT\ttorch\tfull_network\t{act}\t{name}\t{n}\t{depth}\t{cpu:.6g}\t{wall:.6g}", flush=True)
    if args.normals:
        for dtype, name in ((torch.float32, "float"), (torch.float64, "double")):
            buf = torch.empty(1 << 22, dtype=dtype)
            cpu, wall = rates(lambda: buf.normal_() is not None and buf.numel(), args.repeats, args.min_seconds)
            print(f"RESULT\ttorch\tnormals\t-\t{name}\t-\t-\t{cpu:.6g}\t{wall:.6g}", flush=True)


if __name__ == "__main__":
    main()
