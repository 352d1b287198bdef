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


def test_status_lists_failed_tasks_with_parameters_and_machine_formats_are_one_numeric_table(nnsweep):
    import json
    spec = nnsweep.write("s.ini", SPEC.format(seed=1, activation="relu"))
    r = nnsweep("run", spec, "--out", "f.h5", "--progress", "none", env={"NNSWEEP_FAIL_TASKS": "5"})
    out = nnsweep.cwd + "/f.h5"
    assert nnsweep("status", out).stdout.count("(failed)") == 1
    text = nnsweep("status", out).stdout
    line = next(l for l in text.splitlines() if "task 5 (failed)" in l)
    assert "width=16" in line and "depth=2" in line and "seed=1" in line and "NNSWEEP_FAIL_TASKS" in line, text
    # csv: one table, the whole-file row first, then one row per value of each swept parameter
    rows = rows_of(nnsweep("status", out, "--format", "csv").stdout)
    assert list(rows[0]) == ["parameter", "value", "pending", "done", "failed", "diverged", "timed_out", "total"]
    assert rows[0]["parameter"] == "" and int(rows[0]["failed"]) == 1 and int(rows[0]["total"]) == 16
    assert sorted((r["parameter"], r["value"]) for r in rows[1:]) == [("depth", "1"), ("depth", "2"),
                                                                     ("width", "16"), ("width", "32")]
    data = json.loads(nnsweep("status", out, "--format", "json").stdout)
    assert data[0]["done"] == 15 and isinstance(data[0]["done"], int) and data[0]["value"] == ""
    # plan: one table of numbers (no "1.3s", no "100.0%"), the suggestion marked
    r = nnsweep("plan", spec, "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = rows_of(r.stdout)
    assert list(rows[0]) == ["ranks", "wall_s", "load_balance", "core_hours", "tasks", "cost_flops", "suggested"]
    for row in rows:
        values = {k: float(v) for k, v in row.items()}  # every field a number
        assert 0 < values["load_balance"] <= 1 and values["tasks"] == 16
        assert values["core_hours"] == pytest.approx(values["ranks"] * values["wall_s"] / 3600, rel=1e-4)
    assert float(rows[0]["load_balance"]) == 1.0  # one rank is always balanced
    assert sum(int(row["suggested"]) for row in rows) == 1
    plan = json.loads(nnsweep("plan", spec, "--format", "json").stdout)
    assert [p["ranks"] for p in plan] == [int(row["ranks"]) for row in rows]


def test_failed_tasks_exit_3_and_status_exit_code_repeats_the_last_runs_outcome(nnsweep):
    spec = nnsweep.write("s.ini", SPEC.format(seed=1, activation="relu"))
    out = nnsweep.cwd + "/f.h5"
    r = nnsweep("run", spec, "--out", out, "--progress", "none", env={"NNSWEEP_FAIL_TASKS": "2"})
    assert r.returncode == 3, r.stderr  # finished, with a failed task
    s = nnsweep("status", out, "--exit-code")
    assert s.returncode == 3 and "last run: exit 3 — finished with failed tasks" in s.stdout, s.stdout
    r = nnsweep("run", spec, "--out", out, "--resume", "--progress", "none")
    assert r.returncode == 3, r.stderr  # a plain resume keeps the failure: still 3
    r = nnsweep("run", spec, "--out", out, "--resume", "--retry-failed", "--progress", "none")
    assert r.returncode == 0, r.stderr
    s = nnsweep("status", out, "--exit-code")
    assert s.returncode == 0 and "last run: exit 0" in s.stdout, s.stdout
    assert nnsweep("status", out).returncode == 0  # without --exit-code: 0 whatever the outcome
    # a run stopped by its time limit with tasks left records 75 (what mpirun may not pass on)
    # (a limit of 1 µs counted from the command's start has passed before the first task: no race)
    r = nnsweep("run", spec, "--out", "t.h5", "--progress", "none", "--time-limit", "0.000001")
    assert r.returncode == 75, r.stderr
    s = nnsweep("status", nnsweep.cwd + "/t.h5", "--exit-code")
    assert s.returncode == 75 and "last run: exit 75 — tasks remain" in s.stdout, s.stdout
