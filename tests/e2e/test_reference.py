"""Bitwise references: result columns recorded from an earlier nnsweep for fixed specs. A change
that moves a single bit of them (a new summation order, a refactored training loop) fails here;
if it is meant to, record the new reference in a commit of its own and say what moved and by how
much (reference/README.md)."""
import os

import numpy as np
import pytest

from results import read, rows_equal

HERE = os.path.join(os.path.dirname(__file__), "reference")


@pytest.mark.parametrize("name", ["linear_teacher", "linear_teacher_defaults", "support"])
def test_result_columns_match_the_recorded_reference(nnsweep, name):
    spec = os.path.join(HERE, name + ".ini")
    r = nnsweep("run", spec, "--out", "r.h5", "--progress", "none")
    assert r.returncode == 0, r.stderr
    reference = np.load(os.path.join(HERE, name + ".npz"))
    assert len(reference.files) > 10
    for column in reference.files:
        (got,) = read(nnsweep.cwd + "/r.h5", column)
        want = reference[column]
        differ = np.flatnonzero(~rows_equal(got, want))
        assert differ.size == 0, f"{name}: column {column} differs at tasks {differ[:8].tolist()}: {got[differ[:2]]!r} != {want[differ[:2]]!r}"
