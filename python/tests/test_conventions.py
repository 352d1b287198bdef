"""What a CF checker would check, on real files of each experiment (none is packaged for Debian
12): `Conventions` set; every `units` parses with UDUNITS-2 (`udunits2` from Debian's
udunits-bin); every name in `coordinates` and `ancillary_variables` exists; and xarray's
h5netcdf engine, with no help from this package, decodes the strings, makes the parameters
coordinates, links X to X_sem and theory_X, and makes curve_epoch the curves' coordinate."""
import shutil
import subprocess

import h5py
import pytest
import xarray as xr

CORRELATIONS = """\
experiment = correlations
[params]
activation = relu,tanh
width = 16,32
depth = 2
samples = 200
seed = 0,1
n_out = 2
"""

LINEAR_TEACHER = """\
experiment = linear_teacher
[params]
width = 2
sigma0 = 0.01,1
epochs = 5
n_train = 20
n_test = 50
seed = 0,1
"""


@pytest.fixture(params=["correlations", "linear_teacher"])
def results(request, run_sweep):
    spec = CORRELATIONS if request.param == "correlations" else LINEAR_TEACHER
    return request.param, run_sweep(request.param, spec)


def _attr(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def test_cf_attributes(results):
    udunits = shutil.which("udunits2")
    if udunits is None:
        pytest.skip("udunits2 not installed (Debian package udunits-bin)")
    _, path = results
    units, names = {}, set()
    with h5py.File(path, "r") as f:
        assert _attr(f.attrs["Conventions"]).startswith("CF-")

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                names.add(name)
                if "units" in obj.attrs:
                    units[name] = _attr(obj.attrs["units"])
                    assert obj.dtype.kind != "S", f"{name}: text with units"
                if obj.dtype.kind == "S":
                    assert _attr(obj.attrs["_Encoding"]) == "utf-8", name
        f.visititems(visit)
        for name in names:
            attrs = f[name].attrs
            group = name.rpartition("/")[0]
            for key in ("coordinates", "ancillary_variables"):
                for ref in _attr(attrs.get(key, "")).split():
                    assert (f"{group}/{ref}" if group else ref) in names, f"{name}.{key}: {ref}"
    assert units
    for unit in sorted(set(units.values())):
        r = subprocess.run([udunits, "-H", unit, "-W", ""], capture_output=True, text=True)
        assert r.returncode == 0, f"units {unit!r} ({[n for n, u in units.items() if u == unit]}): {r.stderr}"


def test_plain_xarray_reads_it_conventionally(results):
    experiment, path = results
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds.attrs["experiment"] == experiment and isinstance(ds.attrs["experiment"], str)
        assert "seed" in ds.coords and "width" in ds.coords
        assert ds["error"].dtype == object and all(isinstance(v, str) for v in ds["error"].values)
        if experiment == "correlations":
            assert set(ds["activation"].values) == {"relu", "tanh"}
            assert ds["kappa4"].attrs["ancillary_variables"].split() == [
                "kappa4_sem", "kappa4_max_share", "theory_kappa4"]
            assert ds["theory_kappa4"].attrs["ancillary_variables"] == "theory_kappa4_kind"
        else:
            assert "curve_epoch" in ds["curve_train_loss"].coords
            assert ds["curve_epoch"].dims == ("task", "log_point")
