"""The command line, run as users run it: a subprocess with PYTHONPATH=python."""
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import nnsweep

PYTHON_DIR = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(PYTHON_DIR)}
    return subprocess.run([sys.executable, "-m", "nnsweep", *map(str, args)], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_plot_default_and_explicit_output(corr, tmp_path):
    result = cli("plot", corr.path, "-o", tmp_path / "fig.png")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"
    assert result.stdout.strip() == str(tmp_path / "fig.png")
    copy = tmp_path / "sweep.h5"
    copy.write_bytes(corr.path.read_bytes())
    assert cli("plot", copy).returncode == 0
    assert (tmp_path / "sweep.png").stat().st_size > 20_000


def test_summary_csv_equals_aggregate(corr):
    result = cli("summary", corr.path, "--format", "csv")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout), float_precision="round_trip")
    expected = nnsweep.aggregate(corr.path)
    assert list(table.columns) == list(expected.columns)
    np.testing.assert_array_equal(table["kappa4_mean"], expected["kappa4_mean"])  # full precision
    np.testing.assert_array_equal(table["kappa4_z"], expected["kappa4_z"])


def test_summary_by_and_formats(corr):
    result = cli("summary", corr.path, "--by", "activation,depth", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("| activation | depth | n_tasks |")
    assert lines[1].startswith("| --- |")
    assert len(lines) == 2 + 6
    assert lines[2].startswith("| relu | 1 | 12 |")
    table = cli("summary", corr.path)
    assert table.returncode == 0 and len(table.stdout.strip().splitlines()) == 1 + 18


def test_errors_exit_2(corr, tmp_path):
    missing = cli("summary", tmp_path / "nope.h5")
    assert missing.returncode == 2
    assert "nope.h5: no such file" in missing.stderr and "Traceback" not in missing.stderr
    assert cli("plot", tmp_path / "nope.h5").returncode == 2
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    not_hdf5 = cli("plot", text)
    assert not_hdf5.returncode == 2 and "not an HDF5 file" in not_hdf5.stderr
    bad_by = cli("summary", corr.path, "--by", "colour")
    assert bad_by.returncode == 2 and "colour" in bad_by.stderr
    assert cli("summary", corr.path, "--format", "xml").returncode == 2  # argparse usage error
