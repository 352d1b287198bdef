"""The ``linear_teacher`` figure (Sarussi, Brutzkus & Globerson 2021).

Two-layer Leaky-ReLU networks trained by SGD on linearly separable data end up with two tight
clusters of hidden units aligned with the teacher, hence a linear decision boundary. The figure
shows three measures of that picture:

- cluster cohesion ``cohesion_mean`` (1: each sign group is a single direction),
- teacher alignment ``align_mean``,
- linearity ``agr_g``: agreement of sign N(x) with the linear rule sign⟨w̄₊ − w̄₋, x⟩ on
  Gaussian probes (the boundary region),

(a–c) against epochs, from the ``curve_*`` columns, one line per initial scale σ₀ (median over
seeds, 10–90 % band); (d–f) their final values against σ₀, one line per leak α; (g–i) against
α, one line per σ₀ (mean ± 1 sem over seeds, as in every nnsweep figure). Parameters that are
swept but not plotted are held at a reference value: the experiment's default when the sweep
has it, else the middle value; the caption says which. Only tasks with status done are used.
Colours are fixed per value (by rank on one sequential map), markers per value of the line's
variable; labels are mathtext (nnsweep/style.py).
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
from .style import colours, markers

#: metric column → axis label
METRICS = {"cohesion_mean": "cluster cohesion", "align_mean": "teacher alignment",
           "agr_g": r"linearity $\mathrm{Agr}_G$"}
#: mathtext names of the variables
SYMBOLS = {"sigma0": r"$\sigma_0$", "alpha": r"$\alpha$"}
#: the band (first, last) and line (middle) of the curves, as quantiles over seeds
QUANTILES = (0.1, 0.5, 0.9)
#: the experiment's defaults (src/experiments/linear_teacher.cpp), used as reference values
DEFAULTS = {"width": 50, "depth": 2, "alpha": 0.1, "sigma0": 0.01, "gamma": 0.2, "d": 10,
            "n_train": 200, "n_test": 5000, "lr": 0.1, "batch": 1, "epochs": 200,
            "loss": "logistic", "second_layer": "fixed", "log_points": 30, "precision": "double"}


def reference_values(df: pd.DataFrame, keep: list[str]) -> dict:
    """Value of every swept parameter not in ``keep`` (and no replicate axis) to hold it at."""
    out = {}
    for p in df.attrs.get("swept", []):
        if p in replicates(df) or p in keep:
            continue
        values = sorted(df[p].unique())
        out[p] = DEFAULTS[p] if DEFAULTS.get(p) in values else values[len(values) // 2]
    return out


def _select(df: pd.DataFrame, fixed: dict) -> pd.Series:
    """Done tasks whose parameters equal ``fixed``."""
    mask = df["status"] == DONE
    for p, v in fixed.items():
        mask &= df[p] == v
    return mask


def final_values(path_or_ds: PathLike | xr.Dataset, x: str, metric: str, by: str | None = None) -> pd.DataFrame:
    """Mean, sd, count and sem (sd/√count) over seeds of ``metric`` per value of ``x`` (and of
    ``by``), the other swept parameters at their reference values. Columns: x, [by], mean, sd,
    count, sem."""
    return _final_values(to_dataframe(path_or_ds), x, metric, by)


def _final_values(df: pd.DataFrame, x: str, metric: str, by: str | None) -> pd.DataFrame:
    keys = [x] + ([by] if by else [])
    rows = df[_select(df, reference_values(df, keys))]
    stats = rows.groupby(keys)[metric].agg(["mean", "std", "count"]).rename(columns={"std": "sd"})
    stats["sem"] = stats["sd"] / np.sqrt(stats["count"])
    return stats.reset_index()


def curve_quantiles(path_or_ds: PathLike | xr.Dataset, metric: str, by: str | None = None,
                    quantiles=QUANTILES) -> dict:
    """Per value of ``by`` (None: one group): (epochs, array of the quantiles over seeds × points)
    of ``curve_<metric>``, the other swept parameters at their reference values."""
    ds = as_dataset(path_or_ds)
    return _curve_quantiles(ds, to_dataframe(ds), metric, by, quantiles)


def _curve_quantiles(ds: xr.Dataset, df: pd.DataFrame, metric: str, by: str | None, quantiles) -> dict:
    """:func:`curve_quantiles` with ``df = to_dataframe(ds)`` already made."""
    curve, epochs = ds[f"curve_{metric}"].values, ds["curve_epoch"].values
    out = {}
    groups = sorted(df[by].unique()) if by else [None]
    fixed = reference_values(df, [by] if by else [])
    for value in groups:
        mask = _select(df, {**fixed, **({by: value} if by else {})}).values
        if not mask.any():
            continue
        x = epochs[np.flatnonzero(mask)[0]]
        keep = np.isfinite(x)
        out[value] = (x[keep], np.nanquantile(curve[mask][:, keep], quantiles, axis=0))
    return out


def build(path: PathLike | xr.Dataset, x: str | None = None, hue: str | None = None,
          metrics: Sequence[str] | None = None) -> Figure:
    """The figure described in the module docstring as a ``Figure`` (not saved): one column per
    metric of ``metrics`` (default :data:`METRICS`). ``x`` and ``hue`` are fixed here (σ₀ and
    α); naming another raises ValueError. Artists carry gids: ``curve:<σ₀>``, ``band:<σ₀>``,
    ``final:<x>:<value>``, ``caption``."""
    for option, value in (("x", x), ("hue", hue)):
        if value not in (None, "sigma0", "alpha"):
            raise ValueError(f"--{option} {value}: linear_teacher's figure plots against sigma0 "
                             "and alpha only")
    ds = as_dataset(path)
    df = to_dataframe(ds)
    chosen = list(metrics or METRICS)
    unknown = [m for m in chosen if m not in ds]
    missing = [c for c in [*chosen, *(f"curve_{m}" for m in chosen), "curve_epoch"] if c not in ds]
    if missing:
        raise ValueError(f"not a linear_teacher file with {', '.join(unknown or missing)}: "
                         f"no {', '.join(missing)} column")
    fig = Figure(figsize=(5 * len(chosen) + 1.5, 12), layout="constrained")
    axes = fig.subplots(3, len(chosen), squeeze=False)
    sigma0s, alphas = sorted(df["sigma0"].unique()), sorted(df["alpha"].unique())
    for col, metric in enumerate(chosen):
        label = METRICS.get(metric, str(ds[metric].attrs.get("long_name", metric)))
        letters = "abcdefghijklmnopqrstuvwxyz"
        _curves(axes[0, col], ds, df, metric, sigma0s)
        axes[0, col].set_title(f"({letters[col]}) {label}", loc="left")
        _final(axes[1, col], df, "sigma0", metric, "alpha", alphas)
        axes[1, col].set_title(f"({letters[len(chosen) + col]}) final {label} vs $\\sigma_0$",
                               loc="left")
        _final(axes[2, col], df, "alpha", metric, "sigma0", sigma0s)
        axes[2, col].set_title(f"({letters[2 * len(chosen) + col]}) final {label} vs $\\alpha$",
                               loc="left")
        for row in range(3):
            axes[row, col].set_ylabel(label)
            axes[row, col].grid(True, alpha=0.3)
    fixed = reference_values(df, ["sigma0", "alpha"])
    held = ", ".join(f"{p} = {v}" for p, v in fixed.items())
    done = df[df["status"] == DONE]
    keys = [p for p in df.attrs.get("swept", []) if p not in replicates(df)]
    seeds = done.groupby(keys).size() if keys else pd.Series([len(done)])
    caption = fig.supxlabel(
        "Top row: median over seeds, band 10–90 % of seeds. Other rows: mean over seeds, error "
        f"bars ±1 standard error of the mean (sem over seeds; {seeds.min() if len(seeds) else 0}"
        f"–{seeds.max() if len(seeds) else 0} done seeds per point)."
        + (f"\nHeld fixed: {held}." if held else ""), fontsize=8, x=0.0, ha="left",
        multialignment="left")
    caption.set_gid("caption")
    return fig


def figure(path: PathLike | xr.Dataset, out: PathLike, x: str | None = None,
           hue: str | None = None, metrics: Sequence[str] | None = None,
           dpi: float | None = None) -> Path:
    """Draws :func:`build` into ``out`` (PNG, PDF or SVG by its suffix); returns its path."""
    fig = build(path, x=x, hue=hue, metrics=metrics)
    out = Path(out)
    fig.savefig(out, dpi=dpi or 110)
    return out


def _curves(ax: Axes, ds: xr.Dataset, df: pd.DataFrame, metric: str, sigma0s: list) -> None:
    colour = colours(sigma0s, "sigma0")
    for sigma0, (epochs, q) in _curve_quantiles(ds, df, metric, "sigma0", QUANTILES).items():
        band = ax.fill_between(epochs, q[0], q[2], color=colour[sigma0], alpha=0.2, lw=0)
        band.set_gid(f"band:{sigma0:g}")
        line, = ax.plot(epochs, q[1], color=colour[sigma0], label=f"$\\sigma_0 = {sigma0:g}$")
        line.set_gid(f"curve:{sigma0:g}")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("epoch")
    ax.legend(fontsize=8)


def _final(ax: Axes, df: pd.DataFrame, x: str, metric: str, by: str, values: list) -> None:
    colour = colours(values, by)
    marker = markers(values)
    stats = _final_values(df, x, metric, by)
    for value, rows in stats.groupby(by):
        bars = ax.errorbar(rows[x], rows["mean"], yerr=rows["sem"].fillna(0), fmt="-",
                           marker=marker[value], ms=4, capsize=2, color=colour[value],
                           label=f"{SYMBOLS[by][:-1]} = {value:g}$")
        bars.lines[0].set_gid(f"final:{x}:{value:g}")
    if x == "sigma0" and (stats[x] > 0).all() and stats[x].nunique() > 1:
        ax.set_xscale("log")
    ax.set_xlabel(f"{SYMBOLS[x]} (initial scale)" if x == "sigma0" else f"{SYMBOLS[x]} (leak)")
    ax.legend(fontsize=8)
