"""Reading results files in tests: the columns that must be reproducible, their comparison with a
reference run, status counts and the /runs table."""
import csv
import io

import h5py
import numpy as np

METADATA = {"rank", "run", "wall_s", "attempts"}
STATUS_NAMES = ["pending", "done", "failed", "diverged", "timed_out"]
PENDING, DONE, FAILED, DIVERGED, TIMED_OUT = range(len(STATUS_NAMES))


def read(path, *names):
    """The named datasets of a file, as arrays."""
    with h5py.File(path, "r") as f:
        return [f[n][...] for n in names]


def result_columns(path):
    """Every per-task column except run metadata (rank, run, wall time, attempts), as arrays."""
    with h5py.File(path, "r") as f:
        names = [n for n in f.keys() if isinstance(f[n], h5py.Dataset) and f[n].shape and f[n].shape[0] == f.attrs["task_count"]]
        return {n: f[n][...] for n in names if n not in METADATA}


def rows_equal(x, y):
    """Per row (task), whether x and y are bit for bit the same in every element: floats are
    compared as their bits (so 0.0 is not -0.0, and NaN payloads must match too: both files come
    from the same code), any other type with ==."""
    assert x.dtype == y.dtype and x.shape == y.shape, f"{x.dtype}{x.shape} vs {y.dtype}{y.shape}"
    bits = {2: np.uint16, 4: np.uint32, 8: np.uint64}.get(x.dtype.itemsize) if x.dtype.kind == "f" else None
    eq = np.asarray(x.view(bits) == y.view(bits) if bits else x == y)
    return eq.reshape(eq.shape[0], -1).all(axis=1) if eq.ndim > 1 else eq


def assert_same_results(a, b):
    """Every reproducible column of a and b is bit for bit the same (see rows_equal)."""
    ca, cb = result_columns(a), result_columns(b)
    assert sorted(ca) == sorted(cb)
    for name in ca:
        x, y = ca[name], cb[name]
        assert x.dtype == y.dtype and x.shape == y.shape, f"column {name}: {x.dtype}{x.shape} vs {y.dtype}{y.shape}"
        assert rows_equal(x, y).all(), f"column {name} differs between {a} and {b}"


def assert_committed_rows_match(reference_path, path, pending_nan=True):
    """Every task marked done carries exactly (bit for bit) the reference's values in every column,
    and (unless a kill may have cut a commit between payload and status) every pending task has a
    NaN payload (its metric columns): nothing is half-committed. Returns the mask of done tasks."""
    ref, cols = result_columns(reference_path), result_columns(path)
    done = cols["status"] == DONE
    for name, column in cols.items():
        bad = done & ~rows_equal(column, ref[name])
        if bad.any():
            tasks = np.flatnonzero(bad)
            run, rank = read(path, "run", "rank")
            shown = ", ".join(f"task {t} (run {run[t]}, rank {rank[t]}): {column[t]!r} != {ref[name][t]!r}"
                              for t in tasks[:6])
            raise AssertionError(f"{path}: {len(tasks)} done tasks differ from the reference in {name}: {shown}")
    with h5py.File(path, "r") as f:
        metrics = [n for n in f if isinstance(f[n], h5py.Dataset) and f[n].attrs.get("kind") in (b"metric", "metric")]
    assert metrics
    pending = cols["status"] == PENDING
    for name in metrics if pending_nan else []:
        assert np.isnan(cols[name][pending]).all(), f"{path}: pending tasks carry values in {name}"
    return done


def status_counts(path):
    (status,) = read(path, "status")
    return {name: int((status == code).sum()) for code, name in enumerate(STATUS_NAMES)}


def live_counts(runner, path):
    """Status counts of a file that may be being written (nnsweep status is safe then), or None.
    `runner`: a launch.Runner."""
    r = runner("status", path, "--format", "csv", timeout=30)
    if r.returncode != 0:
        return None
    whole = next(csv.DictReader(io.StringIO(r.stdout)))  # one table; first row: the whole file
    assert whole["parameter"] == "" and whole["value"] == "", r.stdout
    return {name: int(whole[name]) for name in STATUS_NAMES + ["total"]}


def runs_table(path, check_counts=False):
    """The used rows of a file's /runs table: exit_code, tasks_done, mpi_size (arrays), and
    slurm_job_id, finished_utc (lists of str). With check_counts (a file no run is writing, none of
    whose runs was killed: a run's tasks_done is final when it ends), also checks that each
    committed task (done, failed, diverged) was computed by exactly one run: a run's count equals
    the committed tasks that name it."""
    with h5py.File(path, "r") as f:
        used = f["runs/mpi_size"][...] > 0
        table = {n: f["runs"][n][...][used] for n in ("exit_code", "tasks_done", "mpi_size", "slurm_job_id",
                                                       "finished_utc")}
        run, status = f["run"][...], f["status"][...]
    for name in ("slurm_job_id", "finished_utc"):
        table[name] = [s.decode() if isinstance(s, bytes) else s for s in table[name]]
    if check_counts:
        committed = np.isin(status, [DONE, FAILED, DIVERGED])
        for k, n in enumerate(table["tasks_done"]):
            assert (committed & (run == k)).sum() == n, f"{path}: run {k} reports {n} tasks, {(run == k).sum()} name it"
    return table


def last_run_state(runner, path):
    """The exit column of the last run in `nnsweep status`: an exit code, running or killed."""
    r = runner("status", path, timeout=30)  # the runs table, then a "last run:" line
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if line and not line.startswith("last run:")]
    return rows[-1].split()[-1]
