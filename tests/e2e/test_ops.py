"""Operations on results files: nnsweep diff (two sweeps compared cell by cell), status as data,
exit codes, provenance and /runs."""
import csv
import io
import math

import pytest

SPEC = """experiment = correlations
sweep_seed = {seed}
[params]
activation = {activation}
width = 16,32
depth = 1,2
samples = 2000
seed = 0..3
"""


def run(nnsweep, name, seed=1, activation="relu"):
    spec = nnsweep.write(name + ".ini", SPEC.format(seed=seed, activation=activation))
    r = nnsweep("run", spec, "--out", name + ".h5", "--progress", "none")
    assert r.returncode == 0, r.stderr
    return nnsweep.cwd + "/" + name + ".h5"


def rows_of(stdout):
    return list(csv.DictReader(io.StringIO(stdout)))


def test_diff_same_spec_other_seed_is_consistent_and_a_change_is_flagged(nnsweep):
    a, b = run(nnsweep, "a", seed=1), run(nnsweep, "b", seed=2)
    r = nnsweep("diff", a, b, "--format", "csv")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = rows_of(r.stdout)
    assert len(rows) == 4 * 2 or len(rows) >= 4  # (width, depth) cells x metrics
    assert {row["verdict"] for row in rows} <= {"consistent", "untested"}
    assert any(row["verdict"] == "consistent" for row in rows)
    for row in rows:  # z is the difference in units of the combined sem
        if row["verdict"] == "untested":
            continue
        d = float(row["mean_a"]) - float(row["mean_b"])
        se = math.hypot(float(row["sem_a"]), float(row["sem_b"]))
        assert float(row["z"]) == pytest.approx(d / se, rel=1e-4)
    # same build, same seed: bit for bit
    r = nnsweep("diff", a, run(nnsweep, "a2", seed=1))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "16 of 16 matched done tasks bit for bit identical" in r.stdout
    assert "identical" in r.stdout
    # a changed parameter: tanh instead of relu changes the metrics → flagged, exit 1
    c = run(nnsweep, "c", seed=2, activation="tanh")
    r = nnsweep("diff", a, c, "--format", "csv")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "parameter activation differs: relu vs tanh" in r.stderr
    assert any(row["verdict"] == "differ" for row in rows_of(r.stdout))
    assert "verdict: DIFFER (exit 1)" in r.stderr


def test_diff_bad_input_exits_2(nnsweep):
    a = run(nnsweep, "a")
    assert nnsweep("diff", a, nnsweep.cwd + "/missing.h5").returncode == 2
    assert nnsweep("diff", a).returncode == 2
    assert nnsweep("diff", a, a, "--alpha", "2").returncode == 2
    assert nnsweep("diff", a, a, "--metrics", "nonesuch").returncode == 2
