"""Relax trials over MPI ranks: files bit-identical on 1 and 2 ranks."""

import numpy as np
import pytest
import xarray as xr

pytestmark = pytest.mark.mpi


def test_one_and_two_ranks_give_bit_identical_relax_files(tmp_path, run_tool):
    common = ["relax", "shifted-laplacian", "--learner", "tsallis-inf,chebcb,instance-optimal",
              "--instances", "15", "--trials", "3", "--format", "e11m8-sr", "--seed", "5",
              "--set", "grid=5"]
    run_tool("lowprec", *common, "--out", tmp_path / "one.nc")
    run_tool("mpiexec", "-n", "2", "lowprec", *common, "--tasks", "2", "--out", tmp_path / "two.nc")
    one, two = xr.load_dataset(tmp_path / "one.nc"), xr.load_dataset(tmp_path / "two.nc")
    for name in one.data_vars:
        assert np.array_equal(one[name].values, two[name].values), name
    assert one.attrs["config_hash"] == two.attrs["config_hash"]
