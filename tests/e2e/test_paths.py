"""What a results path can name, and what nnsweep does with it: one writer per file whatever name
reaches it (a symbolic or a hard link), a lock file that is never followed through a link, --force
that replaces only a results file (never a directory or another file), and no command that opens a
FIFO, a directory or another non-regular file where a results file or a spec belongs (it would
hang, or fail with HDF5's words). Every refusal: exit 2, one error line, nothing changed."""
import os
import stat

import h5py
import pytest

from launch import kill_job, wait_until
from results import last_run_state, live_counts

SPEC = """experiment = correlations
[params]
width = 8,16
depth = 1
samples = 50
seed = 0..3
"""
WAIT_S = 120


def error_lines(result):
    return [l for l in result.stderr.splitlines() if l.startswith("nnsweep: error:")]


def one_error(result, what=""):
    lines = set(error_lines(result))
    assert result.returncode == 2, f"{what}: exit {result.returncode}\n{result.stderr}"
    assert len(lines) == 1, f"{what}: {result.stderr}"
    return lines.pop()


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_second_writer_through_a_link_is_refused(nnsweep, link):
    """While one run writes FILE, a run on a symbolic or hard link to FILE is refused (before, it
    computed the same tasks into the same file); status through the link calls the writer running."""
    spec = nnsweep.write("spec.ini", SPEC)
    out = os.path.join(nnsweep.cwd, "busy.h5")
    process = nnsweep.popen("run", spec, "--out", out, "--progress", "none", env={"NNSWEEP_TASK_DELAY": "2"})
    try:
        wait_until(lambda: os.path.exists(out) and last_run_state(nnsweep, out) == "running", WAIT_S,
                   "the first run to hold its file")
        other = os.path.join(nnsweep.cwd, "other", "alias.h5")
        os.mkdir(os.path.dirname(other))
        (os.symlink if link == "symlink" else os.link)(out, other)
        before = live_counts(nnsweep, out)
        for args in (["--resume"], ["--force"]):
            assert process.poll() is None, "the first run ended before the checks did"
            r = nnsweep("run", spec, "--out", other, *args, "--progress", "none", timeout=WAIT_S)
            assert "being written by another nnsweep run" in one_error(r, f"{link} {args}")
        assert last_run_state(nnsweep, other) == "running"
        with h5py.File(other, "r") as f:  # HDF5 readers (flock LOCK_SH) still read a live file
            assert f["status"].shape == (8,)
        assert os.path.samefile(out, other) and live_counts(nnsweep, out)["done"] >= before["done"]
    finally:
        kill_job(process)
    assert last_run_state(nnsweep, other) == "killed"


@pytest.mark.parametrize("kind", ["symlink", "hardlink"])
def test_the_lock_file_is_never_written_through_a_link(nnsweep, kind):
    """FILE.lock planted as a link to another file: the run refuses, and the other file keeps its
    content (before, the lock's open followed the link and truncated it)."""
    spec = nnsweep.write("spec.ini", SPEC)
    victim = nnsweep.write("precious.txt", "do not truncate me\n")
    out = os.path.join(nnsweep.cwd, "x.h5")
    (os.symlink if kind == "symlink" else os.link)(victim, out + ".lock")
    r = nnsweep("run", spec, "--out", out, "--progress", "none")
    line = one_error(r, kind)
    assert "x.h5.lock" in line and "link" in line, line
    assert open(victim).read() == "do not truncate me\n"
    assert not os.path.exists(out)


def test_the_lock_follows_the_results_file_through_a_symlink(nnsweep):
    """--out through a symlink writes (and locks) the file the link names, so the link stays a
    link and FILE.lock sits beside the real file."""
    spec = nnsweep.write("spec.ini", SPEC)
    os.mkdir(os.path.join(nnsweep.cwd, "data"))
    real = os.path.join(nnsweep.cwd, "data", "real.h5")
    link = os.path.join(nnsweep.cwd, "link.h5")
    os.symlink(real, link)  # dangling until the run creates the file
    r = nnsweep("run", spec, "--out", link, "--progress", "none")
    assert r.returncode == 2 and "link" in one_error(r), r.stderr  # a link to nothing is refused
    os.remove(link)
    assert nnsweep("run", spec, "--out", real, "--progress", "none").returncode == 0
    os.symlink(real, link)
    for args in (["--resume"], ["--force"]):
        r = nnsweep("run", spec, "--out", link, *args, "--progress", "none")
        assert r.returncode == 0, r.stderr
        assert os.path.islink(link) and os.path.isfile(real)
    assert os.path.exists(real + ".lock") and not os.path.exists(link + ".lock")


@pytest.mark.parametrize("what", ["directory", "text file", "empty file"])
def test_force_replaces_only_a_results_file(nnsweep, what):
    spec = nnsweep.write("spec.ini", SPEC)
    out = os.path.join(nnsweep.cwd, "out.h5")
    if what == "directory":
        os.mkdir(out)
        nnsweep.write("out.h5/keep.txt", "important\n")
    else:
        nnsweep.write("out.h5", "important\n" if what == "text file" else "")
    for command in (["run", spec, "--out", out, "--force"], ["merge", "--force", out, "in.h5"]):
        if command[0] == "merge" and not os.path.exists(os.path.join(nnsweep.cwd, "in.h5")):
            assert nnsweep("run", spec, "--out", "in.h5", "--progress", "none").returncode == 0
        r = nnsweep(*command, "--progress", "none") if command[0] == "run" else nnsweep(*command)
        line = one_error(r, f"{what} {command[0]}")
        assert "out.h5" in line, line
    if what == "directory":
        assert open(os.path.join(out, "keep.txt")).read() == "important\n"
    else:
        assert open(out).read() == ("important\n" if what == "text file" else "")


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_no_command_opens_a_non_regular_file(nnsweep, kind):
    """A FIFO (opening it would block until a writer comes) or a directory where a results file
    or a spec belongs: every command refuses it at once, naming it and what it is."""
    spec = nnsweep.write("spec.ini", SPEC)
    assert nnsweep("run", spec, "--out", "good.h5", "--progress", "none").returncode == 0
    special = os.path.join(nnsweep.cwd, "special")
    os.mkfifo(special) if kind == "fifo" else os.mkdir(special)
    word = "FIFO" if kind == "fifo" else "directory"
    for args in (["status", special], ["report", special], ["merge", "m.h5", special],
                 ["merge", special, "good.h5"], ["merge", "--force", special, "good.h5"],
                 ["run", spec, "--out", special], ["run", spec, "--out", special, "--resume"],
                 ["run", spec, "--out", special, "--force"], ["run", special], ["plan", special],
                 ["theory", "correlations", "--spec", special]):
        r = nnsweep(*args, timeout=30)
        line = one_error(r, " ".join(args[:1]))
        assert "special" in line and word in line, line
    assert stat.S_ISFIFO(os.stat(special).st_mode) if kind == "fifo" else os.path.isdir(special)
    assert not os.path.exists(os.path.join(nnsweep.cwd, "m.h5"))
