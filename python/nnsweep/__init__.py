"""Post-processing of nnsweep results files (layout: docs/results-file.md).

    import nnsweep
    ds = nnsweep.load("sweep.h5")         # xarray.Dataset on "task", parameters as coordinates
    grid = nnsweep.unstack(ds)            # dims = the swept parameters, replicate axes last
    cells = nnsweep.aggregate("sweep.h5") # pandas: mean, sem, count per cell, theory, z
    nnsweep.plots.plot("sweep.h5", "sweep.png")
"""
from . import plots
from .aggregate import aggregate
from .grid import unstack
from .io import (ResultsFileError, load, load_runs, parameters, replicates, swept_parameters,
                 to_dataframe)

__all__ = ["ResultsFileError", "aggregate", "load", "load_runs", "parameters", "plots", "replicates",
           "swept_parameters", "to_dataframe", "unstack"]
