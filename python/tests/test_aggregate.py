"""aggregate: per-cell statistics checked against numpy on the arrays that were written."""
import itertools
import shutil

import h5py
import numpy as np
import pandas as pd
import pytest

import nnsweep
from synthetic import DONE

METRICS = ("k2", "kappa4", "g4_ratio", "z4_ratio")


def done_values(corr, metric, **cell):
    """The finite values of done tasks in a cell, straight from the written arrays."""
    values = corr.columns[metric][corr.mask(**cell) & (corr.columns["status"] == DONE)]
    return values[np.isfinite(values)]


def row(table, **cell):
    (index,) = np.flatnonzero(np.logical_and.reduce([table[k] == v for k, v in cell.items()]))
    return table.iloc[index]


@pytest.fixture(scope="module")
def cells(corr):
    return nnsweep.aggregate(corr.path)


def test_one_row_per_cell(cells):
    assert len(cells) == 18
    assert list(cells.columns[:3]) == ["width", "depth", "activation"]
    assert cells["n_tasks"].tolist() == [4] * 18


def test_mean_sem_count_equal_numpy(corr, cells):
    checked = 0
    for w, d, a in itertools.product([16, 32, 64], [1, 2, 4], ["relu", "tanh"]):
        r = row(cells, width=w, depth=d, activation=a)
        for metric in METRICS:
            values = done_values(corr, metric, width=w, depth=d, activation=a)
            assert r[f"{metric}_count"] == len(values)
            if len(values) >= 2:
                assert r[f"{metric}_mean"] == pytest.approx(values.mean(), rel=1e-12)
                spread = values.std(ddof=1) / np.sqrt(len(values))
                expected = spread
                if f"{metric}_sem" in corr.columns:  # the larger of spread and own MC errors
                    own = corr.columns[f"{metric}_sem"][corr.mask(width=w, depth=d, activation=a)
                                                        & (corr.columns["status"] == DONE)
                                                        & np.isfinite(corr.columns[metric])]
                    expected = max(spread, np.sqrt((own ** 2).sum()) / len(values))
                assert r[f"{metric}_sem"] == pytest.approx(expected, rel=1e-12)
                checked += 1
    assert checked == 4 * 16  # every metric of the 16 cells with ≥ 2 done seeds


def test_non_done_tasks_are_counted_not_averaged(corr, cells):
    diverged = row(cells, width=16, depth=1, activation="tanh")
    assert (diverged["n_done"], diverged["n_diverged"], diverged["kappa4_count"]) == (3, 1, 3)
    assert diverged["kappa4_mean"] < 1  # the diverged task holds 1e3
    assert row(cells, width=64, depth=4, activation="relu")[["n_done", "n_failed"]].tolist() == \
        [3, 1]
    assert row(cells, width=32, depth=2, activation="relu")["n_pending"] == 1
    assert row(cells, width=32, depth=1, activation="tanh")["n_timed_out"] == 1
    assert cells["n_done"].sum() == 61 and cells["n_pending"].sum() == 7
    status = ["n_pending", "n_done", "n_failed", "n_diverged", "n_timed_out"]
    assert (cells[status].sum(axis=1) == cells["n_tasks"]).all()


def test_nan_value_of_a_done_task_is_not_counted(cells):
    r = row(cells, width=32, depth=4, activation="tanh")
    assert (r["n_done"], r["kappa4_count"], r["g4_ratio_count"]) == (4, 4, 3)


def test_single_seed_falls_back_to_the_tasks_own_sem(corr, cells):
    r = row(cells, width=16, depth=4, activation="tanh")
    i = corr.task(width=16, depth=4, activation="tanh", seed=2)
    assert r["kappa4_count"] == 1
    assert r["kappa4_mean"] == corr.columns["kappa4"][i]
    assert r["kappa4_sem"] == corr.columns["kappa4_sem"][i]
    assert r["kappa4_sem"] == pytest.approx(0.03 * (2 / 3) * 4 / 16 * 1.2, rel=1e-12)
    assert r["k2_sem"] == corr.columns["k2_sem"][i]
    assert np.isnan(r["z4_ratio_sem"])  # z4_ratio has no _sem column
    assert r["kappa4_z"] == pytest.approx(
        (r["kappa4_mean"] - (2 / 3) * 4 / 16) / r["kappa4_sem"], rel=1e-12)


def test_cell_without_done_tasks(cells):
    r = row(cells, width=64, depth=1, activation="tanh")
    assert (r["n_done"], r["n_pending"], r["kappa4_count"]) == (0, 4, 0)
    assert np.isnan(r["kappa4_mean"]) and np.isnan(r["kappa4_sem"]) and np.isnan(r["kappa4_z"])
    assert r["kappa4_theory"] == pytest.approx((2 / 3) / 64, rel=1e-15)


def test_theory_and_z_scores(cells):
    relu = cells[cells["activation"] == "relu"]
    growth = (1 + 5 / relu["width"]) ** relu["depth"]
    np.testing.assert_allclose(relu["kappa4_theory"], growth - 1, rtol=1e-15)
    np.testing.assert_allclose(relu["g4_ratio_theory"], 1.5 * growth, rtol=1e-15)
    assert (relu["k2_theory"] == 2.0).all()
    np.testing.assert_allclose(relu["kappa4_z"],
                               (relu["kappa4_mean"] - (growth - 1)) / relu["kappa4_sem"],
                               rtol=1e-12)
    # noise is 3 % of the theory with 4 seeds: z-scores are O(1), never absurd
    assert relu["kappa4_z"].abs().max() < 10 and relu["kappa4_z"].abs().max() > 0.1
    tanh = cells[cells["activation"] == "tanh"]
    assert tanh["g4_ratio_theory"].isna().all() and tanh["g4_ratio_z"].isna().all()
    assert "z4_ratio_theory" not in cells and "z4_ratio_z" not in cells
    np.testing.assert_allclose(cells["l_over_n"], cells["depth"] / cells["width"], rtol=1e-15)


def test_coarser_cells_pool_tasks_and_pair_varying_theory(corr):
    table = nnsweep.aggregate(corr.path, by=["activation"], metrics=["kappa4", "k2"])
    assert table["activation"].tolist() == ["relu", "tanh"]
    assert [c for c in table if c.startswith("kappa4")] == [
        "kappa4_mean", "kappa4_sem", "kappa4_count", "kappa4_theory", "kappa4_z",
        "kappa4_trust"]
    assert "g4_ratio_mean" not in table
    for activation in ("relu", "tanh"):
        values = done_values(corr, "kappa4", activation=activation)
        r = row(table, activation=activation)
        assert r["kappa4_mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert r["kappa4_count"] == len(values)
        assert np.isnan(r["l_over_n"])
        # The theory differs between the pooled cells: each task is compared with its own
        # prediction (paired), the theory shown is their mean.
        mask = (corr.mask(activation=activation) & (corr.columns["status"] == DONE)
                & np.isfinite(corr.columns["kappa4"]))
        d = corr.columns["kappa4"][mask] - corr.columns["theory_kappa4"][mask]
        own = corr.columns["kappa4_sem"][mask]
        sem = max(d.std(ddof=1) / np.sqrt(d.size), np.sqrt((own ** 2).sum()) / d.size)
        assert r["kappa4_theory"] == pytest.approx(corr.columns["theory_kappa4"][mask].mean())
        assert r["kappa4_z"] == pytest.approx(d.mean() / sem, rel=1e-9)
    assert row(table, activation="relu")["k2_theory"] == 2.0  # the same in every pooled cell


def test_no_cell_parameters_gives_one_row(corr):
    table = nnsweep.aggregate(corr.path, by=[], metrics=["k2"])
    assert len(table) == 1 and table["n_tasks"].item() == 72
    assert table["k2_mean"].item() == pytest.approx(done_values(corr, "k2").mean(), rel=1e-12)


def test_dataset_frame_and_path_inputs_agree(corr, cells):
    pd.testing.assert_frame_equal(nnsweep.aggregate(nnsweep.load(corr.path)), cells)
    pd.testing.assert_frame_equal(nnsweep.aggregate(nnsweep.to_dataframe(corr.path)), cells)


def test_plain_frame_needs_by(corr):
    frame = pd.DataFrame(nnsweep.to_dataframe(corr.path))
    frame.attrs = {}
    with pytest.raises(ValueError, match="give `by`"):
        nnsweep.aggregate(frame)
    table = nnsweep.aggregate(frame, by=["width"], metrics=["k2"])
    assert table["k2_count"].tolist() == [
        len(done_values(corr, "k2", width=w)) for w in (16, 32, 64)]
    with pytest.raises(ValueError, match="no such column: colour"):
        nnsweep.aggregate(corr.path, by=["colour"])


def test_l_over_n_is_a_cell_value_whatever_its_kind(corr, tmp_path):
    copy = tmp_path / "metric_kind.h5"
    shutil.copy(corr.path, copy)
    with h5py.File(copy, "r+") as f:
        f["l_over_n"].attrs["kind"] = np.bytes_("metric")
    table = nnsweep.aggregate(copy)
    assert [c for c in table if c.startswith("l_over_n")] == ["l_over_n"]
    np.testing.assert_allclose(table["l_over_n"], table["depth"] / table["width"], rtol=1e-15)


def test_replicate_axes_are_pooled(corr, tmp_path):
    """A file whose experiment declares depth a replicate axis (beside seed): cells pool depths
    too, and unstack puts the replicate axes last."""
    import shutil
    import h5py
    path = tmp_path / "replicates.h5"
    shutil.copy(corr.path, path)
    with h5py.File(path, "r+") as f:
        f.attrs["replicates"] = np.bytes_("seed,depth")
    ds = nnsweep.load(path)
    assert nnsweep.replicates(ds) == ["seed", "depth"]
    assert nnsweep.swept_parameters(ds)[-2:] == ["depth", "seed"]
    assert list(nnsweep.unstack(ds)["kappa4"].dims)[-2:] == ["depth", "seed"]
    table = nnsweep.aggregate(path, metrics=["k2"])
    assert "depth" not in table.columns
    r = row(table, width=16, activation="relu")
    assert r["k2_count"] == len(done_values(corr, "k2", width=16, activation="relu"))
