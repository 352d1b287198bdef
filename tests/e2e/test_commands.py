"""plan, status, report, theory and list on real output, checked against numbers we know."""
import csv
import io

import h5py
import pytest

SPEC = """experiment = correlations
sweep_seed = 2
[params]
activation = relu
width = 16,32
depth = 1,4
samples = 4000
seed = 0..3
"""


@pytest.fixture
def results(nnsweep):
    spec = nnsweep.write("spec.ini", SPEC)
    r = nnsweep("run", spec, "--out", "r.h5", "--progress", "log", ranks=2)
    assert r.returncode == 0, r.stderr
    assert "load balance" in r.stderr
    return nnsweep.cwd + "/r.h5"


def test_report_csv_matches_the_file(nnsweep, results):
    r = nnsweep("report", results, "--format", "csv", "--metrics", "k2,kappa4")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 2 * 2 * 2  # (width, depth) cells x metrics
    with h5py.File(results, "r") as f:
        width, depth, kappa4, own = f["width"][...], f["depth"][...], f["kappa4"][...], f["kappa4_sem"][...]
    for row in rows:
        if row["metric"] != "kappa4":
            continue
        cell = (width == int(row["width"])) & (depth == int(row["depth"]))
        assert int(row["n"]) == 4
        assert float(row["mean"]) == pytest.approx(kappa4[cell].mean(), rel=1e-12)
        # the larger of the spread over the 4 seeds and the tasks' own Monte Carlo errors
        expected = max(kappa4[cell].std(ddof=1) / 2, (own[cell] ** 2).sum() ** 0.5 / 4)
        assert float(row["sem"]) == pytest.approx(expected, rel=1e-10)
        # ReLU, C_W = 2: exact theory (1 + 5/n)^L − 1
        assert float(row["theory"]) == pytest.approx((1 + 5 / int(row["width"])) ** int(row["depth"]) - 1, rel=1e-12)


def test_status_counts_and_runs(nnsweep, results):
    r = nnsweep("status", results)
    assert r.returncode == 0
    assert "16 tasks" in r.stdout and "runs:" in r.stdout
    lines = r.stdout.splitlines()
    assert lines[3].split() == ["0", "16", "0", "0", "0", "16"]


def test_theory_command_prints_exact_relu_values(nnsweep):
    r = nnsweep("theory", "correlations", "--set", "width=16,32", "--set", "depth=4", "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [int(x["width"]) for x in rows] == [16, 32]
    for row in rows:
        n = int(row["width"])
        assert float(row["theory_r4"]) == pytest.approx((1 + 5 / n) ** 4, rel=1e-12)
        assert float(row["theory_g4_ratio"]) == pytest.approx((1 + 2 / 4) * (1 + 5 / n) ** 4, rel=1e-12)
        assert float(row["l_over_n"]) == pytest.approx(4 / n, rel=1e-12)


def test_plan_and_list(nnsweep):
    spec = nnsweep.write("spec.ini", SPEC)
    r = nnsweep("plan", spec)
    assert r.returncode == 0 and "16 tasks = 4 grid cells x 4 seeds" in r.stdout and "suggested:" in r.stdout
    r = nnsweep("list")
    assert r.returncode == 0 and "correlations" in r.stdout
    r = nnsweep("list", "correlations")
    assert r.returncode == 0 and "sampler" in r.stdout and "theory_kappa4" in r.stdout
