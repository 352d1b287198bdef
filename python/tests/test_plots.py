"""Figures: a valid, non-trivial PNG, and dispatch on the experiment attribute."""
import shutil

import h5py
import numpy as np
import pytest
from checks import assert_png  # by default > 20 kB: two panels with markers, lines, labels

import nnsweep


def test_correlations_figure(corr, tmp_path):
    out = nnsweep.plots.correlations(corr.path, tmp_path / "corr.png")
    assert out == tmp_path / "corr.png"
    assert_png(out)


def test_plot_dispatches_on_experiment(corr, corr_zip, tmp_path):
    assert_png(nnsweep.plots.plot(corr.path, tmp_path / "a.png"))
    assert_png(nnsweep.plots.plot(nnsweep.load(corr_zip.path), tmp_path / "b.png"))


def test_plot_rejects_unknown_experiment(corr, tmp_path):
    other = tmp_path / "other.h5"
    shutil.copy(corr.path, other)
    with h5py.File(other, "r+") as f:
        f.attrs["experiment"] = np.bytes_("not_an_experiment")
    with pytest.raises(ValueError, match="no plot for experiment 'not_an_experiment'.*correlations"):
        nnsweep.plots.plot(other, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
