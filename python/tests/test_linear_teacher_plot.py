"""The linear_teacher figure: from a synthetic results file laid out as the C++ experiment
writes it (and, with NNSWEEP_BIN set, from a real sweep)."""

import csv
import io
import subprocess

import numpy as np
import pytest
from checks import assert_png
from synthetic import DONE, FAILED, Column, strings, write_results_file

import nnsweep
from nnsweep import linear_teacher

METRICS = ["train_loss", "train_error", "test_error", "align_mean", "align_min", "cohesion_mean",
           "cohesion_min", "spread", "agr_d", "agr_g", "pattern_agreement", "rank_ratio", "antipodality"]
EPOCHS = np.array([0, 1, 2, 5, 20, 200])


def lt_file(path, sigma0s=(0.01, 0.1, 1.0), alphas=(0.1, 0.5), gammas=(0.05, 0.2), seeds=range(5)):
    """A linear_teacher-like sweep. Final values: cohesion_mean = 1 − 0.05 σ₀ (1 − α) − 0.01 [γ = 0.05]
    + 0.001 ε; align_mean = cohesion_mean − 0.02; agr_g = 1 − 0.01 σ₀; curves rise linearly in
    log(1 + epoch) from 0.5 to the final value. Task (σ₀ = 1, α = 0.5, γ = 0.2, seed 0) failed."""
    rng = np.random.default_rng(7)
    rows = [(s0, a, g, s) for s0 in sigma0s for a in alphas for g in gammas for s in seeds]
    n = len(rows)
    sigma0, alpha, gamma = (np.array([r[i] for r in rows], dtype=float) for i in range(3))
    seed = np.array([r[3] for r in rows], dtype=np.int64)
    status = np.array([FAILED if r == (1.0, 0.5, 0.2, 0) else DONE for r in rows], dtype=np.uint8)
    final = {m: 0.9 + 0.01 * rng.standard_normal(n) for m in METRICS}
    final["cohesion_mean"] = 1 - 0.05 * sigma0 * (1 - alpha) - 0.01 * (gamma == 0.05) + 0.001 * rng.standard_normal(n)
    final["align_mean"] = final["cohesion_mean"] - 0.02
    final["agr_g"] = 1 - 0.01 * sigma0
    ramp = np.log1p(EPOCHS) / np.log1p(EPOCHS[-1])
    cols = {"width": np.full(n, 50, np.int64), "depth": np.full(n, 2, np.int64), "alpha": alpha,
            "sigma0": sigma0, "gamma": gamma, "d": np.full(n, 10, np.int64), "lr": np.full(n, 0.1),
            "loss": strings(["logistic"] * n, 16), "second_layer": strings(["fixed"] * n, 16),
            "seed": seed}
    columns = {name: Column("parameter", values) for name, values in cols.items()}
    for m in METRICS:
        values = np.where(status == DONE, final[m], np.nan)
        columns[m] = Column("metric", values, long_name=m)
        columns[f"curve_{m}"] = Column("metric", 0.5 + (values[:, None] - 0.5) * ramp[None, :],
                                       dim="log_point")
    columns["zero_error_epoch"] = Column("metric", np.full(n, 3.0), units="epoch")
    columns["curve_epoch"] = Column("metric", np.tile(EPOCHS.astype(float), (n, 1)), units="epoch",
                                    dim="log_point")
    columns["status"] = Column("metadata", status)
    columns["error"] = Column("metadata", strings(["" if s == DONE else "boom" for s in status], 64))
    columns["task_key"] = Column("metadata", np.arange(n, dtype=np.uint64) + 1000)
    spec = "\n".join(["experiment = linear_teacher", "sweep_seed = 3", "[params]",
                      f"sigma0 = {','.join(map(str, sigma0s))}", f"alpha = {','.join(map(str, alphas))}",
                      f"gamma = {','.join(map(str, gammas))}", f"seed = 0..{len(seeds) - 1}"]) + "\n"
    write_results_file(path, experiment="linear_teacher", spec=spec, sweep_seed=3, columns=columns,
                       runs={"mpi_size": np.array([2], dtype=np.int64)})
    return cols, final, status


@pytest.fixture(scope="module")
def lt(tmp_path_factory):
    path = tmp_path_factory.mktemp("lt") / "lt.h5"
    cols, final, status = lt_file(path)
    return path, cols, final, status


def test_final_values_hold_other_axes_at_the_default(lt):
    path, cols, final, status = lt
    stats = linear_teacher.final_values(path, "sigma0", "cohesion_mean", by="alpha")
    assert len(stats) == 6
    # gamma is swept but not plotted: held at the default 0.2
    for _, row in stats.iterrows():
        mask = ((cols["sigma0"] == row["sigma0"]) & (cols["alpha"] == row["alpha"])
                & (cols["gamma"] == 0.2) & (status == DONE))
        expected = final["cohesion_mean"][mask]
        assert row["count"] == mask.sum()
        assert row["mean"] == pytest.approx(expected.mean(), rel=1e-12)
        assert row["sd"] == pytest.approx(expected.std(ddof=1), rel=1e-9)
    failed_cell = stats[(stats["sigma0"] == 1.0) & (stats["alpha"] == 0.5)]
    assert int(failed_cell["count"].iloc[0]) == 4  # the failed seed is left out


def test_curve_quantiles(lt):
    path, cols, final, status = lt
    curves = linear_teacher.curve_quantiles(path, "agr_g", by="sigma0", quantiles=(0.5,))
    assert sorted(curves) == [0.01, 0.1, 1.0]
    epochs, q = curves[1.0]
    np.testing.assert_array_equal(epochs, EPOCHS)
    ramp = np.log1p(EPOCHS) / np.log1p(EPOCHS[-1])
    np.testing.assert_allclose(q[0], 0.5 + (0.99 - 0.5) * ramp, rtol=1e-12)  # agr_g = 1 − 0.01 σ₀
    # reference values: the default alpha (0.1) and gamma (0.2) are in the sweep
    assert linear_teacher.reference_values(nnsweep.to_dataframe(path), ["sigma0"]) == {"alpha": 0.1, "gamma": 0.2}


def test_figure_and_dispatch(lt, tmp_path):
    path = lt[0]
    for out in (linear_teacher.figure(path, tmp_path / "a.png"), nnsweep.plots.plot(path, tmp_path / "b.png")):
        assert_png(out, min_bytes=50_000)  # nine panels with lines, bands and error bars


def test_figure_rejects_other_experiments(corr, tmp_path):
    with pytest.raises(ValueError, match="not a linear_teacher file"):
        linear_teacher.figure(corr.path, tmp_path / "x.png")


SPEC = """\
experiment = linear_teacher
[params]
width = 5
sigma0 = 0.01,1
alpha = 0.1,0.5
epochs = 20
n_train = 60
n_test = 300
log_points = 8
seed = 0..3
"""


def test_real_linear_teacher_sweep(run_sweep, tmp_path):
    out = run_sweep("lt", SPEC)
    ds = nnsweep.load(out)
    assert ds.attrs["experiment"] == "linear_teacher" and (ds["status"] == 1).all()
    assert ds["curve_cohesion_mean"].shape == (16, 8)
    np.testing.assert_array_equal(ds["curve_epoch"].values[0], [0, 1, 2, 3, 4, 7, 12, 20])
    assert (ds["train_error"].values < 0.1).all()
    assert_png(nnsweep.plots.plot(out, tmp_path / "lt.png"), min_bytes=0)


def test_defaults_are_the_binarys(nnsweep_bin):
    """linear_teacher.DEFAULTS (the reference values of the figure) are the experiment's defaults
    as `nnsweep list linear_teacher` gives them: every parameter but seed, with its value."""
    r = subprocess.run([nnsweep_bin, "list", "linear_teacher", "--format", "csv"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    start = lines.index("parameters:") + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    typed = {"integer": int, "real": float}
    binary = {row["name"]: typed.get(row["type"], str)(row["default"])
              for row in csv.DictReader(io.StringIO("\n".join(lines[start:end]))) if row["name"] != "seed"}
    assert linear_teacher.DEFAULTS == binary
