"""End to end with the real binary. CI sets NNSWEEP_BIN to the built `nnsweep`; without it
this test is skipped."""

import numpy as np
import pytest
from checks import assert_png

import nnsweep

SPEC = """\
experiment = correlations
[params]
width = 16,32
depth = 1,2
activation = relu,tanh
samples = 500
seed = 0..2
n_out = 2
"""


@pytest.fixture
def real_file(run_sweep):
    return run_sweep("corr", SPEC, "--set", "sweep_seed=11")


def test_real_correlations_sweep(real_file, tmp_path):
    ds = nnsweep.load(real_file)
    assert ds.attrs["experiment"] == "correlations" and ds.attrs["task_count"] == 24
    assert (ds["status"] == 1).all()
    grid = nnsweep.unstack(ds)
    assert grid["kappa4"].dims == ("activation", "width", "depth", "seed")  # schema order, seed last
    assert grid["width"].values.tolist() == [16, 32]
    assert grid["depth"].values.tolist() == [1, 2]
    assert grid["activation"].values.tolist() == ["relu", "tanh"]
    assert grid["seed"].values.tolist() == [0, 1, 2]

    relu = grid.sel(activation="relu")
    # |x|² = n0 by default and C_W = 2: E z² = 2|x|²/n0 = 2 at every depth
    np.testing.assert_allclose(relu["theory_k2"], 2.0, rtol=1e-12)
    exact = ((1 + 5 / relu["width"]) ** relu["depth"] - 1).broadcast_like(relu["theory_kappa4"])
    np.testing.assert_allclose(relu["theory_kappa4"], exact.transpose(*relu["theory_kappa4"].dims),
                               rtol=1e-12, atol=1e-12)
    # each task's Monte Carlo estimate is within 4 of its own standard errors of the theory
    z = (relu["kappa4"] - relu["theory_kappa4"]) / relu["kappa4_sem"]
    assert bool((np.abs(z) < 4).all()), z.values

    cells = nnsweep.aggregate(ds)
    assert len(cells) == 8 and (cells["kappa4_count"] == 3).all()
    assert_png(nnsweep.plots.plot(real_file, tmp_path / "x.png"), min_bytes=0)
