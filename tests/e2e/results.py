"""Reading results files in tests: the columns that must be reproducible, and opening checks."""
import h5py
import numpy as np

METADATA = {"rank", "run", "wall_s", "attempts"}


def result_columns(path):
    """Every per-task column except run metadata (rank, run, wall time, attempts), as arrays."""
    with h5py.File(path, "r") as f:
        names = [n for n in f.keys() if isinstance(f[n], h5py.Dataset) and f[n].shape and f[n].shape[0] == f.attrs["task_count"]]
        return {n: f[n][...] for n in names if n not in METADATA}


def assert_same_results(a, b):
    ca, cb = result_columns(a), result_columns(b)
    assert sorted(ca) == sorted(cb)
    for name in ca:
        x, y = ca[name], cb[name]
        if x.dtype.kind == "f":
            same = np.array_equal(x.view(np.uint64) if x.dtype == np.float64 else x, y.view(np.uint64) if y.dtype == np.float64 else y) \
                or np.array_equal(x, y, equal_nan=True)
        else:
            same = np.array_equal(x, y)
        assert same, f"column {name} differs between {a} and {b}"


def status_counts(path):
    with h5py.File(path, "r") as f:
        status = f["status"][...]
    return {name: int((status == code).sum()) for code, name in enumerate(["pending", "done", "failed", "diverged", "timed_out"])}
