"""The ``splines`` figure (Parhi & Nowak 2021/22): ReLU networks trained with weight decay learn
sparse linear splines, and deep ones low-rank layers.

- (a) the learned function ``function`` over ``function_x`` with the training data
  (``data_x``, ``data_y``) and its effective knots (``knot_location``) marked, one line per λ,
  for one seed (the first) of the reference shallow cell;
- (b) J/J* (``objective_ratio``, J* the exact optimum of each task's data) against λ, one line
  per width K (median over seeds, 10–90 % band);
- (c) effective knots (``knots_effective``) against λ per width (median and band), with the
  sparsest knot count of the optimum (``theory_knots``, median) dashed;
- (d) for deep cells (depth > 2): stable rank of each layer (``stable_rank``) against λ (median
  and band over seeds).

Shallow panels use the one-hidden-layer cells (depth 2) of the most common reg_mode (pn when
present); λ = 0 is drawn at the left edge of the log axis (b has no λ = 0: J* = 0 there). Other
swept parameters (d, N, steps, ...) are held at their most common value among those cells.
Only tasks with status done are used.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .io import DONE, PathLike, as_dataset, to_dataframe
from .style import colours

#: the band (first, last) and line (middle), as quantiles over seeds
QUANTILES = (0.1, 0.5, 0.9)
#: columns the figure reads
COLUMNS = ["objective_ratio", "knots_effective", "theory_knots", "stable_rank", "function",
           "function_x", "data_x", "data_y", "knot_location"]
#: the experiment's defaults (src/experiments/splines.cpp; "auto" where it derives the value)
DEFAULTS = {"width": 100, "depth": 2, "d": 1, "n_points": 8, "wd": "auto", "wd_rel": "auto",
            "reg_mode": "pn", "optimizer": "adam", "lr": "auto", "steps": 20000, "data": "grid",
            "init_scale": 1.0, "log_points": 30, "grid_points": 101, "precision": "double"}


def shallow_cells(df: pd.DataFrame) -> pd.Series:
    """Done one-hidden-layer tasks on a line, of the preferred reg_mode, the other swept
    parameters (but width, wd, seed) at their most common value."""
    mask = (df["status"] == DONE) & (df["depth"] == 2) & (df["data"] != "index")
    if not mask.any():
        return mask
    modes = df.loc[mask, "reg_mode"]
    mode = "pn" if (modes == "pn").any() else modes.mode().iloc[0]
    mask &= df["reg_mode"] == mode
    for p in df.attrs.get("swept", []):
        if p in ("width", "wd", "seed", "reg_mode", "depth", "data"):
            continue
        mask &= df[p] == df.loc[mask, p].mode().iloc[0]
    return mask


def lambda_axis(values: np.ndarray) -> tuple[np.ndarray, float]:
    """λ for a log axis: 0 drawn at a tenth of the smallest positive λ (returned second)."""
    values = np.asarray(values, dtype=float)
    positive = values[values > 0]
    zero_at = positive.min() / 10 if positive.size else 1e-6
    return np.where(values > 0, values, zero_at), zero_at


def quantiles_by(df: pd.DataFrame, mask: pd.Series, value: pd.Series, by: str, x: str = "lambda",
                 quantiles=QUANTILES) -> dict:
    """Per value of ``by``: (sorted x, quantiles over seeds of ``value`` per x) over ``mask``."""
    out = {}
    rows = df[mask].assign(_value=value[mask])
    for group, g in rows.groupby(by):
        stats = g.groupby(x)["_value"].quantile(list(quantiles)).unstack()
        out[group] = (stats.index.to_numpy(dtype=float), stats.to_numpy().T)
    return out


def build(path: PathLike | xr.Dataset, x: str | None = None, hue: str | None = None,
          metrics: Sequence[str] | None = None) -> Figure:
    """The figure described in the module docstring, as a matplotlib ``Figure`` (not saved). Its
    panels are fixed: ``x``, ``hue`` and ``metrics`` are refused."""
    chosen = {k: v for k, v in (("x", x), ("hue", hue), ("metrics", metrics)) if v}
    if chosen:
        raise ValueError(f"the splines figure has fixed panels: no --{', --'.join(chosen)}")
    ds = as_dataset(path)
    missing = [c for c in COLUMNS if c not in ds]
    if missing:
        raise ValueError(f"not a splines file: no {', '.join(missing)} column")
    df = to_dataframe(ds)
    fig = Figure(figsize=(13, 10), layout="constrained")
    axes = fig.subplots(2, 2)
    shallow = shallow_cells(df)
    _functions(axes[0, 0], ds, df, shallow)
    _ratio(axes[0, 1], df, shallow)
    _knots(axes[1, 0], df, shallow)
    _ranks(axes[1, 1], ds, df)
    done = int((df["status"] == DONE).sum())
    fig.suptitle(f"splines: {done} of {len(df)} tasks done, {df['seed'].nunique()} seeds")
    return fig


def figure(path: PathLike | xr.Dataset, out: PathLike, x: str | None = None,
           hue: str | None = None, metrics: Sequence[str] | None = None,
           dpi: float | None = None) -> Path:
    """Draws :func:`build` into ``out`` (PNG, PDF or SVG by its suffix); returns its path."""
    fig = build(path, x=x, hue=hue, metrics=metrics)
    out = Path(out)
    fig.savefig(out, dpi=dpi or 110)
    return out


def _functions(ax: Axes, ds: xr.Dataset, df: pd.DataFrame, shallow: pd.Series) -> None:
    ax.set_title("(a) learned function and its effective knots")
    if not shallow.any():
        return
    rows = df[shallow]
    width = 100 if (rows["width"] == 100).any() else rows["width"].mode().iloc[0]
    rows = rows[(rows["width"] == width) & (rows["seed"] == rows["seed"].min())]
    colour = colours(sorted(rows["lambda"].unique()))
    first = True
    for task, row in rows.sort_values("lambda").iterrows():
        t = int(row["task"]) if "task" in row else task
        x, f = ds["function_x"].values[t], ds["function"].values[t]
        knots = ds["knot_location"].values[t]
        knots = knots[np.isfinite(knots)]
        c = colour[row["lambda"]]
        ax.plot(x, f, color=c, lw=1.2, label=f"λ = {row['lambda']:g} ({len(knots)} knots)")
        ax.plot(knots, np.interp(knots, x, f), "v", color=c, ms=6)
        if first:
            ax.plot(ds["data_x"].values[t], ds["data_y"].values[t], "ko", ms=5, label="data")
            first = False
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title(f"(a) learned function (K = {width}), ▼ effective knots")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)


def _ratio(ax: Axes, df: pd.DataFrame, shallow: pd.Series) -> None:
    ax.set_title("(b) J / J* against λ (J*: exact optimum of each task's data)")
    mask = shallow & (df["lambda"] > 0)
    if not mask.any():
        return
    colour = colours(sorted(df.loc[mask, "width"].unique()))
    for width, (lam, q) in quantiles_by(df, mask, df["objective_ratio"] - 1, "width").items():
        ax.fill_between(lam, q[0], q[2], color=colour[width], alpha=0.2, lw=0)
        ax.plot(lam, q[1], "o-", color=colour[width], ms=4, label=f"K = {width}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("λ")
    ax.set_ylabel("J / J* − 1")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)


def _knots(ax: Axes, df: pd.DataFrame, shallow: pd.Series) -> None:
    ax.set_title("(c) effective knots against λ")
    if not shallow.any():
        return
    lam, zero_at = lambda_axis(df["lambda"].to_numpy())
    frame = df.assign(lambda_plot=lam)
    colour = colours(sorted(df.loc[shallow, "width"].unique()))
    for width, (x, q) in quantiles_by(frame, shallow, frame["knots_effective"], "width",
                                      x="lambda_plot").items():
        ax.fill_between(x, q[0], q[2], color=colour[width], alpha=0.2, lw=0)
        ax.plot(x, q[1], "o-", color=colour[width], ms=4, label=f"K = {width}")
    theory = quantiles_by(frame, shallow, frame["theory_knots"], "reg_mode", x="lambda_plot",
                          quantiles=(0.5,))
    for _, (x, q) in theory.items():
        ax.plot(x, q[0], "k--", lw=1.2, label="sparsest knots of the optimum (median)")
    ax.set_xscale("log")
    ax.axvline(zero_at, color="grey", lw=0.5)
    ax.set_xlabel(f"λ (λ = 0 drawn at {zero_at:g})")
    ax.set_ylabel("effective knots")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)


def _ranks(ax: Axes, ds: xr.Dataset, df: pd.DataFrame) -> None:
    ax.set_title("(d) deep nets: stable rank per layer against λ")
    deep = (df["status"] == DONE) & (df["depth"] > 2)
    if not deep.any():
        ax.text(0.5, 0.5, "no deep cells (depth > 2) in this sweep", ha="center",
                transform=ax.transAxes)
        return
    depth = int(df.loc[deep, "depth"].mode().iloc[0])
    deep &= df["depth"] == depth
    lam, zero_at = lambda_axis(df["lambda"].to_numpy())
    frame = df.assign(lambda_plot=lam)
    ranks = ds["stable_rank"].values
    colour = colours(list(range(depth)))
    for layer in range(depth):
        value = pd.Series(ranks[:, layer], index=df.index)
        for _, (x, q) in quantiles_by(frame, deep, value, "depth", x="lambda_plot").items():
            ax.fill_between(x, q[0], q[2], color=colour[layer], alpha=0.2, lw=0)
            ax.plot(x, q[1], "o-", color=colour[layer], ms=4, label=f"W_{layer + 1}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axvline(zero_at, color="grey", lw=0.5)
    ax.set_xlabel(f"λ (λ = 0 drawn at {zero_at:g})")
    ax.set_ylabel("stable rank ‖W‖²_F / ‖W‖²₂")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
