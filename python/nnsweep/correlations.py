"""The ``correlations`` figure (Hanin 2022): L/n is the effective depth of a random network."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter

from .aggregate import aggregate
from .io import PathLike, as_dataset, replicates, to_dataframe
from .style import colours


def figure(path: PathLike | xr.Dataset, out_png: PathLike) -> Path:
    """Hanin's claim: L/n is the effective depth of a random network.

    Panel (a) the normalised 4th output cumulant ``kappa4``, panel (b) the gradient-norm ratio
    ``g4_ratio``, both against L/n (``l_over_n``, or depth/width when the file has no such
    column). Markers: Monte Carlo mean ± sem over seeds per cell, one colour per activation.
    Lines: the theory, one thin line per series of cells that differ only in depth (e.g. one
    per (activation, width)) sorted by L/n — the exact ReLU prediction Π(1+5/n)−1 depends on L
    and n separately, so cells with equal L/n need not share a theory value.
    """
    ds = as_dataset(path)
    df = to_dataframe(ds)
    missing = [c for c in ("kappa4", "g4_ratio") if c not in df.columns]
    if missing:
        raise ValueError(f"not a correlations file: no {', '.join(missing)} column")
    if "l_over_n" not in df.columns:
        df["l_over_n"] = df["depth"] / df["width"]
    by = [p for p in df.attrs["swept"] if p not in replicates(df)]
    cells = aggregate(df, by=by, metrics=["kappa4", "g4_ratio"])
    if "activation" not in cells.columns:
        cells["activation"] = df["activation"].iloc[0]

    fig = Figure(figsize=(12, 5), layout="constrained")
    for ax, letter, metric in zip(fig.subplots(1, 2), "ab", ("kappa4", "g4_ratio")):
        _metric_vs_l_over_n(ax, cells, metric, series=[p for p in by if p != "depth"])
        ax.set_title(f"({letter}) {_label(ds, metric)}")
        ax.set_xlabel(_label(ds, "l_over_n") if "l_over_n" in ds else "L/n = depth / width")
        ax.set_ylabel(_label(ds, metric))
    done = int(cells["n_done"].sum())
    fig.suptitle(f"{ds.attrs['experiment']}: {len(cells)} cells, {done} of {len(df)} tasks done, "
                 f"≤ {int(cells['kappa4_count'].max())} seeds per cell")
    out_png = Path(out_png)
    fig.savefig(out_png, dpi=120)
    return out_png


def _metric_vs_l_over_n(ax: Axes, cells: pd.DataFrame, metric: str, series: list[str]) -> None:
    """Monte Carlo markers per activation and theory lines per series on one panel."""
    colour = colours(sorted(cells["activation"].unique()))
    for activation, group in cells.groupby("activation"):
        ax.errorbar(group["l_over_n"], group[f"{metric}_mean"], yerr=group[f"{metric}_sem"],
                    fmt="o", ms=4, capsize=2, color=colour[activation], label=str(activation))
    theory = f"{metric}_theory"
    if theory in cells.columns:
        for rows in (cells.groupby(series).groups.values() if series else [cells.index]):
            line = cells.loc[rows].dropna(subset=[theory]).sort_values("l_over_n")
            if len(line):
                ax.plot(line["l_over_n"], line[theory], "-", marker="_", lw=0.8,
                        color=colour[line["activation"].iloc[0]])
        handles, _ = ax.get_legend_handles_labels()
        handles.append(Line2D([], [], color="0.3", lw=0.8, marker="_", label="theory"))
        ax.legend(handles=handles)
    else:
        ax.legend()
    for axis, values in (("x", cells["l_over_n"]),
                         ("y", cells.filter(items=[f"{metric}_mean", theory]).stack())):
        finite = values[np.isfinite(values)]
        if len(finite) and (finite > 0).all():
            getattr(ax, f"set_{axis}scale")("log")
            if finite.max() < 10 * finite.min():  # less than a decade: label minor ticks too
                scale = getattr(ax, f"{axis}axis")
                scale.set_major_formatter(FormatStrFormatter("%g"))
                scale.set_minor_formatter(FormatStrFormatter("%g"))
    ax.grid(True, which="major", alpha=0.3)


def _label(ds: xr.Dataset, name: str) -> str:
    """Axis label from a column's ``long_name`` and ``units`` (units "1" omitted)."""
    attrs = ds[name].attrs if name in ds.variables else {}
    label = attrs.get("long_name") or name
    units = attrs.get("units", "1")
    return label if units == "1" else f"{label} [{units}]"
