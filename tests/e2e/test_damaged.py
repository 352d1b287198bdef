"""Results files damaged in ways HDF5 itself cannot see: datasets of the wrong length or shape
for the file's own task_count, attributes of the wrong shape or type, a spec stored as an array.
Every reading command (status, report, merge, run --resume, alone and under mpirun) must exit 2
with one error line naming the file and the damaged object, never read past a buffer (a crash or
garbage), and leave the file as it was. The fixtures are built here with h5py from a good file."""
import os
import shutil

import h5py
import numpy as np
import pytest

SPEC = """experiment = correlations
[params]
width = 8,16
depth = 1
samples = 50
seed = 0..2
"""
TASKS = 6


@pytest.fixture(scope="module")
def good(nnsweep_bin, tmp_path_factory):
    from launch import Runner
    runner = Runner(nnsweep_bin, str(tmp_path_factory.mktemp("good")))
    spec = runner.write("spec.ini", SPEC)
    path = os.path.join(runner.cwd, "good.h5")
    r = runner("run", spec, "--out", path, "--progress", "none")
    assert r.returncode == 0, r.stderr
    return spec, path


def replace(f, name, data):
    """Replaces dataset `name` by `data` (keeping nothing of the old one)."""
    del f[name]
    f[name] = data


def longer_task_count(f):
    f.attrs.modify("task_count", np.int64(TASKS * 1000))


# name: (how to damage an open h5py.File, the object the error must name)
DAMAGE = {
    "status shorter than task_count": (lambda f: replace(f, "status", np.zeros(TASKS - 2, np.uint8)), "status"),
    "task_count larger than the columns": (longer_task_count, "task_count"),
    "a result column shorter": (lambda f: replace(f, "k2", np.zeros(TASKS - 1)), "k2"),
    "a metric column two-dimensional": (lambda f: replace(f, "wall_s", np.zeros((TASKS, 3))), "wall_s"),
    "a parameter column shorter": (lambda f: replace(f, "width", np.zeros(2, np.int64)), "width"),
    "error column shorter": (lambda f: replace(f, "error", np.zeros(1, "S256")), "error"),
    "attempts longer": (lambda f: replace(f, "attempts", np.zeros(TASKS + 5, np.int32)), "attempts"),
    "a runs column shorter": (lambda f: replace(f, "runs/mpi_size", np.zeros(3, np.int64)), "runs/mpi_size"),
    "a runs text column shorter": (lambda f: replace(f, "runs/started_utc", np.zeros(2, "S32")), "runs/started_utc"),
    "spec stored as an array": (lambda f: replace(f, "spec", np.array([b"x" * 300] * 50)), "spec"),
    "task_count an array": (lambda f: f.attrs.create("task_count", np.arange(64, dtype=np.int64)), "task_count"),
    "task_count not a number": (lambda f: f.attrs.create("task_count", np.bytes_("many")), "task_count"),
    "a kind column shorter": (lambda f: replace(f, "theory_k2_kind", np.zeros(1, np.uint8)), "theory_k2_kind"),
    "status as text": (lambda f: replace(f, "status", np.zeros(TASKS, "S1")), "status"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_file_exits_2_naming_the_dataset(nnsweep, good, damage):
    spec_path, good_path = good
    spec = nnsweep.write("spec.ini", open(spec_path).read())
    path = os.path.join(nnsweep.cwd, "damaged.h5")
    shutil.copy(good_path, path)
    how, culprit = DAMAGE[damage]
    with h5py.File(path, "a") as f:
        how(f)
    before = open(path, "rb").read()
    merged = os.path.join(nnsweep.cwd, "merged.h5")
    for args, ranks in ((["status", path], None), (["report", path], None), (["merge", merged, path], None),
                        (["merge", merged, good_path, path], None),
                        (["run", spec, "--out", path, "--resume"], None),
                        (["run", spec, "--out", path, "--resume"], 2)):
        r = nnsweep(*args, ranks=ranks, timeout=60)
        what = f"{damage}: nnsweep {args[0]}{' under mpirun' if ranks else ''}"
        assert r.returncode == 2, f"{what}: exit {r.returncode}\n{r.stderr}"
        lines = [l for l in r.stderr.splitlines() if l.startswith("nnsweep: error:")]
        assert len(set(lines)) == 1, f"{what}: {r.stderr}"
        assert "damaged.h5" in lines[0] and culprit in lines[0], f"{what}: {lines[0]}"
        assert open(path, "rb").read() == before, f"{what}: the file was changed"
        assert not os.path.exists(merged), f"{what}: a failed merge left {merged} behind"
