"""Running the built `nnsweep` in tests, as a user runs it (directly or under mpirun), and the
process helpers around it: waits that always end, and kill -9 of a whole job. Shared by the
end-to-end tests (tests/e2e) and the Slurm tests (tests/slurm)."""
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest

MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
}


@pytest.fixture(scope="session")
def nnsweep_bin():
    """The built binary named by NNSWEEP_BIN (ctest sets it); the tests are skipped without it."""
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

    # `env`: variables added for this command only (fault injection: NNSWEEP_FAIL_TASKS, ...).
    def __call__(self, *args, ranks=None, timeout=300, env=None):
        return subprocess.run(self.command(args, ranks), cwd=self.cwd, env=dict(self.env, **(env or {})),
                              capture_output=True, text=True, timeout=timeout)

    def popen(self, *args, ranks=None, blocked_signals=(), env=None):
        # A session of its own, so that a kill reaches mpirun and every rank at once.
        # `blocked_signals`: started with these blocked, as some launchers do (masks survive exec).
        def block():
            signal.pthread_sigmask(signal.SIG_BLOCK, blocked_signals)
        return Job(subprocess.Popen(self.command(args, ranks), cwd=self.cwd, env=dict(self.env, **(env or {})),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                                    preexec_fn=block if blocked_signals else None))

    def write(self, name, text):
        path = os.path.join(self.cwd, name)
        with open(path, "w") as f:
            f.write(text)
        return path


def wait_until(predicate, timeout, what, interval=0.05, details=None):
    """Calls `predicate` every `interval` seconds until it returns something true, and returns
    that; after `timeout` seconds fails naming `what` (and, if given, the text `details()` returns).
    An exception from `predicate` ends the wait at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f"\n{details()}" if details else ""))


def processes():
    """(pid, name, state, parent pid, session id) of every process, from /proc."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        yield int(entry), name, fields[0], int(fields[1]), int(fields[3])


def session_members(sid):
    """Live processes of a session: mpirun (started as a session leader) and its ranks, which
    Open MPI puts in process groups of their own, so a killpg of mpirun's group misses them.
    Zombies do not count: they hold no files or locks (and an init that does not reap them leaves
    them for ever)."""
    return [pid for pid, _, state, _, session in processes() if session == sid and state not in ("Z", "X")]


def kill_job(process):
    """kill -9 of mpirun and every rank at once, as a node failure or a hard limit does; returns
    when all of them are gone (until then a rank may still write, and hold the writer lock)."""
    for pid in session_members(process.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
    wait_until(lambda: not session_members(process.pid), 30, f"the processes of job {process.pid} to exit")
