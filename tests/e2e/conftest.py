"""Fixtures for end-to-end tests: the built `nnsweep` binary (NNSWEEP_BIN) run as a user runs it."""
import os
import shutil
import signal
import subprocess
import threading

import pytest

MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
}


@pytest.fixture(scope="session")
def nnsweep_bin():
    path = os.environ.get("NNSWEEP_BIN")
    if not path:
        pytest.skip("NNSWEEP_BIN is not set (ctest sets it to the built binary)")
    assert os.access(path, os.X_OK), f"NNSWEEP_BIN={path} is not executable"
    return os.path.abspath(path)


class Job:
    """A run started in the background: its process, with stderr read on a thread as it comes (a
    test can wait for a line, and a full pipe never stalls the run)."""

    def __init__(self, process):
        self.process = process
        self.pid = process.pid
        self._lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stderr:
            self._lines.append(line.decode(errors="replace"))

    def poll(self):
        return self.process.poll()

    def wait(self, timeout=None):
        return self.process.wait(timeout=timeout)

    @property
    def returncode(self):
        return self.process.returncode

    def lines(self):
        """The lines of stderr so far."""
        return list(self._lines)

    def stderr(self):
        """stderr so far; all of it once the run has ended."""
        if self.process.poll() is not None:
            self._reader.join(timeout=30)
        return "".join(self._lines)


class Runner:
    """Runs nnsweep directly or under mpirun, in a scratch directory."""

    def __init__(self, binary, cwd):
        self.binary = binary
        self.cwd = cwd
        self.env = dict(os.environ, **MPI_ENV)

    def command(self, args, ranks=None):
        cmd = [self.binary] + list(args)
        if ranks is not None:
            cmd = [shutil.which("mpirun") or "mpirun", "-n", str(ranks)] + cmd
        return cmd

    def __call__(self, *args, ranks=None, timeout=300):
        return subprocess.run(self.command(args, ranks), cwd=self.cwd, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def popen(self, *args, ranks=None, blocked_signals=()):
        # A session of its own, so that a kill reaches mpirun and every rank at once.
        # `blocked_signals`: started with these blocked, as some launchers do (masks survive exec).
        def block():
            signal.pthread_sigmask(signal.SIG_BLOCK, blocked_signals)
        return Job(subprocess.Popen(self.command(args, ranks), cwd=self.cwd, env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                                    preexec_fn=block if blocked_signals else None))

    def write(self, name, text):
        path = os.path.join(self.cwd, name)
        with open(path, "w") as f:
            f.write(text)
        return path


@pytest.fixture
def nnsweep(nnsweep_bin, tmp_path):
    return Runner(nnsweep_bin, str(tmp_path))
