"""The support figure, from real sweeps of the binary (NNSWEEP_BIN)."""

import numpy as np
from checks import assert_png

import nnsweep
from nnsweep import support

SPEC = """\
experiment = support
zip = batch+steps
[params]
n_train = 50
width = 6
batch = 1, 8, full
steps = 2000, 2000, 300
lr = 0.1, 0.2
log_points = 12
seed = 0..3
"""

TOY = """\
experiment = support
[params]
model = toy
n_train = 100
lr = 0.004
clip = 0
batch = 5, 20, full
steps = 2000
seed = 0..2
"""


def test_real_support_sweep(run_sweep, tmp_path):
    out = run_sweep("support", SPEC)
    ds = nnsweep.load(out)
    assert ds.attrs["experiment"] == "support" and (ds["status"] == 1).all()
    assert ds["curve_irrelevant_norm"].shape == (24, 12)
    assert ds["gram"].shape[1:] == (15, 15)
    curves = support.curve_quantiles(ds)
    assert sorted(curves) == [1, 8, 100]
    for steps, q in curves.values():
        assert steps[0] == 0 and np.allclose(q[:, 0], 1)  # I(0)/I(0)
    stats = support.rho_against_lr_over_batch(ds)
    assert len(stats) == 6 and (stats["count"] == 4).all()
    np.testing.assert_allclose(stats["lr_over_batch"], stats["lr"] / stats["batch"])
    assert_png(nnsweep.plots.plot(out, tmp_path / "support.png"), min_bytes=0)


def test_real_toy_sweep(run_sweep, tmp_path):
    out = run_sweep("toy", TOY)
    ds = nnsweep.load(out)
    assert (ds["status"] == 1).all()
    assert (ds["toy_law_error"].values < 1e-12).all()
    assert_png(nnsweep.plots.plot(out, tmp_path / "toy.png"), min_bytes=0)
