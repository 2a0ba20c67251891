"""config/speedy-land.yaml, the laptop study on SPEEDY's realistic boundaries, run end to end
on tiny settings: the land-surface temperature is judged and mapped, and its W1 is zero
wherever the land is not modelled (there every file holds the prescribed climatology).

Skips without SPEEDY's T30 files (research-only data, never in the repository)."""

import csv

import numpy as np
import pytest
import xarray as xr
import yaml

from pipeline.models.speedy.boundaries import climatology_on
from pipeline.models.speedy.land_model import modelled
from pipeline.models.speedy.spectral import standard_grid
from tests.conftest import ROOT, usable_config

TINY = {"truncation": 10, "steps_per_day": 24, "days": 2, "output_interval_hours": 12}


@pytest.mark.extended
def test_the_laptop_land_study_judges_and_maps_the_land_temperature(tmp_path, run_tool):
    config = yaml.safe_load(usable_config(ROOT / "config" / "speedy-land.yaml", tmp_path)
                            .read_text())
    config.update(null_ensembles=2, formats=["float64", "e11m8", "e11m8-sr"])
    speedy = config["models"]["speedy"]
    speedy.update(members=2, members_per_task=1)
    speedy["spinup"].update(days=3, output_interval_hours=72)
    speedy["parameters"].update(TINY)
    path = tmp_path / "tiny-land.yaml"
    path.write_text(yaml.safe_dump(config))
    run_tool("snakemake", "--snakefile", ROOT / "Snakefile", "--directory", tmp_path,
             "--configfile", path, "--profile", ROOT / "workflow" / "profiles" / "default",
             "--cores", "2", timeout=1200)
    summary = tmp_path / "results" / "summary"
    with open(summary / "minimal_bits.csv") as stream:
        judged = {(r["variable"], r["rounding"]) for r in csv.DictReader(stream)}
    assert {("land_surface_temperature", "nearest"),
            ("land_surface_temperature", "stochastic")} <= judged
    assert (summary / "maps_speedy_land_surface_temperature.png").read_bytes()[:4] == \
        b"\x89PNG"
    with xr.open_dataset(tmp_path / "results" / "speedy" / "analysis.nc") as analysis:
        w1 = analysis["w1_land_surface_temperature"].transpose("format", "lat", "lon")
        w1 = w1.sel(format=["e11m8", "e11m8-sr"]).values
    climatology = climatology_on(config["models"]["speedy"]["parameters"]["boundaries"],
                                 standard_grid(TINY["truncation"]))
    land = modelled(climatology.land_fraction).T  # (lat, lon)
    assert np.all(w1[:, ~land] == 0.0)
    assert np.all(w1[:, land].mean(axis=1) > 0.0)  # 8 bits are felt over land
