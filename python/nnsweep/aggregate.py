"""Statistics per grid cell: mean ± sem over the replicas, theory and z-score.

A cell is one combination of the ``by`` parameters (default: the swept parameters except the
replicate axes, ``seed`` and any other the experiment declares); its tasks are independent
replicas. Only tasks with status
done enter the statistics; the other statuses are counted per cell.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .io import DONE, PathLike, replicates, to_dataframe

#: Columns that are functions of the cell's parameters, reported once per cell.
CELL_CONSTANTS = ("l_over_n",)

#: Names of the theory kinds (flag_meanings of ``<theory>_kind``), by code.
THEORY_KINDS = ["none", "exact", "nlo", "lo", "bound", "numerical"]

#: A task whose ``X_max_share`` (its largest single sample's share of the sum that dominates
#: X's estimator) exceeds this makes its cell ``unresolved`` (docs/statistics.md).
MAX_SHARE_LIMIT = 0.5
#: Two-sided 95% normal quantile of the Wilson intervals of 0/1 metrics.
WILSON_Z = 1.959963984540054

#: Companion columns of a metric X that are not metrics themselves.
COMPANIONS = ("_sem", "_max_share")


def metric_names(df: pd.DataFrame) -> list[str]:
    """Columns of kind ``metric`` in a :func:`nnsweep.to_dataframe` frame, without ``*_sem``
    and the :data:`CELL_CONSTANTS`."""
    kinds = df.attrs.get("kinds", {})
    return [name for name in df.columns if kinds.get(name) == "metric"
            and not name.endswith(COMPANIONS) and name not in CELL_CONSTANTS]


def wilson_interval(k, n, z: float = WILSON_Z):
    """Wilson score interval of ``k`` successes in ``n`` trials (arrays broadcast; NaN where
    ``n`` is 0)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def is_proportion(df: pd.DataFrame, metric: str) -> bool:
    """A 0/1 metric: no ``<metric>_sem`` column and every finite value of a done task in the
    frame is 0 or 1 (at least one)."""
    if f"{metric}_sem" in df.columns:
        return False
    values = df[metric][(df["status"] == DONE) & np.isfinite(df[metric])]
    return len(values) > 0 and bool(values.isin([0, 1]).all())


def aggregate(path_or_df: PathLike | xr.Dataset | pd.DataFrame,
              by: Sequence[str] | None = None,
              metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per cell with, for each metric ``X``:

    - ``X_mean``: mean over the cell's done tasks (NaN values skipped);
    - ``X_sem``: the larger of the spread over seeds (sample sd / √count, count ≥ 2) and the
      error implied by the tasks' own Monte Carlo errors (√Σ X_sem² / count, when the file has
      an ``X_sem`` column). With few seeds the spread alone is itself too noisy to judge a
      z-score by; with heavy tails the per-task errors alone are optimistic. With one task:
      its own ``X_sem``, else NaN;
    - ``X_count``: number of done tasks with a finite ``X``;
    - ``X_theory``, ``X_z``: when a theory column predicts ``X`` (its ``predicts`` attribute,
      else the name ``theory_X``). One prediction for the whole cell: ``X_z = (X_mean −
      X_theory) / X_sem``. A prediction per task (computed from the task's own data; every
      counted task has one): ``X_theory`` is its mean and ``X_z`` the mean of the paired
      differences ``X − theory`` over their sem (computed like ``X_sem``). Else NaN (e.g. when
      ``by`` pools cells with different predictions);
    - ``X_theory_kind``: the counted tasks' theory kind (``exact``, ``nlo``, ``lo``, ``bound``,
      ``numerical``, ``none``; ``mixed`` when they differ), from ``<theory>_kind``;
    - ``X_trust``, by the rule of docs/statistics.md (the same as ``nnsweep report``):
      ``proportion`` for a 0/1 metric (see :func:`is_proportion`; then ``X_low``/``X_high``
      are its Wilson 95% interval), ``unresolved`` when some counted task's ``X_max_share``
      exceeds :data:`MAX_SHARE_LIMIT` (rare samples dominate; the sem means nothing), ``ok``
      otherwise, ``""`` for a cell without done tasks. ``X_z`` is NaN unless ``ok``.
      ``X_max_share`` is the largest counted task's share (when the file has the column).

    Also ``n_tasks`` and ``n_<status>`` (pending, done, failed, ...) per cell, and the cell's
    ``l_over_n`` when the file has that column. ``path_or_df`` is a path, a loaded Dataset or a
    frame from :func:`nnsweep.to_dataframe`; for any other frame give ``by``, ``metrics`` and a
    ``status`` column.
    """
    df = path_or_df if isinstance(path_or_df, pd.DataFrame) else to_dataframe(path_or_df)
    if by is None:
        if "swept" not in df.attrs:
            raise ValueError("give `by`: the frame does not say which parameters were swept")
        by = [p for p in df.attrs["swept"] if p not in replicates(df)]
    by = list(by)
    metrics = metric_names(df) if metrics is None else list(metrics)
    missing = [c for c in by + metrics if c not in df.columns]
    if missing:
        raise ValueError(f"no such column: {', '.join(missing)}")

    # The cells come from all tasks, so a cell without a done task still gets a row.
    keys = [df[c] for c in by] if by else [pd.Series(0, index=df.index, name="_cell")]
    out = pd.DataFrame({"n_tasks": df.groupby(keys).size()})
    for code, name in df.attrs.get("status_names", {DONE: "done"}).items():
        out[f"n_{name}"] = (df["status"] == code).groupby(keys).sum()
    for name in CELL_CONSTANTS:
        if name in df.columns:
            out[name] = _cell_constant(df[name], keys)

    done = df["status"] == DONE
    for x in metrics:
        values = df[x].where(done)
        by_cell = values.groupby(keys)
        count = by_cell.count()
        own = df[f"{x}_sem"].where(values.notna()) if f"{x}_sem" in df.columns else None
        out[f"{x}_mean"] = by_cell.mean()
        out[f"{x}_sem"] = _sem(values, own, keys)
        out[f"{x}_count"] = count
        share = f"{x}_max_share"
        max_share = (df[share].where(values.notna()).groupby(keys).max()
                     if share in df.columns else None)
        trust = _trust(count, max_share, is_proportion(df, x))
        theory = theory_column(df, x)
        if theory is not None:
            _theory_columns(out, df, x, theory, values, own, keys, count, trust)
        if max_share is not None:
            out[share] = max_share
        out[f"{x}_trust"] = trust
        if (trust == "proportion").any():
            out[f"{x}_low"], out[f"{x}_high"] = wilson_interval(out[f"{x}_mean"] * count, count)
    return out.reset_index(drop=not by)


def _theory_columns(out: pd.DataFrame, df: pd.DataFrame, x: str, theory: str, values: pd.Series,
                    own: pd.Series | None, keys: list[pd.Series], count: pd.Series,
                    trust: pd.Series) -> None:
    """X_theory, X_z (NaN unless the cell's trust is ok) and X_theory_kind."""
    predicted = df[theory].where(values.notna())
    cell_wide = _cell_constant(df[theory], keys)
    # Paired where every counted task has its own prediction and they are not one value.
    paired = predicted.notna().groupby(keys).sum() == count
    per_task = paired & cell_wide.isna() & (count > 0)
    out[f"{x}_theory"] = cell_wide.where(~per_task, predicted.groupby(keys).mean())
    z_cell = (out[f"{x}_mean"] - cell_wide) / out[f"{x}_sem"]
    difference = values - predicted
    z_paired = difference.groupby(keys).mean() / _sem(difference, own, keys)
    out[f"{x}_z"] = z_cell.where(~per_task, z_paired).where(trust == "ok")
    kind = f"{theory}_kind"
    if kind in df.columns:
        out[f"{x}_theory_kind"] = _kind_names(df, kind, values.notna(), keys)


def _trust(count: pd.Series, max_share: pd.Series | None, proportion: bool) -> pd.Series:
    """Per cell: ``ok``, ``unresolved``, ``proportion`` or ``""`` (no done task)."""
    trust = pd.Series("ok", index=count.index, dtype=object)
    if max_share is not None:
        trust[max_share > MAX_SHARE_LIMIT] = "unresolved"
    if proportion:
        trust[:] = "proportion"
    trust[count == 0] = ""
    return trust


def trust_notes(table: pd.DataFrame) -> list[str]:
    """What the ``*_trust`` verdicts that occur in an :func:`aggregate` table mean, in words."""
    verdicts = pd.concat([table[c] for c in table.columns if c.endswith("_trust")]) \
        if any(c.endswith("_trust") for c in table.columns) else pd.Series(dtype=object)
    notes = []
    if (verdicts == "unresolved").any():
        notes.append("unresolved: in some task of the cell a single sample carries more than "
                     f"half of the estimator (X_max_share > {MAX_SHARE_LIMIT:g}): the mean is "
                     "dominated by rare samples and its standard error means nothing, so no z "
                     "is given. More samples per task, not more seeds, resolve it.")
    if (verdicts == "proportion").any():
        notes.append("proportion: a 0/1 metric; its interval is Wilson's 95% score interval, "
                     "no z.")
    return notes


def theory_column(df: pd.DataFrame, metric: str) -> str | None:
    """The theory column that predicts ``metric``: by its ``predicts`` attribute, else by the
    name ``theory_<metric>``; None if there is none."""
    predicts = df.attrs.get("predicts", {})
    for name, target in predicts.items():
        if target == metric and name in df.columns:
            return name
    name = f"theory_{metric}"
    return name if name in df.columns and name not in predicts else None


def _sem(values: pd.Series, own: pd.Series | None, keys: list[pd.Series]) -> pd.Series:
    """Per cell: the larger of sd/√count over the tasks and √Σ own² / count (NaN-aware)."""
    by_cell = values.groupby(keys)
    count = by_cell.count()
    sem = by_cell.std(ddof=1) / np.sqrt(count)
    if own is not None:
        own = own.where(values.notna())
        within = np.sqrt((own ** 2).groupby(keys).sum(min_count=1)) / count
        sem = np.fmax(sem, within)  # fmax: a NaN on one side yields the other
    return sem


def _kind_names(df: pd.DataFrame, column: str, counted: pd.Series,
                keys: list[pd.Series]) -> pd.Series:
    """Per cell: the name of the counted tasks' theory kind, "mixed" when they differ."""
    names = df.attrs.get("flag_meanings", {}).get(column, THEORY_KINDS)
    codes = df[column].where(counted)
    low, high = codes.groupby(keys).min(), codes.groupby(keys).max()
    named = low.map(lambda c: names[int(c)] if pd.notna(c) and int(c) < len(names) else "")
    return named.where((low == high) | low.isna(), "mixed")


def _cell_constant(column: pd.Series, keys: list[pd.Series]) -> pd.Series:
    """The column's value per cell where all tasks of the cell agree (NaNs ignored), else NaN."""
    cells = column.groupby(keys)
    low, high = cells.min(), cells.max()
    return low.where(np.isclose(low, high, rtol=1e-12, atol=0.0))
