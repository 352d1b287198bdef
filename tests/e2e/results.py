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
    """Every reproducible column of a and b is bit for bit the same (so 0.0 is not -0.0, and NaN
    payloads must match too: both files come from the same code)."""
    ca, cb = result_columns(a), result_columns(b)
    assert sorted(ca) == sorted(cb)
    for name in ca:
        x, y = ca[name], cb[name]
        assert x.dtype == y.dtype and x.shape == y.shape, f"column {name}: {x.dtype}{x.shape} vs {y.dtype}{y.shape}"
        bits = {4: np.uint32, 8: np.uint64}.get(x.dtype.itemsize) if x.dtype.kind == "f" else None
        same = np.array_equal(x.view(bits), y.view(bits)) if bits else np.array_equal(x, y)
        assert same, f"column {name} differs between {a} and {b}"


def status_counts(path):
    with h5py.File(path, "r") as f:
        status = f["status"][...]
    return {name: int((status == code).sum()) for code, name in enumerate(["pending", "done", "failed", "diverged", "timed_out"])}
