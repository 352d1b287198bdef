"""Figures, one module per experiment: ``nnsweep/<experiment>.py`` with functions
``build(path_or_dataset, x=None, hue=None, metrics=None) -> Figure`` and
``figure(path_or_dataset, out, x=None, hue=None, metrics=None, dpi=None) -> Path``; :func:`plot`
picks it by the file's ``experiment`` attribute, so a new experiment's figure needs no line here.
The conventions every figure follows are in nnsweep/style.py.

Figures are drawn on a bare ``matplotlib.figure.Figure`` (Agg canvas), so importing this module
changes no global matplotlib state and needs no display.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Callable, Sequence

import xarray as xr
from matplotlib.figure import Figure

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


#: file types ``plot`` writes (by the output's suffix)
FORMATS = (".png", ".pdf", ".svg")


def _module_function(ds: xr.Dataset, name: str) -> Callable:
    experiment = str(ds.attrs.get("experiment"))
    if figure_of(experiment) is None:
        raise ValueError(f"no plot for experiment '{experiment}' "
                         f"(plots exist for: {', '.join(experiments_with_figures())})")
    return getattr(importlib.import_module(f"{__package__}.{experiment}"), name)


def build(path: PathLike | xr.Dataset, x: str | None = None, hue: str | None = None,
          metrics: Sequence[str] | None = None) -> Figure:
    """The file's experiment's figure as a matplotlib ``Figure`` (not saved)."""
    ds = as_dataset(path)
    return _module_function(ds, "build")(ds, x=x, hue=hue, metrics=metrics)


def plot(path: PathLike | xr.Dataset, out: PathLike, x: str | None = None,
         hue: str | None = None, metrics: Sequence[str] | None = None,
         dpi: float | None = None) -> Path:
    """Draws the figure of the file's experiment into ``out`` (PNG, PDF or SVG by its suffix);
    returns its path. ``x``, ``hue``, ``metrics``: see the experiment's ``build``."""
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"-o {out}: write .png, .pdf or .svg")
    ds = as_dataset(path)
    return _module_function(ds, "figure")(ds, out, x=x, hue=hue, metrics=metrics, dpi=dpi)
