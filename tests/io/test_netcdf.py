"""Simulation and analysis files: CF-1.10 metadata, provenance, compression, atomic writes."""

import shutil

import numpy as np
import pytest
import xarray as xr

from pipeline.io.atomic import atomic_path


@pytest.fixture(scope="module")
def column_file(tmp_path_factory):
    from tests.conftest import tool_environment
    import subprocess
    import sys

    path = tmp_path_factory.mktemp("netcdf") / "heat_column-e11m10-sr.nc"
    subprocess.run([sys.executable, "-m", "pipeline", "simulate", "heat_column", "--format",
                    "e11m10-sr", "--members", "3", "--seed", "4", "--out", str(path),
                    "--set", "years=0.25"], check=True, env=tool_environment())
    return path


def test_simulation_file_carries_cf_metadata_precision_and_provenance(column_file):
    dataset = xr.open_dataset(column_file, decode_times=False)
    attributes = dataset.attrs
    for key in ("Conventions", "title", "source", "history", "institution", "references"):
        assert attributes[key]
    assert attributes["Conventions"] == "CF-1.10"
    assert attributes["number_format"] == "e11m10-sr"
    assert (attributes["significand_bits"], attributes["exponent_bits"]) == (10, 11)
    assert attributes["rounding"] == "stochastic" and attributes["seed"] == 4
    assert len(attributes["config_hash"]) == 64 and attributes["lowprec_version"]
    assert attributes["model_years"] == 0.25
    assert dataset["member"].attrs["standard_name"] == "realization"
    temperature = dataset["temperature"]
    assert temperature.dims == ("member", "time", "depth")
    assert temperature.attrs["units"] == "K" and temperature.attrs["standard_name"] == "soil_temperature"
    assert dataset["depth"].attrs["positive"] == "down"
    assert temperature.encoding["zlib"] is True
    assert dataset.sizes["time"] == 3  # 91.25 days at one output every 30 days


def test_simulation_file_passes_the_cf_compliance_checker(column_file, run_tool):
    if shutil.which("compliance-checker", path=str(__import__("tests.conftest").conftest.BIN)) is None:
        pytest.skip("compliance-checker is not installed")
    result = run_tool("compliance-checker", "--test=cf:1.10", column_file, check=False)
    assert "All tests passed!" in result.stdout, result.stdout


def test_atomic_write_leaves_nothing_behind_when_the_writer_fails(tmp_path):
    target = tmp_path / "out.nc"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            open(temporary, "w").write("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as temporary:
        open(temporary, "w").write("whole")
    assert target.read_text() == "whole" and len(list(tmp_path.iterdir())) == 1


def test_same_seed_gives_identical_data(tmp_path, run_tool, column_file):
    again = tmp_path / "again.nc"
    run_tool("lowprec", "simulate", "heat_column", "--format", "e11m10-sr", "--members", "3",
             "--seed", "4", "--out", again, "--set", "years=0.25")
    first = xr.open_dataset(column_file)["temperature"].values
    assert np.array_equal(first, xr.open_dataset(again)["temperature"].values)
