#!/usr/bin/python3
"""PyTorch peer of nnsweep's linear_teacher run (bench_engine's lt_run): the same experiment at its
defaults, end to end, batched over replicas (no per-replica Python loop), one thread.

Per replica, as src/experiments/linear_teacher_train.cpp: teacher w* ~ N(0, I_d) normalised; x ~
N(0, I/d) redrawn unless |<w*, x>| >= gamma (training and test sets), Gaussian probes without the
margin; everything divided by the largest training norm. N(x) = v·leaky_relu(W x) with W (2k × d)
~ sigma0/sqrt(d)·N(0, 1) and v = ±1/sqrt(2k) fixed; logistic loss; SGD, batch 1, lr 0.1, a fresh
permutation per replica and epoch. At the same evaluation epochs (0, then log-spaced to `epochs`,
nnsweep.nn.log_schedule) every metric of the experiment: training loss and error, test error,
teacher alignment (mean, min), cluster cohesion (mean, min), spread, agreement with the linear
rule on the test set and on the probes, pattern agreement, rank ratio, antipodality; between
evaluation epochs the training error until every replica reached zero (zero_error_epoch).

Two formulations of the training step (torch_engine.py's "bmm" and "elementwise") and of the
evaluation forward pass ("bmm": torch.bmm, "matmul": x @ Wᵀ; test and probe sets in chunks of 500
samples, which keeps the intermediates small: unchunked, R ≥ 16 replicas ran 3-4x slower, bound by
page faults); a one-epoch trial picks the faster of each, as a user timing their code would. Times are CPU seconds (time.process_time); the same
cost model as nnsweep's (linear_teacher cost()) turns them into GFLOP/s.
Prints one line per run and
  RESULT lt_run <precision> <tasks_per_s> <gflops> 0
Run with Debian's python: /usr/bin/python3 bench/engine/torch_linear_teacher.py [--quick]
"""
import argparse
import math
import statistics
import time

import torch

DTYPES = {"double": torch.float64, "float": torch.float32}


def log_schedule(total, points):
    """nnsweep::nn::log_schedule: 0 and total, the rest nearest to the geometric sequence."""
    n = min(points, total + 1)
    if n == total + 1:
        return list(range(n))
    out = [0]
    for i in range(1, n):
        fraction = 1.0 if n == 2 else (i - 1) / (n - 2)
        nearest = int(math.exp(math.log(total) * fraction) + 0.5)
        room = total - (n - 1 - i)
        out.append(min(max(out[-1] + 1, nearest), room))
    out[-1] = total
    return out


def draw(g, teacher, count, margin, dtype):
    """count points per replica, x ~ N(0, I/d), kept when |<w*, x>| >= margin (all if margin 0)."""
    replicas, d = teacher.shape
    out = torch.empty(replicas, count, d, dtype=dtype)
    filled = torch.zeros(replicas, dtype=torch.long)
    rows = torch.arange(replicas).unsqueeze(1)
    while int(filled.min()) < count:
        candidates = torch.randn(replicas, 2 * count, d, dtype=dtype, generator=g) / math.sqrt(d)
        keep = (candidates @ teacher.unsqueeze(2)).squeeze(2).abs() >= margin
        position = filled.unsqueeze(1) + keep.cumsum(1) - 1
        take = keep & (position < count)
        out[rows.expand_as(take)[take], position[take]] = candidates[take]
        filled = torch.clamp(filled + keep.sum(1), max=count)
    return out


def run(replicas, dtype, epochs, points, step_variant, forward_variant, n=200, m=5000, d=10, k=50,
        alpha=0.1, sigma0=0.01, gamma=0.2, lr=0.1, seed=1):
    t0 = time.process_time()  # data and initialisation count, as in nnsweep's time
    g = torch.Generator().manual_seed(seed)
    R, hidden = replicas, 2 * k
    teacher = torch.randn(R, d, dtype=dtype, generator=g)
    teacher /= teacher.norm(dim=1, keepdim=True)
    x_train = draw(g, teacher, n, gamma, dtype)
    x_test = draw(g, teacher, m, gamma, dtype)
    x_probe = draw(g, teacher, m, 0.0, dtype)
    sign = lambda z: torch.where(z > 0, 1.0, -1.0).to(dtype)
    y_train = sign((x_train @ teacher.unsqueeze(2)).squeeze(2))
    y_test = sign((x_test @ teacher.unsqueeze(2)).squeeze(2))
    scale = x_train.norm(dim=2).max(dim=1).values.view(R, 1, 1)
    x_train, x_test, x_probe = x_train / scale, x_test / scale, x_probe / scale
    w = sigma0 / math.sqrt(d) * torch.randn(R, hidden, d, dtype=dtype, generator=g)
    v = torch.cat([torch.full((k,), 1 / math.sqrt(hidden)), torch.full((k,), -1 / math.sqrt(hidden))]).to(dtype)
    rows = torch.arange(R)
    schedule = log_schedule(epochs, points)
    curves = []
    zero_error = torch.full((R,), float("nan"), dtype=torch.float64)

    def pre(x):  # (R, S, d) → (R, S, 2k)
        return torch.bmm(x, w.transpose(1, 2)) if forward_variant == "bmm" else x @ w.transpose(1, 2)

    def output(x, chunk=500):  # in chunks of samples: bounded intermediates (R × chunk × 2k)
        return torch.cat([torch.nn.functional.leaky_relu(pre(x[:, s:s + chunk]), alpha) @ v
                          for s in range(0, x.shape[1], chunk)], 1)

    def evaluate(epoch):
        h_train = pre(x_train)
        out_train = torch.nn.functional.leaky_relu(h_train, alpha) @ v
        out_test, out_probe = output(x_test), output(x_probe)
        metrics = {}
        metrics["train_loss"] = torch.nn.functional.softplus(-y_train * out_train).mean(1)
        metrics["train_error"] = (~(y_train * out_train > 0)).to(dtype).mean(1)
        metrics["test_error"] = (~(y_test * out_test > 0)).to(dtype).mean(1)
        norms = w.norm(dim=2, keepdim=True)
        unit = w / norms
        signs = torch.cat([torch.ones(k), -torch.ones(k)]).to(dtype)
        align = signs * (unit @ teacher.unsqueeze(2)).squeeze(2)
        metrics["align_mean"], metrics["align_min"] = align.mean(1), align.min(1).values
        cohesion, spread = [], []
        means = []
        for group in (slice(0, k), slice(k, hidden)):
            centre = unit[:, group].sum(1)
            centre = centre / centre.norm(dim=1, keepdim=True)
            cohesion.append((unit[:, group] @ centre.unsqueeze(2)).squeeze(2))
            mean = w[:, group].mean(1)
            means.append(mean)
            spread.append(((w[:, group] - mean.unsqueeze(1)).norm(dim=2) / mean.norm(dim=1, keepdim=True)).max(1).values)
        cohesion = torch.cat(cohesion, 1)
        metrics["cohesion_mean"], metrics["cohesion_min"] = cohesion.mean(1), cohesion.min(1).values
        metrics["spread"] = torch.maximum(spread[0], spread[1])
        beta = means[0] - means[1]
        for name, x, out in (("agr_d", x_test, out_test), ("agr_g", x_probe, out_probe)):
            rule = (x @ beta.unsqueeze(2)).squeeze(2) > 0
            metrics[name] = ((out > 0) == rule).to(dtype).mean(1)
        positive = h_train > 0
        shared = [(positive[:, :, group].all(2) | (~positive[:, :, group]).all(2)).to(dtype).mean(1)
                  for group in (slice(0, k), slice(k, hidden))]
        metrics["pattern_agreement"] = torch.minimum(shared[0], shared[1])
        metrics["rank_ratio"] = torch.linalg.svdvals(w)[:, 0] / w.flatten(1).norm(dim=1)
        metrics["antipodality"] = torch.nn.functional.cosine_similarity(means[0], -means[1], dim=1)
        zero_error[torch.isnan(zero_error) & (metrics["train_error"] == 0)] = epoch
        curves.append(metrics)

    def check_zero_error(epoch):
        pending = torch.isnan(zero_error)
        if not bool(pending.any()):
            return
        wrong = (~(y_train * output(x_train) > 0)).any(1)
        zero_error[pending & ~wrong] = epoch

    def epoch_of_steps():
        nonlocal w
        order = torch.argsort(torch.rand(R, n, generator=g), dim=1)
        for t in range(n):
            sample = order[:, t]
            x, y = x_train[rows, sample], y_train[rows, sample]
            if step_variant == "bmm":
                h = torch.bmm(w, x.unsqueeze(2)).squeeze(2)
            else:
                h = (w * x.unsqueeze(1)).sum(2)
            a = torch.nn.functional.leaky_relu(h, alpha)
            out = a @ v
            c = (lr * y) * torch.sigmoid(-y * out)  # −lr·∂ℓ/∂N
            delta = (c.unsqueeze(1) * v) * torch.where(h > 0, 1.0, alpha)
            if step_variant == "bmm":
                w.baddbmm_(delta.unsqueeze(2), x.unsqueeze(1))
            else:
                w.addcmul_(delta.unsqueeze(2), x.unsqueeze(1))

    times = {"train": 0.0, "evaluate": 0.0}
    t1 = time.process_time()
    evaluate(0)
    times["evaluate"] += time.process_time() - t1
    for epoch in range(1, epochs + 1):
        t1 = time.process_time()
        epoch_of_steps()
        t2 = time.process_time()
        if epoch in schedule:
            evaluate(epoch)
        else:
            check_zero_error(epoch)
        times["train"] += t2 - t1
        times["evaluate"] += time.process_time() - t2
    total = time.process_time() - t0
    return total, times, curves


def cost(epochs, points, n=200, m=5000, d=10, k=50, gamma=0.2):
    """linear_teacher's cost() (src/experiments/linear_teacher.cpp)."""
    forward = 4 * k * d + 4 * k
    acceptance = math.erfc(gamma * math.sqrt(d / 2))
    evaluate = min(points, epochs + 1) * ((n + 2 * m) * forward + n * 4 * k * d + 2 * m * 2 * d)
    return epochs * n * 2 * forward + evaluate + min(epochs, 20) * n * forward + 30 * d * ((n + m) / acceptance + m)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 epochs (21 evaluation points), one run each")
    parser.add_argument("--replicas", type=int, nargs="+", default=[16, 32, 64], help="replica counts to try")
    parser.add_argument("--repeats", type=int, default=3, help="runs per replica count (median)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    epochs, points = (20, 30) if args.quick else (200, 30)
    repeats = 1 if args.quick else args.repeats
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread; linear_teacher defaults, "
          f"{epochs} epochs, {points} log points")
    for precision, dtype in DTYPES.items():
        # One-epoch trials (the same work per epoch) choose the formulations.
        trial = {}
        for step in ("bmm", "elementwise"):
            for forward in ("bmm", "matmul"):
                seconds, times, _ = run(8, dtype, 1, 2, step, forward)
                trial[(step, forward)] = times
        step = min(("bmm", "elementwise"), key=lambda s: trial[(s, "bmm")]["train"])
        forward = min(("bmm", "matmul"), key=lambda f: trial[(step, f)]["evaluate"])
        best = None
        for replicas in args.replicas:
            rates = []
            for _ in range(repeats):
                seconds, times, curves = run(replicas, dtype, epochs, points, step, forward)
                rates.append(replicas / seconds)
            rate = statistics.median(rates)
            last = curves[-1]
            print(f"{precision:7} R={replicas:4d} step={step} forward={forward}: {rate:.3g} tasks/s, "
                  f"evaluation {100 * times['evaluate'] / seconds:.0f}% of the time; "
                  f"final train_loss {float(last['train_loss'].mean()):.3g}, agr_d {float(last['agr_d'].mean()):.4f}, "
                  f"cohesion_min {float(last['cohesion_min'].min()):.4f}", flush=True)
            if best is None or rate > best:
                best = rate
        print(f"RESULT lt_run {precision} {best:.6g} {cost(epochs, points) * best / 1e9:.6g} 0")


if __name__ == "__main__":
    main()
