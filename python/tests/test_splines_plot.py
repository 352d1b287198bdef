"""The splines figure and its helpers: quantiles and the λ axis on a hand-made frame, and (with
NNSWEEP_BIN set) a real sweep drawn end to end; splines.DEFAULTS against the binary."""

import csv
import io
import subprocess

import numpy as np
import pandas as pd
import pytest
from checks import assert_png

import nnsweep
from nnsweep import splines


def test_lambda_axis_puts_zero_a_decade_below():
    lam, zero_at = splines.lambda_axis(np.array([0.0, 1e-3, 1e-2, 0.0]))
    assert zero_at == pytest.approx(1e-4)
    np.testing.assert_allclose(lam, [1e-4, 1e-3, 1e-2, 1e-4])


def test_quantiles_by_groups_over_seeds():
    # value = width + 10 λ + seed/10: the median over seeds 0..4 is width + 10 λ + 0.2
    rows = [(w, lam, s) for w in (20, 100) for lam in (1e-3, 1e-2) for s in range(5)]
    df = pd.DataFrame(rows, columns=["width", "lambda", "seed"])
    value = df["width"] + 10 * df["lambda"] + df["seed"] / 10
    out = splines.quantiles_by(df, df["seed"] >= 0, value, "width", quantiles=(0.0, 0.5, 1.0))
    assert sorted(out) == [20, 100]
    lam, q = out[100]
    np.testing.assert_allclose(lam, [1e-3, 1e-2])
    np.testing.assert_allclose(q[1], 100 + 10 * lam + 0.2)
    np.testing.assert_allclose(q[0], 100 + 10 * lam)
    np.testing.assert_allclose(q[2], 100 + 10 * lam + 0.4)


def test_figure_rejects_other_experiments(corr, tmp_path):
    with pytest.raises(ValueError, match="not a splines file"):
        splines.figure(corr.path, tmp_path / "x.png")


SPEC = """\
experiment = splines
zip = depth+d+data+n_points+reg_mode+width
[params]
depth = 2, 2, 3
d = 1, 1, 3
data = grid, grid, index
n_points = 6, 6, 12
reg_mode = pn, pn, ses
width = 10, 30, 8
wd = 0, 1e-3, 1e-2
steps = 2000
log_points = 6
grid_points = 21
seed = 0..2
"""


def test_real_splines_sweep(run_sweep, tmp_path):
    out = run_sweep("splines", SPEC)
    ds = nnsweep.load(out)
    assert ds.attrs["experiment"] == "splines" and (ds["status"] == 1).all()
    assert ds["function"].shape == (27, 21)
    shallow = ds["depth"].values == 2
    # J >= J* (the exact optimum of each task's data) wherever J* is given
    ratio = ds["objective_ratio"].values[shallow & (ds["wd"].values > 0)]
    assert np.isfinite(ratio).all() and (ratio >= 1 - 1e-6).all()
    assert np.isnan(ds["theory_objective"].values[~shallow]).all()
    assert_png(nnsweep.plots.plot(out, tmp_path / "splines.png"), min_bytes=50_000)


def test_defaults_are_the_binarys(nnsweep_bin):
    r = subprocess.run([nnsweep_bin, "list", "splines", "--format", "csv"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    start = lines.index("parameters:") + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    typed = {"integer": int, "real": float}

    def value(row):
        return row["default"] if row["default"] == "auto" else typed.get(row["type"], str)(row["default"])

    binary = {row["name"]: value(row)
              for row in csv.DictReader(io.StringIO("\n".join(lines[start:end]))) if row["name"] != "seed"}
    assert splines.DEFAULTS == binary
