#!/usr/bin/python3
"""PyTorch peer of bench/engine/bench_engine.cpp: the same training steps, batched over replicas.

Written as a competent PyTorch user would on one CPU core (torch.set_num_threads(1)): R
independent replicas in one tensor program, each with its own data, weights and per-epoch
permutation; gradients by hand (cheaper than autograd for these shapes), updates in place.

  lt      the linear-teacher default step (d = 10, 2k = 100 leaky-ReLU units, fixed ±v output,
          logistic loss, batch 1); two formulations: "bmm" (torch.bmm / baddbmm_ over the
          replica batch) and "elementwise" ((R, 2k, d) broadcasts and a sum: no per-matrix
          overhead);
  mlp64   d = h → h → h → 1, ReLU, biases, MSE, batch 32, h = 64, with torch.baddbmm;
  mlp256  the same with h = 256.

Each case runs at several replica counts R; the best replica-steps per CPU second counts.
FLOPs per replica-step are bench_engine's (see there). Prints a table and one line per case:
  RESULT <case> <precision> <replica_steps_per_s> <gflops> <percent_of_peak>
Run with Debian's python: /usr/bin/python3 bench/engine/torch_engine.py [--quick]
"""
import argparse
import math
import statistics
import time

import torch

PEAK = {"double": 58e9, "float": 116e9}  # shared/notes/PLATFORM.md, one Zen 4 core
DTYPES = {"double": torch.float64, "float": torch.float32}


def rate(epoch, steps_per_epoch, replicas, epochs, repeats):
    """Median replica-steps per CPU second over repeats of `epochs` epochs."""
    epoch()  # warm-up
    rates = []
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(epochs):
            epoch()
        rates.append(epochs * steps_per_epoch * replicas / (time.process_time() - t0))
    return statistics.median(rates)


def linear_teacher(replicas, dtype, variant, epochs, repeats, n=200, d=10, hidden=100, alpha=0.1, lr=0.1):
    g = torch.Generator().manual_seed(1)
    x_all = torch.randn(replicas, n, d, dtype=dtype, generator=g) / math.sqrt(d)
    y_all = torch.where(x_all[:, :, 0] + 0.5 * x_all[:, :, 1] > 0, 1.0, -1.0).to(dtype)
    w = 0.01 * torch.randn(replicas, hidden, d, dtype=dtype, generator=g)
    v = torch.cat([torch.full((hidden // 2,), 0.1), torch.full((hidden // 2,), -0.1)]).to(dtype)
    rows = torch.arange(replicas)

    def epoch():
        order = torch.argsort(torch.rand(replicas, n, generator=g), dim=1)  # one permutation per replica
        for t in range(n):
            sample = order[:, t]
            x, y = x_all[rows, sample], y_all[rows, sample]  # (R, d), (R,)
            if variant == "bmm":
                h = torch.bmm(w, x.unsqueeze(2)).squeeze(2)  # (R, 2k)
            else:
                h = (w * x.unsqueeze(1)).sum(2)
            a = torch.nn.functional.leaky_relu(h, alpha)
            out = a @ v  # (R,)
            c = (lr * y) * torch.sigmoid(-y * out)  # −lr·∂ℓ/∂N
            delta = (c.unsqueeze(1) * v) * torch.where(h > 0, 1.0, alpha)  # (R, 2k)
            if variant == "bmm":
                w.baddbmm_(delta.unsqueeze(2), x.unsqueeze(1))
            else:
                w.addcmul_(delta.unsqueeze(2), x.unsqueeze(1))

    return rate(epoch, n, replicas, epochs, repeats), 4.0 * hidden * (d + 1)


def mlp(replicas, dtype, h, epochs, repeats, b=32, lr=1e-3):
    n = 8 * b
    g = torch.Generator().manual_seed(1)
    x_all = torch.randn(replicas, n, h, dtype=dtype, generator=g) / math.sqrt(h)
    y_all = torch.randn(replicas, n, 1, dtype=dtype, generator=g)
    shapes = [(h, h), (h, h), (1, h)]
    ws = [torch.randn(replicas, o, i, dtype=dtype, generator=g) / math.sqrt(i) for o, i in shapes]
    bs = [torch.zeros(replicas, 1, o, dtype=dtype) for o, _ in shapes]
    rows = torch.arange(replicas).unsqueeze(1)

    def epoch():
        order = torch.argsort(torch.rand(replicas, n, generator=g), dim=1)
        for first in range(0, n, b):
            sample = order[:, first:first + b]
            x, y = x_all[rows, sample], y_all[rows, sample]  # (R, b, h), (R, b, 1)
            z1 = torch.baddbmm(bs[0], x, ws[0].transpose(1, 2))
            a1 = torch.relu(z1)
            z2 = torch.baddbmm(bs[1], a1, ws[1].transpose(1, 2))
            a2 = torch.relu(z2)
            out = torch.baddbmm(bs[2], a2, ws[2].transpose(1, 2))
            d3 = (out - y).mul_(2.0 / b)  # ∂(mean (o − y)²)/∂o
            d2 = torch.bmm(d3, ws[2]).mul_(z2 > 0)
            d1 = torch.bmm(d2, ws[1]).mul_(z1 > 0)
            for w_, bias, delta, a in ((ws[2], bs[2], d3, a2), (ws[1], bs[1], d2, a1), (ws[0], bs[0], d1, x)):
                w_.baddbmm_(delta.transpose(1, 2), a, alpha=-lr)
                bias.sub_(delta.sum(1, keepdim=True), alpha=lr)

    p = 2.0 * h * h + h
    return rate(epoch, n // b, replicas, epochs, repeats), 2 * (b * (2 * p + h * h + h) + p)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats")
    args = parser.parse_args()
    torch.set_num_threads(1)
    repeats = 3 if args.quick else 5
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    print(f"{'case':8} {'type':7} {'variant':12} {'R':>5} {'replica-steps/s':>15} {'GFLOP/s':>9} {'of peak':>8}")
    best = {}
    for precision, dtype in DTYPES.items():
        runs = [("lt", variant, r, lambda r=r, v=variant: linear_teacher(r, dtype, v, 1 if args.quick else 2, repeats))
                for variant in ("bmm", "elementwise") for r in (4, 16, 64, 256, 1024)]
        runs += [(f"mlp{h}", "baddbmm", r, lambda r=r, h=h: mlp(r, dtype, h, (2 if h <= 64 else 1), repeats))
                 for h in (64, 256) for r in ((4, 16, 64) if h <= 64 else (4, 16))]
        for case, variant, r, run in runs:
            steps, flops = run()
            percent = 100 * steps * flops / PEAK[precision]
            print(f"{case:8} {precision:7} {variant:12} {r:5d} {steps:15.4g} {steps * flops / 1e9:9.2f} {percent:7.1f}%",
                  flush=True)
            key = (case, precision)
            if key not in best or steps > best[key][0]:
                best[key] = (steps, flops)
    for (case, precision), (steps, flops) in best.items():
        print(f"RESULT {case} {precision} {steps:.6g} {steps * flops / 1e9:.6g} {100 * steps * flops / PEAK[precision]:.4g}")


if __name__ == "__main__":
    main()
