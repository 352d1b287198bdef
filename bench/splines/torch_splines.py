#!/usr/bin/python3
"""PyTorch peer of bench_splines: the splines experiment's training step, batched over replicas
(no per-replica Python loop), one thread, as a competent PyTorch user would write it.

f(x) = Σ_k v_k relu(w_k x + b_k) + a x + c per replica (pn mode), J = mean (f − y)² +
(λ/2)(‖w‖² + ‖v‖²); full batch. All parameters of a replica live in one (R, 3K + 2) tensor (one
in-place update for all), gradients by hand (cheaper than autograd at these shapes), weight decay
g += λ·mask·θ, then GD θ −= lr·g or Adam exactly as torch.optim.Adam (bias corrections,
eps outside the square root). Two formulations of the (R, K, N) products: "broadcast"
(elementwise products and sums) and "bmm" (torch.bmm for the output and v-gradient); the
better one and the best replica count R count. FLOPs per replica-step are bench_splines's
(the step's arithmetic): 12·N·K + (12 Adam | 4 GD)·P, P = 3K + 2.
Prints one line per configuration and
  RESULT <case> <precision> <replica_steps_per_s> <gflops> <percent_of_peak>
Run with Debian's python: /usr/bin/python3 bench/splines/torch_splines.py [--quick]
"""
import argparse
import statistics
import time

import torch

PEAK = {"double": 58e9, "float": 116e9}  # shared/notes/PLATFORM.md, one Zen 4 core
DTYPES = {"double": torch.float64, "float": torch.float32}


def make_step(R, K, N, dtype, adam, lr, lam, variant, seed=1):
    g = torch.Generator().manual_seed(seed)
    i = torch.arange(1, N + 1, dtype=dtype)
    x = -1 + (2 * i - 1 + torch.rand(R, N, generator=g, dtype=dtype) - 0.5) / N
    y = 2 * torch.rand(R, N, generator=g, dtype=dtype) - 1
    theta = torch.zeros(R, 3 * K + 2, dtype=dtype)
    theta[:, :2 * K] = 2 * torch.rand(R, 2 * K, generator=g, dtype=dtype) - 1
    theta[:, 2 * K:3 * K] = (2 * torch.rand(R, K, generator=g, dtype=dtype) - 1) / K ** 0.5
    W, b, v, a, c = theta[:, :K], theta[:, K:2 * K], theta[:, 2 * K:3 * K], theta[:, 3 * K], theta[:, 3 * K + 1]
    grad = torch.zeros_like(theta)
    gW, gb, gv, ga, gc = grad[:, :K], grad[:, K:2 * K], grad[:, 2 * K:3 * K], grad[:, 3 * K], grad[:, 3 * K + 1]
    decay = torch.zeros(3 * K + 2, dtype=dtype)
    decay[:K] = lam
    decay[2 * K:3 * K] = lam
    m, s = torch.zeros_like(theta), torch.zeros_like(theta)
    state = {"t": 0}
    xk = x.unsqueeze(1)  # (R, 1, N)

    def step():
        z = torch.addcmul(b.unsqueeze(2), W.unsqueeze(2), xk)  # (R, K, N)
        h = z.clamp_min(0)
        if variant == "bmm":
            f = torch.bmm(v.unsqueeze(1), h).squeeze(1)
        else:
            f = (v.unsqueeze(2) * h).sum(1)
        f.addcmul_(a.unsqueeze(1), x).add_(c.unsqueeze(1))
        r = (f - y).mul_(2.0 / N)  # (R, N)
        rk = r.unsqueeze(1)
        if variant == "bmm":
            gv.copy_(torch.bmm(h, r.unsqueeze(2)).squeeze(2))
        else:
            gv.copy_((h * rk).sum(2))
        delta = (z > 0).to(dtype).mul_(v.unsqueeze(2)).mul_(rk)  # (R, K, N)
        gb.copy_(delta.sum(2))
        gW.copy_(delta.mul_(xk).sum(2))
        ga.copy_((r * x).sum(1))
        gc.copy_(r.sum(1))
        grad.addcmul_(decay, theta)
        if not adam:
            theta.add_(grad, alpha=-lr)
            return
        state["t"] += 1
        t = state["t"]
        m.mul_(0.9).add_(grad, alpha=0.1)
        s.mul_(0.999).addcmul_(grad, grad, value=0.001)
        denom = (s.sqrt() / (1 - 0.999 ** t) ** 0.5).add_(1e-8)
        theta.addcdiv_(m, denom, value=-lr / (1 - 0.9 ** t))

    return step


def rate(step, R, steps, repeats):
    for _ in range(20):
        step()  # warm-up
    rates = []
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(steps):
            step()
        rates.append(steps * R / (time.process_time() - t0))
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = [("gd", 256, 16, False, 5e-2), ("adam", 100, 8, True, 1e-3)]
    for name, K, N, adam, lr in cases:
        P = 3 * K + 2
        flops = 12 * N * K + (12 if adam else 4) * P
        for precision, dtype in DTYPES.items():
            best = (0.0, None)
            for R in ((64, 256) if args.quick else (16, 64, 256, 1024)):
                for variant in ("broadcast", "bmm"):
                    steps = max(20, int(2e7 / (R * flops)))
                    r = rate(make_step(R, K, N, dtype, adam, lr, 1e-2, variant), R, steps,
                             1 if args.quick else 3)
                    print(f"torch {name:4} {precision:6} R = {R:5} {variant:9}: {r:.4g} replica-steps/s")
                    best = max(best, (r, (R, variant)), key=lambda q: q[0])
            r, (R, variant) = best
            print(f"torch {name:4} {precision:6} best R = {R}, {variant}: {r:.4g} replica-steps/s, "
                  f"{100 * r * flops / PEAK[precision]:.2f}% of peak")
            print(f"RESULT {name} {precision} {r:.6g} {r * flops / 1e9:.6g} {100 * r * flops / PEAK[precision]:.4g}")


if __name__ == "__main__":
    main()
