"""Fixtures: synthetic results files (see synthetic.py) and the package on sys.path."""
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
