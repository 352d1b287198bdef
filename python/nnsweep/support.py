"""The ``support`` figure (Beneventano, Pinto & Poggio 2024).

Mini-batch SGD drives the first-layer weights on irrelevant inputs to zero; full-batch GD fits
the target but keeps them. The figure shows, for ``model = mlp`` files:

(a) the irrelevant weight norm I(t)/I(0) against optimizer steps (log x), one line per batch size
    (median over the replicas — seeds and batch seeds — with the 10–90 % band), at the reference
    learning rate;
(b) ρ = I(T)/I(0) against η/b (``lr_over_batch``, log x), one line per learning rate, one point
    per batch size (mean ± sd over the replicas; full-batch GD at its η/N);

and for ``model = toy`` files: (a) the gap D = a² − b² against steps per batch size, (b) the
measured decay rate of D against the η/b law (``theory_decay_rate``), with the diagonal.
Parameters swept besides batch, steps and lr are held at their middle value; only tasks with
status done are used.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .io import DONE, PathLike, as_dataset, replicates, to_dataframe
from .style import colours

#: the band (first, last) and line (middle) of the curves, as quantiles over replicas
QUANTILES = (0.1, 0.5, 0.9)
#: swept parameters that the figure shows (the others are held at their middle value)
SHOWN = ("batch", "steps", "lr")


def _held(df: pd.DataFrame) -> dict:
    """Value of every swept parameter not shown (and no replicate axis) to hold it at."""
    out = {}
    for p in df.attrs.get("swept", []):
        if p in replicates(df) or p in SHOWN:
            continue
        values = sorted(df[p].unique())
        out[p] = values[len(values) // 2]
    return out


def _mask(df: pd.DataFrame, fixed: dict) -> np.ndarray:
    mask = df["status"] == DONE
    for p, v in fixed.items():
        mask &= df[p] == v
    return mask.values


def reference_lr(df: pd.DataFrame) -> float:
    """The learning rate of panel (a): 0.1 (the paper's) when swept, else the middle value."""
    values = sorted(df["lr"].unique())
    return 0.1 if 0.1 in values else values[len(values) // 2]


def curve_quantiles(path_or_ds: PathLike | xr.Dataset, curve: str = "irrelevant_norm",
                    normalise: bool = True) -> dict:
    """Per batch size: (steps, quantiles over replicas × points) of ``curve_<curve>`` at the
    reference learning rate, divided by its value at step 0 when ``normalise``."""
    ds = as_dataset(path_or_ds)
    df = to_dataframe(ds)
    values, steps = ds[f"curve_{curve}"].values, ds["curve_step"].values
    fixed = {**_held(df), "lr": reference_lr(df)}
    out = {}
    for batch in sorted(df["batch"].unique()):
        mask = _mask(df, {**fixed, "batch": batch})
        if not mask.any():
            continue
        x = steps[np.flatnonzero(mask)[0]]
        keep = np.isfinite(x)
        y = values[mask][:, keep]
        if normalise:
            y = y / y[:, :1]
        out[int(batch)] = (x[keep], np.nanquantile(y, QUANTILES, axis=0))
    return out


def rho_against_lr_over_batch(path_or_ds: PathLike | xr.Dataset) -> pd.DataFrame:
    """Mean, sd and count over replicas of ``rho`` per (lr, batch), with ``lr_over_batch``."""
    df = to_dataframe(path_or_ds)
    rows = df[_mask(df, _held(df))]
    stats = rows.groupby(["lr", "batch"]).agg(lr_over_batch=("lr_over_batch", "first"),
                                              mean=("rho", "mean"), sd=("rho", "std"),
                                              count=("rho", "count"))
    return stats.reset_index()


def build(path: PathLike | xr.Dataset, x: str | None = None, hue: str | None = None,
          metrics: Sequence[str] | None = None) -> Figure:
    """The figure described in the module docstring, as a matplotlib ``Figure`` (not saved). Its
    panels are fixed: ``x``, ``hue`` and ``metrics`` are refused."""
    chosen = {k: v for k, v in (("x", x), ("hue", hue), ("metrics", metrics)) if v}
    if chosen:
        raise ValueError(f"the support figure has fixed panels: no --{', --'.join(chosen)}")
    ds = as_dataset(path)
    missing = [c for c in ("rho", "curve_irrelevant_norm", "curve_step", "lr_over_batch") if c not in ds]
    if missing:
        raise ValueError(f"not a support file: no {', '.join(missing)} column")
    df = to_dataframe(ds)
    toy = "model" in df and (df["model"] == "toy").any()
    fig = Figure(figsize=(13, 5), layout="constrained")
    left, right = fig.subplots(1, 2)
    if toy:
        _toy(left, right, ds, df)
    else:
        _curves(left, ds, df)
        _rho(right, ds)
    held = ", ".join(f"{p} = {v}" for p, v in _held(df).items())
    done = int((df["status"] == DONE).sum())
    fig.suptitle(f"support ({'toy' if toy else 'mlp'}): {done} of {len(df)} tasks done, "
                 f"{len(df) // max(1, df.groupby(['lr', 'batch']).ngroups)} replicas per point"
                 f"{'; ' + held if held else ''}")
    return fig


def figure(path: PathLike | xr.Dataset, out: PathLike, x: str | None = None,
           hue: str | None = None, metrics: Sequence[str] | None = None,
           dpi: float | None = None) -> Path:
    """Draws :func:`build` into ``out`` (PNG, PDF or SVG by its suffix); returns its path."""
    fig = build(path, x=x, hue=hue, metrics=metrics)
    out = Path(out)
    fig.savefig(out, dpi=dpi or 110)
    return out


def _batch_label(batch: int, df: pd.DataFrame) -> str:
    points = 2 * df["n_train"].max() if "n_train" in df else None
    return f"GD (b = {batch})" if points is not None and batch >= points else f"b = {batch}"


def _curves(ax: Axes, ds: xr.Dataset, df: pd.DataFrame) -> None:
    curves = curve_quantiles(ds)
    colour = colours(list(curves))
    for batch, (steps, q) in curves.items():
        ax.fill_between(steps, q[0], q[2], color=colour[batch], alpha=0.2, lw=0)
        ax.plot(steps, q[1], color=colour[batch], label=_batch_label(batch, df))
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("step")
    ax.set_ylabel("I(t) / I(0)")
    ax.set_title(f"(a) irrelevant weight norm, lr = {reference_lr(df):g}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def _rho(ax: Axes, ds: xr.Dataset) -> None:
    stats = rho_against_lr_over_batch(ds)
    colour = colours(sorted(stats["lr"].unique()))
    for lr, rows in stats.groupby("lr"):
        rows = rows.sort_values("lr_over_batch")
        ax.errorbar(rows["lr_over_batch"], rows["mean"], yerr=rows["sd"].fillna(0), fmt="o-", ms=4,
                    capsize=2, color=colour[lr], label=f"lr = {lr:g}")
    ax.set_xscale("log")
    ax.set_xlabel("lr / b")
    ax.set_ylabel("ρ = I(T) / I(0)")
    ax.set_title("(b) final irrelevant norm ratio against lr/b")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def _toy(left: Axes, right: Axes, ds: xr.Dataset, df: pd.DataFrame) -> None:
    curves = curve_quantiles(ds, "toy_gap", normalise=False)
    colour = colours(list(curves))
    for batch, (steps, q) in curves.items():
        left.fill_between(steps, q[0], q[2], color=colour[batch], alpha=0.2, lw=0)
        left.plot(steps, q[1], color=colour[batch], label=f"b = {batch}")
    left.set_xscale("symlog", linthresh=1)
    left.set_xlabel("step")
    left.set_ylabel("D = a² − b²")
    left.set_title(f"(a) toy gap, lr = {reference_lr(df):g}")
    left.legend(fontsize=8)
    rows = df[_mask(df, _held(df))]
    rows = rows[rows["theory_decay_rate"] > 0]
    right.loglog(rows["theory_decay_rate"], rows["decay_rate"], "o", ms=3)
    if len(rows):
        lo, hi = rows["theory_decay_rate"].min(), rows["theory_decay_rate"].max()
        right.plot([lo, hi], [lo, hi], "k--", lw=1, label="measured = η/b law")
        right.legend(fontsize=8)
    right.set_xlabel("η/b law: 4η² Var(rx)(n − b)/(b(n − 1))")
    right.set_ylabel("measured decay rate of D")
    right.set_title("(b) decay rate against the η/b law")
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
