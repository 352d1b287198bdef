#!/usr/bin/python3
"""PyTorch peer of bench_symmetry: full-batch gradient descent of the symmetry experiment's
students, N = 10^4 samples, width m = 20, d = 10, activation g(z) = sigmoid(4z) + softplus(z),
MSE loss (1/N) Σ (f − y)², batched over R replicas in one tensor program (no per-replica Python
loop), one thread (torch.set_num_threads(1)).

Two formulations of the step, the faster is reported (as a user timing their code would pick):
  manual    z = W Xᵀ (torch.bmm), g and g' from one sigmoid(4z), one sigmoid(z) and
            softplus(z); ∂L/∂a = (2/N) g r, ∂L/∂W = (2/N) ((a g' r) Xᵀᵀ) by bmm; in-place updates;
  autograd  the loss through autograd, loss.backward(), torch.no_grad() updates.
Times are CPU seconds (time.process_time) of the steps alone; FLOPs as bench_symmetry counts
them (4·N·m·(d + 1) per replica-step: the dense products only).
Prints  RESULT symmetry_gd <precision> <replica_steps_per_s> <gflops> 0
"""
import argparse
import time

import torch

DTYPES = {"double": torch.float64, "float": torch.float32}


def setup(R, dtype, n=10000, m=20, d=10, r=4, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, dtype=dtype, generator=g)
    w_t = torch.randn(r, d, dtype=dtype, generator=g) / d ** 0.5
    a_t = torch.randn(r, dtype=dtype, generator=g)
    z = x @ w_t.T
    y = (torch.sigmoid(4 * z) + torch.nn.functional.softplus(z)) @ a_t
    std_w = (2.0 / (d + m)) ** 0.5
    std_a = (2.0 / (m + 1)) ** 0.5
    w = std_w * torch.randn(R, m, d, dtype=dtype, generator=g)
    a = std_a * torch.randn(R, m, dtype=dtype, generator=g)
    return x, y, w, a


def manual(R, dtype, steps, lr=0.02):
    x, y, w, a = setup(R, dtype)
    n = x.shape[0]
    xt = x.T.unsqueeze(0).expand(R, -1, -1)  # (R, d, n)
    xb = x.unsqueeze(0).expand(R, -1, -1)    # (R, n, d)
    t0 = time.process_time()
    for _ in range(steps):
        z = torch.bmm(w, xt)                      # (R, m, n)
        s4 = torch.sigmoid(4 * z)
        act = s4 + torch.nn.functional.softplus(z)
        f = torch.bmm(a.unsqueeze(1), act).squeeze(1)  # (R, n)
        res = (2.0 / n) * (f - y)
        grad_a = torch.bmm(act, res.unsqueeze(2)).squeeze(2)
        deriv = 4 * s4 * (1 - s4) + torch.sigmoid(z)
        delta = deriv * (a.unsqueeze(2) * res.unsqueeze(1))
        grad_w = torch.bmm(delta, xb)
        w.sub_(lr * grad_w)
        a.sub_(lr * grad_a)
    return time.process_time() - t0


def autograd(R, dtype, steps, lr=0.02):
    x, y, w, a = setup(R, dtype)
    w.requires_grad_(True)
    a.requires_grad_(True)
    t0 = time.process_time()
    for _ in range(steps):
        z = torch.matmul(w, x.T)
        act = torch.sigmoid(4 * z) + torch.nn.functional.softplus(z)
        f = torch.bmm(a.unsqueeze(1), act).squeeze(1)
        loss = ((f - y) ** 2).mean(dim=1).sum()
        w.grad = None
        a.grad = None
        loss.backward()
        with torch.no_grad():
            w.sub_(lr * w.grad)
            a.sub_(lr * a.grad)
    return time.process_time() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, default=16)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    steps = 10 if args.quick else args.steps
    flops = 4.0 * 10000 * 20 * 11
    for precision, dtype in DTYPES.items():
        rates = {}
        for name, fn in (("manual", manual), ("autograd", autograd)):
            fn(args.replicas, dtype, 2)  # warm-up
            rates[name] = args.replicas * steps / fn(args.replicas, dtype, steps)
        best = max(rates, key=rates.get)
        rate = rates[best]
        print(f"torch symmetry GD step ({precision}, N = 1e4, m = 20, d = 10, g, {args.replicas} "
              f"replicas): manual {rates['manual']:.4g}, autograd {rates['autograd']:.4g} "
              f"replica-steps/s; best {best}: {rate * flops * 1e-9:.3g} GFLOP/s dense")
        print(f"RESULT symmetry_gd {precision} {rate:.6g} {rate * flops * 1e-9:.6g} 0")


if __name__ == "__main__":
    main()
