"""Reshaping the flat ``task`` dimension into the grid of swept parameters."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .io import as_dataset, parameters, swept_parameters


def unstack(ds: xr.Dataset, dims: Sequence[str] | None = None) -> xr.Dataset:
    """Turns ``task`` into one dimension per parameter in ``dims``.

    Default ``dims``: the swept parameters (:func:`nnsweep.io.swept_parameters`), the
    replicate axes last, e.g. ``(width, depth, activation, seed)``. Parameters with a single value become
    scalar coordinates; other parameters that vary (such as ``cw = auto``, which follows
    ``activation``) stay coordinates on the new dimensions.

    The result is the full Cartesian product of the values found. For zipped axes
    (``zip = depth+width``) or an incomplete set of tasks that product has holes: those
    points are NaN (integer and string columns are promoted to float/object to hold them).

    ``ds`` may be a path. Raises ``ValueError`` when ``dims`` do not identify tasks uniquely.
    """
    ds = as_dataset(ds)
    dims = list(swept_parameters(ds) if dims is None else dims)
    unknown = [d for d in dims if d not in parameters(ds)]
    if unknown:
        raise ValueError(f"not parameters of this file: {', '.join(unknown)} "
                         f"(parameters: {', '.join(parameters(ds))})")
    if pd.DataFrame({d: ds[d].values for d in dims}).duplicated().any():
        rest = [p for p in swept_parameters(ds) if p not in dims]
        raise ValueError(f"({', '.join(dims)}) do not identify tasks uniquely; "
                         f"add some of: {', '.join(rest)}")
    constant = [p for p in parameters(ds)
                if p not in dims and np.unique(ds[p].values).size == 1]
    ds = ds.assign_coords({p: ds[p].values[0] for p in constant})
    if not dims:  # a single task: nothing to unstack
        return ds
    with np.errstate(invalid="ignore"):  # xarray casts its NaN fill even when nothing is missing
        return ds.set_index(task=dims).unstack("task")
