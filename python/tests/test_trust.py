"""Trust verdicts (docs/statistics.md): the rule on hand-made frames, and the C++ `report` and
the Python loader agreeing on a real sweep with resolved and unresolved cells."""
import csv
import io
import subprocess

import numpy as np
import pandas as pd
import pytest

import nnsweep
from nnsweep.aggregate import MAX_SHARE_LIMIT, trust_notes, wilson_interval


def _frame(shares, passed):
    """Two cells (n = 1, 2) of four done tasks: x with its sem and max share, a 0/1 metric."""
    n = np.repeat([1, 2], 4)
    df = pd.DataFrame({"n": n, "seed": np.tile(range(4), 2), "status": 1,
                       "x": 1 + 0.01 * np.tile(range(4), 2), "x_sem": 0.01,
                       "x_max_share": shares, "theory_x": 1.0, "passed": passed})
    df.attrs = {"kinds": {"x": "metric", "x_sem": "metric", "x_max_share": "metric",
                          "passed": "metric", "theory_x": "theory"},
                "predicts": {"theory_x": "x"}}
    return df


def test_resolved_unresolved_and_proportion_cells():
    shares = [0.001] * 7 + [0.6]  # one task of cell n = 2 is dominated by one sample
    passed = [1, 1, 1, 1, 1, 0, 0, 0]
    cells = nnsweep.aggregate(_frame(shares, passed), by=["n"])
    assert list(cells["x_trust"]) == ["ok", "unresolved"]
    assert cells["x_max_share"].tolist() == [0.001, 0.6]
    sem = np.sqrt(0.0005 / 3) / 2
    assert cells["x_z"][0] == pytest.approx(0.015 / sem)
    assert np.isnan(cells["x_z"][1])  # no z where the sem is not trustworthy
    assert cells["x_mean"][1] == pytest.approx(1.015)  # the estimate itself stays
    assert list(cells["passed_trust"]) == ["proportion", "proportion"]
    # Wilson 95% of 4/4 and 1/4 (by hand with z = 1.96)
    np.testing.assert_allclose(cells["passed_low"], [0.5101092, 0.0455873], rtol=1e-6)
    np.testing.assert_allclose(cells["passed_high"], [1.0, 0.6993582], rtol=1e-6)
    notes = trust_notes(cells)
    assert len(notes) == 2 and "unresolved" in notes[0] and "Wilson" in notes[1]
    # exactly at the limit is still resolved
    at_limit = nnsweep.aggregate(_frame([MAX_SHARE_LIMIT] * 8, passed), by=["n"])
    assert list(at_limit["x_trust"]) == ["ok", "ok"]
    assert trust_notes(at_limit) == ["proportion: a 0/1 metric; its interval is Wilson's 95% "
                                     "score interval, no z."]


def test_wilson_interval_edges():
    low, high = wilson_interval([0, 5, 10], [10, 10, 10])
    assert low[0] == 0 and high[2] == pytest.approx(1, abs=1e-15)
    assert low[1] == pytest.approx(1 - high[1])  # symmetric at p = 1/2
    assert np.isnan(wilson_interval(0, 0)[0])


TRUST_SPEC = """\
experiment = correlations
[params]
activation = relu,tanh
width = 16,512
depth = 1,64
samples = 2000
seed = 0..2
n_out = 2
"""


def test_cpp_report_and_python_agree_on_trust(run_sweep, nnsweep_bin):
    path = run_sweep("trust", TRUST_SPEC, "--set", "sweep_seed=13")
    out = subprocess.run([nnsweep_bin, "report", str(path), "--format", "csv"],
                         capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    cells = nnsweep.aggregate(path).set_index(["activation", "width", "depth"])
    seen = set()
    for row in rows:
        cell = cells.loc[(row["activation"], int(row["width"]), int(row["depth"]))]
        m = row["metric"]
        assert row["trust"] == cell[f"{m}_trust"], (row, cell[f"{m}_trust"])
        assert row["kind"] == cell[f"{m}_theory_kind"]
        # exact for relu; tanh: k2 with its 1/n correction (nlo), the cumulants leading order
        expected = "exact" if row["activation"] == "relu" else "nlo" if m == "k2" else "lo"
        assert row["kind"] == expected or (m == "corr22" and row["kind"] == ""), row
        seen.add(row["trust"])
        if row["trust"] == "ok":
            assert float(row["z"]) == pytest.approx(cell[f"{m}_z"], rel=1e-9)
            assert float(row["max_share"]) == pytest.approx(cell[f"{m}_max_share"], rel=1e-12)
        else:
            assert row["z"] == "" and np.isnan(cell[f"{m}_z"])
    assert seen == {"ok", "unresolved"}
    # relu 16x64 (kappa4 = 3.6e7) cannot be resolved by 2000 networks; 512x1 is
    assert cells.loc[("relu", 16, 64), "kappa4_trust"] == "unresolved"
    assert cells.loc[("relu", 512, 1), "kappa4_trust"] == "ok"
    text = subprocess.run([nnsweep_bin, "report", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert "unresolved" in text and "standard error means nothing" in text
