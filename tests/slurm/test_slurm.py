"""The batch scripts in jobs/ against a real Slurm (slurmctld + slurmd + munged on this machine,
brought up by conftest.py): each result is compared, column by column, with an uninterrupted
`mpirun -n 2` run of the same sweep. The sweep is the example spec (jobs/examples/correlations.ini:
84 grid cells x 8 seeds) cut to seeds 0..3 (336 tasks) and fewer samples, submitted from a copy of
jobs/ as a user would."""
import os
import re
import time

import h5py
import numpy as np
import pytest

from conftest import FINAL_STATES, ROOT
from launch import Runner, kill_job, wait_until  # tests/e2e
from results import assert_committed_rows_match, assert_same_results, live_counts, runs_table, status_counts

SPEC = "jobs/examples/correlations.ini"  # relative to the job's directory, as a user submits it
TASKS = 336  # the example's 84 grid cells x 4 seeds (SMALL and LARGE set seed=0..3; the example has 8)
SMALL = ["--set", "seed=0..3", "--set", "samples=400"]    # ~2 s at 2 ranks
LARGE = ["--set", "seed=0..3", "--set", "samples=2000"]   # ~8 s at 2 ranks: long enough to be preempted twice
# Jobs the tests stop: every task 30 ms longer (~5 s more at 2 ranks, numbers unchanged), so there
# is work left when the stop comes on a machine of any speed; their resubmissions run at full speed.
SLOW = {"NNSWEEP_TASK_DELAY": "0.03"}


@pytest.fixture(scope="module")
def references(nnsweep_bin, tmp_path_factory):
    """Uninterrupted runs under mpirun (no Slurm), the numbers every job must reproduce."""
    runner = Runner(nnsweep_bin, str(tmp_path_factory.mktemp("reference")))
    spec = os.path.join(ROOT, SPEC)
    paths = {}
    for name, overrides in (("small", SMALL), ("large", LARGE)):
        paths[name] = os.path.join(runner.cwd, f"{name}.h5")
        # In a session of its own, mpirun and every rank killed if the tests are interrupted: an
        # orphaned rank would spin.
        process = runner.popen("run", spec, "--out", paths[name], "--progress", "none", *overrides, ranks=2)
        try:
            process.wait(timeout=300)
        finally:
            if process.poll() is None:
                kill_job(process)
        assert process.returncode == 0, process.stderr()
        assert status_counts(paths[name])["done"] == TASKS
    return paths


def output(jobdir, name):
    with open(os.path.join(jobdir, name)) as f:
        return f.read()


def test_sbatch_plain_sweep_equals_mpirun(slurm, jobdir, references):
    """jobs/correlations.sbatch (srun over the allocation) gives the mpirun run's numbers."""
    start = time.monotonic()
    job = slurm.sbatch("--ntasks=2", "--time=5", "--output=plain-%j.out", "jobs/correlations.sbatch", SPEC,
                       "plain.h5", *SMALL, cwd=jobdir)
    record = slurm.wait_final(job, timeout=180)
    log = output(jobdir, f"plain-{job}.out")
    assert (record["JobState"], record["ExitCode"]) == ("COMPLETED", "0:0"), log
    assert_same_results(references["small"], jobdir / "plain.h5")
    table = runs_table(jobdir / "plain.h5", check_counts=True)
    assert table["mpi_size"].tolist() == [2] and table["slurm_job_id"] == [job]
    assert table["exit_code"].tolist() == [0]
    assert "kappa4" in output(jobdir, "plain.report.txt")
    print(f"plain sbatch: {time.monotonic() - start:.1f} s")


def preempt(slurm, nnsweep, job, path, restarts, after_done):
    """Once the job's run number `restarts` is running and has committed a task beyond
    `after_done`: USR1 to the batch shell, as Slurm's --signal=B:USR1 does before the time limit."""
    def progressed():
        record = slurm.job(job)
        assert record["JobState"] not in FINAL_STATES, record
        if record["JobState"] != "RUNNING" or record["Restarts"] != str(restarts):
            return False
        counts = live_counts(nnsweep, str(path)) if os.path.exists(path) else None
        return counts is not None and counts["done"] > after_done and counts["pending"] > 0
    wait_until(progressed, 120, f"job {job} to make progress", interval=0.1,
               details=lambda: f"{slurm.job(job)}\n{slurm.logs()}")
    slurm.run("scancel", "--signal=USR1", "--batch", job)


def requeued(slurm, job, restarts):
    return slurm.wait(job, lambda j: j["JobState"] == "PENDING" and j["Restarts"] == str(restarts), 60,
                      f"requeue number {restarts}")


def release(slurm, job):
    """A requeued job is held ~2 min (BeginTime); let it start now. Not in the same second as the
    requeue (Slurm 22.05 then refuses the job's credential), hence the pause and the retries."""
    time.sleep(2)

    def started():
        if slurm.job(job)["JobState"] != "PENDING":
            return True
        slurm.run("scontrol", "update", f"JobId={job}", "StartTime=now")
        return False
    wait_until(started, 60, f"job {job} to start after its release", interval=3, details=slurm.logs)


def test_preempted_sweep_requeues_itself_and_finishes(slurm, jobdir, references, nnsweep_bin):
    """jobs/sweep-requeue.sbatch with NNSWEEP_MAX_RESTARTS=1, preempted twice with
    `scancel --signal=USR1 --batch`: the first stop commits and requeues (same job, restart 1); the
    second stop commits but does not requeue (the bound), the job fails with 75; submitting the
    script again finishes the sweep. Each task is computed once, the result equals mpirun's."""
    start = time.monotonic()
    nnsweep = Runner(nnsweep_bin, str(jobdir))
    path = jobdir / "requeue.h5"
    # Commits every 0.2 s: a preemption follows the first commits closely, well before the end.
    submit = ("--ntasks=2", "--time=10", "--signal=B:USR1@30", "--output=requeue-%j.out", "jobs/sweep-requeue.sbatch",
              SPEC, "requeue.h5", *LARGE, "--commit-every", "0.2")
    job = slurm.sbatch(*submit, cwd=jobdir, env={"NNSWEEP_MAX_RESTARTS": "1", **SLOW})

    preempt(slurm, nnsweep, job, path, restarts=0, after_done=0)
    requeued(slurm, job, 1)
    first = status_counts(path)
    assert first["done"] > 0 and first["pending"] > 0, first
    assert runs_table(path, check_counts=True)["exit_code"].tolist() == [75]
    assert_committed_rows_match(references["large"], path)
    release(slurm, job)

    preempt(slurm, nnsweep, job, path, restarts=1, after_done=first["done"])
    record = slurm.wait_final(job, timeout=120)
    log = output(jobdir, f"requeue-{job}.out")
    assert (record["JobState"], record["ExitCode"], record["Restarts"]) == ("FAILED", "75:0", "1"), log
    second = status_counts(path)
    assert first["done"] < second["done"] < TASKS, (first, second)
    assert_committed_rows_match(references["large"], path)
    # One .out for both runs (--open-mode=append): stopped twice, requeued once, then the bound.
    assert "restart 0 of at most 1" in log and "restart 1 of at most 1" in log, log
    assert log.count("USR1 at") == 2 and log.count("requeueing job") == 1, log
    assert "tasks remain after 1 restarts" in log, log

    again = slurm.sbatch(*submit, cwd=jobdir, env={"NNSWEEP_MAX_RESTARTS": "1"})
    record = slurm.wait_final(again, timeout=180)
    assert (record["JobState"], record["ExitCode"]) == ("COMPLETED", "0:0"), output(jobdir, f"requeue-{again}.out")
    assert_same_results(references["large"], path)
    table = runs_table(path, check_counts=True)
    assert table["exit_code"].tolist() == [75, 75, 0]
    assert table["slurm_job_id"] == [job, job, again]
    assert table["tasks_done"].sum() == TASKS
    with h5py.File(path, "r") as f:
        assert (f["attempts"][...] == 1).all()  # nothing was started twice
    print(f"preempted twice, requeued once, resubmitted once: {time.monotonic() - start:.1f} s")


def test_job_end_time_stops_the_sweep_and_a_resubmission_finishes_it(slurm, jobdir, references):
    """A job whose end time comes 5 s after it starts (scontrol update EndTime): nnsweep reads it,
    stops before it with exit 75 (FAILED 75, not TIMEOUT: Slurm did not have to kill it), having
    committed exact values only; jobs/correlations.sbatch submitted again resumes and finishes."""
    start = time.monotonic()
    bin_ = slurm.env["NNSWEEP"]
    wrap = (f"scontrol update JobId=$SLURM_JOB_ID EndTime=now+5 && scontrol show job -o $SLURM_JOB_ID && "
            f"srun {bin_} run {SPEC} --out limit.h5 --resume --progress log {' '.join(LARGE)}")
    job = slurm.sbatch("--ntasks=2", "--time=5", "--output=limit-%j.out", f"--wrap={wrap}", cwd=jobdir, env=SLOW)
    record = slurm.wait_final(job, timeout=120)
    log = output(jobdir, f"limit-{job}.out")
    assert (record["JobState"], record["ExitCode"]) == ("FAILED", "75:0"), log
    assert "stopped early (time limit)" in log, log
    end = re.search(r"EndTime=(\S+)", log).group(1)  # the updated end time, as the job saw it
    path = jobdir / "limit.h5"
    counts = status_counts(path)
    assert 0 < counts["done"] < TASKS and counts["failed"] == 0, counts
    assert_committed_rows_match(references["large"], path)
    finished = runs_table(path, check_counts=True)["finished_utc"][0]
    end_utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.mktime(time.strptime(end, "%Y-%m-%dT%H:%M:%S"))))
    assert finished <= end_utc, (finished, end_utc)  # ISO 8601 strings in UTC compare as times

    again = slurm.sbatch("--ntasks=2", "--time=5", "--output=limit-%j.out", "jobs/correlations.sbatch", SPEC,
                         "limit.h5", *LARGE, cwd=jobdir)
    record = slurm.wait_final(again, timeout=180)
    assert (record["JobState"], record["ExitCode"]) == ("COMPLETED", "0:0"), output(jobdir, f"limit-{again}.out")
    assert_same_results(references["large"], path)
    assert runs_table(path, check_counts=True)["exit_code"].tolist() == [75, 0]
    print(f"end time: {time.monotonic() - start:.1f} s")


def test_job_array_shards_and_merge_equal_mpirun(slurm, jobdir, references):
    """jobs/sweep-array.sbatch as a 3-task array (--shard I/3), jobs/merge.sbatch after it
    (afterany): the shards split the tasks without overlap, the merged file equals mpirun's."""
    start = time.monotonic()
    array = slurm.sbatch("--array=0-2", "--ntasks=1", "--time=5", "--output=shard-%A_%a.out",
                         "jobs/sweep-array.sbatch", SPEC, "ex", *SMALL, cwd=jobdir)
    merge = slurm.sbatch(f"--dependency=afterany:{array}", "--ntasks=1", "--time=5", "--output=merge-%j.out",
                         "jobs/merge.sbatch", "ex", cwd=jobdir)
    record = slurm.wait_final(merge, timeout=240)
    assert (record["JobState"], record["ExitCode"]) == ("COMPLETED", "0:0"), output(jobdir, f"merge-{merge}.out")
    shards = slurm.jobs(array)
    assert sorted(j["ArrayTaskId"] for j in shards) == ["0", "1", "2"]
    assert all((j["JobState"], j["ExitCode"]) == ("COMPLETED", "0:0") for j in shards), shards

    owner = np.full(TASKS, -1)
    for i in range(3):
        with h5py.File(jobdir / f"ex.shard-{i}-of-3.h5", "r") as f:
            status = f["status"][...]
        assert status.shape == (TASKS,)  # every shard has the whole task table
        done = status == 1
        assert 0 < done.sum() < TASKS and (status[~done] == 0).all()
        assert (owner[done] == -1).all(), f"shard {i} computed tasks of another shard"
        owner[done] = i
    assert (owner >= 0).all()
    assert_same_results(references["small"], jobdir / "ex.h5")
    assert status_counts(jobdir / "ex.h5")["done"] == TASKS
    print(f"array of 3 + merge: {time.monotonic() - start:.1f} s")
