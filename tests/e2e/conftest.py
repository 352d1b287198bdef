"""Fixtures for end-to-end tests: the built `nnsweep` binary (NNSWEEP_BIN) run as a user runs it
(launch.py: the Runner, shared with tests/slurm)."""
import pytest

from launch import Runner, nnsweep_bin  # noqa: F401  (nnsweep_bin: a fixture, found here by pytest)


@pytest.fixture
def nnsweep(nnsweep_bin, tmp_path):
    return Runner(nnsweep_bin, str(tmp_path))
