"""Reading an nnsweep results file (layout: docs/results-file.md).

The file is columnar and follows the CF conventions: every root dataset has the ``task``
dimension, attached as an HDF5 dimension scale, strings carry ``_Encoding``, and ``coordinates``
names the parameters, so xarray's h5netcdf engine opens it as a Dataset with decoded strings and
the parameters as coordinates. This module adds what the generic reader does not know (and
decodes the strings of files written before ``_Encoding``): the spec stored in ``/spec`` tells
which parameters were swept, and ``mask_and_scale=False`` keeps integer columns integer.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

import h5py
import numpy as np
import pandas as pd
import xarray as xr

PathLike = Union[str, os.PathLike]

SCHEMA_VERSION = 2

#: The status codes of docs/results-file.md, used when a file lacks ``flag_meanings``.
STATUS_NAMES = {0: "pending", 1: "done", 2: "failed", 3: "diverged", 4: "timed_out"}
DONE = 1


class ResultsFileError(ValueError):
    """The path exists but is not a results file this package can read."""


def _check_results_file(path: Path) -> None:
    """Fail early, with a message naming the file, unless it is an nnsweep results file."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if not h5py.is_hdf5(path):
        raise ResultsFileError(f"{path}: not an HDF5 file")
    with h5py.File(path, "r") as f:
        missing = [a for a in ("schema_version", "experiment") if a not in f.attrs]
        if missing or "task" not in f:
            raise ResultsFileError(
                f"{path}: not an nnsweep results file (no {', '.join(missing) or '/task'})")
        version = int(f.attrs["schema_version"])
    if version != SCHEMA_VERSION:
        raise ResultsFileError(
            f"{path}: schema_version {version}, this reader knows {SCHEMA_VERSION}")


def _open(path: Path, group: str | None = None) -> xr.Dataset:
    """Reads a group fully into memory with as little CF interpretation as possible.

    ``mask_and_scale=False`` keeps integer columns integer (``rank`` −1 stays −1);
    ``decode_timedelta=False`` keeps columns with units such as "seconds" as float seconds.
    """
    with xr.open_dataset(path, engine="h5netcdf", group=group, mask_and_scale=False,
                         decode_times=False, decode_timedelta=False) as ds:
        return _decode_strings(ds.load())


def _decode_strings(ds: xr.Dataset) -> xr.Dataset:
    """Replaces fixed-length byte-string variables (NUL padding already stripped) by ``str``."""
    decoded = {name: var.copy(data=np.char.decode(var.values, "utf-8"))
               for name, var in ds.variables.items() if var.dtype.kind == "S"}
    return ds.assign(decoded) if decoded else ds


def load(path: PathLike) -> xr.Dataset:
    """Opens a results file as an ``xarray.Dataset`` on the ``task`` dimension.

    Parameter columns (``kind == "parameter"``) are coordinates on ``task``; strings are
    ``str``; each variable keeps its ``units``/``long_name``/``description``/``kind``
    attributes and the root attributes (``experiment``, ``sweep_seed``, ...) are ``ds.attrs``.
    The data is read into memory and the file closed.
    """
    path = Path(path)
    _check_results_file(path)
    ds = _open(path)
    params = [name for name, var in ds.variables.items() if var.attrs.get("kind") == "parameter"]
    return ds.set_coords(params)


def load_runs(path: PathLike) -> pd.DataFrame:
    """The ``/runs`` table (one row per invocation; unused rows with ``mpi_size`` 0 dropped)."""
    path = Path(path)
    _check_results_file(path)
    runs = _open(path, group="runs").to_dataframe()
    return runs[runs["mpi_size"] > 0]


def as_dataset(path_or_ds: PathLike | xr.Dataset) -> xr.Dataset:
    """A loaded Dataset, from a path or one already returned by :func:`load`."""
    return path_or_ds if isinstance(path_or_ds, xr.Dataset) else load(path_or_ds)


def parameters(ds: xr.Dataset) -> list[str]:
    """Parameter names in the experiment's schema order (the order of ``/spec``).

    HDF5 lists datasets alphabetically, so the order comes from the stored spec; parameters
    the spec does not mention follow in file order.
    """
    found = [name for name, var in ds.variables.items() if var.attrs.get("kind") == "parameter"]
    in_spec = [name for name in _spec_axis_lengths(ds) if name in found]
    return in_spec + [name for name in found if name not in in_spec]


def replicates(ds: xr.Dataset | pd.DataFrame) -> list[str]:
    """The replicate axes: parameters whose values are independent replicas of one cell (the
    root attribute ``replicates``, e.g. ``seed,batch_seed``; ``seed`` when absent). Statistics
    pool over them."""
    text = ds.attrs.get("replicates")
    if isinstance(text, (list, tuple)):  # a frame from to_dataframe
        return list(text)
    if isinstance(text, bytes):
        text = text.decode()
    return [name for name in str(text).split(",") if name] if text else ["seed"]


def swept_parameters(ds: xr.Dataset) -> list[str]:
    """Parameters the spec gives more than one value, in schema order, the replicate axes
    (:func:`replicates`) last.

    A parameter the spec leaves at one value (or ``auto``) is not swept even when its
    resolved column varies: ``cw = auto`` resolves to 2 for relu and 1 for tanh, which is a
    function of ``activation``, not an axis. Without a ``/spec`` entry, a parameter is swept
    when its column holds more than one distinct value.
    """
    lengths = _spec_axis_lengths(ds)
    swept = [name for name in parameters(ds)
             if lengths.get(name, np.unique(ds[name].values).size) > 1]
    return sorted(swept, key=lambda name: name in replicates(ds))


def _spec_axis_lengths(ds: xr.Dataset) -> dict[str, int]:
    """Number of values per parameter in the ``[params]`` section of ``/spec`` (ordered)."""
    if "spec" not in ds:
        return {}
    lengths, in_params = {}, False
    for line in str(ds["spec"].values).splitlines():
        line = line.strip()
        if line.startswith("["):
            in_params = line == "[params]"
        elif in_params and "=" in line:
            name, _, values = line.partition("=")
            lengths[name.strip()] = len(values.split(","))
    return lengths


def status_names(ds: xr.Dataset) -> dict[int, str]:
    """Status code → name, from the ``status`` column's flag attributes when present."""
    attrs = ds["status"].attrs
    if "flag_values" in attrs and "flag_meanings" in attrs:
        return dict(zip(np.atleast_1d(attrs["flag_values"]).tolist(),
                        str(attrs["flag_meanings"]).split()))
    return dict(STATUS_NAMES)


def to_dataframe(path_or_ds: PathLike | xr.Dataset) -> pd.DataFrame:
    """One row per task (index ``task``) with every scalar column; curves are dropped.

    Adds ``status_name``, a categorical of the status names. ``df.attrs`` carries the root
    attributes plus ``kinds`` (column → kind), ``predicts`` (theory column → the metric it
    predicts), ``replicates`` (a list), ``flag_meanings`` (flag column → names by code), ``parameters`` and ``swept``
    (see :func:`swept_parameters`) so that :func:`nnsweep.aggregate` can work from the frame
    alone.
    """
    ds = as_dataset(path_or_ds)
    scalar = [name for name, var in ds.data_vars.items() if var.dims == ("task",)]
    df = ds[scalar].to_dataframe()
    names = status_names(ds)
    df["status_name"] = pd.Categorical(df["status"].map(names), categories=list(names.values()))
    df.attrs = {**ds.attrs,
                "kinds": {name: ds[name].attrs.get("kind") for name in df.columns
                          if name in ds.variables},
                "predicts": {name: str(ds[name].attrs["predicts"]) for name in df.columns
                             if name in ds.variables and "predicts" in ds[name].attrs},
                "flag_meanings": {name: str(ds[name].attrs["flag_meanings"]).split()
                                  for name in df.columns if name in ds.variables
                                  and "flag_meanings" in ds[name].attrs},
                "parameters": parameters(ds),
                "swept": swept_parameters(ds),
                "replicates": replicates(ds),
                "status_names": names}
    return df
