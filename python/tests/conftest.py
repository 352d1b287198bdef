"""Fixtures: synthetic results files (see synthetic.py), the real binary (NNSWEEP_BIN, set by
ctest; tests that need it are skipped without it) and the package on sys.path."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PYTHON_DIR))

from synthetic import DIVERGED, FAILED, PENDING, TIMED_OUT, correlations_file  # noqa: E402

#: Tasks of the main fixture that are not done (width, depth, activation, seed) → status.
NOT_DONE = {
    (64, 4, "relu", 3): FAILED,
    (16, 1, "tanh", 2): DIVERGED,
    (32, 2, "relu", 1): PENDING,
    (32, 1, "tanh", 0): TIMED_OUT,
    # one done seed (2): sem falls back to that task's own *_sem column
    (16, 4, "tanh", 0): PENDING, (16, 4, "tanh", 1): FAILED, (16, 4, "tanh", 3): PENDING,
    # no done seed at all
    **{(64, 1, "tanh", s): PENDING for s in range(4)},
}
#: A done task whose g4_ratio is NaN (must not count).
NAN_VALUES = {(32, 4, "tanh", 3): "g4_ratio"}


@pytest.fixture(scope="session")
def corr(tmp_path_factory):
    """The 3 widths × 3 depths × 2 activations × 4 seeds grid (72 tasks) with NOT_DONE."""
    path = tmp_path_factory.mktemp("synthetic") / "corr.h5"
    return correlations_file(path, statuses=NOT_DONE, nan_values=NAN_VALUES)


@pytest.fixture(scope="session")
def corr_zip(tmp_path_factory):
    """zip = depth+width: (16,1), (32,2), (64,4) × relu × seeds 0, 1 (6 tasks)."""
    path = tmp_path_factory.mktemp("synthetic") / "zip.h5"
    return correlations_file(path, activations=("relu",), seeds=(0, 1), zip_depth_width=True)


@pytest.fixture
def nnsweep_bin():
    """The built binary (NNSWEEP_BIN); the test is skipped without it."""
    binary = os.environ.get("NNSWEEP_BIN")
    if not binary:
        pytest.skip("NNSWEEP_BIN is not set (path of the built nnsweep binary)")
    return binary


@pytest.fixture
def run_sweep(nnsweep_bin, tmp_path):
    """Runs `nnsweep run` on a spec text with the built binary; returns the results file's path."""
    binary = nnsweep_bin

    def run(name, spec_text, *args):
        spec = tmp_path / f"{name}.ini"
        spec.write_text(spec_text)
        out = tmp_path / f"{name}.h5"
        env = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
        result = subprocess.run([binary, "run", str(spec), "--out", str(out), *args], env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        return out
    return run
