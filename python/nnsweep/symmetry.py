"""The ``symmetry`` figure (Şimşek et al. 2021).

Two-layer students of width m = r* + h learning a width-r* teacher, trained and then polished
to a critical point. The figure shows

(a) the fraction of students on the global-minima manifold (``on_manifold``) against h, one line
    per teacher width r*, with 95 % Wilson intervals (pooled over the replicate axes: seeds and
    teacher seeds);
(b) the exact counts T(r*, m) (global-minima subspaces, solid) and G(r* − 1, m) (subspaces of
    symmetry-induced critical points from one width-(r* − 1) critical point, dashed) against h on
    a log axis, from ``log10_T`` and ``log10_G``;
(c) where the students stopped, against h (all r* pooled): on the manifold; off it at a local
    minimum of the polished loss (no negative Hessian eigenvalue); at a saddle; polish not
    converged (budget, channel or non-finite).

Only tasks with status done are used.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from .io import DONE, PathLike, as_dataset, to_dataframe
from .style import colours

#: end-point classes of panel (c), in stacking order
CLASSES = ["on manifold", "local minimum", "saddle", "not converged"]


def wilson(k: np.ndarray, n: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval (low, high) of k successes in n trials."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    p = k / n
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z2n)
    return centre - half, centre + half


def classes(df: pd.DataFrame) -> pd.Series:
    """The end-point class of each task (``CLASSES``)."""
    out = pd.Series("saddle", index=df.index)
    out[df["hessian_negative"] == 0] = "local minimum"
    if "polish_outcome" in df:
        out[df["polish_outcome"].notna() & (df["polish_outcome"] != 0)] = "not converged"
    out[df["on_manifold"] == 1] = "on manifold"
    return out


def fractions(path_or_ds: PathLike | xr.Dataset) -> pd.DataFrame:
    """Per (r*, h): students ``n``, on the manifold ``k``, the fraction and its Wilson interval,
    the fraction at zero loss, log10 T and log10 G, and the fraction of each end-point class."""
    df = to_dataframe(path_or_ds)
    df = df[df["status"] == DONE].copy()
    df["h"] = df["width"] - df["teacher_width"]
    df["class"] = classes(df)
    rows = []
    for (r, h), g in df.groupby(["teacher_width", "h"]):
        n, k = len(g), int((g["on_manifold"] == 1).sum())
        low, high = wilson(k, n)
        row = {"teacher_width": r, "h": h, "n": n, "k": k, "fraction": k / n, "low": float(low),
               "high": float(high), "zero_loss": float((g["zero_loss"] == 1).mean()),
               "log10_T": float(g["log10_T"].iloc[0]), "log10_G": float(g["log10_G"].iloc[0])}
        for c in CLASSES:
            row[c] = float((g["class"] == c).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def build(path: PathLike | xr.Dataset, x: str | None = None, hue: str | None = None,
          metrics: Sequence[str] | None = None) -> Figure:
    """The figure described in the module docstring, as a matplotlib ``Figure`` (not saved). Its
    panels are fixed: ``x``, ``hue`` and ``metrics`` are refused."""
    chosen = {k: v for k, v in (("x", x), ("hue", hue), ("metrics", metrics)) if v}
    if chosen:
        raise ValueError(f"the symmetry figure has fixed panels: no --{', --'.join(chosen)}")
    ds = as_dataset(path)
    table = fractions(ds)
    if table.empty:
        raise ValueError("symmetry figure: no finished task in the file")
    fig = Figure(figsize=(15, 4.6), constrained_layout=True)
    axes = fig.subplots(1, 3)
    widths = sorted(table["teacher_width"].unique())
    colour = colours(widths)
    for r in widths:
        t = table[table["teacher_width"] == r].sort_values("h")
        c = colour[r]
        axes[0].plot(t["h"], t["fraction"], "o-", color=c, label=f"r* = {r}")
        axes[0].fill_between(t["h"], t["low"], t["high"], color=c, alpha=0.2)
        axes[1].plot(t["h"], t["log10_T"], "o-", color=c, label=f"T(r*, m), r* = {r}")
        axes[1].plot(t["h"], t["log10_G"], "s--", color=c, label=f"G(r*-1, m), r* = {r}")
    axes[0].set(xlabel="h = m - r*", ylabel="fraction on the global-minima manifold",
                ylim=(-0.02, 1.02), title="(a) students reaching the manifold (95% Wilson)")
    axes[0].legend()
    axes[1].set(xlabel="h = m - r*", ylabel="log10 count",
                title="(b) T (minima) and G (critical points) subspaces")
    axes[1].legend(fontsize=7)
    pooled = table.groupby("h").apply(
        lambda g: pd.Series({c: np.average(g[c], weights=g["n"]) for c in CLASSES}))
    bottom = np.zeros(len(pooled))
    shades = colours(CLASSES)
    for c in CLASSES:
        axes[2].bar(pooled.index, pooled[c], bottom=bottom, color=shades[c], label=c)
        bottom += pooled[c].to_numpy()
    axes[2].set(xlabel="h = m - r*", ylabel="fraction of students",
                title="(c) end points (all r* pooled)")
    axes[2].legend(fontsize=8)
    fig.suptitle(f"symmetry: {int(table['n'].sum())} students (Simsek et al. 2021)")
    return fig


def figure(path: PathLike | xr.Dataset, out: PathLike, x: str | None = None,
           hue: str | None = None, metrics: Sequence[str] | None = None,
           dpi: float | None = None) -> Path:
    """Draws :func:`build` into ``out`` (PNG, PDF or SVG by its suffix); returns its path."""
    fig = build(path, x=x, hue=hue, metrics=metrics)
    out = Path(out)
    fig.savefig(out, dpi=dpi or 110)
    return out
