#!/usr/bin/python3
"""PyTorch peer of bench/engine/bench_support.cpp: the support experiment's training step,
batched over replicas (no per-replica Python loop), on one CPU core (torch.set_num_threads(1)).

The step (EXPERIMENTS.md §3): a bias-free linear MLP d = 15 → 15 → 15 → 15 → 1, MSE mean over
the batch, gradient by hand (torch.bmm over the replica batch: cheaper than autograd for these
shapes), global gradient-norm clipping to 1 per replica (g · min(1, 1/(‖g‖ + 1e-6)), the norm over
all four weight matrices of that replica), SGD lr 0.1; N = 10 000 points per replica, one
permutation per replica and epoch, the last partial batch kept; b ∈ {1, 8, 64}.

Each case runs at several replica counts R; the best replica-steps per CPU second counts. FLOPs
per replica-step are bench_support's (6P·b + 6P, P = 690). Prints a table and one line per case:
  RESULT support_b<b> <precision> <replica_steps_per_s> <gflops> <percent_of_peak>
Run with Debian's python: /usr/bin/python3 bench/engine/torch_support.py [--quick]
"""
import argparse
import math
import statistics
import time

import torch

PEAK = {"double": 58e9, "float": 116e9}  # shared/notes/PLATFORM.md, one Zen 4 core
DTYPES = {"double": torch.float64, "float": torch.float32}
D, H, DEPTH, N, LR, CLIP = 15, 15, 3, 10000, 0.1, 1.0
P = D * H + (DEPTH - 1) * H * H + H


def support(replicas, dtype, b, steps, repeats):
    """Median replica-steps per CPU second over `repeats` runs of `steps` steps."""
    g = torch.Generator().manual_seed(1)
    x_all = torch.randn(replicas, N, D, dtype=dtype, generator=g)
    y_all = x_all[:, :, :5].sum(2, keepdim=True)  # (R, N, 1)
    shapes = [(H, D)] + [(H, H)] * (DEPTH - 1) + [(1, H)]
    ws = [torch.randn(replicas, o, i, dtype=dtype, generator=g) * math.sqrt(2 / i) for o, i in shapes]
    rows = torch.arange(replicas).unsqueeze(1)
    state = {"order": None, "position": N}

    def step():
        if state["position"] >= N:
            state["order"] = torch.argsort(torch.rand(replicas, N, generator=g), dim=1)
            state["position"] = 0
        first = state["position"]
        sample = state["order"][:, first:first + b]
        state["position"] = first + sample.shape[1]
        x, y = x_all[rows, sample], y_all[rows, sample]  # (R, b, d), (R, b, 1)
        acts = [x]
        for w in ws:
            acts.append(torch.bmm(acts[-1], w.transpose(1, 2)))  # identity activations
        delta = (acts[-1] - y).mul_(2.0 / sample.shape[1])  # ∂(mean (o − y)²)/∂o
        grads = [None] * len(ws)
        for layer in range(len(ws) - 1, -1, -1):
            grads[layer] = torch.bmm(delta.transpose(1, 2), acts[layer])
            if layer > 0:
                delta = torch.bmm(delta, ws[layer])
        norm2 = sum(gr.pow(2).sum((1, 2)) for gr in grads)
        factor = (CLIP / (norm2.sqrt() + 1e-6)).clamp_(max=1.0).mul_(-LR).view(replicas, 1, 1)
        for w, gr in zip(ws, grads):
            w.addcmul_(gr, factor)

    step()  # warm-up
    rates = []
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(steps):
            step()
        rates.append(steps * replicas / (time.process_time() - t0))
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    args = parser.parse_args()
    torch.set_num_threads(1)
    repeats = 2 if args.quick else 3
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    print(f"{'case':12} {'type':7} {'R':>5} {'replica-steps/s':>15} {'GFLOP/s':>9} {'of peak':>8}")
    best = {}
    for precision, dtype in DTYPES.items():
        for b in (1, 8, 64):
            flops = 6 * P * b + 6 * P
            for r in (16, 64, 256, 1024):
                steps = max(20, (100 if args.quick else 300) * 64 // r)
                rate = support(r, dtype, b, steps, repeats)
                percent = 100 * rate * flops / PEAK[precision]
                print(f"support_b{b:<3} {precision:7} {r:5d} {rate:15.4g} {rate * flops / 1e9:9.2f} {percent:7.1f}%",
                      flush=True)
                key = (f"support_b{b}", precision)
                if key not in best or rate > best[key][0]:
                    best[key] = (rate, flops)
    for (case, precision), (rate, flops) in best.items():
        print(f"RESULT {case} {precision} {rate:.6g} {rate * flops / 1e9:.6g} {100 * rate * flops / PEAK[precision]:.4g}")


if __name__ == "__main__":
    main()
