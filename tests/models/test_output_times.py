"""Outputs land on the requested times: the time step divides the output interval exactly.

Issue 23: shallow water's dt = cfl dx / sqrt(g H0) did not divide a day, so ``days=20`` wrote
outputs at 1.0017, 2.0035, ... days. The step is now the largest below the CFL limit that
divides the output interval.
"""

import math

import numpy as np
import pytest
import xarray as xr

from pipeline.models import get_model
from pipeline.models.base import parse_overrides


@pytest.mark.parametrize("overrides", [
    {}, {"output_interval_hours": "6"}, {"output_interval_hours": "7"},
    {"output_interval_hours": "1.5", "resolution_km": "20"}, {"cfl": "0.5"},
    {"resolution_km": "5", "output_interval_hours": "24"},
])
def test_shallow_water_step_divides_the_output_interval_within_the_cfl_limit(overrides):
    config = parse_overrides(get_model("shallow_water").Config, overrides, "shallow_water")
    run = config.run_length()
    _, _, per_output = run.steps()
    assert per_output * run.dt == pytest.approx(run.output_interval, rel=1e-13)
    limit = config.cfl * config.dx / math.sqrt(config.gravity * config.depth)
    assert config.dt <= limit
    interval_seconds = config.output_interval_hours * 3600
    assert per_output == 1 or interval_seconds / (per_output - 1) > limit  # the largest such


@pytest.mark.parametrize("model", ["lorenz63", "heat_column", "shallow_water", "heat2d",
                                   "speedy"])
def test_every_model_default_output_interval_is_a_whole_number_of_steps(model):
    config = get_model(model).Config()
    run = config.run_length()
    assert run.steps()[2] * run.dt == pytest.approx(run.output_interval, rel=1e-12)


def test_a_shallow_water_file_has_outputs_at_whole_days(tmp_path, run_tool):
    out = tmp_path / "sw.nc"
    run_tool("lowprec", "simulate", "shallow_water", "--format", "float64", "--members", "1",
             "--seed", "1", "--set", "days=3", "--set", "spinup_days=0", "--out", out)
    times = xr.load_dataset(out, decode_times=False)["time"].values
    assert np.allclose(times, [1.0, 2.0, 3.0], rtol=0, atol=1e-12), times
