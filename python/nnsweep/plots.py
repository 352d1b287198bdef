"""Figures, one module per experiment: ``nnsweep/<experiment>.py`` with a function
``figure(path_or_dataset, out_png) -> Path``; :func:`plot` picks it by the file's
``experiment`` attribute, so a new experiment's figure needs no line here.

Figures are drawn on a bare ``matplotlib.figure.Figure`` (Agg canvas), so importing this module
changes no global matplotlib state and needs no display.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Callable

import xarray as xr

from . import correlations as _correlations
from .io import PathLike, as_dataset

#: the correlations figure (also reachable as ``nnsweep.correlations.figure``)
correlations = _correlations.figure


def figure_of(experiment: str) -> Callable | None:
    """The ``figure`` function of ``nnsweep.<experiment>``, or None if there is none."""
    if not experiment or not experiment.isidentifier():
        return None
    try:
        module = importlib.import_module(f"{__package__}.{experiment}")
    except ModuleNotFoundError:
        return None
    return getattr(module, "figure", None)


def experiments_with_figures() -> list[str]:
    """Experiments this package draws."""
    package = importlib.import_module(__package__)
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__)
                  if figure_of(m.name) is not None)


def plot(path: PathLike | xr.Dataset, out_png: PathLike) -> Path:
    """Draws the figure of the file's experiment into ``out_png``; returns its path."""
    ds = as_dataset(path)
    experiment = str(ds.attrs.get("experiment"))
    draw = figure_of(experiment)
    if draw is None:
        raise ValueError(f"no plot for experiment '{experiment}' "
                         f"(plots exist for: {', '.join(experiments_with_figures())})")
    return draw(ds, out_png)
