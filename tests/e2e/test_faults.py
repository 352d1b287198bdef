"""Faults without Slurm: SIGKILL at 20 seeded random instants, SIGTERM/SIGUSR1 drains (also with
the signals blocked at start) and the --grace rule, a wall-time limit, a second writer, a wrong
spec, broken files, and failed tasks as data. The numbers are always checked against one uninterrupted run of the same spec: a task is
either committed with exactly the reference's values or pending, a committed task is never lost
or computed again, and the finished file equals the reference (run metadata aside)."""
import os
import random
import re
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from launch import Runner, kill_job, processes, session_members, wait_until
from results import (FAILED, assert_committed_rows_match, assert_same_results, last_run_state, live_counts, read,
                     runs_table, status_counts)

# 48 tasks of different cost: about 2–2.5 s of work at 2 ranks.
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
TASKS = 48
# 4 tasks of 4 s each (with LONG_DELAY; the kernel's own work is ~0.3 s): 2 are in flight on
# 2 ranks when a signal comes.
LONG_SPEC = """experiment = correlations
sweep_seed = 5
[params]
activation = relu
width = 128
depth = 8
sampler = full_network
samples = 2000
seed = 0..3
"""
LONG_DELAY = {"NNSWEEP_TASK_DELAY": "4"}
KILL_POINTS = 20
STARTUP_S = 0.5  # mpirun and MPI start-up before any work
# The longest wait for a run to reach a state (a task done, its ranks up, its exit after a signal);
# whole runs get Runner's default timeout (300 s).
WAIT_S = 120
# A run that a test signals or limits: every task takes 0.25 s longer (a sleep before the kernel,
# results unchanged), so ~6 s of its work is left when the test acts, however slow or fast the
# machine and however late the test's poll; resumes run at full speed.
SLOW = {"NNSWEEP_TASK_DELAY": "0.25"}


@pytest.fixture(scope="module")
def reference(nnsweep_bin, tmp_path_factory):
    """The uninterrupted run: its file, and how long its task phase took."""
    runner = Runner(nnsweep_bin, str(tmp_path_factory.mktemp("reference")))
    spec = runner.write("spec.ini", SPEC)
    path = os.path.join(runner.cwd, "reference.h5")
    start = time.monotonic()
    r = runner("run", spec, "--out", path, "--progress", "none", ranks=2)
    assert r.returncode == 0, r.stderr
    assert status_counts(path)["done"] == TASKS
    return path, max(time.monotonic() - start - STARTUP_S, 0.5)


def rank_pids(process, ranks=2):
    """The ranks of a job started by Runner.popen (the nnsweep processes of its session), as Slurm
    would signal them: each one. Waits until all of them are up; fails, with the job's stderr, if
    the job ended first (then a test's signal would come too late to mean anything)."""
    def ranks_up():
        if process.poll() is not None:
            raise AssertionError(f"the job ended (exit {process.returncode}) before it could be signalled:\n"
                                 + process.stderr())
        pids = [pid for pid, name, state, _, session in processes()
                if session == process.pid and pid != process.pid and name == "nnsweep" and state not in ("Z", "X")]
        return pids if len(pids) == ranks else None
    return wait_until(ranks_up, WAIT_S, f"{ranks} ranks of job {process.pid}")


def stop(process, timeout=WAIT_S):
    try:
        rc = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_job(process)
        raise AssertionError(f"run did not exit within {timeout} s of its signal")
    wait_until(lambda: not session_members(process.pid), 30, "the ranks to exit")
    return rc


def error_lines(result):
    return [l for l in result.stderr.splitlines() if l.startswith("nnsweep: error:")]


# --- SIGKILL ----------------------------------------------------------------------------------

def test_sigkill_at_20_seeded_instants(nnsweep, reference):
    """kill -9 of mpirun and all its ranks at 20 instants drawn (seeded) over start-up, file creation
    and the task phase, resuming each time. After every kill the file opens (h5py and nnsweep
    status), every done task equals the reference, no done task is lost or recomputed (its `run`
    index never changes); the finished file equals the reference."""
    reference_path, work_s = reference
    spec = nnsweep.write("spec.ini", SPEC)
    out = os.path.join(nnsweep.cwd, "killed.h5")
    rng = random.Random(int(os.environ.get("NNSWEEP_KILL_SEED", "20240")))  # seeded: the same 20 instants each time
    kills = completed = files_checked = 0
    committed = {}  # task -> the run that committed it
    while kills < KILL_POINTS:
        pending = 1.0
        if os.path.exists(out):
            counts = status_counts(out)
            pending = counts["pending"] / TASKS
        process = nnsweep.popen("run", spec, "--out", out, "--resume", "--progress", "none", ranks=2)
        instant = rng.uniform(0.0, 1.0) * (STARTUP_S + work_s * pending)
        try:
            process.wait(timeout=instant)
        except subprocess.TimeoutExpired:
            kill_job(process)
            kills += 1
            if not os.path.exists(out):
                assert not committed, f"kill {kills}: the results file disappeared"
                continue
            with h5py.File(out, "r") as f:  # opens, and its bookkeeping is readable
                assert f["status"].shape == f["task"].shape == (TASKS,)
                assert f["spec"][()]
            r = nnsweep("status", out)
            assert r.returncode == 0, f"kill {kills}: nnsweep status: {r.stderr}"
            # A kill between a task's payload and its status leaves it pending with values: allowed,
            # it is computed again (the final comparison and the run indices check that).
            done = assert_committed_rows_match(reference_path, out, pending_nan=False)
            (run,) = read(out, "run")
            now = {int(t): int(run[t]) for t in np.flatnonzero(done)}
            lost = set(committed) - set(now)
            assert not lost, f"kill {kills}: committed tasks {sorted(lost)} were lost"
            redone = [t for t in committed if now[t] != committed[t]]
            assert not redone, f"kill {kills}: tasks {redone} were computed again"
            committed = now
            files_checked += 1
            continue
        # Finished before its kill instant: check it, then start over to place the next kills.
        assert process.returncode == 0, process.stderr()
        assert_same_results(reference_path, out)
        completed += 1
        committed = {}
        os.remove(out)

    r = nnsweep("run", spec, "--out", out, "--resume", "--progress", "none", ranks=2)
    assert r.returncode == 0, r.stderr
    assert status_counts(out)["done"] == TASKS
    assert_same_results(reference_path, out)
    (run,) = read(out, "run")
    assert all(run[t] == committed[t] for t in committed)
    runs = runs_table(out)
    # Killed runs stay -1; a run killed after it recorded its end (all done, exiting) keeps its 0.
    assert runs["exit_code"][-1] == 0 and set(runs["exit_code"][:-1]) <= {-1, 0}
    print(f"{kills} kills ({files_checked} intermediate files checked), {completed} runs finished first")


# --- signals: drain, grace --------------------------------------------------------------------

# (SIGTERM to mpirun is not here: Open MPI's mpirun does not forward it but tears the job down,
# exiting 1, and the ranks may or may not drain first. Slurm signals every task itself.)
@pytest.mark.parametrize("sig, target", [(signal.SIGTERM, "ranks"), (signal.SIGINT, "ranks"),
                                         (signal.SIGUSR1, "mpirun")])
def test_signal_drains_and_resume_completes(nnsweep, reference, sig, target):
    """A signal mid-sweep (to every rank, as Slurm sends it, or to mpirun, which forwards it):
    the run stops taking tasks, finishes and commits its in-flight ones, exits 75; nothing is
    half-committed; a resume computes exactly the pending tasks and ends equal to the reference."""
    reference_path, _ = reference
    spec = nnsweep.write("spec.ini", SPEC)
    out = os.path.join(nnsweep.cwd, "drained.h5")
    process = nnsweep.popen("run", spec, "--out", out, "--progress", "none", ranks=2, env=SLOW)
    try:
        def some_done():
            counts = live_counts(nnsweep, out) if os.path.exists(out) else None
            return counts if counts and counts["done"] >= 1 else None
        seen = wait_until(some_done, WAIT_S, "a task done")
        if target == "ranks":
            for pid in rank_pids(process):
                os.kill(pid, sig)
        else:
            os.kill(process.pid, sig)
    finally:
        rc = stop(process)
    stderr = process.stderr()
    assert rc == 75, f"signalled when the file showed {seen}:\n{stderr}"
    assert "stopped early" in stderr
    counts = status_counts(out)
    assert counts["done"] >= 1 and counts["pending"] > 0, counts
    assert counts["failed"] == counts["timed_out"] == counts["diverged"] == 0, counts
    done = assert_committed_rows_match(reference_path, out)
    assert runs_table(out)["exit_code"].tolist() == [75]
    assert runs_table(out)["tasks_done"].tolist() == [done.sum()]

    r = nnsweep("run", spec, "--out", out, "--resume", "--progress", "none", ranks=2)
    assert r.returncode == 0, r.stderr
    assert_same_results(reference_path, out)
    run, attempts = read(out, "run", "attempts")
    assert (run[done] == 0).all() and (run[~done] == 1).all()  # each task computed by one run
    assert (attempts == 1).all()  # default --grace 30: in-flight tasks finished, none restarted
    runs = runs_table(out)
    assert runs["exit_code"].tolist() == [75, 0]
    assert runs["tasks_done"].sum() == TASKS


def test_a_blocked_stop_signal_still_drains(nnsweep):
    """Started with the stop signals blocked (as some launchers leave them; a blocked signal would
    wait in the mask for ever): the run unblocks them, so SIGTERM still drains it, exit 75."""
    spec = nnsweep.write("spec.ini", SPEC)
    out = os.path.join(nnsweep.cwd, "blocked.h5")
    process = nnsweep.popen("run", spec, "--out", out, "--progress", "log", env=SLOW,
                            blocked_signals={signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
    try:
        wait_until(lambda: any(line.startswith("progress:") for line in process.lines()), WAIT_S,
                   "the first progress line")
        os.kill(process.pid, signal.SIGTERM)
    finally:
        rc = stop(process)
    assert rc == 75 and "stopped early (signal 15)" in process.stderr(), process.stderr()
    counts = status_counts(out)
    assert counts["pending"] > 0 and counts["failed"] == counts["timed_out"] == 0, counts


@pytest.mark.parametrize("case", ["grace 30", "grace 0", "second signal"])
def test_grace_decides_what_in_flight_tasks_do(nnsweep, case):
    """Four 4 s tasks on 2 ranks, SIGTERM to both ranks while two are in flight: with --grace 30
    they finish (2 done); with --grace 0, or when a second signal follows, they are abandoned:
    committed as timed_out (status 4, payload NaN), never failed; a resume then completes them,
    like the two that never started."""
    spec = nnsweep.write("long.ini", LONG_SPEC)
    out = os.path.join(nnsweep.cwd, "long.h5")
    grace = "0" if case == "grace 0" else "30"
    process = nnsweep.popen("run", spec, "--out", out, "--grace", grace, "--progress", "log", ranks=2,
                            env=LONG_DELAY)
    try:
        # The first progress line comes as rank 0 hands out the first tasks: a second later both
        # ranks are in one (4 s each).
        wait_until(lambda: any(line.startswith("progress:") for line in process.lines()), WAIT_S,
                   "the first progress line")
        time.sleep(1.0)
        pids = rank_pids(process)
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        if case == "second signal":
            time.sleep(0.2)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pytest.fail("the ranks exited before a second signal: no task was in flight")
    finally:
        rc = stop(process)
    assert rc == 75, process.stderr()
    counts = status_counts(out)
    finished = 2 if case == "grace 30" else 0
    assert counts == {"pending": 2, "done": finished, "failed": 0, "diverged": 0, "timed_out": 2 - finished}, \
        f"{case}: {counts} (in-flight tasks finish within the grace, else are abandoned as timed_out)"
    (kappa4,) = read(out, "kappa4")
    assert np.isnan(kappa4).sum() == 4 - finished
    if case == "grace 0":  # a plain resume reruns abandoned and never-started tasks alike
        r = nnsweep("run", spec, "--out", out, "--resume", "--progress", "none", ranks=2)
        assert r.returncode == 0, r.stderr
        assert status_counts(out)["done"] == 4


LIMIT_S = 3


def test_time_limit_stops_in_time_and_resume_completes(nnsweep, reference):
    """--time-limit 3 (counted from the command's start) on a sweep slowed to over 8 s: exit 75,
    its task phase no longer than the limit (plus the final commit), committed tasks are exact; a
    resume finishes it equal to the reference."""
    reference_path, _ = reference
    spec = nnsweep.write("spec.ini", SPEC)
    out = os.path.join(nnsweep.cwd, "limited.h5")
    start = time.monotonic()
    r = nnsweep("run", spec, "--out", out, "--time-limit", str(LIMIT_S), "--progress", "none", ranks=2,
                env=SLOW)
    elapsed = time.monotonic() - start
    assert r.returncode == 75, r.stderr
    assert "time limit" in r.stderr
    assert elapsed < LIMIT_S + 20, elapsed  # start-up on a loaded machine, but no hang
    (makespan,) = read(out, "runs/makespan_s")
    assert makespan[0] <= LIMIT_S + 0.5, makespan[0]
    counts = status_counts(out)
    assert 0 < counts["done"] < TASKS and counts["failed"] == 0, counts
    assert_committed_rows_match(reference_path, out)
    r = nnsweep("run", spec, "--out", out, "--resume", "--progress", "none", ranks=2)
    assert r.returncode == 0, r.stderr
    assert_same_results(reference_path, out)


# --- guard rails ------------------------------------------------------------------------------

def test_second_writer_is_refused_and_kill_9_does_not_block_resume(nnsweep):
    """While a run writes FILE, another run on FILE (--resume, under mpirun too, or --force) exits 2
    naming the other writer and leaves the file alone; status calls the first run running. Once
    it is killed with -9 the kernel has dropped its lock: status calls it killed, and a resume
    starts at once."""
    spec = nnsweep.write("spec.ini", SPEC)
    out = os.path.join(nnsweep.cwd, "busy.h5")
    # Over a minute, mostly asleep: the first run outlives the checks and leaves the cores to the
    # second runs' MPI start-up (before they look at the lock).
    process = nnsweep.popen("run", spec, "--out", out, "--progress", "none", ranks=1,
                            env={"NNSWEEP_TASK_DELAY": "1.5"})
    try:
        wait_until(lambda: os.path.exists(out) and live_counts(nnsweep, out), WAIT_S, "the results file")
        before = os.stat(out).st_ino
        # --force last: were it obeyed, it would replace the file under the first run.
        for args, ranks in ((["--resume"], None), (["--resume"], 2), (["--force"], None)):
            assert process.poll() is None, "the first run ended before the checks did"
            r = nnsweep("run", spec, "--out", out, *args, ranks=ranks, timeout=WAIT_S)
            assert r.returncode == 2, (args, ranks, r.stderr)
            lines = set(error_lines(r))
            assert len(lines) == 1 and "being written by another nnsweep run" in lines.pop(), r.stderr
        assert os.stat(out).st_ino == before and live_counts(nnsweep, out)  # the same file, intact
        assert last_run_state(nnsweep, out) == "running"
    finally:
        kill_job(process)  # kill -9: the kernel drops the lock
    assert last_run_state(nnsweep, out) == "killed"
    r = nnsweep("run", spec, "--out", out, "--resume", "--time-limit", "1", "--progress", "none", ranks=2,
                timeout=WAIT_S)
    assert r.returncode in (0, 75), r.stderr  # it ran: not refused (2)
    assert "being written" not in r.stderr


@pytest.mark.parametrize("overrides, keys", [
    (["--set", "sweep_seed=12"], ["sweep_seed"]),
    (["--set", "samples=1000", "--set", "width=32,64"], ["samples", "width"]),
    (["--set", "activation=relu"], ["activation"]),
])
def test_resume_with_a_different_spec_is_refused(nnsweep, reference, overrides, keys):
    """Refused with exit 2 naming the differing keys, and the file is left as it was; shards of
    different specs are refused by merge too."""
    reference_path, _ = reference
    spec = nnsweep.write("spec.ini", SPEC)
    out = os.path.join(nnsweep.cwd, "r.h5")
    shutil.copy(reference_path, out)
    before = open(out, "rb").read()
    for ranks in (None, 2):
        r = nnsweep("run", spec, "--out", out, "--resume", *overrides, ranks=ranks)
        assert r.returncode == 2, r.stderr
        lines = set(error_lines(r))
        assert len(lines) == 1, r.stderr
        line = lines.pop()
        assert "different spec" in line and all(k in line for k in keys), line
    assert open(out, "rb").read() == before

    r = nnsweep("run", spec, "--out", "other.h5", "--shard", "0/4", *overrides, "--progress", "none", ranks=2)
    assert r.returncode == 0, r.stderr
    r = nnsweep("merge", "merged.h5", out, "other.h5")
    assert r.returncode == 2 and all(k in r.stderr for k in keys), r.stderr
    assert not os.path.exists(os.path.join(nnsweep.cwd, "merged.h5"))


def broken_files(reference_path, directory):
    """Seeded ways to break a results file: (name, path)."""
    rng = random.Random(7)
    data = open(reference_path, "rb").read()
    cases = {
        "truncated to half": data[:len(data) // 2],
        "truncated to 4 KiB": data[:4096],
        "truncated to 100 bytes": data[:100],
        "empty": b"",
        "garbage": bytes(rng.getrandbits(8) for _ in range(65536)),
        "text": b"not an HDF5 file\n" * 100,
        "superblock zeroed": data[:8] + bytes(56) + data[64:],
    }
    paths = []
    for name, content in cases.items():
        path = os.path.join(directory, name.replace(" ", "_") + ".h5")
        with open(path, "wb") as f:
            f.write(content)
        paths.append((name, path))
    path = os.path.join(directory, "hdf5_not_results.h5")
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    paths.append(("HDF5 but not a results file", path))
    path = os.path.join(directory, "no_status.h5")
    shutil.copy(reference_path, path)
    with h5py.File(path, "a") as f:
        del f["status"]
    paths.append(("results file without /status", path))
    return paths


def test_broken_files_give_one_clear_error(nnsweep, reference):
    """Every command on every broken file: exit 1 or 2 within seconds (no crash, no hang), one
    distinct 'nnsweep: error:' line naming the file, and the file left untouched."""
    reference_path, _ = reference
    spec = nnsweep.write("spec.ini", SPEC)
    tried = 0
    for name, path in broken_files(reference_path, nnsweep.cwd):
        before = open(path, "rb").read()
        merged = os.path.join(nnsweep.cwd, "merged.h5")
        for args, ranks in ((["status", path], None), (["report", path], None), (["merge", merged, path], None),
                            (["run", spec, "--out", path, "--resume"], None),
                            (["run", spec, "--out", path, "--resume"], 2)):
            r = nnsweep(*args, ranks=ranks, timeout=60)
            what = f"{name}: nnsweep {' '.join(args[:1])}{' under mpirun' if ranks else ''}"
            assert r.returncode in (1, 2), f"{what}: exit {r.returncode}\n{r.stderr}"
            lines = set(error_lines(r))
            assert len(lines) == 1, f"{what}: {r.stderr}"
            assert os.path.basename(path) in lines.pop(), f"{what}: {r.stderr}"
            assert open(path, "rb").read() == before, f"{what}: the file was changed"
            assert not os.path.exists(merged), f"{what}: a failed merge left {merged} behind"
        tried += 1
    print(f"{tried} broken files, 5 commands each")
    assert tried == 9


# --- failures are data ------------------------------------------------------------------------

def test_failed_tasks_are_data_and_retry_failed_completes_them(nnsweep, reference):
    reference_path, _ = reference
    spec = nnsweep.write("spec.ini", SPEC)
    out = os.path.join(nnsweep.cwd, "failing.h5")
    r = nnsweep("run", spec, "--out", out, "--progress", "none", ranks=2, env={"NNSWEEP_FAIL_TASKS": "3,7"})
    assert r.returncode == 3, r.stderr  # the sweep went on: every other task is done; 3: some failed
    assert status_counts(out) == {"pending": 0, "done": TASKS - 2, "failed": 2, "diverged": 0, "timed_out": 0}
    status, error, kappa4 = read(out, "status", "error", "kappa4")
    assert np.flatnonzero(status == FAILED).tolist() == [3, 7]
    assert all(b"NNSWEEP_FAIL_TASKS" in error[t] for t in (3, 7))
    assert np.isnan(kappa4[[3, 7]]).all(), "failed tasks carry metric values (docs: NaN until done)"
    assert_committed_rows_match(reference_path, out)  # every done task exact, failures aside

    r = nnsweep("status", out)
    assert r.returncode == 0
    listed = re.findall(r"task (\d+) \(failed\) ([^:]*): (.*)", r.stdout)  # its parameters, its error
    assert [int(t) for t, _, _ in listed] == [3, 7] and all("NNSWEEP_FAIL_TASKS" in e for _, _, e in listed), r.stdout
    assert all("width=" in p and "seed=" in p for _, p, _ in listed), r.stdout

    r = nnsweep("run", spec, "--out", out, "--resume", "--progress", "none", ranks=2)
    assert r.returncode == 3 and status_counts(out)["failed"] == 2  # a plain resume keeps failures
    assert "nothing to do, every task is committed (2 failed: rerun them with --retry-failed)" in r.stderr, r.stderr
    r = nnsweep("run", spec, "--out", out, "--resume", "--retry-failed", "--progress", "none", ranks=2)
    assert r.returncode == 0, r.stderr
    assert_same_results(reference_path, out)  # error texts cleared, values exact
    runs = runs_table(out)
    assert runs["tasks_done"].tolist() == [TASKS, 0, 2]  # a failure is committed too
