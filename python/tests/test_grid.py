"""unstack: the task dimension reshaped into the swept parameters."""
import itertools

import numpy as np
import pytest

import nnsweep


def test_unstack_default_dims_and_values(corr):
    grid = nnsweep.unstack(nnsweep.load(corr.path))
    assert grid["kappa4"].dims == ("width", "depth", "activation", "seed")
    assert grid.sizes["width"] == 3 and grid.sizes["activation"] == 2 and grid.sizes["seed"] == 4
    assert grid["activation"].values.tolist() == ["relu", "tanh"]
    for w, d, a, s in itertools.product(*corr.grid.values()):
        point = dict(width=w, depth=d, activation=a, seed=s)
        i = corr.task(**point)
        for name in ("kappa4", "theory_kappa4", "k2_sem", "status"):
            np.testing.assert_equal(grid[name].sel(point).item(), corr.columns[name][i])
        np.testing.assert_array_equal(grid["running_kappa4"].sel(point).values,
                                      corr.columns["running_kappa4"][i])
    # a failed task's metric is NaN; a diverged task keeps its value
    assert np.isnan(grid["kappa4"].sel(width=64, depth=4, activation="relu", seed=3))
    assert grid["kappa4"].sel(width=16, depth=1, activation="tanh", seed=2) == 1e3


def test_unstack_parameter_coordinates(corr):
    grid = nnsweep.unstack(nnsweep.load(corr.path))
    assert grid["n0"].ndim == 0 and grid["n0"].item() == 4  # fixed: scalar coordinate
    assert grid["samples"].item() == 1000
    cw = grid["cw"]  # varies with activation, not an axis: stays a coordinate on the grid
    assert cw.dims == ("width", "depth", "activation", "seed")
    assert (cw.sel(activation="relu") == 2.0).all() and (cw.sel(activation="tanh") == 1.0).all()
    assert grid["rank"].dtype == np.int32  # a complete grid keeps integer types


def test_unstack_explicit_dims_and_path(corr):
    grid = nnsweep.unstack(corr.path, dims=["activation", "seed", "depth", "width"])
    assert grid["k2"].dims == ("activation", "seed", "depth", "width")
    i = corr.task(width=32, depth=4, activation="tanh", seed=2)
    assert grid["k2"].sel(width=32, depth=4, activation="tanh", seed=2) == corr.columns["k2"][i]


def test_unstack_rejects_non_unique_dims(corr):
    with pytest.raises(ValueError, match="do not identify tasks uniquely; add some of: depth"):
        nnsweep.unstack(corr.path, dims=["width", "activation", "seed"])
    with pytest.raises(ValueError, match="not parameters of this file: colour"):
        nnsweep.unstack(corr.path, dims=["colour"])


def test_unstack_zipped_axes_leaves_nan_holes(corr_zip):
    ds = nnsweep.load(corr_zip.path)
    assert nnsweep.swept_parameters(ds) == ["width", "depth", "seed"]
    grid = nnsweep.unstack(ds)
    assert grid["kappa4"].shape == (3, 3, 2)
    filled = np.isfinite(grid["theory_kappa4"].values)
    assert filled.sum() == 6  # 3 zipped points × 2 seeds of the 18 grid points
    for w, d in [(16, 1), (32, 2), (64, 4)]:
        for s in (0, 1):
            i = corr_zip.task(width=w, depth=d, seed=s)
            assert grid["kappa4"].sel(width=w, depth=d, seed=s) == corr_zip.columns["kappa4"][i]
    assert np.isnan(grid["kappa4"].sel(width=16, depth=4, seed=0))
    assert grid["status"].dtype.kind == "f"  # promoted to hold the holes
    assert np.isnan(grid["status"].sel(width=64, depth=1, seed=1))
