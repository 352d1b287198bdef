"""One self-contained HTML page per sweep: provenance, status, the cell table with trust flags
and theory kinds, and the experiment's figure inline (a data: URI). Nothing on the page loads
from the network, so it opens offline and can be mailed or archived as one file.

    python3 -m nnsweep report FILE.h5 --html OUT.html
    nnsweep report FILE.h5 --html OUT.html          (the binary hands this to the package)
"""
from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from . import plots
from .aggregate import aggregate, metric_names, trust_notes
from .io import PathLike, as_dataset, load_runs, replicates, to_dataframe

#: root attributes shown as provenance, in this order
PROVENANCE = ("experiment", "nnsweep_version", "git_sha", "created_utc", "command_line",
              "hostname", "mpi_size", "slurm_job_id", "sweep_seed", "task_count", "replicates",
              "Conventions")

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .6em; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .sub { display: block; color: #666; font-size: .85em; }
td.unresolved { color: #999; background: #f7f7f7; }
td.unresolved .flag { color: #b00; font-weight: bold; }
td.proportion .flag { color: #06c; }
.scroll { overflow-x: auto; max-height: 80vh; }
pre { background: #f7f7f7; padding: .6em; overflow-x: auto; }
img { max-width: 100%; border: 1px solid #eee; }
.notes { color: #444; font-size: .92em; }
"""


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode()
    return html.escape(str(value))


def _estimate(mean: float, sem: float) -> str:
    """mean ± sem with the decimals the sem warrants (as `nnsweep report`)."""
    if not np.isfinite(mean):
        return ""
    if not (np.isfinite(sem) and sem > 0):
        return f"{mean:.6g}"
    decimals = min(max(1 - math.floor(math.log10(sem)), 0), 12)
    return f"{mean:.{decimals}f} ± {sem:.{decimals}f}"


def _cell(cells: pd.Series, metric: str) -> str:
    """One metric's <td> of a cell row: the estimate, theory (kind) and z, or the flag."""
    get = lambda key, default=np.nan: cells.get(f"{metric}_{key}", default)  # noqa: E731
    trust, count = get("trust", ""), get("count", 0)
    if not count:
        return '<td class="num"></td>'
    theory, kind, z = get("theory"), get("theory_kind", ""), get("z")
    lines = []
    if trust == "proportion":
        k = int(round(get("mean") * count))
        main = f"{k}/{int(count)} [{get('low'):.3g}, {get('high'):.3g}]"
    else:
        main = _estimate(get("mean"), get("sem"))
    if np.isfinite(theory):
        lines.append(f"theory {theory:.6g} ({_text(kind or 'kind unknown')})")
    if trust == "ok" and np.isfinite(z):
        lines.append(f"z = {z:+.2f}")
    flag = ""
    if trust == "unresolved":
        flag = (' <span class="flag" title="one sample carries more than half of some '
                'task\'s estimator: the error bar means nothing">unresolved†</span>')
    elif trust == "proportion":
        flag = ' <span class="flag" title="Wilson 95% interval">Wilson‡</span>'
    sub = "".join(f'<span class="sub">{line}</span>' for line in lines)
    return f'<td class="num {trust}">{html.escape(main)}{flag}{sub}</td>'


def _figure_uri(ds, metrics: Sequence[str] | None) -> str | None:
    """The experiment's figure as a PNG data: URI (None when the package has no figure)."""
    if plots.figure_of(str(ds.attrs.get("experiment"))) is None:
        return None
    fig = plots.build(ds)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render(path: PathLike, by: Sequence[str] | None = None,
           metrics: Sequence[str] | None = None) -> str:
    """The page as text (see the module docstring)."""
    ds = as_dataset(path)
    df = to_dataframe(ds)
    if not metrics:  # in the order the experiment declares them (HDF5 lists alphabetically)
        order = str(ds.attrs.get("results", "")).split(",")
        metrics = sorted(metric_names(df), key=lambda m: order.index(m) if m in order else 1e9)
    metrics = list(metrics)
    by = list(by) if by is not None else [p for p in df.attrs["swept"]
                                           if p not in replicates(df)]
    cells = aggregate(df, by=by, metrics=metrics)
    experiment = _text(ds.attrs.get("experiment", "?"))
    name = _text(Path(path).name) if not hasattr(path, "attrs") else experiment
    out = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<title>nnsweep {experiment}: {name}</title><style>{STYLE}</style></head><body>",
           f"<h1>nnsweep <code>{experiment}</code> sweep: {name}</h1>"]

    out.append("<h2>Provenance</h2><table id=\"provenance\">")
    for key in PROVENANCE:
        if key in ds.attrs:
            out.append(f"<tr><th>{key}</th><td>{_text(ds.attrs[key])}</td></tr>")
    out.append("</table>")
    if "spec" in ds:
        out.append(f"<details><summary>spec</summary><pre>{_text(ds['spec'].values)}</pre>"
                   "</details>")

    out.append("<h2>Status</h2><table id=\"status\"><tr>")
    names = df.attrs["status_names"]
    counts = df["status"].value_counts()
    out.append("".join(f"<th>{_text(n)}</th>" for n in names.values()) + "<th>total</th></tr><tr>")
    out.append("".join(f'<td class="num">{int(counts.get(code, 0))}</td>' for code in names)
               + f'<td class="num">{len(df)}</td></tr></table>')
    try:
        runs = load_runs(path) if not hasattr(path, "attrs") else None
    except Exception:  # a file without /runs (older layouts): no runs table
        runs = None
    if runs is not None and len(runs):
        shown = [c for c in ("started_utc", "finished_utc", "mpi_size", "io_mode", "tasks_done",
                             "makespan_s", "load_balance", "exit_code") if c in runs.columns]
        out.append("<table id=\"runs\"><tr><th>run</th>"
                   + "".join(f"<th>{c}</th>" for c in shown) + "</tr>")
        for i, (_, run) in enumerate(runs.iterrows()):
            out.append(f"<tr><td>{i}</td>" + "".join(
                f"<td>{_text(run[c] if not isinstance(run[c], float) else f'{run[c]:.4g}')}</td>"
                for c in shown) + "</tr>")
        out.append("</table>")

    uri = _figure_uri(ds, metrics)
    if uri:
        out.append(f"<h2>Figure</h2><img id=\"figure\" alt=\"the {experiment} figure\" "
                   f"src=\"{uri}\">")

    out.append(f"<h2>Cells ({len(cells)})</h2>")
    out.append("<p class=\"notes\">Per cell (values of "
               + (", ".join(f"<code>{_text(b)}</code>" for b in by) or "the whole sweep")
               + "): mean over the done seeds ± its standard error (the larger of the spread "
               "over seeds and the tasks' own Monte Carlo errors), the theory for the cell with "
               "its kind (exact; nlo = next-to-leading order, lo = leading order, bound, "
               "numerical; mixed when the seeds differ) and z = (mean − theory) / sem, given "
               "only where the estimate is trusted (docs/statistics.md).</p>")
    out.append("<div class=\"scroll\"><table id=\"cells\"><thead><tr>"
               + "".join(f"<th>{_text(b)}</th>" for b in by) + "<th>tasks</th>"
               + "".join(f"<th>{_text(m)}</th>" for m in metrics) + "</tr></thead><tbody>")
    for _, row in cells.iterrows():
        out.append("<tr class=\"cell\">" + "".join(f"<td>{_text(row[b])}</td>" for b in by)
                   + f"<td class=\"num\">{int(row.get('n_done', 0))}/{int(row['n_tasks'])}</td>"
                   + "".join(_cell(row, m) for m in metrics) + "</tr>")
    out.append("</tbody></table></div>")
    notes = trust_notes(cells)
    if notes:
        marks = {"unresolved": "†", "proportion": "‡"}
        out.append("<div class=\"notes\" id=\"footnotes\">" + "".join(
            f"<p>{marks.get(n.split(':')[0], '')} {_text(n)}</p>" for n in notes) + "</div>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write(path: PathLike, out: PathLike, by: Sequence[str] | None = None,
          metrics: Sequence[str] | None = None) -> Path:
    """Writes :func:`render` to ``out``; returns its path."""
    out = Path(out)
    out.write_text(render(path, by=by, metrics=metrics), encoding="utf-8")
    return out
