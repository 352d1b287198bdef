"""Synthetic results files, written with h5py exactly as docs/results-file.md lays them out.

The C++ writer is developed in parallel, so the tests build their own input. Metric values
follow known formulas plus seeded Gaussian noise; :class:`Synthetic` keeps the arrays as written
so tests can compute expected statistics with numpy independently of the package.
"""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

PENDING, DONE, FAILED, DIVERGED, TIMED_OUT = range(5)
FLAG_MEANINGS = "pending done failed diverged timed_out"
RUNS_CAPACITY = 256
N0 = 4


def fixed(text: str) -> np.ndarray:
    """A scalar fixed-length (NUL-padded) ASCII string, as the C++ writer stores them."""
    data = text.encode("ascii")
    return np.array(data, dtype=f"S{max(len(data), 1)}")


def strings(values, length: int | None = None) -> np.ndarray:
    """An array of fixed-length ASCII strings (``S`` dtype)."""
    data = [str(v).encode("ascii") for v in values]
    return np.array(data, dtype=f"S{length or max(1, max(map(len, data)))}")


@dataclass
class Column:
    """One dataset of the file with its required attributes."""
    kind: str  # parameter, metric, theory, metadata
    values: np.ndarray
    units: str = "1"
    long_name: str = ""
    description: str = ""
    dim: str | None = None  # a curve's second dimension


def _set_attrs(dataset: h5py.Dataset, column: Column, name: str) -> None:
    dataset.attrs["units"] = fixed(column.units)
    dataset.attrs["long_name"] = fixed(column.long_name or name)
    dataset.attrs["description"] = fixed(column.description or f"synthetic {name}")
    dataset.attrs["kind"] = fixed(column.kind)


def write_results_file(path: Path, *, experiment: str, spec: str, sweep_seed: int,
                       columns: dict[str, Column], runs: dict[str, np.ndarray]) -> None:
    """Writes a results file: root attributes, /spec, /task scale, one dataset per column
    (curves with their own 0..K−1 scale), and /runs with its ``run`` scale (256 rows; rows
    past ``len(runs["mpi_size"])`` unused, ``mpi_size`` 0)."""
    n_tasks = len(next(iter(columns.values())).values)
    with h5py.File(path, "w") as f:
        f.attrs["schema_version"] = np.int64(2)
        for key, text in (("nnsweep_version", "0.1.0"), ("git_sha", "0123abcd"),
                          ("created_utc", "2026-11-23T19:12:00Z"),
                          ("command_line", "nnsweep run corr.ini --out corr.h5"),
                          ("hostname", "node01"), ("slurm_job_id", ""),
                          ("experiment", experiment)):
            f.attrs[key] = fixed(text)
        f.attrs["mpi_size"] = np.int64(2)
        f.attrs["sweep_seed"] = np.uint64(sweep_seed)
        f.attrs["task_count"] = np.int64(n_tasks)
        f.create_dataset("spec", data=fixed(spec))

        task = f.create_dataset("task", data=np.arange(n_tasks, dtype=np.int64))
        task.make_scale("task")
        _set_attrs(task, Column("metadata", task[()], long_name="task index"), "task")
        for name, column in columns.items():
            dataset = f.create_dataset(name, data=column.values)
            dataset.dims[0].attach_scale(task)
            if column.dim is not None:
                if column.dim not in f:
                    scale = f.create_dataset(column.dim, data=np.arange(column.values.shape[1],
                                                                        dtype=np.int64))
                    scale.make_scale(column.dim)
                dataset.dims[1].attach_scale(f[column.dim])
            _set_attrs(dataset, column, name)
        f["status"].attrs["flag_values"] = np.arange(5, dtype=np.uint8)
        f["status"].attrs["flag_meanings"] = fixed(FLAG_MEANINGS)

        group = f.create_group("runs")
        run = group.create_dataset("run", data=np.arange(RUNS_CAPACITY, dtype=np.int64))
        run.make_scale("run")
        for name, used in runs.items():
            full = np.zeros(RUNS_CAPACITY, dtype=used.dtype)
            full[:len(used)] = used
            dataset = group.create_dataset(name, data=full)
            dataset.dims[0].attach_scale(run)


@dataclass
class Synthetic:
    """A written file and the arrays in it (strings as ``str``)."""
    path: Path
    columns: dict[str, np.ndarray]
    grid: dict[str, list] = field(default_factory=dict)  # swept parameter → its values

    def mask(self, **params) -> np.ndarray:
        """Tasks whose parameters equal the given values."""
        keep = np.ones(len(self.columns["task_key"]), dtype=bool)
        for name, value in params.items():
            keep &= self.columns[name] == value
        return keep

    def task(self, **params) -> int:
        """The one task with these parameter values."""
        (index,) = np.flatnonzero(self.mask(**params))
        return int(index)


def correlations_file(path: Path, *, widths=(16, 32, 64), depths=(1, 2, 4),
                      activations=("relu", "tanh"), seeds=(0, 1, 2, 3), zip_depth_width=False,
                      statuses: dict[tuple, int] | None = None,
                      nan_values: dict[tuple, str] | None = None) -> Synthetic:
    """A correlations-like sweep. ``statuses`` maps (width, depth, activation, seed) to a
    status other than done; ``nan_values`` maps such a key to a metric left NaN although done.

    Per task (W width, D depth, seed S), with ``t`` the theory and ε ~ N(0,1) seeded noise:
    theory_kappa4 = (1+5/W)^D − 1 (relu) or (2/3) D/W (tanh); theory_k2 = 2 (relu) or
    0.1268 (1 + D/(2W)) (tanh); theory_g4_ratio = (1+2/n0)(1+5/W)^D (relu), NaN (tanh);
    X = t + σ ε with σ = 0.03 |t|; X_sem = σ (1 + S/10). z4_ratio = 3 (1 + theory_kappa4) + 0.1 ε
    has neither sem nor theory. Non-done tasks hold NaN, except diverged ones, which keep
    (absurd) finite values that statistics must ignore.
    """
    statuses = statuses or {}
    points = (itertools.product(zip(widths, depths), activations, seeds) if zip_depth_width
              else ((wd, a, s) for wd in itertools.product(widths, depths)
                    for a, s in itertools.product(activations, seeds)))
    rows = [(w, d, a, s) for (w, d), a, s in points]
    width, depth, seed = (np.array([r[i] for r in rows], dtype=np.int64) for i in (0, 1, 3))
    activation = np.array([r[2] for r in rows])
    relu = activation == "relu"
    n = len(rows)
    status = np.array([statuses.get(r, DONE) for r in rows], dtype=np.uint8)
    done_or_diverged = (status == DONE) | (status == DIVERGED)
    rng = np.random.default_rng(20261123)

    growth = (1.0 + 5.0 / width) ** depth
    theory = {
        "k2": np.where(relu, 2.0, 0.1268 * (1 + depth / (2 * width))),
        "kappa4": np.where(relu, growth - 1.0, (2 / 3) * depth / width),
        "g4_ratio": np.where(relu, (1 + 2 / N0) * growth, np.nan),
    }
    cols: dict[str, np.ndarray] = {
        "width": width, "depth": depth, "activation": activation,
        "cw": np.where(relu, 2.0, 1.0), "cb": np.zeros(n), "n0": np.full(n, N0, np.int64),
        "n_out": np.full(n, 2, np.int64), "samples": np.full(n, 1000, np.int64), "seed": seed,
    }
    for name, t in theory.items():
        sigma = 0.03 * np.abs(np.where(np.isfinite(t), t, 1.5))
        centre = np.where(np.isfinite(t), t, 1.5 + depth / width)
        cols[name] = centre + sigma * rng.standard_normal(n)
        cols[f"{name}_sem"] = sigma * (1 + seed / 10)
        cols[f"theory_{name}"] = t
    cols["z4_ratio"] = 3 * (1 + theory["kappa4"]) + 0.1 * rng.standard_normal(n)
    cols["l_over_n"] = depth / width
    log_points = 5
    k = np.arange(log_points)
    curve = theory["kappa4"][:, None] * (1 - 2.0 ** -k)[None, :]
    cols["running_kappa4"] = np.where(k[None, :] <= depth[:, None], curve, np.nan)
    for name in ("k2", "kappa4", "g4_ratio", "z4_ratio", "running_kappa4"):
        cols[name][~done_or_diverged] = np.nan
    for name in ("k2", "kappa4", "g4_ratio", "z4_ratio"):
        cols[name][status == DIVERGED] = 1e3
    for key, name in (nan_values or {}).items():
        cols[name][rows.index(key)] = np.nan

    computed = status != PENDING
    cols["status"] = status
    cols["rank"] = np.where(computed, np.arange(n) % 2, -1).astype(np.int32)
    cols["run"] = np.where(computed, (np.arange(n) >= n // 2).astype(np.int32), -1).astype(np.int32)
    cols["wall_s"] = np.where(computed, 0.01 * depth * width / 16, 0.0)
    cols["attempts"] = computed.astype(np.int32)
    cols["error"] = np.array(["kernel threw: out of memory" if st == FAILED else
                              "kappa4 became inf" if st == DIVERGED else "" for st in status])
    cols["task_key"] = np.array([int.from_bytes(hashlib.sha256(
        f"correlations;width={w};depth={d};activation={a};seed={s}".encode()).digest()[:8],
        "little") for w, d, a, s in rows], dtype=np.uint64)

    parameter = {"width", "depth", "activation", "cw", "cb", "n0", "n_out", "samples", "seed"}
    metadata = {"status", "rank", "run", "wall_s", "attempts", "error", "task_key"}
    columns = {}
    for name, values in cols.items():
        kind = ("parameter" if name in parameter else "metadata" if name in metadata
                else "theory" if name.startswith("theory_") or name == "l_over_n" else "metric")
        if values.dtype.kind == "U":  # error is string[256]; the choices fit in 16
            values = strings(values, 256 if name == "error" else 16)
        columns[name] = Column(kind, values,
                               units="s" if name == "wall_s" else "1",
                               long_name={"kappa4": "normalised 4th cumulant kappa4",
                                          "g4_ratio": "gradient-norm ratio E|g|^4 / (E|g|^2)^2",
                                          "l_over_n": "depth / width L/n"}.get(name, ""),
                               dim="log_point" if values.ndim == 2 else None)

    spec_lines = ["experiment = correlations", "sweep_seed = 7"]
    spec_lines += ["zip = depth+width"] if zip_depth_width else []
    spec_lines += ["[params]", f"width = {','.join(map(str, widths))}",
                   f"depth = {','.join(map(str, depths))}",
                   f"activation = {','.join(activations)}",
                   "cw = auto", "cb = 0", f"n0 = {N0}", "n_out = 2", "samples = 1000",
                   f"seed = {','.join(map(str, seeds))}"]
    runs = {"started_utc": strings(["2026-11-23T19:12:00Z", "2026-11-23T20:00:00Z"], 20),
            "finished_utc": strings(["2026-11-23T19:40:00Z", "2026-11-23T20:10:00Z"], 20),
            "mpi_size": np.array([2, 4], dtype=np.int64),
            "hostname": strings(["node01", "node02"], 64),
            "slurm_job_id": strings(["", "4242"], 32),
            "command_line": strings(["nnsweep run corr.ini", "nnsweep run --resume corr.h5"], 256),
            "io_mode": strings(["parallel", "serial"], 16),
            "tasks_done": np.array([n // 2, n - n // 2], dtype=np.int64),
            "makespan_s": np.array([1680.0, 600.0]),
            "busy_s_total": np.array([3000.0, 2000.0]),
            "busy_s_max": np.array([1600.0, 580.0]),
            "load_balance": np.array([3000 / 3360, 2000 / 2400]),
            "exit_code": np.array([75, 0], dtype=np.int64)}
    write_results_file(path, experiment="correlations", spec="\n".join(spec_lines) + "\n",
                       sweep_seed=7, columns=columns, runs=runs)
    return Synthetic(path, cols, {"width": list(widths), "depth": list(depths),
                                  "activation": list(activations), "seed": list(seeds)})
