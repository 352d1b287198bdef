"""Reading the file: xarray compatibility, string decoding, coordinates, runs, data frame."""
import h5py
import numpy as np
import pytest
import xarray as xr

import nnsweep
from synthetic import DONE, PENDING


def test_file_opens_directly_with_xarray_h5netcdf(corr):
    with xr.open_dataset(corr.path, engine="h5netcdf") as ds:
        assert ds.sizes == {"task": 72, "log_point": 5}
        assert ds["kappa4"].dims == ("task",)
        assert ds["running_kappa4"].dims == ("task", "log_point")
        np.testing.assert_array_equal(ds["task"].values, np.arange(72))
        assert ds.attrs["experiment"] == "correlations"


def test_load_decodes_strings_and_makes_parameters_coordinates(corr):
    ds = nnsweep.load(corr.path)
    params = ["width", "depth", "activation", "cw", "cb", "n0", "n_out", "samples", "seed"]
    assert set(params) <= set(ds.coords)
    assert "kappa4" in ds.data_vars and "kappa4" not in ds.coords
    assert ds["activation"].dtype.kind == "U"
    assert all(type(v) is str for v in ds["activation"].values.tolist())
    np.testing.assert_array_equal(ds["activation"].values, corr.columns["activation"])
    assert ds["error"].values[corr.task(width=16, depth=1, activation="tanh", seed=2)] == \
        "kappa4 became inf"
    assert isinstance(ds["spec"].item(), str) and "[params]" in ds["spec"].item()
    assert ds["kappa4"].attrs["long_name"] == "normalised 4th cumulant kappa4"
    assert ds["wall_s"].attrs["units"] == "s" and ds["wall_s"].dtype == np.float64
    assert ds["rank"].dtype == np.int32 and ds["rank"].min() == -1  # no masking of integers
    assert ds.attrs["sweep_seed"] == 7 and ds.attrs["task_count"] == 72
    assert ds.attrs["slurm_job_id"] == ""
    np.testing.assert_array_equal(ds["kappa4"].values, corr.columns["kappa4"])


def test_parameter_order_and_swept_parameters(corr):
    ds = nnsweep.load(corr.path)
    assert nnsweep.parameters(ds) == ["width", "depth", "activation", "cw", "cb", "n0",
                                      "n_out", "samples", "seed"]
    # cw varies (2 for relu, 1 for tanh) but the spec says `cw = auto`: not an axis.
    assert np.unique(ds["cw"].values).size == 2
    assert nnsweep.swept_parameters(ds) == ["width", "depth", "activation", "seed"]


def test_swept_parameters_without_spec_fall_back_to_distinct_values(corr):
    ds = nnsweep.load(corr.path).drop_vars("spec")
    assert nnsweep.swept_parameters(ds) == ["activation", "cw", "depth", "width", "seed"]


def test_load_runs_keeps_used_rows(corr):
    runs = nnsweep.load_runs(corr.path)
    assert list(runs.index) == [0, 1]
    assert runs["exit_code"].tolist() == [75, 0]
    assert runs["mpi_size"].tolist() == [2, 4]
    assert runs["slurm_job_id"].tolist() == ["", "4242"]
    assert runs["io_mode"].tolist() == ["parallel", "serial"]


def test_to_dataframe(corr):
    df = nnsweep.to_dataframe(corr.path)
    assert len(df) == 72 and df.index.name == "task"
    assert "running_kappa4" not in df.columns and "spec" not in df.columns
    assert {"width", "activation", "kappa4", "kappa4_sem", "theory_kappa4", "status"} <= set(df)
    assert df["status_name"].dtype == "category"
    assert list(df["status_name"].cat.categories) == [
        "pending", "done", "failed", "diverged", "timed_out"]
    assert df["status_name"].value_counts().to_dict() == {
        "done": 61, "pending": 7, "failed": 2, "diverged": 1, "timed_out": 1}
    assert (df["status"] == DONE).sum() == (corr.columns["status"] == DONE).sum()
    assert df.loc[corr.task(width=32, depth=2, activation="relu", seed=1), "status_name"] == \
        "pending"
    assert df.attrs["kinds"]["kappa4"] == "metric"
    assert df.attrs["kinds"]["width"] == "parameter"
    assert df.attrs["experiment"] == "correlations"
    assert PENDING in df.attrs["status_names"]


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        nnsweep.load(tmp_path / "missing.h5")
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    with pytest.raises(nnsweep.ResultsFileError, match="not an HDF5 file"):
        nnsweep.load(text)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(nnsweep.ResultsFileError, match="not an nnsweep results file"):
        nnsweep.load(foreign)
    future = tmp_path / "future.h5"
    with h5py.File(future, "w") as f:
        f.attrs["schema_version"] = np.int64(nnsweep.io.SCHEMA_VERSION + 1)
        f.attrs["experiment"] = np.bytes_("correlations")
        f["task"] = np.arange(3)
    with pytest.raises(nnsweep.ResultsFileError,
                       match=f"schema_version {nnsweep.io.SCHEMA_VERSION + 1}"):
        nnsweep.load(future)
