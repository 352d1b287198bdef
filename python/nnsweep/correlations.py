"""The ``correlations`` figure (Hanin 2022): L/n is the effective depth of a random network.

Conventions (nnsweep/style.py): one fixed colour per activation, one marker per width, theory
solid where exact and dashed where approximate, cells whose Monte Carlo is unresolved hollow;
the caption says what the error bars are.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter

from .aggregate import aggregate
from .io import PathLike, as_dataset, replicates, to_dataframe
from .style import THEORY_WORDS, colours, is_exact, markers, theory_style

#: mathtext labels of the metrics and axes
LABELS = {
    "k2": r"$\mathbb{E}\,z^2$",
    "r4": r"$\mathbb{E}\,z^4 / 3(\mathbb{E}\,z^2)^2$",
    "kappa4": r"$\kappa_4 / 3\kappa_2^2$",
    "z4_ratio": r"$\overline{z^4} / 3(\overline{z^2})^2$ (raw)",
    "corr22": r"$\mathrm{Cov}(z_i^2, z_j^2) / (\mathbb{E}\,z^2)^2$",
    "dz2": r"$\mathbb{E}\,(\partial z/\partial x_1)^2$",
    "rv4": r"$\mathbb{E}\,v^4 / 3(\mathbb{E}\,v^2)^2$",
    "g2": r"$\mathbb{E}\,\|\nabla_x z\|^2$",
    "g4_ratio": r"$\mathbb{E}\,\|\nabla_x z\|^4 / (\mathbb{E}\,\|\nabla_x z\|^2)^2$",
    "l_over_n": r"effective depth $L/n$  ($\Sigma_\ell\, 1/n_\ell$)",
    "depth": r"depth $L$",
    "width": r"width $n$",
}
DEFAULT_METRICS = ("kappa4", "g4_ratio")


def build(path: PathLike | xr.Dataset, x: str | None = None, hue: str | None = None,
          metrics: Sequence[str] | None = None) -> Figure:
    """The figure as a matplotlib ``Figure`` (not saved): one panel per metric (default
    ``kappa4`` and ``g4_ratio``) against ``x`` (default ``l_over_n``; or any swept parameter),
    colour by ``hue`` (default ``activation``), marker by width. Points: Monte Carlo mean over
    the cell's seeds ± 1 sem; hollow where the cell is unresolved. Lines: the theory, one per
    series of cells that differ only along ``x`` (the exact ReLU prediction Π(1+5/n)−1 depends on
    L and n separately, so cells with equal L/n need not share a value), solid where exact,
    dashed where approximate.

    Artists carry gids for tests and tools: ``data:<hue>:<width>:<trust>``,
    ``theory:<kind>:<hue>``, ``caption``.
    """
    ds = as_dataset(path)
    df = to_dataframe(ds)
    metrics = list(metrics or DEFAULT_METRICS)
    missing = [c for c in metrics if c not in df.columns]
    if missing:
        raise ValueError(f"not a correlations file with {', '.join(missing)}: no such column")
    if "l_over_n" not in df.columns:
        df["l_over_n"] = df["depth"] / df["width"]
    by = [p for p in df.attrs["swept"] if p not in replicates(df)]
    x = x or "l_over_n"
    if x != "l_over_n" and x not in by:
        raise ValueError(f"--x {x}: not a swept parameter (swept: {', '.join(by) or 'none'}; "
                         "or l_over_n)")
    hue = hue or "activation"
    if hue not in df.columns:
        raise ValueError(f"--hue {hue}: no such parameter")
    cells = aggregate(df, by=by, metrics=metrics)
    for p in (hue, "width"):
        if p not in cells.columns:
            cells[p] = df[p].iloc[0]
    if x not in cells.columns:
        cells[x] = df[x].iloc[0]
    along = "depth" if x == "l_over_n" else x
    series = [p for p in by if p != along]

    colour = colours(cells[hue].unique(), hue)
    marker = markers(cells["width"].unique())
    columns = min(len(metrics), 3)
    rows = -(-len(metrics) // columns)
    fig = Figure(figsize=(5.2 * columns + 2.2, 4.4 * rows + 1.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    kinds, unresolved = set(), False
    for i, (ax, metric) in enumerate(zip(axes, metrics)):
        k, u = _panel(ax, cells, metric, x, hue, series, colour, marker)
        kinds |= k
        unresolved |= u
        ax.set_title(f"({'abcdefghi'[i]})", loc="left")
        ax.set_xlabel(LABELS.get(x, x))
        ax.set_ylabel(LABELS.get(metric, _label(ds, metric)))
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    axes[len(metrics) - 1].legend(handles=_legend(colour, marker, hue, kinds, unresolved),
                                  loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                                  frameon=False)
    caption = fig.supxlabel(_caption(kinds, unresolved), fontsize=8, x=0.0, ha="left",
                            multialignment="left")
    caption.set_gid("caption")
    return fig


def figure(path: PathLike | xr.Dataset, out: PathLike, x: str | None = None,
           hue: str | None = None, metrics: Sequence[str] | None = None,
           dpi: float | None = None) -> Path:
    """Hanin's claim: L/n is the effective depth of a random network. Draws :func:`build`
    into ``out`` (PNG, PDF or SVG by its suffix); returns its path."""
    fig = build(path, x=x, hue=hue, metrics=metrics)
    out = Path(out)
    fig.savefig(out, dpi=dpi or 150)
    return out


def _panel(ax: Axes, cells: pd.DataFrame, metric: str, x: str, hue: str, series: list[str],
           colour: dict, marker: dict) -> tuple[set, bool]:
    """Monte Carlo points per (hue, width) and theory lines per series on one panel; returns the
    theory kinds drawn and whether a point was unresolved."""
    mean, sem, trust = (f"{metric}_{s}" for s in ("mean", "sem", "trust"))
    unresolved = False
    measured = cells[np.isfinite(cells[mean].astype(float))]
    for (h, width), group in measured.groupby([hue, "width"], sort=True):
        for ok, points in group.groupby(group[trust].isin(["ok", "proportion"])):
            if not len(points):
                continue
            unresolved |= not ok
            bars = ax.errorbar(points[x], points[mean], yerr=points[sem], fmt=marker[width],
                               ms=5, capsize=2, elinewidth=0.8, color=colour[h],
                               mfc=colour[h] if ok else "none", mew=1.0, ls="none")
            bars.lines[0].set_gid(f"data:{h}:{width}:{'ok' if ok else 'unresolved'}")
    theory, kind = f"{metric}_theory", f"{metric}_theory_kind"
    kinds = set()
    if theory in cells.columns:
        groups = cells.groupby(series).groups.values() if series else [cells.index]
        for rows in groups:
            line = cells.loc[rows].dropna(subset=[theory]).sort_values(x)
            if not len(line):
                continue
            names = set(line[kind]) - {"", "none"} if kind in line.columns else {"exact"}
            k = names.pop() if len(names) == 1 else "mixed"
            kinds.add(k)
            drawn, = ax.plot(line[x], line[theory], ls=theory_style(k), lw=1.0,
                             color=colour[line[hue].iloc[0]], zorder=1)
            drawn.set_gid(f"theory:{k}:{line[hue].iloc[0]}")
    values = cells.filter(items=[mean, theory]).stack()
    for axis, v in (("x", cells[x]), ("y", values)):
        v = pd.to_numeric(v, errors="coerce")
        finite = v[np.isfinite(v)]
        if len(finite) and (finite > 0).all():
            getattr(ax, f"set_{axis}scale")("log")
            if finite.max() < 10 * finite.min():  # less than a decade: label minor ticks too
                scale = getattr(ax, f"{axis}axis")
                scale.set_major_formatter(FormatStrFormatter("%g"))
                scale.set_minor_formatter(FormatStrFormatter("%g"))
    ax.grid(True, which="major", alpha=0.3)
    return kinds, unresolved


def _legend(colour: dict, marker: dict, hue: str, kinds: set, unresolved: bool) -> list:
    handles = [Line2D([], [], ls="none", marker="o", color=c, label=f"{hue} = {h}")
               for h, c in colour.items()]
    handles += [Line2D([], [], ls="none", marker=m, color="0.35", label=f"width {w}")
                for w, m in marker.items()]
    if any(is_exact(k) for k in kinds):
        handles.append(Line2D([], [], ls="-", color="0.2", label="theory, exact"))
    approximate = sorted(k for k in kinds if not is_exact(k))
    if approximate:
        words = ", ".join(THEORY_WORDS.get(k, k) for k in approximate)
        handles.append(Line2D([], [], ls="--", color="0.2", label=f"theory, {words}"))
    if unresolved:
        handles.append(Line2D([], [], ls="none", marker="o", mfc="none", color="0.35",
                              label="unresolved (see caption)"))
    return handles


def _caption(kinds: set, unresolved: bool) -> str:
    text = ("Points: Monte Carlo mean over the cell's seeds; error bars ±1 standard error of that "
            "mean (sem over seeds: the larger of their spread and their own Monte Carlo errors).")
    if unresolved:
        text += ("\nHollow points: unresolved — in some seed one network carries more than half "
                 "of the estimator, so the mean is biased low and its error bar means nothing.")
    if kinds:
        approximate = sorted(THEORY_WORDS.get(k, k) for k in kinds if not is_exact(k))
        text += "\nLines: theory; solid exact" + (
            f", dashed approximate ({', '.join(approximate)} in 1/n)." if approximate else ".")
    return text


def _label(ds: xr.Dataset, name: str) -> str:
    """Axis label from a column's ``long_name`` and ``units`` (units "1" omitted)."""
    attrs = ds[name].attrs if name in ds.variables else {}
    label = attrs.get("long_name") or name
    units = attrs.get("units", "1")
    return label if units == "1" else f"{label} [{units}]"
