"""Re-records a bitwise reference (run only in a commit of its own; see README.md):
    /usr/bin/python3 tests/e2e/reference/record.py build/ci/nnsweep NAME [NAME...]
runs NAME.ini with the given binary, prints for every column that moved the number of tasks and
the largest relative change (for the README's change log), and rewrites NAME.npz."""
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from results import read, rows_equal  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def record(binary, name):
    old = np.load(os.path.join(HERE, name + ".npz"))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.h5")
        subprocess.run([binary, "run", os.path.join(HERE, name + ".ini"), "--out", out,
                        "--progress", "none"], check=True)
        new = {column: read(out, column)[0] for column in old.files}
    for column in old.files:
        moved = ~rows_equal(new[column], old[column])
        if not moved.any():
            continue
        line = f"{name}: {column}: {moved.sum()} tasks moved"
        if new[column].dtype.kind == "f":
            a, b = new[column][moved].astype(float), old[column][moved].astype(float)
            both = np.isfinite(a) & np.isfinite(b)
            rel = np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), np.finfo(float).tiny)
            line += f", largest relative change {rel.max():.2g}" if rel.size else ""
        print(line)
    np.savez_compressed(os.path.join(HERE, name + ".npz"), **new)


if __name__ == "__main__":
    for n in sys.argv[2:]:
        record(os.path.abspath(sys.argv[1]), n)
