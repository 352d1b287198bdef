"""The command line as a user meets it: help, version, and one-line errors with exit code 2."""
import os

import pytest

GOOD = "experiment = correlations\n[params]\nwidth = 8\ndepth = 1\nsamples = 50\n"


def one_error_line(result):
    lines = [l for l in result.stderr.splitlines() if l.startswith("nnsweep: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_help_and_version(nnsweep):
    r = nnsweep("--help")
    assert r.returncode == 0 and "run SPEC.ini" in r.stdout and "exit codes" in r.stdout
    r = nnsweep("--version")
    assert r.returncode == 0 and r.stdout.startswith("nnsweep ")
    for command in ("run", "plan", "status", "report", "theory", "list"):
        r = nnsweep(command, "--help")
        assert r.returncode == 0 and "Options" in r.stdout, command


@pytest.mark.parametrize("spec, overrides, expected", [
    (GOOD.replace("width", "widht"), [], "did you mean 'width'"),
    (GOOD, ["--set", "depth=0"], "depth = 0: out of range"),
    (GOOD, ["--set", "width=64..8"], "empty range"),
    (GOOD, ["--set", "seed="], "empty item"),
    (GOOD, ["--set", "activation=tanhh"], "did you mean 'tanh'"),
    (GOOD.replace("correlations", "corelations"), [], "did you mean 'correlations'"),
    (GOOD, ["--set", "samples=ten"], "not a whole number"),
    (GOOD, ["--out", "/nonexistent/dir/x.h5"], "does not exist"),
    (GOOD, ["--io", "nfs"], "--io nfs"),
    (GOOD, ["--time-limit", "soon"], "--time-limit soon"),
    (GOOD, ["--grace", "-1"], "--grace -1"),
    (GOOD, ["--commit-every", "-0.5"], "--commit-every -0.5"),
])
def test_bad_input_is_one_line_and_exit_code_2(nnsweep, spec, overrides, expected):
    path = nnsweep.write("spec.ini", spec)
    r = nnsweep("run", path, "--out", "x.h5", *overrides) if "--out" not in overrides else nnsweep("run", path, *overrides)
    assert r.returncode == 2, r.stderr
    assert expected in one_error_line(r)
    assert not os.path.exists(os.path.join(nnsweep.cwd, "x.h5"))


def test_unwritable_directory(nnsweep):
    path = nnsweep.write("spec.ini", GOOD)
    locked = os.path.join(nnsweep.cwd, "locked")
    os.mkdir(locked, 0o500)
    r = nnsweep("run", path, "--out", os.path.join(locked, "x.h5"))
    if os.geteuid() == 0:  # root writes anywhere; the check is then about a missing directory
        r = nnsweep("run", path, "--out", os.path.join(locked, "missing", "x.h5"))
    assert r.returncode == 2 and "--out" in one_error_line(r)


def test_errors_under_mpirun_exit_2_on_every_rank(nnsweep):
    path = nnsweep.write("spec.ini", GOOD.replace("width", "widht"))
    r = nnsweep("run", path, "--out", "x.h5", ranks=2)
    assert r.returncode == 2
    assert r.stderr.count("nnsweep: error:") == 1, r.stderr


def test_existing_output_needs_resume_or_force(nnsweep):
    path = nnsweep.write("spec.ini", GOOD)
    assert nnsweep("run", path, "--out", "x.h5", "--progress", "none").returncode == 0
    r = nnsweep("run", path, "--out", "x.h5")
    assert r.returncode == 2 and "--resume" in one_error_line(r)
    assert nnsweep("run", path, "--out", "x.h5", "--resume", "--progress", "none").returncode == 0
    assert nnsweep("run", path, "--out", "x.h5", "--force", "--progress", "none").returncode == 0
    r = nnsweep("run", path, "--out", "x.h5", "--resume", "--set", "samples=60", "--set", "sweep_seed=4")
    assert r.returncode == 2
    line = one_error_line(r)
    assert "different spec" in line and "sweep_seed" in line and "samples" in line


def test_a_file_that_is_not_results_is_refused(nnsweep):
    path = nnsweep.write("spec.ini", GOOD)
    nnsweep.write("junk.h5", "not hdf5 at all")
    r = nnsweep("run", path, "--out", "junk.h5", "--resume")
    assert r.returncode != 0 and "not a readable HDF5 file" in r.stderr
    r = nnsweep("status", os.path.join(nnsweep.cwd, "junk.h5"))
    assert r.returncode == 2 and "not a readable HDF5 file" in r.stderr


@pytest.mark.parametrize("command, option, value, allowed", [
    ("run", "--pack", "-1", "[0, 65536]"),
    ("run", "--pack", "1e3", "[0, 65536]"),
    ("run", "--pack", "100000", "[0, 65536]"),
    ("run", "--grace", "inf", "[0, 1e+09]"),
    ("run", "--grace", "nan", "[0, 1e+09]"),
    ("run", "--commit-every", "inf", "[0, 1e+09]"),
    ("run", "--commit-every", "1s", "[0, 1e+09]"),
    ("run", "--time-limit", "inf", "(0, 1e+09]"),
    ("run", "--time-limit", "nan:00", "(0, 1e+09]"),
    ("run", "--time-limit", "0:00", "(0, 1e+09]"),
    ("run", "--shard", "0/0", "0 <= I < K"),
    ("run", "--shard", "-1/4", "0 <= I < K"),
    ("plan", "--efficiency", "0", "(0, 1]"),
    ("plan", "--efficiency", "1.5", "(0, 1]"),
    ("plan", "--efficiency", "nan", "(0, 1]"),
])
def test_every_numeric_option_is_range_checked(nnsweep, command, option, value, allowed):
    """Out of range, not a number, inf or nan: exit 2 at once (--pack -1 used to hang), naming the
    option, the value and the valid range; nothing written."""
    path = nnsweep.write("spec.ini", GOOD)
    args = [command, path, option, value] + (["--out", "x.h5", "--progress", "none"] if command == "run" else [])
    r = nnsweep(*args, timeout=60)
    assert r.returncode == 2, r.stderr
    line = one_error_line(r)
    assert f"{option} {value}" in line and allowed in line, line
    assert not os.path.exists(os.path.join(nnsweep.cwd, "x.h5"))


@pytest.mark.parametrize("job_id", ["4242", "1; touch pwned", "$(touch pwned)", "`touch pwned`", "1\ntouch pwned"])
def test_slurm_job_id_never_reaches_a_shell(nnsweep, job_id):
    """SLURM_JOB_ID is passed to scontrol as one argument, never through a shell, and only when it
    is a number: a fake scontrol first on PATH records the arguments it got."""
    bindir = os.path.join(nnsweep.cwd, "bin")
    os.mkdir(bindir)
    record = os.path.join(nnsweep.cwd, "scontrol.args")
    fake = os.path.join(bindir, "scontrol")
    with open(fake, "w") as f:
        f.write(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {record}\necho 'JobId=4242 EndTime=Unknown'\n")
    os.chmod(fake, 0o755)
    path = nnsweep.write("spec.ini", GOOD)
    env = {"PATH": bindir + os.pathsep + os.environ["PATH"], "SLURM_JOB_ID": job_id}
    r = nnsweep("run", path, "--out", "x.h5", "--progress", "none", env=env)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(nnsweep.cwd, "pwned"))
    if job_id.isdigit():
        assert open(record).read().splitlines() == ["show", "job", "-o", job_id]
    else:
        assert not os.path.exists(record)  # not a job id: Slurm is not asked


@pytest.mark.parametrize("name, content, expected", [
    ("NUL byte", GOOD.encode() + b"depth = 1\x00\n", "NUL byte"),
    ("UTF-16", "\ufeff".encode("utf-16-le") + GOOD.encode("utf-16-le"), "UTF-16"),
    ("UTF-16 without BOM", GOOD.encode("utf-16-le"), "NUL byte"),
    ("Latin-1", GOOD.encode() + "# r\xe9sum\xe9\n".encode("latin-1"), "not UTF-8"),
    ("escape sequence", GOOD.encode() + b"seed = 1\x1b[2J\n", "control character \\x1b"),
])
def test_a_spec_in_the_wrong_encoding_is_one_clear_line(nnsweep, name, content, expected):
    """File, line, problem and fix in one line with no raw control characters (never a Boost or
    HDF5 message, never a hint to --force); a UTF-8 byte-order mark is simply skipped."""
    path = os.path.join(nnsweep.cwd, "spec.ini")
    with open(path, "wb") as f:
        f.write(content)
    r = nnsweep("run", path, "--out", "x.h5", "--progress", "none")
    assert r.returncode == 2, r.stderr
    line = one_error_line(r)
    assert "spec.ini" in line and expected in line, line
    assert "--force" not in line and all(c >= " " for c in line), repr(line)
    assert not os.path.exists(os.path.join(nnsweep.cwd, "x.h5"))


def test_a_utf8_spec_with_a_byte_order_mark_and_accents_runs(nnsweep):
    path = os.path.join(nnsweep.cwd, "spec.ini")
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf" + GOOD.encode() + "# résumé: ok\n".encode())
    r = nnsweep("run", path, "--out", "x.h5", "--progress", "none")
    assert r.returncode == 0, r.stderr


def test_control_characters_from_input_are_escaped_in_messages(nnsweep):
    path = nnsweep.write("spec.ini", GOOD)
    r = nnsweep("run", path, "--set", "activation=re\x1b[31mlu", "--out", "x.h5")
    assert r.returncode == 2
    line = one_error_line(r)
    assert "\x1b" not in r.stderr and "re\\x1b[31mlu" in line, repr(line)
    r = nnsweep("status", "no\tsuch\nfile.h5")
    line = one_error_line(r)
    assert "no\\x09such\\x0afile.h5" in line and "\t" not in r.stderr, repr(r.stderr)


def test_hints_quote_paths_so_they_paste_back(nnsweep):
    """A path with a space or a quote is shown as one shell word in every hint."""
    spec = nnsweep.write("my spec.ini", GOOD.replace("width = 8", "width = 8,16"))
    r = nnsweep("run", spec, "--out", "it's here.h5", "--progress", "none")
    assert r.returncode == 0, r.stderr
    r = nnsweep("run", spec, "--out", "it's here.h5", "--resume", "--set", "samples=60")
    assert r.returncode == 2
    assert "h5dump -d /spec 'it'\\''s here.h5'" in one_error_line(r)
    r = nnsweep("run", spec, "--out", "shard.h5", "--shard", "0/2", "--progress", "none")
    assert r.returncode == 0, r.stderr
    r = nnsweep("merge", "my merge.h5", "shard.h5")
    assert r.returncode == 75, r.stderr
    assert "--out 'my merge.h5' --resume" in r.stderr, r.stderr
