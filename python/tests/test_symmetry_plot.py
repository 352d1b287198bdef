"""The symmetry figure: from a synthetic results file laid out as the C++ experiment writes it."""

import numpy as np
import pytest
from checks import assert_png
from synthetic import DONE, FAILED, Column, write_results_file

from nnsweep import symmetry


def sym_file(path):
    """r* = 2, 3 with h = 0, 1, 2 and 10 seeds. Student s is on the manifold iff s < 3 + 3h;
    off-manifold students alternate local minimum (even seed) / saddle (odd seed); seed 9 at
    r* = 3, h = 2 failed (left out)."""
    rows = [(r, h, s) for r in (2, 3) for h in (0, 1, 2) for s in range(10)]
    n = len(rows)
    r, h, seed = (np.array([row[i] for row in rows], dtype=np.int64) for i in range(3))
    status = np.array([FAILED if row == (3, 2, 9) else DONE for row in rows], dtype=np.uint8)
    on = (seed < 3 + 3 * h).astype(float)
    negative = np.where(on == 1, 0.0, np.where(seed % 2 == 0, 0.0, 2.0))
    columns = {"teacher_width": Column("parameter", r), "width": Column("parameter", r + h),
               "seed": Column("parameter", seed),
               "on_manifold": Column("metric", on), "zero_loss": Column("metric", on),
               "hessian_negative": Column("metric", negative),
               "polish_outcome": Column("metric", np.zeros(n)),
               "log10_T": Column("derived", np.log10(1.0 + r + h)),
               "log10_G": Column("derived", np.log10(1.0 + h)),
               "status": Column("metadata", status),
               "task_key": Column("metadata", np.arange(n, dtype=np.uint64) + 7)}
    spec = "experiment = symmetry\nsweep_seed = 1\n[params]\nseed = 0..9\n"
    write_results_file(path, experiment="symmetry", spec=spec, sweep_seed=1, columns=columns,
                       runs={"mpi_size": np.array([1], dtype=np.int64)})


def test_fractions_and_wilson(tmp_path):
    path = tmp_path / "sym.h5"
    sym_file(path)
    table = symmetry.fractions(path)
    assert len(table) == 6
    row = table[(table["teacher_width"] == 2) & (table["h"] == 1)].iloc[0]
    assert (row["n"], row["k"]) == (10, 6)
    low, high = symmetry.wilson(6, 10)
    assert (row["low"], row["high"]) == pytest.approx((float(low), float(high)))
    assert float(low) == pytest.approx(0.3127, abs=1e-4) and float(high) == pytest.approx(0.8318, abs=1e-4)
    failed = table[(table["teacher_width"] == 3) & (table["h"] == 2)].iloc[0]
    assert failed["n"] == 9 and failed["k"] == 9
    first = table[(table["teacher_width"] == 2) & (table["h"] == 0)].iloc[0]
    # seeds 3..9 off the manifold: 4, 6, 8 local minima, 3, 5, 7, 9 saddles
    assert first["local minimum"] == pytest.approx(0.3) and first["saddle"] == pytest.approx(0.4)


def test_figure(tmp_path):
    path = tmp_path / "sym.h5"
    sym_file(path)
    assert_png(symmetry.figure(path, tmp_path / "sym.png"))
