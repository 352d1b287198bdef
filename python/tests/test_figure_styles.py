"""The figures' data, not their pixels: each artist's style checked by what it shows
(nnsweep/style.py) — fixed colours per activation/variant, one marker per width, theory solid
where exact and dashed where approximate, unresolved cells hollow, mathtext labels, a caption
that says what the error bars are, a legend that covers no data; and the CLI's options."""
import subprocess
import sys
from pathlib import Path

import matplotlib.colors as mcolors
from matplotlib.backends.backend_agg import FigureCanvasAgg
import pytest
from test_linear_teacher_plot import lt_file

import nnsweep
from nnsweep import style

SPEC = """\
experiment = correlations
[params]
activation = relu,tanh
width = 16,512
depth = 1,64
samples = 2000
seed = 0..2
n_out = 2
"""


def _lines(fig, prefix):
    return [(line.get_gid(), line) for ax in fig.axes for line in ax.lines
            if (line.get_gid() or "").startswith(prefix)]


def _same(a, b):
    return mcolors.to_hex(a) == mcolors.to_hex(b)


def _legend_covers_no_data(fig):
    """No legend box overlaps a panel (they sit outside the plotting areas)."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert legends
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            if ax.get_visible():
                assert not box.overlaps(ax.bbox), "the legend lies over a panel"


def test_correlations_figure_styles(run_sweep):
    path = run_sweep("styles", SPEC, "--set", "sweep_seed=5")
    fig = nnsweep.plots.build(path)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 2
    for ax in panels:
        assert "$" in ax.get_xlabel() and "$" in ax.get_ylabel()  # mathtext
        assert ax.get_title(loc="left") in ("(a)", "(b)") and not fig._suptitle
    data = _lines(fig, "data:")
    assert data
    width_markers = {}
    for gid, line in data:
        _, activation, width, trust = gid.split(":")
        assert _same(line.get_color(), style.ACTIVATION_COLOURS[activation]), gid
        assert width_markers.setdefault(width, line.get_marker()) == line.get_marker(), gid
        if trust == "unresolved":
            assert line.get_markerfacecolor() == "none", gid
        else:
            assert _same(line.get_markerfacecolor(), line.get_color()), gid
    assert len(set(width_markers.values())) == len(width_markers) == 2  # one marker per width
    assert any(gid.endswith(":unresolved") for gid, _ in data)  # relu 16x64
    assert any(gid.endswith(":ok") for gid, _ in data)
    theory = _lines(fig, "theory:")
    kinds = set()
    for gid, line in theory:
        _, kind, activation = gid.split(":")
        kinds.add((activation, kind))
        assert _same(line.get_color(), style.ACTIVATION_COLOURS[activation])
        assert line.get_linestyle() == ("-" if kind == "exact" else "--"), gid
        assert line.get_marker() in ("None", "", None)  # no markers that look like error-bar caps
    assert kinds == {("relu", "exact"), ("tanh", "lo")}
    caption = fig._supxlabel.get_text()
    assert "standard error" in caption and "Hollow" in caption and "dashed approximate" in caption
    labels = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    assert "theory, exact" in labels and "theory, leading order" in labels
    _legend_covers_no_data(fig)

    # another x, metrics and hue: the styles follow the data, not the panel order
    fig = nnsweep.plots.build(path, x="depth", metrics=["k2", "kappa4", "g2"])
    assert [ax.get_xlabel() for ax in fig.axes if ax.get_visible()] == [r"depth $L$"] * 3
    for gid, line in _lines(fig, "theory:"):
        _, kind, activation = gid.split(":")
        assert line.get_linestyle() == ("-" if kind == "exact" else "--"), gid
    assert {gid.split(":")[1] for gid, _ in _lines(fig, "theory:") if "tanh" in gid} == {"nlo", "lo"}
    with pytest.raises(ValueError, match="--x nothing"):
        nnsweep.plots.build(path, x="nothing")


def test_linear_teacher_figure_styles(tmp_path):
    path = tmp_path / "lt.h5"
    lt_file(path)
    fig = nnsweep.plots.build(path)
    colour = style.colours([0.01, 0.1, 1.0], "sigma0")
    curves = _lines(fig, "curve:")
    assert len(curves) == 9
    for gid, line in curves:
        assert _same(line.get_color(), colour[float(gid.split(":")[1])])
    final = _lines(fig, "final:")
    for gid, line in final:
        _, x, value = gid.split(":")
        if x == "alpha":  # lines per sigma0: its fixed colour in every panel
            assert _same(line.get_color(), colour[float(value)])
    caption = fig._supxlabel.get_text()
    assert "standard error of the mean" in caption and "10–90 %" in caption
    assert "gamma = 0.2" in caption
    for ax in fig.axes:
        if ax.get_xlabel() != "epoch":
            assert "$" in ax.get_xlabel()
    with pytest.raises(ValueError, match="sigma0 and alpha only"):
        nnsweep.plots.build(path, x="gamma")
    one = nnsweep.plots.build(path, metrics=["agr_g"])
    assert len(one.axes) == 3


def test_plot_cli_formats_and_options(tmp_path):
    path = tmp_path / "lt.h5"
    lt_file(path)
    env = {"PYTHONPATH": str(Path(nnsweep.__file__).parents[1])}
    for suffix, magic in ((".svg", b"<?xml"), (".pdf", b"%PDF"), (".png", b"\x89PNG")):
        out = tmp_path / f"fig{suffix}"
        r = subprocess.run([sys.executable, "-m", "nnsweep", "plot", str(path), "-o", str(out),
                            "--metrics", "agr_g", "--dpi", "60"], capture_output=True, env=env)
        assert r.returncode == 0, r.stderr
        assert out.read_bytes().startswith(magic)
    r = subprocess.run([sys.executable, "-m", "nnsweep", "plot", str(path), "-o",
                        str(tmp_path / "x.gif")], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "png, .pdf or .svg" in r.stderr
