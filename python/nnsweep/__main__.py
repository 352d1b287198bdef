"""Command line:
``python3 -m nnsweep plot FILE.h5 [--x X] [--hue H] [--metrics a,b] [-o OUT.png|pdf|svg] [--dpi N]``,
``python3 -m nnsweep summary FILE.h5 [--by a,b] [--format table|csv|markdown]`` and
``python3 -m nnsweep report FILE.h5 --html OUT.html``.

Input errors (missing file, not a results file, unknown experiment or column) print one line
to stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from . import page, plots
from .aggregate import aggregate, trust_notes
from .io import ResultsFileError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m nnsweep",
                                     description="Post-process an nnsweep results file.")
    commands = parser.add_subparsers(dest="command", required=True)
    plot = commands.add_parser(
        "plot", help="draw the experiment's figure",
        description="Draws the experiment's figure: mathtext labels, one marker per width, fixed "
                    "colours per activation or variant, theory solid where exact and dashed "
                    "where approximate, unresolved cells hollow, error bars ±1 sem over seeds "
                    "(stated in the caption).")
    plot.add_argument("file", type=Path)
    plot.add_argument("-o", "--out", type=Path,
                      help="figure to write, .png, .pdf or .svg (default: FILE with .png)")
    plot.add_argument("--x", help="x axis: a swept parameter (correlations: default l_over_n)")
    plot.add_argument("--hue", help="colour by this parameter (correlations: default activation)")
    plot.add_argument("--metrics", help="comma-separated metrics, one panel (column) each")
    plot.add_argument("--dpi", type=float, help="resolution of a PNG (default 150 or 110)")
    summary = commands.add_parser("summary", help="print mean ± sem per cell")
    summary.add_argument("file", type=Path)
    summary.add_argument("--by", help="comma-separated cell parameters "
                                      "(default: the swept parameters except the replicate axes)")
    summary.add_argument("--format", choices=("table", "csv", "markdown"), default="table")
    report = commands.add_parser(
        "report", help="write one self-contained HTML page for the sweep",
        description="Writes one self-contained HTML page: provenance, status, the experiment's "
                    "figure and the cell table with trust flags and theory kinds; nothing on it "
                    "loads from the network.")
    report.add_argument("file", type=Path)
    report.add_argument("--html", type=Path, required=True, help="page to write")
    report.add_argument("--by", help="comma-separated cell parameters (default: the swept "
                                     "parameters except the replicate axes)")
    report.add_argument("--metrics", help="comma-separated metrics (default: all)")
    args = parser.parse_args(argv)

    try:
        if args.command == "plot":
            metrics = args.metrics.split(",") if args.metrics else None
            print(plots.plot(args.file, args.out or args.file.with_suffix(".png"), x=args.x,
                             hue=args.hue, metrics=metrics, dpi=args.dpi))
        elif args.command == "report":
            print(page.write(args.file, args.html,
                             by=args.by.split(",") if args.by else None,
                             metrics=args.metrics.split(",") if args.metrics else None))
        else:
            by = args.by.split(",") if args.by else None
            table = aggregate(args.file, by=by)
            print(_format(table, args.format))
            if args.format != "csv":
                for note in trust_notes(table):
                    print(f"\n{note}")
    except (FileNotFoundError, ResultsFileError, ValueError) as error:
        print(f"nnsweep: error: {error}", file=sys.stderr)
        return 2
    return 0


def _format(table: pd.DataFrame, fmt: str) -> str:
    """The aggregate table as text: aligned table, CSV (full precision) or Markdown."""
    if fmt == "csv":
        return table.to_csv(index=False).rstrip("\n")
    if fmt == "table":
        return table.to_string(index=False, float_format="{:.6g}".format)
    cells = table.applymap(_cell)
    rows = [list(table.columns), ["---"] * len(table.columns)] + cells.values.tolist()
    return "\n".join("| " + " | ".join(map(str, row)) + " |" for row in rows)


def _cell(value) -> str:
    """One Markdown cell: floats with 6 significant digits."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main())
