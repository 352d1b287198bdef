"""`nnsweep report FILE --html OUT` and `python3 -m nnsweep report FILE --html OUT`: one
self-contained page, rendered in headless Chromium (Debian's `chromium`): the screenshot is not
blank, the DOM has one row per cell, and no src/href points to http(s)."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

import nnsweep

SPEC = """\
experiment = correlations
[params]
activation = relu,tanh
width = 16,512
depth = 1,64
samples = 1000
seed = 0,1
n_out = 2
"""


def _chromium(*args, tmp_path):
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium not installed (Debian package chromium)")
    r = subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--hide-scrollbars",
                        f"--user-data-dir={tmp_path / 'chromium-profile'}", *args],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_html_page_from_the_binary_and_the_package(run_sweep, nnsweep_bin, tmp_path):
    path = run_sweep("page", SPEC, "--set", "sweep_seed=21")
    from_binary = tmp_path / "binary.html"
    r = subprocess.run([nnsweep_bin, "report", str(path), "--html", str(from_binary)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    from_python = tmp_path / "python.html"
    env = {"PYTHONPATH": str(Path(nnsweep.__file__).parents[1])}
    r = subprocess.run([sys.executable, "-m", "nnsweep", "report", str(path), "--html",
                        str(from_python)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    page = from_binary.read_text()
    assert page == from_python.read_text()  # one implementation behind both commands
    cells = nnsweep.aggregate(path)
    assert page.count('<tr class="cell">') == len(cells) == 8
    assert "unresolved†" in page and "(exact)" in page and "(lo)" in page
    assert 'src="data:image/png;base64,' in page

    shot = tmp_path / "shot.png"
    _chromium("--window-size=1400,2000", f"--screenshot={shot}", from_binary.as_uri(),
              tmp_path=tmp_path)
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.std() > 0.05 and (pixels.mean(axis=2) < 0.9).mean() > 0.02, "blank screenshot"
    dom = _chromium("--dump-dom", from_binary.as_uri(), tmp_path=tmp_path)
    assert len(re.findall(r'<tr class="cell">', dom)) == len(cells)
    assert not re.search(r'''(src|href)\s*=\s*["']?\s*(https?:)?//''', dom, re.I)
    assert re.search(r'<img[^>]+src="data:image/png;base64,', dom)


def test_html_report_rejects_bad_input(run_sweep, nnsweep_bin, tmp_path):
    path = run_sweep("bad", SPEC.replace("seed = 0,1", "seed = 0"), "--set", "sweep_seed=2")
    out = tmp_path / "x.html"
    r = subprocess.run([nnsweep_bin, "report", str(path), "--html", str(out), "--metrics", "nope"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no such metric" in r.stderr and not out.exists()
    r = subprocess.run([nnsweep_bin, "report", str(tmp_path / "missing.h5"), "--html", str(out)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "no such results file" in r.stderr and not out.exists()
