"""A real single-node Slurm for the tests in this directory: slurm-up.sh once per session, and
slurm-down.sh afterwards whatever happens (test failure, Ctrl-C, SIGTERM, the session's own time
limit, or an exception in the fixture itself). Like the end-to-end tests they need the built
binary (NNSWEEP_BIN, which ctest sets) and are skipped without it; given it, they need root, and
if Slurm cannot come up the session fails, loudly, with the daemons' logs: it never skips then."""
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))  # launch.py and results.py, shared with the e2e tests

from launch import MPI_ENV, nnsweep_bin, wait_until  # noqa: E402,F401  (nnsweep_bin: the e2e fixture)

FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY",
                "BOOT_FAIL", "DEADLINE"}


def _down(base):
    r = subprocess.run([os.path.join(HERE, "slurm-down.sh"), base], capture_output=True, text=True, timeout=120)
    sys.stderr.write(r.stdout + r.stderr)


def _logs(base):
    out = []
    for name in ("log/slurmctld.log", "log/slurmd.log", "munge/munged.log"):
        path = os.path.join(base, name)
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                out.append(f"---- {path} (last 60 lines)\n" + "".join(f.readlines()[-60:]))
    return "\n".join(out)


# The whole session must end (and tear down) before ctest's TIMEOUT would kill pytest outright.
SESSION_LIMIT_S = int(os.environ.get("NNSWEEP_SLURM_SESSION_LIMIT_S", "480"))


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


_overtime_state = {"passed": False}


def _overtime(signum, frame):
    _overtime_state["passed"] = True
    raise TimeoutError(f"the Slurm tests ran past {SESSION_LIMIT_S} s")


@pytest.fixture(autouse=True)
def _within_session_limit():
    """Once the session's time is up, the remaining tests fail at once (and teardown follows)."""
    if _overtime_state["passed"]:
        pytest.fail(f"not run: the Slurm tests ran past {SESSION_LIMIT_S} s", pytrace=False)


class Slurm:
    """Clients of the test cluster: sbatch, scontrol, scancel with its SLURM_CONF, and waits that
    always end (a timeout fails the test with the job's record and the daemons' logs)."""

    def __init__(self, base, binary):
        self.base = base
        self.env = dict(os.environ, SLURM_CONF=os.path.join(base, "etc", "slurm.conf"), NNSWEEP=binary, **MPI_ENV)

    def run(self, *args, timeout=60, check=True):
        r = subprocess.run(list(args), env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(args)}: exit {r.returncode}\n{r.stdout}{r.stderr}")
        return r

    def sbatch(self, *args, cwd, env=None):
        environment = dict(self.env, **(env or {}))
        r = subprocess.run(["sbatch", "--parsable", *args], cwd=cwd, env=environment, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, f"sbatch {' '.join(args)}: {r.stderr}"
        return r.stdout.strip().split(";")[0]

    def job(self, job_id):
        """scontrol's record of a job (for an array: of its first task), as a dict of strings."""
        text = self.run("scontrol", "show", "job", "-o", str(job_id)).stdout.splitlines()[0]
        return dict(re.findall(r"(\w+)=(\S*)", text))

    def jobs(self, job_id):
        """Records of every task of an array job (one line each)."""
        text = self.run("scontrol", "show", "job", "-o", str(job_id)).stdout
        return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in text.splitlines() if line.strip()]

    def wait(self, job_id, predicate, timeout, what):
        """The job's record once `predicate(record)` holds."""
        last = {}

        def reached():
            last["record"] = self.job(job_id)
            return last["record"] if predicate(last["record"]) else None
        return wait_until(reached, timeout, f"{what} (job {job_id})", interval=0.2,
                          details=lambda: f"last record: {last.get('record')}\n"
                          + self.run("squeue", check=False).stdout + _logs(self.base))

    def wait_final(self, job_id, timeout):
        return self.wait(job_id, lambda j: j["JobState"] in FINAL_STATES, timeout, "the job to end")

    def logs(self):
        return _logs(self.base)


@pytest.fixture(scope="session")
def slurm(nnsweep_bin):
    if os.geteuid() != 0:
        pytest.fail("the Slurm tests start slurmctld/slurmd as root (SlurmUser=root): run them as root")
    # Not under pytest's tmp_path (0700): munged runs as user munge and must traverse the path, and
    # slurmd runs batch scripts from its spool there (NNSWEEP_SLURM_PARENT if /tmp is noexec).
    base = tempfile.mkdtemp(prefix="nnsweep-slurm-", dir=os.environ.get("NNSWEEP_SLURM_PARENT", "/tmp"))
    state = {"down": False}

    def down():
        if not state["down"]:
            state["down"] = True
            _down(base)

    # Teardown also when pytest itself is stopped. SIGTERM (a CI runner cancelling) becomes an
    # exception, so the finally below (and atexit, as a last resort) stop the daemons. ctest's
    # TIMEOUT kills with SIGKILL, which nothing catches: the session gives up first (SIGALRM).
    atexit.register(down)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGALRM, _overtime)
    signal.alarm(SESSION_LIMIT_S)
    try:
        started = time.monotonic()
        r = subprocess.run([os.path.join(HERE, "slurm-up.sh"), base], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            pytest.fail(f"slurm-up.sh failed (exit {r.returncode}): Slurm did not come up\n{r.stdout}\n{r.stderr}\n"
                        + _logs(base), pytrace=False)
        sys.stderr.write(f"{r.stdout.strip()} ({time.monotonic() - started:.1f} s)\n")
        yield Slurm(base, nnsweep_bin)
    finally:
        signal.alarm(0)
        down()
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def jobdir(tmp_path):
    """A job's working directory, with a copy of jobs/ as a user would have it."""
    shutil.copytree(os.path.join(ROOT, "jobs"), tmp_path / "jobs")
    return tmp_path
