"""kill -9 (the whole job: mpirun and every rank) at seeded random instants of a sweep, resuming
each time: every intermediate file opens, and the end result equals an uninterrupted run (run
metadata aside). Kill instants are drawn over start-up, file creation and the task phase alike."""
import os
import random
import signal
import subprocess
import time

import h5py

from results import assert_same_results, status_counts

# A few seconds of work at 2 ranks, in tasks of different cost.
SPEC = """experiment = correlations
sweep_seed = 11
[params]
activation = relu,tanh
width = 32,64,128
depth = 2,8
sampler = full_network
samples = 1500
n_out = 2
seed = 0..3
"""
KILL_POINTS = int(os.environ.get("NNSWEEP_KILL_POINTS", "6"))
STARTUP_S = 0.5  # mpirun and MPI start-up before any work


def wait_until_gone(group, timeout=30.0):
    """Wait until every process of the killed job has exited: until then rank 0 still holds the
    writer lock, and a resume is (rightly) refused."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    raise AssertionError(f"processes of group {group} still alive {timeout} s after SIGKILL")


def pending_fraction(path):
    if not os.path.exists(path):
        return 1.0
    counts = status_counts(path)
    return counts["pending"] / sum(counts.values())


def test_kill_and_resume_gives_the_uninterrupted_result(nnsweep):
    spec = nnsweep.write("spec.ini", SPEC)
    reference = os.path.join(nnsweep.cwd, "reference.h5")
    start = time.monotonic()
    r = nnsweep("run", spec, "--out", reference, "--progress", "none", ranks=2)
    assert r.returncode == 0, r.stderr
    work_s = max(time.monotonic() - start - STARTUP_S, 0.5)

    rng = random.Random(2024)  # seeded: the same sequence of kill instants every time
    out = os.path.join(nnsweep.cwd, "killed.h5")
    kills = completed = 0
    while kills < KILL_POINTS:
        process = nnsweep.popen("run", spec, "--out", out, "--resume", "--progress", "none", ranks=2)
        instant = rng.uniform(0.0, 1.0) * (STARTUP_S + work_s * pending_fraction(out))
        try:
            process.wait(timeout=instant)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            wait_until_gone(process.pid)
            kills += 1
            if os.path.exists(out):
                with h5py.File(out, "r") as f:  # opens, and its bookkeeping is readable
                    assert f["status"].shape == f["task"].shape
                    assert f["spec"][()]
            continue
        # Finished before the kill instant: check it, then start over to place the next kills.
        assert process.returncode == 0, process.stderr.read()
        assert_same_results(reference, out)
        completed += 1
        os.remove(out)

    r = nnsweep("run", spec, "--out", out, "--resume", "--progress", "none", ranks=2)
    assert r.returncode == 0, r.stderr
    assert status_counts(out)["done"] == status_counts(reference)["done"] == 48
    assert_same_results(reference, out)
    with h5py.File(out, "r") as f:
        used = f["runs/mpi_size"][...] > 0
        exit_codes = f["runs/exit_code"][...][used]
        assert exit_codes[-1] == 0  # the last run finished; killed ones stay -1 (or 0 when the
        assert set(exit_codes[:-1]) <= {-1, 0}  # kill landed after the run recorded its end)
    print(f"{kills} kills, {completed} runs finished before their kill instant")
